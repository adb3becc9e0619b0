//! PIM025: nobody owns a group that holds a privileged role permanently, except protected principals.

use super::{is_sensitive, standing};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::GroupAccess;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM025",
        name: "group-permanent-owner",
        title: "No permanent active owner of a group that holds a privileged role, except break-glass accounts",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.4v1", "MSL-PIM-DP-1", "ZTA 21816"],
        rationale: "The owner of a role-assignable group manages its membership: a permanent active owner can add \
                    anyone, themselves included, to a group that holds a privileged role, at any moment and \
                    without activating anything. That is standing privilege over the role, one step removed, and \
                    ZTA counts a PIM-for-Groups group as managed only when it has no permanent members. Ownership \
                    should be eligible, activated just in time like the role. Protected principals are exempt, as \
                    for PIM020 (which judges the group's permanent members).",
        fix: "Move the owner from `owner: {active: [...]}` to `owner: {eligible: [...]}`, or give the ownership an \
              `until`.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for block in cx.view.groups.values().filter(|b| is_sensitive(b)) {
        let Some(g) = &block.group else { continue };
        if g.access != GroupAccess::Owner {
            continue;
        }
        for a in standing(cx, block) {
            out.push(
                cx.finding(format!(
                    "{} permanently owns {}, which holds a privileged role",
                    a.principal.label, g.name
                ))
                .role(block)
                .principal(&a.principal)
                .at(a.origin.as_ref())
                .help("make the ownership eligible, or give it an `until`"),
            );
        }
    }
}
