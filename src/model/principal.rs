//! Principals as the user names them, before resolution against a tenant.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::ServicePrincipal => "service_principal",
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal as declared: its kind and the name the user wrote (a UPN, display name, appId or object id).
///
/// Equality and ordering are case-insensitive on the name, as Entra's UPNs, display names and GUIDs are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    pub name: String,
}

impl PrincipalRef {
    pub fn new(kind: PrincipalKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
    /// The comparison key: kind and lower-cased name.
    pub fn key(&self) -> (PrincipalKind, String) {
        (self.kind, self.name.to_lowercase())
    }
    /// Whether the name is an object id (a GUID) rather than a UPN or display name.
    pub fn is_object_id(&self) -> bool {
        is_guid(&self.name)
    }
}

impl PartialEq for PrincipalRef {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for PrincipalRef {}
impl PartialOrd for PrincipalRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PrincipalRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}
impl std::hash::Hash for PrincipalRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl fmt::Display for PrincipalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

/// Whether `s` is a GUID in its 8-4-4-4-12 hexadecimal form.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
