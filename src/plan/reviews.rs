//! Access reviews: a target that declares `access_review` owns one review definition whose scope is exactly that
//! target. Plan creates it when it is missing, updates it (a `PUT` of the whole object, or a `DELETE` and a `POST`
//! where Graph cannot change it in place) when a managed setting differs, and removes it only on
//! `access_review: none`. A review of a managed target that nobody declared is a note, never a change.
//!
//! Settings are compared field by field as [`Setting::Review`]s, so that posture judges them like policy settings.

use super::{
    Action, Change, ChangeKey, Context, FieldChange, Found, Note, NoteKind, NoteSeverity,
    PlanError, PlanErrorCode, fingerprint, posture, wire,
};
use crate::graph::review::pim_scope::{self, ReviewedTarget};
use crate::graph::review::{AccessReviewScheduleDefinition, ReviewerTarget, reviewer_target};
use crate::model::{
    AccessReview, AssignmentKind, DefaultDecision, LiveReview, PrincipalKind, PrincipalRef,
    ReviewSetting as S, ReviewedAssignments, Reviewer, Setting,
};
use serde_json::{Value, json};

/// One managed setting of a review: the value compared (object ids) and the value shown (names).
struct Field {
    setting: S,
    cmp: Value,
    show: Value,
}

fn field(setting: S, v: Value) -> Field {
    Field {
        setting,
        cmp: v.clone(),
        show: v,
    }
}

/// A reviewer as the wire names it, resolved: what a desired and a live review are compared on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ResolvedReviewer {
    User(String),
    Group(String),
    Managers,
}

impl ResolvedReviewer {
    fn key(&self) -> String {
        match self {
            ResolvedReviewer::User(id) => format!("user:{}", id.to_lowercase()),
            ResolvedReviewer::Group(id) => format!("group:{}", id.to_lowercase()),
            ResolvedReviewer::Managers => "managers".into(),
        }
    }
}

fn decision_name(d: DefaultDecision) -> &'static str {
    match d {
        DefaultDecision::None => "none",
        DefaultDecision::Approve => "approve",
        DefaultDecision::Deny => "deny",
        DefaultDecision::Recommendation => "recommendation",
    }
}

