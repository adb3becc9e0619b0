//! Rule updates: merging a PATCH body into a rule and checking it the way Graph does.

use super::http::{ApiError, ApiResult};
use crate::duration::Duration;
use crate::graph::policy::*;
use crate::model::{Requirement, RuleId};
use serde_json::Value;

/// What the rest of the tenant looks like, for checking approvers.
pub trait DirectoryLookup {
    fn user_exists(&self, id: &str) -> bool;
    fn group_exists(&self, id: &str) -> bool;
}

/// How strictly a patch is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchMode {
    /// A PATCH over HTTP: the body must carry the derived `@odata.type` and the complete `target`.
    Api,
    /// A seed override: only the fields to change, `@odata.type` and `target` optional.
    Seed,
}

/// Merges `patch` (top-level fields) into `current` and checks the result. Returns the new rule.
pub fn merge_rule(
    id: RuleId,
    current: &PolicyRule,
    patch: &Value,
    mode: PatchMode,
    dir: &dyn DirectoryLookup,
) -> ApiResult<PolicyRule> {
    let Value::Object(patch) = patch else {
        return Err(ApiError::bad_body("A policy rule must be a JSON object."));
    };
    match patch.get("@odata.type") {
        Some(Value::String(t)) => {
            let kind = PolicyRule::kind_of_type(t).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "The @odata.type '{t}' is not a unifiedRoleManagementPolicyRule type."
                ))
            })?;
            if kind != id.kind() {
                return Err(ApiError::bad_request(format!(
                    "The @odata.type '{t}' does not match the rule '{id}', which is a {}.",
                    id.kind().odata_type()
                )));
            }
        }
        None if mode == PatchMode::Seed => {}
        None => {
            return Err(ApiError::bad_request(format!(
                "The rule must carry its derived @odata.type ('{}').",
                id.kind().odata_type()
            )));
        }
        Some(_) => return Err(ApiError::bad_body("@odata.type must be a string.")),
    }
    if let Some(pid) = patch.get("id")
        && pid.as_str() != Some(id.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "The rule id in the body ({pid}) does not match the rule '{id}' in the URL."
        )));
    }
    match patch.get("target") {
        Some(t) => check_target(id, t)?,
        None if mode == PatchMode::Seed => {}
        None => {
            return Err(ApiError::bad_request(format!(
                "The rule must carry its complete target (caller '{}', level '{}', operations).",
                id.caller(),
                id.level()
            )));
        }
    }
    let mut merged = match serde_json::to_value(current) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ApiError::new(
                500,
                "generalException",
                "rule serialization failed",
            ));
        }
    };
    for (k, v) in patch {
        if k == "@odata.type" {
            continue;
        }
        if k == "target" {
            // Keep inheritable and enforced settings when the patch leaves them out.
            let mut t = merged.get("target").cloned().unwrap_or(Value::Null);
            if let (Value::Object(tm), Value::Object(pm)) = (&mut t, v) {
                for (tk, tv) in pm {
                    if tk != "@odata.type" {
                        tm.insert(tk.clone(), tv.clone());
                    }
                }
                merged.insert(k.clone(), t);
                continue;
            }
        }
        merged.insert(k.clone(), v.clone());
    }
    let mut rule = PolicyRule::from_value(id.kind(), Value::Object(merged))
        .map_err(|e| ApiError::bad_body(format!("The rule '{id}' is not valid: {e}")))?;
    check_rule(id, &mut rule, dir)?;
    Ok(rule)
}

fn check_target(id: RuleId, t: &Value) -> ApiResult<()> {
    let target: RuleTarget = serde_json::from_value(t.clone())
        .map_err(|e| ApiError::bad_body(format!("The rule target is not valid: {e}")))?;
    let caller_ok = target.caller.map(|c| c.as_str()) == Some(id.caller());
    let level_ok = target.level.map(|l| l.as_str()) == Some(id.level());
    let ops_ok = target.operations.as_ref().is_some_and(|o| !o.is_empty());
    if !(caller_ok && level_ok && ops_ok) {
        return Err(ApiError::bad_request(format!(
            "The target of rule '{id}' must be complete and match it: caller '{}', level '{}', and operations (for example [\"All\"]).",
            id.caller(),
            id.level()
        )));
    }
    Ok(())
}

