//! What apply needs to know of each surface, and nothing more: whether a request is the one its meaning describes,
//! which error answers mean "already done", and the read that says whether the tenant holds what a request asked
//! for (after a lost answer, or to confirm "already done"). The executor in `apply` is the same for every surface.

use crate::graph::client::{ClientError, GraphClient};
use crate::graph::review::{AccessReviewScheduleDefinition, DEFINITIONS_PATH};
use crate::graph::{
    AssignmentType, GroupAssignmentSchedule, GroupEligibilitySchedule, RequestSchedule,
    ScheduleRequestAction, UnifiedRoleAssignmentSchedule, UnifiedRoleManagementPolicyAssignment,
};
use crate::model::{AssignmentKind, Surface, TargetKey, canonical_scope};
use crate::plan::wire::{group_access, requests_path, review_path, rule_path, same_review};
use crate::plan::{Meaning, Method, Operation, ReviewWrite};
use serde_json::Value;

/// Whether the request (method, path, body) is exactly the write its meaning describes: a hand-edited plan file
/// cannot send one thing while showing another. A rule PATCH is also checked against the tenant (its policy must be
/// its target's) by [`super::misdirected_writes`].
pub(crate) fn addresses_its_meaning(op: &Operation) -> bool {
    if op.meaning.target().surface == Surface::AzureRole {
        return super::adapter_arm::addresses_its_meaning(op);
    }
    let body = |k: &str| op.body.get(k).and_then(Value::as_str);
    match &op.meaning {
        Meaning::PatchRule { rule, .. } => {
            op.method == Method::Patch
                && policy_of(op).is_some_and(|p| op.path == rule_path(p, rule.as_str()))
                && body("id") == Some(rule.as_str())
        }
        Meaning::Assignment {
            target,
            principal,
            kind,
            action,
            ..
        } => {
            let action_matches = op
                .body
                .get("action")
                .and_then(|a| serde_json::from_value::<ScheduleRequestAction>(a.clone()).ok())
                .is_some_and(|a| &a == action);
            let names_target = match target.surface {
                Surface::DirectoryRole => {
                    body("roleDefinitionId").is_some_and(|r| r.eq_ignore_ascii_case(&target.role.0))
                        && canonical_scope(body("directoryScopeId").unwrap_or("/")) == target.scope
                }
                Surface::Group => {
                    body("groupId").is_some_and(|g| g.eq_ignore_ascii_case(&target.scope))
                        && group_access(&target.role.0).is_some_and(|a| {
                            op.body.get("accessId") == serde_json::to_value(a).ok().as_ref()
                        })
                }
                Surface::AzureRole => false, // checked by `adapter_arm` above
            };
            op.method == Method::Post
                && op.path == requests_path(target.surface, *kind)
                && body("principalId").is_some_and(|p| p.eq_ignore_ascii_case(principal))
                && action_matches
                && names_target
        }
        Meaning::Review { target, write } => review_addresses_its_meaning(op, target, write),
    }
}

/// Whether a review write is the one its meaning describes: the definitions collection or the definition it
/// names, with a body whose scope reviews its target.
fn review_addresses_its_meaning(op: &Operation, target: &TargetKey, write: &ReviewWrite) -> bool {
    let reviews_target = || {
        serde_json::from_value::<AccessReviewScheduleDefinition>(op.body.clone())
            .ok()
            .and_then(|d| crate::observe::reviews::target_of(&d))
            .is_some_and(|t| &t == target)
    };
    match write {
        ReviewWrite::Create => {
            op.method == Method::Post && op.path == DEFINITIONS_PATH && reviews_target()
        }
        ReviewWrite::Update { id } => {
            op.method == Method::Put && op.path == review_path(id) && reviews_target()
        }
        ReviewWrite::Delete { id } => op.method == Method::Delete && op.path == review_path(id),
    }
}

