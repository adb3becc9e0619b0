//! PIM031: a role whose activation needs approval names at least one approver.

use super::approvers;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM031",
        name: "approver-present",
        title: "Approval, where required, names at least one approver",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["ZTA 21817", "MSL-CFG-1"],
        rationale: "With approval required and nobody named, Entra falls back to the Privileged Role Administrators \
                    and Global Administrators as approvers: the very people whose access the approval should check, \
                    and possibly nobody at all when they are all eligible-only. The loader already refuses such a declaration \
                    (E0150), so this rule judges the tenant. Groups: every group block (member and owner) is judged \
                    too.",
        fix: "Name approvers under `activation.approval.approvers` (a group of approvers, and a second person).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.targets() {
        if role.policy.activation.approval.required != Some(true) || !approvers(role).is_empty() {
            continue;
        }
        out.push(
            cx.finding(format!(
                "{} requires approval but names no approver",
                role.name
            ))
            .role(role)
            .at(role.origin_of("activation.approval.approvers"))
            .help("name approvers under `activation.approval.approvers`"),
        );
    }
}
