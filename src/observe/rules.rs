//! Policy rules (Graph wire types) ↔ [`PolicySettings`] (the model).
//!
//! - [`observed_settings`] reads the 17 rules of a live policy into settings where every readable field is `Some`.
//! - [`updated_rule`] takes a live rule and the declared settings and returns the full rule to PATCH, with only the
//!   managed fields changed, or `None` when the rule already matches. Graph wants the whole rule back, with its
//!   derived `@odata.type` and its complete `target` (digest §2, docs-contrib #2230), so the live rule is the base.
//!
//! Approvers are object ids on the wire and names in the declaration; the caller resolves them and passes a
//! function from a declared principal to its object id.

use crate::graph::policy::{
    ApprovalMode, ApprovalSettings as WireApproval, NotificationLevel, PolicyRule, SubjectSet,
    UnifiedApprovalStage,
};
use crate::model::{
    ApprovalSettings, ApprovalStage, AssignmentSettings, NotificationEvent, NotificationSettings,
    PolicySettings, PrincipalKind, PrincipalRef, Recipient, Requirement, RuleId,
};
use std::collections::BTreeSet;

/// The settings a live policy has, from its rules. Rules that are missing or unreadable leave their fields `None`.
pub fn observed_settings(rules: &[PolicyRule]) -> PolicySettings {
    let mut s = PolicySettings::default();
    for rule in rules {
        let Some(id) = RuleId::parse(rule.id()) else {
            continue;
        };
        match (id, rule) {
            (RuleId::ExpirationEndUserAssignment, PolicyRule::Expiration(r)) => {
                s.activation.max_duration = r.maximum_duration;
            }
            (RuleId::ExpirationAdminEligibility, PolicyRule::Expiration(r)) => {
                read_expiration(
                    &mut s.eligible_assignment,
                    r.is_expiration_required,
                    r.maximum_duration,
                );
            }
            (RuleId::ExpirationAdminAssignment, PolicyRule::Expiration(r)) => {
                read_expiration(
                    &mut s.active_assignment,
                    r.is_expiration_required,
                    r.maximum_duration,
                );
            }
            (RuleId::EnablementEndUserAssignment, PolicyRule::Enablement(r)) => {
                s.activation.require = r.enabled_rules.as_deref().map(requirements);
            }
            (RuleId::EnablementAdminEligibility, PolicyRule::Enablement(r)) => {
                s.eligible_assignment.require = r.enabled_rules.as_deref().map(requirements);
            }
            (RuleId::EnablementAdminAssignment, PolicyRule::Enablement(r)) => {
                s.active_assignment.require = r.enabled_rules.as_deref().map(requirements);
            }
            (
                RuleId::AuthenticationContextEndUserAssignment,
                PolicyRule::AuthenticationContext(r),
            ) => {
                s.activation.authentication_context = r.is_enabled.map(|on| {
                    if on {
                        r.claim_value.clone().filter(|c| !c.is_empty())
                    } else {
                        None
                    }
                });
            }
            (RuleId::ApprovalEndUserAssignment, PolicyRule::Approval(r)) => {
                if let Some(a) = &r.setting {
                    s.activation.approval = read_approval(a);
                }
            }
            (_, PolicyRule::Notification(r)) => {
                if let Some((event, recipient)) = notification_of(id) {
                    s.notifications.insert(
                        (event, recipient),
                        NotificationSettings {
                            recipients: r.notification_recipients.clone(),
                            default_recipients: r.is_default_recipients_enabled,
                            critical_only: match r.notification_level {
                                Some(NotificationLevel::Critical) => Some(true),
                                Some(NotificationLevel::All) => Some(false),
                                // `None` (no email at all) has no declared counterpart yet.
                                _ => None,
                            },
                        },
                    );
                }
            }
            _ => {}
        }
    }
    s
}

fn read_expiration(
    out: &mut AssignmentSettings,
    required: Option<bool>,
    max: Option<crate::duration::Duration>,
) {
    out.allow_permanent = required.map(|r| !r);
    out.max_duration = max;
}

fn requirements(names: &[String]) -> BTreeSet<Requirement> {
    names
        .iter()
        .filter_map(|n| Requirement::from_graph_name(n))
        .collect()
}

