//! Apply: carries out a plan's operations, in the plan's order. It makes no decisions: what to change, and in which
//! order, was decided by the planner and reviewed.
//!
//! Before sending anything it checks that the plan still describes the tenant ([`stale_objects`]), that every
//! operation writes its own change's fingerprinted object ([`unrecorded_writes`]), and refuses any removal of a
//! principal in the protected set the caller gives it ([`refused_removals`]: the plan's list, and the policies' with
//! `--policies`). While sending, an error that says the tenant is already as wanted (`RoleAssignmentExists` on a
//! create, `RoleAssignmentDoesNotExist` on a removal) counts as done once a read confirms it; a change that fails for
//! good skips the changes of the same role that follow it.

use crate::graph::ScheduleRequestAction;
use crate::graph::client::{ClientError, GraphClient};
use crate::model::{AssignmentKind, LiveState, RuleId};
use crate::plan::fingerprint::{self, ObjectId};
use crate::plan::{ChangeKey, Operation, Plan};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// A live object whose fingerprint differs from the one the plan recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleObject {
    pub object: String,
    pub planned: String,
    pub now: String,
    /// The plan's changes that touch the object, as a reviewer read them (`remove Global Administrator bob@…`).
    pub changes: Vec<String>,
}

impl StaleObject {
    /// What happened to the object: `is gone`, `now exists` or `was modified`.
    pub fn what(&self) -> &'static str {
        if self.now == fingerprint::ABSENT {
            "is gone"
        } else if self.planned == fingerprint::ABSENT {
            "now exists"
        } else {
            "was modified"
        }
    }
}

/// The live object an operation writes, as the plan's fingerprints name it: the rule it patches, or the assignment
/// (of its kind) it creates, changes or removes.
fn written_object(op: &Operation) -> Option<ObjectId> {
    match op {
        Operation::PatchRule { policy_id, rule } => {
            Some(ObjectId::rule(policy_id, RuleId::parse(rule.id())?))
        }
        Operation::ScheduleRequest { kind, request } => Some(ObjectId::assignment(
            &crate::model::RoleKey(request.role_definition_id.clone()),
            request.directory_scope_id.as_deref().unwrap_or("/"),
            &request.principal_id,
            *kind,
        )),
    }
}

