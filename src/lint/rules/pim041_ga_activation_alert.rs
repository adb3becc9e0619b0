//! PIM041: activating Global Administrator alerts someone.

use super::{GA, notification_path, notified, roles_in};
use crate::lint::{Cx, Finding, Meta, Notifications, Reads, Rule, Severity};
use crate::model::NotificationEvent;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM041",
        name: "ga-activation-alert",
        title: "Activating Global Administrator alerts a monitored mailbox",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.8v1", "ZTA 21819"],
        rationale: "Every activation of Global Administrator should be seen by someone other than the person \
                    activating, in time to react. CISA requires an additional recipient on the role activation \
                    alert; with `--notifications lenient` default recipients count.",
        fix: "Set `notifications.activated.admin.recipients` on Global Administrator (the `builtin:tier0` template \
              requires it).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let lenient = cx.options.notifications == Notifications::Lenient;
    for role in roles_in(cx.view, &[GA]) {
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
