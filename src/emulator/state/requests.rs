//! Schedule requests: what a surface's POST becomes once its names are resolved ([`Submission`]), and how PIM
//! handles it whatever the surface, by concern: who may ask ([`State::check_caller`]), what the policy demands
//! ([`Evidence`] and [`Rules`], shared with the ARM side in [`crate::emulator::enforce`]), and the schedule transitions of each action (admin writes,
//! removal, activation, deactivation, self extension and renewal), then approval, denial and cancellation.

use super::{Caller, Level, RequestRec, Schedule, State, Surface, Target, eq};
use crate::duration::Duration;
use crate::emulator::enforce::{Evidence, Rules};
use crate::emulator::http::{ApiError, ApiResult};
use crate::emulator::ids::det_uuid;
use crate::graph::*;
use chrono::{DateTime, Utc};

type Dt = DateTime<Utc>;

/// A schedule request after its surface has checked it and resolved its names: the same for every surface.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub level: Level,
    pub target: Target,
    /// The principal's object id, as the tenant spells it.
    pub principal_id: String,
    pub action: ScheduleRequestAction,
    pub schedule_info: Option<RequestSchedule>,
    pub justification: Option<String>,
    pub ticket_info: Option<TicketInfo>,
    pub is_validation_only: bool,
    pub custom_data: Option<String>,
}

/// What the caller brought (justification, ticket, MFA), read the way every surface reads it.
fn evidence_of(sub: &Submission, caller: &Caller) -> Evidence {
    Evidence::new(
        sub.justification.as_deref(),
        sub.ticket_info
            .as_ref()
            .and_then(|t| t.ticket_number.as_deref()),
        !matches!(caller, Caller::User { mfa: false, .. }),
    )
}

/// The answer to updating, extending or removing an assignment that does not exist: 400
/// `RoleAssignmentDoesNotExist`. Source: the PIM error table in microsoftgraph/microsoft-graph-docs-contrib
/// api-reference/beta/api/governanceroleassignmentrequest-post.md ("RoleAssignmentDoesNotExist: the role assignment
/// requested to be updated/extended doesn't exist in the system"), and field reports that v1.0 answers an
/// adminRemove of a missing assignment with the same code (a public PowerShell PIM module's handling of
/// "RoleAssignmentDoesNotExist" answers to adminRemove, measured live against Microsoft Graph).
pub(super) fn does_not_exist() -> ApiError {
    ApiError::new(
        400,
        "RoleAssignmentDoesNotExist",
        "The Role assignment does not exist.",
    )
}

/// Graph answers a duplicate with 400 RoleAssignmentExists, "The Role assignment already exists."
/// (hashicorp/terraform-provider-azuread#1306, digest §10).
fn already_exists() -> ApiError {
    ApiError::new(
        400,
        "RoleAssignmentExists",
        "The Role assignment already exists.",
    )
}

