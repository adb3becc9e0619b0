//! The licence PIM depends on, for PIM099: which of the tenant's subscriptions (`GET /subscribedSkus`) carry a
//! service plan that includes Privileged Identity Management, how many of their seats are assigned, and how many
//! people pimctl manages who need one.
//!
//! PIM needs Microsoft Entra ID P2 or Microsoft Entra ID Governance, for every user who is eligible, approves or
//! reviews (seed 002; `pim-baselines.md` §6.1, PIM-099; ScubaGear's `Aad2P2Licenses`, PIM's `InvalidLicenseAlert`).
//! Both come in many products (EMS E5 and Microsoft 365 E5 carry P2), so the plans are found by service plan, as
//! Microsoft's "Product names and service plan identifiers for licensing" lists them, not by product.

use super::Members;
use crate::graph::SubscribedSku;
use crate::model::{DesiredState, LiveState, PrincipalKind, PrincipalRef, Reviewer};
use std::collections::BTreeSet;

/// The service plans that include PIM: (service plan id, service plan name).
pub const PIM_SERVICE_PLANS: &[(&str, &str)] = &[
    // Microsoft Entra ID P2 (in AAD_PREMIUM_P2, EMS E5, Microsoft 365 E5, ...).
    ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
    // Microsoft Entra ID Governance (in Microsoft Entra ID Governance and Microsoft Entra Suite).
    (
        "e866a266-3cff-43a3-acca-0c90a7e00c8b",
        "Entra_Identity_Governance",
    ),
];

/// What PIM099 judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenceFacts {
    Read {
        /// The subscriptions in effect that carry a PIM plan: `SKU (plan)`.
        skus: Vec<String>,
        /// Their assigned seats (`consumedUnits`), summed.
        seats: i64,
        /// The distinct users pimctl manages who need a licence.
        people: usize,
        /// Groups among them whose members were not read, so not counted.
        uncounted_groups: Vec<String>,
    },
    /// `/subscribedSkus` could not be read (the error, which names the permission on a 403).
    Unreadable(String),
}

/// Whether a subscription is in effect: `Enabled`, or `Warning` (the grace period after it lapses, when it still
/// works). `Suspended`, `LockedOut` and `Deleted` no longer give the features.
fn in_effect(sku: &SubscribedSku) -> bool {
    sku.capability_status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("Enabled") || s.eq_ignore_ascii_case("Warning"))
}

/// The PIM plan a subscription carries, if any (a plan switched off for the tenant does not count).
fn pim_plan(sku: &SubscribedSku) -> Option<&'static str> {
    sku.service_plans.iter().find_map(|p| {
        if p.provisioning_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
        {
            return None;
        }
        PIM_SERVICE_PLANS.iter().find_map(|(id, name)| {
            let by_id = p
                .service_plan_id
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(id));
            let by_name = p
                .service_plan_name
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(name));
            (by_id || by_name).then_some(*name)
        })
    })
}

/// The facts, from the subscriptions as read (or why they could not be) and the declaration resolved against the
/// tenant: eligible users of every declared target (a group's members), approvers and escalation approvers, access
/// reviewers and fallback reviewers. Users only: service principals need no licence.
pub fn facts(
    desired: &DesiredState,
    live: &LiveState,
    members: &Members,
    skus: Result<&[SubscribedSku], String>,
) -> LicenceFacts {
    let skus = match skus {
        Ok(s) => s,
        Err(e) => return LicenceFacts::Unreadable(e),
    };
    let mut found = vec![];
    let mut seats = 0i64;
    for sku in skus.iter().filter(|s| in_effect(s)) {
        if let Some(plan) = pim_plan(sku) {
            let part = sku.sku_part_number.as_deref().unwrap_or(&sku.id);
            found.push(format!("{part} ({plan})"));
            seats = seats.saturating_add(sku.consumed_units.unwrap_or(0).max(0));
        }
    }
    let mut people: BTreeSet<String> = BTreeSet::new();
    let mut uncounted: BTreeSet<String> = BTreeSet::new();
    let mut count = |p: &PrincipalRef| match p.kind {
        PrincipalKind::User => {
            people.insert(
                live.id_of(p)
                    .map(str::to_lowercase)
                    .unwrap_or_else(|| p.name.to_lowercase()),
            );
        }
        PrincipalKind::Group => {
            match live.id_of(p).and_then(|id| members.get(&id.to_lowercase())) {
                Some(ms) => people.extend(
                    ms.iter()
                        .filter(|m| m.kind == PrincipalKind::User)
                        .map(|m| m.id.to_lowercase()),
                ),
                None => {
                    uncounted.insert(p.name.clone());
                }
            }
        }
        PrincipalKind::ServicePrincipal => {}
    };
    for t in desired.targets.values() {
        for a in t.eligible.iter().flatten() {
            count(&a.principal);
        }
        for stage in t.policy.activation.approval.stages.iter().flatten() {
            for p in stage
                .approvers
                .iter()
                .flatten()
                .chain(stage.escalation_approvers.iter().flatten())
            {
                count(p);
            }
        }
        if let Some(r) = &t.access_review {
            for p in r.reviewers.iter().filter_map(|r| match r {
                Reviewer::Principal(p) => Some(p),
                _ => None,
            }) {
                count(p);
            }
            for p in &r.fallback_reviewers {
                count(p);
            }
        }
    }
    LicenceFacts::Read {
        skus: found,
        seats,
        people: people.len(),
        uncounted_groups: uncounted.into_iter().collect(),
    }
}

/// The groups the licence count needs the members of: declared eligible groups hold roles (their members are read
/// anyway); approver and reviewer groups may hold none. Their object ids, as the tenant resolved them.
pub fn groups_to_count(desired: &DesiredState, live: &LiveState) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for t in desired.targets.values() {
        let approvers = t
            .policy
            .activation
            .approval
            .stages
            .iter()
            .flatten()
            .flat_map(|s| {
                s.approvers
                    .iter()
                    .flatten()
                    .chain(s.escalation_approvers.iter().flatten())
            });
        let reviewers = t.access_review.iter().flat_map(|r| {
            r.reviewers
                .iter()
                .filter_map(|x| match x {
                    Reviewer::Principal(p) => Some(p),
                    _ => None,
                })
                .chain(&r.fallback_reviewers)
        });
        let eligible = t.eligible.iter().flatten().map(|a| &a.principal);
        for p in approvers.chain(reviewers).chain(eligible) {
            if p.kind == PrincipalKind::Group
                && let Some(id) = live.id_of(p)
            {
                out.insert(id.to_lowercase());
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LiveInput, Options, Severity, lint};

    #[test]
    fn unreadable_subscriptions_are_a_warning_not_a_failed_lint() {
        let desired = DesiredState::default();
        let live = LiveState::default();
        let facts = LicenceFacts::Unreadable(
            "GET /v1.0/subscribedSkus: 403 Forbidden (grant LicenseAssignment.Read.All)".into(),
        );
        let report = lint(
            &desired,
            Some(LiveInput {
                state: &live,
                members: &Members::new(),
                licences: Some(&facts),
                review_activity: &[],
            }),
            live.read_at,
            Options::default(),
        );
        let f: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "PIM099")
            .collect();
        assert_eq!(f.len(), 1, "{:?}", report.findings);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("LicenseAssignment.Read.All"));
        // Without the tenant, PIM099 says nothing.
        let declared = lint(&desired, None, live.read_at, Options::default());
        assert!(declared.findings.iter().all(|f| f.rule != "PIM099"));
    }
}
