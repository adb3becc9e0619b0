//! PIM027: nobody who can reset passwords can reset those of the eligible members of a group that holds a tier-0 role.

use super::roles_in;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::{AssignmentKind, GroupAccess, PrincipalKind};

/// The roles that reset other users' passwords, short of tier 0's own Privileged Authentication Administrator (who
/// can reset anyone's, and is judged as tier 0 already): Helpdesk, Password, User and Authentication Administrator.
const RESETTERS: &[&str] = &[
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d", // Password Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
];

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM027",
        name: "password-reset-escalation",
        title: "Password administrators cannot take over the eligible members of a group that holds a tier-0 role",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["ScubaGear#2072", "MS.AAD.7.4v1", "MSL-PIM-GROUPS"],
        rationale: "Entra protects the holders of privileged roles from password resets by less privileged \
                    administrators. Microsoft documents that the protection covers the active members of a \
                    role-assignable group, and gives as example that a Helpdesk Administrator can reset the password \
                    of an *eligible* member (concept-pim-for-groups). Making people eligible members of a group that \
                    holds Global Administrator, instead of eligible for the role itself, can then open a path: a \
                    Helpdesk, Password, User or Authentication Administrator resets the eligible member's password \
                    (Authentication Administrator can also reset their MFA methods), signs in as them, and activates \
                    the membership, and with it the role (ScubaGear#2072). A later test reported in \
                    MicrosoftDocs/entra-docs#2049 found eligible members protected, so the exposure depends on the \
                    platform's current behaviour: this rule is a warning that names the path, in both halves. \
                    Privileged Authentication Administrator can reset anyone's password and is tier 0 itself.",
        fix: "Make the people eligible for the tier-0 role directly rather than through the group; or require \
              approval and an authentication context with phishing-resistant methods on the group's member \
              activation (`template: builtin:tier0`, `activation.authentication_context`), so that a reset password \
              alone cannot activate; or scope the password administrators to an administrative unit that excludes \
              these users.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let view = cx.view;
    let resetters: Vec<_> = roles_in(view, RESETTERS)
        .filter(|r| !r.assignments.is_empty())
        .collect();
    if resetters.is_empty() {
        return;
    }
    for block in view.groups.values() {
        let Some(g) = &block.group else { continue };
        if g.access != GroupAccess::Member || !g.tier0() {
            continue;
        }
        let eligible: Vec<_> = block
            .assignments(AssignmentKind::Eligible)
            .filter(|a| a.principal.kind == PrincipalKind::User)
            .collect();
        if eligible.is_empty() {
            continue;
        }
        for r in &resetters {
            let holders = r.assignments.len();
            let who: Vec<&str> = eligible
                .iter()
                .take(3)
                .map(|a| a.principal.label.as_str())
                .collect();
            let more = eligible.len().saturating_sub(who.len());
            out.push(
                cx.finding(format!(
                    "{} ({holders} assignment{}) can reset the passwords of {} eligible member{} of {} ({}{}), \
                     which holds {}",
                    r.name,
                    if holders == 1 { "" } else { "s" },
                    eligible.len(),
                    if eligible.len() == 1 { "" } else { "s" },
                    g.name,
                    who.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                    g.tier0_roles()
                ))
                .role(block)
                .at(block.origins.get("eligible").or(block.origin.as_ref()))
                .detail(r.key.0.clone())
                .help("make them eligible for the role directly, or require approval and an authentication context on the membership"),
            );
        }
    }
}
