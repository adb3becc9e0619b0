//! What apply needs to know of Azure resource roles (ARM): whether a request is the write its meaning says, the
//! read that says whether the tenant holds what a request asked for, and the policy read-back after a `PATCH`, which
//! confirms that every rule sent landed (azurerm#28913: a rule silently missing from a policy update).

use crate::graph::PolicyRule;
use crate::graph::ScheduleRequestAction;
use crate::graph::arm::{
    ArmAssignmentType, ArmPolicyRule, ArmResource, ArmScope, AssignmentScheduleProperties,
    EligibilityScheduleProperties, RequestType, RoleManagementPolicyProperties, ScheduleCommon,
    role_definition_guid,
};
use crate::graph::client::{ArmClient, ClientError};
use crate::model::{AssignmentKind, TargetKey};
use crate::plan::wire_arm::{request_type, requests_collection};
use crate::plan::{Meaning, Method, Operation};
use serde_json::Value;

/// Whether an ARM request is exactly the write its meaning describes.
pub(crate) fn addresses_its_meaning(op: &Operation) -> bool {
    let Some(scope) = op.meaning.target().arm_scope() else {
        return false;
    };
    match &op.meaning {
        Meaning::PatchRule { rule, .. } => {
            let rules = op.body["properties"]["rules"].as_array();
            op.method == Method::Patch
                && policy_scope(&op.path).is_some_and(|s| s.key() == scope.key())
                && rules.is_some_and(|r| r.len() == 1 && r[0]["id"].as_str() == Some(rule.as_str()))
        }
        Meaning::Review { .. } => false,
        Meaning::Assignment {
            target,
            principal,
            kind,
            action,
            ..
        } => {
            let p = &op.body["properties"];
            let field = |k: &str| p.get(k).and_then(Value::as_str);
            let name_ok = op.path.rsplit_once('/').is_some_and(|(coll, name)| {
                coll.eq_ignore_ascii_case(&requests_collection(&scope.path(), *kind))
                    && uuid::Uuid::parse_str(name).is_ok()
            });
            op.method == Method::Put
                && name_ok
                && field("principalId").is_some_and(|x| x.eq_ignore_ascii_case(principal))
                && field("roleDefinitionId")
                    .and_then(role_definition_guid)
                    .is_some_and(|g| g == target.role.0)
                && p.get("requestType")
                    .and_then(|t| serde_json::from_value::<RequestType>(t.clone()).ok())
                    == Some(request_type(*action))
        }
    }
}

/// The scope a policy id (`{scope}/providers/Microsoft.Authorization/roleManagementPolicies/{name}`) lies at.
fn policy_scope(path: &str) -> Option<ArmScope> {
    let lower = path.to_ascii_lowercase();
    let at = lower.rfind("/providers/microsoft.authorization/rolemanagementpolicies/")?;
    ArmScope::parse(&path[..at]).ok()
}

/// Whether the tenant holds what an assignment request asked for: one filtered list of the principal's schedules
/// at the target's scope (`atScope()`, held there, not inherited).
pub(crate) async fn in_effect(
    arm: &ArmClient,
    target: &TargetKey,
    principal: &str,
    kind: AssignmentKind,
    action: &ScheduleRequestAction,
    end: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<bool, ClientError> {
    let Some(scope) = target.arm_scope() else {
        return Ok(false);
    };
    let filter = format!(
        "$filter=atScope() and principalId eq '{}'",
        principal.replace('\'', "''")
    );
    let base = format!("{}/providers/Microsoft.Authorization", scope.path());
    let held_here = |c: &ScheduleCommon| {
        c.scope
            .as_deref()
            .and_then(|s| ArmScope::parse(s).ok())
            .is_some_and(|s| s.key() == scope.key())
            && c.role_definition_id
                .as_deref()
                .and_then(role_definition_guid)
                .is_some_and(|g| g == target.role.0)
    };
    let ends: Vec<Option<i64>> = match kind {
        AssignmentKind::Eligible => {
            let list: Vec<ArmResource<EligibilityScheduleProperties>> = arm
                .list_all(&format!("{base}/roleEligibilitySchedules?{filter}"))
                .await?;
            list.iter()
                .map(|s| &s.properties.common)
                .filter(|c| held_here(c))
                .map(|c| c.end_date_time.map(|t| t.timestamp()))
                .collect()
        }
        AssignmentKind::Active => {
            let list: Vec<ArmResource<AssignmentScheduleProperties>> = arm
                .list_all(&format!("{base}/roleAssignmentSchedules?{filter}"))
                .await?;
            list.iter()
                .filter(|s| s.properties.assignment_type != Some(ArmAssignmentType::Activated))
                .map(|s| &s.properties.common)
                .filter(|c| held_here(c))
                .map(|c| c.end_date_time.map(|t| t.timestamp()))
                .collect()
        }
    };
    let wanted = end.map(|t| t.timestamp());
    Ok(match action {
        ScheduleRequestAction::AdminRemove => ends.is_empty(),
        _ => ends.contains(&wanted),
    })
}

/// Reads a policy back after a `PATCH` and names the rules sent that it does not hold as sent (compared as the
/// settings they carry). Empty: every rule landed.
pub(crate) async fn rules_missing(
    arm: &ArmClient,
    op: &Operation,
) -> Result<Vec<String>, ClientError> {
    let sent: Vec<ArmPolicyRule> =
        serde_json::from_value(op.body["properties"]["rules"].clone()).unwrap_or_default();
    let policy: ArmResource<RoleManagementPolicyProperties> = arm.get_json(&op.path).await?;
    let held = policy.properties.rules.unwrap_or_default();
    let settings = |r: &ArmPolicyRule| {
        let mut r = r.clone();
        // Where assignments need not expire, a maximum means nothing (and ARM keeps the one it had).
        if let ArmPolicyRule::Expiration(e) = &mut r
            && e.is_expiration_required == Some(false)
        {
            e.maximum_duration = None;
        }
        let g: Vec<PolicyRule> = vec![r.to_graph()];
        crate::observe::rules::observed_settings(&g)
    };
    Ok(sent
        .iter()
        .filter(|s| {
            !held
                .iter()
                .any(|h| h.id().eq_ignore_ascii_case(s.id()) && settings(h) == settings(s))
        })
        .map(|s| s.id().to_string())
        .collect())
}
