//! JSON batching: lookups that cannot be one list (a user by id, a group by name, ...), 20 to a `$batch`.

use super::{ClientError, GraphClient, RequestInfo, decode, error, retry};
use crate::graph::batch::MAX_BATCH_REQUESTS;
use crate::graph::{BatchRequest, BatchRequestItem, RawBatchResponse, RawBatchResponseItem};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

impl GraphClient {
    /// Sends `requests` as `$batch` requests of at most 20 and gives one answer per request, in the order of
    /// `requests`. Sub-requests answered 429 (any method) or 503/504 (`GET` only) are sent again, in a later
    /// batch, after their `Retry-After` (else the backoff), within the retry budget; what still fails is given
    /// back as it came, so each item's error is the caller's to read ([`decode_batch_item`]).
    ///
    /// Ids must be unique; `dependsOn` is refused, since the requests may be split across batches.
    pub async fn batch(
        &self,
        requests: Vec<BatchRequestItem>,
    ) -> Result<Vec<RawBatchResponseItem>, ClientError> {
        let mut ids = HashSet::new();
        for r in &requests {
            if !ids.insert(r.id.as_str()) {
                return Err(ClientError::Invalid(format!(
                    "$batch: the id '{}' is used twice",
                    r.id
                )));
            }
            if r.depends_on.as_ref().is_some_and(|d| !d.is_empty()) {
                return Err(ClientError::Invalid(format!(
                    "$batch: request '{}' has dependsOn, which pimctl's batches do not support",
                    r.id
                )));
            }
        }
        let chunks: Vec<Vec<BatchRequestItem>> = requests
            .chunks(MAX_BATCH_REQUESTS)
            .map(<[_]>::to_vec)
            .collect();
        let answers =
            futures_util::future::join_all(chunks.into_iter().map(|c| self.batch_chunk(c))).await;
        let mut out = Vec::with_capacity(requests.len());
        for a in answers {
            out.extend(a?);
        }
        Ok(out)
    }

    /// One chunk of at most 20, retried sub-request by sub-request.
    async fn batch_chunk(
        &self,
        items: Vec<BatchRequestItem>,
    ) -> Result<Vec<RawBatchResponseItem>, ClientError> {
        let url = self.url("/$batch")?;
        let retry = &self.inner.retry;
        let mut done: HashMap<String, RawBatchResponseItem> = HashMap::new();
        let mut pending = items.clone();
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let idempotent = pending.iter().all(|r| r.method.eq_ignore_ascii_case("GET"));
            let body = serde_json::to_vec(&BatchRequest {
                requests: pending.clone(),
            })
            .map_err(|e| ClientError::Invalid(format!("$batch: cannot encode: {e}")))?;
            self.inner.batches.fetch_add(1, Ordering::Relaxed);
            let a = self
                .execute(Method::POST, url.clone(), Some(body), idempotent)
                .await?;
            let answer: RawBatchResponse = decode(&a)?;
            let mut by_id: HashMap<String, RawBatchResponseItem> = answer
                .responses
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            let last = round >= retry.attempts();
            let mut again = vec![];
            let mut wait: Option<Duration> = None;
            for item in pending {
                let Some(resp) = by_id.remove(&item.id) else {
                    return Err(ClientError::Decode {
                        req: Box::new(a.req.clone()),
                        detail: format!(
                            "the $batch answer has no response for request '{}'",
                            item.id
                        ),
                    });
                };
                let get = item.method.eq_ignore_ascii_case("GET");
                let retryable = resp.status == 429 || (get && matches!(resp.status, 503 | 504));
                if retryable && !last {
                    let ra = resp.headers.as_ref().and_then(|h| {
                        h.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                            .and_then(|(_, v)| retry::parse_retry_after(v, chrono::Utc::now()))
                    });
                    wait = match (wait, ra) {
                        (Some(w), Some(r)) => Some(w.max(r)),
                        (w, r) => w.or(r),
                    };
                    again.push(item);
                } else {
                    done.insert(item.id.clone(), resp);
                }
            }
            pending = again;
            if !pending.is_empty() {
                self.inner.retries.fetch_add(1, Ordering::Relaxed);
                let d = retry.delay(round, wait);
                tracing::debug!(
                    throttled = pending.len(),
                    round,
                    wait_ms = d.as_millis() as u64,
                    "graph $batch: sending throttled sub-requests again"
                );
                tokio::time::sleep(d).await;
            }
        }
        Ok(items.iter().filter_map(|i| done.remove(&i.id)).collect())
    }
}

