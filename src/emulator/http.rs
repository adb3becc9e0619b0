//! Responses and errors in Graph's format.

use crate::graph::{GraphError, GraphErrorBody, InnerError};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A response before it is written: status, JSON body and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphResponse {
    pub status: u16,
    pub body: Option<Value>,
    /// A body already written as JSON text (from kept renderings, [`super::cache`]), sent as it is, in place of
    /// `body`.
    pub text: Option<axum::body::Bytes>,
    pub headers: Vec<(String, String)>,
}

impl GraphResponse {
    pub fn ok(body: Value) -> Self {
        Self::with_status(200, body)
    }
    pub fn created(body: Value) -> Self {
        Self::with_status(201, body)
    }
    pub fn with_status(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            text: None,
            headers: vec![],
        }
    }
    /// 200 with a body already written as JSON text.
    pub fn ok_text(text: axum::body::Bytes) -> Self {
        Self {
            status: 200,
            body: None,
            text: Some(text),
            headers: vec![],
        }
    }
    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            text: None,
            headers: vec![],
        }
    }
}

/// An error answer: HTTP status, Graph `error.code` and `error.message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// A body that is not JSON or not of the expected shape. The message is the one Graph gives for a payload it
    /// cannot read, followed by what is wrong.
    pub fn bad_body(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(format!(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format. {detail}"
        ))
    }

    /// 404 for role management resources.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            404,
            "ResourceNotFound",
            format!("The {what} '{id}' does not exist."),
        )
    }

    /// 404 for directory objects, as the directory answers it.
    pub fn directory_not_found(id: &str) -> Self {
        Self::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 400 `RoleAssignmentRequestPolicyValidationFailed`, naming the failed rules the way Graph does:
    /// `The following policy rules failed: ["ExpirationRule"]` (digest §10).
    pub fn policy_failed(rules: &[&str]) -> Self {
        let list = rules
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(",");
        Self::new(
            400,
            "RoleAssignmentRequestPolicyValidationFailed",
            format!("The following policy rules failed: [{list}]"),
        )
    }

    /// The body, with `innerError` carrying the request id and date.
    pub fn to_body(&self, request_id: &str, client_request_id: &str, now: DateTime<Utc>) -> Value {
        let err = GraphError {
            error: GraphErrorBody {
                code: self.code.clone(),
                message: self.message.clone(),
                inner_error: Some(InnerError {
                    request_id: Some(request_id.to_string()),
                    date: Some(graph_date(now)),
                    client_request_id: Some(client_request_id.to_string()),
                    extra: Default::default(),
                }),
            },
        };
        serde_json::to_value(err).unwrap_or(Value::Null)
    }

    pub fn into_response(
        self,
        request_id: &str,
        client_request_id: &str,
        now: DateTime<Utc>,
    ) -> GraphResponse {
        let mut r = GraphResponse::with_status(
            self.status,
            self.to_body(request_id, client_request_id, now),
        );
        if let Some(s) = self.retry_after {
            r.headers.push(("Retry-After".into(), s.to_string()));
        }
        r
    }
}

/// The `innerError.date` format: `2020-08-18T12:51:51`.
pub fn graph_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The 429 body, exactly as Microsoft publishes it (`graph-error-throttling-429-response.json`).
pub fn throttled_body(request_id: &str, now: DateTime<Utc>) -> Value {
    json!({
        "error": {
            "code": "TooManyRequests",
            "innerError": {
                "code": "429",
                "date": graph_date(now),
                "message": "Please retry after",
                "request-id": request_id,
                "status": "429"
            },
            "message": "Please retry again later."
        }
    })
}

pub type ApiResult<T> = Result<T, ApiError>;
