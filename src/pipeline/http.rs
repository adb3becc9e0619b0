//! The REST client both platforms share: reqwest with bounded timeouts, a bounded number of retries that honour
//! `Retry-After`, paging links followed only on the API's own origin, and the token only in a sensitive
//! `Authorization` header (never in a URL, a log line or an error).

use super::PostError;
use crate::graph::client::auth::BearerToken;
use crate::graph::client::retry::{RetryConfig, parse_retry_after};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long to wait for a connection, and for a whole answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The retry policy for posting: four attempts, waits of at most 20 s, a `Retry-After` honoured up to a minute.
pub fn default_retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 4,
        base_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(20),
        max_retry_after: Duration::from_secs(60),
        ..RetryConfig::default()
    }
}

/// A JSON answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

/// One REST API: its root, its token, the headers every request carries.
pub struct Api {
    client: reqwest::Client,
    root: Url,
    token: BearerToken,
    headers: HeaderMap,
    retry: RetryConfig,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("root", &self.root.as_str())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// `root` is the API's base address (`https://api.github.com`, `https://dev.azure.com/org/`); `headers` are
    /// sent with every request besides `Authorization`, `Accept` and `User-Agent`.
    pub fn new(
        root: &str,
        token: BearerToken,
        headers: &[(&'static str, &str)],
        retry: RetryConfig,
    ) -> Result<Self, PostError> {
        let root = Url::parse(root)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| PostError::Config(format!("`{root}` is not an http(s) address")))?;
        if token.expose().trim().is_empty() {
            return Err(PostError::Config("the token is empty".into()));
        }
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let value = HeaderValue::from_str(value)
                .map_err(|_| PostError::Config(format!("header {name}: not a valid value")))?;
            map.insert(HeaderName::from_static(name), value);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect would carry the request elsewhere; the APIs answer in place.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PostError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            root,
            token,
            headers: map,
            retry,
        })
    }

    /// `root` joined with `path` (which must not start with `/` when the root has a path of its own).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, PostError> {
        let mut base = self.root.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut url = base
            .join(path.trim_start_matches('/'))
            .map_err(|e| PostError::Config(format!("cannot address {path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Whether `url` is on the API's own origin (scheme, host and port): the only place the token goes.
    pub fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.root.origin()
    }

    /// Sends one request and decodes its JSON answer (an empty body is `null`). Retries, within the policy:
    /// throttling (429, and GitHub's rate-limit 403) always, since the service did not act; 500, 502, 503, 504 and
    /// connection failures only for GET and PATCH, which are safe to repeat. A POST whose answer was lost is not
    /// sent again: the next run finds what it created by its marker.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Answer, PostError> {
        if !self.same_origin(&url) {
            return Err(PostError::Config(format!(
                "refusing to send the token to {}, outside {}",
                url.origin().ascii_serialization(),
                self.root.origin().ascii_serialization()
            )));
        }
        let idempotent = method == Method::GET || method == Method::PATCH;
        let path = url.path().to_string();
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
                .map_err(|_| PostError::Config("the token is not a valid header value".into()))?;
            auth.set_sensitive(true);
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .headers(self.headers.clone())
                .header(AUTHORIZATION, auth)
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, concat!("pimctl/", env!("CARGO_PKG_VERSION")));
            if let Some(b) = body {
                req = req.json(b);
            }
            let (retry_after, failure) = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    tracing::debug!(
                        method = %method,
                        path = %path,
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "pipeline request"
                    );
                    let text = resp.text().await.map_err(|e| PostError::Network {
                        method: method.to_string(),
                        path: path.clone(),
                        message: format!("the answer was cut off: {}", without_url(&e)),
                    })?;
                    if status.is_success() {
                        let json = if text.trim().is_empty() {
                            Value::Null
                        } else {
                            serde_json::from_str(&text).map_err(|e| PostError::Decode {
                                method: method.to_string(),
                                path: path.clone(),
                                message: format!("not JSON: {e}"),
                            })?
                        };
                        return Ok(Answer {
                            status,
                            headers,
                            json,
                        });
                    }
                    let throttled = status == StatusCode::TOO_MANY_REQUESTS
                        || (status == StatusCode::FORBIDDEN && rate_limited(&headers));
                    let transient = matches!(status.as_u16(), 500 | 502 | 503 | 504);
                    let error = PostError::Status {
                        method: method.to_string(),
                        path: path.clone(),
                        status: status.as_u16(),
                        message: service_message(&text),
                    };
                    if !(throttled || (transient && idempotent)) {
                        return Err(error);
                    }
                    let ra = headers
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, chrono::Utc::now()))
                        // A longer wait than the policy allows is cut to it: a comment is not worth minutes.
                        .map(|ra| ra.min(self.retry.max_retry_after));
                    (ra, error)
                }
                Err(e) => {
                    let error = PostError::Network {
                        method: method.to_string(),
                        path: path.clone(),
                        message: without_url(&e),
                    };
                    if !idempotent {
                        return Err(error);
                    }
                    (None, error)
                }
            };
            if attempt >= attempts {
                return Err(failure);
            }
            let wait = self.retry.delay(attempt, retry_after);
            tracing::info!(method = %method, path = %path, attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// The `rel="next"` address of a `Link` header, when it is on the API's origin.
    pub fn next_link(&self, headers: &HeaderMap) -> Option<Url> {
        let link = headers.get("link")?.to_str().ok()?;
        link.split(',').find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let url = Url::parse(target).ok()?;
            (is_next && self.same_origin(&url)).then_some(url)
        })
    }
}

