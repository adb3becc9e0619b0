//! PIM040: eligible and active assignments to CISA's highly privileged roles alert someone.

use super::{CISA_ROLES, member_blocks_holding, notification_path, notified, roles_in};
use crate::lint::{Cx, Finding, Meta, Notifications, Reads, Rule, Severity};
use crate::model::NotificationEvent;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM040",
        name: "assignment-alerts",
        title: "Assigning a highly privileged role (eligible or active) alerts a monitored mailbox",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MS.AAD.7.7v1", "ZTA 21818"],
        rationale: "A new eligible or active member of a highly privileged role is how an intruder persists. The \
                    alert to role administrators is the detection; CISA requires an additional recipient (a \
                    monitored security mailbox), since the default recipients are the administrators themselves. \
                    With `--notifications lenient` (Microsoft's Zero Trust Assessment) default recipients count. \
                    Groups: the `member` block of a group that holds one of these roles is judged too, as ScubaGear \
                    does (a new member of the group is a new holder of the role).",
        fix: "Set `notifications.eligible_assigned.admin.recipients` and `notifications.active_assigned.admin.recipients` \
              to a monitored mailbox (e.g. in the tier template).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let lenient = cx.options.notifications == Notifications::Lenient;
    for role in roles_in(cx.view, CISA_ROLES).chain(member_blocks_holding(cx.view, CISA_ROLES)) {
        for event in [
            NotificationEvent::EligibleAssigned,
            NotificationEvent::ActiveAssigned,
        ] {
            let ok = notified(role, event, lenient);
            if ok == Some(true) {
                continue;
            }
            let path = notification_path(event);
            let what = match ok {
                None => format!("does not declare who is alerted ({path})"),
                _ if lenient => format!("alerts nobody ({path})"),
                _ => format!("alerts no additional recipient ({path})"),
            };
            out.push(
                cx.finding(format!("{} {what}", role.name))
                    .role(role)
                    .at(role.origin_of(&path))
                    .detail(event.as_str())
                    .help(format!("set `{path}` to a monitored mailbox")),
            );
        }
    }
}
