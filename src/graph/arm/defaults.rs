//! Microsoft's policy for an Azure role nobody has configured at a scope.
//!
//! Values: Microsoft Learn, "Configure Azure resource role settings in Privileged Identity Management" (the
//! defaults the role settings page shows for an untouched role): eligible assignments expire after one year
//! (`P365D`, required), active assignments after six months (`P180D`, required), activation lasts at most eight hours
//! and needs a justification, active assignment needs a justification, no approval (single stage, one day, no
//! approvers), no authentication context, and every notification goes by email to the default recipients at level
//! `All`. Shapes (`ruleType`, `target` with `null` `targetObjects`, `inheritableSettings` and `enforcedSettings`,
//! `exceptionMembers` left out, `claimValue` `""`, `escalationApprovers` `null`) as in Microsoft's 2020-10-01
//! examples (`arm-roleManagementPolicy-get-example.json`). The service does not inherit settings from the scopes
//! above (bicep-types-az#1955): every scope starts from these.

use super::policy::*;
use crate::duration::Duration;
use crate::graph::policy::{ApprovalMode, NotificationLevel, RecipientType};
use crate::model::{RuleId, RuleKind};

/// The 17 rules of an untouched Azure role policy, in [`RuleId::ALL`] order.
pub fn default_arm_rules() -> Vec<ArmPolicyRule> {
    RuleId::ALL.into_iter().map(default_arm_rule).collect()
}

/// The same rules read as Graph's, as the planner and import compare live policies with them.
pub fn default_arm_rules_as_graph() -> Vec<crate::graph::policy::PolicyRule> {
    default_arm_rules()
        .iter()
        .map(ArmPolicyRule::to_graph)
        .collect()
}

/// The untouched value of one rule.
pub fn default_arm_rule(id: RuleId) -> ArmPolicyRule {
    let target = Some(ArmRuleTarget::for_rule(id));
    let sid = id.as_str().to_string();
    match id.kind() {
        RuleKind::Expiration => {
            let max = match id {
                RuleId::ExpirationAdminEligibility => Duration::from_days(365),
                RuleId::ExpirationAdminAssignment => Duration::from_days(180),
                _ => Duration::from_hours(8),
            };
            ArmPolicyRule::Expiration(ArmExpirationRule {
                is_expiration_required: Some(true),
                maximum_duration: Some(max),
                exception_members: None,
                id: sid,
                target,
            })
        }
        RuleKind::Enablement => ArmPolicyRule::Enablement(ArmEnablementRule {
            enabled_rules: Some(match id {
                RuleId::EnablementEndUserAssignment | RuleId::EnablementAdminAssignment => {
                    vec![EnabledRule::Justification]
                }
                _ => vec![],
            }),
            id: sid,
            target,
        }),
        RuleKind::AuthenticationContext => {
            ArmPolicyRule::AuthenticationContext(ArmAuthenticationContextRule {
                is_enabled: Some(false),
                claim_value: Some(String::new()),
                id: sid,
                target,
            })
        }
        RuleKind::Approval => ArmPolicyRule::Approval(ArmApprovalRule {
            setting: Some(ArmApprovalSettings {
                is_approval_required: Some(false),
                is_approval_required_for_extension: Some(false),
                is_requestor_justification_required: Some(true),
                approval_mode: Some(ApprovalMode::SingleStage),
                approval_stages: Some(vec![ArmApprovalStage {
                    approval_stage_time_out_in_days: Some(1),
                    is_approver_justification_required: Some(true),
                    escalation_time_in_minutes: Some(0),
                    primary_approvers: None,
                    is_escalation_enabled: Some(false),
                    escalation_approvers: None,
                }]),
            }),
            id: sid,
            target,
        }),
        RuleKind::Notification => ArmPolicyRule::Notification(ArmNotificationRule {
            notification_type: Some(NotificationDeliveryMechanism::Email),
            recipient_type: id.recipient_type().and_then(RecipientType::parse),
            is_default_recipients_enabled: Some(true),
            notification_level: Some(NotificationLevel::All),
            notification_recipients: Some(vec![]),
            id: sid,
            target,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_has_the_17_rules_with_matching_targets() {
        let rules = default_arm_rules();
        assert_eq!(rules.len(), 17);
        for r in &rules {
            let id = RuleId::parse(r.id()).unwrap();
            assert_eq!(r.kind(), id.kind());
            let t = r.target().unwrap();
            assert_eq!(t.caller.map(|c| c.as_str()), Some(id.caller()));
            assert_eq!(t.level.map(|l| l.as_str()), Some(id.level()));
        }
        let v =
            serde_json::to_value(default_arm_rule(RuleId::ExpirationEndUserAssignment)).unwrap();
        assert_eq!(v["maximumDuration"], "PT8H");
        assert_eq!(v["ruleType"], "RoleManagementPolicyExpirationRule");
        assert!(v["target"]["targetObjects"].is_null());
    }
}
