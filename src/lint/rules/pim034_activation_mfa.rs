//! PIM034: activation requires MFA or a Conditional Access authentication context.

use super::{activation_without_mfa, is_sensitive, is_tier0};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM034",
        name: "activation-mfa",
        title: "Activating a privileged role requires MFA or an authentication context (an error for tier 0, a \
                warning otherwise)",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &[
            "PIM NoMfaOnRoleActivationAlert",
            "MSL-SECOPS-1",
            "MSL-CFG-2",
        ],
        rationale: "Activation is the moment privilege is granted; proving it is really the member, with a second \
                    factor, is the control that makes just-in-time access safer than standing access. An \
                    authentication context lets a Conditional Access policy ask for phishing-resistant methods, \
                    which Microsoft prefers to the plain MFA flag (which may not prompt again within a session). \
                    Groups: the member and owner blocks of a group that holds a privileged role are judged as that \
                    role (an error when it is tier 0): activating the membership is activating the role.",
        fix: "Add `mfa` to `activation.require`, or set `activation.authentication_context: c1` with a Conditional \
              Access policy that targets it.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.targets() {
        let tier0 = is_tier0(role);
        let judged = if role.group.is_some() {
            is_sensitive(role)
        } else {
            tier0 || is_sensitive(role) || role.declared
        };
        if !judged {
            continue;
        }
        let severity = if tier0 {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.extend(activation_without_mfa(cx, role).map(|f| f.severity(severity)));
    }
}