/// GitHub's primary and secondary rate limits answer 403 with `x-ratelimit-remaining: 0` or a `retry-after`.
fn rate_limited(headers: &HeaderMap) -> bool {
    headers.contains_key("retry-after")
        || headers
            .get("x-ratelimit-remaining")
            .is_some_and(|v| v.as_bytes() == b"0")
}

/// The service's own `message` (GitHub and Azure DevOps both send one), else the start of the body.
fn service_message(text: &str) -> String {
    let message = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| text.trim().to_string());
    let mut m: String = message.chars().take(300).collect();
    if m.len() < message.len() {
        m.push('…');
    }
    m
}

/// A reqwest error without the URL it carries (the path is already in the message; the query is noise).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(root: &str) -> Api {
        Api::new(root, BearerToken::new("t0ken"), &[], default_retry()).unwrap()
    }

    #[test]
    fn urls_keep_the_roots_path() {
        let a = api("https://ghe.example/api/v3");
        assert_eq!(
            a.url("repos/o/r/issues/1/comments", &[("per_page", "100")])
                .unwrap()
                .as_str(),
            "https://ghe.example/api/v3/repos/o/r/issues/1/comments?per_page=100"
        );
        let a = api("https://dev.azure.com/org/");
        assert_eq!(
            a.url("My%20Project/_apis/git", &[]).unwrap().as_str(),
            "https://dev.azure.com/org/My%20Project/_apis/git"
        );
    }

    #[test]
    fn next_links_elsewhere_are_not_followed() {
        let a = api("https://api.github.com");
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\"",
            ),
        );
        assert_eq!(
            a.next_link(&h).unwrap().as_str(),
            "https://api.github.com/x?page=3"
        );
        h.insert(
            "link",
            HeaderValue::from_static("<https://evil.example/x?page=3>; rel=\"next\""),
        );
        assert_eq!(a.next_link(&h), None);
    }

    #[test]
    fn the_token_is_never_shown() {
        let a = api("https://api.github.com");
        assert!(!format!("{a:?}").contains("t0ken"));
        assert!(Api::new("https://x", BearerToken::new(" "), &[], default_retry()).is_err());
        assert!(Api::new("ftp://x", BearerToken::new("t"), &[], default_retry()).is_err());
    }
}
