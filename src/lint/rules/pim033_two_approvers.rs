//! PIM033: Global Administrator and Privileged Role Administrator have at least two approvers.

use super::{GA, PRA, approvers, roles_in};
use crate::lint::{Cx, Finding, Meta, Profile, Reads, Rule, Severity};
use crate::model::PrincipalKind;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM033",
        name: "two-approvers",
        title: "Global Administrator and Privileged Role Administrator name at least two approvers (an error under \
                the cis profile)",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["CIS 5.3.4", "CIS 5.3.5", "MSL-CFG-1"],
        rationale: "With a single approver, one absence blocks every activation, and the usual workaround (a \
                    standing assignment) defeats the purpose. CIS requires two approvers; Microsoft recommends it. \
                    A group counts as one approver unless the tenant was read and its members are known.",
        fix: "Add a second approver, or an approver group with at least two members.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let severity = if cx.options.profile == Profile::Cis {
        Severity::Error
    } else {
        Severity::Warning
    };
    for role in roles_in(cx.view, &[GA, PRA]) {
        if role.policy.activation.approval.required != Some(true) {
            continue;
        }
        let named = approvers(role);
        if named.is_empty() {
            continue; // PIM031
        }
        let people: usize = named
            .iter()
            .map(|p| match p.kind {
                PrincipalKind::Group => group_size(role, p).unwrap_or(1),
                _ => 1,
            })
            .sum();
        if people >= 2 {
            continue;
        }
        out.push(
            cx.finding(format!("{} names a single approver", role.name))
                .severity(severity)
                .role(role)
                .at(role.origin_of("activation.approval.approvers"))
                .help("name a second approver"),
        );
    }
}

/// The members of an approver group, when some assignment of the role expanded it.
fn group_size(role: &crate::lint::RoleView, p: &crate::model::PrincipalRef) -> Option<usize> {
    role.assignments
        .iter()
        .find(|a| a.principal.answers_to(p))
        .and_then(|a| a.principal.members.as_ref())
        .map(Vec::len)
}
