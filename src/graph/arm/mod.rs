//! Wire types for Azure Resource Manager's `Microsoft.Authorization` PIM endpoints (Azure resource roles),
//! api-version `2020-10-01` (digest §9).
//!
//! Shared by the emulator (which serves them) and the ARM client (which reads them). The conventions are ARM's:
//! * every resource is an envelope `{"properties": {...}, "name", "id", "type"}` ([`ArmResource`]);
//! * collections are `{"value": [...], "nextLink"?}` ([`ArmPage`]): `nextLink` without `@odata.`;
//! * errors are `CloudError`, `{"error": {"code", "message"}}` ([`CloudError`]);
//! * enums are written in PascalCase (`AdminAssign`, `AfterDuration`, `All`) and read case-insensitively;
//! * policy rules are polymorphic on `ruleType` (not `@odata.type`); approvers are `{id, description, isBackup,
//!   userType}`.
//!
//! Input is tolerant (unknown fields ignored, enums in any case); output is exact: nullable fields are written as
//! `null`, as ARM writes them. Timestamps are `DateTime<Utc>`: ARM's `+00:00` offsets and trimmed fractions read
//! back as the same instant.

use crate::duration::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

pub mod defaults;
pub mod hierarchy;
pub mod policy;
pub mod role;
pub mod scope;
pub mod tenancy;

pub use policy::*;
pub use role::*;
pub use scope::{ArmScope, NamedKind, NamedScope, ScopeError, role_definition_guid};

/// The only api-version pimctl speaks and the emulator serves (stable; digest §9).
pub const API_VERSION: &str = "2020-10-01";

/// The provider every PIM resource lives under.
pub const PROVIDER: &str = "Microsoft.Authorization";

/// Reads a key that may be absent (`None`), `null` (`Some(None)`) or set (`Some(Some(v))`): for the few fields ARM
/// sometimes leaves out and sometimes writes as `null` (`exceptionMembers`). Pair with
/// `#[serde(default, skip_serializing_if = "Option::is_none")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An ARM resource: `{"properties": {...}, "name", "id", "type"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResource<P> {
    pub properties: P,
    /// The last segment of `id` (a GUID for PIM resources).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id: String,
    /// `Microsoft.Authorization/RoleEligibilityScheduleRequests`, ...
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// One page of a list: `{"value": [...], "nextLink"?}`. Follow `nextLink` unchanged until it is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmPage<T> {
    pub value: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// ARM's error body, `CloudError`: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudError {
    pub error: CloudErrorBody,
}

/// The `error` of a [`CloudError`]. `target`, `details` and `additionalInfo` are read when present and written only
/// when set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<CloudErrorBody>,
}

impl CloudError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: CloudErrorBody {
                code: code.to_string(),
                message: message.into(),
                target: None,
                details: vec![],
            },
        }
    }
}

graph_enum! {
    /// `principalType`.
    PrincipalType {
        User = "User",
        Group = "Group",
        ServicePrincipal = "ServicePrincipal",
        ForeignGroup = "ForeignGroup",
        Device = "Device",
    }
}

graph_enum! {
    /// `requestType` of a schedule request: PascalCase on ARM (digest §9).
    RequestType {
        AdminAssign = "AdminAssign",
        AdminRemove = "AdminRemove",
        AdminUpdate = "AdminUpdate",
        AdminExtend = "AdminExtend",
        AdminRenew = "AdminRenew",
        SelfActivate = "SelfActivate",
        SelfDeactivate = "SelfDeactivate",
        SelfExtend = "SelfExtend",
        SelfRenew = "SelfRenew",
    }
}

