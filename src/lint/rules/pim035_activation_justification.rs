//! PIM035: activation requires a justification.

use super::{is_sensitive, is_tier0};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::Requirement;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM035",
        name: "activation-justification",
        title: "Activating a privileged role requires a justification",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["MSL-SECOPS-1", "MSL-PIM-DP-2"],
        rationale: "A justification ties each activation to a reason that reviewers and incident responders can \
                    read in the audit log; without one, an activation by an intruder looks like any other. Groups: \
                    the member and owner blocks of a group that holds a privileged role are judged as that role.",
        fix: "Add `justification` to `activation.require`.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.targets() {
        if !is_tier0(role) && !is_sensitive(role) {
            continue;
        }
        let required = role
            .policy
            .activation
            .require
            .as_ref()
            .map(|r| r.contains(&Requirement::Justification));
        if required == Some(true) {
            continue;
        }
        let message = match required {
            None => format!(
                "{} does not declare whether activation needs a justification",
                role.name
            ),
            _ => format!("activating {} does not require a justification", role.name),
        };
        out.push(
            cx.finding(message)
                .role(role)
                .at(role.origin_of("activation.require"))
                .help("add `justification` to `activation.require`"),
        );
    }
}
