//! Assignment changes: create, update (dates), convert (eligible ↔ active, new before old) and remove, for the
//! kinds a role manages. Protected principals are never removed or downgraded; activations are never drift.

use super::posture::{self, AssignmentFacts};
use super::{
    Action, Change, ChangeKey, Context, NoteKind, NoteSeverity, Operation, PlanError,
    PlanErrorCode, ends_apart, fingerprint, same_instant, when,
};
use crate::graph::ScheduleRequestAction;
use crate::model::{
    AssignmentKind, DesiredAssignment, DesiredTarget, LiveAssignment, PrincipalKind,
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn plan_assignments(cx: &mut Context<'_>) {
    let protected: BTreeSet<String> = cx
        .desired
        .protected
        .iter()
        .filter_map(|p| cx.live.id_of(&p.principal))
        .map(str::to_lowercase)
        .collect();
    for (key, role) in &cx.desired.targets {
        let Some(found) = cx.plannable(key) else {
            continue;
        };
        let mut rp = TargetPlan {
            role,
            target: &found,
            held: &cx.index.assignments(&found.key).collect::<Vec<_>>(),
            protected: &protected,
            out: Out::default(),
        };
        rp.plan(cx);
        cx.changes.extend(rp.out.changes);
        cx.notes.extend(rp.out.notes);
        cx.errors.extend(rp.out.errors);
        cx.fingerprints.extend(rp.out.fingerprints);
        cx.early.extend(rp.out.early);
    }
}

#[derive(Default)]
struct Out {
    changes: Vec<Change>,
    notes: Vec<super::Note>,
    errors: Vec<PlanError>,
    fingerprints: BTreeMap<fingerprint::ObjectId, String>,
    early: BTreeSet<ChangeKey>,
}

struct TargetPlan<'a> {
    role: &'a DesiredTarget,
    /// The declared target as found in the tenant.
    target: &'a super::Found,
    /// The tenant's assignments of this target.
    held: &'a [&'a LiveAssignment],
    protected: &'a BTreeSet<String>,
    out: Out,
}

type ByPrincipal<'a, T> = BTreeMap<String, &'a T>;

