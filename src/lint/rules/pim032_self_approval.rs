//! PIM032: no approver of a role is also eligible for it.

use super::approvers;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::AssignmentKind;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM032",
        name: "approver-also-eligible",
        title: "No approver of a role is eligible for the same role",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["MSL-PIM-APPROVAL", "ZTA 21817", "CIS 5.3.4"],
        rationale: "PIM does not let approvers approve their own requests, but an approver who is also eligible \
                    turns a two-person control into a pact between two eligible members who approve each other, \
                    and, if they are the only approvers, deadlocks approval for themselves. Approvers should be \
                    people who oversee the role, not people who use it. Groups: every group block (member and owner) \
                    is judged too.",
        fix: "Choose approvers who are not eligible for the role (a security team, the role's owners), or remove \
              their eligibility.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.targets() {
        if role.policy.activation.approval.required != Some(true) {
            continue;
        }
        for approver in approvers(role) {
            for a in role.assignments(AssignmentKind::Eligible) {
                if !a.principal.answers_to(approver) {
                    continue;
                }
                out.push(
                    cx.finding(format!(
                        "{} approves activations of {} and is eligible for it",
                        a.principal.label, role.name
                    ))
                    .role(role)
                    .principal(&a.principal)
                    .at(role.origin_of("activation.approval.approvers"))
                    .help("name approvers who do not hold the role"),
                );
            }
        }
    }
}
