//! The Microsoft Graph client: reqwest on tokio, paging through `@odata.nextLink`, `$batch`, bounded retries
//! (429, 503, 504, and connection errors on reads) honouring `Retry-After`, bounded concurrency, one debug event
//! per request, and errors that say what to do.
//!
//! ```no_run
//! # async fn f() -> Result<(), pimctl::graph::client::ClientError> {
//! use pimctl::graph::client::{AuthMethod, GraphClient, GraphConfig, credential_for, DEFAULT_GRAPH_URL};
//! let auth = credential_for(AuthMethod::Auto, None, DEFAULT_GRAPH_URL)?;
//! let client = GraphClient::new(GraphConfig::new(DEFAULT_GRAPH_URL, auth))?;
//! let users: Vec<pimctl::graph::User> = client.list_all("/users?$select=id,userPrincipalName").await?;
//! # Ok(()) }
//! ```

mod args;
pub mod arm;
pub mod auth;
mod batch;
pub mod claims;
pub mod error;
pub mod retry;

pub use args::{DEFAULT_ARM_MAX_CONCURRENCY, GraphArgs};
pub use arm::{ArmClient, DEFAULT_ARM_URL, arm_scope};
pub use auth::{
    AuthError, AuthMethod, BearerToken, StaticToken, TokenLimits, TokenSource, credential_for,
    credential_from_env, credential_from_env_with_limits, credential_with_limits,
};
pub use batch::decode_batch_item;
pub use claims::TokenClaims;
pub(crate) use error::without_position;
pub use error::{
    APPLY_PERMISSIONS, ARM_APPLY_ACTIONS, ARM_FANOUT_ACTIONS, ARM_NAME_ACTIONS, ARM_PLAN_ACTIONS,
    ClientError, PLAN_PERMISSIONS, RequestInfo, arm_action_for, permission_for,
};
pub use retry::RetryConfig;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Microsoft Graph v1.0 in the public cloud.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com/v1.0";

/// Answers larger than this are refused, before they are read whole when the server announces the length (a
/// Graph page, even a `$batch` of 20 pages with every rule expanded, is far smaller).
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// `pimctl/<version>`.
pub fn default_user_agent() -> String {
    format!("pimctl/{}", env!("CARGO_PKG_VERSION"))
}

/// How to build a [`GraphClient`].
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// The version root: `https://graph.microsoft.com/v1.0`, a national cloud's, or the emulator's.
    pub base_url: String,
    pub auth: Arc<dyn TokenSource>,
    pub retry: RetryConfig,
    /// Requests in flight at once (at least 1). Default 4.
    pub max_concurrency: usize,
    pub user_agent: String,
    /// For one attempt, from sending to the last byte of the answer. Default 100 s (Graph's own limit).
    pub timeout: Duration,
    /// For everything the client does from its creation (`--timeout`): every attempt, token request and wait.
    /// `None`: no overall limit.
    pub command_timeout: Option<Duration>,
    /// The most pages one listing follows (`@odata.nextLink`) before it is refused as endless. Default 10,000:
    /// 80,000 eligible assignments at Graph's smallest usual page are a few thousand.
    pub max_pages: usize,
}

impl GraphConfig {
    pub fn new(base_url: impl Into<String>, auth: Arc<dyn TokenSource>) -> Self {
        Self {
            base_url: base_url.into(),
            auth,
            retry: RetryConfig::default(),
            max_concurrency: 4,
            user_agent: default_user_agent(),
            timeout: Duration::from_secs(100),
            command_timeout: None,
            max_pages: 10_000,
        }
    }
}

/// Which service a client speaks to: the transport, retries, limits and paging are shared, the conventions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Microsoft Graph: `@odata.nextLink`, a version root (`/v1.0`), `request-id`.
    Graph,
    /// Azure Resource Manager: `nextLink`, `api-version` on every request, `x-ms-request-id`, `CloudError`,
    /// `x-ms-ratelimit-remaining-*` headers.
    Arm,
}