impl TargetPlan<'_> {
    fn plan(&mut self, cx: &Context<'_>) {
        let now = cx.live.read_at;
        let target_key = &self.target.key;
        // Declared, by resolved object id. Declarations that already ended count as absent.
        let mut want: BTreeMap<AssignmentKind, ByPrincipal<DesiredAssignment>> = BTreeMap::new();
        let mut have: BTreeMap<AssignmentKind, ByPrincipal<LiveAssignment>> = BTreeMap::new();
        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            let mut w = BTreeMap::new();
            for a in self.role.assignments(kind).unwrap_or_default() {
                if a.until.is_some_and(|u| u <= now) {
                    continue;
                }
                if let Some(id) = cx.live.id_of(&a.principal) {
                    w.insert(id.to_lowercase(), a);
                }
            }
            want.insert(kind, w);
            let mut h = BTreeMap::new();
            for a in self.held.iter().copied().filter(|a| {
                &a.target == target_key
                    && a.kind == kind
                    && a.member_type
                        .as_deref()
                        .is_none_or(|m| m.eq_ignore_ascii_case("Direct"))
            }) {
                h.entry(a.principal_id.to_lowercase()).or_insert(a);
            }
            have.insert(kind, h);
        }
        let managed = |k: AssignmentKind| self.role.assignments(k).is_some();
        let mut converted: BTreeSet<(AssignmentKind, String)> = BTreeSet::new();

        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            if !managed(kind) {
                continue;
            }
            let other = other_kind(kind);
            for (pid, d) in &want[&kind] {
                match have[&kind].get(pid) {
                    Some(l) => self.compare(cx, kind, pid, d, l),
                    None => {
                        let from = have[&other]
                            .get(pid)
                            .filter(|_| managed(other) && !want[&other].contains_key(pid));
                        match from {
                            // pimctl never sends a removal for a protected principal, not even the second
                            // half of a conversion.
                            Some(_) if self.is_protected(pid) => {
                                converted.insert((other, pid.clone()));
                                if kind == AssignmentKind::Eligible {
                                    self.keep_protected(
                                        cx,
                                        pid,
                                        "the declaration makes it eligible; it stays active",
                                        d,
                                    );
                                } else {
                                    self.keep_protected(
                                        cx,
                                        pid,
                                        "its eligible assignment stays beside the declared active one",
                                        d,
                                    );
                                    self.create(cx, kind, pid, d);
                                }
                            }
                            Some(old) => {
                                converted.insert((other, pid.clone()));
                                self.convert(cx, kind, pid, d, old);
                            }
                            None => self.create(cx, kind, pid, d),
                        }
                    }
                }
            }
            for (pid, l) in &have[&kind] {
                if want[&kind].contains_key(pid) || converted.contains(&(kind, pid.clone())) {
                    continue;
                }
                if self.is_protected(pid) {
                    self.keep_protected_undeclared(cx, pid, kind);
                    continue;
                }
                self.remove(cx, kind, pid, l);
            }
        }
    }

    fn is_protected(&self, pid: &str) -> bool {
        self.protected.contains(pid)
    }

    fn facts(&self, cx: &Context<'_>, kind: AssignmentKind, pid: &str) -> AssignmentFacts {
        AssignmentFacts {
            kind,
            role_is_privileged: self.target.privileged,
            role_is_tier0: self.target.tier0,
            role_is_ga: self.target.is_global_admin,
            principal_is_sp: cx
                .live
                .principal(pid)
                .is_some_and(|p| p.kind == PrincipalKind::ServicePrincipal),
            protected: self.is_protected(pid),
        }
    }

    fn key(&self, kind: AssignmentKind, pid: &str) -> ChangeKey {
        ChangeKey::Assignment {
            target: self.target.key.clone(),
            principal: pid.to_string(),
            kind,
        }
    }

    fn object(&self, kind: AssignmentKind, pid: &str) -> fingerprint::ObjectId {
        fingerprint::ObjectId::assignment(&self.target.key, pid, kind)
    }

    /// Checks a new or changed assignment against the policy as it will stand after this plan. `Some(false)`: it
    /// fits; `Some(true)`: only the policy as it stands now allows it (a protected principal's permanent assignment
    /// under a policy this plan tightens), so it goes before the policy updates; `None`: the tenant would refuse it
    /// (a plan error is recorded).
    fn precheck(
        &mut self,
        cx: &Context<'_>,
        kind: AssignmentKind,
        d: &DesiredAssignment,
        pid: &str,
    ) -> Option<bool> {
        let label = cx.principal_info(pid).label;
        let live_settings = cx
            .live
            .policies
            .get(&self.target.key)
            .map(|p| p.settings.clone())
            .unwrap_or_default();
        let post = self.role.policy.merge_over(&live_settings);
        let pick = |s: &crate::model::PolicySettings| match kind {
            AssignmentKind::Eligible => s.eligible_assignment.clone(),
            AssignmentKind::Active => s.active_assignment.clone(),
        };
        let Some((message, help)) = self.refusal(cx, kind, &pick(&post), d, &label) else {
            return Some(false);
        };
        if self.is_protected(pid)
            && self
                .refusal(cx, kind, &pick(&live_settings), d, &label)
                .is_none()
        {
            return Some(true);
        }
        self.out.errors.push(PlanError {
            code: PlanErrorCode::PolicyConflict,
            message,
            origin: Some(d.origin.clone()),
            help: Some(help),
        });
        None
    }

    /// Why the tenant would refuse the assignment under `rules`, if it would.
    fn refusal(
        &self,
        cx: &Context<'_>,
        kind: AssignmentKind,
        rules: &crate::model::AssignmentSettings,
        d: &DesiredAssignment,
        label: &str,
    ) -> Option<(String, String)> {
        let section = match kind {
            AssignmentKind::Eligible => "eligible_assignment",
            AssignmentKind::Active => "active_assignment",
        };
        match d.until {
            None if rules.allow_permanent == Some(false) => Some((
                format!(
                    "the tenant would refuse a permanent {kind} assignment of {label} to {}: its policy requires an end date",
                    self.target.name
                ),
                format!(
                    "give the assignment an `until:`, or set `{section}.allow_permanent: true` for this role"
                ),
            )),
            Some(until) => rules.max_duration.and_then(|max| {
                let length = until - cx.live.read_at;
                (length > max.to_chrono()).then(|| {
                    (
                        format!(
                            "the tenant would refuse {label}'s {kind} assignment to {} until {}: that is {} days from now, and the policy allows at most {max}",
                            self.target.name,
                            until.format("%Y-%m-%d"),
                            length.num_days()
                        ),
                        format!(
                            "bring `until:` forward, or raise `{section}.max_duration` for this role"
                        ),
                    )
                })
            }),
            None => None,
        }
    }

    /// Runs the pre-check and records an early change; false when the tenant would refuse it.
    fn admit(
        &mut self,
        cx: &Context<'_>,
        kind: AssignmentKind,
        d: &DesiredAssignment,
        pid: &str,
    ) -> bool {
        match self.precheck(cx, kind, d, pid) {
            None => false,
            Some(early) => {
                if early {
                    self.out.early.insert(self.key(kind, pid));
                }
                true
            }
        }
    }

    /// A schedule request as a plan operation.
    fn op(
        &self,
        kind: AssignmentKind,
        action: ScheduleRequestAction,
        pid: &str,
        until: Option<Option<DateTime<Utc>>>,
        justification: String,
    ) -> Operation {
        super::wire::schedule(self.target, kind, action, pid, until, justification)
    }

    /// Records an assignment change: the parts every one has, and the parts given.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        cx: &Context<'_>,
        action: Action,
        (kind, pid): (AssignmentKind, &str),
        (before, after): (Value, Value),
        (posture, drift_posture): (super::Posture, super::Posture),
        origin: Option<&DesiredAssignment>,
        operations: Vec<Operation>,
        reason: String,
    ) {
        self.out.changes.push(Change {
            action,
            key: self.key(kind, pid),
            role_name: self.target.name.clone(),
            principal: Some(cx.principal_info(pid)),
            before,
            after,
            fields: vec![],
            reason,
            posture,
            drift_posture,
            cause: None,
            origin: origin.map(|d| d.origin.clone()),
            operations,
        });
    }

    fn create(&mut self, cx: &Context<'_>, kind: AssignmentKind, pid: &str, d: &DesiredAssignment) {
        if !self.admit(cx, kind, d, pid) {
            return;
        }
        let facts = self.facts(cx, kind, pid);
        self.out
            .fingerprints
            .insert(self.object(kind, pid), fingerprint::ABSENT.to_string());
        let reason = "declared but missing".to_string();
        let assign = ScheduleRequestAction::AdminAssign;
        let ops = vec![self.op(kind, assign, pid, Some(d.until), justification(&reason, d))];
        self.push(
            cx,
            Action::Create,
            (kind, pid),
            (
                Value::Null,
                with_condition(shape(kind, None, d.until), d.condition.as_ref()),
            ),
            (
                posture::of_create(&facts, d.until),
                posture::of_remove(&facts),
            ),
            Some(d),
            ops,
            reason,
        );
    }

    /// A declared assignment the tenant holds: its end date and (Azure roles) its ABAC condition. A changed or
    /// newly declared condition is an update; a live condition the declaration does not write is kept (every
    /// request carries it, see `wire_arm::add_conditions`) and reported, never dropped.
    fn compare(
        &mut self,
        cx: &Context<'_>,
        kind: AssignmentKind,
        pid: &str,
        d: &DesiredAssignment,
        l: &LiveAssignment,
    ) {
        let condition = match (&d.condition, &l.condition) {
            (Some(want), Some(held)) if want == held => None,
            (Some(_), Some(_)) => Some("its ABAC condition differs from the declared one"),
            (Some(_), None) => Some("the declared ABAC condition is missing in the tenant"),
            (None, Some(_)) => {
                self.keep_condition(cx, pid, kind, d);
                None
            }
            (None, None) => None,
        };
        let mut until = d.until;
        let mut dates_differ = !same_instant(d.until, l.end);
        if dates_differ && self.is_protected(pid) && l.end.is_none() {
            self.keep_protected(
                cx,
                pid,
                "the declaration gives it an end date; it stays permanent",
                d,
            );
            // Only the condition (if any) is written: the end stays as the tenant has it.
            until = l.end;
            dates_differ = false;
        }
        if !dates_differ && condition.is_none() {
            return;
        }
        if !self.admit(cx, kind, &DesiredAssignment { until, ..d.clone() }, pid) {
            return;
        }
        let mut reasons = vec![];
        if dates_differ {
            reasons.push(match (l.end, until) {
                (None, Some(u)) => format!("permanent in the tenant; declared until {}", when(u)),
                (Some(e), None) => format!("ends {} in the tenant; declared permanent", when(e)),
                (Some(e), Some(u)) => {
                    let (e, u) = ends_apart(e, u);
                    format!("end date differs: {e} in the tenant, {u} declared")
                }
                (None, None) => unreachable!("equal dates are not an update"),
            });
        }
        reasons.extend(condition.map(str::to_string));
        let reason = reasons.join("; ");
        let facts = self.facts(cx, kind, pid);
        self.out
            .fingerprints
            .insert(self.object(kind, pid), fingerprint::assignment(l));
        let (posture, drift) = if dates_differ {
            (
                posture::of_update(&facts, l.end, until),
                posture::of_update(&facts, until, l.end),
            )
        } else {
            posture::of_condition(l.condition.is_none())
        };
        let action = update_action(cx.live.read_at, l.end, until);
        let ops = vec![self.op(kind, action, pid, Some(until), justification(&reason, d))];
        let before = with_condition(shape(kind, l.start, l.end), l.condition.as_ref());
        let after = with_condition(
            shape(kind, l.start, until),
            d.condition.as_ref().or(l.condition.as_ref()),
        );
        self.push(
            cx,
            Action::Update,
            (kind, pid),
            (before, after),
            (posture, drift),
            Some(d),
            ops,
            reason,
        );
    }

    fn convert(
        &mut self,
        cx: &Context<'_>,
        kind: AssignmentKind,
        pid: &str,
        d: &DesiredAssignment,
        old: &LiveAssignment,
    ) {
        if !self.admit(cx, kind, d, pid) {
            return;
        }
        let from = old.kind;
        let reason = format!("{from} in the tenant; declared {kind}");
        let facts = self.facts(cx, kind, pid);
        self.out
            .fingerprints
            .insert(self.object(kind, pid), fingerprint::ABSENT.to_string());
        self.out
            .fingerprints
            .insert(self.object(from, pid), fingerprint::assignment(old));
        // The new assignment first: if the removal then fails, the principal still holds one of the two.
        let ops = vec![
            self.op(
                kind,
                ScheduleRequestAction::AdminAssign,
                pid,
                Some(d.until),
                justification(&reason, d),
            ),
            self.op(
                from,
                ScheduleRequestAction::AdminRemove,
                pid,
                None,
                justification(&reason, d),
            ),
        ];
        let drift = posture::of_convert(&self.facts(cx, from, pid));
        self.push(
            cx,
            Action::Convert,
            (kind, pid),
            (
                with_condition(shape(from, old.start, old.end), old.condition.as_ref()),
                with_condition(
                    shape(kind, None, d.until),
                    d.condition.as_ref().or(old.condition.as_ref()),
                ),
            ),
            (posture::of_convert(&facts), drift),
            Some(d),
            ops,
            reason,
        );
    }

    fn remove(&mut self, cx: &Context<'_>, kind: AssignmentKind, pid: &str, l: &LiveAssignment) {
        let facts = self.facts(cx, kind, pid);
        let mut reason = "not declared in a managed role".to_string();
        if kind == AssignmentKind::Eligible
            && let Some(act) =
                cx.live.activations.iter().find(|a| {
                    a.target == self.target.key && a.principal_id.eq_ignore_ascii_case(pid)
                })
        {
            reason.push_str(&format!(
                "; its activation in progress{} is not ended by this",
                act.end
                    .map(|e| format!(" (until {})", e.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ));
        }
        self.out
            .fingerprints
            .insert(self.object(kind, pid), fingerprint::assignment(l));
        let remove = ScheduleRequestAction::AdminRemove;
        let ops = vec![self.op(kind, remove, pid, None, format!("pimctl: {reason}"))];
        self.push(
            cx,
            Action::Remove,
            (kind, pid),
            (
                with_condition(shape(kind, l.start, l.end), l.condition.as_ref()),
                Value::Null,
            ),
            (
                posture::of_remove(&facts),
                posture::of_create(&facts, l.end),
            ),
            None,
            ops,
            reason,
        );
    }

    fn keep_protected(&mut self, cx: &Context<'_>, pid: &str, why: &str, d: &DesiredAssignment) {
        self.out.notes.push(super::Note {
            kind: NoteKind::KeptProtected,
            severity: NoteSeverity::Warning,
            target: Some(self.target.key.clone()),
            role_name: self.target.name.clone(),
            principal: Some(cx.live.label(pid).to_string()),
            message: format!("kept: protected ({why})"),
            origin: Some(d.origin.clone()),
        });
    }

    fn keep_condition(
        &mut self,
        cx: &Context<'_>,
        pid: &str,
        kind: AssignmentKind,
        d: &DesiredAssignment,
    ) {
        self.out.notes.push(super::Note {
            kind: NoteKind::KeptCondition,
            severity: NoteSeverity::Warning,
            target: Some(self.target.key.clone()),
            role_name: self.target.name.clone(),
            principal: Some(cx.live.label(pid).to_string()),
            message: format!(
                "kept: its {kind} assignment holds an ABAC condition the declaration does not write; pimctl keeps it in every write (declare it with `condition` and `condition_version` to manage it)"
            ),
            origin: Some(d.origin.clone()),
        });
    }

    fn keep_protected_undeclared(&mut self, cx: &Context<'_>, pid: &str, kind: AssignmentKind) {
        self.out.notes.push(super::Note {
            kind: NoteKind::KeptProtected,
            severity: NoteSeverity::Warning,
            target: Some(self.target.key.clone()),
            role_name: self.target.name.clone(),
            principal: Some(cx.live.label(pid).to_string()),
            message: format!(
                "kept: protected (its {kind} assignment is not declared in this role; pimctl never removes a protected principal)"
            ),
            origin: Some(self.role.origin.clone()),
        });
    }
}

/// How far ahead of its end an assignment counts as expiring: PIM's own window, in which it notifies the assignee
/// and admins and in which an extension is the documented action.
pub(crate) const EXTEND_WINDOW_DAYS: i64 = 14;

/// The request that moves an end date: `adminExtend` when it lengthens an assignment that ends within PIM's
/// expiring window (the action PIM documents for that case, and the one its audit log and notifications name as an
/// extension), `adminUpdate` otherwise (shortening, making permanent, or a change far from the end).
fn update_action(
    now: DateTime<Utc>,
    live_end: Option<DateTime<Utc>>,
    declared: Option<DateTime<Utc>>,
) -> ScheduleRequestAction {
    match (live_end, declared) {
        (Some(end), Some(until))
            if until > end && end - now <= chrono::Duration::days(EXTEND_WINDOW_DAYS) =>
        {
            ScheduleRequestAction::AdminExtend
        }
        _ => ScheduleRequestAction::AdminUpdate,
    }
}

fn other_kind(k: AssignmentKind) -> AssignmentKind {
    match k {
        AssignmentKind::Eligible => AssignmentKind::Active,
        AssignmentKind::Active => AssignmentKind::Eligible,
    }
}

/// An assignment as a plan shows it: kind, start and end (`null`: permanent).
fn shape(kind: AssignmentKind, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Value {
    let mut v = json!({"kind": kind, "end": end});
    if let Some(s) = start {
        v["start"] = json!(s);
    }
    v
}

/// An assignment as a plan shows it, with its ABAC condition when it has one.
fn with_condition(mut v: Value, condition: Option<&crate::model::AbacCondition>) -> Value {
    if let Some(c) = condition {
        v["condition"] = json!(c.condition);
        v["condition_version"] = json!(c.version);
    }
    v
}

fn justification(reason: &str, d: &DesiredAssignment) -> String {
    format!(
        "pimctl: {reason} ({}:{})",
        d.origin.file.display(),
        d.origin.line
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn lengthening_an_assignment_that_ends_within_the_window_is_an_extension() {
        let now = at(1);
        // Ends in 14 days exactly: inside PIM's window.
        assert_eq!(
            update_action(now, Some(at(15)), Some(at(30))),
            ScheduleRequestAction::AdminExtend
        );
        // Ends in 15 days: an ordinary update.
        assert_eq!(
            update_action(now, Some(at(16)), Some(at(30))),
            ScheduleRequestAction::AdminUpdate
        );
    }

    #[test]
    fn shortening_or_making_permanent_is_an_update() {
        let now = at(1);
        assert_eq!(
            update_action(now, Some(at(5)), Some(at(3))),
            ScheduleRequestAction::AdminUpdate
        );
        assert_eq!(
            update_action(now, Some(at(5)), None),
            ScheduleRequestAction::AdminUpdate
        );
        assert_eq!(
            update_action(now, None, Some(at(5))),
            ScheduleRequestAction::AdminUpdate
        );
    }
}
