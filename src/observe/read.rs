//! Reading the live tenant in bulk: a handful of list calls, run concurrently, plus `$batch` lookups for declared
//! principals that no schedule named.
//!
//! The calls (each may take several pages):
//! 1. `roleDefinitions`;
//! 2. `roleManagementPolicyAssignments` with `$expand=policy($expand=rules)`: every role's policy and its 17 rules
//!    in one list (the docs state this expansion);
//! 3. `roleEligibilitySchedules?$expand=principal(...)` (with `userType` and `onPremisesSyncEnabled`, for `lint`);
//! 4. `roleAssignmentSchedules?$expand=principal(...)`;
//! 5. `roleAssignmentScheduleInstances?$filter=assignmentType eq 'Activated'`: the activations in effect.
//!
//! With them, the declared groups are looked up (`groups::resolve`, one `$batch`); then the PIM state of the groups
//! found is read in `$batch` (`groups::read`), before the principals are resolved.
//!
//! Requests are never read: Graph purges them after about 45 days (azuread#1306). No `$top` is sent: the docs
//! state no page size for these lists.

use super::principals;
use super::rules::observed_settings;
use crate::catalog;
use crate::graph::client::{ClientError, GraphClient};
use crate::graph::{
    AssignmentType, DirectoryObject, MemberType, UnifiedRoleAssignmentSchedule,
    UnifiedRoleAssignmentScheduleInstance, UnifiedRoleDefinition, UnifiedRoleEligibilitySchedule,
    UnifiedRoleManagementPolicyAssignment,
};
use crate::model::{
    AssignmentKind, DesiredState, GroupAccess, LiveActivation, LiveAssignment, LivePolicy,
    LivePrincipal, LiveRole, LiveState, PrincipalKind, RoleKey, TargetKey,
};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

pub(crate) const ROLE_DEFINITIONS: &str =
    "/roleManagement/directory/roleDefinitions?$select=id,displayName,isBuiltIn,templateId";
pub(crate) const POLICY_ASSIGNMENTS: &str = "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=policy($expand=rules)";
pub(crate) const ELIGIBILITY_SCHEDULES: &str = "/roleManagement/directory/roleEligibilitySchedules?$expand=principal($select=id,displayName,userPrincipalName,appId,userType,onPremisesSyncEnabled)";
pub(crate) const ASSIGNMENT_SCHEDULES: &str = "/roleManagement/directory/roleAssignmentSchedules?$expand=principal($select=id,displayName,userPrincipalName,appId,userType,onPremisesSyncEnabled)";
pub(crate) const ACTIVATIONS: &str = "/roleManagement/directory/roleAssignmentScheduleInstances?$filter=assignmentType eq 'Activated'";

/// Reads everything a plan for `desired` needs from Graph (several desired states: the principals of each are
/// resolved, for a plan compared with a base declaration). `now` is the plan's clock (the tenant's, when known).
/// Azure resource roles are not read: [`read_with_azure`] reads them too.
pub async fn read_tenant(
    client: &GraphClient,
    desired: &[&DesiredState],
    now: DateTime<Utc>,
) -> Result<LiveState, ClientError> {
    read_with_azure(client, None, desired, now).await
}

