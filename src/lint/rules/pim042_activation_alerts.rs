//! PIM042: activating the other highly privileged roles alerts someone.

use super::{CISA_ROLES, GA, notification_path, notified, roles_in};
use crate::lint::{Cx, Finding, Meta, Notifications, Reads, Rule, Severity};
use crate::model::NotificationEvent;

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
                    critical alerts. pimctl checks that a recipient exists; it does not compare mailboxes.",
        fix: "Set `notifications.activated.admin.recipients` on the role, or in its tier template.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let lenient = cx.options.notifications == Notifications::Lenient;
    for role in roles_in(cx.view, CISA_ROLES).filter(|r| !r.is(GA)) {
        let ok = notified(role, NotificationEvent::Activated, lenient);
        if ok == Some(true) {
            continue;
        }
        let path = notification_path(NotificationEvent::Activated);
        out.push(
            cx.finding(format!(
                "{} {} on activation ({path})",
                role.name,
                if ok.is_none() {
                    "does not declare who is alerted"
                } else {
                    "alerts no additional recipient"
                }
            ))
            .role(role)
            .at(role.origin_of(&path))
            .help(format!("set `{path}` to a monitored mailbox")),
        );
    }
}
