//! Render: a [`Plan`] as text for a terminal, as Markdown for a pull-request comment, or as JSON for machines and
//! saved plans (docs/plan-format.md).
//!
//! Rendering only formats. Every function here is pure and returns a `String`: no IO, no clock, and no decision
//! that the plan has not already made (what changes, why, and its effect on posture all come from the plan).
//! Principals are shown by their label (UPN or display name), dates by day when the time is a day boundary.

pub mod json;
pub mod markdown;
pub mod text;

use crate::model::{AssignmentKind, Setting, Surface, TargetKey};
use crate::plan::{
    Action, Cause, Change, ChangeKey, Effect, NoteKind, Plan, ends_apart, same_instant, when,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The output formats of `pimctl plan` and `pimctl drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terraform-style text for a terminal.
    Text,
    /// Markdown for a pull-request comment.
    Markdown,
    /// The plan itself, as JSON (the saved-plan format).
    Json,
}

/// Renders `plan` in `format`. `color` adds ANSI colours to text and is ignored by the other formats.
pub fn render(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(plan, color),
        Format::Markdown => markdown::render(plan),
        Format::Json => json::render(plan),
    }
}

/// A JSON date (RFC 3339) as [`when`] shows it; anything else as it is.
fn date_value(v: &Value) -> String {
    match instant(v) {
        Some(t) => when(t),
        None => show(v),
    }
}

/// A JSON date (RFC 3339), if it is one.
fn instant(v: &Value) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(v.as_str()?).ok()?;
    Some(t.with_timezone(&Utc))
}

/// An assignment update's ends, before and after (`permanent` for none), as a reviewer tells them apart
/// ([`ends_apart`]); `None` when they are the same instant (the update changes its ABAC condition alone).
fn ends(before: &Value, after: &Value) -> Option<(String, String)> {
    let end = |shape: &Value| shape.get("end").filter(|e| !e.is_null()).cloned();
    match (end(before), end(after)) {
        (None, None) => None,
        (Some(b), Some(a)) => match (instant(&b), instant(&a)) {
            (Some(b), Some(a)) if same_instant(Some(b), Some(a)) => None,
            (Some(b), Some(a)) => Some(ends_apart(b, a)),
            _ if a == b => None,
            _ => Some((date_value(&b), date_value(&a))),
        },
        (b, a) => {
            let side =
                |v: Option<Value>| v.map_or_else(|| "permanent".to_string(), |v| date_value(&v));
            Some((side(b), side(a)))
        }
    }
}

/// A setting's value as people read it: strings bare, lists in brackets, `none` for null.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// One item of a list-valued setting, compared with the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Kept(String),
    Removed(String),
    Added(String),
}

/// Item by item, for a list-valued setting (approvers, recipients, requirements), compared as a set: both sides
/// sorted, so the diff is exactly what was removed, added and kept. `None` when a side is not a list (null counts
/// as an empty list, but not both).
fn list_diff(before: &Value, after: &Value) -> Option<Vec<Item>> {
    if before.is_null() && after.is_null() {
        return None;
    }
    let (old, new) = (set_items(before)?, set_items(after)?);
    let ops = similar::utils::diff_slices(similar::Algorithm::Myers, &old, &new);
    let items = ops
        .into_iter()
        .flat_map(|(tag, slice)| {
            slice.iter().map(move |s| match tag {
                similar::ChangeTag::Equal => Item::Kept(s.clone()),
                similar::ChangeTag::Delete => Item::Removed(s.clone()),
                similar::ChangeTag::Insert => Item::Added(s.clone()),
            })
        })
        .collect();
    Some(items)
}

fn set_items(v: &Value) -> Option<Vec<String>> {
    let mut items: Vec<String> = match v {
        Value::Null => vec![],
        Value::Array(a) => a.iter().map(show).collect(),
        _ => return None,
    };
    items.sort();
    items.dedup();
    Some(items)
}

/// Whether a setting reads better as a list diff than as `before → after`: lists of people, or long lists.
fn wants_list_layout(field: Setting, before: &Value, after: &Value) -> bool {
    const LONG: usize = 60;
    let people = field.lists_people();
    let long = show(before).len() + show(after).len() > LONG;
    (people || long) && list_diff(before, after).is_some()
}

/// The rule a rule update is about.
fn rule_id(c: &Change) -> Option<&'static str> {
    match &c.key {
        ChangeKey::Rule { rule, .. } => Some(rule.as_str()),
        ChangeKey::Assignment { .. } | ChangeKey::Review { .. } | ChangeKey::ScopesBelow { .. } => {
            None
        }
    }
}

/// The kind of the assignment a change leaves.
fn kind_of(c: &Change) -> Option<AssignmentKind> {
    match &c.key {
        ChangeKey::Assignment { kind, .. } => Some(*kind),
        ChangeKey::Rule { .. } | ChangeKey::Review { .. } | ChangeKey::ScopesBelow { .. } => None,
    }
}

/// What a change is about: `rule Approval_EndUser_Assignment`, `eligible`, or `active → eligible`.
fn what(c: &Change) -> String {
    if let Some(rule) = rule_id(c) {
        return format!("rule {rule}");
    }
    if matches!(c.key, ChangeKey::Review { .. }) {
        return "access review".to_string();
    }
    let kind = kind_of(c).map_or("assignment", AssignmentKind::as_str);
    let from = c.before.get("kind").and_then(Value::as_str);
    match (c.action, from) {
        (Action::Convert, Some(from)) => format!("{from} → {kind}"),
        _ => kind.to_string(),
    }
}

/// The principal of an assignment change, by label (the id only when the tenant gave no label).
fn principal(c: &Change) -> Option<&str> {
    match (&c.principal, &c.key) {
        (Some(p), _) => Some(p.label.as_str()),
        (None, ChangeKey::Assignment { principal, .. }) => Some(principal.as_str()),
        (
            None,
            ChangeKey::Rule { .. } | ChangeKey::Review { .. } | ChangeKey::ScopesBelow { .. },
        ) => None,
    }
}

/// An assignment's end, from its shape in a plan (`{"kind", "start", "end"}`): `None` when permanent.
fn end_of(shape: &Value) -> Option<String> {
    shape.get("end").filter(|e| !e.is_null()).map(date_value)
}

/// An assignment's end in words: `until 2027-09-30` or `(permanent)`.
fn until(shape: &Value) -> String {
    end_of(shape).map_or_else(|| "(permanent)".to_string(), |e| format!("until {e}"))
}

/// The dates of an assignment change: the end it leaves, the end it removes, or the end before and after.
fn dates(c: &Change) -> Option<String> {
    if matches!(c.key, ChangeKey::Review { .. }) {
        return None;
    }
    match c.action {
        Action::UpdateRule => None,
        Action::Create | Action::Convert => Some(until(&c.after)),
        Action::Remove => Some(until(&c.before)),
        // A change of its ABAC condition alone leaves the dates as they are.
        Action::Update => ends(&c.before, &c.after).map(|(b, a)| format!("{b} → {a}")),
    }
}

/// An Azure assignment change's ABAC condition: the one it writes or removes, or `before → after` when it changes
/// (`none` for no condition).
fn condition(c: &Change) -> Option<String> {
    let of = |v: &Value| {
        v.get("condition")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (before, after) = (of(&c.before), of(&c.after));
    match c.action {
        Action::Update if before != after => Some(format!(
            "{} → {}",
            before.as_deref().unwrap_or("none"),
            after.as_deref().unwrap_or("none")
        )),
        Action::Update => None,
        Action::Remove => before,
        _ => after,
    }
}

/// The heading of a group of notes.
fn kind_title(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::KeptProtected => "Protected principals kept",
        NoteKind::Activation => "Activations in effect",
        NoteKind::UnmanagedSetting => "Unmanaged settings that differ from Microsoft's default",
        NoteKind::UnmanagedRole => "Roles not declared",
        NoteKind::Expiring => "Assignments expiring soon",
        NoteKind::NotManaged => "Assignments pimctl does not manage",
        NoteKind::Unreadable => "Targets left alone: their policy could not be read",
        NoteKind::UnmanagedReview => "Access reviews pimctl does not manage",
        NoteKind::KeptCondition => "ABAC conditions kept (held in the tenant, not declared)",
        NoteKind::FanOut => "New scopes from fan-out (`below:`), brought to the declared policy",
    }
}

/// `1 error`, `2 errors`.
/// How a plan names a target: a directory role by its name; a group's members or owners as
/// `Group Tier0-Operators · member`, so that the two blocks of one group never read as one.
fn target_name(target: Option<&TargetKey>, name: &str) -> String {
    match target {
        Some(t) if t.surface == Surface::Group && !name.is_empty() => {
            format!("Group {name} · {}", t.role)
        }
        _ => name.to_string(),
    }
}

/// The name of the target a change is about.
fn change_target(c: &Change) -> String {
    target_name(Some(c.key.target()), &c.role_name)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the plan was made against: `tenant 4d3c… (Contoso) at https://graph.microsoft.com/v1.0`, with the ARM
/// root when Azure resource roles were read.
fn against(plan: &Plan) -> String {
    let mut at = plan.endpoints.graph.clone();
    if let Some(arm) = &plan.endpoints.arm {
        at.push_str(&format!(" and {arm}"));
    }
    match &plan.tenant {
        Some(t) => format!("tenant {t} at {at}"),
        None => at,
    }
}

/// Whether a change undoes drift that weakened posture (the tenant was weakened outside pimctl).
fn drift_weakened(c: &Change) -> bool {
    c.cause == Some(Cause::Drift) && c.drift_posture.effect == Effect::Weakens
}

/// Whether the plan mixes drift and declared changes, so that each change is worth marking.
fn mixed_causes(plan: &Plan) -> bool {
    matches!(
        (plan.summary.drift, plan.summary.declared),
        (Some(d), Some(k)) if d > 0 && k > 0
    )
}

#[cfg(test)]
mod tests {
    //! A small plan built by hand, shared by the renderers' tests.

    use super::*;
    use crate::graph::{ExpirationPattern, NewScheduleRequest, RequestSchedule};
    use crate::model::{Origin, PrincipalKind, RoleKey, RuleId, TargetKey};
    use crate::plan::{
        FieldChange, Meaning, Method, Note, NoteSeverity, Operation, PlanError, PlanErrorCode,
        Posture, PrincipalInfo, Summary,
    };
    use serde_json::json;
    use std::collections::BTreeMap;

    pub(super) const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
    const SECURITY_ADMIN: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";
    const HELPDESK_ADMIN: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

    fn origin(file: &str, path: &str, line: u32) -> Origin {
        Origin {
            file: file.into(),
            path: path.to_string(),
            line,
            column: 5,
        }
    }

    fn posture(effect: Effect, why: &str, baselines: &[&str]) -> Posture {
        Posture {
            effect,
            why: why.to_string(),
            baselines: baselines.iter().map(|s| s.to_string()).collect(),
            lint: vec![],
        }
    }

    fn user(id: &str, label: &str) -> PrincipalInfo {
        PrincipalInfo {
            id: id.to_string(),
            kind: PrincipalKind::User,
            label: label.to_string(),
        }
    }

    fn rule_change(
        role: &str,
        role_name: &str,
        rule: RuleId,
        fields: Vec<FieldChange>,
        posture: Posture,
    ) -> Change {
        Change {
            action: Action::UpdateRule,
            key: ChangeKey::Rule {
                target: TargetKey::directory_role(RoleKey(role.to_string())),
                rule,
            },
            role_name: role_name.to_string(),
            principal: None,
            before: fields
                .iter()
                .map(|f| (f.field.to_string(), f.before.clone()))
                .collect(),
            after: fields
                .iter()
                .map(|f| (f.field.to_string(), f.after.clone()))
                .collect(),
            reason: match fields.as_slice() {
                [one] => format!("{} differs from the declaration", one.field),
                many => format!(
                    "{} managed settings differ from the declaration",
                    many.len()
                ),
            },
            fields,
            posture,
            drift_posture: Posture::neutral("no effect on posture"),
            cause: None,
            origin: Some(origin("policies/roles.yaml", "roles[0].policy", 3)),
            operations: vec![],
        }
    }

    fn assignment(
        action: Action,
        role: (&str, &str),
        who: PrincipalInfo,
        kind: AssignmentKind,
        (before, after): (Value, Value),
        reason: &str,
        posture: Posture,
    ) -> Change {
        Change {
            action,
            key: ChangeKey::Assignment {
                target: TargetKey::directory_role(RoleKey(role.0.to_string())),
                principal: who.id.clone(),
                kind,
            },
            role_name: role.1.to_string(),
            principal: Some(who),
            before,
            after,
            fields: vec![],
            reason: reason.to_string(),
            posture,
            drift_posture: Posture::neutral("no effect on posture"),
            cause: None,
            origin: (action != Action::Remove)
                .then(|| origin("policies/assignments.yaml", "roles[1].eligible[0]", 12)),
            operations: vec![],
        }
    }

    fn field(name: &str, before: Value, after: Value) -> FieldChange {
        FieldChange {
            field: Setting::parse(name).expect("a setting"),
            before,
            after,
        }
    }

    fn changes() -> Vec<Change> {
        let ga = (GA, "Global Administrator");
        let helpdesk = (HELPDESK_ADMIN, "Helpdesk Administrator");
        let eligible = AssignmentKind::Eligible;
        let active = AssignmentKind::Active;
        let create_request = NewScheduleRequest {
            action: crate::graph::ScheduleRequestAction::AdminAssign,
            principal_id: "a1".to_string(),
            role_definition_id: HELPDESK_ADMIN.to_string(),
            directory_scope_id: Some("/".to_string()),
            app_scope_id: None,
            justification: Some("pimctl: declared but missing".to_string()),
            schedule_info: Some(RequestSchedule {
                start_date_time: None,
                recurrence: None,
                expiration: DateTime::from_timestamp(1_822_348_799, 0)
                    .map(ExpirationPattern::after_date_time),
            }),
            ticket_info: None,
            is_validation_only: None,
            custom_data: None,
        };
        let mut create = assignment(
            Action::Create,
            helpdesk,
            user("a1", "alice@contoso.com"),
            eligible,
            (
                Value::Null,
                json!({"kind": "eligible", "end": "2027-09-30T23:59:59Z"}),
            ),
            "declared but missing",
            posture(Effect::Neutral, "new eligible assignment", &[]),
        );
        let end = DateTime::from_timestamp(1_822_348_799, 0);
        create.operations = vec![Operation {
            meaning: Meaning::Assignment {
                target: TargetKey::directory_role(RoleKey(HELPDESK_ADMIN.to_string())),
                principal: "a1".to_string(),
                kind: eligible,
                action: crate::graph::ScheduleRequestAction::AdminAssign,
                end,
            },
            method: Method::Post,
            path: "/roleManagement/directory/roleEligibilityScheduleRequests".to_string(),
            body: serde_json::to_value(create_request).unwrap(),
        }];
        vec![
            rule_change(
                GA,
                "Global Administrator",
                RuleId::ApprovalEndUserAssignment,
                vec![
                    field("activation.approval.required", json!(true), json!(false)),
                    field(
                        "activation.approval.approvers",
                        json!(["carol@contoso.com", "alice@contoso.com"]),
                        json!(["alice@contoso.com", "dave@contoso.com"]),
                    ),
                ],
                posture(
                    Effect::Weakens,
                    "approval off (and 1 more)",
                    &["MS.AAD.7.6v1", "CIS 5.3.4"],
                ),
            ),
            rule_change(
                SECURITY_ADMIN,
                "Security Administrator",
                RuleId::ExpirationEndUserAssignment,
                vec![field("activation.max_duration", json!("8h"), json!("1h"))],
                posture(
                    Effect::Strengthens,
                    "activation window shorter: 8h → 1h",
                    &["MSL-SECOPS-2", "PIM037"],
                ),
            ),
            create,
            assignment(
                Action::Update,
                helpdesk,
                user("b2", "bob@contoso.com"),
                eligible,
                (
                    json!({"kind": "eligible", "start": "2026-01-01T00:00:00Z", "end": "2027-05-10T00:00:00Z"}),
                    json!({"kind": "eligible", "start": "2026-01-01T00:00:00Z", "end": "2027-05-10T23:59:59Z"}),
                ),
                "end date differs: 2027-05-10 00:00:00 UTC in the tenant, 2027-05-10 23:59:59 UTC declared",
                posture(Effect::Neutral, "end date moved", &[]),
            ),
            assignment(
                Action::Convert,
                ga,
                user("c3", "carol@contoso.com"),
                eligible,
                (
                    json!({"kind": "active", "end": null}),
                    json!({"kind": "eligible", "end": "2027-03-31T12:30:00Z"}),
                ),
                "active in the tenant; declared eligible",
                posture(
                    Effect::Strengthens,
                    "standing access becomes just-in-time",
                    &["MS.AAD.7.4v1"],
                ),
            ),
            assignment(
                Action::Remove,
                ga,
                user("y4", "yusuf.portal@contoso.com"),
                active,
                (json!({"kind": "active", "end": null}), Value::Null),
                "not declared in a managed role",
                posture(
                    Effect::Weakens,
                    "a <test> | weakening removal",
                    &["CIS 1.1.2"],
                ),
            ),
        ]
    }

    fn notes() -> Vec<Note> {
        vec![
            Note {
                kind: NoteKind::KeptProtected,
                severity: NoteSeverity::Warning,
                target: Some(TargetKey::directory_role(RoleKey(GA.to_string()))),
                role_name: "Global Administrator".to_string(),
                principal: Some("breakglass@contoso.com".to_string()),
                message: "kept: protected (pimctl never removes a protected principal)".to_string(),
                origin: Some(origin("policies/roles.yaml", "protected[0]", 1)),
            },
            Note {
                kind: NoteKind::Activation,
                severity: NoteSeverity::Info,
                target: Some(TargetKey::directory_role(RoleKey(GA.to_string()))),
                role_name: "Global Administrator".to_string(),
                principal: Some("dana@contoso.com".to_string()),
                message: "activated until 2026-05-01 10:00 UTC".to_string(),
                origin: None,
            },
        ]
    }

    /// A plan with two rule updates (one weakening, with two fields), a create, an update, a conversion, a
    /// removal, a warning and a note.
    pub(crate) fn sample() -> Plan {
        Plan {
            format_version: crate::plan::FORMAT_VERSION,
            id: "5b0e3c9a1f72".into(),
            tool_version: "0.1.0".to_string(),
            read_at: DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default(),
            tenant: Some(crate::model::Tenant::new(
                "4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a",
                Some("Contoso".into()),
            )),
            endpoints: crate::model::Endpoints {
                graph: "https://graph.microsoft.com/v1.0".to_string(),
                arm: None,
            },
            desired_digest: "sha256:00".to_string(),
            files: vec![
                "policies/assignments.yaml".to_string(),
                "policies/roles.yaml".to_string(),
            ],
            changes: changes(),
            notes: notes(),
            errors: vec![],
            summary: Summary {
                rule_updates: 2,
                creates: 1,
                updates: 1,
                conversions: 1,
                removes: 1,
                weakens: 2,
                strengthens: 2,
                neutral: 2,
                drift: None,
                declared: None,
                drift_posture: None,
                warnings: 1,
                errors: 0,
            },
            fingerprints: BTreeMap::from([(
                crate::plan::fingerprint::ObjectId::assignment(
                    &TargetKey::directory_role(RoleKey(HELPDESK_ADMIN.to_string())),
                    "a1",
                    AssignmentKind::Eligible,
                ),
                "absent".to_string(),
            )]),
            protected: vec![],
        }
    }

    /// The sample with causes marked: the removal and the conversion are drift, the rest declared. The removal
    /// undoes drift that weakened posture (a permanent Global Administrator added by hand).
    pub(crate) fn with_causes() -> Plan {
        let mut plan = sample();
        for c in &mut plan.changes {
            let drift = matches!(c.action, Action::Remove | Action::Convert);
            c.cause = Some(if drift { Cause::Drift } else { Cause::Declared });
            if c.action == Action::Remove {
                c.drift_posture = posture(
                    Effect::Weakens,
                    "new permanent active assignment to a privileged role",
                    &["MS.AAD.7.4v1"],
                );
            }
        }
        plan.summary.drift = Some(2);
        plan.summary.declared = Some(4);
        plan
    }

    /// A plan that failed: one error with an origin, no changes.
    pub(crate) fn failed() -> Plan {
        let mut plan = sample();
        plan.changes.clear();
        plan.fingerprints.clear();
        plan.errors = vec![PlanError {
            code: PlanErrorCode::PrincipalNotFound,
            message: "user 'ghost@contoso.com' does not exist in the tenant".to_string(),
            origin: Some(origin(
                "policies/assignments.yaml",
                "roles[1].eligible[2].principal",
                14,
            )),
            help: Some("check the user principal name".to_string()),
        }];
        plan.summary = Summary {
            warnings: 1,
            errors: 1,
            ..Summary::default()
        };
        plan
    }

    /// A plan without changes, errors or notes.
    pub(crate) fn empty() -> Plan {
        let mut plan = sample();
        plan.changes.clear();
        plan.notes.clear();
        plan.fingerprints.clear();
        plan.summary = Summary::default();
        plan
    }

    #[test]
    fn dates_show_the_day_at_day_boundaries_and_the_time_otherwise() {
        assert_eq!(date_value(&json!("2027-09-30T23:59:59Z")), "2027-09-30");
        assert_eq!(date_value(&json!("2027-09-30T00:00:00Z")), "2027-09-30");
        assert_eq!(
            date_value(&json!("2027-09-30T14:05:00+02:00")),
            "2027-09-30 12:05 UTC"
        );
        assert_eq!(date_value(&json!("not a date")), "not a date");
    }

    #[test]
    fn lists_diff_as_sets() {
        let diff = list_diff(&json!(["b", "a", "c"]), &json!(["a", "d", "b"]));
        assert_eq!(
            diff,
            Some(vec![
                Item::Kept("a".into()),
                Item::Kept("b".into()),
                Item::Removed("c".into()),
                Item::Added("d".into()),
            ])
        );
        assert_eq!(list_diff(&json!(true), &json!(["a"])), None);
        assert_eq!(
            list_diff(&Value::Null, &json!(["a"])),
            Some(vec![Item::Added("a".into())])
        );
    }

    #[test]
    fn changes_are_described_by_kind_principal_and_dates() {
        let plan = sample();
        let described: Vec<(String, Option<&str>, Option<String>)> = plan
            .changes
            .iter()
            .map(|c| (what(c), principal(c), dates(c)))
            .collect();
        assert_eq!(described[0].0, "rule Approval_EndUser_Assignment");
        assert_eq!(described[0].2, None);
        assert_eq!(
            described[2],
            (
                "eligible".to_string(),
                Some("alice@contoso.com"),
                Some("until 2027-09-30".to_string())
            )
        );
        assert_eq!(
            described[3].2.as_deref(),
            Some("2027-05-10 00:00:00 UTC → 2027-05-10 23:59:59 UTC")
        );
        assert_eq!(described[4].0, "active → eligible");
        assert_eq!(
            described[4].2.as_deref(),
            Some("until 2027-03-31 12:30 UTC")
        );
        assert_eq!(described[5].2.as_deref(), Some("(permanent)"));
    }

    #[test]
    fn render_dispatches_on_format() {
        let plan = sample();
        assert!(render(&plan, Format::Text, false).contains("Plan: 2 rule updates"));
        assert!(render(&plan, Format::Markdown, false).starts_with("### pimctl plan\n"));
        assert!(render(&plan, Format::Json, false).starts_with("{\n  \"format_version\": 4,"));
    }
}