/// Reads what a plan for `desired` needs from Graph and, when `arm` is given and Azure roles are declared, from
/// Azure Resource Manager. Once the tenant is named, everything that does not depend on another answer is read at
/// once: the five directory lists, the declared groups' lookup and then their PIM state, the review definitions,
/// and ARM's lists (its own client, with its own slots). Only the principals' lookup waits, for the names every
/// Graph schedule gave.
pub async fn read_with_azure(
    client: &GraphClient,
    arm: Option<&crate::graph::client::ArmClient>,
    desired: &[&DesiredState],
    now: DateTime<Utc>,
) -> Result<LiveState, ClientError> {
    tracing::info!("reading the tenant at {}", client.base_url());
    // First, so that nothing else is read from a tenant that cannot be named (apply checks it before any write).
    let (tenant, caller) = super::tenant::identify(client).await?;
    // The declared groups, looked up and then read while the lists are read: their PIM state needs only their ids.
    let groups = async {
        let mut part = LiveState {
            groups: super::groups::resolve(client, desired).await?,
            ..LiveState::default()
        };
        super::groups::read(client, &mut part).await?;
        Ok::<_, ClientError>(part)
    };
    let reviews = async {
        let mut part = LiveState::default();
        if super::reviews::wanted(desired) {
            super::reviews::read(client, &mut part).await?;
        }
        Ok::<_, ClientError>(part)
    };
    // ARM's lists, beside Graph's, in the ARM client's own slots (ARM's read limits are not Graph's).
    let azure_read = arm.and_then(|arm| Some((arm, super::azure::AzureRead::new(arm, desired)?)));
    let azure = async {
        match &azure_read {
            Some((arm, read)) => read.lists(arm, desired).await.map(Some),
            None => Ok(None),
        }
    };
    // When several fail, the error is the first in this order, whatever failed first.
    let (
        definitions,
        (policy_assignments, (eligible, (active, (activations, (groups, (reviews, azure)))))),
    ) = in_order(
        client.list_all::<UnifiedRoleDefinition>(ROLE_DEFINITIONS),
        in_order(
            // Read item by item: one policy pimctl cannot read degrades its own target, not the whole read.
            client.list_all::<Box<RawValue>>(POLICY_ASSIGNMENTS),
            in_order(
                client.list_all::<UnifiedRoleEligibilitySchedule>(ELIGIBILITY_SCHEDULES),
                in_order(
                    client.list_all::<UnifiedRoleAssignmentSchedule>(ASSIGNMENT_SCHEDULES),
                    in_order(
                        client.list_all::<UnifiedRoleAssignmentScheduleInstance>(ACTIVATIONS),
                        in_order(groups, in_order(reviews, azure)),
                    ),
                ),
            ),
        ),
    )
    .await?;
    let mut live = LiveState {
        read_at: now,
        source: client.base_url().to_string(),
        tenant: Some(tenant),
        caller,
        ..LiveState::default()
    };
    for d in definitions {
        let key = RoleKey(d.id.to_lowercase());
        let is_built_in = d.is_built_in.unwrap_or(false);
        let is_privileged = is_built_in
            && catalog::by_template_id(d.template_id.as_deref().unwrap_or(&d.id))
                .is_some_and(|r| r.is_privileged);
        live.roles.insert(
            key.clone(),
            LiveRole {
                key,
                display_name: d.display_name.clone().unwrap_or_else(|| d.id.clone()),
                id: d.id,
                is_built_in,
                is_privileged,
            },
        );
    }
    add_policies(&mut live, policy_assignments);
    let role_at = |role: &str, scope: Option<&str>| {
        TargetKey::directory_role_at(RoleKey(role.to_lowercase()), scope.unwrap_or("/"))
    };
    for s in eligible {
        let target = role_at(&s.role_definition_id, s.directory_scope_id.as_deref());
        let principal = s.principal.as_ref();
        record(
            &mut live,
            AssignmentKind::Eligible,
            principal,
            None,
            Some(schedule!(s, target)),
        );
    }
    // Activated schedules are just-in-time activations of an eligibility, read from the instances below.
    for s in active {
        let target = role_at(&s.role_definition_id, s.directory_scope_id.as_deref());
        let principal = s.principal.as_ref();
        let assignment_type = s.assignment_type;
        record(
            &mut live,
            AssignmentKind::Active,
            principal,
            assignment_type,
            Some(schedule!(s, target)),
        );
    }
    for i in activations {
        if i.assignment_type == Some(AssignmentType::Assigned) {
            continue;
        }
        live.activations.push(LiveActivation {
            target: TargetKey::directory_role_at(
                RoleKey(i.role_definition_id.to_lowercase()),
                i.directory_scope_id.as_deref().unwrap_or("/"),
            ),
            principal_id: i.principal_id,
            start: i.start_date_time,
            end: i.end_date_time,
        });
    }
    // The groups' PIM state and the reviews before the principals: their schedules and reviewers name principals
    // too.
    live.absorb(groups);
    live.absorb(reviews);
    live.normalize();
    principals::resolve(client, desired, &mut live).await?;
    // Azure last, as when it was read after Graph: what ARM says of a principal fills in only what Graph did not
    // say, and the principals it names are not looked up (declared ones were, through Graph).
    if let (Some((arm, read)), Some(lists)) = (azure_read, azure) {
        read.record(arm, lists, &mut live);
    }
    tracing::info!(
        "read {} roles, {} groups, {} policies, {} assignments, {} activations, {} principals in {} requests",
        live.roles.len(),
        live.groups.len(),
        live.policies.len(),
        live.assignments.len(),
        live.activations.len(),
        live.principals.len(),
        client.request_count()
    );
    Ok(live)
}