/// Whether the tenant already holds the review a create asked for: one list of the definitions (every page), and
/// one of the target's that is the same review. A create whose answer was lost is sent again only when there is
/// none, so that no definition is created twice.
pub(crate) async fn review_in_effect(
    client: &GraphClient,
    target: &TargetKey,
    body: &Value,
) -> Result<bool, ClientError> {
    let Ok(wanted) = serde_json::from_value::<AccessReviewScheduleDefinition>(body.clone()) else {
        return Ok(false);
    };
    let listed: Vec<AccessReviewScheduleDefinition> = client.list_all(DEFINITIONS_PATH).await?;
    Ok(listed.iter().any(|d| {
        crate::observe::reviews::target_of(d).as_ref() == Some(target) && same_review(d, &wanted)
    }))
}

/// The policy id a rule PATCH's path names.
pub(crate) fn policy_of(op: &Operation) -> Option<&str> {
    let rest = op.path.strip_prefix("/policies/roleManagementPolicies/")?;
    Some(rest.split_once("/rules/")?.0)
}

/// Where a rule PATCH goes when its policy is gone (404): a group's policies take new ids when the group is first
/// onboarded to PIM, by its first policy update or schedule request (digest §11.6), so a plan made of a group not yet
/// onboarded names ids that the first write of the same apply retires. The id of the policy the tenant now holds
/// for the same target, when that is another policy; `None` for directory roles, whose policies never move. One
/// filtered read of the group's policy assignments.
pub(crate) async fn moved_policy(
    client: &GraphClient,
    op: &Operation,
) -> Result<Option<String>, ClientError> {
    let Meaning::PatchRule { target, .. } = &op.meaning else {
        return Ok(None);
    };
    if target.surface != Surface::Group {
        return Ok(None);
    }
    let q = |s: &str| s.replace('\'', "''");
    let path = format!(
        "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '{}' and scopeType eq 'Group' and roleDefinitionId eq '{}'",
        q(&target.scope),
        q(&target.role.0)
    );
    let assignments: Vec<UnifiedRoleManagementPolicyAssignment> = client.list_all(&path).await?;
    let now = assignments
        .iter()
        .filter(|a| {
            a.scope_id.eq_ignore_ascii_case(&target.scope)
                && a.role_definition_id
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&target.role.0))
        })
        .map(|a| a.policy_id.as_str())
        .collect::<Vec<_>>();
    Ok(match now[..] {
        [id] if policy_of(op).is_none_or(|old| !old.eq_ignore_ascii_case(id)) => {
            Some(id.to_string())
        }
        _ => None,
    })
}

/// Whether an error says the tenant is already as the request wanted (the same codes on every PIM surface Graph
/// serves).
pub(crate) fn already(action: &ScheduleRequestAction, e: &ClientError) -> bool {
    match (action, e.code()) {
        (ScheduleRequestAction::AdminAssign, Some(c)) => {
            c.eq_ignore_ascii_case("RoleAssignmentExists")
        }
        (ScheduleRequestAction::AdminRemove, Some(c)) => {
            c.eq_ignore_ascii_case("RoleAssignmentDoesNotExist")
        }
        _ => false,
    }
}

