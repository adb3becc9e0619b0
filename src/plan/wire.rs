//! "How to write it": the exact Graph request that carries out an operation, per surface. The planner decides what
//! to write (a [`Meaning`]); this module is the only place that knows each surface's endpoints and body shapes.

use super::{Found, Meaning, Method, Operation};
use crate::graph::{
    AccessId, ExpirationPattern, NewGroupScheduleRequest, NewScheduleRequest, PolicyRule,
    RequestSchedule, ScheduleRequestAction,
};
use crate::model::{AssignmentKind, GroupAccess, RuleId, Surface};
use chrono::{DateTime, Utc};

mod review;
pub(crate) use review::{review_create, review_definition, review_delete, review_update};
pub use review::{review_path, same_review};

/// Replace one rule of a target's policy: `PATCH /policies/roleManagementPolicies/{policy}/rules/{rule}` with the
/// whole rule (directory roles and groups: Graph), or `PATCH {policy id}` with that one rule
/// (`{"properties":{"rules":[…]}}`: ARM takes a partial rule list) for an Azure role, whose `policy_id` is the
/// policy's full ARM id.
pub(crate) fn patch_rule(
    found: &Found,
    rule_id: RuleId,
    policy_id: &str,
    rule: &PolicyRule,
) -> Operation {
    if found.key.surface == Surface::AzureRole {
        return super::wire_arm::patch_policy(found, rule_id, policy_id, rule);
    }
    Operation {
        meaning: Meaning::PatchRule {
            target: found.key.clone(),
            rule: rule_id,
        },
        method: Method::Patch,
        path: rule_path(policy_id, rule_id.as_str()),
        body: serde_json::to_value(rule).unwrap_or_default(),
    }
}

/// The path of a policy rule.
pub fn rule_path(policy_id: &str, rule_id: &str) -> String {
    format!(
        "/policies/roleManagementPolicies/{}/rules/{}",
        encode(policy_id),
        encode(rule_id)
    )
}

/// The collection a surface's schedule requests of one kind are posted to.
pub fn requests_path(surface: Surface, kind: AssignmentKind) -> &'static str {
    match (surface, kind) {
        (Surface::DirectoryRole, AssignmentKind::Eligible) => {
            "/roleManagement/directory/roleEligibilityScheduleRequests"
        }
        (Surface::DirectoryRole, AssignmentKind::Active) => {
            "/roleManagement/directory/roleAssignmentScheduleRequests"
        }
        (Surface::Group, AssignmentKind::Eligible) => {
            "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests"
        }
        (Surface::Group, AssignmentKind::Active) => {
            "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
        }
        // ARM: the collection below the scope's `providers/Microsoft.Authorization` (see `wire_arm`).
        (Surface::AzureRole, AssignmentKind::Eligible) => "roleEligibilityScheduleRequests",
        (Surface::AzureRole, AssignmentKind::Active) => "roleAssignmentScheduleRequests",
    }
}

/// The group access a group target's role names.
pub fn group_access(role: &str) -> Option<AccessId> {
    [GroupAccess::Member, GroupAccess::Owner]
        .into_iter()
        .find(|a| a.as_str() == role)
        .map(|a| match a {
            GroupAccess::Member => AccessId::Member,
            GroupAccess::Owner => AccessId::Owner,
        })
}

/// An assignment request: `until` is `None` for a removal (no schedule), `Some(None)` for a permanent assignment,
/// `Some(Some(end))` for one that ends.
pub(crate) fn schedule(
    found: &Found,
    kind: AssignmentKind,
    action: ScheduleRequestAction,
    principal: &str,
    until: Option<Option<DateTime<Utc>>>,
    justification: String,
) -> Operation {
    let schedule_info = until.map(|u| RequestSchedule {
        start_date_time: None,
        recurrence: None,
        expiration: Some(match u {
            Some(end) => ExpirationPattern::after_date_time(end),
            None => ExpirationPattern::no_expiration(),
        }),
    });
    let target = &found.key;
    if target.surface == Surface::AzureRole {
        return super::wire_arm::schedule(found, kind, action, principal, until, justification);
    }
    let body = match target.surface {
        Surface::DirectoryRole => serde_json::to_value(NewScheduleRequest {
            action,
            principal_id: principal.to_string(),
            role_definition_id: found.role_id.clone(),
            directory_scope_id: Some(target.scope.clone()),
            app_scope_id: None,
            justification: Some(justification),
            schedule_info,
            ticket_info: None,
            is_validation_only: None,
            custom_data: None,
        }),
        Surface::Group => serde_json::to_value(NewGroupScheduleRequest {
            access_id: group_access(&target.role.0).unwrap_or(AccessId::UnknownFutureValue),
            principal_id: principal.to_string(),
            group_id: target.scope.clone(),
            action,
            schedule_info,
            justification: Some(justification),
            ticket_info: None,
            is_validation_only: None,
            custom_data: None,
        }),
        Surface::AzureRole => Ok(serde_json::Value::Null),
    }
    .unwrap_or_default();
    Operation {
        meaning: Meaning::Assignment {
            target: target.clone(),
            principal: principal.to_lowercase(),
            kind,
            action,
            end: until.flatten(),
        },
        method: Method::Post,
        path: requests_path(target.surface, kind).to_string(),
        body,
    }
}

/// A path segment, escaped (ids are GUIDs and rule names; nothing else is expected, nothing else is trusted).
pub fn encode(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}
