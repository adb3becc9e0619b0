//! `organization` (`GET /organization?$select=id,displayName`): the tenant a token acts in, read when the token does
//! not say (`observe::tenant`). A tenant has exactly one; Graph answers a collection.

use serde::{Deserialize, Serialize};

/// `organization`, with the two properties pimctl selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The tenant id.
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}
