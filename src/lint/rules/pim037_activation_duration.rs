//! PIM037: activations are short: at most 8 hours for tier 0 and the SecOps roles, never more than 24 hours.

use super::is_tier0;
use crate::duration::Duration;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM037",
        name: "activation-duration",
        title: "Activations last at most 8 hours for tier-0 roles, and never more than 24 hours",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["MSL-SECOPS-1", "MSL-PIM-DP-2", "MSL-PIM-CFG-RANGE"],
        rationale: "An activation is standing privilege for its duration. Microsoft's SecOps baseline caps Global, \
                    Privileged Role and Security Administrator at 8 hours (its deployment plan suggests 1 hour for \
                    Global Administrator); PIM itself accepts no more than 24 hours for any role. Groups: every group \
                    block is judged, with the 8-hour bound when the group holds a tier-0 role.",
        fix: "Lower `activation.max_duration` (e.g. `1h` for Global Administrator, `2h` to `8h` for other tier-0 \
              roles).",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.targets() {
        let tier0 = is_tier0(role);
        let Some(max) = role.policy.activation.max_duration else {
            if tier0 && role.declared && cx.view.half == crate::lint::Half::Declared {
                out.push(
                    cx.finding(format!(
                        "{} does not declare an activation maximum",
                        role.name
                    ))
                    .role(role)
                    .at(role.origin_of("activation.max_duration"))
                    .detail("unset")
                    .help("set `activation.max_duration` (at most `8h`)"),
                );
            }
            continue;
        };
        let limit = if tier0 {
            Duration::from_hours(8)
        } else {
            Duration::from_hours(24)
        };
        if max.as_secs() <= limit.as_secs() {
            continue;
        }
        out.push(
            cx.finding(format!(
                "{} allows activations of {max}, more than {limit}{}",
                role.name,
                if tier0 { " (tier 0)" } else { "" }
            ))
            .role(role)
            .at(role.origin_of("activation.max_duration"))
            .help(format!(
                "lower `activation.max_duration` to {limit} or less"
            )),
        );
    }
}