/// Decodes policy assignments (with their policy and rules) into `live.policies`, or `live.unreadable` for one that
/// does not decode: whatever the surface, keyed by the target each names.
pub(crate) fn add_policies(live: &mut LiveState, items: Vec<Box<RawValue>>) {
    let (read, unreadable) = decode_policies(items);
    live.unreadable.extend(unreadable);
    for (target, a) in read {
        let Some(policy) = a.policy else { continue };
        let rules = policy.rules.unwrap_or_default();
        live.policies.insert(
            target,
            LivePolicy {
                id: policy.id,
                settings: observed_settings(&rules),
                rules,
            },
        );
    }
}

/// The target a policy assignment governs: a directory role (`roleDefinitionId` at `/`), or a group's members or
/// owners (`scopeType` `Group`: `scopeId` is the group, `roleDefinitionId` is `member` or `owner`).
fn policy_target(
    role: Option<&str>,
    scope_type: Option<&str>,
    scope_id: Option<&str>,
) -> Option<TargetKey> {
    let role = role?.to_lowercase();
    if scope_type.is_some_and(|t| t.eq_ignore_ascii_case("Group")) {
        let access = [GroupAccess::Member, GroupAccess::Owner]
            .into_iter()
            .find(|a| a.as_str() == role)?;
        return Some(TargetKey::group(scope_id?, access));
    }
    Some(TargetKey::directory_role(RoleKey(role)))
}

/// Decodes the policy assignments one by one, each from its own JSON text, once, straight into its type (its rules
/// too: no `serde_json::Value` is built): one that does not decode (a rule type pimctl does not know, a duration it
/// cannot read) makes its target unreadable, with the reason, and the others are read. Only the item that does not
/// decode is read again, for the fields that name its target.
pub(crate) fn decode_policies(
    items: Vec<Box<RawValue>>,
) -> (
    Vec<(TargetKey, UnifiedRoleManagementPolicyAssignment)>,
    std::collections::BTreeMap<TargetKey, String>,
) {
    /// The fields that name an assignment's target, whatever they hold (the others skipped).
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TargetFields {
        #[serde(default)]
        role_definition_id: Option<serde_json::Value>,
        #[serde(default)]
        scope_type: Option<serde_json::Value>,
        #[serde(default)]
        scope_id: Option<serde_json::Value>,
    }
    let mut read = vec![];
    let mut unreadable = std::collections::BTreeMap::new();
    for item in items {
        let (target, decoded) =
            match serde_json::from_str::<UnifiedRoleManagementPolicyAssignment>(item.get()) {
                Ok(a) => {
                    let target = policy_target(
                        a.role_definition_id.as_deref(),
                        Some(&a.scope_type),
                        Some(&a.scope_id),
                    );
                    (target, Ok(a))
                }
                Err(e) => {
                    let target = serde_json::from_str::<TargetFields>(item.get())
                        .ok()
                        .and_then(|f| {
                            let field = |v: &Option<serde_json::Value>| {
                                v.as_ref()
                                    .and_then(serde_json::Value::as_str)
                                    .map(str::to_string)
                            };
                            let (role, scope_type, scope_id) = (
                                field(&f.role_definition_id),
                                field(&f.scope_type),
                                field(&f.scope_id),
                            );
                            policy_target(
                                role.as_deref(),
                                scope_type.as_deref(),
                                scope_id.as_deref(),
                            )
                        });
                    (target, Err(e))
                }
            };
        let Some(target) = target else {
            tracing::warn!("a policy assignment that names no role pimctl knows was skipped");
            continue;
        };
        match decoded {
            Ok(a) => read.push((target, a)),
            Err(e) => {
                unreadable.insert(
                    target,
                    format!(
                        "its policy could not be read: {}",
                        crate::graph::client::without_position(&e)
                    ),
                );
            }
        }
    }
    (read, unreadable)
}

/// An admin-made schedule of any surface, on its target.
pub(crate) struct Schedule {
    pub id: String,
    pub principal_id: String,
    pub target: TargetKey,
    pub member_type: Option<MemberType>,
    pub info: Option<crate::graph::RequestSchedule>,
}

