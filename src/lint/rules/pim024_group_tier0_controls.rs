//! PIM024: a group that holds a tier-0 directory role is governed like one: both its blocks are managed, and
//! activating its membership or ownership needs approval.

use super::approvers;
use crate::lint::{Cx, Finding, Half, Meta, Reads, Rule, Severity};
use crate::model::{GroupAccess, PrincipalKind};
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM024",
        name: "group-tier0-controls",
        title: "A group that holds a tier-0 role has tier-0 activation controls on its member and owner policies",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.6v1", "MSL-SECOPS-1", "MSL-PIM-DP-5", "ZTA 21816"],
        rationale: "A role-assignable group that is eligible for, or active in, a tier-0 role hands that role to \
                    whoever becomes its member, and its owners can make themselves members. Activating the \
                    membership or the ownership is therefore activating the role, and needs the same controls; \
                    otherwise the lock has moved to a side door. ScubaGear judges Global Administrator's approval \
                    on the member policy of the groups that hold it (MS.AAD.7.6); pimctl does so for every tier-0 \
                    role and for the owner policy too. This rule asks that both the group's `member` and `owner` \
                    blocks are declared (a block not declared keeps whatever the portal gives it) and that \
                    activation needs approval with an approver named. MFA, justification and the 8-hour ceiling of \
                    the same blocks are PIM034, PIM035 and PIM037, which judge a group block as the most \
                    privileged role its group holds.",
        fix: "Declare the group under `groups:` with `member:` and `owner:` blocks using `template: builtin:tier0` \
              (approval, MFA, justification, at most 2 hours), and name approvers.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let view = cx.view;
    // The blocks a view has, then the tier-0 groups that have none.
    for block in view.groups.values() {
        let Some(g) = &block.group else { continue };
        if !g.tier0() {
            continue;
        }
        let approval = block.policy.activation.approval.required;
        let problem = match approval {
            Some(true) if approvers(block).is_empty() => {
                continue; // PIM031 (live); the loader refuses it declared
            }
            Some(true) => continue,
            Some(false) => "does not require approval",
            None => "does not declare whether activation needs approval",
        };
        out.push(
            cx.finding(format!(
                "{} {problem}, and the group holds {}",
                block.name,
                g.tier0_roles()
            ))
            .role(block)
            .at(block.origin_of("activation.approval.required"))
            .detail("approval")
            .help("set `activation.approval.required: true` with approvers (`template: builtin:tier0`)"),
        );
    }
    let mut seen = BTreeSet::new();
    for role in view.roles.values().filter(|r| super::is_tier0(r)) {
        for a in &role.assignments {
            if a.principal.kind != PrincipalKind::Group {
                continue;
            }
            for access in [GroupAccess::Member, GroupAccess::Owner] {
                let has = view
                    .blocks_of(&a.principal)
                    .any(|b| b.group.as_ref().is_some_and(|g| g.access == access));
                if has || !seen.insert((a.principal.key(), access)) {
                    continue;
                }
                let whose = match view.half {
                    Half::Declared => "is not declared",
                    _ => "is not declared, so pimctl did not read it",
                };
                let f = cx
                    .finding(format!(
                        "group {} holds {} ({}), but its `{}` block {whose}",
                        a.principal.label,
                        role.name,
                        a.kind,
                        access.as_str()
                    ))
                    .role(role)
                    .principal(&a.principal)
                    .at(a.origin.as_ref())
                    .detail(access.as_str())
                    .help(format!(
                        "declare `groups: {{{}: {{{}: {{template: builtin:tier0}}}}}}`",
                        a.principal.label,
                        access.as_str()
                    ));
                out.push(if access == GroupAccess::Owner {
                    f.severity(Severity::Warning)
                } else {
                    f
                });
            }
        }
    }
}
