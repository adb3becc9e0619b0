//! PIM111: activating Owner on an Azure scope needs approval and MFA (or an authentication context).

use super::pim110_azure_permanent_owner::OWNER;
use super::{activation_without_mfa, approval_not_required};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM111",
        name: "azure-owner-activation",
        title: "Activating Owner on an Azure scope requires approval and MFA",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MCSB PA-2", "MCSB PA-1", "MSL-PIM-DP-2"],
        rationale: "An eligible Owner becomes an Owner by activating, so the activation is where the control is. \
                    Microsoft's PIM deployment plan requires MFA and approval to activate the most privileged \
                    roles (pim-baselines.md, MSL-PIM-DP-2), and the Microsoft cloud security benchmark asks for \
                    just-in-time access with an approval workflow for privileged access (PA-2) to highly privileged \
                    accounts (PA-1). Without approval, anyone eligible grants themselves Owner; without MFA (or a \
                    Conditional Access authentication context), a stolen password does. Judged where Owner is \
                    declared or someone is eligible for it (every scope has an Owner policy; an untouched one \
                    nobody can activate is not reported).",
        fix: "Use a tier-0 template (`template: builtin:tier0`), or set `activation.approval.required: true` with \
              approvers and add `mfa` to `activation.require` (or set `activation.authentication_context`).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    // Every scope has an Owner policy, and an untouched one asks for neither: judged where it matters, where the
    // declaration manages Owner or someone is eligible to activate it.
    let judged = |r: &&crate::lint::RoleView| {
        r.key.0 == OWNER
            && (r.declared
                || r.assignments(crate::model::AssignmentKind::Eligible)
                    .next()
                    .is_some())
    };
    for role in cx.view.azure.values().filter(judged) {
        out.extend(approval_not_required(cx, role).map(|f| f.detail("approval")));
        out.extend(activation_without_mfa(cx, role).map(|f| f.detail("mfa")));
    }
}
