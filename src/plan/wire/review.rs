//! How to write an access review definition: create (`POST`), update (`PUT` of the whole object) and delete, on
//! `/identityGovernance/accessReviews/definitions` (digest §8), with the scope queries Microsoft documents for PIM
//! targets.

use super::super::reviews::ResolvedReviewer;
use super::super::{Found, Meaning, Method, Operation, ReviewWrite};
use super::encode;
use crate::graph::review::pim_scope;
use crate::graph::review::{
    AccessReviewReviewerScope, AccessReviewScheduleDefinition, AccessReviewScheduleSettings,
    AccessReviewScope, DEFINITIONS_PATH, GraphDate, Nullable, PatternedRecurrence,
    RecurrencePattern, RecurrencePatternType, RecurrenceRange, RecurrenceRangeType,
};
use crate::model::{AccessReview, CadenceUnit, DefaultDecision, ReviewedAssignments, Surface};
use chrono::NaiveDate;

/// The path of one definition.
pub fn review_path(id: &str) -> String {
    format!("{DEFINITIONS_PATH}/{}", encode(id))
}

/// The scope that reviews exactly the target: a role's eligible users, active users, or all its users and groups;
/// a group's members.
pub(crate) fn review_scope(found: &Found, assignments: ReviewedAssignments) -> AccessReviewScope {
    match found.key.surface {
        Surface::DirectoryRole => match assignments {
            ReviewedAssignments::Eligible => {
                AccessReviewScope::query(pim_scope::eligible_users(&found.role_id))
            }
            ReviewedAssignments::Active => {
                AccessReviewScope::query(pim_scope::active_users(&found.role_id))
            }
            ReviewedAssignments::Both => pim_scope::all_members(&found.role_id),
        },
        Surface::Group => {
            AccessReviewScope::query(format!("/groups/{}/transitiveMembers", found.key.scope))
        }
        // Never asked: the language refuses an access review on an Azure role.
        Surface::AzureRole => AccessReviewScope::query(String::new()),
    }
}

fn reviewer_scope(r: &ResolvedReviewer) -> AccessReviewReviewerScope {
    match r {
        ResolvedReviewer::User(id) => AccessReviewReviewerScope::user(id),
        ResolvedReviewer::Group(id) => AccessReviewReviewerScope::group_members(id),
        ResolvedReviewer::Managers => AccessReviewReviewerScope::managers(),
    }
}

/// A new definition for the declared review; recurring from `start` (the day the tenant was read).
pub(crate) fn review_definition(
    found: &Found,
    rv: &AccessReview,
    reviewers: &[ResolvedReviewer],
    fallbacks: &[ResolvedReviewer],
    start: NaiveDate,
) -> AccessReviewScheduleDefinition {
    let decision = match rv.default_decision {
        DefaultDecision::None => "None",
        DefaultDecision::Approve => "Approve",
        DefaultDecision::Deny => "Deny",
        DefaultDecision::Recommendation => "Recommendation",
    };
    let settings = AccessReviewScheduleSettings {
        mail_notifications_enabled: Some(rv.mail),
        reminder_notifications_enabled: Some(rv.reminders),
        justification_required_on_approval: Some(rv.justification),
        default_decision_enabled: Some(rv.default_decision != DefaultDecision::None),
        default_decision: Nullable::Value(decision.into()),
        instance_duration_in_days: Some(
            i32::try_from(rv.duration.whole_days().unwrap_or(1)).unwrap_or(i32::MAX),
        ),
        auto_apply_decisions_enabled: Some(rv.auto_apply),
        recommendations_enabled: Some(rv.recommendations),
        recurrence: Nullable::Value(PatternedRecurrence {
            pattern: Nullable::Value(RecurrencePattern {
                kind: Nullable::Value(match rv.every.unit {
                    CadenceUnit::Week => RecurrencePatternType::Weekly,
                    CadenceUnit::Month => RecurrencePatternType::AbsoluteMonthly,
                }),
                interval: Some(i32::try_from(rv.every.interval).unwrap_or(1)),
                ..Default::default()
            }),
            range: Nullable::Value(RecurrenceRange {
                kind: Nullable::Value(RecurrenceRangeType::NoEnd),
                start_date: Nullable::Value(GraphDate(start)),
                ..Default::default()
            }),
        }),
        ..Default::default()
    };
    AccessReviewScheduleDefinition {
        display_name: Nullable::Value(format!("{}: access review (pimctl)", found.name)),
        description_for_admins: Nullable::Value(format!(
            "Managed by pimctl: the recurring review of {}. Change it in the policy files, not here.",
            found.name
        )),
        description_for_reviewers: Nullable::Value(format!(
            "Confirm who still needs {}; deny the access that is no longer needed.",
            found.name
        )),
        scope: Nullable::Value(review_scope(found, rv.assignments)),
        reviewers: Some(reviewers.iter().map(reviewer_scope).collect()),
        fallback_reviewers: (!fallbacks.is_empty())
            .then(|| fallbacks.iter().map(reviewer_scope).collect()),
        settings: Nullable::Value(settings),
        ..Default::default()
    }
}