impl Context<'_> {
    /// A declared principal's object id, or a placeholder that never matches (an unresolved one is a plan error).
    fn principal_id(&self, p: &PrincipalRef) -> String {
        self.live
            .id_of(p)
            .map(str::to_lowercase)
            .unwrap_or_else(|| format!("unresolved:{}", p.name.to_lowercase()))
    }

    fn resolved(&self, p: &PrincipalRef) -> ResolvedReviewer {
        match p.kind {
            PrincipalKind::Group => ResolvedReviewer::Group(self.principal_id(p)),
            _ => ResolvedReviewer::User(self.principal_id(p)),
        }
    }

    fn reviewer_label(&self, r: &ResolvedReviewer) -> Value {
        match r {
            ResolvedReviewer::User(id) => json!(format!("user {}", self.live.label(id))),
            ResolvedReviewer::Group(id) => json!(format!("group {}", self.live.label(id))),
            ResolvedReviewer::Managers => json!("managers"),
        }
    }

    fn people(&self, setting: S, list: &[ResolvedReviewer], empty: &str) -> Field {
        let mut list = list.to_vec();
        list.sort();
        list.dedup();
        if list.is_empty() {
            return field(setting, json!([empty]));
        }
        Field {
            setting,
            cmp: Value::Array(list.iter().map(|r| json!(r.key())).collect()),
            show: Value::Array(list.iter().map(|r| self.reviewer_label(r)).collect()),
        }
    }

    /// The declared reviewers, resolved (self-review is none).
    pub(crate) fn declared_reviewers(&self, rv: &AccessReview) -> Vec<ResolvedReviewer> {
        rv.reviewers
            .iter()
            .filter_map(|r| match r {
                Reviewer::SelfReview => None,
                Reviewer::Managers => Some(ResolvedReviewer::Managers),
                Reviewer::Principal(p) => Some(self.resolved(p)),
            })
            .collect()
    }

    pub(crate) fn declared_fallbacks(&self, rv: &AccessReview) -> Vec<ResolvedReviewer> {
        rv.fallback_reviewers
            .iter()
            .map(|p| self.resolved(p))
            .collect()
    }

    fn desired_fields(&self, rv: &AccessReview) -> Vec<Field> {
        vec![
            field(S::Assignments, json!(rv.assignments.as_str())),
            field(S::Every, json!(rv.every.to_string())),
            field(
                S::Duration,
                json!(format!("{}d", rv.duration.whole_days().unwrap_or(0))),
            ),
            self.people(S::Reviewers, &self.declared_reviewers(rv), "self"),
            self.people(S::FallbackReviewers, &self.declared_fallbacks(rv), "none"),
            field(
                S::DefaultDecision,
                json!(decision_name(rv.default_decision)),
            ),
            field(S::AutoApply, json!(rv.auto_apply)),
            field(S::Justification, json!(rv.justification)),
            field(S::Recommendations, json!(rv.recommendations)),
            field(S::Mail, json!(rv.mail)),
            field(S::Reminders, json!(rv.reminders)),
        ]
    }

    fn live_fields(&self, d: &AccessReviewScheduleDefinition) -> Vec<Field> {
        let settings = d.settings.value().cloned().unwrap_or_default();
        let flag = |b: Option<bool>| json!(b.unwrap_or(false));
        let assignments = match d.scope.value().and_then(pim_scope::target_of) {
            Some(ReviewedTarget::Role { assignments, .. }) => match assignments {
                pim_scope::ReviewedAssignments::Eligible => ReviewedAssignments::Eligible,
                pim_scope::ReviewedAssignments::Active => ReviewedAssignments::Active,
                pim_scope::ReviewedAssignments::Both => ReviewedAssignments::Both,
            },
            _ => ReviewedAssignments::Both,
        };
        let every = match crate::observe::reviews::live_cadence(&settings) {
            None => Value::Null,
            Some(Ok(c)) => json!(c.to_string()),
            Some(Err(other)) => json!(other),
        };
        let decision = if settings.default_decision_enabled == Some(false) {
            "none".to_string()
        } else {
            settings
                .default_decision()
                .map_or("none", |d| d.as_str())
                .to_lowercase()
        };
        vec![
            field(S::Assignments, json!(assignments.as_str())),
            field(S::Every, every),
            field(
                S::Duration,
                settings
                    .instance_duration_in_days
                    .map_or(Value::Null, |n| json!(format!("{n}d"))),
            ),
            self.people(
                S::Reviewers,
                &live_reviewers(d.reviewers.as_deref().unwrap_or_default()),
                "self",
            ),
            self.people(
                S::FallbackReviewers,
                &live_reviewers(d.fallback_reviewers.as_deref().unwrap_or_default()),
                "none",
            ),
            field(S::DefaultDecision, json!(decision)),
            field(S::AutoApply, flag(settings.auto_apply_decisions_enabled)),
            field(
                S::Justification,
                flag(settings.justification_required_on_approval),
            ),
            field(S::Recommendations, flag(settings.recommendations_enabled)),
            field(S::Mail, flag(settings.mail_notifications_enabled)),
            field(S::Reminders, flag(settings.reminder_notifications_enabled)),
        ]
    }
}

/// Reviewer scopes as pimctl compares them (`./owners` and queries it cannot read are left out).
pub(crate) fn live_reviewers(
    list: &[crate::graph::review::AccessReviewReviewerScope],
) -> Vec<ResolvedReviewer> {
    list.iter()
        .filter_map(|r| match reviewer_target(r)? {
            ReviewerTarget::User(id) => Some(ResolvedReviewer::User(id.to_lowercase())),
            ReviewerTarget::Group(id) => Some(ResolvedReviewer::Group(id.to_lowercase())),
            ReviewerTarget::Managers => Some(ResolvedReviewer::Managers),
            ReviewerTarget::Owners => None,
        })
        .collect()
}

