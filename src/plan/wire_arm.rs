//! "How to write it" for Azure resource roles: Azure Resource Manager's `Microsoft.Authorization` requests (digest
//! §9). Schedule requests are `PUT {scope}/providers/Microsoft.Authorization/role{Eligibility,Assignment}
//! ScheduleRequests/{name}` with `{name}` a GUID pimctl chooses ([`request_name`]: derived from the plan and the
//! change, so a resent request is the same request and ARM answers it as done); policies are `PATCH {policy id}`
//! with the changed rule (ARM takes a partial rule list).

use super::{Found, Meaning, Method, Operation};
use crate::graph::arm::{
    ArmPolicyRule, Expiration, NewArmRequest, NewArmRequestProperties, PROVIDER, PolicyPatch,
    PolicyPatchProperties, RequestType, ScheduleInfo,
};
use crate::graph::{PolicyRule, ScheduleRequestAction};
use crate::model::{AssignmentKind, RuleId};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The role definition id ARM wants in requests: the full id below the target's scope.
pub fn role_definition_id(scope_path: &str, guid: &str) -> String {
    format!("{scope_path}/providers/{PROVIDER}/roleDefinitions/{guid}")
}

/// The ARM request type of a Graph-style action.
pub fn request_type(action: ScheduleRequestAction) -> RequestType {
    match action {
        ScheduleRequestAction::AdminRemove => RequestType::AdminRemove,
        ScheduleRequestAction::AdminUpdate => RequestType::AdminUpdate,
        ScheduleRequestAction::AdminExtend => RequestType::AdminExtend,
        ScheduleRequestAction::AdminRenew => RequestType::AdminRenew,
        _ => RequestType::AdminAssign,
    }
}

/// The collection path of a target's schedule requests of one kind (without the request's name).
pub fn requests_collection(scope_path: &str, kind: AssignmentKind) -> String {
    format!(
        "{scope_path}/providers/{PROVIDER}/{}",
        super::wire::requests_path(crate::model::Surface::AzureRole, kind)
    )
}

/// An assignment request as an ARM `PUT`. The name is a placeholder derived from the meaning alone; plan
/// ([`name_requests`]) replaces it with one derived from the plan too.
pub(crate) fn schedule(
    found: &Found,
    kind: AssignmentKind,
    action: ScheduleRequestAction,
    principal: &str,
    until: Option<Option<DateTime<Utc>>>,
    justification: String,
) -> Operation {
    let target = &found.key;
    let scope_path = target
        .arm_scope()
        .map(|s| s.path())
        .unwrap_or_else(|| target.scope.clone());
    let properties = NewArmRequestProperties {
        principal_id: Some(principal.to_string()),
        role_definition_id: Some(found.role_id.clone()),
        request_type: Some(request_type(action)),
        schedule_info: until.map(|u| ScheduleInfo {
            start_date_time: None,
            expiration: Some(match u {
                Some(end) => Expiration::after_date_time(end),
                None => Expiration::no_expiration(),
            }),
        }),
        justification: Some(justification),
        ..Default::default()
    };
    let meaning = Meaning::Assignment {
        target: target.clone(),
        principal: principal.to_lowercase(),
        kind,
        action,
        end: until.flatten(),
    };
    let name = request_name("", &meaning);
    Operation {
        meaning,
        method: Method::Put,
        path: format!("{}/{name}", requests_collection(&scope_path, kind)),
        body: serde_json::to_value(NewArmRequest { properties }).unwrap_or_default(),
    }
}

/// One rule of a policy, as an ARM `PATCH` of the policy with that rule alone. `policy_id` is the policy's full ARM
/// id.
pub(crate) fn patch_policy(
    found: &Found,
    rule_id: RuleId,
    policy_id: &str,
    rule: &PolicyRule,
) -> Operation {
    let mut rules: Vec<ArmPolicyRule> = ArmPolicyRule::from_graph(rule, None).into_iter().collect();
    // ARM refuses a maximum duration on assignments that need not expire (EasyPIM#272): it means nothing there.
    for r in &mut rules {
        if let ArmPolicyRule::Expiration(e) = r
            && e.is_expiration_required == Some(false)
        {
            e.maximum_duration = None;
        }
    }
    Operation {
        meaning: Meaning::PatchRule {
            target: found.key.clone(),
            rule: rule_id,
        },
        method: Method::Patch,
        path: policy_id.to_string(),
        body: serde_json::to_value(PolicyPatch {
            properties: PolicyPatchProperties { rules },
        })
        .unwrap_or_default(),
    }
}

