//! PIM112: privileged Azure roles are made eligible at a subscription or below, not at a management group.

use crate::graph::arm::ArmScope;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::AssignmentKind;

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM112",
        name: "azure-management-group-eligibility",
        title: "Privileged Azure roles are made eligible at a subscription, not at a management group",
        severity: Severity::Warning,
        reads: Reads::Both,
        baselines: &["MCSB PA-1", "MCSB PA-2"],
        rationale: "An eligibility at a management group reaches every subscription below it, today's and every one \
                    created or moved there later: one activation grants the role across all of them. Least \
                    privilege (Microsoft cloud security benchmark PA-1, PA-2; CIS Microsoft Azure Foundations' \
                    identity section) asks for the narrowest scope that does the job, which is usually the \
                    subscription (or the resource group) the person works on. Management-group eligibility is right \
                    for the few who run the whole estate; declare them with a waiver that says so.",
        fix: "Declare the eligibility under each subscription it is needed at instead of the management group. For \
              platform administrators who need the whole estate, add a `lint:` exception with the reason.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.azure.values().filter(|r| r.privileged) {
        // A management group by path, or by display name (declared, not yet resolved).
        let group = match role.target.arm_scope() {
            Some(ArmScope::ManagementGroup(group)) => group,
            Some(_) => continue,
            None => match crate::graph::arm::NamedScope::parse(&role.target.scope) {
                Some(Ok(n)) if n.kind == crate::graph::arm::NamedKind::ManagementGroup => n.name,
                _ => continue,
            },
        };
        for a in role.assignments(AssignmentKind::Eligible) {
            out.push(
                cx.finding(format!(
                    "{} is eligible for {}: management group {group} reaches every subscription below it",
                    a.principal.label, role.name
                ))
                .role(role)
                .principal(&a.principal)
                .at(a.origin.as_ref())
                .help("make it eligible at the subscriptions it is needed at"),
            );
        }
    }
}
