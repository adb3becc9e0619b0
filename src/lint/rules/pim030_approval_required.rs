//! PIM030: activating Global Administrator or Privileged Role Administrator needs approval.

use super::{GA, PRA, approval_not_required};
use crate::lint::{Cx, Finding, Half, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM030",
        name: "approval-required",
        title: "Activating Global Administrator or Privileged Role Administrator requires approval",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &[
            "MS.AAD.7.6v1",
            "CIS 5.3.4",
            "CIS 5.3.5",
            "ZTA 21817",
            "MSL-SECOPS-1",
        ],
        rationale: "These two roles can grant every other role. Requiring a second person to approve each activation \
                    means that one stolen account, even one that passes MFA, cannot take over the tenant alone.",
        fix: "Set `activation: {approval: {required: true, approvers: [...]}}` on the role (the `builtin:tier0` \
              template does), with approvers who do not hold the role themselves.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for (tid, name) in [
        (GA, "Global Administrator"),
        (PRA, "Privileged Role Administrator"),
    ] {
        let role = cx.view.role(tid);
        let Some(role) = role else {
            if cx.view.half == Half::Declared {
                out.push(
                    cx.finding(format!(
                        "{name} is not declared, so nothing requires approval to activate it"
                    ))
                    .detail(tid)
                    .help(format!("declare `{name}` with `template: builtin:tier0`")),
                );
            }
            continue;
        };
        out.extend(approval_not_required(cx, role));
    }
}
