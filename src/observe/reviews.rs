//! Reading the tenant's access review definitions (`identityGovernance/accessReviews/definitions`): one list,
//! every page, each definition keyed by the target its scope reviews ([`pim_scope::target_of`]). Reviews of
//! anything else (applications, access packages, guests, a role's service principals) are left out: pimctl never
//! touches them. Read only when some declared target says `access_review` (or `none`), so that a declaration
//! without reviews costs no request.

use crate::graph::BatchRequestItem;
use crate::graph::client::{ClientError, GraphClient};
use crate::graph::review::DefaultDecision as WireDecision;
use crate::graph::review::pim_scope::{self, ReviewedTarget};
use crate::graph::review::{
    AccessReviewInstance, AccessReviewInstanceDecisionItem, AccessReviewReviewerScope,
    AccessReviewScheduleDefinition, AccessReviewScheduleSettings, RecurrencePatternType,
    RecurrenceRangeType, ReviewerTarget, reviewer_target,
};
use crate::model::{
    AccessReview, Cadence, CadenceUnit, DefaultDecision, DesiredState, GroupAccess, LiveReview,
    LiveState, Origin, PrincipalKind, PrincipalRef, ReviewActivity, ReviewedAssignments, Reviewer,
    RoleKey, TargetKey,
};
use std::collections::BTreeSet;

/// The definitions, listed once; no `$top`: Graph pages them (100 by default) and pimctl follows every page.
pub(crate) const DEFINITIONS: &str = "/identityGovernance/accessReviews/definitions";

/// Whether any of the declarations manages a review (declares one, or `access_review: none`).
pub fn wanted(desired: &[&DesiredState]) -> bool {
    desired.iter().any(|d| {
        d.targets
            .values()
            .any(|t| t.access_review.is_some() || t.no_access_review.is_some())
    })
}

/// Lists the definitions and keeps those of PIM targets in `live.reviews`.
pub async fn read(client: &GraphClient, live: &mut LiveState) -> Result<(), ClientError> {
    let definitions: Vec<AccessReviewScheduleDefinition> = client.list_all(DEFINITIONS).await?;
    live.reviews = keyed(definitions);
    live.reviews_read = true;
    Ok(())
}

/// The reviewer Graph records for a decision the service made itself (the default decision, applied when nobody
/// answered): "AAD Access Reviews", with the empty GUID.
const SERVICE_REVIEWER: &str = "00000000-0000-0000-0000-000000000000";

/// Instance statuses of a review that has ended (its decisions are final).
const ENDED: &[&str] = &["Completed", "AutoReviewed", "Applying", "Applied"];

fn get(id: usize, url: String) -> BatchRequestItem {
    BatchRequestItem {
        id: (id + 1).to_string(),
        method: "GET".into(),
        url,
        headers: None,
        body: None,
        depends_on: None,
    }
}

/// The tenant's access reviews for `lint --live` (PIM070): the definitions (listed once, as `plan` lists them,
/// unless the tenant's read already did), and what each one's last ended instance held ([`activity`]).
pub async fn read_activity(
    client: &GraphClient,
    live: &mut LiveState,
) -> Result<Vec<ReviewActivity>, ClientError> {
    if !live.reviews_read {
        read(client, live).await?;
    }
    activity(client, &live.reviews).await
}

