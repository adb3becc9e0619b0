//! Policy enforcement on schedule requests, shared by the Graph routes (Entra roles) and the ARM routes (Azure
//! resource roles): both services check a request against the same 17 rules, read here as Graph rules (ARM rules
//! convert with [`crate::graph::arm::ArmPolicyRule::to_graph`]).
//!
//! The failures are named as the services name them in `RoleAssignmentRequestPolicyValidationFailed`:
//! `ExpirationRule`, `JustificationRule`, `TicketingRule`, `MfaRule` (digest §10).

use super::state::Level;
use crate::duration::Duration;
use crate::graph::policy::{ApprovalSettings, PolicyRule};
use crate::model::{Requirement, RuleId};
use chrono::{DateTime, Utc};

type Dt = DateTime<Utc>;

/// What a request brings to the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    pub justification: bool,
    pub ticket: bool,
    pub mfa: bool,
}

impl Evidence {
    /// A justification or ticket number counts when it is not blank.
    pub fn new(justification: Option<&str>, ticket_number: Option<&str>, mfa: bool) -> Self {
        let given = |s: Option<&str>| s.is_some_and(|s| !s.trim().is_empty());
        Self {
            justification: given(justification),
            ticket: given(ticket_number),
            mfa,
        }
    }
}

/// A policy's rules, read for enforcement.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a>(pub &'a [PolicyRule]);

impl Rules<'_> {
    fn rule(&self, id: RuleId) -> Option<&PolicyRule> {
        self.0.iter().find(|r| r.id() == id.as_str())
    }

    /// `isExpirationRequired` and `maximumDuration` of an expiration rule.
    pub fn expiration(&self, id: RuleId) -> (bool, Option<Duration>) {
        match self.rule(id) {
            Some(PolicyRule::Expiration(e)) => {
                (e.is_expiration_required == Some(true), e.maximum_duration)
            }
            _ => (false, None),
        }
    }

    /// The requirements an enablement rule turns on.
    pub fn enabled(&self, id: RuleId) -> Vec<Requirement> {
        match self.rule(id) {
            Some(PolicyRule::Enablement(e)) => e
                .enabled_rules
                .iter()
                .flatten()
                .filter_map(|s| Requirement::from_graph_name(s))
                .collect(),
            _ => vec![],
        }
    }

    pub fn approval(&self) -> ApprovalSettings {
        match self.rule(RuleId::ApprovalEndUserAssignment) {
            Some(PolicyRule::Approval(a)) => a.setting.clone().unwrap_or_default(),
            _ => ApprovalSettings::default(),
        }
    }

    /// The activation maximum (`Expiration_EndUser_Assignment.maximumDuration`), 8 hours when unset.
    pub fn activation_max(&self) -> Duration {
        self.expiration(RuleId::ExpirationEndUserAssignment)
            .1
            .unwrap_or(Duration::from_hours(8))
    }

    /// The rules an admin request (assign, update, extend, renew) at `level` breaks.
    pub fn admin_failures(
        &self,
        level: Level,
        start: Dt,
        end: Option<Dt>,
        evidence: Evidence,
    ) -> Vec<&'static str> {
        let (exp_rule, enable_rule) = match level {
            Level::Eligibility => (
                RuleId::ExpirationAdminEligibility,
                RuleId::EnablementAdminEligibility,
            ),
            Level::Assignment => (
                RuleId::ExpirationAdminAssignment,
                RuleId::EnablementAdminAssignment,
            ),
        };
        let mut failed = vec![];
        let (required, max) = self.expiration(exp_rule);
        if required {
            match end {
                None => failed.push("ExpirationRule"),
                Some(e) if max.is_some_and(|m| e - start > m.to_chrono()) => {
                    failed.push("ExpirationRule")
                }
                _ => {}
            }
        }
        enablement_failures(&self.enabled(enable_rule), evidence, &mut failed);
        failed
    }

    /// The rules an activation from `start` to `end` breaks (a justification demanded by approval included).
    pub fn activation_failures(
        &self,
        start: Dt,
        end: Option<Dt>,
        evidence: Evidence,
    ) -> Vec<&'static str> {
        let max = self.activation_max();
        let mut failed = vec![];
        match end {
            None => failed.push("ExpirationRule"),
            Some(e) if e - start > max.to_chrono() => failed.push("ExpirationRule"),
            _ => {}
        }
        enablement_failures(
            &self.enabled(RuleId::EnablementEndUserAssignment),
            evidence,
            &mut failed,
        );
        let approval = self.approval();
        if approval.is_approval_required == Some(true)
            && approval.is_requestor_justification_required == Some(true)
            && !evidence.justification
            && !failed.contains(&"JustificationRule")
        {
            failed.push("JustificationRule");
        }
        failed
    }
}

fn enablement_failures(reqs: &[Requirement], ev: Evidence, failed: &mut Vec<&'static str>) {
    for r in reqs {
        match r {
            Requirement::Justification if !ev.justification => failed.push("JustificationRule"),
            Requirement::Ticket if !ev.ticket => failed.push("TicketingRule"),
            Requirement::Mfa if !ev.mfa => failed.push("MfaRule"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::defaults::default_rules;

    #[test]
    fn the_untouched_entra_policy_demands_justification_and_mfa_on_activation() {
        let rules = default_rules();
        let r = Rules(&rules);
        let t = Utc::now();
        let none = Evidence::new(None, None, false);
        assert_eq!(
            r.activation_failures(t, Some(t + chrono::Duration::hours(9)), none),
            vec!["ExpirationRule", "MfaRule", "JustificationRule"]
        );
        let all = Evidence::new(Some("why"), Some("T-1"), true);
        assert!(
            r.activation_failures(t, Some(t + chrono::Duration::hours(1)), all)
                .is_empty()
        );
        assert_eq!(
            r.admin_failures(Level::Assignment, t, None, none),
            vec!["JustificationRule"]
        );
        assert!(
            r.admin_failures(Level::Eligibility, t, None, none)
                .is_empty()
        );
    }
}