impl Dialect {
    fn next_link(self) -> &'static str {
        match self {
            Dialect::Graph => "@odata.nextLink",
            Dialect::Arm => "nextLink",
        }
    }
    fn flag(self) -> &'static str {
        match self {
            Dialect::Graph => "--graph-url",
            Dialect::Arm => "--arm-url",
        }
    }
    fn service(self) -> &'static str {
        match self {
            Dialect::Graph => "Graph",
            Dialect::Arm => "Azure Resource Manager",
        }
    }
}

/// One page of a list, in either dialect: the next link is read under the dialect's name only.
#[derive(serde::Deserialize)]
struct AnyPage<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    odata_next_link: Option<String>,
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
    /// Management groups page with `@nextLink` (Microsoft.Management's own convention).
    #[serde(rename = "@nextLink", default)]
    at_next_link: Option<String>,
}

/// What the client has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Of those, retries.
    pub retries: u64,
    /// Pages read by [`GraphClient::list_all`].
    pub pages: u64,
    /// `$batch` requests sent (each attempt counts).
    pub batches: u64,
}

/// A Microsoft Graph client. Cloning is cheap and shares the connection pool, limits and counters.
#[derive(Clone, Debug)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    dialect: Dialect,
    /// The version root, without a trailing slash.
    base: Url,
    auth: Arc<dyn TokenSource>,
    retry: RetryConfig,
    /// When `--timeout` runs out, and its length (for messages).
    deadline: Option<(Instant, Duration)>,
    max_pages: usize,
    permits: tokio::sync::Semaphore,
    requests: AtomicU64,
    retries: AtomicU64,
    pages: AtomicU64,
    batches: AtomicU64,
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) req: RequestInfo,
}

/// How one attempt ended.
enum Outcome {
    Answer {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        req: RequestInfo,
    },
    Failed {
        req: RequestInfo,
        detail: String,
        /// The request may have reached the server.
        sent: bool,
    },
}

impl GraphClient {
    /// Checks a Graph root as [`GraphClient::new`] does: an http(s) URL with a host and a version, http only on
    /// loopback, no query.
    pub fn check_url(base_url: &str) -> Result<(), ClientError> {
        parse_base_url(base_url, Dialect::Graph).map(|_| ())
    }

    pub fn new(config: GraphConfig) -> Result<Self, ClientError> {
        Self::with_dialect(config, Dialect::Graph)
    }

