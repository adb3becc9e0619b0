//! PIM021: no assignment made outside PIM.

use super::is_sensitive;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM021",
        name: "assigned-outside-pim",
        title: "No privileged role is assigned outside PIM",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["MS.AAD.7.5v1", "MT.1031", "ZTA 21816"],
        rationale: "An assignment made directly (the legacy role assignment API, a script, an old portal blade) \
                    bypasses PIM: no policy was checked, no justification recorded, and PIM shows it without a \
                    start time. The tenant alone knows how an assignment was made.",
        fix: "Remove the direct assignment and, if it is still needed, declare it (eligible, or active with an \
              `until`); `pimctl apply` recreates it through PIM.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values().filter(|r| is_sensitive(r)) {
        for a in role.assignments.iter().filter(|a| a.outside_pim) {
            out.push(
                cx.finding(format!(
                    "{} was assigned {} outside PIM (no PIM start time)",
                    a.principal.label, role.name
                ))
                .role(role)
                .principal(&a.principal)
                .help("remove the direct assignment and declare it, so that it goes through PIM"),
            );
        }
    }
}
