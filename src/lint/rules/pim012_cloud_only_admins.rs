//! PIM012: holders of privileged roles are cloud-only accounts.

use super::is_sensitive;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM012",
        name: "cloud-only-admins",
        title: "Privileged roles are held by cloud-only accounts, not accounts synchronized from on-premises",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["MS.AAD.7.3v1", "CIS 1.1.1", "ZTA 21814", "MSL-RBAC-BP9"],
        rationale: "An account synchronized from Active Directory can be taken over from on-premises: whoever \
                    controls the domain resets its password or changes its attributes, and gains its cloud roles. \
                    Cloud-only administrator accounts cut that path. Only the tenant knows whether an account is \
                    synchronized (`onPremisesSyncEnabled`), so this rule reads the tenant.",
        fix: "Create a cloud-only administrator account (`name@<tenant>.onmicrosoft.com` or a cloud-only UPN) for the \
              person, declare that account in the role, and remove the synchronized one.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values().filter(|r| is_sensitive(r)) {
        for a in &role.assignments {
            let synced: Vec<_> = std::iter::once(&a.principal)
                .chain(a.principal.members.iter().flatten())
                .filter(|p| p.synced == Some(true))
                .collect();
            for p in synced {
                let via = if p.key() == a.principal.key() {
                    String::new()
                } else {
                    format!(" (through group {})", a.principal.label)
                };
                out.push(
                    cx.finding(format!(
                        "{} is synchronized from on-premises and holds {} ({}){via}",
                        p.label, role.name, a.kind
                    ))
                    .role(role)
                    .principal(p)
                    .at(a.origin.as_ref())
                    .detail(format!("{}:{}", a.kind, a.principal.key()))
                    .help("use a cloud-only account for administration"),
                );
            }
        }
    }
}