fn review_name(r: &LiveReview) -> &str {
    r.definition
        .display_name
        .value()
        .map_or(r.id.as_str(), String::as_str)
}

pub(crate) fn plan_reviews(cx: &mut Context<'_>) {
    if !cx.live.reviews_read {
        return;
    }
    let mut changes = vec![];
    let mut notes = vec![];
    let mut errors = vec![];
    let mut prints = vec![];
    for (key, target) in &cx.desired.targets {
        let Some(found) = cx.plannable(key) else {
            continue;
        };
        let live: Vec<&LiveReview> = cx
            .live
            .reviews
            .iter()
            .filter(|r| r.target == found.key)
            .collect();
        let object = fingerprint::ObjectId::Review {
            target: found.key.clone(),
        };
        let change_key = ChangeKey::Review {
            target: found.key.clone(),
        };
        let note = |r: &LiveReview, message: &str| Note {
            kind: NoteKind::UnmanagedReview,
            severity: NoteSeverity::Info,
            target: Some(found.key.clone()),
            role_name: found.name.clone(),
            principal: None,
            message: format!("{} ({}): {message}", review_name(r), r.id),
            origin: None,
        };
        if let Some(origin) = &target.no_access_review {
            if live.is_empty() {
                continue;
            }
            prints.push((object, fingerprint::review(&live)));
            changes.push(Change {
                action: Action::Remove,
                key: change_key.clone(),
                role_name: found.name.clone(),
                principal: None,
                before: Value::Array(live.iter().map(|r| json!(review_name(r))).collect()),
                after: Value::Null,
                fields: vec![],
                reason: "`access_review: none`: the target's review is removed".into(),
                posture: posture::of_review_presence(false),
                drift_posture: posture::of_review_presence(true),
                cause: None,
                origin: Some(origin.clone()),
                operations: live
                    .iter()
                    .map(|r| wire::review_delete(&found, &r.id))
                    .collect(),
            });
            continue;
        }
        let Some(rv) = &target.access_review else {
            for r in &live {
                notes.push(note(
                    r,
                    "an access review of a managed target that the declaration does not manage: left as it is \
                     (declare `access_review`, or `access_review: none` to remove it)",
                ));
            }
            continue;
        };
        if let Some(e) = protected_reached(cx, &found, rv) {
            errors.push(e);
        }
        let want = cx.desired_fields(rv);
        let differing = |d: &AccessReviewScheduleDefinition| -> Vec<FieldChange> {
            want.iter()
                .zip(cx.live_fields(d))
                .filter(|(w, h)| w.cmp != h.cmp)
                .map(|(w, h)| FieldChange {
                    field: Setting::Review(w.setting),
                    before: h.show,
                    after: w.show.clone(),
                })
                .collect()
        };
        // The managed review: the one closest to the declaration (fewest differing settings), then the first id.
        let managed = live
            .iter()
            .copied()
            .min_by_key(|r| (differing(&r.definition).len(), r.id.clone()));
        for r in &live {
            if managed.is_some_and(|m| m.id != r.id) {
                notes.push(note(
                    r,
                    "another access review of this target: pimctl manages one review per target and leaves this \
                     one as it is",
                ));
            }
        }
        let start = cx.live.read_at.date_naive();
        let reviewers = cx.declared_reviewers(rv);
        let fallbacks = cx.declared_fallbacks(rv);
        let fresh = wire::review_definition(&found, rv, &reviewers, &fallbacks, start);
        let Some(managed) = managed else {
            prints.push((object, fingerprint::ABSENT.to_string()));
            changes.push(Change {
                action: Action::Create,
                key: change_key.clone(),
                role_name: found.name.clone(),
                principal: None,
                before: Value::Null,
                after: Value::Object(
                    want.iter()
                        .map(|f| (Setting::Review(f.setting).to_string(), f.show.clone()))
                        .collect(),
                ),
                fields: vec![],
                reason: "declared access review missing".into(),
                posture: posture::of_review_presence(true),
                drift_posture: posture::of_review_presence(false),
                cause: None,
                origin: Some(rv.origin.clone()),
                operations: vec![wire::review_create(&found, fresh)],
            });
            continue;
        };
        let changed = differing(&managed.definition);
        if changed.is_empty() {
            continue;
        }
        prints.push((object, fingerprint::review(&live)));
        // Graph changes neither a review's scope nor, unless they are individual users, its reviewers in place.
        let was = live_reviewers(managed.definition.reviewers.as_deref().unwrap_or_default());
        let changes_of = |s: S| changed.iter().any(|c| c.field == Setting::Review(s));
        let users_only =
            !was.is_empty() && was.iter().all(|r| matches!(r, ResolvedReviewer::User(_)));
        let replace = changes_of(S::Assignments) || (changes_of(S::Reviewers) && !users_only);
        let operations = if replace {
            vec![
                wire::review_delete(&found, &managed.id),
                wire::review_create(&found, fresh),
            ]
        } else {
            vec![wire::review_update(
                &found,
                &managed.id,
                &managed.definition,
                &fresh,
            )]
        };
        let reversed = FieldChange::reversed(&changed);
        let (before, after) = FieldChange::sides(&changed);
        changes.push(Change {
            action: Action::Update,
            key: change_key,
            role_name: found.name.clone(),
            principal: None,
            before,
            after,
            reason: if replace {
                "Graph cannot change a review's scope or group reviewers in place: it is deleted and created \
                 again"
                    .into()
            } else if changed.len() == 1 {
                format!("{} differs from the declaration", changed[0].field)
            } else {
                format!(
                    "{} review settings differ from the declaration",
                    changed.len()
                )
            },
            posture: posture::of_rule(found.is_global_admin, &changed),
            drift_posture: posture::of_rule(found.is_global_admin, &reversed),
            fields: changed,
            cause: None,
            origin: Some(rv.origin.clone()),
            operations,
        });
    }
    cx.changes.extend(changes);
    cx.notes.extend(notes);
    cx.errors.extend(errors);
    cx.fingerprints.extend(prints);
}

