//! PIM001: the `lint:` block names rules that exist, and no waiver has expired.

use crate::lint::{Cx, Finding, Half, Meta, Reads, Rule, Severity};
use crate::model::DesiredState;
use chrono::{DateTime, Utc};

pub const ID: &str = "PIM001";

pub static RULE: Rule = Rule {
    meta: Meta {
        id: ID,
        name: "lint-configuration",
        title: "The `lint:` block names existing rules, no waiver has expired, and every waiver waives something",
        severity: Severity::Error,
        reads: Reads::Declared,
        baselines: &[],
        rationale: "A waiver is a decision with a reason and an end date. Once the date passes the decision must be \
                    taken again, so the waiver stops applying and the finding it hid comes back, together with this \
                    error. A waiver that names an unknown rule hides nothing and is most likely a typo; \
                    one that waives no finding (a warning) has outlived its reason, or names the wrong principal \
                    or role. A waiver of a rule that reads only the tenant counts as unused only when the tenant \
                    was read.",
        fix: "Renew the waiver with a new `until` (and a reason that still holds), or remove it and fix the \
              findings. Correct misspelled rule ids (`pimctl lint --explain PIM020`).",
    },
    check: |_: &Cx, _: &mut Vec<Finding>| {},
};

/// Waivers that are in force and waived nothing: a warning each. Waivers of rules that read only the tenant are
/// judged only when the tenant was read.
pub(crate) fn unused(
    desired: &DesiredState,
    waived: &[crate::lint::Waived],
    now: DateTime<Utc>,
    live: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let entries = desired
        .lint
        .disable
        .iter()
        .map(|w| ("disable", w))
        .chain(desired.lint.exceptions.iter().map(|w| ("exception", w)));
    for (what, w) in entries {
        if w.until < now || waived.iter().any(|x| x.waiver == w.origin) {
            continue;
        }
        let judged = w.rules.iter().all(|r| {
            crate::lint::rule(r).is_some_and(|r| live || r.meta.reads != crate::lint::Reads::Live)
        });
        if !judged {
            continue;
        }
        out.push(finding(
            format!("the {what} of {} waives no finding", w.rules.join(", ")),
            w,
            "remove it, or correct its rule, role or principal",
            Severity::Warning,
            "unused".into(),
        ));
    }
    out
}

/// The findings of this rule: it reads the `lint:` block, not a view.
pub(crate) fn check_config(desired: &DesiredState, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    let entries = desired
        .lint
        .disable
        .iter()
        .map(|w| ("disable", w))
        .chain(desired.lint.exceptions.iter().map(|w| ("exception", w)));
    for (what, w) in entries {
        for r in &w.rules {
            if crate::lint::rule(r).is_none() {
                out.push(finding(
                    format!("the {what} names an unknown rule `{r}`"),
                    w,
                    "list the rules with `pimctl lint --explain`",
                    Severity::Error,
                    format!("unknown:{r}"),
                ));
            }
        }
        if w.until < now {
            out.push(finding(
                format!(
                    "the {what} of {} expired on {} (reason given: {})",
                    w.rules.join(", "),
                    w.until.format("%Y-%m-%d"),
                    w.reason
                ),
                w,
                "renew it with a later `until`, or remove it and fix the findings",
                Severity::Error,
                "expired".into(),
            ));
        }
    }
    out
}

fn finding(
    message: String,
    w: &crate::model::LintWaiver,
    help: &str,
    severity: Severity,
    detail: String,
) -> Finding {
    let cx_meta = &RULE.meta;
    Finding {
        rule: cx_meta.id,
        name: cx_meta.name,
        severity,
        message,
        half: Half::Declared,
        role: w.role.as_ref().map(|r| r.label().to_string()),
        role_key: w.role.as_ref().map(|r| r.key()),
        target: w
            .role
            .as_ref()
            .map(|r| crate::model::TargetKey::directory_role(r.key())),
        principal: w.principal.as_ref().map(|p| p.to_string()),
        principal_key: None,
        detail,
        location: Some(w.origin.clone()),
        help: Some(help.to_string()),
        baselines: cx_meta.baselines,
        fixed_by_declaration: None,
        principal_view: None,
        group_name: None,
    }
}
