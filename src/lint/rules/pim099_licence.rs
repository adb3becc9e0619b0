//! PIM099: the tenant holds the licence PIM depends on, with a seat for everyone pimctl makes eligible, approver or
//! reviewer.

use crate::lint::licence::LicenceFacts;
use crate::lint::{Cx, Finding, Half, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM099",
        name: "licence",
        title: "The tenant has Microsoft Entra ID P2 or ID Governance, with a seat for every eligible user, approver \
                and reviewer pimctl manages",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["MS.AAD.7.4v1", "PIM InvalidLicenseAlert"],
        rationale: "PIM is a Microsoft Entra ID P2 (or ID Governance) feature, and it does not fail safe when the \
                    licence lapses: eligible assignments disappear, time-bound active assignments become permanent, \
                    and the management surfaces go away, which is close to the opposite of the declared posture. \
                    Every user who is eligible, approves activations or reviews access needs a licence. pimctl \
                    reads the tenant's subscriptions (`GET /subscribedSkus`, one request; permission \
                    `LicenseAssignment.Read.All`) and counts the distinct users it manages in those three parts. \
                    No subscription in effect (Enabled, or Warning in its grace period) with the AAD_PREMIUM_P2 or \
                    Entra_Identity_Governance service plan is an error; fewer assigned seats than those users is a \
                    warning with both numbers (members of groups are counted when their members were read).",
        fix: "Buy or renew Microsoft Entra ID P2 (or ID Governance, or a suite that includes it) and assign it to \
              every eligible user, approver and reviewer.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    if cx.view.half == Half::Declared {
        return;
    }
    let Some(facts) = &cx.view.licences else {
        return;
    };
    match facts {
        LicenceFacts::Unreadable(e) => out.push(
            cx.finding(format!("the tenant's licences could not be read: {e}"))
                .severity(Severity::Warning)
                .detail("unreadable")
                .help("grant LicenseAssignment.Read.All to read GET /subscribedSkus"),
        ),
        LicenceFacts::Read { skus, .. } if skus.is_empty() => out.push(
            cx.finding(
                "the tenant has no Microsoft Entra ID P2 or ID Governance licence in effect: without it, eligible \
                 assignments disappear and time-bound active ones become permanent",
            )
            .detail("missing")
            .help("buy or renew Microsoft Entra ID P2 or ID Governance"),
        ),
        LicenceFacts::Read {
            skus,
            seats,
            people,
            uncounted_groups,
        } => {
            let people = i64::try_from(*people).unwrap_or(i64::MAX);
            if *seats < people {
                let uncounted = match &uncounted_groups[..] {
                    [] => String::new(),
                    gs => format!(" (not counting the members of {})", gs.join(", ")),
                };
                out.push(
                    cx.finding(format!(
                        "{people} eligible users, approvers and reviewers need a PIM licence{uncounted}, and {seats} \
                         seats of {} are assigned",
                        skus.join(", ")
                    ))
                    .severity(Severity::Warning)
                    .detail("seats")
                    .help("assign Microsoft Entra ID P2 or ID Governance to every eligible user, approver and reviewer"),
                );
            }
        }
    }
}