    /// A client for `dialect` ([`ArmClient`] wraps the ARM one).
    pub(crate) fn with_dialect(config: GraphConfig, dialect: Dialect) -> Result<Self, ClientError> {
        let base = parse_base_url(&config.base_url, dialect)?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(30)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                dialect,
                base,
                auth: config.auth,
                retry: config.retry,
                deadline: config.command_timeout.map(|d| (Instant::now() + d, d)),
                max_pages: config.max_pages.max(1),
                permits: tokio::sync::Semaphore::new(config.max_concurrency.max(1)),
                requests: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                pages: AtomicU64::new(0),
                batches: AtomicU64::new(0),
            }),
        })
    }

    /// The version root requests are made against.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    pub fn stats(&self) -> ClientStats {
        let i = &self.inner;
        ClientStats {
            requests: i.requests.load(Ordering::Relaxed),
            retries: i.retries.load(Ordering::Relaxed),
            pages: i.pages.load(Ordering::Relaxed),
            batches: i.batches.load(Ordering::Relaxed),
        }
    }

    /// The claims of the access token requests are sent with (asking the credential for one, as the next request
    /// would; azure_identity caches it), or `None` when the token is not a JWT. No request to Graph.
    pub async fn token_claims(&self) -> Result<Option<TokenClaims>, ClientError> {
        let token = self.inner.auth.token().await?;
        Ok(TokenClaims::read(token.expose()))
    }

    /// HTTP requests sent so far, retries included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// `GET` one resource (`/roleManagement/directory/roleDefinitions/{id}`) and decode it.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, ClientError> {
        let url = self.url(path_and_query)?;
        let a = self.execute(Method::GET, url, None, true).await?;
        decode(&a)
    }

    /// `GET` a collection and every following page (`@odata.nextLink`, or ARM's `nextLink`, followed unchanged),
    /// in order.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<Vec<T>, ClientError> {
        let mut url = self.url(path_and_query)?;
        let mut seen = HashSet::new();
        let mut out = vec![];
        loop {
            let a = self.execute(Method::GET, url.clone(), None, true).await?;
            let page: AnyPage<T> = decode(&a)?;
            self.inner.pages.fetch_add(1, Ordering::Relaxed);
            out.extend(page.value);
            let link = self.inner.dialect.next_link();
            let next = match self.inner.dialect {
                Dialect::Graph => page.odata_next_link,
                Dialect::Arm => page.next_link.or(page.at_next_link),
            };
            let Some(next) = next.filter(|n| !n.trim().is_empty()) else {
                return Ok(out);
            };
            seen.insert(url.to_string());
            let next = Url::parse(&next).map_err(|e| ClientError::Decode {
                req: Box::new(a.req.clone()),
                detail: format!("{link} is not a URL: {e}"),
            })?;
            if !self.same_origin(&next) {
                return Err(ClientError::Decode {
                    req: Box::new(a.req),
                    detail: format!(
                        "{link} points to another host ({}); not following it with the token",
                        next.origin().ascii_serialization()
                    ),
                });
            }
            let next = self.with_api_version(next);
            if seen.contains(next.as_str()) {
                return Err(ClientError::Decode {
                    req: Box::new(a.req),
                    detail: format!("{link} repeats an earlier page"),
                });
            }
            if seen.len() >= self.inner.max_pages {
                return Err(ClientError::Decode {
                    req: Box::new(a.req),
                    detail: format!(
                        "the listing goes on past {} pages ({link} after {link}): not following it further",
                        self.inner.max_pages
                    ),
                });
            }
            url = next;
        }
    }

    /// `POST` a JSON body and decode the answer (a `204 No Content` decodes from `null`: ask for `()` or an
    /// `Option`). Not retried once it may have reached the server, except on 429 and 503, which Graph answers
    /// before doing anything; a connection lost after sending gives [`ClientError::is_ambiguous`].
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.write(Method::POST, path, body).await
    }

    /// `PATCH` a JSON body; as [`GraphClient::post_json`].
    pub async fn patch_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.write(Method::PATCH, path, body).await
    }

    /// `PUT` a JSON body (a whole object); as [`GraphClient::post_json`].
    pub async fn put_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.write(Method::PUT, path, body).await
    }

    /// `DELETE` a resource; as [`GraphClient::post_json`] (a `404` after a lost answer is the caller's to judge).
    pub async fn delete(&self, path: &str) -> Result<(), ClientError> {
        let url = self.url(path)?;
        let a = self.execute(Method::DELETE, url, None, false).await?;
        decode::<Option<serde_json::Value>>(&a).map(|_| ())
    }

    async fn write<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = self.url(path)?;
        let bytes = serde_json::to_vec(body).map_err(|e| {
            ClientError::Invalid(format!("{method} {path}: cannot encode the body: {e}"))
        })?;
        let a = self.execute(method, url, Some(bytes), false).await?;
        decode(&a)
    }

    /// The absolute URL for a path relative to the version root (`/users?$top=5`), or an absolute URL on the
    /// same host (a next link).
    pub(crate) fn url(&self, path_and_query: &str) -> Result<Url, ClientError> {
        let p = path_and_query.trim();
        if p.starts_with("https://") || p.starts_with("http://") {
            let u = Url::parse(p).map_err(|e| ClientError::Invalid(format!("'{p}': {e}")))?;
            if !self.same_origin(&u) {
                return Err(ClientError::Invalid(format!(
                    "'{}' is not on the {} host {}",
                    u.origin().ascii_serialization(),
                    self.inner.dialect.service(),
                    self.inner.base.origin().ascii_serialization()
                )));
            }
            return Ok(self.with_api_version(u));
        }
        let joined = format!(
            "{}/{}",
            self.inner.base.as_str().trim_end_matches('/'),
            p.trim_start_matches('/')
        );
        Url::parse(&joined)
            .map(|u| self.with_api_version(u))
            .map_err(|e| ClientError::Invalid(format!("'{p}': {e}")))
    }

    /// ARM: `api-version=2020-10-01` added when the URL has none (a `nextLink` carries its own). Graph: unchanged.
    fn with_api_version(&self, mut u: Url) -> Url {
        if self.inner.dialect == Dialect::Arm
            && !u
                .query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        {
            u.query_pairs_mut()
                .append_pair("api-version", crate::graph::arm::API_VERSION);
        }
        u
    }

    fn same_origin(&self, u: &Url) -> bool {
        u.origin() == self.inner.base.origin()
    }

    /// Sends a request, retrying as the policy allows. `idempotent` requests are also retried on connection
    /// errors and 504; others only when the server cannot have acted (not connected, 429, 503).
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Result<Answer, ClientError> {
        let retry = &self.inner.retry;
        let max = retry.attempts();
        let mut attempt = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                self.inner.retries.fetch_add(1, Ordering::Relaxed);
            }
            let pending = self.attempt(&method, &url, body.as_deref(), attempt);
            let outcome = match self.remaining(&method, &url)? {
                None => pending.await?,
                Some(left) => match tokio::time::timeout(left, pending).await {
                    Ok(outcome) => outcome?,
                    // A read is simply lost; a write may have been sent.
                    Err(_) => return Err(self.timed_out(&method, &url, !idempotent)),
                },
            };
            let last = attempt >= max;
            let retry_after = match outcome {
                Outcome::Answer {
                    status, body, req, ..
                } if (200..300).contains(&status) => return Ok(Answer { status, body, req }),
                Outcome::Answer {
                    status,
                    headers,
                    body,
                    req,
                } => {
                    let retryable = match status {
                        429 | 503 => true,
                        504 => idempotent,
                        _ => false,
                    };
                    if status == 504 && !idempotent {
                        return Err(ClientError::Network {
                            req: Box::new(req),
                            detail: "504 Gateway Timeout".into(),
                            ambiguous: true,
                            attempts: attempt,
                        });
                    }
                    if !retryable || last {
                        return Err(error::from_answer_in(
                            self.inner.dialect,
                            req,
                            status,
                            &body,
                            attempt,
                        ));
                    }
                    let asked = headers
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry::parse_retry_after(v, chrono::Utc::now()));
                    if let Some(asked) = asked
                        && retry.refuses(asked)
                    {
                        return Err(ClientError::WaitTooLong {
                            req: Box::new(req),
                            status,
                            asked,
                            limit: retry.max_retry_after,
                        });
                    }
                    asked
                }
                Outcome::Failed { req, detail, sent } => {
                    if sent && !idempotent {
                        return Err(ClientError::Network {
                            req: Box::new(req),
                            detail,
                            ambiguous: true,
                            attempts: attempt,
                        });
                    }
                    if last {
                        return Err(ClientError::Network {
                            req: Box::new(req),
                            detail,
                            ambiguous: false,
                            attempts: attempt,
                        });
                    }
                    None
                }
            };
            let wait = retry.delay(attempt, retry_after);
            if let Some(left) = self.remaining(&method, &url)?
                && wait >= left
            {
                return Err(self.timed_out(&method, &url, false));
            }
            tracing::debug!(
                method = %method,
                path = %url.path(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                service = self.inner.dialect.service(),
                "request: retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// The time left before `--timeout` runs out (`None` without one); an error once it has.
    fn remaining(&self, method: &Method, url: &Url) -> Result<Option<Duration>, ClientError> {
        let Some((deadline, _)) = self.inner.deadline else {
            return Ok(None);
        };
        match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(self.timed_out(method, url, false)),
        }
    }

    fn timed_out(&self, method: &Method, url: &Url, ambiguous: bool) -> ClientError {
        ClientError::TimedOut {
            req: Box::new(RequestInfo {
                method: method.to_string(),
                path: url.path().to_string(),
                request_id: None,
                client_request_id: String::new(),
            }),
            limit: self.inner.deadline.map(|(_, d)| d).unwrap_or_default(),
            ambiguous,
        }
    }

    /// One attempt, holding a concurrency permit until the answer is read.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        attempt: u32,
    ) -> Result<Outcome, ClientError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| ClientError::Invalid("the client is shutting down".into()))?;
        let token = self.inner.auth.token().await?;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut req = RequestInfo {
            method: method.to_string(),
            path: url.path().to_string(),
            request_id: None,
            client_request_id: client_request_id.clone(),
        };
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                ClientError::Invalid("the access token holds characters a header cannot".into())
            })?;
        auth.set_sensitive(true);
        drop(token);
        let mut rb = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("client-request-id", &client_request_id);
        if let Some(b) = body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let log = |status: &dyn std::fmt::Display, req: &RequestInfo| {
            tracing::debug!(
                method = %req.method,
                path = %req.path,
                status = %status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                request_id = req.request_id.as_deref().unwrap_or("-"),
                client_request_id = %req.client_request_id,
                attempt,
                service = self.inner.dialect.service(),
                "graph request"
            );
        };
        let mut resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                let detail = describe(&e);
                log(&"error", &req);
                return Ok(Outcome::Failed {
                    req,
                    detail,
                    sent: !e.is_connect(),
                });
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        req.request_id = headers
            .get("request-id")
            .or_else(|| headers.get("x-ms-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(|s| error::clip(s, 100));
        if self.inner.dialect == Dialect::Arm {
            arm::log_rate_limits(&req, &headers);
        }
        if let Some(len) = resp.content_length()
            && len > MAX_RESPONSE_BYTES as u64
        {
            log(&status, &req);
            return Err(ClientError::Decode {
                req: Box::new(req),
                detail: format!(
                    "the answer announces {len} bytes, more than the {MAX_RESPONSE_BYTES} pimctl reads"
                ),
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > MAX_RESPONSE_BYTES {
                        log(&status, &req);
                        return Err(ClientError::Decode {
                            req: Box::new(req),
                            detail: format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
                        });
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => {
                    log(&format_args!("{status} (answer cut off)"), &req);
                    return Ok(Outcome::Failed {
                        detail: format!(
                            "the connection broke while reading the answer ({})",
                            describe(&e)
                        ),
                        req,
                        sent: true,
                    });
                }
            }
        }
        log(&status, &req);
        Ok(Outcome::Answer {
            status,
            headers,
            body,
            req,
        })
    }
}

/// A Graph root or ARM endpoint, refused when it is not http(s) with a host, has a query, would send the token in
/// clear text, or (Graph) lacks its version.
fn parse_base_url(given: &str, dialect: Dialect) -> Result<Url, ClientError> {
    let flag = dialect.flag();
    let given = given.trim().trim_end_matches('/');
    let base =
        Url::parse(given).map_err(|e| ClientError::Invalid(format!("{flag} '{given}': {e}")))?;
    if !matches!(base.scheme(), "https" | "http") || base.host_str().is_none() {
        return Err(ClientError::Invalid(format!(
            "{flag} '{given}' is not an http(s) URL"
        )));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(ClientError::Invalid(format!(
            "{flag} '{given}' must not have a query or fragment"
        )));
    }
    if base.scheme() == "http" && !is_loopback(&base) {
        return Err(ClientError::Invalid(format!(
            "{flag} '{given}' uses http: the access token would travel unencrypted. Use https; http is \
             allowed only for loopback (localhost, 127.0.0.1, ::1), where the emulator runs"
        )));
    }
    if dialect == Dialect::Graph && base.path().trim_matches('/').is_empty() {
        let mut suggestion = base.clone();
        suggestion.set_path("/v1.0");
        return Err(ClientError::Invalid(format!(
            "--graph-url '{given}' has no version: did you mean '{}'?",
            suggestion.as_str()
        )));
    }
    Ok(base)
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(u: &Url) -> bool {
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Decodes a successful answer; an empty body (204) decodes from `null`.
pub(crate) fn decode<T: DeserializeOwned>(a: &Answer) -> Result<T, ClientError> {
    let body: &[u8] = if a.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &a.body
    };
    serde_json::from_slice(body).map_err(|e| ClientError::Decode {
        req: Box::new(a.req.clone()),
        detail: format!("HTTP {}: {}", a.status, error::clip(&e.to_string(), 300)),
    })
}

/// A reqwest error and its causes, without the URL (the request line is in the error already).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    let mut parts = vec![kind.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    error::clip(&parts.join(": "), 500)
}