fn check_rule(id: RuleId, rule: &mut PolicyRule, dir: &dyn DirectoryLookup) -> ApiResult<()> {
    match rule {
        PolicyRule::Expiration(r) => {
            if r.is_expiration_required == Some(true) {
                match r.maximum_duration {
                    Some(d) if d > Duration::from_secs(0) => {}
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "Rule '{id}': maximumDuration is required, and must be positive, when isExpirationRequired is true."
                        )));
                    }
                }
            }
        }
        PolicyRule::Enablement(r) => {
            let mut canon: Vec<String> = vec![];
            for v in r.enabled_rules.clone().unwrap_or_default() {
                let req = Requirement::from_graph_name(&v).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Rule '{id}': '{v}' is not a valid enabled rule; use MultiFactorAuthentication, Justification or Ticketing."
                    ))
                })?;
                let name = req.graph_name().to_string();
                if !canon.contains(&name) {
                    canon.push(name);
                }
            }
            r.enabled_rules = Some(canon);
        }
        PolicyRule::AuthenticationContext(r) => {
            if r.is_enabled == Some(true) && r.claim_value.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!(
                    "Rule '{id}': claimValue is required when isEnabled is true."
                )));
            }
        }
        PolicyRule::Notification(r) => {
            let expected = id.recipient_type().unwrap_or_default();
            if r.recipient_type.map(|t| t.as_str()) != Some(expected) {
                return Err(ApiError::bad_request(format!(
                    "Rule '{id}': recipientType must be '{expected}'."
                )));
            }
            if !r
                .notification_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("Email"))
            {
                return Err(ApiError::bad_request(format!(
                    "Rule '{id}': notificationType must be 'Email'."
                )));
            }
            r.notification_type = Some("Email".into());
            for addr in r.notification_recipients.iter().flatten() {
                if !addr.contains('@') {
                    return Err(ApiError::bad_request(format!(
                        "Rule '{id}': '{addr}' is not an email address."
                    )));
                }
            }
        }
        PolicyRule::Approval(r) => {
            let s = r.setting.as_ref().ok_or_else(|| {
                ApiError::bad_request(format!("Rule '{id}': setting is required."))
            })?;
            for st in &s.approval_stages {
                for a in st.primary_approvers.iter().chain(&st.escalation_approvers) {
                    match a {
                        SubjectSet::SingleUser { user_id, .. } => {
                            let u = user_id.as_deref().unwrap_or_default();
                            if !dir.user_exists(u) {
                                return Err(ApiError::bad_request(format!(
                                    "Rule '{id}': the approver user '{u}' does not exist."
                                )));
                            }
                        }
                        SubjectSet::GroupMembers { group_id, .. } => {
                            let g = group_id.as_deref().unwrap_or_default();
                            if !dir.group_exists(g) {
                                return Err(ApiError::bad_request(format!(
                                    "Rule '{id}': the approver group '{g}' does not exist."
                                )));
                            }
                        }
                        SubjectSet::Other { type_name, .. } => {
                            return Err(ApiError::bad_request(format!(
                                "Rule '{id}': approvers of type '{type_name}' are not supported for Microsoft Entra roles."
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::defaults::default_rule;
    use serde_json::json;

    struct Dir;
    impl DirectoryLookup for Dir {
        fn user_exists(&self, id: &str) -> bool {
            id == "u1"
        }
        fn group_exists(&self, id: &str) -> bool {
            id == "g1"
        }
    }

    fn target(caller: &str, level: &str) -> Value {
        json!({"caller": caller, "operations": ["All"], "level": level, "inheritableSettings": [], "enforcedSettings": []})
    }

    #[test]
    fn a_valid_patch_is_merged() {
        let id = RuleId::ExpirationEndUserAssignment;
        let r = merge_rule(
            id,
            &default_rule(id),
            &json!({"@odata.type": "microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
                "id": id.as_str(), "isExpirationRequired": true, "maximumDuration": "PT1H45M",
                "target": target("EndUser", "Assignment")}),
            PatchMode::Api,
            &Dir,
        )
        .unwrap();
        let PolicyRule::Expiration(e) = r else {
            panic!()
        };
        assert_eq!(e.maximum_duration, Some(Duration::from_minutes(105)));
    }

    #[test]
    fn wrong_type_target_or_values_are_rejected() {
        let id = RuleId::ApprovalEndUserAssignment;
        let cur = default_rule(id);
        let approval = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule";
        let cases = [
            json!({"id": id.as_str(), "target": target("EndUser", "Assignment"), "setting": {}}),
            json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule", "target": target("EndUser", "Assignment")}),
            json!({"@odata.type": approval, "setting": {}}),
            json!({"@odata.type": approval, "target": target("Admin", "Assignment")}),
            json!({"@odata.type": approval, "target": {"caller": "EndUser"}}),
            json!({"@odata.type": approval, "id": "Other", "target": target("EndUser", "Assignment")}),
            json!({"@odata.type": approval, "target": target("EndUser", "Assignment"),
                "setting": {"approvalStages": [{"primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": "nobody"}]}]}}),
            json!({"@odata.type": approval, "target": target("EndUser", "Assignment"), "setting": {"approvalMode": "Sometimes"}}),
            json!([1, 2]),
        ];
        for c in cases {
            assert!(
                merge_rule(id, &cur, &c, PatchMode::Api, &Dir).is_err(),
                "{c} accepted"
            );
        }
        let id = RuleId::EnablementEndUserAssignment;
        let bad = json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
            "enabledRules": ["Selfie"], "target": target("EndUser", "Assignment")});
        assert!(merge_rule(id, &default_rule(id), &bad, PatchMode::Api, &Dir).is_err());
    }

    #[test]
    fn seed_overrides_need_only_the_fields() {
        let id = RuleId::ApprovalEndUserAssignment;
        let r = merge_rule(
            id,
            &default_rule(id),
            &json!({"setting": {"isApprovalRequired": true, "approvalMode": "singleStage", "approvalStages": [
                {"primaryApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": "g1"}]}]}}),
            PatchMode::Seed,
            &Dir,
        )
        .unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["setting"]["approvalMode"], "SingleStage");
        assert_eq!(v["target"]["caller"], "EndUser");
    }
}
