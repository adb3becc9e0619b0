//! Which tenant was read, through which endpoints, and who read it: recorded in a plan, checked by apply, written
//! to the audit record.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Microsoft Entra tenant, as a plan records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant (directory) id, lower-cased.
    pub id: String,
    /// The organization's display name, when it was read (`GET /organization`); a token does not carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Tenant {
    pub fn new(id: &str, name: Option<String>) -> Self {
        Self {
            id: id.trim().to_lowercase(),
            name,
        }
    }
    /// Whether two records name the same tenant (by id; the name is only shown).
    pub fn same(&self, other: &Tenant) -> bool {
        self.id.eq_ignore_ascii_case(&other.id)
    }
}

/// `4d3c2b1a-… (Contoso)`, or the id alone.
impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{} ({n})", self.id),
            None => f.write_str(&self.id),
        }
    }
}

/// The service roots a plan was read from. `arm` is Azure Resource Manager's, for Azure resource roles, when they
/// were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub graph: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// Whether the caller signed in as a user or as an application (service principal, managed identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    User,
    App,
}

/// Who called Graph, from the access token's claims (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub kind: CallerKind,
    /// The user's sign-in name (`upn`, `unique_name`), or the application's display name (`app_displayname`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The application (client) id (`appid`, `azp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The user's or service principal's object id (`oid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
}

/// `user alice@contoso.com (object 9f…)`, `app pimctl-ci (app 7a…, object 3c…)`.
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            CallerKind::User => "user",
            CallerKind::App => "app",
        };
        write!(f, "{kind} {}", self.name.as_deref().unwrap_or("(unnamed)"))?;
        let ids: Vec<String> = [("app", &self.app_id), ("object", &self.object_id)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
            .collect();
        if !ids.is_empty() {
            write!(f, " ({})", ids.join(", "))?;
        }
        Ok(())
    }
}
