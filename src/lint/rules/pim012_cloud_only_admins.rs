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
                    synchronized (`onPremisesSyncEnabled`), so this rule reads the tenant. Groups: a role held by a \
                    group is held by the group's members (read from the tenant, or eligible or active in its PIM \
                    `member` block) and by the owners of its `owner` block, who can add themselves to it.",
        fix: "Create a cloud-only administrator account (`name@<tenant>.onmicrosoft.com` or a cloud-only UPN) for the \
              person, declare that account in the role, and remove the synchronized one.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values().filter(|r| is_sensitive(r)) {
        for a in &role.assignments {
            let holders = cx.view.holders(a);
            let synced = holders.iter().filter(|h| h.principal.synced == Some(true));
            for h in synced {
                let p = h.principal;
                let via = super::via(&h.via);
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
