//! Directory objects as PIM needs them: users, groups and service principals.

use super::polymorphic::Polymorphic;
use super::{odata_tag, serialize_tagged};
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

/// A directory object's kind, as its `@odata.type` names it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DirectoryObjectKind {
    User,
    Group,
    ServicePrincipal,
}

/// Polymorphic on `@odata.type` (any case), which Graph writes first: an expanded principal is read in one pass,
/// straight into its type.
impl Polymorphic for DirectoryObject {
    const TAG: &'static str = "@odata.type";
    type Kind = DirectoryObjectKind;

    fn kind_of(tag: Option<&serde_json::Value>) -> Result<DirectoryObjectKind, String> {
        let tag = odata_tag(tag)?.map(str::to_ascii_lowercase);
        match tag.as_deref() {
            Some("user") => Ok(DirectoryObjectKind::User),
            Some("group") => Ok(DirectoryObjectKind::Group),
            Some("serviceprincipal") => Ok(DirectoryObjectKind::ServicePrincipal),
            other => Err(format!("unsupported directoryObject type {other:?}")),
        }
    }

    fn of_kind<'de, D: Deserializer<'de>>(
        kind: DirectoryObjectKind,
        d: D,
    ) -> Result<Self, D::Error> {
        Ok(match kind {
            DirectoryObjectKind::User => DirectoryObject::User(Deserialize::deserialize(d)?),
            DirectoryObjectKind::Group => DirectoryObject::Group(Deserialize::deserialize(d)?),
            DirectoryObjectKind::ServicePrincipal => {
                DirectoryObject::ServicePrincipal(Deserialize::deserialize(d)?)
            }
        })
    }
}

impl<'de> Deserialize<'de> for DirectoryObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::polymorphic::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An expanded principal reads by its `@odata.type` wherever it stands and in any case; an object of another
    /// type, or with no type, is an error that names what it found.
    #[test]
    fn directory_objects_read_by_their_type() {
        let user: DirectoryObject = serde_json::from_str(
            r##"{"@odata.type":"#microsoft.graph.user","id":"u1","userPrincipalName":"a@contoso.com"}"##,
        )
        .unwrap();
        assert!(
            matches!(&user, DirectoryObject::User(u) if u.id == "u1" && u.user_principal_name.as_deref() == Some("a@contoso.com"))
        );
        let group: DirectoryObject = serde_json::from_str(
            r##"{"id":"g1","displayName":"PIM admins","@odata.type":"#microsoft.graph.GROUP"}"##,
        )
        .unwrap();
        assert!(
            matches!(&group, DirectoryObject::Group(g) if g.id == "g1" && g.display_name.as_deref() == Some("PIM admins"))
        );
        let sp: DirectoryObject = serde_json::from_value(serde_json::json!({
            "@odata.type": "#microsoft.graph.servicePrincipal", "id": "s1", "appId": "a1"
        }))
        .unwrap();
        assert!(matches!(&sp, DirectoryObject::ServicePrincipal(p) if p.id == "s1"));
        let err = |text: &str| {
            serde_json::from_str::<DirectoryObject>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r##"{"@odata.type":"#microsoft.graph.Device","id":"d1"}"##)
                .contains(r#"unsupported directoryObject type Some("device")"#)
        );
        assert!(err(r#"{"id":"x"}"#).contains("unsupported directoryObject type None"));
        assert!(err(r#"{"@odata.type":7,"id":"x"}"#).contains("`@odata.type` must be a string"));
    }
}
