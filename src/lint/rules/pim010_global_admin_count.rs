//! PIM010: the number of Global Administrators is within the profile's bounds.

use super::GA;
use crate::lint::groups::Via;
use crate::lint::{Cx, Finding, Half, Meta, Profile, Reads, Rule, Severity};
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM010",
        name: "global-admin-count",
        title: "Global Administrators are neither too few nor too many",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.1v1", "CIS 1.1.3", "ZTA 21812", "MSL-RBAC-BP5"],
        rationale: "Every Global Administrator can do anything in the tenant, so each one widens the attack surface; \
                    but fewer than two leaves the tenant with a single point of failure. The baselines differ on the \
                    upper bound: CISA allows 2 to 8, CIS 2 to 4, Microsoft fewer than 5 (and more than one). pimctl \
                    counts distinct principals (users and service principals) over eligible and active assignments, \
                    with the members of assigned groups expanded when the tenant was read. Groups: the eligible and \
                    active members of a group's `member` block count, and so do the owners of its `owner` block (the \
                    owners of a role-assignable group can add themselves to it); the message says how many owners \
                    were counted. A group whose members are unknown (no member block, and the declaration alone) \
                    counts as one.",
        fix: "Move Global Administrators to least-privileged roles (Privileged Role Administrator, User \
              Administrator, ...) until the count is within bounds, or add a second administrator (the two \
              break-glass accounts count).",
    },
    check,
};

/// The bounds of each profile, inclusive.
pub(crate) fn bounds(profile: Profile) -> (usize, usize) {
    match profile {
        Profile::Cisa => (2, 8),
        Profile::Cis => (2, 4),
        Profile::Microsoft => (2, 4),
    }
}

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let (min, max) = bounds(cx.options.profile);
    let role = cx.view.role(GA);
    let mut people = BTreeSet::new();
    let mut unexpanded = 0;
    let mut owners = BTreeSet::new();
    for a in role.into_iter().flat_map(|r| &r.assignments) {
        for h in cx.view.holders(a) {
            match h.via {
                Via::Unexpanded => unexpanded += 1,
                Via::Owner { .. } => {
                    owners.insert(h.principal.key());
                }
                Via::Direct | Via::Member { .. } => {}
            }
            people.insert(h.principal.key());
        }
    }
    // Someone who holds the role otherwise is not counted as an owner.
    let owners = owners
        .iter()
        .filter(|o| {
            role.into_iter().flat_map(|r| &r.assignments).all(|a| {
                cx.view
                    .holders(a)
                    .iter()
                    .all(|h| &h.principal.key() != *o || matches!(h.via, Via::Owner { .. }))
            })
        })
        .count();
    let n = people.len();
    if (min..=max).contains(&n) {
        return;
    }
    let mut counting = Vec::new();
    if unexpanded > 0 {
        counting.push(format!(
            "{unexpanded} group{} as one each",
            if unexpanded == 1 { "" } else { "s" }
        ));
    }
    if owners > 0 {
        counting.push(format!(
            "{owners} group owner{}",
            if owners == 1 { "" } else { "s" }
        ));
    }
    let groups = if counting.is_empty() {
        String::new()
    } else {
        format!(" (counting {})", counting.join(" and "))
    };
    let whose = match cx.view.half {
        Half::Declared => "declares",
        _ => "has",
    };
    let mut f = cx.finding(format!(
        "the tenant {whose} {n} Global Administrator{}{groups}; the {} profile wants {min} to {max}",
        if n == 1 { "" } else { "s" },
        cx.options.profile.as_str()
    ));
    if let Some(r) = role {
        f = f.role(r);
        // Too many: where people are added (eligible first); too few: the active list (break-glass goes there).
        let (first, then) = if n > max {
            ("eligible", "active")
        } else {
            ("active", "eligible")
        };
        f = f.at(r.origins.get(first).or(r.origins.get(then)));
    }
    out.push(
        f.detail(if n > max { "too many" } else { "too few" })
            .help(if n > max {
                "move administrators to least-privileged roles"
            } else {
                "declare at least two Global Administrators (the two break-glass accounts count)"
            }),
    );
}