impl State {
    /// Handles `POST .../roleEligibilityScheduleRequests` or `.../roleAssignmentScheduleRequests`.
    pub fn submit(
        &mut self,
        level: Level,
        body: NewScheduleRequest,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<UnifiedRoleScheduleRequest> {
        let sub = self.directory_submission(level, body)?;
        self.submit_checked(sub, caller, now)
    }

    /// Checks a directory-role request and resolves its role and principal.
    fn directory_submission(
        &self,
        level: Level,
        body: NewScheduleRequest,
    ) -> ApiResult<Submission> {
        let scope = match (&body.directory_scope_id, &body.app_scope_id) {
            (Some(d), _) => d.clone(),
            (None, Some(_)) => {
                return Err(ApiError::new(
                    400,
                    "notSupported",
                    "The emulator supports directoryScopeId '/' only; appScopeId is not supported.",
                ));
            }
            (None, None) => {
                return Err(ApiError::bad_request(
                    "Either directoryScopeId or appScopeId is required.",
                ));
            }
        };
        if scope != "/" {
            return Err(ApiError::new(
                400,
                "notSupported",
                format!("The emulator supports directoryScopeId '/' only, not '{scope}'."),
            ));
        }
        // Error codes for an unknown role or principal: RoleNotFound and SubjectNotFound, from the PIM error
        // table in microsoftgraph/microsoft-graph-docs-contrib api-reference/beta/api/governanceroleassignmentrequest-post.md.
        let role_id = self
            .role(&body.role_definition_id)
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "RoleNotFound",
                    format!(
                        "The role definition '{}' was not found.",
                        body.role_definition_id
                    ),
                )
            })?;
        let principal = self.subject(&body.principal_id)?;
        let principal_id = principal.id().to_string();
        match &principal {
            DirectoryObject::Group(g) if g.is_assignable_to_role != Some(true) => {
                return Err(ApiError::bad_request(format!(
                    "The group '{principal_id}' is not role-assignable (isAssignableToRole is false); only role-assignable groups can hold Microsoft Entra roles."
                )));
            }
            DirectoryObject::ServicePrincipal(_) if level == Level::Eligibility => {
                return Err(ApiError::bad_request(
                    "Service principals can only have active role assignments, not eligible ones.",
                ));
            }
            _ => {}
        }
        if matches!(
            body.action,
            ScheduleRequestAction::SelfActivate | ScheduleRequestAction::SelfDeactivate
        ) && level == Level::Eligibility
        {
            return Err(ApiError::bad_request(format!(
                "The action '{}' is not supported on roleEligibilityScheduleRequests.",
                body.action
            )));
        }
        Ok(Submission {
            level,
            target: Target {
                surface: Surface::DirectoryRole,
                role: role_id,
                scope,
            },
            principal_id,
            action: body.action,
            schedule_info: body.schedule_info,
            justification: body.justification,
            ticket_info: body.ticket_info,
            is_validation_only: body.is_validation_only == Some(true),
            custom_data: body.custom_data,
        })
    }

    /// The principal a request names, or 400 `SubjectNotFound`.
    pub(crate) fn subject(&self, id: &str) -> ApiResult<DirectoryObject> {
        self.principal(id).ok_or_else(|| {
            ApiError::new(
                400,
                "SubjectNotFound",
                format!("The principal '{id}' was not found."),
            )
        })
    }

    /// Carries out a checked request: the caller, the policy, then the action's transition. Returns the request as
    /// Graph answers it (and records it, unless it only validates).
    pub(crate) fn submit_checked(
        &mut self,
        sub: Submission,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<UnifiedRoleScheduleRequest> {
        use ScheduleRequestAction as A;
        self.check_caller(&sub, caller)?;
        let mut req = self.new_request(&sub, caller, now);
        let evidence = evidence_of(&sub, caller);
        match sub.action {
            A::AdminAssign | A::AdminUpdate | A::AdminExtend | A::AdminRenew => {
                self.admin_write(&sub, &evidence, &mut req, now)?
            }
            A::AdminRemove => self.admin_remove(&sub, &mut req, now)?,
            A::SelfActivate => self.self_activate(&sub, &evidence, &mut req, now)?,
            A::SelfDeactivate => self.self_deactivate(&sub, &mut req, now)?,
            A::SelfExtend | A::SelfRenew => self.self_extend(&sub, &mut req, now)?,
            A::UnknownFutureValue => unreachable!("refused by check_caller"),
        }
        // A request pending approval was recorded by the activation, with its eligibility.
        if !sub.is_validation_only && req.status != RequestStatus::PendingApproval {
            self.requests.push(RequestRec {
                level: sub.level,
                surface: sub.target.surface,
                request: req.clone(),
                eligibility_schedule_id: None,
            });
        }
        Ok(req)
    }

    /// Who may ask for what: self actions need the signed-in principal itself.
    fn check_caller(&self, sub: &Submission, caller: &Caller) -> ApiResult<()> {
        use ScheduleRequestAction as A;
        if sub.action == A::UnknownFutureValue {
            return Err(ApiError::bad_request(
                "The action 'unknownFutureValue' is not supported.",
            ));
        }
        if !matches!(
            sub.action,
            A::SelfActivate | A::SelfDeactivate | A::SelfExtend | A::SelfRenew
        ) {
            return Ok(());
        }
        match caller {
            Caller::User { id, .. } if eq(id, &sub.principal_id) => Ok(()),
            Caller::User { .. } => Err(ApiError::new(
                403,
                "Forbidden",
                "A self action must name the signed-in user as principalId.",
            )),
            Caller::App => Err(ApiError::new(
                403,
                "Forbidden",
                format!(
                    "The action '{}' needs a signed-in user; call with the bearer token 'emulator:user:<objectId>'.",
                    sub.action
                ),
            )),
        }
    }

    /// The request as first answered: provisioned now, before the action's transition changes it.
    fn new_request(
        &mut self,
        sub: &Submission,
        caller: &Caller,
        now: Dt,
    ) -> UnifiedRoleScheduleRequest {
        let id = self.next_id("request");
        UnifiedRoleScheduleRequest {
            id,
            status: RequestStatus::Provisioned,
            created_date_time: Some(now),
            completed_date_time: Some(now),
            approval_id: None,
            custom_data: sub.custom_data.clone(),
            action: sub.action,
            principal_id: sub.principal_id.clone(),
            role_definition_id: sub.target.role.clone(),
            directory_scope_id: Some(sub.target.scope.clone()),
            app_scope_id: None,
            is_validation_only: sub.is_validation_only,
            target_schedule_id: None,
            justification: sub.justification.clone(),
            created_by: Some(self.created_by(caller)),
            schedule_info: None,
            ticket_info: Some(sub.ticket_info.clone().unwrap_or_default()),
        }
    }

    fn created_by(&self, caller: &Caller) -> IdentitySet {
        match caller {
            Caller::App => IdentitySet {
                application: Some(Identity {
                    display_name: Some("pimctl emulator admin".into()),
                    id: Some(det_uuid(&[&self.tenant_id, "admin-app"])),
                }),
                device: None,
                user: None,
            },
            Caller::User { id, .. } => IdentitySet {
                application: None,
                device: None,
                user: Some(Identity {
                    display_name: None,
                    id: Some(id.clone()),
                }),
            },
        }
    }

    // -- policy ---------------------------------------------------------------------------------------------------

    /// The rules of the policy that governs a target, read for enforcement ([`crate::emulator::enforce`]).
    fn rules_for(&self, target: &Target) -> Rules<'_> {
        Rules(
            self.policy_for(target)
                .map(|p| p.rules.as_slice())
                .unwrap_or_default(),
        )
    }

    // -- schedules ------------------------------------------------------------------------------------------------

    /// The first schedule of a level that gives `principal` the target and satisfies `pred`.
    pub(super) fn find_schedule(
        &self,
        level: Level,
        principal: &str,
        target: &Target,
        pred: impl Fn(&Schedule) -> bool,
    ) -> Option<usize> {
        self.schedules
            .iter()
            .position(|s| s.grants(level, principal, target) && pred(s))
    }

    /// `adminAssign`, `adminUpdate`, `adminExtend`, `adminRenew`: create or change a schedule.
    fn admin_write(
        &mut self,
        sub: &Submission,
        evidence: &Evidence,
        req: &mut UnifiedRoleScheduleRequest,
        now: Dt,
    ) -> ApiResult<()> {
        use ScheduleRequestAction as A;
        let (level, target, principal) = (sub.level, &sub.target, &sub.principal_id);
        let (start, expiration, end) = resolve_schedule(sub.schedule_info.as_ref(), now, None)?;
        let not_activated = |s: &Schedule| s.assignment_type != Some(AssignmentType::Activated);
        let existing = match sub.action {
            A::AdminAssign => {
                if self
                    .find_schedule(level, principal, target, |s| s.live(now))
                    .is_some()
                {
                    return Err(already_exists());
                }
                None
            }
            A::AdminRenew => Some(
                self.find_schedule(level, principal, target, not_activated)
                    .ok_or_else(does_not_exist)?,
            ),
            _ => Some(
                self.find_schedule(level, principal, target, |s| {
                    s.live(now) && not_activated(s)
                })
                .ok_or_else(does_not_exist)?,
            ),
        };
        let failed = self
            .rules_for(target)
            .admin_failures(level, start, end, *evidence);
        if !failed.is_empty() {
            return Err(ApiError::policy_failed(&failed));
        }
        req.schedule_info = Some(RequestSchedule {
            start_date_time: Some(start),
            recurrence: None,
            expiration: Some(expiration.clone()),
        });
        if start > now {
            req.status = RequestStatus::Granted;
            req.completed_date_time = Some(start);
        }
        if sub.is_validation_only {
            return Ok(());
        }
        let target_id = match existing {
            Some(i) => {
                let s = &mut self.schedules[i];
                s.start = start;
                s.expiration = expiration;
                s.end = end;
                s.modified = Some(now);
                s.id.clone()
            }
            None => {
                let id = target.schedule_id(&req.id);
                self.schedules.push(Schedule {
                    id: id.clone(),
                    level,
                    principal_id: principal.clone(),
                    surface: target.surface,
                    role_definition_id: target.role.clone(),
                    directory_scope_id: target.scope.clone(),
                    assignment_type: (level == Level::Assignment)
                        .then_some(AssignmentType::Assigned),
                    created_using: req.id.clone(),
                    created: now,
                    modified: None,
                    start,
                    expiration,
                    end,
                    activated_using: None,
                    outside_pim: false,
                });
                id
            }
        };
        req.target_schedule_id = Some(target_id);
        Ok(())
    }

    /// `adminRemove`: ends a live schedule at once.
    fn admin_remove(
        &mut self,
        sub: &Submission,
        req: &mut UnifiedRoleScheduleRequest,
        now: Dt,
    ) -> ApiResult<()> {
        let i = self
            .find_schedule(sub.level, &sub.principal_id, &sub.target, |s| s.live(now))
            .ok_or_else(does_not_exist)?;
        // The published adminRemove response: status Revoked, no schedule, no target, not completed.
        req.status = RequestStatus::Revoked;
        req.completed_date_time = None;
        if !sub.is_validation_only {
            self.schedules.remove(i);
        }
        Ok(())
    }

    /// `selfActivate`: an eligible principal activates, within the activation rules, perhaps pending approval.
    fn self_activate(
        &mut self,
        sub: &Submission,
        evidence: &Evidence,
        req: &mut UnifiedRoleScheduleRequest,
        now: Dt,
    ) -> ApiResult<()> {
        let (target, principal) = (&sub.target, &sub.principal_id);
        let max = self.target_activation_max(target);
        let Some(elig) = self
            .find_schedule(Level::Eligibility, principal, target, |s| s.active(now))
            .map(|i| self.schedules[i].clone())
        else {
            return Err(ApiError::policy_failed(&["EligibilityRule"]));
        };
        if self
            .find_schedule(Level::Assignment, principal, target, |s| s.live(now))
            .is_some()
        {
            return Err(already_exists());
        }
        if self.requests.iter().any(|r| {
            r.level == Level::Assignment
                && r.request.status == RequestStatus::PendingApproval
                && r.surface == target.surface
                && eq(&r.request.principal_id, principal)
                && eq(&r.request.role_definition_id, &target.role)
                && r.request.directory_scope_id.as_deref() == Some(target.scope.as_str())
        }) {
            // PendingRoleAssignmentRequest: same PIM error table as RoleNotFound.
            return Err(ApiError::new(
                400,
                "PendingRoleAssignmentRequest",
                "A request for this role assignment is already pending approval.",
            ));
        }
        let (start, expiration, end) =
            resolve_schedule(sub.schedule_info.as_ref(), now, Some(max))?;
        let rules = self.rules_for(target);
        let failed = rules.activation_failures(start, end, *evidence);
        let needs_approval = rules.approval().is_approval_required == Some(true);
        if !failed.is_empty() {
            return Err(ApiError::policy_failed(&failed));
        }
        // An activation never outlives the eligibility it comes from.
        let end = earliest(end, elig.end);
        req.schedule_info = Some(RequestSchedule {
            start_date_time: Some(start),
            recurrence: None,
            expiration: Some(expiration.clone()),
        });
        if sub.is_validation_only {
            return Ok(());
        }
        if needs_approval {
            req.status = RequestStatus::PendingApproval;
            req.completed_date_time = None;
            req.approval_id = Some(self.next_id("approval"));
            self.requests.push(RequestRec {
                level: sub.level,
                surface: target.surface,
                request: req.clone(),
                eligibility_schedule_id: Some(elig.id.clone()),
            });
            return Ok(());
        }
        self.activate(req, target, &elig.id, (start, expiration, end), now);
        Ok(())
    }

    /// `selfDeactivate`: ends the principal's live activation.
    fn self_deactivate(
        &mut self,
        sub: &Submission,
        req: &mut UnifiedRoleScheduleRequest,
        now: Dt,
    ) -> ApiResult<()> {
        let i = self
            .find_schedule(Level::Assignment, &sub.principal_id, &sub.target, |s| {
                s.live(now) && s.assignment_type == Some(AssignmentType::Activated)
            })
            .ok_or_else(does_not_exist)?;
        req.status = RequestStatus::Revoked;
        if !sub.is_validation_only {
            self.schedules.remove(i);
        }
        Ok(())
    }

    /// `selfExtend`, `selfRenew`: wait for an admin decision (approved through the control endpoint).
    fn self_extend(
        &mut self,
        sub: &Submission,
        req: &mut UnifiedRoleScheduleRequest,
        now: Dt,
    ) -> ApiResult<()> {
        let renew = sub.action == ScheduleRequestAction::SelfRenew;
        if self
            .find_schedule(sub.level, &sub.principal_id, &sub.target, |s| {
                (renew || s.live(now)) && s.assignment_type != Some(AssignmentType::Activated)
            })
            .is_none()
        {
            return Err(does_not_exist());
        }
        let (start, expiration, _) = resolve_schedule(sub.schedule_info.as_ref(), now, None)?;
        req.schedule_info = Some(RequestSchedule {
            start_date_time: Some(start),
            recurrence: None,
            expiration: Some(expiration),
        });
        req.status = RequestStatus::PendingAdminDecision;
        req.completed_date_time = None;
        req.approval_id = Some(self.next_id("approval"));
        Ok(())
    }

    /// Creates the activated assignment of an approved or unconditional activation.
    fn activate(
        &mut self,
        req: &mut UnifiedRoleScheduleRequest,
        target: &Target,
        elig_id: &str,
        (start, expiration, end): (Dt, ExpirationPattern, Option<Dt>),
        now: Dt,
    ) {
        let id = target.schedule_id(&req.id);
        self.schedules.push(Schedule {
            id: id.clone(),
            level: Level::Assignment,
            principal_id: req.principal_id.clone(),
            surface: target.surface,
            role_definition_id: target.role.clone(),
            directory_scope_id: target.scope.clone(),
            assignment_type: Some(AssignmentType::Activated),
            created_using: req.id.clone(),
            created: now,
            modified: None,
            start,
            expiration,
            end,
            activated_using: Some(elig_id.to_string()),
            outside_pim: false,
        });
        req.target_schedule_id = Some(id);
        if start > now {
            req.status = RequestStatus::Granted;
            req.completed_date_time = Some(start);
        } else {
            req.status = RequestStatus::Provisioned;
            req.completed_date_time = Some(now);
        }
    }

    // -- decisions ------------------------------------------------------------------------------------------------

    fn request_index(&self, id: &str) -> Option<usize> {
        self.requests.iter().position(|r| eq(&r.request.id, id))
    }

    /// Approves a request pending approval (an activation) or an admin decision (a self extension or renewal).
    pub fn approve(&mut self, id: &str, now: Dt) -> ApiResult<UnifiedRoleScheduleRequest> {
        let i = self
            .request_index(id)
            .ok_or_else(|| ApiError::not_found("request", id))?;
        let rec = self.requests[i].clone();
        let mut req = rec.request.clone();
        let info = req.schedule_info.clone();
        let target = Target {
            surface: rec.surface,
            role: req.role_definition_id.clone(),
            scope: req.directory_scope_id.clone().unwrap_or_else(|| "/".into()),
        };
        match req.status {
            RequestStatus::PendingApproval => {
                let elig_id = rec.eligibility_schedule_id.clone().unwrap_or_default();
                let elig = self
                    .schedules
                    .iter()
                    .find(|s| s.id == elig_id && s.active(now))
                    .cloned();
                let Some(elig) = elig else {
                    req.status = RequestStatus::Failed;
                    req.completed_date_time = Some(now);
                    self.requests[i].request = req.clone();
                    return Ok(req);
                };
                let max = self.target_activation_max(&target);
                let (start, expiration, end) = resolve_schedule(info.as_ref(), now, Some(max))?;
                let end = earliest(end, elig.end);
                self.activate(&mut req, &target, &elig.id, (start, expiration, end), now);
            }
            RequestStatus::PendingAdminDecision => {
                let renew = req.action == ScheduleRequestAction::SelfRenew;
                let (start, expiration, end) = resolve_schedule(info.as_ref(), now, None)?;
                let pos = self.find_schedule(rec.level, &req.principal_id, &target, |s| {
                    (renew || s.live(now)) && s.assignment_type != Some(AssignmentType::Activated)
                });
                let Some(p) = pos else {
                    return Err(does_not_exist());
                };
                let s = &mut self.schedules[p];
                if renew {
                    s.start = start;
                }
                s.expiration = expiration;
                s.end = end;
                s.modified = Some(now);
                req.target_schedule_id = Some(s.id.clone());
                req.status = RequestStatus::Provisioned;
                req.completed_date_time = Some(now);
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "The request '{id}' is {other}, not pending approval."
                )));
            }
        }
        self.requests[i].request = req.clone();
        Ok(req)
    }

    /// Denies a pending request.
    pub fn deny(&mut self, id: &str, now: Dt) -> ApiResult<UnifiedRoleScheduleRequest> {
        let i = self
            .request_index(id)
            .ok_or_else(|| ApiError::not_found("request", id))?;
        let r = &mut self.requests[i].request;
        if !matches!(
            r.status,
            RequestStatus::PendingApproval | RequestStatus::PendingAdminDecision
        ) {
            return Err(ApiError::bad_request(format!(
                "The request '{id}' is {}, not pending approval.",
                r.status
            )));
        }
        r.status = RequestStatus::Denied;
        r.completed_date_time = Some(now);
        Ok(r.clone())
    }

    /// `POST .../{id}/cancel`: for requests that are Granted (not started yet) or still pending.
    pub fn cancel(&mut self, surface: Surface, level: Level, id: &str, now: Dt) -> ApiResult<()> {
        let i = self
            .requests
            .iter()
            .position(|r| r.surface == surface && r.level == level && eq(&r.request.id, id))
            .ok_or_else(|| ApiError::not_found("request", id))?;
        let status = self.requests[i].request.status;
        match status {
            RequestStatus::Granted => {
                if let Some(t) = self.requests[i].request.target_schedule_id.clone() {
                    self.schedules.retain(|s| !(s.id == t && s.start > now));
                }
            }
            RequestStatus::PendingApproval | RequestStatus::PendingAdminDecision => {}
            other => {
                return Err(ApiError::bad_request(format!(
                    "The request '{id}' is {other}; only requests that are Granted or pending approval can be canceled."
                )));
            }
        }
        let r = &mut self.requests[i].request;
        r.status = RequestStatus::Canceled;
        r.completed_date_time = Some(now);
        Ok(())
    }
}