fn read_approval(a: &WireApproval) -> ApprovalSettings {
    ApprovalSettings {
        required: a.is_approval_required,
        for_extension: a.is_approval_required_for_extension,
        requestor_justification: a.is_requestor_justification_required,
        stages: Some(
            a.approval_stages
                .iter()
                .map(|st| ApprovalStage {
                    approvers: Some(subjects(&st.primary_approvers)),
                    timeout_days: st
                        .approval_stage_time_out_in_days
                        .and_then(|d| u32::try_from(d).ok()),
                    approver_justification: st.is_approver_justification_required,
                    escalation_after_minutes: st.is_escalation_enabled.map(|on| {
                        if on {
                            st.escalation_time_in_minutes
                                .and_then(|m| u32::try_from(m).ok())
                        } else {
                            None
                        }
                    }),
                    escalation_approvers: Some(subjects(&st.escalation_approvers)),
                })
                .collect(),
        ),
    }
}

/// Approvers as principals named by object id.
fn subjects(sets: &[SubjectSet]) -> Vec<PrincipalRef> {
    sets.iter()
        .filter_map(|s| match s {
            SubjectSet::SingleUser {
                user_id: Some(id), ..
            } => Some(PrincipalRef::new(PrincipalKind::User, id)),
            SubjectSet::GroupMembers {
                group_id: Some(id), ..
            } => Some(PrincipalRef::new(PrincipalKind::Group, id)),
            _ => None,
        })
        .collect()
}

fn notification_of(id: RuleId) -> Option<(NotificationEvent, Recipient)> {
    NotificationEvent::ALL
        .into_iter()
        .flat_map(|e| Recipient::ALL.into_iter().map(move |r| (e, r)))
        .find(|(e, r)| RuleId::notification(*e, *r) == id)
}

/// Why an update can't be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("approver {0} could not be resolved to an object id")]
    UnresolvedApprover(PrincipalRef),
}

/// The full rule to PATCH so that `live` carries the managed settings of `desired`, or `None` when nothing managed
/// differs. `approver_id` maps a declared approver to its object id.
pub fn updated_rule(
    live: &PolicyRule,
    desired: &PolicySettings,
    approver_id: &dyn Fn(&PrincipalRef) -> Option<String>,
) -> Result<Option<PolicyRule>, UpdateError> {
    let Some(id) = RuleId::parse(live.id()) else {
        return Ok(None);
    };
    let mut rule = live.clone();
    match (id, &mut rule) {
        (RuleId::ExpirationEndUserAssignment, PolicyRule::Expiration(r)) => {
            set(
                &mut r.maximum_duration,
                desired.activation.max_duration.map(Some),
            );
        }
        (RuleId::ExpirationAdminEligibility, PolicyRule::Expiration(r)) => {
            write_expiration(r, &desired.eligible_assignment);
        }
        (RuleId::ExpirationAdminAssignment, PolicyRule::Expiration(r)) => {
            write_expiration(r, &desired.active_assignment);
        }
        (RuleId::EnablementEndUserAssignment, PolicyRule::Enablement(r)) => {
            write_enablement(&mut r.enabled_rules, &desired.activation.require);
        }
        (RuleId::EnablementAdminEligibility, PolicyRule::Enablement(r)) => {
            write_enablement(&mut r.enabled_rules, &desired.eligible_assignment.require);
        }
        (RuleId::EnablementAdminAssignment, PolicyRule::Enablement(r)) => {
            write_enablement(&mut r.enabled_rules, &desired.active_assignment.require);
        }
        (RuleId::AuthenticationContextEndUserAssignment, PolicyRule::AuthenticationContext(r)) => {
            if let Some(ctx) = &desired.activation.authentication_context {
                let current = if r.is_enabled == Some(true) {
                    r.claim_value.clone().filter(|c| !c.is_empty())
                } else {
                    None
                };
                if current != *ctx || r.is_enabled.is_none() {
                    r.is_enabled = Some(ctx.is_some());
                    r.claim_value = ctx.clone();
                }
            }
        }
        (RuleId::ApprovalEndUserAssignment, PolicyRule::Approval(r)) => {
            let setting = r.setting.get_or_insert_with(|| WireApproval {
                is_approval_required: None,
                is_approval_required_for_extension: None,
                is_requestor_justification_required: None,
                approval_mode: None,
                approval_stages: Vec::new(),
            });
            write_approval(setting, &desired.activation.approval, approver_id)?;
        }
        (_, PolicyRule::Notification(r)) => {
            if let Some(key) = notification_of(id)
                && let Some(n) = desired.notifications.get(&key)
            {
                set(
                    &mut r.notification_recipients,
                    n.recipients.clone().map(Some),
                );
                set(
                    &mut r.is_default_recipients_enabled,
                    n.default_recipients.map(Some),
                );
                if let Some(critical) = n.critical_only {
                    let level = if critical {
                        NotificationLevel::Critical
                    } else {
                        NotificationLevel::All
                    };
                    set(&mut r.notification_level, Some(Some(level)));
                }
            }
        }
        _ => {}
    }
    Ok((rule != *live).then_some(rule))
}