/// A [`Schedule`] on a target from any of Graph's schedule types (a directory role's or a group's, eligible or
/// active), which name these fields alike.
macro_rules! schedule {
    ($s:ident, $target:expr) => {
        $crate::observe::read::Schedule {
            id: $s.id,
            principal_id: $s.principal_id,
            target: $target,
            member_type: $s.member_type,
            info: $s.schedule_info,
        }
    };
}
pub(crate) use schedule;

/// A schedule as Graph lists it, whatever its surface: its expanded principal is kept; it becomes an assignment
/// unless it is an activation (`assignmentType` `Activated`: activations are read from the instances) or it is on
/// no target pimctl knows (`None`).
pub(crate) fn record(
    live: &mut LiveState,
    kind: AssignmentKind,
    principal: Option<&DirectoryObject>,
    assignment_type: Option<AssignmentType>,
    schedule: Option<Schedule>,
) {
    remember(live, principal);
    if assignment_type == Some(AssignmentType::Activated) {
        return;
    }
    if let Some(s) = schedule {
        live.assignments.push(assignment(kind, s));
    }
}

pub(crate) fn assignment(kind: AssignmentKind, s: Schedule) -> LiveAssignment {
    let info = s.info.unwrap_or_default();
    let end = info.expiration.and_then(|e| e.end_date_time);
    LiveAssignment {
        target: s.target,
        principal_id: s.principal_id,
        kind,
        schedule_id: s.id,
        start: info.start_date_time,
        end,
        member_type: s.member_type.map(|m| m.as_str().to_string()),
        condition: None,
    }
}

/// Keeps what an expanded principal tells (kind, UPN, display name, appId, user type and sync state).
pub(crate) fn remember(live: &mut LiveState, p: Option<&DirectoryObject>) {
    let Some(p) = p else { return };
    let lp = live_principal(p);
    live.principals.insert(lp.id.to_lowercase(), lp);
}

/// A directory object as the live state keeps it.
pub(crate) fn live_principal(p: &DirectoryObject) -> LivePrincipal {
    match p {
        DirectoryObject::User(u) => LivePrincipal {
            id: u.id.clone(),
            kind: PrincipalKind::User,
            display_name: u.display_name.clone(),
            user_principal_name: u.user_principal_name.clone(),
            app_id: None,
            user_type: u.user_type.clone(),
            on_premises_sync_enabled: u.on_premises_sync_enabled,
        },
        DirectoryObject::Group(g) => LivePrincipal {
            id: g.id.clone(),
            kind: PrincipalKind::Group,
            display_name: g.display_name.clone(),
            user_principal_name: None,
            app_id: None,
            user_type: None,
            on_premises_sync_enabled: None,
        },
        DirectoryObject::ServicePrincipal(s) => LivePrincipal {
            id: s.id.clone(),
            kind: PrincipalKind::ServicePrincipal,
            display_name: s.display_name.clone(),
            user_principal_name: None,
            app_id: s.app_id.clone(),
            user_type: None,
            on_premises_sync_enabled: None,
        },
    }
}

/// Runs `a` and `b` concurrently and returns both answers, or the first error in argument order: `a`'s as soon as
/// it fails (`b` is dropped), `b`'s only once `a` has succeeded. Nested, it makes the error of several concurrent
/// reads the same whichever failed first.
pub(crate) async fn in_order<A, B, E>(
    a: impl std::future::Future<Output = Result<A, E>>,
    b: impl std::future::Future<Output = Result<B, E>>,
) -> Result<(A, B), E> {
    // On the heap: nested, the reads' futures would otherwise make one state too large for a thread's stack.
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    tokio::select! {
        biased;
        ra = &mut a => {
            let ra = ra?;
            Ok((ra, b.await?))
        }
        rb = &mut b => {
            let ra = a.await?;
            Ok((ra, rb?))
        }
    }
}

