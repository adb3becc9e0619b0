//! PIM020: no permanent active assignment to a privileged role, except protected principals.

use super::{check_permanent_active, is_sensitive};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM020",
        name: "permanent-active-assignment",
        title: "No permanent active assignment to a privileged role, except break-glass accounts",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.4v1", "CIS 5.3.1", "ZTA 21815", "MSL-PIM-DP-1"],
        rationale: "A permanent active assignment is standing privilege: the role is usable at every moment, with no \
                    MFA, justification or approval at activation, and a stolen session inherits it. Privileged roles \
                    should be held eligible and activated just in time. The emergency access accounts are the one \
                    exception the baselines accept; declare them under `protected:`. Other exceptions (a service \
                    account during a migration) need a reason and an end date in the `lint:` block. Groups: a \
                    permanent active member of a group that holds a privileged role holds that role standing, so \
                    `member` blocks of such groups are judged too (permanent owners are PIM025).",
        fix: "Move the principal from `active:` to `eligible:`, or give the active assignment an `until`. For a \
              justified exception, add it under `lint: {exceptions: [{rule: PIM020, user: ..., reason: ..., \
              until: ...}]}`.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let members = |r: &&crate::lint::RoleView| {
        r.group
            .as_ref()
            .is_none_or(|g| g.access == crate::model::GroupAccess::Member)
    };
    let roles = cx
        .view
        .targets()
        .filter(members)
        .filter(|r| is_sensitive(r));
    check_permanent_active(cx, roles, out);
}