/// A review that removes members nobody reviewed must not reach a protected principal's assignment in the tenant
/// (the language checks the declared lists; this checks what the tenant holds).
fn protected_reached(cx: &Context<'_>, found: &Found, rv: &AccessReview) -> Option<PlanError> {
    if !rv.removes_unreviewed() {
        return None;
    }
    let protected: std::collections::BTreeSet<String> = cx
        .desired
        .protected
        .iter()
        .filter_map(|p| cx.live.id_of(&p.principal))
        .map(str::to_lowercase)
        .collect();
    let a = cx.index.assignments(&found.key).find(|a| {
        rv.assignments.covers(a.kind) && protected.contains(&a.principal_id.to_lowercase())
    })?;
    let other = match a.kind {
        AssignmentKind::Eligible => "active",
        AssignmentKind::Active => "eligible",
    };
    Some(PlanError {
        code: PlanErrorCode::ReviewRemovesProtected,
        message: format!(
            "the access review of '{}' removes members nobody reviewed (default decision {} with auto-apply), and \
             would review the {} assignment of protected principal {} that the tenant holds",
            found.name,
            decision_name(rv.default_decision),
            a.kind,
            cx.live.label(&a.principal_id)
        ),
        origin: Some(rv.origin.clone()),
        help: Some(format!(
            "review only the {other} assignments (`assignments: {other}`), or write `default_decision: none`"
        )),
    })
}
