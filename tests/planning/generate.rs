//! Generated tenants: a seed and the declaration that matches it, at any size (the plan request-count test and the
//! benchmark share it).

use pimctl::catalog;
use std::fmt::Write;

/// A generated tenant and the declaration that matches it: `roles` roles, `eligible` eligible and `active` active
/// assignments spread over them, and `activations` activations of eligible assignments in progress.
pub fn generated(
    roles: usize,
    eligible: usize,
    active: usize,
    activations: usize,
) -> (String, String) {
    let names: Vec<&str> = catalog::builtin_roles()
        .iter()
        .take(roles)
        .map(|r| r.display_name.as_str())
        .collect();
    let users = eligible.max(active);
    let mut seed = String::from(
        "tenant: {id: 11111111-2222-4333-8444-555555555555, domain: fabrikam.com}\nnow: 2026-11-21T09:00:00Z\nusers:\n",
    );
    for u in 0..users {
        writeln!(
            seed,
            "  - {{upn: u{u}@fabrikam.com, display_name: User {u}}}"
        )
        .unwrap();
    }
    let mut per_role: Vec<(Vec<usize>, Vec<usize>)> = vec![(vec![], vec![]); roles];
    seed.push_str("eligible:\n");
    for i in 0..eligible {
        let r = i % roles;
        per_role[r].0.push(i);
        writeln!(
            seed,
            "  - {{role: {}, user: u{i}@fabrikam.com, until: 2027-06-30T23:59:59Z}}",
            names[r]
        )
        .unwrap();
    }
    seed.push_str("active:\n");
    for i in 0..active {
        // Active assignments go to other roles than the same user's eligibility.
        let r = (i + 1) % roles;
        per_role[r].1.push(i);
        writeln!(seed, "  - {{role: {}, user: u{i}@fabrikam.com, start: 2026-11-01T00:00:00Z, until: 2026-12-31T23:59:59Z}}", names[r]).unwrap();
    }
    seed.push_str("activations:\n");
    for i in 0..activations {
        let r = i % roles;
        writeln!(seed, "  - {{role: {}, user: u{i}@fabrikam.com, start: 2026-11-21T08:30:00Z, duration: PT2H}}", names[r]).unwrap();
    }
    let mut policies = String::from("version: pimctl/v1\ndirectory_roles:\n");
    for (r, (elig, act)) in per_role.iter().enumerate() {
        writeln!(policies, "  {}:", names[r]).unwrap();
        policies.push_str("    eligible:\n");
        for i in elig {
            writeln!(
                policies,
                "      - {{user: u{i}@fabrikam.com, until: 2027-06-30T23:59:59Z}}"
            )
            .unwrap();
        }
        if elig.is_empty() {
            policies.push_str("      []\n");
        }
        policies.push_str("    active:\n");
        for i in act {
            writeln!(
                policies,
                "      - {{user: u{i}@fabrikam.com, until: 2026-12-31T23:59:59Z}}"
            )
            .unwrap();
        }
        if act.is_empty() {
            policies.push_str("      []\n");
        }
    }
    (seed, policies)
}