graph_enum! {
    /// `status` of requests, schedules and instances: the 22 values of the 2020-10-01 specification.
    ArmStatus {
        Accepted = "Accepted",
        PendingEvaluation = "PendingEvaluation",
        Granted = "Granted",
        Denied = "Denied",
        PendingProvisioning = "PendingProvisioning",
        Provisioned = "Provisioned",
        PendingRevocation = "PendingRevocation",
        Revoked = "Revoked",
        Canceled = "Canceled",
        Failed = "Failed",
        PendingApprovalProvisioning = "PendingApprovalProvisioning",
        PendingApproval = "PendingApproval",
        FailedAsResourceIsLocked = "FailedAsResourceIsLocked",
        PendingAdminDecision = "PendingAdminDecision",
        AdminApproved = "AdminApproved",
        AdminDenied = "AdminDenied",
        TimedOut = "TimedOut",
        ProvisioningStarted = "ProvisioningStarted",
        Invalid = "Invalid",
        PendingScheduleCreation = "PendingScheduleCreation",
        ScheduleCreated = "ScheduleCreated",
        PendingExternalProvisioning = "PendingExternalProvisioning",
    }
}

graph_enum! {
    /// `memberType`: held directly, through a group, or inherited from a scope above.
    ArmMemberType {
        Inherited = "Inherited",
        Direct = "Direct",
        Group = "Group",
    }
}

graph_enum! {
    /// `assignmentType` of active assignments.
    ArmAssignmentType {
        Activated = "Activated",
        Assigned = "Assigned",
    }
}

graph_enum! {
    /// `scheduleInfo.expiration.type`.
    ExpirationType {
        AfterDuration = "AfterDuration",
        AfterDateTime = "AfterDateTime",
        NoExpiration = "NoExpiration",
    }
}

/// `scheduleInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInfo {
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expiration: Option<Expiration>,
}

/// `scheduleInfo.expiration`. All three keys are written, `null` where unused, as in ARM's examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expiration {
    #[serde(rename = "type", default)]
    pub kind: Option<ExpirationType>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub duration: Option<Duration>,
}

impl Expiration {
    pub fn no_expiration() -> Self {
        Self {
            kind: Some(ExpirationType::NoExpiration),
            ..Self::default()
        }
    }
    pub fn after_date_time(end: DateTime<Utc>) -> Self {
        Self {
            kind: Some(ExpirationType::AfterDateTime),
            end_date_time: Some(end),
            duration: None,
        }
    }
    pub fn after_duration(d: Duration) -> Self {
        Self {
            kind: Some(ExpirationType::AfterDuration),
            end_date_time: None,
            duration: Some(d),
        }
    }
}

/// `ticketInfo`; responses carry both keys, `null` when no ticket was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmTicketInfo {
    #[serde(default)]
    pub ticket_number: Option<String>,
    #[serde(default)]
    pub ticket_system: Option<String>,
}

/// A principal as ARM names one (`expandedProperties.principal`, `lastModifiedBy`): every key written, `null` where
/// unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmPrincipal {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `{id, displayName, type}`: a scope (`type` `managementgroup`, `subscription`, `resourcegroup`, or a resource type)
/// or a role definition (`type` `BuiltInRole` or `CustomRole`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmObjectRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `expandedProperties` of requests, schedules and instances.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpandedProperties {
    #[serde(default)]
    pub scope: Option<ArmObjectRef>,
    #[serde(default)]
    pub role_definition: Option<ArmObjectRef>,
    #[serde(default)]
    pub principal: Option<ArmPrincipal>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_read_any_case_and_write_pascal_case() {
        let r: RequestType = serde_json::from_str(r#""adminassign""#).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), r#""AdminAssign""#);
        let e: Expiration =
            serde_json::from_str(r#"{"type":"afterDuration","duration":"PT8H","x":1}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"AfterDuration","endDateTime":null,"duration":"PT8H"}"#
        );
        assert!(serde_json::from_str::<RequestType>(r#""AdminDestroy""#).is_err());
        assert_eq!(ArmStatus::ALL.len(), 22);
    }

    #[test]
    fn cloud_errors_write_code_and_message_only() {
        let e = CloudError::new("InputPolicyNotFound", "no such policy");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":{"code":"InputPolicyNotFound","message":"no such policy"}}"#
        );
        let read: CloudError =
            serde_json::from_str(r#"{"error":{"code":"X","message":"m","details":[{"code":"Y","message":"n"}],"additionalInfo":[]}}"#)
                .unwrap();
        assert_eq!(read.error.details[0].code, "Y");
    }
}