/// The objects that changed since the plan was made (empty: the plan still holds).
pub fn stale_objects(plan: &Plan, live: &LiveState) -> Vec<StaleObject> {
    let current = fingerprint::Current::of(live);
    plan.fingerprints
        .iter()
        .filter_map(|(object, planned)| {
            let now = current.get(object);
            (&now != planned).then(|| StaleObject {
                object: object.to_string(),
                planned: planned.clone(),
                now,
                changes: plan
                    .changes
                    .iter()
                    .filter(|c| {
                        c.operations
                            .iter()
                            .any(|op| written_object(op).as_ref() == Some(object))
                    })
                    .map(|c| {
                        let who = c.principal.as_ref().map(|p| format!(" {}", p.label));
                        let rule = match &c.key {
                            crate::plan::ChangeKey::Rule { rule, .. } => format!(" {rule}"),
                            _ => String::new(),
                        };
                        format!(
                            "{} {}{}{rule}",
                            c.action.as_str(),
                            c.role_name,
                            who.unwrap_or_default()
                        )
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Operations that write an object the plan did not fingerprint, or another object than their change names
/// (a hand-edited plan file): the stale check could not vouch for them, and a reviewer did not read them.
pub fn unrecorded_writes(plan: &Plan) -> Vec<String> {
    let mut out = vec![];
    for c in &plan.changes {
        for op in &c.operations {
            let object = written_object(op);
            let matches_change = match (&object, &c.key) {
                (Some(ObjectId::Rule { rule, .. }), ChangeKey::Rule { rule: r, .. }) => r == rule,
                (
                    Some(ObjectId::Assignment {
                        role,
                        scope,
                        principal,
                        ..
                    }),
                    ChangeKey::Assignment {
                        role: r,
                        scope: s,
                        principal: p,
                        ..
                    },
                ) => {
                    ObjectId::assignment(r, s, p, AssignmentKind::Eligible)
                        == ObjectId::assignment(role, scope, principal, AssignmentKind::Eligible)
                }
                _ => false,
            };
            let recorded = object
                .as_ref()
                .is_some_and(|o| plan.fingerprints.contains_key(o));
            if !matches_change || !recorded {
                let name = match (&object, op) {
                    (Some(o), _) => o.to_string(),
                    (None, Operation::PatchRule { rule, .. }) => {
                        format!("an unknown rule `{}`", rule.id())
                    }
                    (None, Operation::ScheduleRequest { .. }) => "an unknown object".to_string(),
                };
                out.push(format!(
                    "{} {}: writes {name}, {}",
                    c.action.as_str(),
                    c.role_name,
                    if matches_change {
                        "which the plan did not fingerprint"
                    } else {
                        "which is not the object of its change"
                    }
                ));
            }
        }
    }
    out
}

/// Operations that would remove a protected principal (defence in depth against an edited or older plan file).
pub fn refused_removals(plan: &Plan, protected: &BTreeSet<String>) -> Vec<String> {
    let mut out = vec![];
    for c in &plan.changes {
        for op in &c.operations {
            if let Operation::ScheduleRequest { request, .. } = op
                && request.action == ScheduleRequestAction::AdminRemove
                && protected.contains(&request.principal_id.to_lowercase())
            {
                out.push(format!(
                    "{} {} of {}",
                    c.action.as_str(),
                    c.role_name,
                    c.principal
                        .as_ref()
                        .map_or(request.principal_id.as_str(), |p| p.label.as_str())
                ));
            }
        }
    }
    out
}

/// What to send with every request.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Sent as the justification of every schedule request (default: "pimctl apply <plan id>: <reason>").
    pub justification: Option<String>,
    /// `(ticketSystem, ticketNumber)`, for policies that require a ticket.
    pub ticket: Option<(String, String)>,
    /// Roles whose changes run at once (each role's changes run in order).
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            justification: None,
            ticket: None,
            concurrency: 4,
        }
    }
}

/// How one change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// The tenant was already as the change wanted.
    AlreadyInState,
    Failed,
    /// Not attempted: an earlier change of the same role failed.
    Skipped,
}

/// One write, for the audit record.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub method: &'static str,
    pub path: String,
    pub body: serde_json::Value,
    /// `ok`, or the HTTP status (or `failed` when there was none).
    pub status: String,
    /// The id of the schedule request Graph created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Graph's `request-id` of a failed request, for support cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// The record of one change.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    pub index: usize,
    pub action: &'static str,
    pub role_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub sent: Vec<Sent>,
}

/// The record of a whole apply.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub plan_id: String,
    pub changes: Vec<ChangeRecord>,
}

impl ApplyReport {
    pub fn count(&self, o: Outcome) -> usize {
        self.changes.iter().filter(|c| c.outcome == o).count()
    }
    pub fn failed(&self) -> bool {
        self.count(Outcome::Failed) > 0
    }
}

/// Carries out the plan's changes. Changes of one role run in the plan's order, and a failure skips the role's later
/// changes; different roles are independent and run concurrently, up to `options.concurrency` at once. `progress`
/// is told about each change as it ends; the report lists them in the plan's order.
pub async fn apply(
    client: &GraphClient,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &mut (dyn FnMut(&ChangeRecord) + Send),
) -> ApplyReport {
    use futures_util::StreamExt;
    let mut by_role: Vec<(&crate::model::RoleKey, Vec<usize>)> = vec![];
    for (i, c) in plan.changes.iter().enumerate() {
        match by_role.iter_mut().find(|(r, _)| *r == c.key.role()) {
            Some((_, list)) => list.push(i),
            None => by_role.push((c.key.role(), vec![i])),
        }
    }
    let progress = std::sync::Mutex::new(progress);
    let report = |r: &ChangeRecord| {
        let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
        (*p)(r);
    };
    let mut records: Vec<ChangeRecord> = futures_util::stream::iter(by_role)
        .map(|(_, indices)| {
            let report = &report;
            async move {
                let mut out = vec![];
                let mut failed = false;
                for index in indices {
                    let record = if failed {
                        skipped(plan, index)
                    } else {
                        run_change(client, plan, index, options).await
                    };
                    failed |= record.outcome == Outcome::Failed;
                    report(&record);
                    out.push(record);
                }
                out
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .flat_map(futures_util::stream::iter)
        .collect()
        .await;
    records.sort_by_key(|r| r.index);
    ApplyReport {
        plan_id: plan.id.clone(),
        changes: records,
    }
}

fn new_record(plan: &Plan, index: usize) -> ChangeRecord {
    let change = &plan.changes[index];
    ChangeRecord {
        index,
        action: change.action.as_str(),
        role_name: change.role_name.clone(),
        principal: change.principal.as_ref().map(|p| p.label.clone()),
        outcome: Outcome::Applied,
        error: None,
        sent: vec![],
    }
}

fn skipped(plan: &Plan, index: usize) -> ChangeRecord {
    ChangeRecord {
        outcome: Outcome::Skipped,
        error: Some("an earlier change of this role failed".into()),
        ..new_record(plan, index)
    }
}

async fn run_change(
    client: &GraphClient,
    plan: &Plan,
    index: usize,
    options: &ApplyOptions,
) -> ChangeRecord {
    let change = &plan.changes[index];
    let mut record = new_record(plan, index);
    let mut all_already = true;
    for op in &change.operations {
        match send(client, plan, change, op, options, &mut record.sent).await {
            Ok(Done::Applied) => all_already = false,
            Ok(Done::Already) => {}
            Err(e) => {
                record.outcome = Outcome::Failed;
                record.error = Some(e.to_string());
                return record;
            }
        }
    }
    if all_already {
        record.outcome = Outcome::AlreadyInState;
    }
    record
}

enum Done {
    Applied,
    Already,
}

async fn send(
    client: &GraphClient,
    plan: &Plan,
    change: &crate::plan::Change,
    op: &Operation,
    options: &ApplyOptions,
    sent: &mut Vec<Sent>,
) -> Result<Done, ClientError> {
    match op {
        Operation::PatchRule { policy_id, rule } => {
            let path = format!(
                "/policies/roleManagementPolicies/{}/rules/{}",
                encode(policy_id),
                encode(rule.id())
            );
            let body = serde_json::to_value(rule).unwrap_or_default();
            let result: Result<Option<serde_json::Value>, ClientError> =
                client.patch_json(&path, rule).await;
            sent.push(record("PATCH", path.clone(), body.clone(), &result));
            match result {
                // The whole rule is sent: sending it again after a lost answer can only set the same values.
                Err(e) if e.is_ambiguous() => {
                    let again: Result<Option<serde_json::Value>, ClientError> =
                        client.patch_json(&path, rule).await;
                    sent.push(record("PATCH", path, body, &again));
                    again.map(|_| Done::Applied)
                }
                other => other.map(|_| Done::Applied),
            }
        }
        Operation::ScheduleRequest { kind, request } => {
            let mut request = request.clone();
            request.justification = Some(match &options.justification {
                Some(j) => j.clone(),
                None => format!("pimctl apply {}: {}", plan.id, change.reason),
            });
            if let Some((system, number)) = &options.ticket {
                request.ticket_info = Some(crate::graph::TicketInfo {
                    ticket_number: Some(number.clone()),
                    ticket_system: Some(system.clone()),
                });
            }
            let path = match kind {
                AssignmentKind::Eligible => {
                    "/roleManagement/directory/roleEligibilityScheduleRequests"
                }
                AssignmentKind::Active => {
                    "/roleManagement/directory/roleAssignmentScheduleRequests"
                }
            }
            .to_string();
            let body = serde_json::to_value(&request).unwrap_or_default();
            let result: Result<Option<serde_json::Value>, ClientError> =
                client.post_json(&path, &request).await;
            sent.push(record("POST", path.clone(), body.clone(), &result));
            match result {
                Ok(_) => Ok(Done::Applied),
                Err(e) if already(&request.action, &e) => {
                    confirm_already(client, *kind, &request, e).await
                }
                // The request may have been carried out: read the tenant before sending it again.
                Err(e) if e.is_ambiguous() => match in_effect(client, *kind, &request).await {
                    Ok(true) => Ok(Done::Applied),
                    Ok(false) => {
                        let again: Result<Option<serde_json::Value>, ClientError> =
                            client.post_json(&path, &request).await;
                        sent.push(record("POST", path, body, &again));
                        match again {
                            Ok(_) => Ok(Done::Applied),
                            Err(e) if already(&request.action, &e) => {
                                confirm_already(client, *kind, &request, e).await
                            }
                            Err(e) => Err(e),
                        }
                    }
                    Err(_) => Err(e),
                },
                Err(e) => Err(e),
            }
        }
    }
}

/// Whether the tenant already holds what a schedule request asked for: an assignment of the principal to the role
/// with the requested end (create, update), or none (remove). One filtered read of the schedules.
async fn in_effect(
    client: &GraphClient,
    kind: AssignmentKind,
    request: &crate::graph::NewScheduleRequest,
) -> Result<bool, ClientError> {
    let collection = match kind {
        AssignmentKind::Eligible => "roleEligibilitySchedules",
        AssignmentKind::Active => "roleAssignmentSchedules",
    };
    let q = |s: &str| s.replace('\'', "''");
    let path = format!(
        "/roleManagement/directory/{collection}?$filter=principalId eq '{}' and roleDefinitionId eq '{}'",
        q(&request.principal_id),
        q(&request.role_definition_id)
    );
    let schedules: Vec<crate::graph::UnifiedRoleAssignmentSchedule> =
        client.list_all(&path).await?;
    let held: Vec<_> = schedules
        .iter()
        .filter(|s| s.assignment_type != Some(crate::graph::AssignmentType::Activated))
        .filter(|s| {
            s.directory_scope_id.as_deref().unwrap_or("/")
                == request.directory_scope_id.as_deref().unwrap_or("/")
        })
        .collect();
    let wanted_end = request
        .schedule_info
        .as_ref()
        .and_then(|i| i.expiration.as_ref())
        .and_then(|e| e.end_date_time)
        .map(|t| t.timestamp());
    Ok(match request.action {
        ScheduleRequestAction::AdminRemove => held.is_empty(),
        _ => held.iter().any(|s| {
            s.schedule_info
                .as_ref()
                .and_then(|i| i.expiration.as_ref())
                .and_then(|e| e.end_date_time)
                .map(|t| t.timestamp())
                == wanted_end
        }),
    })
}

/// `RoleAssignmentExists` (or `…DoesNotExist` on a removal) counts as done only when the tenant holds what the
/// request wanted. An assignment of another end date, or an activation in progress (Graph refuses an active
/// assignment beside one), is not the declared state: the change fails, with the tenant's answer.
async fn confirm_already(
    client: &GraphClient,
    kind: AssignmentKind,
    request: &crate::graph::NewScheduleRequest,
    e: ClientError,
) -> Result<Done, ClientError> {
    match in_effect(client, kind, request).await {
        Ok(true) => Ok(Done::Already),
        _ => Err(e),
    }
}

/// Whether an error says the tenant is already as the request wanted.
fn already(action: &ScheduleRequestAction, e: &ClientError) -> bool {
    match (action, e.code()) {
        (ScheduleRequestAction::AdminAssign, Some(c)) => {
            c.eq_ignore_ascii_case("RoleAssignmentExists")
        }
        (ScheduleRequestAction::AdminRemove, Some(c)) => {
            c.eq_ignore_ascii_case("RoleAssignmentDoesNotExist")
        }
        _ => false,
    }
}

fn record(
    method: &'static str,
    path: String,
    body: serde_json::Value,
    result: &Result<Option<serde_json::Value>, ClientError>,
) -> Sent {
    let (status, created, request_id) = match result {
        Ok(v) => (
            "ok".to_string(),
            v.as_ref()
                .and_then(|v| v.get("id"))
                .and_then(|id| id.as_str())
                .map(str::to_string),
            None,
        ),
        Err(e) => (
            e.status()
                .map_or_else(|| "failed".to_string(), |s| s.to_string()),
            None,
            e.request().and_then(|r| r.request_id.clone()),
        ),
    };
    Sent {
        method,
        path,
        body,
        status,
        created,
        request_id,
        at: Utc::now(),
    }
}

/// A path segment, escaped (ids are GUIDs and rule names; nothing else is expected, nothing else is trusted).
fn encode(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}