/// The earlier of two ends, where `None` is never.
fn earliest(a: Option<Dt>, b: Option<Dt>) -> Option<Dt> {
    match (a, b) {
        (Some(a), Some(b)) if b < a => Some(b),
        (a, _) => a,
    }
}

/// Normalizes a requested schedule: start (a past or missing start becomes now), the expiration as Graph echoes
/// it, and the end. `default_duration` fills in a missing expiration (activations last the maximum by default);
/// without it a missing expiration means none.
pub fn resolve_schedule(
    info: Option<&RequestSchedule>,
    now: Dt,
    default_duration: Option<Duration>,
) -> ApiResult<(Dt, ExpirationPattern, Option<Dt>)> {
    if info.is_some_and(|i| i.recurrence.as_ref().is_some_and(|r| !r.is_null())) {
        return Err(ApiError::bad_request(
            "scheduleInfo.recurrence is not supported by Privileged Identity Management.",
        ));
    }
    let start = info
        .and_then(|i| i.start_date_time)
        .filter(|s| *s > now)
        .unwrap_or(now);
    let exp = info.and_then(|i| i.expiration.clone()).unwrap_or_default();
    let kind = match exp.kind {
        Some(ExpirationPatternType::NotSpecified) | None => {
            if exp.duration.is_some() {
                ExpirationPatternType::AfterDuration
            } else if exp.end_date_time.is_some() {
                ExpirationPatternType::AfterDateTime
            } else if default_duration.is_some() {
                ExpirationPatternType::AfterDuration
            } else {
                ExpirationPatternType::NoExpiration
            }
        }
        Some(k) => k,
    };
    let too_far = || ApiError::bad_request("scheduleInfo.expiration is out of range.");
    match kind {
        ExpirationPatternType::NoExpiration => {
            Ok((start, ExpirationPattern::no_expiration(), None))
        }
        ExpirationPatternType::AfterDateTime => {
            let end = exp.end_date_time.ok_or_else(|| {
                ApiError::bad_request(
                    "scheduleInfo.expiration.endDateTime is required with afterDateTime.",
                )
            })?;
            if end <= start {
                return Err(ApiError::bad_request(
                    "scheduleInfo.expiration.endDateTime must be after the start.",
                ));
            }
            Ok((start, ExpirationPattern::after_date_time(end), Some(end)))
        }
        ExpirationPatternType::AfterDuration => {
            if exp.end_date_time.is_some() {
                return Err(ApiError::bad_request(
                    "scheduleInfo.expiration: with a duration, endDateTime must be absent.",
                ));
            }
            let d = exp.duration.or(default_duration).ok_or_else(|| {
                ApiError::bad_request(
                    "scheduleInfo.expiration.duration is required with afterDuration.",
                )
            })?;
            if d.as_secs() == 0 || d.as_secs() > 3650 * 86400 {
                return Err(too_far());
            }
            let end = start
                .checked_add_signed(d.to_chrono())
                .ok_or_else(too_far)?;
            Ok((start, ExpirationPattern::after_duration(d), Some(end)))
        }
        ExpirationPatternType::NotSpecified => unreachable!("normalized above"),
    }
}