/// Runs every future of `reads` concurrently and returns their answers in order, or the first error in that order
/// (as [`in_order`] does for two): an error waits for the reads before it, and drops those after it.
pub(crate) async fn all_in_order<T, E, F>(reads: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: std::future::Future<Output = Result<T, E>>,
{
    use futures_util::TryStreamExt;
    reads
        .into_iter()
        .collect::<futures_util::stream::FuturesOrdered<_>>()
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Items as a list gives them: each its JSON text.
    fn texts(items: Vec<serde_json::Value>) -> Vec<Box<RawValue>> {
        items
            .iter()
            .map(|v| RawValue::from_string(v.to_string()).unwrap())
            .collect()
    }

    fn assignment(role: &str, rules: serde_json::Value) -> serde_json::Value {
        json!({
            "id": format!("p-{role}_{role}"), "policyId": format!("p-{role}"), "scopeId": "/",
            "scopeType": "DirectoryRole", "roleDefinitionId": role,
            "policy": {"id": format!("p-{role}"), "rules": rules}
        })
    }

    #[test]
    fn a_group_policy_is_keyed_by_its_group_and_access_and_degrades_alone() {
        let defaults = serde_json::to_value(crate::graph::defaults::default_group_rules()).unwrap();
        let group = |access: &str, rules: serde_json::Value| {
            json!({
                "id": format!("Group_G1_p_{access}"), "policyId": "Group_G1_p", "scopeId": "G1",
                "scopeType": "Group", "roleDefinitionId": access,
                "policy": {"id": "Group_G1_p", "rules": rules}
            })
        };
        let unknown_rule = json!([{
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyFutureRule",
            "id": "Future_EndUser_Assignment"
        }]);
        let (read, unreadable) = decode_policies(texts(vec![
            group("member", defaults),
            group("owner", unknown_rule),
            group("guest", json!([])),
        ]));
        let keys: Vec<&TargetKey> = read.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&TargetKey::group("g1", GroupAccess::Member)]);
        assert_eq!(
            unreadable.keys().collect::<Vec<_>>(),
            [&TargetKey::group("g1", GroupAccess::Owner)],
            "an unknown access is skipped, not guessed"
        );
    }

    #[test]
    fn a_policy_that_cannot_be_read_degrades_its_own_target_only() {
        let defaults = serde_json::to_value(crate::graph::defaults::default_rules()).unwrap();
        let unknown_rule = json!([{
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyFutureRule",
            "id": "Future_EndUser_Assignment"
        }]);
        let mut bad_duration = defaults.clone();
        for r in bad_duration.as_array_mut().unwrap() {
            if r["id"] == "Expiration_EndUser_Assignment" {
                r["maximumDuration"] = json!("P1Y");
            }
        }
        let (read, unreadable) = decode_policies(texts(vec![
            assignment("R-OK", defaults),
            assignment("R-UNKNOWN", unknown_rule),
            assignment("R-DURATION", bad_duration),
        ]));
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].1.role_definition_id.as_deref(), Some("R-OK"));
        assert_eq!(read[0].0, TargetKey::directory_role(RoleKey("r-ok".into())));
        let keys: Vec<String> = unreadable.keys().map(|k| k.role.0.clone()).collect();
        assert_eq!(keys, ["r-duration", "r-unknown"]);
        assert!(
            unreadable
                .values()
                .all(|why| why.starts_with("its policy could not be read")),
            "{unreadable:?}"
        );
    }

    /// The error of reads run side by side is the first in argument order, not in time: `b` failing first waits for
    /// `a`, whose error wins; `a` failing is returned at once.
    #[tokio::test]
    async fn in_order_reports_the_first_error_in_argument_order() {
        use std::time::Duration;
        let fails = |ms: u64, e: &'static str| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Err::<(), _>(e)
        };
        let ok = |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, &str>(ms)
        };
        assert_eq!(in_order(fails(50, "a"), fails(1, "b")).await, Err("a"));
        assert_eq!(in_order(ok(50), fails(1, "b")).await, Err("b"));
        assert_eq!(in_order(ok(1), ok(2)).await, Ok((1, 2)));
        // Nested: the second's error wins over the third's, although the third failed first.
        let nested = in_order(ok(10), in_order(fails(30, "second"), fails(1, "third")));
        assert_eq!(nested.await, Err("second"));
        // `a` failing does not wait for `b`, which would never end (the timeout only guards against a hang).
        let never = std::future::pending::<Result<u64, &str>>();
        let r = tokio::time::timeout(Duration::from_secs(60), in_order(fails(1, "a"), never)).await;
        assert_eq!(r, Ok(Err("a")));
    }
}
