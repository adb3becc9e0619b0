//! Posture: does a change weaken or strengthen privileged access, and which baseline does it touch.
//!
//! The rules follow `pim-baselines.md` §6.3 (changes that weaken posture), whose basis is Microsoft's SecOps guide
//! for PIM ("changes to PIM settings", "add or bulk changes to privileged account permissions") and the CISA
//! (MS.AAD.7.x) and CIS (5.3.x, 1.1.2) controls.

use super::FieldChange;
use crate::model::{AssignmentKind, NotificationEvent, Recipient, RuleId, Setting};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Weakens,
    Strengthens,
    Neutral,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Weakens => "weakens",
            Effect::Strengthens => "strengthens",
            Effect::Neutral => "neutral",
        }
    }
}

/// A change's effect on posture, why, and the baseline controls it touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posture {
    pub effect: Effect,
    pub why: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baselines: Vec<String>,
    /// The `pimctl lint` rules the change makes newly fail (their ids); any makes the change weaken posture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lint: Vec<String>,
}

impl Posture {
    fn new(effect: Effect, why: impl Into<String>, baselines: &[&str]) -> Self {
        Self {
            effect,
            why: why.into(),
            baselines: baselines.iter().map(|s| s.to_string()).collect(),
            lint: Vec::new(),
        }
    }
    pub fn neutral(why: impl Into<String>) -> Self {
        Self::new(Effect::Neutral, why, &[])
    }
}

const SECOPS: &str = "MSL-SECOPS-2";

/// The effect of a rule update: the weakest of its fields' effects leads (one weakening field makes the change
/// weaken), then strengthening, else neutral.
pub(crate) fn of_rule(role_is_ga: bool, fields: &[FieldChange]) -> Posture {
    let each: Vec<Posture> = fields.iter().map(|f| of_field(role_is_ga, f)).collect();
    for effect in [Effect::Weakens, Effect::Strengthens] {
        let hits: Vec<&Posture> = each.iter().filter(|p| p.effect == effect).collect();
        if let Some(first) = hits.first() {
            let mut baselines: Vec<String> =
                hits.iter().flat_map(|p| p.baselines.clone()).collect();
            baselines.sort();
            baselines.dedup();
            let why = if hits.len() == 1 {
                first.why.clone()
            } else {
                format!("{} (and {} more)", first.why, hits.len() - 1)
            };
            return Posture {
                effect,
                why,
                baselines,
                lint: Vec::new(),
            };
        }
    }
    Posture::neutral(
        each.first()
            .map_or_else(|| "no effect on posture".to_string(), |p| p.why.clone()),
    )
}