/// The `{name}` of a schedule request: a GUID from the plan's clock and the change's meaning. Within one plan a
/// resent request is the same request (ARM answers an existing name with the request it made); the same change in a
/// later plan is a new request, which ARM carries out again.
pub fn request_name(plan_seed: &str, meaning: &Meaning) -> String {
    let mut h = Sha256::new();
    h.update(b"pimctl-arm-request\0");
    h.update(plan_seed.as_bytes());
    h.update(b"\0");
    h.update(serde_json::to_vec(meaning).unwrap_or_default());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Carries each ABAC condition into the ARM requests that create or update its assignment, so that a write never
/// drops one (a removal needs none): the declared condition, else the one the tenant holds on that assignment (or,
/// for a conversion, on the assignment of the other kind it replaces).
pub(crate) fn add_conditions(
    changes: &mut [super::Change],
    desired: &crate::model::DesiredState,
    live: &crate::model::LiveState,
    index: &crate::model::LiveIndex<'_>,
) {
    for c in changes {
        for op in &mut c.operations {
            let Meaning::Assignment {
                target,
                principal,
                kind,
                action,
                ..
            } = &op.meaning
            else {
                continue;
            };
            if op.method != Method::Put || *action == ScheduleRequestAction::AdminRemove {
                continue;
            }
            let condition = desired
                .targets
                .get(target)
                .and_then(|t| t.assignments(*kind))
                .unwrap_or_default()
                .iter()
                .find(|a| {
                    live.id_of(&a.principal)
                        .is_some_and(|id| id.eq_ignore_ascii_case(principal))
                })
                .and_then(|a| a.condition.clone())
                .or_else(|| held_condition(index, target, principal, *kind));
            if let (Some(cond), Some(props)) = (
                condition,
                op.body
                    .get_mut("properties")
                    .and_then(|p| p.as_object_mut()),
            ) {
                props.insert("condition".into(), cond.condition.into());
                // ARM returns a condition with its version; one read without it is written as the only version
                // ARM accepts.
                let version = if cond.version.is_empty() {
                    "2.0".to_string()
                } else {
                    cond.version
                };
                props.insert("conditionVersion".into(), version.into());
            }
        }
    }
}

/// The condition the tenant holds on a principal's direct assignment of a target: of this kind, else of the other.
fn held_condition(
    index: &crate::model::LiveIndex<'_>,
    target: &crate::model::TargetKey,
    principal: &str,
    kind: AssignmentKind,
) -> Option<crate::model::AbacCondition> {
    let other = match kind {
        AssignmentKind::Eligible => AssignmentKind::Active,
        AssignmentKind::Active => AssignmentKind::Eligible,
    };
    index
        .direct(target, principal, kind)
        .or_else(|| index.direct(target, principal, other))
        .and_then(|(_, a)| a.condition.clone())
}

/// Gives every ARM schedule request of a plan its final name, from the plan's clock (`read_at`) and its meaning.
pub(crate) fn name_requests(changes: &mut [super::Change], read_at: DateTime<Utc>) {
    let seed = read_at.to_rfc3339();
    for c in changes {
        for op in &mut c.operations {
            let azure = matches!(&op.meaning, Meaning::Assignment { target, .. }
                if target.surface == crate::model::Surface::AzureRole);
            if op.method != Method::Put || !azure {
                continue;
            }
            if let Some((collection, _)) = op.path.rsplit_once('/') {
                op.path = format!("{collection}/{}", request_name(&seed, &op.meaning));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RoleKey, TargetKey};

    #[test]
    fn request_names_are_stable_within_a_plan_and_new_in_the_next() {
        let scope = crate::graph::arm::ArmScope::parse(
            "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f",
        )
        .unwrap();
        let m = Meaning::Assignment {
            target: TargetKey::azure_role(
                &scope,
                RoleKey("8e3af657-a8ff-443c-a75c-2fe8c4bcb635".into()),
            ),
            principal: "p".into(),
            kind: AssignmentKind::Eligible,
            action: ScheduleRequestAction::AdminAssign,
            end: None,
        };
        let a = request_name("2026-11-21T09:00:00+00:00", &m);
        assert_eq!(a, request_name("2026-11-21T09:00:00+00:00", &m));
        assert_ne!(a, request_name("2026-11-22T09:00:00+00:00", &m));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        let Meaning::Assignment { .. } = &m else {
            unreachable!()
        };
        let mut other = m.clone();
        if let Meaning::Assignment { principal, .. } = &mut other {
            *principal = "q".into();
        }
        assert_ne!(a, request_name("2026-11-21T09:00:00+00:00", &other));
    }
}
