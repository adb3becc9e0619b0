//! PIM013: no guest holds a privileged role.

use super::is_sensitive;
use crate::lint::{Cx, Finding, Meta, Reads, Rule, Severity};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM013",
        name: "guest-admins",
        title: "No guest account holds a privileged role",
        severity: Severity::Error,
        reads: Reads::Live,
        baselines: &["ZTA 22128", "MT.1025"],
        rationale: "A guest is authenticated by another organization: its password policy, MFA and offboarding are \
                    out of this tenant's control. A guest with a privileged role hands part of the tenant to that \
                    organization. Whether an account is a guest (`userType`) is known only to the tenant. Groups: \
                    the members and owners of a group that holds the role count, as for PIM012.",
        fix: "Give the person a member account of this tenant for administration, declare it in the role, and remove \
              the guest.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for role in cx.view.roles.values().filter(|r| is_sensitive(r)) {
        for a in &role.assignments {
            let holders = cx.view.holders(a);
            let guests = holders.iter().filter(|h| {
                h.principal
                    .user_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
            });
            for h in guests {
                let p = h.principal;
                out.push(
                    cx.finding(format!(
                        "guest {} holds {} ({}){}",
                        p.label,
                        role.name,
                        a.kind,
                        super::via(&h.via)
                    ))
                    .role(role)
                    .principal(p)
                    .at(a.origin.as_ref())
                    .detail(format!("{}:{}", a.kind, a.principal.key()))
                    .help("administer with a member account of this tenant"),
                );
            }
        }
    }
}