/// `POST` a new definition.
pub(crate) fn review_create(found: &Found, body: AccessReviewScheduleDefinition) -> Operation {
    Operation {
        meaning: Meaning::Review {
            target: found.key.clone(),
            write: ReviewWrite::Create,
        },
        method: Method::Post,
        path: DEFINITIONS_PATH.to_string(),
        body: serde_json::to_value(body).unwrap_or_default(),
    }
}

/// `PUT` the live definition with its managed settings replaced by the declared ones: what pimctl does not manage
/// (its name, descriptions, the recurrence's start, stages, extra recipients) is sent back as it was read.
pub(crate) fn review_update(
    found: &Found,
    id: &str,
    live: &AccessReviewScheduleDefinition,
    fresh: &AccessReviewScheduleDefinition,
) -> Operation {
    let mut body = live.clone();
    body.id = None;
    body.created_date_time = Nullable::Absent;
    body.last_modified_date_time = Nullable::Absent;
    body.status = Nullable::Absent;
    body.created_by = Nullable::Absent;
    body.scope = fresh.scope.clone();
    body.reviewers = fresh.reviewers.clone();
    body.fallback_reviewers = fresh.fallback_reviewers.clone();
    let want = fresh.settings.value().cloned().unwrap_or_default();
    let mut s = live.settings.value().cloned().unwrap_or_default();
    s.mail_notifications_enabled = want.mail_notifications_enabled;
    s.reminder_notifications_enabled = want.reminder_notifications_enabled;
    s.justification_required_on_approval = want.justification_required_on_approval;
    s.default_decision_enabled = want.default_decision_enabled;
    s.default_decision = want.default_decision.clone();
    s.instance_duration_in_days = want.instance_duration_in_days;
    s.auto_apply_decisions_enabled = want.auto_apply_decisions_enabled;
    s.recommendations_enabled = want.recommendations_enabled;
    let mut recurrence = s
        .recurrence
        .value()
        .cloned()
        .unwrap_or_else(|| want.recurrence.value().cloned().unwrap_or_default());
    if recurrence.range.value().is_none() {
        recurrence.range = want
            .recurrence
            .value()
            .map_or(Nullable::Absent, |r| r.range.clone());
    }
    recurrence.pattern = want
        .recurrence
        .value()
        .map_or(Nullable::Absent, |r| r.pattern.clone());
    s.recurrence = Nullable::Value(recurrence);
    body.settings = Nullable::Value(s);
    Operation {
        meaning: Meaning::Review {
            target: found.key.clone(),
            write: ReviewWrite::Update { id: id.to_string() },
        },
        method: Method::Put,
        path: review_path(id),
        body: serde_json::to_value(body).unwrap_or_default(),
    }
}

/// `DELETE` a definition.
pub(crate) fn review_delete(found: &Found, id: &str) -> Operation {
    Operation {
        meaning: Meaning::Review {
            target: found.key.clone(),
            write: ReviewWrite::Delete { id: id.to_string() },
        },
        method: Method::Delete,
        path: review_path(id),
        body: serde_json::Value::Null,
    }
}

/// Whether two definitions are the same review of the same target, as far as pimctl manages one: what apply
/// compares to tell whether a create whose answer was lost was carried out.
pub fn same_review(a: &AccessReviewScheduleDefinition, b: &AccessReviewScheduleDefinition) -> bool {
    let scope = |d: &AccessReviewScheduleDefinition| d.scope.value().and_then(pim_scope::target_of);
    let people = |l: &Option<Vec<AccessReviewReviewerScope>>| {
        let mut v = super::super::reviews::live_reviewers(l.as_deref().unwrap_or_default());
        v.sort();
        v
    };
    let settings = |d: &AccessReviewScheduleDefinition| {
        let s = d.settings.value().cloned().unwrap_or_default();
        let pattern = s
            .recurrence
            .value()
            .and_then(|r| r.pattern.value().cloned());
        (
            s.mail_notifications_enabled,
            s.reminder_notifications_enabled,
            s.justification_required_on_approval,
            s.default_decision_enabled,
            s.default_decision().map(|d| d.as_str()),
            s.instance_duration_in_days,
            s.auto_apply_decisions_enabled,
            s.recommendations_enabled,
            pattern.map(|p| (p.kind.value().map(|k| k.as_str()), p.interval)),
        )
    };
    scope(a).is_some()
        && scope(a) == scope(b)
        && people(&a.reviewers) == people(&b.reviewers)
        && people(&a.fallback_reviewers) == people(&b.fallback_reviewers)
        && settings(a) == settings(b)
}
