//! Role definitions, schedule requests, schedules and instances on ARM (digest §9).
//!
//! Eligibility and assignment resources differ in a few key names (`targetRoleEligibilityScheduleId` /
//! `targetRoleAssignmentScheduleId`, ...), so each has its own type; what they share is flattened in.

use super::{
    ArmAssignmentType, ArmMemberType, ArmStatus, ArmTicketInfo, ExpandedProperties, PrincipalType,
    RequestType, ScheduleInfo,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `roleDefinition.properties` (the 2022-04-01 shape, which 2020-10-01 clients read alike).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    #[serde(default)]
    pub role_name: Option<String>,
    /// `BuiltInRole` or `CustomRole`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// The api-version of role definition lists: Microsoft's published examples of `RoleDefinitions_List`, and the one
/// the custom-role REST guide uses.
pub const ROLE_DEFINITIONS_API_VERSION: &str = "2022-04-01";

/// The custom roles ARM lists at a scope: those assignable at it or above
/// (`GET {scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=type+eq+'CustomRole'`); at tenant level
/// (`scope` none), every custom role of the tenant, whatever its assignable scopes.
pub fn custom_roles_path(scope: Option<&super::ArmScope>) -> String {
    format!(
        "{}/providers/{}/roleDefinitions?$filter=type+eq+'CustomRole'&api-version={ROLE_DEFINITIONS_API_VERSION}",
        scope.map(super::ArmScope::path).unwrap_or_default(),
        super::PROVIDER
    )
}

/// One `permissions` entry of a role definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
}

/// What every schedule request carries, eligible or active.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCommon {
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub role_definition_id: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub principal_type: Option<PrincipalType>,
    #[serde(default)]
    pub request_type: Option<RequestType>,
    #[serde(default)]
    pub status: Option<ArmStatus>,
    #[serde(default)]
    pub approval_id: Option<String>,
    #[serde(default)]
    pub schedule_info: Option<ScheduleInfo>,
    #[serde(default)]
    pub ticket_info: Option<ArmTicketInfo>,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub requestor_id: Option<String>,
    #[serde(default)]
    pub created_on: Option<DateTime<Utc>>,
    /// An ABAC condition; never dropped.
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub condition_version: Option<String>,
    #[serde(default)]
    pub expanded_properties: Option<ExpandedProperties>,
}

/// `roleEligibilityScheduleRequest.properties` as ARM answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityRequestProperties {
    #[serde(default)]
    pub target_role_eligibility_schedule_id: Option<String>,
    #[serde(default)]
    pub target_role_eligibility_schedule_instance_id: Option<String>,
    #[serde(flatten)]
    pub common: RequestCommon,
}

/// `roleAssignmentScheduleRequest.properties` as ARM answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentRequestProperties {
    #[serde(default)]
    pub target_role_assignment_schedule_id: Option<String>,
    #[serde(default)]
    pub target_role_assignment_schedule_instance_id: Option<String>,
    #[serde(flatten)]
    pub common: RequestCommon,
    /// Activations: the eligibility used. Written only when set (ARM's answers leave it out otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_role_eligibility_schedule_id: Option<String>,
}

/// The body of `PUT .../roleEligibilityScheduleRequests/{name}` or `.../roleAssignmentScheduleRequests/{name}`:
/// `{"properties": {...}}`, only what is set written. Required: `principalId`, `roleDefinitionId`, `requestType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewArmRequest {
    pub properties: NewArmRequestProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewArmRequestProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_type: Option<RequestType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_role_eligibility_schedule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_role_eligibility_schedule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_role_assignment_schedule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_info: Option<ScheduleInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_info: Option<ArmTicketInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
}

/// What schedules and instances share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleCommon {
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub role_definition_id: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub principal_type: Option<PrincipalType>,
    #[serde(default)]
    pub status: Option<ArmStatus>,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    /// `Inherited` when held at a scope above the one listed; `Direct` otherwise.
    #[serde(default)]
    pub member_type: Option<ArmMemberType>,
    #[serde(default)]
    pub created_on: Option<DateTime<Utc>>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub condition_version: Option<String>,
    #[serde(default)]
    pub expanded_properties: Option<ExpandedProperties>,
}

/// `roleEligibilitySchedule.properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityScheduleProperties {
    #[serde(default)]
    pub role_eligibility_schedule_request_id: Option<String>,
    #[serde(flatten)]
    pub common: ScheduleCommon,
    #[serde(default)]
    pub updated_on: Option<DateTime<Utc>>,
}

/// `roleAssignmentSchedule.properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentScheduleProperties {
    #[serde(default)]
    pub role_assignment_schedule_request_id: Option<String>,
    #[serde(default)]
    pub linked_role_eligibility_schedule_id: Option<String>,
    #[serde(default)]
    pub assignment_type: Option<ArmAssignmentType>,
    #[serde(flatten)]
    pub common: ScheduleCommon,
    #[serde(default)]
    pub updated_on: Option<DateTime<Utc>>,
}

/// `roleEligibilityScheduleInstance.properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityInstanceProperties {
    #[serde(default)]
    pub role_eligibility_schedule_id: Option<String>,
    #[serde(flatten)]
    pub common: ScheduleCommon,
}

/// `roleAssignmentScheduleInstance.properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentInstanceProperties {
    #[serde(default)]
    pub origin_role_assignment_id: Option<String>,
    #[serde(default)]
    pub linked_role_eligibility_schedule_id: Option<String>,
    #[serde(default)]
    pub linked_role_eligibility_schedule_instance_id: Option<String>,
    #[serde(default)]
    pub assignment_type: Option<ArmAssignmentType>,
    #[serde(default)]
    pub role_assignment_schedule_id: Option<String>,
    #[serde(flatten)]
    pub common: ScheduleCommon,
}
