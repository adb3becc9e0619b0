//! PIM016: service principals are never eligible and never permanent.

use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};
use crate::model::{AssignmentKind, PrincipalKind};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM016",
        name: "service-principal-assignments",
        title: "Service principals are never eligible, and never permanently active",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["MSL-PIM-DP-4", "ZTA 21836"],
        rationale: "A service principal cannot activate a role (there is nobody to pass MFA or give a \
                    justification), so an eligibility is meaningless; and a permanent active assignment is a standing \
                    credential with the role's power that no review ever ends. Microsoft allows service principals \
                    only time-bound active assignments. The loader already refuses such declarations (E0154, \
                    E0155), so this rule judges the tenant.",
        fix: "Give the service principal an active assignment with an `until`, in the least-privileged role that \
              does the job, and renew it deliberately.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values() {
        for a in &role.assignments {
            if a.principal.kind != PrincipalKind::ServicePrincipal {
                continue;
            }
            let problem = match (a.kind, a.until) {
                (AssignmentKind::Eligible, _) => "is eligible for",
                (AssignmentKind::Active, None) => "is permanently active in",
                _ => continue,
            };
            out.push(
                cx.finding(format!(
                    "service principal {} {problem} {}",
                    a.principal.label, role.name
                ))
                .role(role)
                .principal(&a.principal)
                .at(a.origin.as_ref())
                .detail(a.kind.as_str())
                .help("give it a time-bound active assignment (`until:`)"),
            );
        }
    }
}