fn of_field(role_is_ga: bool, f: &FieldChange) -> Posture {
    use Effect::*;
    use Setting::*;
    let setting = f.field;
    let (b, a) = (&f.before, &f.after);
    let up_down = |weaker_when_up: bool, what: &str, baselines: &[&str]| match cmp_duration(b, a) {
        Some(std::cmp::Ordering::Less) if weaker_when_up => Posture::new(
            Weakens,
            format!("{what} longer: {} → {}", show(b), show(a)),
            baselines,
        ),
        Some(std::cmp::Ordering::Greater) if weaker_when_up => Posture::new(
            Strengthens,
            format!("{what} shorter: {} → {}", show(b), show(a)),
            baselines,
        ),
        _ => Posture::neutral(format!("{what}: {} → {}", show(b), show(a))),
    };
    let flag = |on_is_stronger: bool, what: &str, baselines: &[&str]| {
        let (was, now) = (b.as_bool(), a.as_bool());
        match (was, now) {
            (Some(x), Some(y)) if x != y => {
                let stronger = y == on_is_stronger;
                Posture::new(
                    if stronger { Strengthens } else { Weakens },
                    format!("{what} {}", if y { "on" } else { "off" }),
                    baselines,
                )
            }
            _ => Posture::new(
                if a.as_bool() == Some(on_is_stronger) {
                    Strengthens
                } else {
                    Neutral
                },
                format!("{what} set to {}", show(a)),
                baselines,
            ),
        }
    };
    let requirements = |what: &str| {
        let (lost, gained) = set_diff(b, a);
        if !lost.is_empty() {
            Posture::new(
                Weakens,
                format!("{what} no longer requires {}", lost.join(", ")),
                &[SECOPS],
            )
        } else if !gained.is_empty() {
            Posture::new(
                Strengthens,
                format!("{what} now requires {}", gained.join(", ")),
                &[SECOPS],
            )
        } else {
            Posture::neutral(format!("{what} requirements unchanged"))
        }
    };
    let unjudged = || Posture::neutral(format!("{setting}: {} → {}", show(b), show(a)));
    match setting {
        ActivationMaxDuration => up_down(true, "activation window", &[SECOPS, "PIM037"]),
        ActivationRequire => requirements("activation"),
        AssignmentRequire(_) => requirements("direct assignment"),
        AuthenticationContext => match (b.is_null(), a.is_null()) {
            (false, true) => Posture::new(
                Weakens,
                "authentication context switched off",
                &[SECOPS, "MSL-CFG-2"],
            ),
            (true, false) => Posture::new(
                Strengthens,
                format!("authentication context {} required", show(a)),
                &["MSL-CFG-2"],
            ),
            _ => Posture::new(
                Weakens,
                format!("authentication context changed: {} → {}", show(b), show(a)),
                &[SECOPS],
            ),
        },
        ApprovalRequired => {
            let mut baselines = vec!["CIS 5.3.4", "CIS 5.3.5"];
            if role_is_ga {
                baselines.insert(0, "MS.AAD.7.6v1");
            }
            flag(true, "approval", &baselines)
        }
        ApprovalForExtension => flag(true, "approval of extensions", &[]),
        RequestorJustification => flag(true, "requestor justification on approval", &[]),
        ApproverJustification(_) => flag(true, "approver justification", &[]),
        Approvers(_) => {
            let (lost, gained) = set_diff(b, a);
            let count = a.as_array().map_or(0, Vec::len);
            if !lost.is_empty() {
                Posture::new(
                    Weakens,
                    format!(
                        "approver{} removed: {}",
                        plural(lost.len()),
                        lost.join(", ")
                    ),
                    &["CIS 5.3.4", "MSL-CFG-1"],
                )
            } else if count < 2 {
                Posture::new(
                    Weakens,
                    format!("fewer than 2 approvers ({count})"),
                    &["CIS 5.3.4", "MSL-CFG-1"],
                )
            } else {
                Posture::new(
                    Strengthens,
                    format!(
                        "approver{} added: {}",
                        plural(gained.len()),
                        gained.join(", ")
                    ),
                    &["MSL-CFG-1"],
                )
            }
        }
        // Judged neutral on purpose: who is asked after a timeout, and when, moves no control.
        EscalationApprovers(_) | EscalationAfter(_) | StageTimeout(_) | ApprovalStages => {
            unjudged()
        }
        AllowPermanent(kind) => {
            let active = kind == AssignmentKind::Active;
            flag(
                false,
                if active {
                    "permanent active assignments allowed:"
                } else {
                    "permanent eligible assignments allowed:"
                },
                if active {
                    &["MS.AAD.7.4v1", "MSL-PIM-DP-1"]
                } else {
                    &["PIM023"]
                },
            )
        }
        AssignmentMaxDuration(kind) => up_down(
            true,
            if kind == AssignmentKind::Active {
                "longest active assignment"
            } else {
                "longest eligible assignment"
            },
            &["MS.AAD.7.4v1"],
        ),
        Recipients(event, recipient) => {
            let baselines = notification_baselines(event, recipient, role_is_ga);
            let (lost, gained) = set_diff(b, a);
            if !lost.is_empty() {
                Posture::new(
                    Weakens,
                    format!(
                        "notification recipient{} removed: {}",
                        plural(lost.len()),
                        lost.join(", ")
                    ),
                    &baselines,
                )
            } else if !gained.is_empty() {
                Posture::new(
                    Strengthens,
                    format!(
                        "notification recipient{} added: {}",
                        plural(gained.len()),
                        gained.join(", ")
                    ),
                    &baselines,
                )
            } else {
                Posture::neutral("notification recipients reordered")
            }
        }
        DefaultRecipients(event, recipient) => flag(
            true,
            "default notification recipients",
            &notification_baselines(event, recipient, role_is_ga),
        ),
        CriticalOnly(event, recipient) => flag(
            false,
            "critical-only notifications",
            &notification_baselines(event, recipient, role_is_ga),
        ),
        Review(r) => of_review_field(r, b, a),
    }
}

