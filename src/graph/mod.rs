//! Wire types for the Microsoft Graph v1.0 endpoints that pimctl uses (PIM for Microsoft Entra roles, and PIM for
//! Groups in [`pim_group`]).
//!
//! These are the JSON shapes of Graph, field for field: the emulator serves them and the Graph client reads them.
//! Conventions (see `shared/graph-reference/digest.md` §1):
//! * field names are camelCase, exactly as Graph spells them;
//! * input is tolerant: unknown fields are ignored, enum values match case-insensitively, and `@odata.type` is
//!   accepted with or without its leading `#`;
//! * output is exact: enums are written as Graph writes them (`adminAssign`, `noExpiration`, `all`), polymorphic
//!   objects carry `@odata.type` with the leading `#`, and nullable fields are written as `null` rather than left out.

use serde::{Deserialize, Serialize};

#[macro_use]
mod macros;
pub mod arm;
pub mod batch;
pub mod client;
pub mod common;
pub mod defaults;
pub mod directory;
pub mod error;
pub mod license;
pub mod organization;
pub mod pim_group;
pub mod policy;
pub(crate) mod polymorphic;
pub mod review;
pub mod role;
pub mod rule_id;

pub use batch::{
    BatchRequest, BatchRequestItem, BatchResponse, BatchResponseItem, RawBatchResponse,
    RawBatchResponseItem,
};
pub use common::{
    ExpirationPattern, ExpirationPatternType, Identity, IdentitySet, RequestSchedule, TicketInfo,
};
pub use directory::{DirectoryObject, Group, ServicePrincipal, User};
pub use error::{GraphError, GraphErrorBody, InnerError};
pub use license::{LicenseUnitsDetail, ServicePlanInfo, SubscribedSku};
pub use organization::Organization;
pub use pim_group::{
    AccessId, GroupAssignmentSchedule, GroupAssignmentScheduleInstance, GroupEligibilitySchedule,
    GroupEligibilityScheduleInstance, GroupScheduleRequest, NewGroupScheduleRequest,
};
pub use policy::{
    ApprovalMode, ApprovalRule, ApprovalSettings, AuthenticationContextRule, EnablementRule,
    ExpirationRule, NotificationLevel, NotificationRule, PolicyRule, RecipientType, RuleCaller,
    RuleLevel, RuleTarget, RuleTargetOperation, SubjectSet, UnifiedApprovalStage,
    UnifiedRoleManagementPolicy, UnifiedRoleManagementPolicyAssignment,
};
pub use role::{
    AssignmentType, EntityRef, MemberType, NewScheduleRequest, RequestStatus,
    ScheduleRequestAction, UnifiedRoleAssignmentSchedule, UnifiedRoleAssignmentScheduleInstance,
    UnifiedRoleDefinition, UnifiedRoleEligibilitySchedule, UnifiedRoleEligibilityScheduleInstance,
    UnifiedRolePermission, UnifiedRoleScheduleRequest,
};

/// The most values one `in (...)` of a `$filter` may list: Graph limits a filter clause to 15 expressions by
/// default (learn.microsoft.com/graph/filter-query-parameter).
pub const MAX_FILTER_IN_VALUES: usize = 15;

/// The OData namespace of every Graph type.
pub const NAMESPACE: &str = "microsoft.graph";

/// `#microsoft.graph.{name}`, the `@odata.type` value Graph emits.
pub fn odata_type(name: &str) -> String {
    format!("#{NAMESPACE}.{name}")
}

/// The type name inside an `@odata.type` value, tolerating a missing `#` and namespace
/// (`#microsoft.graph.singleUser`, `microsoft.graph.singleUser` and `singleUser` all give `singleUser`).
pub fn odata_type_name(value: &str) -> &str {
    let v = value.trim().trim_start_matches('#');
    v.strip_prefix("microsoft.graph.").unwrap_or(v)
}

/// One page of a collection: `{"@odata.context", "@odata.nextLink"?, "value": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
    /// Absolute URL of the next page; follow it unchanged until it is absent.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    pub value: Vec<T>,
}

/// Serializes `inner` as an object whose first key is `@odata.type` (`#microsoft.graph.{type_name}`).
pub(crate) fn serialize_tagged<S, T>(s: S, type_name: &str, inner: &T) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
    T: Serialize,
{
    use serde::ser::Error;
    let v = serde_json::to_value(inner).map_err(S::Error::custom)?;
    let mut out = serde_json::Map::new();
    out.insert("@odata.type".into(), odata_type(type_name).into());
    if let serde_json::Value::Object(m) = v {
        for (k, v) in m {
            if k != "@odata.type" {
                out.insert(k, v);
            }
        }
    }
    out.serialize(s)
}

/// Reads an object and its `@odata.type` name (without `#` and namespace), for polymorphic deserialization.
pub(crate) fn read_tagged<'de, D>(d: D) -> Result<(Option<String>, serde_json::Value), D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let v = serde_json::Value::deserialize(d)?;
    let serde_json::Value::Object(ref m) = v else {
        return Err(D::Error::custom("expected a JSON object"));
    };
    let tag = odata_tag(m.get("@odata.type"))
        .map_err(D::Error::custom)?
        .map(str::to_string);
    Ok((tag, v))
}

/// The type name (without `#` and namespace) that an `@odata.type` value gives: none when it is absent or null, an
/// error when it is not a string. What every polymorphic Graph type reads its kind from.
pub(crate) fn odata_tag(v: Option<&serde_json::Value>) -> Result<Option<&str>, &'static str> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(odata_type_name(s))),
        Some(_) => Err("`@odata.type` must be a string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_type_names_are_tolerant() {
        assert_eq!(odata_type_name("#microsoft.graph.singleUser"), "singleUser");
        assert_eq!(odata_type_name("microsoft.graph.singleUser"), "singleUser");
        assert_eq!(odata_type_name("singleUser"), "singleUser");
        assert_eq!(odata_type("user"), "#microsoft.graph.user");
    }
}
