//! Apply: carries out a plan's operations, in the plan's order. It makes no decisions: what to change, and in which
//! order, was decided by the planner and reviewed.
//!
//! Before sending anything it checks that the plan still describes the tenant ([`stale_objects`]), that every
//! operation writes its own change's fingerprinted object ([`unrecorded_writes`]), and refuses any removal of a
//! principal in the protected set the caller gives it ([`refused_removals`]: the plan's list, and the policies' with
//! `--policies`). While sending, an error that says the tenant is already as wanted (`RoleAssignmentExists` on a
//! create, `RoleAssignmentDoesNotExist` on a removal) counts as done once a read confirms it; a change that fails for
//! good skips the changes of the same role that follow it. A rule PATCH whose group policy is gone (the group's first
//! write in this apply onboarded it to PIM, and its policies took new ids) goes to the same rule of the same target's
//! policy under its new id ([`adapter::moved_policy`]), and the later rules of that policy go there at once.

use crate::graph::ScheduleRequestAction;
use crate::graph::client::{ArmClient, ClientError, GraphClient};
mod adapter;
mod adapter_arm;
mod preflight;

pub use preflight::{Refusal, plan_scope, preflight, protected_ids};

use crate::model::{LiveState, TargetKey};
use crate::plan::fingerprint::{self, ObjectId};
use crate::plan::wire::rule_path;
use crate::plan::{ChangeKey, Meaning, Method, Operation, Plan};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// A live object whose fingerprint differs from the one the plan recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleObject {
    pub object: ObjectId,
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

/// Writes that go to another object than their target's in the tenant as read now: a rule PATCHed into a policy
/// that is not the target's, a review definition updated or deleted that does not review the target (a
/// hand-edited plan file).
pub fn misdirected_writes(plan: &Plan, live: &LiveState) -> Vec<String> {
    let mut out = vec![];
    for c in &plan.changes {
        for op in &c.operations {
            if let Meaning::Review {
                target,
                write:
                    crate::plan::ReviewWrite::Update { id } | crate::plan::ReviewWrite::Delete { id },
            } = &op.meaning
                && live.reviews_read
                && !live
                    .reviews
                    .iter()
                    .any(|r| &r.target == target && r.id.eq_ignore_ascii_case(id))
            {
                out.push(format!(
                    "{} {}: writes access review {id}, which is not a review of its target",
                    c.action.as_str(),
                    c.role_name
                ));
            }
            // ARM: the operation's path is the policy's id.
            if let Meaning::PatchRule { target, .. } = &op.meaning
                && target.surface == crate::model::Surface::AzureRole
                && let Some(policy) = live.policies.get(target)
                && !op.path.eq_ignore_ascii_case(&policy.id)
            {
                out.push(format!(
                    "{} {}: writes policy {}, which is not the policy of its role",
                    c.action.as_str(),
                    c.role_name,
                    op.path
                ));
                continue;
            }
            if let Meaning::PatchRule { target, rule } = &op.meaning
                && let Some(policy) = live.policies.get(target)
                && !op
                    .path
                    .eq_ignore_ascii_case(&crate::plan::wire::rule_path(&policy.id, rule.as_str()))
                && let Some(policy_id) = adapter::policy_of(op)
            {
                out.push(format!(
                    "{} {}: writes policy {policy_id}, which is not the policy of its role",
                    c.action.as_str(),
                    c.role_name
                ));
            }
        }
    }
    out
}