/// The baselines a role's access review answers to.
const REVIEW_BASELINES: &[&str] = &["CIS 5.3.3", "MSL-RBAC-BP4"];

/// A review created (`true`) or removed.
pub(crate) fn of_review_presence(added: bool) -> Posture {
    if added {
        Posture::new(Effect::Strengthens, "access review added", REVIEW_BASELINES)
    } else {
        Posture::new(Effect::Weakens, "access review removed", REVIEW_BASELINES)
    }
}

/// One setting of a review: a longer cadence, `approve` for members nobody reviewed, auto-apply off, self-review
/// instead of designated reviewers, fewer assignments reviewed, and fewer emails weaken; the reverse strengthens.
fn of_review_field(r: crate::model::ReviewSetting, b: &Value, a: &Value) -> Posture {
    use crate::model::ReviewSetting as S;
    use Effect::*;
    let judged = |weaker: Option<bool>, what: String| match weaker {
        Some(true) => Posture::new(Weakens, what, REVIEW_BASELINES),
        Some(false) => Posture::new(Strengthens, what, REVIEW_BASELINES),
        None => Posture::neutral(what),
    };
    let change = format!("{} → {}", show(b), show(a));
    let flag = |what: &str| {
        let weaker = match (b.as_bool(), a.as_bool()) {
            (Some(x), Some(y)) if x != y => Some(!y),
            _ => None,
        };
        judged(
            weaker,
            format!(
                "review {what} {}",
                if a.as_bool() == Some(true) {
                    "on"
                } else {
                    "off"
                }
            ),
        )
    };
    let rank =
        |order: &[&str], v: &Value| v.as_str().and_then(|s| order.iter().position(|o| *o == s));
    let ranked = |order: &[&str], what: &str| {
        let weaker = match (rank(order, b), rank(order, a)) {
            (Some(x), Some(y)) if x != y => Some(y < x),
            _ => None,
        };
        judged(weaker, format!("review {what}: {change}"))
    };
    match r {
        S::Every => {
            let days = |v: &Value| v.as_str().and_then(cadence_days);
            let weaker = match (days(b), days(a)) {
                (Some(x), Some(y)) if x != y => Some(y > x),
                _ => None,
            };
            judged(weaker, format!("review cadence: {change}"))
        }
        S::DefaultDecision => ranked(
            &["approve", "none", "recommendation", "deny"],
            "default decision",
        ),
        S::Assignments => {
            let size = |v: &Value| match v.as_str() {
                Some("both") => Some(2),
                Some(_) => Some(1),
                None => None,
            };
            let weaker = match (size(b), size(a)) {
                (Some(x), Some(y)) if x != y => Some(y < x),
                _ => None,
            };
            judged(weaker, format!("assignments reviewed: {change}"))
        }
        S::Reviewers => {
            let is_self = |v: &Value| v.as_array().is_some_and(|l| l.len() == 1 && l[0] == "self");
            let weaker = match (is_self(b), is_self(a)) {
                (false, true) => Some(true),
                (true, false) => Some(false),
                _ => None,
            };
            judged(weaker, format!("reviewers: {change}"))
        }
        S::AutoApply => flag("auto-apply"),
        S::Justification => flag("justification on approval"),
        S::Mail => flag("emails"),
        S::Reminders => flag("reminders"),
        S::Duration | S::FallbackReviewers | S::Recommendations => {
            Posture::neutral(format!("access_review.{}: {change}", r.as_str()))
        }
    }
}