/// Sets `field` to the managed value, if managed.
fn set<T>(field: &mut T, managed: Option<T>) {
    if let Some(v) = managed {
        *field = v;
    }
}

fn write_expiration(r: &mut crate::graph::policy::ExpirationRule, d: &AssignmentSettings) {
    set(
        &mut r.is_expiration_required,
        d.allow_permanent.map(|p| Some(!p)),
    );
    set(&mut r.maximum_duration, d.max_duration.map(Some));
}

fn write_enablement(field: &mut Option<Vec<String>>, d: &Option<BTreeSet<Requirement>>) {
    let Some(want) = d else { return };
    let have = field.as_deref().map(requirements);
    if have.as_ref() != Some(want) {
        *field = Some(want.iter().map(|r| r.graph_name().to_string()).collect());
    }
}

fn write_approval(
    w: &mut WireApproval,
    d: &ApprovalSettings,
    approver_id: &dyn Fn(&PrincipalRef) -> Option<String>,
) -> Result<(), UpdateError> {
    let before = (w.is_approval_required, w.approval_stages.len());
    set(&mut w.is_approval_required, d.required.map(Some));
    set(
        &mut w.is_approval_required_for_extension,
        d.for_extension.map(Some),
    );
    set(
        &mut w.is_requestor_justification_required,
        d.requestor_justification.map(Some),
    );
    if let Some(stages) = &d.stages {
        if w.approval_stages.len() != stages.len() {
            w.approval_stages.resize_with(stages.len(), default_stage);
        }
        for (ws, ds) in w.approval_stages.iter_mut().zip(stages) {
            if let Some(approvers) = &ds.approvers {
                write_subjects(&mut ws.primary_approvers, approvers, approver_id)?;
            }
            if let Some(approvers) = &ds.escalation_approvers {
                write_subjects(&mut ws.escalation_approvers, approvers, approver_id)?;
            }
            set(
                &mut ws.approval_stage_time_out_in_days,
                ds.timeout_days.map(|d| i32::try_from(d).ok()),
            );
            set(
                &mut ws.is_approver_justification_required,
                ds.approver_justification.map(Some),
            );
            if let Some(esc) = ds.escalation_after_minutes {
                ws.is_escalation_enabled = Some(esc.is_some());
                ws.escalation_time_in_minutes =
                    Some(esc.and_then(|m| i32::try_from(m).ok()).unwrap_or(0));
            }
        }
    }
    // The mode follows the stages when approval is (newly) required. Microsoft's untouched policy keeps
    // `SingleStage` with approval off, so switching approval off leaves the mode as it was.
    if (w.is_approval_required, w.approval_stages.len()) != before
        && w.is_approval_required == Some(true)
    {
        w.approval_mode = Some(if w.approval_stages.len() > 1 {
            ApprovalMode::Serial
        } else {
            ApprovalMode::SingleStage
        });
    }
    Ok(())
}

/// Microsoft's defaults for a new stage (digest §2.1).
fn default_stage() -> UnifiedApprovalStage {
    UnifiedApprovalStage {
        approval_stage_time_out_in_days: Some(1),
        is_approver_justification_required: Some(true),
        escalation_time_in_minutes: Some(0),
        is_escalation_enabled: Some(false),
        primary_approvers: Vec::new(),
        escalation_approvers: Vec::new(),
    }
}

