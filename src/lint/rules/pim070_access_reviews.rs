//! PIM070: the CIS 5.3.3 roles are reviewed monthly or more often, briefly, and not by their own members.

use super::{CIS_REVIEWED_ROLES, roles_in};
use crate::lint::{Cx, Finding, Meta, Profile, Reads, Rule, Severity};
use crate::model::{CadenceUnit, Reviewer};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM070",
        name: "access-reviews",
        title: "Global, Exchange, SharePoint, Teams and Security Administrator are reviewed at least monthly, within \
                4 days, by someone other than the members (an error under the cis profile)",
        severity: Severity::Warning,
        reads: Reads::Declared,
        baselines: &["CIS 5.3.3", "MSL-RBAC-BP4"],
        rationale: "Eligibility accumulates: people change jobs and keep their roles. A recurring review asks the \
                    role's owners to confirm each member. CIS (v4 and later) asks for a review at least monthly that \
                    closes within 4 days, by designated reviewers rather than the members themselves. pimctl does \
                    not read access reviews from the tenant yet, so this rule judges the declaration only.",
        fix: "Declare `access_review: {every: 1 month, duration: 4d, reviewers: [{group: ...}]}` on the role or its \
              template.",
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
            None => problems.push(("missing", "declares no access review".into())),
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
                        _ => "access_review",
                    }))
                    .detail(detail)
                    .help("review at least monthly, within 4 days, by designated reviewers"),
            );
        }
    }
}
