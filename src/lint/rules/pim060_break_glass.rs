//! PIM060: exactly two break-glass accounts, permanently active Global Administrators, cloud-only.

use super::GA;
use crate::lint::{Cx, Finding, Half, Meta, Reads, Rule, Severity};
use crate::model::{AssignmentKind, PrincipalKind};

pub static RULE: Rule = Rule {
    meta: Meta {
        id: "PIM060",
        name: "break-glass",
        title: "Exactly two break-glass accounts: permanently active Global Administrators, cloud-only",
        severity: Severity::Error,
        reads: Reads::Both,
        baselines: &["CIS 1.1.2", "ZTA 21835", "ZTA 21816", "MSL-EA"],
        rationale: "When federation, MFA or Conditional Access fails, or every administrator is eligible-only and \
                    no approver answers, the emergency access accounts are the way back in. They must hold Global \
                    Administrator permanently (an activation may be what is broken), live only in the cloud \
                    (`*.onmicrosoft.com`, so that on-premises and federation failures cannot lock them out), and \
                    be two, so that one lost credential is not fatal. More than two is standing privilege that \
                    nobody uses day to day. pimctl knows them as the `protected:` principals.",
        fix: "List exactly two cloud-only users under `protected:`, and declare both under `Global Administrator: \
              {active: [...]}` without an `until`.",
    },
    check,
};

fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let view = cx.view;
    let users: Vec<_> = view
        .protected
        .iter()
        .filter(|p| p.principal.kind == PrincipalKind::User)
        .collect();
    let n = users.len();
    if n != 2 {
        let mut f = cx
            .finding(format!(
                "{n} break-glass user{} {} protected; there should be exactly 2",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" }
            ))
            .detail("count")
            .help("list exactly two cloud-only users under `protected:`");
        if n > 2 {
            f = f.severity(Severity::Warning);
        }
        out.push(f.at(view.protected.first().map(|p| &p.origin)));
    }
    let ga = view.role(GA);
    for p in &view.protected {
        let mut problems = Vec::new();
        if p.principal.kind != PrincipalKind::User {
            problems.push(("kind", format!("is a {}, not a user", p.principal.kind)));
        } else {
            let permanent = ga.is_some_and(|r| {
                r.assignments(AssignmentKind::Active)
                    .any(|a| a.until.is_none() && a.principal.key() == p.principal.key())
            });
            if !permanent {
                problems.push((
                    "not-permanent-ga",
                    format!(
                        "is not a permanently active Global Administrator{}",
                        if view.half == Half::Declared {
                            " in the declaration"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let upn = p
                .principal
                .upn()
                .unwrap_or(&p.principal.label)
                .to_lowercase();
            if !upn.ends_with(".onmicrosoft.com") {
                problems.push(("domain", "is not on a `*.onmicrosoft.com` domain".into()));
            }
            if p.principal.synced == Some(true) {
                problems.push(("synced", "is synchronized from on-premises".into()));
            }
        }
        for (detail, problem) in problems {
            out.push(
                cx.finding(format!("break-glass account {} {problem}", p.principal.label))
                    .principal(&p.principal)
                    .at(Some(&p.origin))
                    .detail(detail)
                    .help("break-glass accounts are cloud-only users, permanently active in Global Administrator"),
            );
        }
    }
}
