//! Microsoft's defaults for a tenant nobody has touched.
//!
//! Rule values come from Microsoft's example of an untouched directory policy (digest §2.1, file
//! `unifiedRoleManagementPolicy-list-directory-expand-rules-response.json`): eligibility and active assignments may
//! be permanent (maximum P365D / P180D), activation lasts at most PT8H and needs MFA and a justification, active
//! assignment needs a justification, approval is off (single stage, one day, no approvers), no authentication
//! context, and every notification goes by email to the default recipients.

use super::rule_id::{RuleId, RuleKind};
use crate::duration::Duration;
use crate::graph::policy::*;

/// The 17 rules of an untouched policy.
pub fn default_rules() -> Vec<PolicyRule> {
    RuleId::ALL.into_iter().map(default_rule).collect()
}

/// The 17 rules of a group's untouched member or owner policy. Microsoft's 2024 example of a group policy differs
/// from the directory's in three rules (digest §2.1): eligible and active assignments must expire (at most P365D
/// and P180D), and activation needs a justification only.
pub fn default_group_rules() -> Vec<PolicyRule> {
    RuleId::ALL
        .into_iter()
        .map(|id| match default_rule(id) {
            PolicyRule::Expiration(mut e)
                if matches!(
                    id,
                    RuleId::ExpirationAdminEligibility | RuleId::ExpirationAdminAssignment
                ) =>
            {
                e.is_expiration_required = Some(true);
                PolicyRule::Expiration(e)
            }
            PolicyRule::Enablement(mut e) if id == RuleId::EnablementEndUserAssignment => {
                e.enabled_rules = Some(vec!["Justification".into()]);
                PolicyRule::Enablement(e)
            }
            other => other,
        })
        .collect()
}

/// The untouched value of one rule.
pub fn default_rule(id: RuleId) -> PolicyRule {
    let target = Some(RuleTarget::for_rule(id));
    let sid = id.as_str().to_string();
    match id.kind() {
        RuleKind::Expiration => {
            let (required, max) = match id {
                RuleId::ExpirationAdminEligibility => (false, Duration::from_days(365)),
                RuleId::ExpirationAdminAssignment => (false, Duration::from_days(180)),
                _ => (true, Duration::from_hours(8)),
            };
            PolicyRule::Expiration(ExpirationRule {
                id: sid,
                is_expiration_required: Some(required),
                maximum_duration: Some(max),
                target,
            })
        }
        RuleKind::Enablement => {
            let rules: &[&str] = match id {
                RuleId::EnablementEndUserAssignment => {
                    &["MultiFactorAuthentication", "Justification"]
                }
                RuleId::EnablementAdminAssignment => &["Justification"],
                _ => &[],
            };
            PolicyRule::Enablement(EnablementRule {
                id: sid,
                enabled_rules: Some(rules.iter().map(|s| s.to_string()).collect()),
                target,
            })
        }
        RuleKind::AuthenticationContext => {
            PolicyRule::AuthenticationContext(AuthenticationContextRule {
                id: sid,
                is_enabled: Some(false),
                claim_value: None,
                target,
            })
        }
        RuleKind::Approval => PolicyRule::Approval(ApprovalRule {
            id: sid,
            target,
            setting: Some(ApprovalSettings {
                is_approval_required: Some(false),
                is_approval_required_for_extension: Some(false),
                is_requestor_justification_required: Some(true),
                approval_mode: Some(ApprovalMode::SingleStage),
                approval_stages: vec![UnifiedApprovalStage {
                    approval_stage_time_out_in_days: Some(1),
                    is_approver_justification_required: Some(true),
                    escalation_time_in_minutes: Some(0),
                    is_escalation_enabled: Some(false),
                    primary_approvers: vec![],
                    escalation_approvers: vec![],
                }],
            }),
        }),
        RuleKind::Notification => PolicyRule::Notification(NotificationRule {
            id: sid,
            notification_type: Some("Email".into()),
            recipient_type: id.recipient_type().and_then(RecipientType::parse),
            notification_level: Some(NotificationLevel::All),
            is_default_recipients_enabled: Some(true),
            notification_recipients: Some(vec![]),
            target,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_microsofts_untouched_policy() {
        let text = include_str!(
            "../../tests/fixtures/graph-reference/examples/unifiedRoleManagementPolicy-list-directory-expand-rules-response.json"
        );
        let published: serde_json::Value = serde_json::from_str(text).unwrap();
        let published = published["value"][0]["rules"].as_array().unwrap().clone();
        let ours = serde_json::to_value(default_rules()).unwrap();
        let ours = ours.as_array().unwrap();
        assert_eq!(ours.len(), 17);
        for p in &published {
            let o = ours.iter().find(|o| o["id"] == p["id"]).unwrap();
            assert_eq!(o, p, "rule {}", p["id"]);
        }
    }
}
