//! PIM026: the owners of a group that holds a tier-0 role hold that role too; they are reported.

use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::GroupAccess;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM026",
        name: "group-owner-holds-role",
        title: "The owners of a group that holds a tier-0 role are holders of that role",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.1v1", "MSL-RBAC-BP5", "MSL-PIM-DP-5"],
        rationale: "Only role-assignable groups can hold directory roles, and the owners of a role-assignable group \
                    can change its membership. An owner, eligible or active, can therefore add themselves as a \
                    member and use the group's roles: they hold those roles without appearing on the role. Role \
                    counts (PIM010's Global Administrators) include them; this rule names each one, so that the \
                    ownership is a deliberate choice and the owners are reviewed with the role's holders. Protected \
                    principals are not reported.",
        fix: "Keep the owners of such a group to the people who administer the role anyway (or nobody: Privileged \
              Role Administrators manage role-assignable groups), and make the ownership eligible.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for block in cx.view.groups.values() {
        let Some(g) = &block.group else { continue };
        if g.access != GroupAccess::Owner || !g.tier0() {
            continue;
        }
        for a in &block.assignments {
            if cx.view.is_protected(&a.principal) {
                continue;
            }
            out.push(
                cx.finding(format!(
                    "{} is {} owner of {}, and so can take {}",
                    a.principal.label,
                    match a.kind {
                        crate::model::AssignmentKind::Eligible => "an eligible",
                        crate::model::AssignmentKind::Active => "an active",
                    },
                    g.name,
                    g.tier0_roles()
                ))
                .role(block)
                .principal(&a.principal)
                .at(a.origin.as_ref())
                .detail(a.kind.as_str())
                .help("review this owner with the role's holders, or remove the ownership"),
            );
        }
    }
}