/// The length of a cadence as a plan shows it (`2 weeks`, `1 month`), in days, for comparison.
fn cadence_days(s: &str) -> Option<u64> {
    let mut parts = s.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next()? {
        "week" | "weeks" => Some(7 * n),
        "month" | "months" => Some(30 * n),
        _ => None,
    }
}

fn notification_baselines(
    event: NotificationEvent,
    recipient: Recipient,
    role_is_ga: bool,
) -> Vec<&'static str> {
    match (event, recipient) {
        (
            NotificationEvent::EligibleAssigned | NotificationEvent::ActiveAssigned,
            Recipient::Admin,
        ) => {
            vec!["MS.AAD.7.7v1"]
        }
        (NotificationEvent::Activated, Recipient::Admin) => vec![if role_is_ga {
            "MS.AAD.7.8v1"
        } else {
            "MS.AAD.7.9v1"
        }],
        _ => vec![SECOPS],
    }
}

/// The policy rules a lint rule reads, for the lint rules about a role's settings: a newly failing finding of one of
/// these is blamed on the role's update of that policy rule. Other lint rules are about assignments.
fn policy_rules_of(lint_rule: &str) -> &'static [RuleId] {
    use RuleId::*;
    match lint_rule {
        "PIM030" | "PIM031" | "PIM032" | "PIM033" => &[ApprovalEndUserAssignment],
        "PIM034" => &[
            EnablementEndUserAssignment,
            AuthenticationContextEndUserAssignment,
        ],
        "PIM035" => &[EnablementEndUserAssignment],
        "PIM037" => &[ExpirationEndUserAssignment],
        "PIM040" => &[
            NotificationAdminAdminEligibility,
            NotificationAdminAdminAssignment,
        ],
        "PIM041" | "PIM042" => &[NotificationAdminEndUserAssignment],
        _ => &[],
    }
}

/// Marks weakening every change that makes a `pimctl lint` rule newly fail (`pim-baselines.md` §6.3: a change that
/// breaks a baseline control weakens posture), with the rule's id. A finding about a principal is blamed on the
/// role's changes to that principal's assignments; a finding about a role's settings on the role's update of the
/// policy rule the lint rule reads; anything else on the role's assignment changes.
pub(crate) fn mark_lint(changes: &mut [super::Change], newly: &[crate::lint::Finding]) {
    use super::ChangeKey;
    // The changes of each target, once: a large plan has thousands of changes and as many findings.
    let mut of_target: std::collections::BTreeMap<crate::model::TargetKey, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        of_target.entry(c.key.target().clone()).or_default().push(i);
    }
    for f in newly {
        // The finding's target: a directory role, or a group block (by the group's id).
        let Some(target) = f.target.clone().or_else(|| {
            f.role_key
                .clone()
                .map(crate::model::TargetKey::directory_role)
        }) else {
            continue;
        };
        let Some(indices) = of_target.get(&target) else {
            continue;
        };
        let pick = |keep: &dyn Fn(&ChangeKey) -> bool| -> Vec<usize> {
            indices
                .iter()
                .copied()
                .filter(|&i| keep(&changes[i].key))
                .collect()
        };
        let by_principal = pick(
            &|k| matches!(k, ChangeKey::Assignment { principal, .. } if f.is_about(principal)),
        );
        let rules = policy_rules_of(f.rule);
        let blamed: Vec<usize> = if !by_principal.is_empty() {
            by_principal
        } else if !rules.is_empty() {
            pick(&|k| matches!(k, ChangeKey::Rule { rule, .. } if rules.contains(rule)))
        } else {
            pick(&|k| matches!(k, ChangeKey::Assignment { .. }))
        };
        for i in blamed {
            let p = &mut changes[i].posture;
            if p.lint.iter().any(|r| r == f.rule) {
                continue;
            }
            p.lint.push(f.rule.to_string());
            let newly = format!("newly fails {} ({})", f.rule, f.name);
            if p.effect == Effect::Weakens {
                p.why = format!("{}; {newly}", p.why);
            } else {
                p.effect = Effect::Weakens;
                p.why = newly;
            }
            for b in f.baselines {
                if !p.baselines.iter().any(|x| x == b) {
                    p.baselines.push(b.to_string());
                }
            }
        }
    }
}