/// The objects that changed since the plan was made (empty: the plan still holds).
pub fn stale_objects(plan: &Plan, live: &LiveState) -> Vec<StaleObject> {
    let current = fingerprint::Current::of(live);
    plan.fingerprints
        .iter()
        .filter_map(|(object, planned)| {
            let now = current.get(object);
            (&now != planned).then(|| StaleObject {
                object: object.clone(),
                planned: planned.clone(),
                now,
                changes: plan
                    .changes
                    .iter()
                    .filter(|c| c.operations.iter().any(|op| &op.meaning.object() == object))
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

/// Operations that write an object the plan did not fingerprint, or another object than their change names, or
/// whose request is not the write their meaning describes (a hand-edited plan file): the stale check could not
/// vouch for them, and a reviewer did not read them.
pub fn unrecorded_writes(plan: &Plan) -> Vec<String> {
    let mut out = vec![];
    for c in &plan.changes {
        for op in &c.operations {
            let object = op.meaning.object();
            let matches_change = match (&object, &c.key) {
                (
                    ObjectId::Rule { target, rule },
                    ChangeKey::Rule {
                        target: t, rule: r, ..
                    },
                ) => t == target && r == rule,
                (
                    ObjectId::Assignment {
                        target, principal, ..
                    },
                    ChangeKey::Assignment {
                        target: t,
                        principal: p,
                        ..
                    },
                ) => t == target && p.eq_ignore_ascii_case(principal),
                (ObjectId::Review { target }, ChangeKey::Review { target: t }) => t == target,
                _ => false,
            };
            let problem = if !matches_change {
                Some("which is not the object of its change".to_string())
            } else if !adapter::addresses_its_meaning(op) {
                let whom = op
                    .body
                    .get("principalId")
                    .and_then(serde_json::Value::as_str)
                    .map(|p| format!(" for {p}"))
                    .unwrap_or_default();
                Some(format!(
                    "but its request ({} {}{whom}) is not that write",
                    op.method.as_str(),
                    op.path
                ))
            } else if !plan.fingerprints.contains_key(&object) {
                Some("which the plan did not fingerprint".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                out.push(format!(
                    "{} {}: writes the {object}, {problem}",
                    c.action.as_str(),
                    c.role_name,
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
            if let Meaning::Assignment {
                principal, action, ..
            } = &op.meaning
                && *action == ScheduleRequestAction::AdminRemove
                && protected.contains(&principal.to_lowercase())
            {
                out.push(format!(
                    "{} {} of {}",
                    c.action.as_str(),
                    c.role_name,
                    c.principal
                        .as_ref()
                        .map_or(principal.as_str(), |p| p.label.as_str())
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
    /// Azure Resource Manager, for the plan's Azure-role operations (none: they fail, naming what is missing).
    pub arm: Option<ArmClient>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            justification: None,
            ticket: None,
            concurrency: 4,
            arm: None,
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
    /// The tenant the plan was applied to (checked against the plan's before any write). Set by the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<crate::model::Tenant>,
    /// Who applied it, from the access token's claims (`null` when the token does not say). Set by the command
    /// line.
    #[serde(default)]
    pub identity: Option<crate::model::Caller>,
    /// What the plan was checked against before any write: the policies it was made from, or that the check was
    /// skipped (`--no-policy-check`). Set by the command line.
    #[serde(default)]
    pub policy_check: String,
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
/// changes; different roles are independent and run concurrently, up to `options.concurrency` at once on each
/// service: Graph's targets (directory roles, groups) and Azure Resource Manager's (Azure roles) have slots of
/// their own, as the two services throttle apart, so a role waiting out ARM's `Retry-After` holds no Graph slot.
/// `progress` is told about each change as it ends; the report lists them in the plan's order.
pub async fn apply(
    client: &GraphClient,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &mut (dyn FnMut(&ChangeRecord) + Send),
) -> ApplyReport {
    use futures_util::StreamExt;
    let progress = std::sync::Mutex::new(progress);
    let moved = &Moved::default();
    let report = |r: &ChangeRecord| {
        let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
        (*p)(r);
    };
    let run_target = |indices: Vec<usize>| {
        let report = &report;
        async move {
            let mut out = vec![];
            let mut failed = false;
            for index in indices {
                let record = if failed {
                    skipped(plan, index)
                } else {
                    run_change(client, plan, index, options, moved).await
                };
                failed |= record.outcome == Outcome::Failed;
                report(&record);
                out.push(record);
            }
            out
        }
    };
    let [graph, arm] = queues(plan).map(|targets| {
        futures_util::stream::iter(targets)
            .map(run_target)
            .buffer_unordered(options.concurrency.max(1))
            .flat_map(futures_util::stream::iter)
            .collect::<Vec<ChangeRecord>>()
    });
    let (mut records, arm) = futures_util::future::join(graph, arm).await;
    records.extend(arm);
    records.sort_by_key(|r| r.index);
    ApplyReport {
        plan_id: plan.id.clone(),
        tenant: plan.tenant.clone(),
        identity: None,
        policy_check: String::new(),
        changes: records,
    }
}

/// The plan's changes by target (each target's in the plan's order, the targets in the order of their first
/// change), in two queues: Graph's targets, then Azure Resource Manager's, each run with slots of its own.
fn queues(plan: &Plan) -> [Vec<Vec<usize>>; 2] {
    let mut by_target: Vec<(&TargetKey, Vec<usize>)> = vec![];
    for (i, c) in plan.changes.iter().enumerate() {
        match by_target.iter_mut().find(|(t, _)| *t == c.key.target()) {
            Some((_, list)) => list.push(i),
            None => by_target.push((c.key.target(), vec![i])),
        }
    }
    let (arm, graph): (Vec<_>, Vec<_>) = by_target
        .into_iter()
        .partition(|(t, _)| t.surface == crate::model::Surface::AzureRole);
    [graph, arm].map(|q| q.into_iter().map(|(_, indices)| indices).collect())
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
    moved: &Moved,
) -> ChangeRecord {
    let change = &plan.changes[index];
    let mut record = new_record(plan, index);
    let mut all_already = true;
    for op in &change.operations {
        match send(client, plan, change, op, options, moved, &mut record.sent).await {
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

/// Policies found under a new id during this apply (a group onboarded by its first write): old id (lower-cased) →
/// new id.
type Moved = std::sync::Mutex<std::collections::BTreeMap<String, String>>;

fn lock(m: &Moved) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, String>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn send(
    client: &GraphClient,
    plan: &Plan,
    change: &crate::plan::Change,
    op: &Operation,
    options: &ApplyOptions,
    moved: &Moved,
    sent: &mut Vec<Sent>,
) -> Result<Done, ClientError> {
    let mut body = op.body.clone();
    let azure = op.meaning.target().surface == crate::model::Surface::AzureRole;
    let arm = match (azure, &options.arm) {
        (false, _) => None,
        (true, Some(a)) => Some(a),
        (true, None) => {
            return Err(ClientError::Invalid(format!(
                "{} {}: an Azure role's change needs the ARM client",
                op.method.as_str(),
                op.path
            )));
        }
    };
    // ARM's request fields are under `properties`.
    let fields = if azure {
        body.get_mut("properties").and_then(|p| p.as_object_mut())
    } else {
        body.as_object_mut()
    };
    if matches!(op.meaning, Meaning::Assignment { .. })
        && let Some(fields) = fields
    {
        let justification = match &options.justification {
            Some(j) => j.clone(),
            None => format!("pimctl apply {}: {}", plan.id, change.reason),
        };
        fields.insert("justification".into(), justification.into());
        if let Some((system, number)) = &options.ticket {
            let ticket = crate::graph::TicketInfo {
                ticket_number: Some(number.clone()),
                ticket_system: Some(system.clone()),
            };
            fields.insert(
                "ticketInfo".into(),
                serde_json::to_value(ticket).unwrap_or_default(),
            );
        }
    }
    let write_to = async |path: &str, sent: &mut Vec<Sent>| {
        let result = match (op.method, arm) {
            (Method::Patch, None) => client.patch_json(path, &body).await,
            (Method::Post, None) => client.post_json(path, &body).await,
            (Method::Put, None) => client.put_json(path, &body).await,
            (Method::Delete, None) => client.delete(path).await.map(|()| None),
            (Method::Patch, Some(arm)) => arm.patch_json(path, &body).await,
            (Method::Put, Some(arm)) => arm.put_json(path, &body).await,
            (m, Some(_)) => Err(ClientError::Invalid(format!(
                "{} {path}: not a write Azure Resource Manager takes here",
                m.as_str()
            ))),
        };
        sent.push(record(
            op.method.as_str(),
            path.to_string(),
            body.clone(),
            &result,
        ));
        result
    };
    let write = async |sent: &mut Vec<Sent>| write_to(&op.path, sent).await;
    if let (Meaning::PatchRule { .. }, Some(arm)) = (&op.meaning, arm) {
        let result = match write(sent).await {
            // The whole rule is sent: sending it again after a lost answer can only set the same values.
            Err(e) if e.is_ambiguous() => write(sent).await,
            other => other,
        };
        result?;
        // ARM: read the policy back; a rule that did not land is sent once more, then the change fails
        // (azurerm#28913).
        let mut missing = adapter_arm::rules_missing(arm, op).await?;
        if !missing.is_empty() {
            write(sent).await?;
            missing = adapter_arm::rules_missing(arm, op).await?;
        }
        if !missing.is_empty() {
            return Err(ClientError::Invalid(format!(
                "PATCH {}: the policy read back does not hold the rule(s) sent: {}",
                op.path,
                missing.join(", ")
            )));
        }
        return Ok(Done::Applied);
    }
    let (target, principal, kind, action, end) = match &op.meaning {
        Meaning::Assignment {
            target,
            principal,
            kind,
            action,
            end,
        } => (target, principal, kind, action, end),
        Meaning::Review { target, write: w } => {
            use crate::plan::ReviewWrite;
            let result = write(sent).await;
            let gone = |e: &ClientError| e.status() == Some(404);
            return match (w, result) {
                (_, Ok(_)) => Ok(Done::Applied),
                // Deleting what is already gone is done (an earlier attempt may have deleted it).
                (ReviewWrite::Delete { .. }, Err(e)) if gone(&e) => Ok(Done::Already),
                (ReviewWrite::Delete { .. }, Err(e)) if e.is_ambiguous() => match write(sent).await
                {
                    Err(e) if !gone(&e) => Err(e),
                    _ => Ok(Done::Applied),
                },
                // The whole object is sent: sending it again can only set the same values.
                (ReviewWrite::Update { .. }, Err(e)) if e.is_ambiguous() => {
                    write(sent).await.map(|_| Done::Applied)
                }
                // A create may have been carried out: look before sending it again, so that no review is made twice.
                (ReviewWrite::Create, Err(e)) if e.is_ambiguous() => {
                    match adapter::review_in_effect(client, target, &body).await {
                        Ok(true) => Ok(Done::Applied),
                        Ok(false) => write(sent).await.map(|_| Done::Applied),
                        Err(_) => Err(e),
                    }
                }
                (_, Err(e)) => Err(e),
            };
        }
        Meaning::PatchRule { rule, .. } => {
            // A policy this apply already found moved (its group was onboarded by an earlier write) is written
            // under its new id at once.
            let old = adapter::policy_of(op).map(str::to_lowercase);
            let known = old.as_ref().and_then(|o| lock(moved).get(o).cloned());
            let path = known.map_or_else(|| op.path.clone(), |id| rule_path(&id, rule.as_str()));
            let mut result = write_to(&path, sent).await;
            // The whole rule is sent: sending it again after a lost answer can only set the same values.
            if matches!(&result, Err(e) if e.is_ambiguous()) {
                result = write_to(&path, sent).await;
            }
            return match result {
                // The policy is gone: a group's first write in this apply onboarded it, and its policies took new
                // ids. The same rule goes to the policy the tenant now holds for the same target.
                Err(e) if e.status() == Some(404) && path == op.path => {
                    match adapter::moved_policy(client, op).await {
                        Ok(Some(id)) => {
                            if let Some(old) = old {
                                lock(moved).insert(old, id.clone());
                            }
                            write_to(&rule_path(&id, rule.as_str()), sent)
                                .await
                                .map(|_| Done::Applied)
                        }
                        _ => Err(e),
                    }
                }
                other => other.map(|_| Done::Applied),
            };
        }
    };
    let result = write(sent).await;
    let in_effect = async || match arm {
        Some(arm) => adapter_arm::in_effect(arm, target, principal, *kind, action, *end).await,
        None => adapter::in_effect(client, target, principal, *kind, action, *end).await,
    };
    // `RoleAssignmentExists` (or `…DoesNotExist` on a removal) counts as done only when the tenant holds what the
    // request wanted. An assignment of another end date, or an activation in progress (Graph refuses an active
    // assignment beside one), is not the declared state: the change fails, with the tenant's answer.
    let confirm = async |e: ClientError| match in_effect().await {
        Ok(true) => Ok(Done::Already),
        _ => Err(e),
    };
    match result {
        Ok(_) => Ok(Done::Applied),
        Err(e) if adapter::already(action, &e) => confirm(e).await,
        // The request may have been carried out: read the tenant before sending it again.
        Err(e) if e.is_ambiguous() => match in_effect().await {
            Ok(true) => Ok(Done::Applied),
            Ok(false) => {
                let again = write(sent).await;
                match again {
                    Ok(_) => Ok(Done::Applied),
                    Err(e) if adapter::already(action, &e) => confirm(e).await,
                    Err(e) => Err(e),
                }
            }
            Err(_) => Err(e),
        },
        Err(e) => Err(e),
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