/// Whether anybody answered each review's last ended instance: its instances, then that instance's decisions, each
/// step one sub-request per review, 20 to a `$batch` (Graph gives neither across definitions, and an instance's
/// decisions are not expanded on it). Requests: ⌈reviews / 20⌉ + ⌈reviews with an ended instance / 20⌉ `$batch`,
/// plus the pages a `@odata.nextLink` adds; nothing when there is no review.
pub async fn activity(
    client: &GraphClient,
    reviews: &[LiveReview],
) -> Result<Vec<ReviewActivity>, ClientError> {
    if reviews.is_empty() {
        return Ok(vec![]);
    }
    let requests: Vec<BatchRequestItem> = reviews
        .iter()
        .enumerate()
        .map(|(i, r)| {
            get(
                i,
                format!(
                    "{DEFINITIONS}/{}/instances?$select=id,endDateTime,status",
                    r.id
                ),
            )
        })
        .collect();
    tracing::info!(
        "reading the instances of {} access reviews in $batch",
        reviews.len()
    );
    let answers = client.batch(requests.clone()).await?;
    let mut last: Vec<(&LiveReview, String, chrono::DateTime<chrono::Utc>)> = vec![];
    for ((r, request), answer) in reviews.iter().zip(&requests).zip(&answers) {
        let instances: Vec<AccessReviewInstance> =
            super::principals::all_pages(client, request, answer).await?;
        let ended = instances
            .into_iter()
            .filter(|i| {
                i.status
                    .value()
                    .is_some_and(|s| ENDED.iter().any(|e| e.eq_ignore_ascii_case(s)))
            })
            .filter_map(|i| Some((i.end_date_time.value().copied()?, i.id?)))
            .max();
        if let Some((end, id)) = ended {
            last.push((r, id, end));
        }
    }
    if last.is_empty() {
        return Ok(vec![]);
    }
    let requests: Vec<BatchRequestItem> = last
        .iter()
        .enumerate()
        .map(|(n, (r, instance, _))| {
            get(
                n,
                format!(
                    "{DEFINITIONS}/{}/instances/{instance}/decisions?$select=id,decision,reviewedBy",
                    r.id
                ),
            )
        })
        .collect();
    let answers = client.batch(requests.clone()).await?;
    let mut out = vec![];
    for (((r, instance, ended), request), answer) in last.into_iter().zip(&requests).zip(&answers) {
        let decisions: Vec<AccessReviewInstanceDecisionItem> =
            super::principals::all_pages(client, request, answer).await?;
        let answered = decisions.iter().filter(|d| by_a_reviewer(d)).count();
        out.push(ReviewActivity {
            target: r.target.clone(),
            definition: r.id.clone(),
            name: r
                .definition
                .display_name
                .value()
                .cloned()
                .unwrap_or_else(|| r.id.clone()),
            instance,
            ended,
            decisions: decisions.len(),
            answered,
        });
    }
    Ok(out)
}

/// A decision a reviewer made: decided (not `NotReviewed`), and not by the service applying the default decision.
fn by_a_reviewer(d: &AccessReviewInstanceDecisionItem) -> bool {
    let decided = d
        .decision
        .value()
        .is_some_and(|x| !x.eq_ignore_ascii_case("NotReviewed"));
    let by_service = d
        .reviewed_by
        .value()
        .and_then(|b| b.id.value())
        .is_none_or(|id| id.is_empty() || id == SERVICE_REVIEWER);
    decided && !by_service
}

/// For `import`, which has no declaration to ask for reviews: lists the definitions, then looks up the reviewers
/// they name that the tenant's read did not see (one `$batch` per 300, none when every reviewer holds a role or
/// approves). `live.resolved` is left as the read made it (import declares nothing).
pub async fn read_with_reviewers(
    client: &GraphClient,
    live: &mut LiveState,
) -> Result<(), ClientError> {
    read(client, live).await?;
    let resolved = std::mem::take(&mut live.resolved);
    super::principals::resolve(client, &[], live).await?;
    live.resolved = resolved;
    Ok(())
}