/// Facts about an assignment change that decide its effect.
pub(crate) struct AssignmentFacts {
    pub kind: AssignmentKind,
    pub role_is_privileged: bool,
    pub role_is_tier0: bool,
    pub role_is_ga: bool,
    pub principal_is_sp: bool,
    pub protected: bool,
}

pub(crate) fn of_create(f: &AssignmentFacts, until: Option<DateTime<Utc>>) -> Posture {
    use Effect::*;
    let permanent = until.is_none();
    match f.kind {
        AssignmentKind::Active if f.protected => {
            Posture::new(Neutral, "break-glass account restored", &["CIS 1.1.2"])
        }
        AssignmentKind::Active if f.role_is_privileged && permanent => Posture::new(
            Weakens,
            "new permanent active assignment to a privileged role",
            &["MS.AAD.7.4v1", "CIS 5.3.1", "MSL-PIM-DP-1"],
        ),
        AssignmentKind::Active if f.role_is_privileged => Posture::new(
            Weakens,
            "new standing (active) access to a privileged role",
            &["MSL-PIM-DP-1", SECOPS],
        ),
        _ if f.principal_is_sp && f.role_is_privileged => Posture::new(
            Weakens,
            "a service principal added to a privileged role",
            &["PIM016"],
        ),
        _ if f.role_is_tier0 => Posture::new(
            Weakens,
            format!(
                "new principal in a tier-0 role{}",
                if f.role_is_ga {
                    " (Global Administrator count grows)"
                } else {
                    ""
                }
            ),
            if f.role_is_ga {
                &["MS.AAD.7.1v1", "CIS 1.1.3", SECOPS]
            } else {
                &[SECOPS]
            },
        ),
        AssignmentKind::Active if permanent => Posture::new(
            Weakens,
            "new permanent active assignment",
            &["MSL-PIM-DP-1"],
        ),
        _ => Posture::neutral(format!("new {} assignment", f.kind)),
    }
}

pub(crate) fn of_remove(f: &AssignmentFacts) -> Posture {
    if f.protected {
        return Posture::new(
            Effect::Weakens,
            "break-glass account removed: lockout risk",
            &["CIS 1.1.2", "MSL-EA"],
        );
    }
    Posture::new(
        Effect::Strengthens,
        format!("{} access removed", f.kind),
        if f.role_is_privileged { &[SECOPS] } else { &[] },
    )
}

pub(crate) fn of_update(
    f: &AssignmentFacts,
    before: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
) -> Posture {
    use Effect::*;
    match (before, after) {
        (Some(_), None) => Posture::new(
            Weakens,
            "time-bound → permanent",
            if f.kind == AssignmentKind::Active {
                &["MS.AAD.7.4v1", "MSL-PIM-DP-1"]
            } else {
                &["PIM023"]
            },
        ),
        (None, Some(_)) => Posture::new(Strengthens, "permanent → time-bound", &[]),
        (Some(b), Some(a)) if a > b => Posture::new(
            if f.kind == AssignmentKind::Active || f.role_is_tier0 {
                Weakens
            } else {
                Neutral
            },
            "end date extended",
            &[],
        ),
        (Some(_), Some(_)) => Posture::new(Strengthens, "end date brought forward", &[]),
        (None, None) => Posture::neutral("dates unchanged"),
    }
}

/// An ABAC condition written on an assignment whose dates stay: one added where the tenant has none narrows
/// access; one replaced is neither (its meaning is the condition's). Returns the change's posture and its drift's.
pub(crate) fn of_condition(added: bool) -> (Posture, Posture) {
    if added {
        (
            Posture::new(
                Effect::Strengthens,
                "ABAC condition added: access narrowed",
                &[],
            ),
            Posture::new(
                Effect::Weakens,
                "ABAC condition dropped: access widened",
                &[],
            ),
        )
    } else {
        (
            Posture::neutral("ABAC condition changed"),
            Posture::neutral("ABAC condition changed"),
        )
    }
}

