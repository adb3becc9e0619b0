//! PIM110: no permanent active Owner or User Access Administrator at a subscription or management group.

use super::check_permanent_active;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

/// Owner and User Access Administrator: both can grant any access at their scope.
pub(crate) const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
pub(crate) const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM110",
        name: "azure-permanent-owner",
        title: "No permanent active Owner or User Access Administrator at a subscription or management group",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MCSB PA-2", "MCSB PA-1", "MSL-PIM-DP-1"],
        rationale: "Owner and User Access Administrator can assign any role at their scope, so whoever holds them at a \
                    subscription or a management group controls everything in it, including who else gets in. \
                    The Microsoft cloud security benchmark asks to avoid standing access (PA-2) and to limit and \
                    protect highly privileged users (PA-1); Microsoft's PIM deployment plan allows no permanently \
                    active privileged assignment but the emergency accounts (pim-baselines.md, MSL-PIM-DP-1). A \
                    permanent active Owner is what a portal-made assignment usually is, and what an attacker who \
                    steals that session keeps. CIS Microsoft Azure Foundations asks for least privilege on \
                    subscription administration in the same spirit.",
        fix: "Move the principal to `eligible:` (or give the active assignment an `until`). Declare the emergency \
              accounts under `protected:`; a justified exception goes under `lint: {exceptions: [...]}` with a \
              reason and an end date.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let owners =
        |r: &&crate::lint::RoleView| r.key.0 == OWNER || r.key.0 == USER_ACCESS_ADMINISTRATOR;
    let broad = |r: &&crate::lint::RoleView| match r.target.arm_scope() {
        Some(s) => matches!(
            s,
            crate::graph::arm::ArmScope::Subscription(_)
                | crate::graph::arm::ArmScope::ManagementGroup(_)
        ),
        // A subscription or management group by display name (declared, not yet resolved).
        None => crate::graph::arm::NamedScope::parse(&r.target.scope)
            .and_then(Result::ok)
            .is_some_and(|n| n.is_root()),
    };
    check_permanent_active(cx, cx.view.azure.values().filter(owners).filter(broad), out);
}
