//! PIM019: privileged roles that hold assignments are managed by the declaration.

use super::is_sensitive;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM019",
        name: "unmanaged-privileged-role",
        title: "Privileged roles that hold assignments are declared",
        severity: Severity::Warning,
        reads: Reads::Live,
        baselines: &["MSL-RBAC-BP2", "MSL-PIM-DP-3", "ZTA 21816"],
        rationale: "A privileged role that pimctl does not manage keeps whatever policy and members the portal gave \
                    it: nothing reviews its changes in a pull request, and drift detection does not see it. Roles \
                    nobody holds are harmless; roles with members are not.",
        fix: "Declare the role under `directory_roles:` with a tier template and its current members (`pimctl import` \
              writes them), then tighten it.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values() {
        if role.declared || !is_sensitive(role) || role.assignments.is_empty() {
            continue;
        }
        let (e, a) = role
            .assignments
            .iter()
            .fold((0, 0), |(e, a), x| match x.kind {
                crate::model::AssignmentKind::Eligible => (e + 1, a),
                crate::model::AssignmentKind::Active => (e, a + 1),
            });
        out.push(
            cx.finding(format!(
                "{} is not declared, and holds {e} eligible and {a} active assignment{}",
                role.name,
                if a == 1 { "" } else { "s" }
            ))
            .role(role)
            .help(format!("declare `{}` under `directory_roles:`", role.name)),
        );
    }
}
