//! JSON batching (`POST /v1.0/$batch`): at most 20 requests per batch.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most requests one batch may hold.
pub const MAX_BATCH_REQUESTS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    pub requests: Vec<BatchRequestItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequestItem {
    pub id: String,
    pub method: String,
    /// Relative to the version root: `/users/{id}` or `users?$filter=...`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
}

/// The answer to a `$batch`. `B` is how each answer's body is held: a `serde_json::Value` where it is built (the
/// emulator), its JSON text where it is read ([`RawBatchResponse`]: the client decodes each body once, straight into
/// its type, and no tree is built of the groups' schedules and policies that most `$batch` answers carry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse<B = serde_json::Value> {
    pub responses: Vec<BatchResponseItem<B>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "B: Deserialize<'de>"))]
pub struct BatchResponseItem<B = serde_json::Value> {
    pub id: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<B>,
}

/// A `$batch` answer as the client reads it: each body kept as its JSON text.
pub type RawBatchResponse = BatchResponse<Box<serde_json::value::RawValue>>;

/// One answer of a [`RawBatchResponse`].
pub type RawBatchResponseItem = BatchResponseItem<Box<serde_json::value::RawValue>>;
