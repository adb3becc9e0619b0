//! Access review definitions (`/identityGovernance/accessReviews/definitions`): Graph's checks of a body, the
//! definition as Graph answers it, and the instances the clock makes of it. Plain data and pure functions; the
//! routes are in `routes/reviews.rs`, the seed's `access_reviews` in [`ReviewSeed`].
//!
//! Sources: digest §8 (fields, supported recurrence, scope queries), Microsoft's create, get, update and
//! list-instances examples, accessreviewscheduledefinition-update.md (what a `PUT` may change).

use super::http::{ApiError, ApiResult};
use super::ids::det_uuid;
use super::rules::DirectoryLookup;
use super::seed::{resolve_principal, resolve_role, suggest};
use super::state::{Caller, Level, State};
use crate::graph::review::*;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

type Dt = DateTime<Utc>;

/// The most instances listed for one definition (the latest ones): a weekly review over twenty years.
pub const MAX_INSTANCES: usize = 1040;

/// The most occurrences enumerated from a range's start (a weekly review begun in the year 1 stays bounded).
const MAX_ENUMERATED: usize = 200_000;

/// Reviewer email text is limited to 256 characters (digest §8).
pub const MAX_DESCRIPTION_FOR_REVIEWERS: usize = 256;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

/// The shortest length, in days, of one period of a recurrence: `7 × interval` for `weekly`; for
/// `absoluteMonthly`, the fewest days any `interval` consecutive months hold (28 for one month, 89 for three,
/// 181 for six, 365 for twelve), so that no instance can outlast its period whatever month it starts in.
pub fn shortest_period_days(kind: RecurrencePatternType, interval: i32) -> Option<i64> {
    let n = i64::from(interval.max(1));
    match kind {
        RecurrencePatternType::Weekly => Some(7 * n),
        RecurrencePatternType::AbsoluteMonthly => {
            let n = u32::try_from(n).ok()?;
            (1..=12u32)
                .filter_map(|m| {
                    let start = NaiveDate::from_ymd_opt(2023, m, 1)?;
                    let end = start.checked_add_months(Months::new(n))?;
                    Some((end - start).num_days())
                })
                .min()
        }
        _ => None,
    }
}

/// Checks a scope as Graph does: a known type with a query (`/...` or `./...`), and for
/// `principalResourceMembershipsScope` at least one principal and one resource scope.
fn check_scope(scope: &AccessReviewScope, what: &str) -> ApiResult<()> {
    let query = |q: &AccessReviewQueryScope, what: &str| -> ApiResult<()> {
        let text = q.query.value().map(|s| s.trim()).unwrap_or_default();
        if !(text.starts_with('/') || text.starts_with("./")) {
            return Err(bad(format!(
                "The {what} query '{text}' is not valid: a Microsoft Graph query starts with '/' or './'."
            )));
        }
        if let Some(t) = q.query_type.value()
            && !t.eq_ignore_ascii_case(QUERY_TYPE_GRAPH)
        {
            return Err(bad(format!(
                "The {what} queryType '{t}' is not supported; use 'MicrosoftGraph'."
            )));
        }
        Ok(())
    };
    match scope {
        AccessReviewScope::Query(q) => query(q, what),
        AccessReviewScope::InactiveUsers(q) => query(&q.base, what),
        AccessReviewScope::PrincipalResourceMemberships(p) => {
            for (list, name) in [
                (&p.principal_scopes, "principalScopes"),
                (&p.resource_scopes, "resourceScopes"),
            ] {
                let items = list.as_deref().unwrap_or_default();
                if items.is_empty() {
                    return Err(bad(format!(
                        "The {what} of type principalResourceMembershipsScope needs at least one item in {name}."
                    )));
                }
                for s in items {
                    match s {
                        AccessReviewScope::Query(q) => query(q, &format!("{what} {name}"))?,
                        _ => {
                            return Err(bad(format!(
                                "Each of the {what}'s {name} must be an accessReviewQueryScope."
                            )));
                        }
                    }
                }
            }
            Ok(())
        }
        AccessReviewScope::Other(_) => Err(bad(format!(
            "The {what} must be an accessReviewQueryScope, accessReviewInactiveUsersQueryScope or principalResourceMembershipsScope, with its @odata.type."
        ))),
    }
}

