//! Directory objects as PIM needs them: users, groups and service principals.

use super::{read_tagged, serialize_tagged};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `user`, with the properties Graph returns by default plus those PIM reads (`userType`,
/// `onPremisesSyncEnabled`, `accountEnabled`), which Graph returns only when `$select`ed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub business_phones: Vec<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    /// `Member` or `Guest`.
    #[serde(default)]
    pub user_type: Option<String>,
    /// `true` when synchronized from on-premises; `null` for cloud-only users.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

impl User {
    /// Every property of this type: the default projection first, then those Graph returns only when `$select`ed.
    pub const PROPERTIES: &'static [&'static str] = &[
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "businessPhones",
        "givenName",
        "jobTitle",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userType",
        "onPremisesSyncEnabled",
        "accountEnabled",
    ];
    /// The properties `GET /users` returns without `$select`.
    pub const DEFAULT_PROPERTIES: &'static [&'static str] = Self::PROPERTIES.split_at(11).0;
}

/// `group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub group_types: Vec<String>,
    /// Only role-assignable groups can hold Microsoft Entra roles.
    #[serde(default)]
    pub is_assignable_to_role: Option<bool>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub mail_enabled: Option<bool>,
    #[serde(default)]
    pub mail_nickname: Option<String>,
    #[serde(default)]
    pub security_enabled: Option<bool>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

/// `servicePrincipal`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: String,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub app_display_name: Option<String>,
    #[serde(default)]
    pub service_principal_type: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// A `directoryObject` of a known derived type (`principal`, group `members`), tagged with `@odata.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryObject {
    User(User),
    Group(Group),
    ServicePrincipal(ServicePrincipal),
}

impl DirectoryObject {
    pub fn id(&self) -> &str {
        match self {
            DirectoryObject::User(u) => &u.id,
            DirectoryObject::Group(g) => &g.id,
            DirectoryObject::ServicePrincipal(s) => &s.id,
        }
    }
    /// `user`, `group` or `servicePrincipal`.
    pub fn type_name(&self) -> &'static str {
        match self {
            DirectoryObject::User(_) => "user",
            DirectoryObject::Group(_) => "group",
            DirectoryObject::ServicePrincipal(_) => "servicePrincipal",
        }
    }
}

impl Serialize for DirectoryObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DirectoryObject::User(u) => serialize_tagged(s, "user", u),
            DirectoryObject::Group(g) => serialize_tagged(s, "group", g),
            DirectoryObject::ServicePrincipal(p) => serialize_tagged(s, "servicePrincipal", p),
        }
    }
}

impl<'de> Deserialize<'de> for DirectoryObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (tag, v) = read_tagged(d)?;
        let e = D::Error::custom;
        match tag.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("user") => serde_json::from_value(v)
                .map(DirectoryObject::User)
                .map_err(e),
            Some("group") => serde_json::from_value(v)
                .map(DirectoryObject::Group)
                .map_err(e),
            Some("serviceprincipal") => serde_json::from_value(v)
                .map(DirectoryObject::ServicePrincipal)
                .map_err(e),
            other => Err(D::Error::custom(format!(
                "unsupported directoryObject type {other:?}"
            ))),
        }
    }
}