/// The definitions that review a PIM target, with their target, sorted by (target, id).
pub fn keyed(definitions: Vec<AccessReviewScheduleDefinition>) -> Vec<LiveReview> {
    let mut out: Vec<LiveReview> = definitions
        .into_iter()
        .filter_map(|d| {
            let id = d.id.clone()?;
            let target = target_of(&d)?;
            Some(LiveReview {
                target,
                id,
                definition: d,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.target, &a.id).cmp(&(&b.target, &b.id)));
    out
}

/// The target a definition reviews: a directory role's users (and groups), or a group's members. A review of a
/// role's service principals is not a review pimctl writes, so not one of its targets.
pub fn target_of(d: &AccessReviewScheduleDefinition) -> Option<TargetKey> {
    match pim_scope::target_of(d.scope.value()?)? {
        ReviewedTarget::Role {
            role_id,
            principal_types,
            ..
        } => (!principal_types.contains(&"servicePrincipal"))
            .then(|| TargetKey::directory_role(RoleKey(role_id.to_lowercase()))),
        ReviewedTarget::GroupMembers(id) => Some(TargetKey::group(&id, GroupAccess::Member)),
    }
}

/// The users and groups live reviews name as reviewers (by object id), so that plans show their names.
pub(crate) fn live_reviewer_ids(live: &LiveState) -> BTreeSet<PrincipalRef> {
    live.reviews
        .iter()
        .flat_map(|r| {
            let d = &r.definition;
            d.reviewers.iter().chain(&d.fallback_reviewers).flatten()
        })
        .filter_map(|s| match reviewer_target(s)? {
            ReviewerTarget::User(id) => Some(PrincipalRef::new(PrincipalKind::User, &id)),
            ReviewerTarget::Group(id) => Some(PrincipalRef::new(PrincipalKind::Group, &id)),
            ReviewerTarget::Managers | ReviewerTarget::Owners => None,
        })
        .collect()
}

/// A live review's cadence: `Ok` for the two recurrences reviews support, `Err(name)` for anything else.
pub(crate) fn live_cadence(s: &AccessReviewScheduleSettings) -> Option<Result<Cadence, String>> {
    let pattern = s.recurrence.value()?.pattern.value();
    let Some(pattern) = pattern else {
        return Some(Err("once".into()));
    };
    let interval = u32::try_from(pattern.interval.unwrap_or(1)).unwrap_or(0);
    Some(match pattern.kind.value() {
        Some(RecurrencePatternType::Weekly) => Ok(Cadence {
            interval,
            unit: CadenceUnit::Week,
        }),
        Some(RecurrencePatternType::AbsoluteMonthly) => Ok(Cadence {
            interval,
            unit: CadenceUnit::Month,
        }),
        Some(other) => Err(format!("{} every {interval}", other.as_str())),
        None => Err("once".into()),
    })
}

/// A live review definition as the language declares one, with reviewers named by object id; or why the language
/// cannot say exactly what it does (then `import` leaves it out with that reason, and `lint` judges what it can).
/// The settings compared are the ones `plan` manages; a review that also sets what the language has no word for
/// (stages, extra notification recipients, an end to its series) is not expressible, so that declaring it would
/// not silently drop them.
pub fn observed_review(d: &AccessReviewScheduleDefinition) -> Result<AccessReview, String> {
    let settings = d.settings.value().cloned().unwrap_or_default();
    let assignments = match d.scope.value().and_then(pim_scope::target_of) {
        Some(ReviewedTarget::Role { assignments, .. }) => match assignments {
            pim_scope::ReviewedAssignments::Eligible => ReviewedAssignments::Eligible,
            pim_scope::ReviewedAssignments::Active => ReviewedAssignments::Active,
            pim_scope::ReviewedAssignments::Both => ReviewedAssignments::Both,
        },
        Some(ReviewedTarget::GroupMembers(_)) => ReviewedAssignments::Both,
        None => return Err("its scope is not one of a PIM role or group".into()),
    };
    let every = match live_cadence(&settings) {
        Some(Ok(c)) if c.interval > 0 => c,
        Some(Ok(_)) | None => return Err("it has no recurrence".into()),
        Some(Err(other)) => return Err(format!("it recurs {other}")),
    };
    if let Some(range) = settings.recurrence.value().and_then(|r| r.range.value())
        && let Some(kind) = range.kind.value()
        && *kind != RecurrenceRangeType::NoEnd
    {
        return Err(format!(
            "its series ends ({}), which the language cannot declare",
            kind.as_str()
        ));
    }
    let days = settings
        .instance_duration_in_days
        .filter(|n| *n > 0)
        .ok_or("it has no instance duration")?;
    if d.stage_settings.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err("it has stages (a multi-stage review)".into());
    }
    if d.additional_notification_recipients
        .as_ref()
        .is_some_and(|s| !s.is_empty())
    {
        return Err("it notifies additional recipients".into());
    }
    let people = |list: &Option<Vec<AccessReviewReviewerScope>>| -> Result<Vec<Reviewer>, String> {
        list.iter()
            .flatten()
            .map(|r| match reviewer_target(r) {
                Some(ReviewerTarget::User(id)) => Ok(Reviewer::Principal(PrincipalRef::new(
                    PrincipalKind::User,
                    id.to_lowercase(),
                ))),
                Some(ReviewerTarget::Group(id)) => Ok(Reviewer::Principal(PrincipalRef::new(
                    PrincipalKind::Group,
                    id.to_lowercase(),
                ))),
                Some(ReviewerTarget::Managers) => Ok(Reviewer::Managers),
                Some(ReviewerTarget::Owners) | None => Err(format!(
                    "its reviewer query '{}' is not a user, a group or managers",
                    r.query.value().map_or("", String::as_str)
                )),
            })
            .collect()
    };
    let mut reviewers = people(&d.reviewers)?;
    if reviewers.is_empty() {
        reviewers.push(Reviewer::SelfReview);
    }
    let fallback_reviewers = people(&d.fallback_reviewers)?
        .into_iter()
        .map(|r| match r {
            Reviewer::Principal(p) => Ok(p),
            _ => Err("its fallback reviewers are managers".to_string()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let default_decision = if settings.default_decision_enabled == Some(false) {
        DefaultDecision::None
    } else {
        match settings.default_decision() {
            Some(WireDecision::Approve) => DefaultDecision::Approve,
            Some(WireDecision::Deny) => DefaultDecision::Deny,
            Some(WireDecision::Recommendation) => DefaultDecision::Recommendation,
            _ => DefaultDecision::None,
        }
    };
    let flag = |b: Option<bool>| b.unwrap_or(false);
    Ok(AccessReview {
        every,
        duration: crate::duration::Duration::from_secs(u64::try_from(days).unwrap_or(0) * 86_400),
        assignments,
        reviewers,
        fallback_reviewers,
        default_decision,
        auto_apply: flag(settings.auto_apply_decisions_enabled),
        justification: flag(settings.justification_required_on_approval),
        recommendations: flag(settings.recommendations_enabled),
        mail: flag(settings.mail_notifications_enabled),
        reminders: flag(settings.reminder_notifications_enabled),
        origin: Origin {
            file: "<tenant>".into(),
            path: d.id.clone().unwrap_or_default(),
            line: 0,
            column: 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::review::AccessReviewScope;

    fn def(id: &str, scope: AccessReviewScope) -> AccessReviewScheduleDefinition {
        AccessReviewScheduleDefinition {
            id: Some(id.into()),
            scope: crate::graph::review::Nullable::Value(scope),
            ..Default::default()
        }
    }

    #[test]
    fn definitions_are_keyed_by_the_target_they_review_and_others_are_left_out() {
        let role = "62E90394-69F5-4237-9190-012177145E10";
        let sp_review = pim_scope::eligible_users(role)
            .replace("microsoft.graph.user", "microsoft.graph.servicePrincipal");
        let read = keyed(vec![
            def("d3", pim_scope::all_members(role)),
            def(
                "d1",
                AccessReviewScope::query(pim_scope::eligible_users(role)),
            ),
            def(
                "d2",
                AccessReviewScope::query("/groups/G1/transitiveMembers"),
            ),
            def("app", AccessReviewScope::query("/servicePrincipals/x")),
            def("guests", AccessReviewScope::query("/users")),
            def("sp", AccessReviewScope::query(sp_review)),
        ]);
        let got: Vec<(String, &str)> = read
            .iter()
            .map(|r| (r.target.to_string(), r.id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("62e90394-69f5-4237-9190-012177145e10".to_string(), "d1"),
                ("62e90394-69f5-4237-9190-012177145e10".to_string(), "d3"),
                ("group:g1:member".to_string(), "d2"),
            ]
        );
    }
}