/// Replaces the approvers when the set of object ids differs (order and descriptions are not significant).
fn write_subjects(
    wire: &mut Vec<SubjectSet>,
    want: &[PrincipalRef],
    approver_id: &dyn Fn(&PrincipalRef) -> Option<String>,
) -> Result<(), UpdateError> {
    let mut wanted = Vec::new();
    for p in want {
        let id = approver_id(p).ok_or_else(|| UpdateError::UnresolvedApprover(p.clone()))?;
        wanted.push(match p.kind {
            PrincipalKind::Group => SubjectSet::GroupMembers {
                group_id: Some(id),
                description: None,
            },
            _ => SubjectSet::SingleUser {
                user_id: Some(id),
                description: None,
            },
        });
    }
    let key = |s: &SubjectSet| match s {
        SubjectSet::SingleUser { user_id, .. } => {
            Some(("user", user_id.clone().unwrap_or_default().to_lowercase()))
        }
        SubjectSet::GroupMembers { group_id, .. } => {
            Some(("group", group_id.clone().unwrap_or_default().to_lowercase()))
        }
        SubjectSet::Other { .. } => None,
    };
    let have: BTreeSet<_> = wire.iter().map(key).collect();
    let want_keys: BTreeSet<_> = wanted.iter().map(key).collect();
    if have != want_keys {
        *wire = wanted;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use crate::graph::defaults::default_rules;

    fn no_ids(_: &PrincipalRef) -> Option<String> {
        None
    }

    #[test]
    fn reads_microsofts_untouched_policy() {
        let s = observed_settings(&default_rules());
        assert_eq!(s.activation.max_duration, Some(Duration::from_hours(8)));
        assert_eq!(
            s.activation.require,
            Some([Requirement::Mfa, Requirement::Justification].into())
        );
        assert_eq!(s.activation.authentication_context, Some(None));
        assert_eq!(s.activation.approval.required, Some(false));
        assert_eq!(s.eligible_assignment.allow_permanent, Some(true));
        assert_eq!(
            s.eligible_assignment.max_duration,
            Some(Duration::from_days(365))
        );
        assert_eq!(
            s.active_assignment.max_duration,
            Some(Duration::from_days(180))
        );
        assert_eq!(s.notifications.len(), 9);
        assert!(
            s.notifications
                .values()
                .all(|n| n.default_recipients == Some(true)
                    && n.critical_only == Some(false)
                    && n.recipients.as_deref() == Some(&[][..]))
        );
    }

    #[test]
    fn unmanaged_settings_change_nothing() {
        for rule in default_rules() {
            assert_eq!(
                updated_rule(&rule, &PolicySettings::default(), &no_ids).unwrap(),
                None
            );
        }
    }

    #[test]
    fn settings_equal_to_the_live_ones_change_nothing() {
        let live = default_rules();
        let observed = observed_settings(&live);
        for rule in &live {
            assert_eq!(
                updated_rule(rule, &observed, &|p| Some(p.name.clone())).unwrap(),
                None,
                "{}",
                rule.id()
            );
        }
    }

    #[test]
    fn managed_changes_touch_only_their_rule_and_fields() {
        let live = default_rules();
        let mut want = PolicySettings::default();
        want.activation.max_duration = Some(Duration::from_hours(1));
        want.activation.authentication_context = Some(Some("c1".into()));
        want.activation.approval.required = Some(true);
        want.activation.approval.stages = Some(vec![ApprovalStage {
            approvers: Some(vec![PrincipalRef::new(PrincipalKind::Group, "Approvers")]),
            ..Default::default()
        }]);
        want.eligible_assignment.allow_permanent = Some(false);
        let ids = |p: &PrincipalRef| (p.name == "Approvers").then(|| "g-1".to_string());
        let mut changed = Vec::new();
        for rule in &live {
            if let Some(new) = updated_rule(rule, &want, &ids).unwrap() {
                assert_eq!(new.id(), rule.id());
                assert_eq!(new.target(), rule.target(), "the full target is kept");
                changed.push(new);
            }
        }
        let ids_changed: Vec<_> = changed.iter().map(|r| r.id().to_string()).collect();
        assert_eq!(
            ids_changed
                .iter()
                .map(String::as_str)
                .collect::<BTreeSet<_>>(),
            [
                "Expiration_EndUser_Assignment",
                "AuthenticationContext_EndUser_Assignment",
                "Approval_EndUser_Assignment",
                "Expiration_Admin_Eligibility"
            ]
            .into()
        );
        let after = observed_settings(&changed);
        assert_eq!(after.activation.max_duration, Some(Duration::from_hours(1)));
        assert_eq!(
            after.activation.authentication_context,
            Some(Some("c1".into()))
        );
        assert_eq!(after.eligible_assignment.allow_permanent, Some(false));
        assert_eq!(
            after.eligible_assignment.max_duration,
            Some(Duration::from_days(365)),
            "unmanaged: kept"
        );
        let ap = &after.activation.approval;
        assert_eq!(ap.required, Some(true));
        let stage = &ap.stages.as_ref().unwrap()[0];
        assert_eq!(
            stage.approvers,
            Some(vec![PrincipalRef::new(PrincipalKind::Group, "g-1")])
        );
        assert_eq!(
            stage.timeout_days,
            Some(1),
            "unmanaged stage fields keep the live values"
        );
    }

    #[test]
    fn an_unresolvable_approver_is_an_error_not_a_silent_removal() {
        let live = default_rules();
        let mut want = PolicySettings::default();
        want.activation.approval.stages = Some(vec![ApprovalStage {
            approvers: Some(vec![PrincipalRef::new(
                PrincipalKind::User,
                "ghost@contoso.com",
            )]),
            ..Default::default()
        }]);
        let approval = live
            .iter()
            .find(|r| r.id() == "Approval_EndUser_Assignment")
            .unwrap();
        assert!(matches!(
            updated_rule(approval, &want, &no_ids),
            Err(UpdateError::UnresolvedApprover(_))
        ));
    }
}