/// Whether the tenant already holds what an assignment request asked for: an assignment of the principal to the
/// target with the requested end (create, update), or none (remove). One filtered read of the target's schedules;
/// an activation in progress is not an assignment.
pub(crate) async fn in_effect(
    client: &GraphClient,
    target: &TargetKey,
    principal: &str,
    kind: AssignmentKind,
    action: &ScheduleRequestAction,
    end: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<bool, ClientError> {
    let q = |s: &str| s.replace('\'', "''");
    let held: Vec<Option<RequestSchedule>> = match target.surface {
        // Read through ARM (`adapter_arm::in_effect`), not Graph.
        Surface::AzureRole => {
            return Err(ClientError::Invalid(
                "an Azure role's assignments are read through ARM".into(),
            ));
        }
        Surface::DirectoryRole => {
            let collection = match kind {
                AssignmentKind::Eligible => "roleEligibilitySchedules",
                AssignmentKind::Active => "roleAssignmentSchedules",
            };
            let path = format!(
                "/roleManagement/directory/{collection}?$filter=principalId eq '{}' and roleDefinitionId eq '{}'",
                q(principal),
                q(&target.role.0)
            );
            let schedules: Vec<UnifiedRoleAssignmentSchedule> = client.list_all(&path).await?;
            schedules
                .into_iter()
                .filter(|s| s.assignment_type != Some(AssignmentType::Activated))
                .filter(|s| {
                    canonical_scope(s.directory_scope_id.as_deref().unwrap_or("/")) == target.scope
                })
                .map(|s| s.schedule_info)
                .collect()
        }
        Surface::Group => {
            let access = group_access(&target.role.0);
            let filter = format!(
                "$filter=groupId eq '{}' and principalId eq '{}'",
                q(&target.scope),
                q(principal)
            );
            let base = "/identityGovernance/privilegedAccess/group";
            match kind {
                AssignmentKind::Eligible => {
                    let path = format!("{base}/eligibilitySchedules?{filter}");
                    let schedules: Vec<GroupEligibilitySchedule> = client.list_all(&path).await?;
                    schedules
                        .into_iter()
                        .filter(|s| Some(&s.access_id) == access.as_ref())
                        .map(|s| s.schedule_info)
                        .collect()
                }
                AssignmentKind::Active => {
                    let path = format!("{base}/assignmentSchedules?{filter}");
                    let schedules: Vec<GroupAssignmentSchedule> = client.list_all(&path).await?;
                    schedules
                        .into_iter()
                        .filter(|s| Some(&s.access_id) == access.as_ref())
                        .filter(|s| s.assignment_type != Some(AssignmentType::Activated))
                        .map(|s| s.schedule_info)
                        .collect()
                }
            }
        }
    };
    let wanted_end = end.map(|t| t.timestamp());
    Ok(match action {
        ScheduleRequestAction::AdminRemove => held.is_empty(),
        _ => held.iter().any(|info| {
            info.as_ref()
                .and_then(|i| i.expiration.as_ref())
                .and_then(|e| e.end_date_time)
                .map(|t| t.timestamp())
                == wanted_end
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupAccess, RoleKey};
    use crate::plan::{Found, wire};

    fn found(key: TargetKey, role_id: &str) -> Found {
        Found {
            key,
            name: "n".into(),
            privileged: false,
            tier0: false,
            is_global_admin: false,
            role_id: role_id.into(),
        }
    }

    #[test]
    fn a_directory_role_request_is_checked_against_its_meaning() {
        let f = found(TargetKey::directory_role(RoleKey("r1".into())), "r1");
        let op = wire::schedule(
            &f,
            AssignmentKind::Eligible,
            ScheduleRequestAction::AdminAssign,
            "P1",
            Some(None),
            "j".into(),
        );
        assert!(addresses_its_meaning(&op));
        let edits: [(&str, Value); 4] = [
            ("roleDefinitionId", "r2".into()),
            ("directoryScopeId", "/administrativeUnits/x".into()),
            ("principalId", "p2".into()),
            ("action", "adminRemove".into()),
        ];
        for (field, value) in edits {
            let mut other = op.clone();
            other.body[field] = value;
            assert!(!addresses_its_meaning(&other), "{field}");
        }
        let mut other = op.clone();
        other.path = requests_path(Surface::DirectoryRole, AssignmentKind::Active).into();
        assert!(!addresses_its_meaning(&other));
    }

    #[test]
    fn a_group_request_names_the_group_and_the_access() {
        let f = found(TargetKey::group("G1", GroupAccess::Owner), "owner");
        let op = wire::schedule(
            &f,
            AssignmentKind::Active,
            ScheduleRequestAction::AdminRemove,
            "p",
            None,
            "j".into(),
        );
        assert_eq!(
            op.path,
            "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
        );
        assert_eq!(op.body["accessId"], "owner");
        assert_eq!(op.body["groupId"], "g1");
        assert!(op.body.get("scheduleInfo").is_none());
        assert!(addresses_its_meaning(&op));
        let mut other = op.clone();
        other.body["accessId"] = "member".into();
        assert!(!addresses_its_meaning(&other));
    }
}
