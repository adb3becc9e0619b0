//! PIM041: activating Global Administrator alerts someone.

use super::{GA, check_activation_alerts, member_blocks_holding, roles_in};
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

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
                    alert; with `--notifications lenient` default recipients count. Groups: the `member` block of \
                    a group that holds Global Administrator is judged too (activating the membership activates the \
                    role), as ScubaGear does.",
        fix: "Set `notifications.activated.admin.recipients` on Global Administrator (the `builtin:tier0` template \
              requires it).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    check_activation_alerts(
        cx,
        roles_in(cx.view, &[GA]).chain(member_blocks_holding(cx.view, &[GA])),
        out,
    );
}