pub(crate) fn of_convert(f: &AssignmentFacts) -> Posture {
    match f.kind {
        AssignmentKind::Eligible => Posture::new(
            Effect::Strengthens,
            "active → eligible: standing access becomes just-in-time",
            &["MSL-PIM-DP-1"],
        ),
        AssignmentKind::Active => Posture::new(
            Effect::Weakens,
            "eligible → active: more standing privilege",
            &["MS.AAD.7.4v1", "MSL-PIM-DP-1"],
        ),
    }
}

fn cmp_duration(b: &Value, a: &Value) -> Option<std::cmp::Ordering> {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| crate::duration::Duration::parse(s).ok())
    };
    Some(parse(b)?.cmp(&parse(a)?))
}

fn set_diff(b: &Value, a: &Value) -> (Vec<String>, Vec<String>) {
    let items = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|x| x.iter().map(show).collect())
            .unwrap_or_default()
    };
    let (b, a) = (items(b), items(a));
    let lost = b
        .iter()
        .filter(|x| !a.iter().any(|y| y.eq_ignore_ascii_case(x)))
        .cloned()
        .collect();
    let gained = a
        .iter()
        .filter(|x| !b.iter().any(|y| y.eq_ignore_ascii_case(x)))
        .cloned()
        .collect();
    (lost, gained)
}

/// A JSON value as a short string (strings without quotes, `null` as "off").
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::Null => "off".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, before: Value, after: Value) -> FieldChange {
        FieldChange {
            field: Setting::parse(name).expect("a setting"),
            before,
            after,
        }
    }

    #[test]
    fn switching_approval_off_weakens_and_cites_cisa_for_ga() {
        let p = of_rule(
            true,
            &[field(
                "activation.approval.required",
                json!(true),
                json!(false),
            )],
        );
        assert_eq!(p.effect, Effect::Weakens);
        assert!(p.baselines.contains(&"MS.AAD.7.6v1".to_string()));
        let p = of_rule(
            false,
            &[field(
                "activation.approval.required",
                json!(false),
                json!(true),
            )],
        );
        assert_eq!(p.effect, Effect::Strengthens);
    }

    #[test]
    fn one_weakening_field_makes_the_rule_weaken() {
        let p = of_rule(
            false,
            &[
                field("activation.max_duration", json!("8h"), json!("1h")),
                field(
                    "activation.require",
                    json!(["mfa", "justification"]),
                    json!(["justification"]),
                ),
            ],
        );
        assert_eq!(p.effect, Effect::Weakens);
        assert_eq!(
            p.why,
            "activation no longer requires mfa (and 0 more)".replace(" (and 0 more)", "")
        );
        let p = of_rule(
            false,
            &[field("activation.max_duration", json!("1h"), json!("8h"))],
        );
        assert_eq!(p.effect, Effect::Weakens);
        assert_eq!(p.why, "activation window longer: 1h → 8h");
    }

    #[test]
    fn every_tier0_role_is_in_the_catalogue() {
        for name in crate::catalog::TIER0 {
            assert!(crate::catalog::lookup(name).is_some(), "{name}");
        }
        assert!(crate::catalog::is_tier0(
            "62e90394-69f5-4237-9190-012177145e10"
        ));
        assert!(!crate::catalog::is_tier0(
            "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
        ));
    }

    #[test]
    fn notification_recipients_removed_weaken() {
        let p = of_rule(
            true,
            &[field(
                "notifications.activated.admin.recipients",
                json!(["secops@contoso.com"]),
                json!([]),
            )],
        );
        assert_eq!(p.effect, Effect::Weakens);
        assert_eq!(p.baselines, vec!["MS.AAD.7.8v1"]);
    }
}
