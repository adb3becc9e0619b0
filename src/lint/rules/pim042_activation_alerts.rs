//! PIM042: activating the other highly privileged roles alerts someone.

use super::{CISA_ROLES, GA, check_activation_alerts, member_blocks_holding, roles_in};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM042",
        name: "activation-alerts",
        title: "Activating a highly privileged role other than Global Administrator alerts a monitored mailbox",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.9v1", "ZTA 21820"],
        rationale: "CISA asks (SHOULD) that activations of the other seven highly privileged roles alert a mailbox \
                    too, ideally a different one from Global Administrator's so that the volume does not drown the \
                    critical alerts. pimctl checks that a recipient exists; it does not compare mailboxes. Groups: \
                    the `member` block of a group that holds one of these roles (and not Global Administrator, \
                    which is PIM041's) is judged too.",
        fix: "Set `notifications.activated.admin.recipients` on the role, or in its tier template.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let others: Vec<&str> = CISA_ROLES.iter().copied().filter(|t| *t != GA).collect();
    let groups = member_blocks_holding(cx.view, &others)
        .filter(|b| !member_blocks_holding(cx.view, &[GA]).any(|x| x.target == b.target));
    check_activation_alerts(
        cx,
        roles_in(cx.view, CISA_ROLES)
            .filter(|r| !r.is(GA))
            .chain(groups),
        out,
    );
}
