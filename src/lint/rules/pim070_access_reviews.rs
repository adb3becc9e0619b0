//! PIM070: the CIS 5.3.3 roles are reviewed monthly or more often, briefly, and not by their own members; and, in
//! the tenant, every review of a PIM target is answered.

use super::{CIS_REVIEWED_ROLES, roles_in};
use crate::lint::{Cx, Finding, Half, Meta, Profile, Reads, RoleView, Rule, Severity, View};
use crate::model::{CadenceUnit, DefaultDecision, Reviewer, Surface, TargetKey};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM070",
        name: "access-reviews",
        title: "Global, Exchange, SharePoint, Teams and Security Administrator are reviewed at least monthly, within \
                4 days, by someone other than the members, and reviews are answered (an error under the cis profile)",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["CIS 5.3.3", "MSL-RBAC-BP4"],
        rationale: "Eligibility accumulates: people change jobs and keep their roles. A recurring review asks the \
                    role's owners to confirm each member. CIS (v4 and later) asks for a review at least monthly that \
                    closes within 4 days, by designated reviewers rather than the members themselves, and that \
                    members nobody reviewed keep their access (\"no change\"): under `--profile cis` a default \
                    decision other than `none` is reported too. With `--live` \
                    the tenant's own review definitions are judged too (a review the language cannot describe \
                    exactly counts as present, unjudged), and so is what their reviewers did: a review whose last \
                    ended instance had principals to review and not one decision by a reviewer (nothing, or only \
                    the default decision the service applied) is governance theatre, whichever role it covers. \
                    pimctl reads each review's instances and that instance's decisions, 20 reviews to a `$batch`.",
        fix: "Declare `access_review: {every: 1 month, duration: 4d, reviewers: [{group: ...}]}` on the role or its \
              template. For an unanswered review, name reviewers who will answer (a group that owns the role, not \
              a distribution list), and keep reminders on.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let severity = if cx.options.profile == Profile::Cis {
        Severity::Error
    } else {
        Severity::Warning
    };
    for role in roles_in(cx.view, CIS_REVIEWED_ROLES) {
        let mut problems: Vec<(&str, String)> = Vec::new();
        match &role.access_review {
            None if missing(cx.view, role) => problems.push((
                "missing",
                if cx.view.half == Half::Declared {
                    "declares no access review"
                } else {
                    "has no access review"
                }
                .into(),
            )),
            None => {}
            Some(r) => {
                let monthly = match r.every.unit {
                    CadenceUnit::Week => r.every.interval <= 4,
                    CadenceUnit::Month => r.every.interval <= 1,
                };
                if !monthly {
                    problems.push((
                        "cadence",
                        format!("is reviewed every {}, less often than monthly", r.every),
                    ));
                }
                if r.duration.as_secs() > 4 * 86_400 {
                    problems.push((
                        "duration",
                        format!("keeps each review open {}, more than 4 days", r.duration),
                    ));
                }
                if r.reviewers.contains(&Reviewer::SelfReview) {
                    problems.push(("self", "lets members review themselves".into()));
                }
                // CIS's reading: members nobody reviewed keep their access ("no change"). The other profiles
                // accept Microsoft's high-impact guidance (remove them), so only `--profile cis` asks for it.
                if cx.options.profile == Profile::Cis && r.default_decision != DefaultDecision::None
                {
                    problems.push((
                        "default",
                        format!(
                            "changes the access of members nobody reviewed (default decision {}), where CIS asks for \
                             no change",
                            match r.default_decision {
                                DefaultDecision::Approve => "approve",
                                DefaultDecision::Deny => "deny",
                                _ => "recommendation",
                            }
                        ),
                    ));
                }
            }
        }
        for (detail, problem) in problems {
            out.push(
                cx.finding(format!("{} {problem}", role.name))
                    .severity(severity)
                    .role(role)
                    .at(role.origin_of(match detail {
                        "cadence" => "access_review.every",
                        "duration" => "access_review.duration",
                        "self" => "access_review.reviewers",
                        "default" => "access_review.default_decision",
                        _ => "access_review",
                    }))
                    .detail(detail)
                    .help("review at least monthly, within 4 days, by designated reviewers"),
            );
        }
    }
    for a in cx.view.review_activity.iter().filter(|a| a.unanswered()) {
        let Some(role) = target(cx.view, &a.target) else {
            continue;
        };
        out.push(
            cx.finding(format!(
                "{}: its access review '{}' ended on {} with {} to review and not one decision by a reviewer",
                role.name,
                a.name,
                a.ended.format("%Y-%m-%d"),
                a.decisions
            ))
            .severity(severity)
            .role(role)
            .at(role.origin_of("access_review"))
            .detail(format!("unanswered {}", a.definition))
            .help("name reviewers who answer; a review nobody answers only applies its default decision"),
        );
    }
}

/// Whether the view knows the role has no review: the declaration says none, or the tenant's reviews were read and
/// none covers it (a role nobody holds in the tenant needs no review).
fn missing(view: &View, role: &RoleView) -> bool {
    match &view.reviewed {
        _ if view.half == Half::Declared => true,
        Some(reviewed) => !reviewed.contains(&role.target) && !role.assignments.is_empty(),
        None => false,
    }
}

/// The view's role or group block a review covers.
fn target<'a>(view: &'a View, key: &TargetKey) -> Option<&'a RoleView> {
    match key.surface {
        Surface::DirectoryRole => view.roles.get(&key.role),
        Surface::Group => view.groups.get(key),
        Surface::AzureRole => None,
    }
}