/// Reads one `$batch` answer: its body decoded as `T` when its status is 2xx, else the error it stands for
/// ([`ClientError::Forbidden`] with the permission for 403, and so on), naming the sub-request.
pub fn decode_batch_item<T: DeserializeOwned>(
    request: &BatchRequestItem,
    response: &RawBatchResponseItem,
) -> Result<T, ClientError> {
    let header = |name: &str| {
        response.headers.as_ref().and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| error::clip(v, 100))
        })
    };
    let path = format!(
        "/{}",
        request
            .url
            .split('?')
            .next()
            .unwrap_or("")
            .trim_start_matches('/')
    );
    let req = RequestInfo {
        method: request.method.to_ascii_uppercase(),
        path: format!("$batch[{}] {path}", request.id),
        request_id: header("request-id"),
        client_request_id: header("client-request-id").unwrap_or_else(|| "-".into()),
    };
    // The body's text as it came: decoded once, into `T` or into the error it stands for.
    let body = response.body.as_deref().map_or("null", RawValue::get);
    if !(200..300).contains(&response.status) {
        let body = if response.body.is_some() { body } else { "" };
        let mut e = error::from_answer(req, response.status, body.as_bytes(), 1);
        if let ClientError::Forbidden { needed, .. } = &mut e {
            // The whole URL: a group's policies are told apart by their filter (`scopeType eq 'Group'`).
            *needed = error::permission_for(&request.method, &request.url);
        }
        return Err(e);
    }
    serde_json::from_str(body).map_err(|e| ClientError::Decode {
        req: Box::new(req),
        detail: error::clip(&error::without_position(&e), 300),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::User;

    fn answer(status: u16, body: Option<&str>) -> RawBatchResponseItem {
        RawBatchResponseItem {
            id: "1".into(),
            status,
            headers: None,
            body: body.map(|b| RawValue::from_string(b.into()).unwrap()),
        }
    }

    /// A sub-response's body is read from its text: into its type, or (not 2xx) into the error it stands for; a
    /// body that does not decode says why without a position in a text the reader never saw, as a decoded tree did.
    #[test]
    fn a_batch_answer_is_decoded_from_its_text() {
        let request = BatchRequestItem {
            id: "1".into(),
            method: "GET".into(),
            url: "/users/u1?$select=id".into(),
            headers: None,
            body: None,
            depends_on: None,
        };
        let ok = answer(
            200,
            Some(r#"{"id": "u1", "userPrincipalName": "a@contoso.com"}"#),
        );
        let u: User = decode_batch_item(&request, &ok).unwrap();
        assert_eq!(u.user_principal_name.as_deref(), Some("a@contoso.com"));
        let none: Option<User> = decode_batch_item(&request, &answer(204, None)).unwrap();
        assert_eq!(none, None);
        let bad = decode_batch_item::<User>(&request, &answer(200, Some(r#"{"displayName": 1}"#)))
            .unwrap_err()
            .to_string();
        assert!(bad.contains("$batch[1] /users/u1"), "{bad}");
        assert!(bad.contains("invalid type: integer `1`"), "{bad}");
        assert!(!bad.contains(" at line "), "{bad}");
        let body = r#"{"error": {"code": "Request_ResourceNotFound", "message": "Resource 'u1' does not exist."}}"#;
        let e = decode_batch_item::<User>(&request, &answer(404, Some(body))).unwrap_err();
        assert_eq!(e.status(), Some(404));
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