fn check_reviewers(
    list: Option<&[AccessReviewReviewerScope]>,
    name: &str,
    dir: &dyn DirectoryLookup,
) -> ApiResult<()> {
    for r in list.unwrap_or_default() {
        let text = r.query.value().cloned().unwrap_or_default();
        if let Some(t) = r.query_type.value()
            && !t.eq_ignore_ascii_case(QUERY_TYPE_GRAPH)
        {
            return Err(bad(format!(
                "The {name} queryType '{t}' is not supported; use 'MicrosoftGraph'."
            )));
        }
        match reviewer_target(r) {
            None => {
                return Err(bad(format!(
                    "The {name} query '{text}' is not valid. Use /users/{{id}}, /groups/{{id}}/transitiveMembers, /groups/{{id}}/owners, ./owners, or ./manager with queryRoot 'decisions'."
                )));
            }
            Some(ReviewerTarget::User(id)) if !dir.user_exists(&id) => {
                return Err(bad(format!(
                    "The {name} query '{text}' names a user that does not exist."
                )));
            }
            Some(ReviewerTarget::Group(id)) if !dir.group_exists(&id) => {
                return Err(bad(format!(
                    "The {name} query '{text}' names a group that does not exist."
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn check_recurrence(settings: &AccessReviewScheduleSettings) -> ApiResult<()> {
    let days = settings.instance_duration_in_days.unwrap_or(0);
    if days < 1 {
        return Err(bad(
            "settings.instanceDurationInDays must be at least 1: it is how long each review stays open.",
        ));
    }
    let Some(rec) = settings.recurrence.value() else {
        return Ok(());
    };
    let range = rec.range.value();
    let start = range.and_then(|r| r.start_date.value());
    if start.is_none() {
        return Err(bad("settings.recurrence.range.startDate is required."));
    }
    if let (Some(s), Some(e)) = (start, range.and_then(|r| r.end_date.value()))
        && e < s
    {
        return Err(bad(format!(
            "settings.recurrence.range.endDate ({e}) is before its startDate ({s})."
        )));
    }
    let Some(pattern) = rec.pattern.value() else {
        return Ok(()); // a one-time review
    };
    let kind = match pattern.kind.value() {
        Some(k @ (RecurrencePatternType::Weekly | RecurrencePatternType::AbsoluteMonthly)) => *k,
        other => {
            return Err(bad(format!(
                "The recurrence pattern type '{}' is not supported for access reviews; use 'weekly' or 'absoluteMonthly'.",
                other.map(|k| k.as_str()).unwrap_or("null")
            )));
        }
    };
    let interval = pattern.interval.unwrap_or(0);
    if interval < 1 {
        return Err(bad(
            "settings.recurrence.pattern.interval must be at least 1.",
        ));
    }
    if pattern.month.unwrap_or(0) != 0
        || pattern.days_of_week.as_ref().is_some_and(|d| !d.is_empty())
    {
        return Err(bad(
            "Only the type, interval and dayOfMonth properties of the recurrence pattern are supported for access reviews.",
        ));
    }
    if !(0..=31).contains(&pattern.day_of_month.unwrap_or(0)) {
        return Err(bad(
            "settings.recurrence.pattern.dayOfMonth must be between 0 and 31.",
        ));
    }
    let period = shortest_period_days(kind, interval).unwrap_or(i64::MAX);
    if i64::from(days) >= period {
        return Err(bad(format!(
            "settings.instanceDurationInDays ({days}) must be shorter than the recurrence period ({period} days for {kind} every {interval}): instances would overlap."
        )));
    }
    Ok(())
}

/// Graph's checks of a definition body (create and update): `displayName` and `scope` required, a supported
/// recurrence whose instances do not overlap, well-formed reviewer queries that name existing users and groups.
pub fn validate(def: &AccessReviewScheduleDefinition, dir: &dyn DirectoryLookup) -> ApiResult<()> {
    if def.display_name.value().is_none_or(|n| n.trim().is_empty()) {
        return Err(bad("The property 'displayName' is required."));
    }
    match def.scope.value() {
        None => return Err(bad("The property 'scope' is required.")),
        Some(s) => check_scope(s, "scope")?,
    }
    if let Some(s) = def.instance_enumeration_scope.value() {
        check_scope(s, "instanceEnumerationScope")?;
    }
    if def
        .description_for_reviewers
        .value()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_FOR_REVIEWERS)
    {
        return Err(bad(format!(
            "descriptionForReviewers is limited to {MAX_DESCRIPTION_FOR_REVIEWERS} characters."
        )));
    }
    check_reviewers(def.reviewers.as_deref(), "reviewer", dir)?;
    check_reviewers(def.fallback_reviewers.as_deref(), "fallback reviewer", dir)?;
    check_reviewers(def.backup_reviewers.as_deref(), "backup reviewer", dir)?;
    let Some(settings) = def.settings.value() else {
        return Err(bad(
            "The property 'settings' is required, with instanceDurationInDays.",
        ));
    };
    if let Some(d) = settings.default_decision.value()
        && DefaultDecision::parse(d).is_none()
    {
        return Err(bad(format!(
            "settings.defaultDecision '{d}' is not valid; use None, Approve, Deny or Recommendation."
        )));
    }
    check_recurrence(settings)
}

/// What a `PUT` may not do (accessreviewscheduledefinition-update.md): change the scope, or change the reviewers
/// unless the definition's reviewers are individual users ("the reviewers property is only updatable if
/// individual users are assigned as reviewers"; Microsoft's own example then sets them to none).
pub fn check_update(
    old: &AccessReviewScheduleDefinition,
    new: &AccessReviewScheduleDefinition,
) -> ApiResult<()> {
    let same_scope = match (old.scope.value(), new.scope.value()) {
        (Some(a), Some(b)) => normalise_scope(a) == normalise_scope(b),
        _ => false,
    };
    if !same_scope {
        return Err(bad(
            "The scope of an access review definition cannot be updated; create a new definition instead.",
        ));
    }
    let old_r: Vec<_> = old
        .reviewers
        .iter()
        .flatten()
        .map(normalise_reviewer)
        .collect();
    let new_r: Vec<_> = new
        .reviewers
        .iter()
        .flatten()
        .map(normalise_reviewer)
        .collect();
    let users_only = |l: &[AccessReviewReviewerScope]| {
        !l.is_empty()
            && l.iter()
                .all(|r| matches!(reviewer_target(r), Some(ReviewerTarget::User(_))))
    };
    if old_r != new_r && !users_only(&old_r) {
        return Err(bad(
            "The reviewers property can be updated only if individual users are assigned as reviewers.",
        ));
    }
    Ok(())
}

fn normalise_query(q: &AccessReviewQueryScope) -> AccessReviewQueryScope {
    AccessReviewQueryScope {
        query: q.query.clone().into_value().into(),
        query_type: q.query_type.clone().into_value().into(),
        query_root: q.query_root.clone().into_value().into(),
    }
}

/// A scope as Graph answers it: every property of its type present, `null` where not given.
pub fn normalise_scope(s: &AccessReviewScope) -> AccessReviewScope {
    match s {
        AccessReviewScope::Query(q) => AccessReviewScope::Query(normalise_query(q)),
        AccessReviewScope::InactiveUsers(q) => {
            AccessReviewScope::InactiveUsers(AccessReviewInactiveUsersQueryScope {
                base: normalise_query(&q.base),
                inactive_duration: q.inactive_duration.clone().into_value().into(),
            })
        }
        AccessReviewScope::PrincipalResourceMemberships(p) => {
            let all = |l: &Option<Vec<AccessReviewScope>>| {
                Some(l.iter().flatten().map(normalise_scope).collect())
            };
            AccessReviewScope::PrincipalResourceMemberships(PrincipalResourceMembershipsScope {
                principal_scopes: all(&p.principal_scopes),
                resource_scopes: all(&p.resource_scopes),
            })
        }
        AccessReviewScope::Other(v) => AccessReviewScope::Other(v.clone()),
    }
}

pub fn normalise_reviewer(r: &AccessReviewReviewerScope) -> AccessReviewReviewerScope {
    AccessReviewReviewerScope {
        query: r.query.clone().into_value().into(),
        query_type: r.query_type.clone().into_value().into(),
        query_root: r.query_root.clone().into_value().into(),
    }
}

fn normalise_recurrence(r: &PatternedRecurrence) -> PatternedRecurrence {
    let pattern = match r.pattern.value() {
        None => Nullable::Null,
        Some(p) => Nullable::Value(RecurrencePattern {
            kind: p.kind.clone().into_value().into(),
            interval: Some(p.interval.unwrap_or(0)),
            month: Some(p.month.unwrap_or(0)),
            day_of_month: Some(p.day_of_month.unwrap_or(0)),
            days_of_week: Some(p.days_of_week.clone().unwrap_or_default()),
            first_day_of_week: Nullable::Value(
                p.first_day_of_week
                    .value()
                    .copied()
                    .unwrap_or(DayOfWeek::Sunday),
            ),
            index: Nullable::Value(p.index.value().copied().unwrap_or(WeekIndex::First)),
        }),
    };
    let range = r.range.value().cloned().unwrap_or_default();
    let end = range.end_date.value().copied();
    let kind = range.kind.value().copied().unwrap_or(if end.is_some() {
        RecurrenceRangeType::EndDate
    } else {
        RecurrenceRangeType::NoEnd
    });
    PatternedRecurrence {
        pattern,
        range: Nullable::Value(RecurrenceRange {
            kind: Nullable::Value(kind),
            number_of_occurrences: Some(range.number_of_occurrences.unwrap_or(0)),
            recurrence_time_zone: range.recurrence_time_zone.into_value().into(),
            start_date: range.start_date.into_value().into(),
            end_date: end.into(),
        }),
    }
}

fn normalise_settings(s: &AccessReviewScheduleSettings) -> AccessReviewScheduleSettings {
    AccessReviewScheduleSettings {
        mail_notifications_enabled: Some(s.mail_notifications_enabled.unwrap_or(false)),
        reminder_notifications_enabled: Some(s.reminder_notifications_enabled.unwrap_or(false)),
        justification_required_on_approval: Some(
            s.justification_required_on_approval.unwrap_or(false),
        ),
        default_decision_enabled: Some(s.default_decision_enabled.unwrap_or(false)),
        default_decision: Nullable::Value(
            s.default_decision()
                .unwrap_or(DefaultDecision::None)
                .as_str()
                .to_string(),
        ),
        instance_duration_in_days: s.instance_duration_in_days,
        auto_apply_decisions_enabled: Some(s.auto_apply_decisions_enabled.unwrap_or(false)),
        recommendations_enabled: Some(s.recommendations_enabled.unwrap_or(false)),
        // Not in any published response: left out, as Graph does.
        recommendation_look_back_duration: Nullable::Absent,
        recommendation_insight_settings: None,
        decision_histories_for_reviewers_enabled: Nullable::Absent,
        recurrence: match s.recurrence.value() {
            Some(r) => Nullable::Value(normalise_recurrence(r)),
            None => Nullable::Null,
        },
        apply_actions: Some(s.apply_actions.clone().unwrap_or_default()),
    }
}

/// The definition as Graph answers it (Microsoft's 2022 privileged-role example): every key present, `null` where
/// nothing was given; `backupReviewers` becomes `fallbackReviewers` when only it was given, and is not written.
/// `status` is filled in when the definition is read ([`definition_status`]).
pub fn normalise(
    body: &AccessReviewScheduleDefinition,
    id: &str,
    created: Dt,
    modified: Dt,
    created_by: UserIdentity,
) -> AccessReviewScheduleDefinition {
    let fallback = body
        .fallback_reviewers
        .as_ref()
        .or(body.backup_reviewers.as_ref());
    AccessReviewScheduleDefinition {
        id: Some(id.to_string()),
        display_name: body.display_name.clone().into_value().into(),
        created_date_time: Nullable::Value(created),
        last_modified_date_time: Nullable::Value(modified),
        status: Nullable::Null,
        description_for_admins: body.description_for_admins.clone().into_value().into(),
        description_for_reviewers: body.description_for_reviewers.clone().into_value().into(),
        instance_enumeration_scope: body
            .instance_enumeration_scope
            .value()
            .map(normalise_scope)
            .into(),
        created_by: Nullable::Value(created_by),
        scope: body.scope.value().map(normalise_scope).into(),
        reviewers: Some(
            body.reviewers
                .iter()
                .flatten()
                .map(normalise_reviewer)
                .collect(),
        ),
        backup_reviewers: None,
        fallback_reviewers: Some(
            fallback
                .into_iter()
                .flatten()
                .map(normalise_reviewer)
                .collect(),
        ),
        settings: Nullable::Value(normalise_settings(
            body.settings.value().unwrap_or(&Default::default()),
        )),
        additional_notification_recipients: Some(
            body.additional_notification_recipients
                .clone()
                .unwrap_or_default(),
        ),
        stage_settings: None,
    }
}

/// One occurrence of a definition, as the clock makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub index: usize,
    pub start: Dt,
    pub end: Dt,
}

fn midnight(d: NaiveDate) -> Dt {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// The occurrences that have started by `now`, oldest first, at most the latest [`MAX_INSTANCES`]. Occurrence
/// `k` is dated the range's start date plus `k` periods (on the pattern's `dayOfMonth` when it gives one, the
/// month's last day when it has fewer) and starts at midnight UTC; of those dated before the definition was
/// created, only the latest is made, starting when the definition was. Each lasts `instanceDurationInDays`. The
/// range's end date or number of occurrences ends the series.
pub fn occurrences(def: &AccessReviewScheduleDefinition, now: Dt) -> Vec<Occurrence> {
    let Some(settings) = def.settings.value() else {
        return vec![];
    };
    let days = i64::from(settings.instance_duration_in_days.unwrap_or(1).max(1));
    let created = def.created_date_time.value().copied();
    let rec = settings.recurrence.value();
    let range = rec.and_then(|r| r.range.value());
    let first = range
        .and_then(|r| r.start_date.value())
        .map(|d| d.0)
        .or_else(|| created.map(|c| c.date_naive()));
    let Some(first) = first else { return vec![] };
    let end_date = range.and_then(|r| r.end_date.value()).map(|d| d.0);
    let numbered = range
        .filter(|r| r.kind.value() == Some(&RecurrenceRangeType::Numbered))
        .and_then(|r| r.number_of_occurrences)
        .filter(|n| *n > 0)
        .map(|n| n as usize);
    let pattern = rec.and_then(|r| r.pattern.value());
    let date_of = |k: usize| -> Option<NaiveDate> {
        let Some(p) = pattern else {
            return (k == 0).then_some(first);
        };
        let interval = u32::try_from(p.interval.unwrap_or(1).max(1)).ok()?;
        match p.kind.value()? {
            RecurrencePatternType::Weekly => {
                first.checked_add_days(chrono::Days::new(7 * u64::from(interval) * k as u64))
            }
            RecurrencePatternType::AbsoluteMonthly => {
                let months = interval.checked_mul(u32::try_from(k).ok()?)?;
                let d = first.checked_add_months(Months::new(months))?;
                match p.day_of_month.unwrap_or(0) {
                    dom @ 1..=31 => (0..4)
                        .find_map(|back| d.with_day(u32::try_from(dom).ok()?.checked_sub(back)?))
                        .or(Some(d)),
                    _ => Some(d),
                }
            }
            _ => None,
        }
    };
    let mut out = std::collections::VecDeque::new();
    let mut push = |k: usize, start: Dt| {
        out.push_back(Occurrence {
            index: k,
            start,
            end: start + chrono::Duration::days(days),
        });
        if out.len() > MAX_INSTANCES {
            out.pop_front();
        }
    };
    // The latest occurrence dated before the definition was created: it starts when it was created.
    let mut pending = None;
    for k in 0..MAX_ENUMERATED {
        if numbered.is_some_and(|n| k >= n) {
            break;
        }
        let Some(d) = date_of(k) else { break };
        if end_date.is_some_and(|e| d > e) {
            break;
        }
        let start = midnight(d);
        if created.is_some_and(|c| start < c) {
            pending = Some(k);
            continue;
        }
        if start > now {
            break;
        }
        if let (Some(p), Some(c)) = (pending.take(), created) {
            push(p, c);
        }
        push(k, start);
    }
    if let (Some(p), Some(c)) = (pending, created)
        && c <= now
    {
        push(p, c);
    }
    out.into()
}

/// An instance's status: `InProgress` until it ends, then `Applied` when decisions are applied automatically,
/// else `Completed`.
pub fn instance_status(
    def: &AccessReviewScheduleDefinition,
    o: &Occurrence,
    now: Dt,
) -> &'static str {
    let auto = def
        .settings
        .value()
        .and_then(|s| s.auto_apply_decisions_enabled)
        .unwrap_or(false);
    if now < o.end {
        "InProgress"
    } else if auto {
        "Applied"
    } else {
        "Completed"
    }
}

/// A definition's status: `NotStarted` before its first instance, `InProgress` while its series runs, and its
/// last instance's status once the series has ended.
pub fn definition_status(def: &AccessReviewScheduleDefinition, now: Dt) -> &'static str {
    let occ = occurrences(def, now);
    let Some(last) = occ.last() else {
        return "NotStarted";
    };
    let far = now + chrono::Duration::days(400 * 20);
    let more = occurrences(def, far)
        .last()
        .is_some_and(|o| o.index > last.index);
    if more {
        "InProgress"
    } else {
        instance_status(def, last, now)
    }
}

/// The instance of an occurrence, as Microsoft's list-instances example shows it.
pub fn instance(
    def: &AccessReviewScheduleDefinition,
    o: &Occurrence,
    now: Dt,
) -> AccessReviewInstance {
    let id = def.id.clone().unwrap_or_default();
    AccessReviewInstance {
        id: Some(det_uuid(&[&id, "instance", &o.index.to_string()])),
        start_date_time: Nullable::Value(o.start),
        end_date_time: Nullable::Value(o.end),
        status: Nullable::Value(instance_status(def, o, now).to_string()),
        scope: def.scope.clone(),
        reviewers: None,
        fallback_reviewers: None,
    }
}

/// One review in the seed file (`access_reviews:`). The scope is the reviewed target: a `role` (display name or
/// id; `review` says which members: `eligible`, `active` or `both`, the default) or a `group` (its members), or a
/// Graph `scope` object. Reviewers are principals (UPN or id, `group:` name or id), `managers`, or none for a
/// self-review. `settings` are Graph's, merged over the defaults below.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSeed {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub group: Option<String>,
    pub scope: Option<serde_json::Value>,
    /// `eligible`, `active` or `both` (with `role`).
    pub review: Option<String>,
    #[serde(default)]
    pub reviewers: Vec<ReviewerSeed>,
    #[serde(default)]
    pub fallback_reviewers: Vec<ReviewerSeed>,
    /// Graph's `accessReviewScheduleSettings` fields, over the seed's defaults.
    pub settings: Option<serde_json::Value>,
    /// `createdDateTime`; default: 90 days before the clock's start.
    pub created: Option<Dt>,
    pub id: Option<String>,
    /// A user (UPN or id) who answered every instance that has started, approving each principal it reviewed.
    /// Default: nobody answers, and the instances end with no decision but the default one.
    pub answered_by: Option<String>,
}

/// A reviewer in the seed: `alice@contoso.com`, `{user: ...}`, `{group: ...}`, or `managers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ReviewerSeed {
    Name(String),
    User { user: String },
    Group { group: String },
}

/// The defaults of a seeded review's settings: monthly from the creation date, 3 days, notifications on, no
/// default decision, no auto-apply.
pub fn seed_default_settings(start: NaiveDate) -> serde_json::Value {
    serde_json::json!({
        "mailNotificationsEnabled": true,
        "reminderNotificationsEnabled": true,
        "justificationRequiredOnApproval": true,
        "defaultDecisionEnabled": false,
        "defaultDecision": "None",
        "instanceDurationInDays": 3,
        "autoApplyDecisionsEnabled": false,
        "recommendationsEnabled": true,
        "recurrence": {
            "pattern": {"type": "absoluteMonthly", "interval": 1},
            "range": {"type": "noEnd", "startDate": start.format("%Y-%m-%d").to_string()}
        }
    })
}

/// Merges `patch` into `base`, object by object (`recurrence.pattern.interval` alone changes only that).
pub fn merge_json(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) if v.is_object() && existing.is_object() => {
                        merge_json(existing, v)
                    }
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// The decisions of an instance: one per principal its scope held when it started (a role's eligible or
/// active assignments, not activations; a group's members). Nobody reviews in the emulator: a decision is
/// `NotReviewed` until the instance ends, then the default decision when `defaultDecisionEnabled` (recorded as
/// made by "AAD Access Reviews", applied when `autoApplyDecisionsEnabled`; the emulator does not remove the
/// access). Scopes of anything else have no decisions here.
pub fn decisions(
    st: &State,
    def: &AccessReviewScheduleDefinition,
    o: &Occurrence,
    now: Dt,
) -> Vec<AccessReviewInstanceDecisionItem> {
    let Some(what) = def.scope.value().and_then(pim_scope::target_of) else {
        return vec![];
    };
    let (principals, resource): (Vec<String>, Value) = match &what {
        pim_scope::ReviewedTarget::Role {
            role_id: role,
            assignments,
            principal_types: kinds,
        } => {
            let levels: &[Level] = match assignments {
                pim_scope::ReviewedAssignments::Eligible => &[Level::Eligibility],
                pim_scope::ReviewedAssignments::Active => &[Level::Assignment],
                pim_scope::ReviewedAssignments::Both => &[Level::Eligibility, Level::Assignment],
            };
            let mut ids: Vec<String> = st
                .schedules
                .iter()
                .filter(|s| {
                    s.role_definition_id.eq_ignore_ascii_case(role)
                        && levels.contains(&s.level)
                        && s.assignment_type != Some(crate::graph::AssignmentType::Activated)
                        && s.active(o.start)
                        && st
                            .principal_type(&s.principal_id)
                            .is_some_and(|k| kinds.contains(&k))
                })
                .map(|s| s.principal_id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            let name = st.role(role).and_then(|r| r.display_name.clone());
            (
                ids,
                serde_json::json!({"id": role, "displayName": name, "type": "directoryRole"}),
            )
        }
        pim_scope::ReviewedTarget::GroupMembers(g) => {
            let members = st.group(g).map(|r| r.members.clone()).unwrap_or_default();
            let name = st.group(g).and_then(|r| r.group.display_name.clone());
            (
                members,
                serde_json::json!({"id": g, "displayName": name, "type": "group"}),
            )
        }
    };
    let settings = def.settings.value();
    let ended = now >= o.end;
    let default = settings
        .filter(|s| s.default_decision_enabled == Some(true))
        .and_then(|s| s.default_decision())
        .filter(|_| ended);
    let applied = ended && settings.and_then(|s| s.auto_apply_decisions_enabled) == Some(true);
    // A seeded reviewer answers each instance on its first day, approving everyone.
    let reviewer = def
        .id
        .as_deref()
        .and_then(|id| st.review_answers.get(id))
        .and_then(|id| st.user(id).map(|u| (id, u)))
        .filter(|_| now >= o.start);
    let decision = match (reviewer, default) {
        (Some(_), _) => "Approve",
        (None, Some(DefaultDecision::Approve)) => "Approve",
        (None, Some(DefaultDecision::Deny)) => "Deny",
        _ => "NotReviewed",
    };
    let by = |name: &str| UserIdentity {
        id: Nullable::Value("00000000-0000-0000-0000-000000000000".into()),
        display_name: Nullable::Value(name.into()),
        user_principal_name: Nullable::Value(String::new()),
        ..Default::default()
    };
    let instance_id = det_uuid(&[
        def.id.as_deref().unwrap_or_default(),
        "instance",
        &o.index.to_string(),
    ]);
    principals
        .into_iter()
        .map(|p| {
            let (kind, name, upn) = match st.user(&p) {
                Some(u) => (
                    "userIdentity",
                    u.display_name.clone(),
                    u.user_principal_name.clone(),
                ),
                None => (
                    "identity",
                    st.group(&p).and_then(|g| g.group.display_name.clone()),
                    None,
                ),
            };
            let mut principal = serde_json::json!({
                "@odata.type": crate::graph::odata_type(kind), "id": p, "displayName": name,
            });
            if kind == "userIdentity" {
                principal["userPrincipalName"] = upn.into();
            }
            let collection = if kind == "userIdentity" {
                "users"
            } else {
                "groups"
            };
            let reviewed_by_system = reviewer.is_none() && decision != "NotReviewed";
            let answered_at = (o.start + chrono::Duration::hours(1)).min(o.end);
            AccessReviewInstanceDecisionItem {
                id: Some(det_uuid(&[&instance_id, "decision", &p])),
                access_review_id: Some(instance_id.clone()),
                decision: Nullable::Value(decision.into()),
                recommendation: Nullable::Value("NoInfoAvailable".into()),
                justification: Nullable::Value(String::new()),
                reviewed_date_time: match (reviewer, reviewed_by_system) {
                    (Some(_), _) => Nullable::Value(answered_at),
                    (None, true) => Nullable::Value(o.end),
                    (None, false) => Nullable::Null,
                },
                reviewed_by: Nullable::Value(match reviewer {
                    Some((id, u)) => UserIdentity {
                        id: Nullable::Value(id.clone()),
                        display_name: u.display_name.clone().into(),
                        user_principal_name: u.user_principal_name.clone().into(),
                        ..Default::default()
                    },
                    None => by(if reviewed_by_system {
                        "AAD Access Reviews"
                    } else {
                        ""
                    }),
                }),
                applied_date_time: if applied {
                    Nullable::Value(o.end)
                } else {
                    Nullable::Null
                },
                applied_by: Nullable::Value(by(if applied { "AAD Access Reviews" } else { "" })),
                apply_result: Nullable::Value(
                    if applied {
                        "AppliedSuccessfully"
                    } else {
                        "New"
                    }
                    .into(),
                ),
                principal_link: Nullable::Value(format!(
                    "https://graph.microsoft.com/v1.0/{collection}/{p}"
                )),
                resource_link: Nullable::Null,
                principal: Nullable::Value(principal),
                resource: Nullable::Value(resource.clone()),
            }
        })
        .collect()
}

/// Who made a definition: the signed-in user, or the admin application.
pub fn creator(st: &State, caller: &Caller) -> UserIdentity {
    match caller {
        Caller::User { id, .. } => {
            let u = st.user(id);
            UserIdentity {
                id: Nullable::Value(id.clone()),
                display_name: u.and_then(|u| u.display_name.clone()).into(),
                user_principal_name: u.and_then(|u| u.user_principal_name.clone()).into(),
                ..Default::default()
            }
        }
        Caller::App => UserIdentity {
            id: Nullable::Value(det_uuid(&[&st.tenant_id, "emulator-admin-app"])),
            display_name: Nullable::Value("Emulator admin application".into()),
            user_principal_name: Nullable::Null,
            ..Default::default()
        },
    }
}

fn seed_reviewer(st: &State, r: &ReviewerSeed) -> Result<AccessReviewReviewerScope, String> {
    let user = |n: &str| {
        st.user(n)
            .map(|u| AccessReviewReviewerScope::user(&u.id))
            .ok_or_else(|| format!("reviewer '{n}' is not a user of this seed"))
    };
    let group = |n: &str| {
        resolve_principal(st, n)
            .filter(|id| st.group(id).is_some())
            .map(|id| AccessReviewReviewerScope::group_members(&id))
            .ok_or_else(|| format!("reviewer group '{n}' is not a group of this seed"))
    };
    match r {
        ReviewerSeed::Name(n) if n.eq_ignore_ascii_case("managers") => {
            Ok(AccessReviewReviewerScope::managers())
        }
        ReviewerSeed::Name(n) => user(n).or_else(|_| group(n)).map_err(|_| {
            format!("reviewer '{n}' is not a user or group of this seed (or `managers`)")
        }),
        ReviewerSeed::User { user: n } => user(n),
        ReviewerSeed::Group { group: n } => group(n),
    }
}

/// Adds the seed's `access_reviews` to the tenant, checked as a `POST` would be. Errors name the entry.
pub fn seed_reviews(st: &mut State, seeds: &[ReviewSeed], now: Dt) -> Result<(), String> {
    for (i, r) in seeds.iter().enumerate() {
        let what = format!("access_reviews[{i}]");
        let fail = |m: String| format!("{what}: {m}");
        let (scope, name) = match (&r.role, &r.group, &r.scope) {
            (Some(role), None, None) => {
                let id = resolve_role(st, role)
                    .ok_or_else(|| fail(format!("'{role}' is not a role{}", suggest(role))))?;
                let name = st
                    .role(&id)
                    .and_then(|d| d.display_name.clone())
                    .unwrap_or_else(|| role.clone());
                let review = r.review.as_deref().unwrap_or("both").to_ascii_lowercase();
                let scope = match review.as_str() {
                    "both" => pim_scope::all_members(&id),
                    "eligible" => AccessReviewScope::query(pim_scope::eligible_users(&id)),
                    "active" => AccessReviewScope::query(pim_scope::active_users(&id)),
                    other => {
                        return Err(fail(format!(
                            "review '{other}' must be eligible, active or both"
                        )));
                    }
                };
                (scope, name)
            }
            (None, Some(g), None) => {
                let id = resolve_principal(st, g)
                    .filter(|id| st.group(id).is_some())
                    .ok_or_else(|| fail(format!("'{g}' is not a group of this seed")))?;
                (
                    AccessReviewScope::query(format!("/groups/{id}/transitiveMembers")),
                    g.clone(),
                )
            }
            (None, None, Some(v)) => (
                serde_json::from_value(v.clone()).map_err(|e| fail(format!("scope: {e}")))?,
                "Access".to_string(),
            ),
            _ => return Err(fail("give exactly one of role, group or scope".into())),
        };
        if r.review.is_some() && r.role.is_none() {
            return Err(fail(
                "review (eligible, active, both) goes with role".into(),
            ));
        }
        let list = |l: &[ReviewerSeed]| -> Result<Vec<_>, String> {
            l.iter()
                .map(|x| seed_reviewer(st, x).map_err(&fail))
                .collect()
        };
        let created = r.created.unwrap_or(now - chrono::Duration::days(90));
        let mut settings = seed_default_settings(created.date_naive());
        if let Some(p) = &r.settings {
            merge_json(&mut settings, p);
        }
        let body = AccessReviewScheduleDefinition {
            display_name: Nullable::Value(
                r.display_name
                    .clone()
                    .unwrap_or_else(|| format!("{name} review")),
            ),
            scope: Nullable::Value(scope),
            reviewers: Some(list(&r.reviewers)?),
            fallback_reviewers: Some(list(&r.fallback_reviewers)?),
            settings: Nullable::Value(
                serde_json::from_value(settings).map_err(|e| fail(format!("settings: {e}")))?,
            ),
            ..Default::default()
        };
        validate(&body, st).map_err(|e| fail(e.message))?;
        let id = match &r.id {
            Some(g) => uuid::Uuid::parse_str(g.trim())
                .map(|u| u.to_string())
                .map_err(|_| fail(format!("id '{g}' is not a GUID")))?,
            None => det_uuid(&[&st.tenant_id, "accessReview", &i.to_string()]),
        };
        if let Some(u) = &r.answered_by {
            let reviewer = resolve_principal(st, u)
                .filter(|id| st.user(id).is_some())
                .ok_or_else(|| fail(format!("answered_by: '{u}' is not a user of this seed")))?;
            st.review_answers.insert(id.clone(), reviewer);
        }
        let by = creator(st, &Caller::App);
        st.access_reviews
            .push(normalise(&body, &id, created, created, by));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Dir;
    impl DirectoryLookup for Dir {
        fn user_exists(&self, id: &str) -> bool {
            id == "u1"
        }
        fn group_exists(&self, id: &str) -> bool {
            id == "g1"
        }
    }

    fn body(v: serde_json::Value) -> AccessReviewScheduleDefinition {
        let mut base = json!({
            "displayName": "r",
            "scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/users", "queryType": "MicrosoftGraph"},
            "reviewers": [{"query": "/users/u1", "queryType": "MicrosoftGraph"}],
            "settings": {"instanceDurationInDays": 3, "recurrence": {
                "pattern": {"type": "absoluteMonthly", "interval": 1},
                "range": {"type": "noEnd", "startDate": "2026-01-01"}}}
        });
        merge_json(&mut base, &v);
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn periods_are_the_shortest_the_calendar_allows() {
        use RecurrencePatternType::*;
        assert_eq!(shortest_period_days(Weekly, 2), Some(14));
        assert_eq!(shortest_period_days(AbsoluteMonthly, 1), Some(28));
        assert_eq!(shortest_period_days(AbsoluteMonthly, 3), Some(89));
        assert_eq!(shortest_period_days(AbsoluteMonthly, 6), Some(181));
        assert_eq!(shortest_period_days(AbsoluteMonthly, 12), Some(365));
        assert_eq!(shortest_period_days(Daily, 1), None);
    }

    #[test]
    fn validation_refuses_what_graph_refuses() {
        assert!(validate(&body(json!({})), &Dir).is_ok());
        let refused = |v: serde_json::Value, needle: &str| {
            let e = validate(&body(v.clone()), &Dir).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "BadRequest"), "{v}");
            assert!(e.message.contains(needle), "{v}: {}", e.message);
        };
        refused(json!({"displayName": null}), "displayName");
        refused(json!({"displayName": "  "}), "displayName");
        refused(json!({"scope": null}), "'scope'");
        let mut untyped = body(json!({}));
        untyped.scope = Nullable::Value(AccessReviewScope::Other(json!({"query": "/users"})));
        let e = validate(&untyped, &Dir).unwrap_err();
        assert!(e.message.contains("@odata.type"), "{}", e.message);
        refused(
            json!({"scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "users"}}),
            "starts with",
        );
        refused(
            json!({"settings": {"recurrence": {"pattern": {"type": "daily"}}}}),
            "'daily' is not supported",
        );
        refused(
            json!({"settings": {"instanceDurationInDays": 28}}),
            "shorter than the recurrence period (28 days",
        );
        refused(
            json!({"settings": {"instanceDurationInDays": 7, "recurrence": {"pattern": {"type": "weekly"}}}}),
            "(7 days",
        );
        refused(
            json!({"settings": {"instanceDurationInDays": 0}}),
            "at least 1",
        );
        refused(
            json!({"settings": {"recurrence": {"pattern": {"interval": 0}}}}),
            "interval",
        );
        refused(
            json!({"settings": {"recurrence": {"pattern": {"daysOfWeek": ["monday"]}}}}),
            "Only the type",
        );
        refused(
            json!({"settings": {"defaultDecision": "Maybe"}}),
            "defaultDecision",
        );
        refused(
            json!({"reviewers": [{"query": "/users/u2"}]}),
            "does not exist",
        );
        refused(
            json!({"reviewers": [{"query": "/groups/g2/transitiveMembers"}]}),
            "does not exist",
        );
        refused(
            json!({"reviewers": [{"query": "/directoryRoles"}]}),
            "not valid",
        );
        refused(json!({"reviewers": [{"query": "./manager"}]}), "not valid");
        refused(
            json!({"fallbackReviewers": [{"query": "/users/u1", "queryType": "Sql"}]}),
            "queryType",
        );
        refused(
            json!({"scope": {"@odata.type": "#microsoft.graph.principalResourceMembershipsScope",
                             "principalScopes": [], "resourceScopes": []}}),
            "principalScopes",
        );
        // Six months may last 180 days (Microsoft's own example), not 181.
        assert!(
            validate(
                &body(json!({"settings": {"instanceDurationInDays": 180, "recurrence": {"pattern": {"interval": 6}}}})),
                &Dir
            )
            .is_ok()
        );
        assert!(
            validate(
                &body(
                    json!({"reviewers": [{"query": "./manager", "queryRoot": "decisions"}],
                             "fallbackReviewers": [{"query": "/v1.0/groups/g1/transitiveMembers"}]})
                ),
                &Dir
            )
            .is_ok()
        );
    }

    #[test]
    fn updates_keep_the_scope_and_change_only_user_reviewers() {
        let old = body(json!({}));
        assert!(check_update(&old, &body(json!({"displayName": "new"}))).is_ok());
        assert!(check_update(&old, &body(json!({"reviewers": [{"query": "/users/u9"}]}))).is_ok());
        let to_group = body(json!({"reviewers": [{"query": "/groups/g1/transitiveMembers"}]}));
        assert!(
            check_update(&old, &to_group).is_ok(),
            "users may be replaced"
        );
        let e = check_update(&to_group, &old).unwrap_err();
        assert!(e.message.contains("individual users"), "{}", e.message);
        assert!(
            check_update(&to_group, &to_group).is_ok(),
            "unchanged reviewers"
        );
        let e = check_update(
            &old,
            &body(json!({"scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups"}})),
        )
        .unwrap_err();
        assert!(e.message.contains("scope"), "{}", e.message);
    }

    #[test]
    fn occurrences_follow_the_recurrence_and_the_clock() {
        let t = |s: &str| s.parse::<Dt>().unwrap();
        let made = |v: serde_json::Value| {
            normalise(
                &body(v),
                "d1",
                t("2026-01-10T12:00:00Z"),
                t("2026-01-10T12:00:00Z"),
                UserIdentity::default(),
            )
        };
        let starts = |def: &AccessReviewScheduleDefinition, now: Dt| -> Vec<String> {
            occurrences(def, now)
                .iter()
                .map(|o| o.start.to_rfc3339())
                .collect()
        };
        let now = t("2026-04-02T00:00:00Z");
        let mut def = made(json!({}));
        assert_eq!(
            starts(&def, now),
            [
                "2026-01-10T12:00:00+00:00", // dated Jan 1, before it was made: it starts when it was made
                "2026-02-01T00:00:00+00:00",
                "2026-03-01T00:00:00+00:00",
                "2026-04-01T00:00:00+00:00",
            ]
        );
        let on_31 = made(json!({"settings": {"recurrence": {"pattern": {"dayOfMonth": 31}}}}));
        assert_eq!(
            starts(&on_31, now),
            [
                "2026-01-31T00:00:00+00:00",
                "2026-02-28T00:00:00+00:00", // the 31st, in a month of 28 days
                "2026-03-31T00:00:00+00:00",
            ]
        );
        let occ = occurrences(&def, now);
        assert_eq!(occ[3].end, t("2026-04-04T00:00:00Z"));
        assert_eq!(definition_status(&def, now), "InProgress");
        assert_eq!(instance_status(&def, &occ[2], now), "Completed");
        assert_eq!(instance_status(&def, &occ[3], now), "InProgress");
        assert_eq!(
            definition_status(&def, t("2026-01-10T11:00:00Z")),
            "NotStarted"
        );
        // A numbered range of two ends the series; auto-apply marks instances applied.
        let s = def.settings.value_mut().unwrap();
        s.auto_apply_decisions_enabled = Some(true);
        let r = s.recurrence.value_mut().unwrap().range.value_mut().unwrap();
        r.kind = Nullable::Value(RecurrenceRangeType::Numbered);
        r.number_of_occurrences = Some(2);
        assert_eq!(occurrences(&def, now).len(), 2);
        assert_eq!(definition_status(&def, now), "Applied");
        let inst = instance(&def, &occurrences(&def, now)[0], now);
        assert_eq!(inst.status.value().unwrap(), "Applied");
        // Weekly from the year 1: bounded, the latest MAX_INSTANCES kept.
        let year_1 = t("0001-01-01T00:00:00Z");
        let old = normalise(
            &body(
                json!({"settings": {"instanceDurationInDays": 1, "recurrence": {
                "pattern": {"type": "weekly"}, "range": {"startDate": "0001-01-01"}}}}),
            ),
            "d2",
            year_1,
            year_1,
            UserIdentity::default(),
        );
        let occ = occurrences(&old, now);
        assert_eq!(occ.len(), MAX_INSTANCES);
        assert_eq!(definition_status(&old, now), "InProgress");
    }

    #[test]
    fn normalised_definitions_have_every_key_graph_writes() {
        let t = "2026-01-10T12:00:00Z".parse::<Dt>().unwrap();
        let v = serde_json::to_value(normalise(
            &body(json!({"backupReviewers": [{"query": "/users/u1"}]})),
            "d1",
            t,
            t,
            UserIdentity::default(),
        ))
        .unwrap();
        assert_eq!(
            v["fallbackReviewers"][0]["queryRoot"],
            serde_json::Value::Null
        );
        assert!(v.get("backupReviewers").is_none());
        assert_eq!(
            v["settings"]["recurrence"]["pattern"]["firstDayOfWeek"],
            "sunday"
        );
        assert_eq!(
            v["settings"]["recurrence"]["range"]["endDate"],
            serde_json::Value::Null
        );
        assert_eq!(v["settings"]["defaultDecision"], "None");
        assert_eq!(v["descriptionForReviewers"], serde_json::Value::Null);
        assert_eq!(v["additionalNotificationRecipients"], json!([]));
    }
}
