//! Role definitions, schedule requests, schedules and schedule instances (`/roleManagement/directory/...`).

use super::common::{IdentitySet, RequestSchedule, TicketInfo};
use super::directory::DirectoryObject;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

graph_enum! {
    /// `unifiedRoleScheduleRequestActions`.
    ScheduleRequestAction {
        AdminAssign = "adminAssign",
        AdminUpdate = "adminUpdate",
        AdminRemove = "adminRemove",
        SelfActivate = "selfActivate",
        SelfDeactivate = "selfDeactivate",
        AdminExtend = "adminExtend",
        AdminRenew = "adminRenew",
        SelfExtend = "selfExtend",
        SelfRenew = "selfRenew",
        UnknownFutureValue = "unknownFutureValue",
    }
}

graph_enum! {
    /// `request.status`.
    RequestStatus {
        Canceled = "Canceled",
        Denied = "Denied",
        Failed = "Failed",
        Granted = "Granted",
        PendingAdminDecision = "PendingAdminDecision",
        PendingApproval = "PendingApproval",
        PendingProvisioning = "PendingProvisioning",
        PendingScheduleCreation = "PendingScheduleCreation",
        Provisioned = "Provisioned",
        Revoked = "Revoked",
        ScheduleCreated = "ScheduleCreated",
    }
}

graph_enum! {
    /// `assignmentType` of active assignments: made by an admin, or activated from an eligibility.
    AssignmentType {
        Assigned = "Assigned",
        Activated = "Activated",
    }
}

graph_enum! {
    /// `memberType`: how the principal holds the assignment.
    MemberType {
        Inherited = "Inherited",
        Direct = "Direct",
        Group = "Group",
    }
}

/// A reference to an entity by id (`inheritsPermissionsFrom` items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRef {
    pub id: String,
}

/// `unifiedRoleDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleDefinition {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_built_in: Option<bool>,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub resource_scopes: Vec<String>,
    /// For built-in roles, equal to `id`.
    #[serde(default)]
    pub template_id: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub role_permissions: Vec<UnifiedRolePermission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherits_permissions_from: Option<Vec<EntityRef>>,
}

/// `unifiedRolePermission`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRolePermission {
    #[serde(default)]
    pub allowed_resource_actions: Vec<String>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_resource_actions: Vec<String>,
}

/// The body of `POST .../roleEligibilityScheduleRequests` and `.../roleAssignmentScheduleRequests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewScheduleRequest {
    pub action: ScheduleRequestAction,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_scope_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_scope_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_info: Option<TicketInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_validation_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// `unifiedRoleEligibilityScheduleRequest` and `unifiedRoleAssignmentScheduleRequest` (their structural
/// properties are the same; only their navigation properties differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleScheduleRequest {
    pub id: String,
    pub status: RequestStatus,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub approval_id: Option<String>,
    #[serde(default)]
    pub custom_data: Option<String>,
    pub action: ScheduleRequestAction,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub app_scope_id: Option<String>,
    #[serde(default)]
    pub is_validation_only: bool,
    #[serde(default)]
    pub target_schedule_id: Option<String>,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub created_by: Option<IdentitySet>,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default)]
    pub ticket_info: Option<TicketInfo>,
}

/// `unifiedRoleEligibilitySchedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleEligibilitySchedule {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub app_scope_id: Option<String>,
    #[serde(default)]
    pub created_using: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    /// The principal, when `$expand=principal` asked for it.
    #[serde(
        default,
        deserialize_with = "lenient_principal",
        skip_serializing_if = "Option::is_none"
    )]
    pub principal: Option<DirectoryObject>,
}

/// `unifiedRoleAssignmentSchedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleAssignmentSchedule {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub app_scope_id: Option<String>,
    #[serde(default)]
    pub created_using: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub assignment_type: Option<AssignmentType>,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    /// The principal, when `$expand=principal` asked for it.
    #[serde(
        default,
        deserialize_with = "lenient_principal",
        skip_serializing_if = "Option::is_none"
    )]
    pub principal: Option<DirectoryObject>,
}

/// An expanded `principal` of a type pimctl does not model (or a malformed one) reads as absent rather than
/// failing the whole page: the schedule still names its `principalId`.
pub(crate) fn lenient_principal<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DirectoryObject>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// `unifiedRoleEligibilityScheduleInstance`: an eligibility in effect now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleEligibilityScheduleInstance {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub app_scope_id: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub role_eligibility_schedule_id: Option<String>,
}

/// `unifiedRoleAssignmentScheduleInstance`: an active assignment in effect now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleAssignmentScheduleInstance {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    #[serde(default)]
    pub app_scope_id: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub assignment_type: Option<AssignmentType>,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub role_assignment_origin_id: Option<String>,
    #[serde(default)]
    pub role_assignment_schedule_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_requests_parse() {
        let body = r#"{"action":"AdminAssign","justification":"x","roleDefinitionId":"r","directoryScopeId":"/",
            "principalId":"p","scheduleInfo":{"startDateTime":"2021-07-01T00:00:00Z",
            "expiration":{"endDateTime":"2022-06-30T00:00:00Z","type":"AfterDateTime"}}}"#;
        let r: NewScheduleRequest = serde_json::from_str(body).unwrap();
        assert_eq!(r.action, ScheduleRequestAction::AdminAssign);
        assert_eq!(
            serde_json::to_value(r.action).unwrap(),
            serde_json::json!("adminAssign")
        );
    }
}
