//! The tenant and its lifecycle: requests become schedules, schedules give instances, and the clock decides what is
//! in effect. Everything here is plain data and pure transitions on it, so it can be tested without HTTP.

use super::enforce::{Evidence, Rules};
use super::http::{ApiError, ApiResult};
use super::ids::det_uuid;
use super::rules::{DirectoryLookup, PatchMode, merge_rule};
use crate::duration::Duration;
use crate::graph::defaults::default_rules;
use crate::graph::*;
use crate::model::RuleId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

type Dt = DateTime<Utc>;

/// Requests are purged this long after they were created; schedules stay.
pub const REQUEST_RETENTION_DAYS: i64 = 45;

/// A principal of the tenant, borrowed (see [`State::principal_index`]).
#[derive(Debug, Clone, Copy)]
pub enum ObjectRef<'a> {
    User(&'a User),
    Group(&'a Group),
    ServicePrincipal(&'a ServicePrincipal),
}

impl ObjectRef<'_> {
    pub fn to_object(self) -> DirectoryObject {
        match self {
            ObjectRef::User(u) => DirectoryObject::User(u.clone()),
            ObjectRef::Group(g) => DirectoryObject::Group(g.clone()),
            ObjectRef::ServicePrincipal(s) => DirectoryObject::ServicePrincipal(s.clone()),
        }
    }
    pub fn type_name(self) -> &'static str {
        match self {
            ObjectRef::User(_) => "user",
            ObjectRef::Group(_) => "group",
            ObjectRef::ServicePrincipal(_) => "servicePrincipal",
        }
    }
}

/// Eligible or active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    Eligibility,
    Assignment,
}

impl Level {
    pub fn rule_level(self) -> &'static str {
        match self {
            Level::Eligibility => "Eligibility",
            Level::Assignment => "Assignment",
        }
    }
}

/// The emulator's clock: real time plus an offset, or frozen at an instant. Millisecond precision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub offset_ms: i64,
    pub frozen: Option<Dt>,
}

impl Clock {
    pub fn now(&self) -> Dt {
        let t = self
            .frozen
            .unwrap_or_else(|| Utc::now() + chrono::Duration::milliseconds(self.offset_ms));
        truncate_ms(t)
    }
    /// Sets the time; `freeze` stops it there.
    pub fn set(&mut self, t: Dt, freeze: bool) {
        if freeze {
            self.frozen = Some(truncate_ms(t));
        } else {
            self.frozen = None;
            self.offset_ms = (t - Utc::now()).num_milliseconds();
        }
    }
    pub fn advance(&mut self, d: chrono::Duration) {
        match &mut self.frozen {
            Some(f) => *f += d,
            None => self.offset_ms = self.offset_ms.saturating_add(d.num_milliseconds()),
        }
    }
}

fn truncate_ms(t: Dt) -> Dt {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The admin application (any bearer token that is not `emulator:user:...`).
    App,
    /// A signed-in user; `mfa` is false for `emulator:user:<id>:nomfa`.
    User { id: String, mfa: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    pub group: Group,
    /// Member object ids.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRec {
    /// Without rules.
    pub policy: UnifiedRoleManagementPolicy,
    pub role_definition_id: String,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRec {
    pub level: Level,
    pub request: UnifiedRoleScheduleRequest,
    /// For activations: the eligibility schedule used.
    pub eligibility_schedule_id: Option<String>,
}

/// An eligible or active assignment over time (the intent); instances are derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: String,
    pub level: Level,
    pub principal_id: String,
    pub role_definition_id: String,
    pub directory_scope_id: String,
    /// Active assignments only.
    pub assignment_type: Option<AssignmentType>,
    pub created_using: String,
    pub created: Dt,
    pub modified: Option<Dt>,
    pub start: Dt,
    pub expiration: ExpirationPattern,
    pub end: Option<Dt>,
    /// Activations: the eligibility schedule they came from.
    pub activated_using: Option<String>,
    /// Made outside PIM (the legacy role assignment API, an old portal blade): Graph shows such a schedule with
    /// no `createdUsing` and no start time. Seeded only (`outside_pim: true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_pim: bool,
}

impl Schedule {
    /// Not yet ended (it may start in the future).
    pub fn live(&self, now: Dt) -> bool {
        self.end.is_none_or(|e| e > now)
    }
    /// In effect now.
    pub fn active(&self, now: Dt) -> bool {
        self.start <= now && self.live(now)
    }
    pub fn instance_id(&self) -> String {
        match self.level {
            Level::Assignment => format!("{}-1", self.id),
            Level::Eligibility => format!("{}-1-e", self.id),
        }
    }
}

/// The whole tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub tenant_id: String,
    pub domain: String,
    pub clock: Clock,
    pub users: Vec<User>,
    pub groups: Vec<GroupRec>,
    pub service_principals: Vec<ServicePrincipal>,
    pub roles: Vec<UnifiedRoleDefinition>,
    pub policies: Vec<PolicyRec>,
    pub requests: Vec<RequestRec>,
    pub schedules: Vec<Schedule>,
    /// Source of new ids (deterministic).
    pub counter: u64,
    /// Azure resources and their PIM state (ARM).
    #[serde(default)]
    pub arm: super::arm::ArmState,
}

impl DirectoryLookup for State {
    fn user_exists(&self, id: &str) -> bool {
        self.user(id).is_some()
    }
    fn group_exists(&self, id: &str) -> bool {
        self.group(id).is_some()
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl State {
    /// A tenant with every built-in role and its default policy, and nobody in it.
    pub fn new(tenant_id: &str, domain: &str) -> Self {
        let mut s = State {
            tenant_id: tenant_id.to_string(),
            domain: domain.to_string(),
            clock: Clock::default(),
            users: vec![],
            groups: vec![],
            service_principals: vec![],
            roles: vec![],
            policies: vec![],
            requests: vec![],
            schedules: vec![],
            counter: 0,
            arm: Default::default(),
        };
        for r in crate::catalog::builtin_roles() {
            s.add_role(UnifiedRoleDefinition {
                id: r.template_id.clone(),
                description: r.description.clone(),
                display_name: Some(r.display_name.clone()),
                is_built_in: Some(true),
                is_enabled: Some(true),
                resource_scopes: vec!["/".into()],
                template_id: Some(r.template_id.clone()),
                version: Some("1".into()),
                role_permissions: vec![UnifiedRolePermission::default()],
                inherits_permissions_from: Some(vec![]),
            });
        }
        s
    }

    /// Adds a role definition and its default policy.
    pub fn add_role(&mut self, role: UnifiedRoleDefinition) {
        let pid = format!(
            "DirectoryRole_{}_{}",
            self.tenant_id,
            det_uuid(&[&self.tenant_id, "policy", &role.id.to_lowercase()])
        );
        self.policies.push(PolicyRec {
            policy: UnifiedRoleManagementPolicy {
                id: pid,
                display_name: "DirectoryRole".into(),
                description: "DirectoryRole".into(),
                is_organization_default: Some(false),
                scope_id: "/".into(),
                scope_type: "DirectoryRole".into(),
                last_modified_date_time: None,
                last_modified_by: Some(Identity::default()),
                rules: None,
                effective_rules: None,
            },
            role_definition_id: role.id.clone(),
            rules: default_rules(),
        });
        self.roles.push(role);
    }

    pub fn now(&self) -> Dt {
        self.clock.now()
    }

    pub fn next_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        det_uuid(&[&self.tenant_id, kind, &self.counter.to_string()])
    }

    /// Moves time-driven state forward: purges old requests and marks started schedules' requests provisioned.
    pub fn tick(&mut self, now: Dt) {
        let horizon = now - chrono::Duration::days(REQUEST_RETENTION_DAYS);
        self.requests
            .retain(|r| r.request.created_date_time.is_none_or(|c| c > horizon));
        // Runs before every request: the set of started schedules is built only when a request waits for one.
        if !self
            .requests
            .iter()
            .any(|r| r.request.status == RequestStatus::Granted)
        {
            return;
        }
        let started: std::collections::HashSet<&str> = self
            .schedules
            .iter()
            .filter(|s| s.start <= now)
            .map(|s| s.id.as_str())
            .collect();
        for r in &mut self.requests {
            if r.request.status == RequestStatus::Granted
                && r.request
                    .target_schedule_id
                    .as_deref()
                    .is_some_and(|t| started.contains(t))
            {
                r.request.status = RequestStatus::Provisioned;
            }
        }
    }

    // -- lookups --------------------------------------------------------------------------------------------------

    pub fn role(&self, id: &str) -> Option<&UnifiedRoleDefinition> {
        self.roles.iter().find(|r| eq(&r.id, id))
    }
    pub fn user(&self, id_or_upn: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            eq(&u.id, id_or_upn)
                || u.user_principal_name
                    .as_deref()
                    .is_some_and(|n| eq(n, id_or_upn))
        })
    }
    pub fn group(&self, id: &str) -> Option<&GroupRec> {
        self.groups.iter().find(|g| eq(&g.group.id, id))
    }
    pub fn service_principal(&self, id: &str) -> Option<&ServicePrincipal> {
        self.service_principals.iter().find(|s| eq(&s.id, id))
    }
    pub fn principal(&self, id: &str) -> Option<DirectoryObject> {
        if let Some(u) = self.users.iter().find(|u| eq(&u.id, id)) {
            return Some(DirectoryObject::User(u.clone()));
        }
        if let Some(g) = self.group(id) {
            return Some(DirectoryObject::Group(g.group.clone()));
        }
        self.service_principal(id)
            .map(|s| DirectoryObject::ServicePrincipal(s.clone()))
    }
    pub fn principal_type(&self, id: &str) -> Option<&'static str> {
        if self.users.iter().any(|u| eq(&u.id, id)) {
            return Some("user");
        }
        if self.group(id).is_some() {
            return Some("group");
        }
        self.service_principal(id).map(|_| "servicePrincipal")
    }
    /// Every principal by lower-cased id: one pass, for requests that type or expand many schedules. The index
    /// borrows the tenant; only the objects a page shows are copied ([`ObjectRef::to_object`]).
    pub fn principal_index(&self) -> std::collections::HashMap<String, ObjectRef<'_>> {
        let users = self
            .users
            .iter()
            .map(|u| (u.id.to_lowercase(), ObjectRef::User(u)));
        let groups = self
            .groups
            .iter()
            .map(|g| (g.group.id.to_lowercase(), ObjectRef::Group(&g.group)));
        let sps = self
            .service_principals
            .iter()
            .map(|s| (s.id.to_lowercase(), ObjectRef::ServicePrincipal(s)));
        users.chain(groups).chain(sps).collect()
    }
    pub fn policy(&self, id: &str) -> Option<&PolicyRec> {
        self.policies.iter().find(|p| eq(&p.policy.id, id))
    }
    pub fn policy_for_role(&self, role_id: &str) -> Option<&PolicyRec> {
        self.policies
            .iter()
            .find(|p| eq(&p.role_definition_id, role_id))
    }
    pub fn rule(&self, role_id: &str, id: RuleId) -> Option<&PolicyRule> {
        self.policy_for_role(role_id)?
            .rules
            .iter()
            .find(|r| r.id() == id.as_str())
    }
    /// A role's policy rules, read for enforcement ([`super::enforce`]).
    fn rules_of(&self, role_id: &str) -> Rules<'_> {
        Rules(
            self.policy_for_role(role_id)
                .map(|p| p.rules.as_slice())
                .unwrap_or_default(),
        )
    }
    /// The activation maximum of a role (`Expiration_EndUser_Assignment.maximumDuration`).
    pub fn activation_max(&self, role_id: &str) -> Duration {
        self.rules_of(role_id).activation_max()
    }

    fn find_schedule(
        &self,
        level: Level,
        principal: &str,
        role: &str,
        scope: &str,
        pred: impl Fn(&Schedule) -> bool,
    ) -> Option<usize> {
        self.schedules.iter().position(|s| {
            s.level == level
                && eq(&s.principal_id, principal)
                && eq(&s.role_definition_id, role)
                && s.directory_scope_id == scope
                && pred(s)
        })
    }

    // -- schedule requests ----------------------------------------------------------------------------------------

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

    /// Handles `POST .../roleEligibilityScheduleRequests` or `.../roleAssignmentScheduleRequests`.
    pub fn submit(
        &mut self,
        level: Level,
        body: NewScheduleRequest,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<UnifiedRoleScheduleRequest> {
        use ScheduleRequestAction as A;
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
        let principal = self.principal(&body.principal_id).ok_or_else(|| {
            ApiError::new(
                400,
                "SubjectNotFound",
                format!("The principal '{}' was not found.", body.principal_id),
            )
        })?;
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
        if matches!(body.action, A::SelfActivate | A::SelfDeactivate) && level == Level::Eligibility
        {
            return Err(ApiError::bad_request(format!(
                "The action '{}' is not supported on roleEligibilityScheduleRequests.",
                body.action
            )));
        }
        if body.action == A::UnknownFutureValue {
            return Err(ApiError::bad_request(
                "The action 'unknownFutureValue' is not supported.",
            ));
        }
        if matches!(
            body.action,
            A::SelfActivate | A::SelfDeactivate | A::SelfExtend | A::SelfRenew
        ) {
            match caller {
                Caller::User { id, .. } if eq(id, &principal_id) => {}
                Caller::User { .. } => {
                    return Err(ApiError::new(
                        403,
                        "Forbidden",
                        "A self action must name the signed-in user as principalId.",
                    ));
                }
                Caller::App => {
                    return Err(ApiError::new(
                        403,
                        "Forbidden",
                        format!(
                            "The action '{}' needs a signed-in user; call with the bearer token 'emulator:user:<objectId>'.",
                            body.action
                        ),
                    ));
                }
            }
        }

        let id = self.next_id("request");
        let mut req = UnifiedRoleScheduleRequest {
            id: id.clone(),
            status: RequestStatus::Provisioned,
            created_date_time: Some(now),
            completed_date_time: Some(now),
            approval_id: None,
            custom_data: body.custom_data.clone(),
            action: body.action,
            principal_id: principal_id.clone(),
            role_definition_id: role_id.clone(),
            directory_scope_id: Some(scope.clone()),
            app_scope_id: None,
            is_validation_only: body.is_validation_only == Some(true),
            target_schedule_id: None,
            justification: body.justification.clone(),
            created_by: Some(self.created_by(caller)),
            schedule_info: None,
            ticket_info: Some(body.ticket_info.clone().unwrap_or_default()),
        };
        let evidence = Evidence::new(
            body.justification.as_deref(),
            body.ticket_info
                .as_ref()
                .and_then(|t| t.ticket_number.as_deref()),
            !matches!(caller, Caller::User { mfa: false, .. }),
        );
        let validation_only = req.is_validation_only;
        let live = |s: &Schedule| s.live(now);

        match body.action {
            A::AdminAssign | A::AdminUpdate | A::AdminExtend | A::AdminRenew => {
                let (start, expiration, end) =
                    resolve_schedule(body.schedule_info.as_ref(), now, None)?;
                let existing = match body.action {
                    A::AdminAssign => None,
                    A::AdminRenew => {
                        self.find_schedule(level, &principal_id, &role_id, &scope, |s| {
                            s.assignment_type != Some(AssignmentType::Activated)
                        })
                    }
                    _ => self.find_schedule(level, &principal_id, &role_id, &scope, |s| {
                        live(s) && s.assignment_type != Some(AssignmentType::Activated)
                    }),
                };
                if body.action == A::AdminAssign {
                    if self
                        .find_schedule(level, &principal_id, &role_id, &scope, live)
                        .is_some()
                    {
                        // Graph answers a duplicate with 400 RoleAssignmentExists, "The Role assignment already
                        // exists." (hashicorp/terraform-provider-azuread#1306, digest §10).
                        return Err(ApiError::new(
                            400,
                            "RoleAssignmentExists",
                            "The Role assignment already exists.",
                        ));
                    }
                } else if existing.is_none() {
                    return Err(does_not_exist());
                }
                let failed = self
                    .rules_of(&role_id)
                    .admin_failures(level, start, end, evidence);
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
                if validation_only {
                    return Ok(req);
                }
                let target = match existing {
                    Some(i) => {
                        let s = &mut self.schedules[i];
                        s.start = start;
                        s.expiration = expiration;
                        s.end = end;
                        s.modified = Some(now);
                        s.id.clone()
                    }
                    None => {
                        self.schedules.push(Schedule {
                            id: id.clone(),
                            level,
                            principal_id,
                            role_definition_id: role_id,
                            directory_scope_id: scope,
                            assignment_type: (level == Level::Assignment)
                                .then_some(AssignmentType::Assigned),
                            created_using: id.clone(),
                            created: now,
                            modified: None,
                            start,
                            expiration,
                            end,
                            activated_using: None,
                            outside_pim: false,
                        });
                        id.clone()
                    }
                };
                req.target_schedule_id = Some(target);
            }
            A::AdminRemove => {
                let i = self
                    .find_schedule(level, &principal_id, &role_id, &scope, live)
                    .ok_or_else(does_not_exist)?;
                // The published adminRemove response: status Revoked, no schedule, no target, not completed.
                req.status = RequestStatus::Revoked;
                req.completed_date_time = None;
                if !validation_only {
                    self.schedules.remove(i);
                }
            }
            A::SelfActivate => {
                let max = self.activation_max(&role_id);
                let elig = self
                    .find_schedule(Level::Eligibility, &principal_id, &role_id, &scope, |s| {
                        s.active(now)
                    })
                    .map(|i| self.schedules[i].clone());
                let Some(elig) = elig else {
                    return Err(ApiError::policy_failed(&["EligibilityRule"]));
                };
                if self
                    .find_schedule(Level::Assignment, &principal_id, &role_id, &scope, live)
                    .is_some()
                {
                    return Err(ApiError::new(
                        400,
                        "RoleAssignmentExists",
                        "The Role assignment already exists.",
                    ));
                }
                if self.requests.iter().any(|r| {
                    r.level == Level::Assignment
                        && r.request.status == RequestStatus::PendingApproval
                        && eq(&r.request.principal_id, &principal_id)
                        && eq(&r.request.role_definition_id, &role_id)
                }) {
                    // PendingRoleAssignmentRequest: same PIM error table as RoleNotFound above.
                    return Err(ApiError::new(
                        400,
                        "PendingRoleAssignmentRequest",
                        "A request for this role assignment is already pending approval.",
                    ));
                }
                let (start, expiration, end) =
                    resolve_schedule(body.schedule_info.as_ref(), now, Some(max))?;
                let rules = self.rules_of(&role_id);
                let failed = rules.activation_failures(start, end, evidence);
                let needs_approval = rules.approval().is_approval_required == Some(true);
                if !failed.is_empty() {
                    return Err(ApiError::policy_failed(&failed));
                }
                // An activation never outlives the eligibility it comes from.
                let end = match (end, elig.end) {
                    (Some(a), Some(b)) if b < a => Some(b),
                    (a, _) => a,
                };
                req.schedule_info = Some(RequestSchedule {
                    start_date_time: Some(start),
                    recurrence: None,
                    expiration: Some(expiration.clone()),
                });
                if validation_only {
                    return Ok(req);
                }
                if needs_approval {
                    req.status = RequestStatus::PendingApproval;
                    req.completed_date_time = None;
                    req.approval_id = Some(self.next_id("approval"));
                    self.requests.push(RequestRec {
                        level,
                        request: req.clone(),
                        eligibility_schedule_id: Some(elig.id.clone()),
                    });
                    return Ok(req);
                }
                self.activate(&mut req, &elig.id, start, expiration, end, now);
            }
            A::SelfDeactivate => {
                let i = self
                    .find_schedule(Level::Assignment, &principal_id, &role_id, &scope, |s| {
                        live(s) && s.assignment_type == Some(AssignmentType::Activated)
                    })
                    .ok_or_else(does_not_exist)?;
                req.status = RequestStatus::Revoked;
                if !validation_only {
                    self.schedules.remove(i);
                }
            }
            A::SelfExtend | A::SelfRenew => {
                let renew = body.action == A::SelfRenew;
                let existing = self.find_schedule(level, &principal_id, &role_id, &scope, |s| {
                    (renew || live(s)) && s.assignment_type != Some(AssignmentType::Activated)
                });
                if existing.is_none() {
                    return Err(does_not_exist());
                }
                let (start, expiration, _) =
                    resolve_schedule(body.schedule_info.as_ref(), now, None)?;
                req.schedule_info = Some(RequestSchedule {
                    start_date_time: Some(start),
                    recurrence: None,
                    expiration: Some(expiration),
                });
                req.status = RequestStatus::PendingAdminDecision;
                req.completed_date_time = None;
                req.approval_id = Some(self.next_id("approval"));
            }
            A::UnknownFutureValue => unreachable!("rejected above"),
        }
        if !validation_only && req.status != RequestStatus::PendingApproval {
            self.requests.push(RequestRec {
                level,
                request: req.clone(),
                eligibility_schedule_id: None,
            });
        }
        Ok(req)
    }

    fn activate(
        &mut self,
        req: &mut UnifiedRoleScheduleRequest,
        elig_id: &str,
        start: Dt,
        expiration: ExpirationPattern,
        end: Option<Dt>,
        now: Dt,
    ) {
        self.schedules.push(Schedule {
            id: req.id.clone(),
            level: Level::Assignment,
            principal_id: req.principal_id.clone(),
            role_definition_id: req.role_definition_id.clone(),
            directory_scope_id: req.directory_scope_id.clone().unwrap_or_else(|| "/".into()),
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
        req.target_schedule_id = Some(req.id.clone());
        if start > now {
            req.status = RequestStatus::Granted;
            req.completed_date_time = Some(start);
        } else {
            req.status = RequestStatus::Provisioned;
            req.completed_date_time = Some(now);
        }
    }

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
                let max = self.activation_max(&req.role_definition_id);
                let (start, expiration, end) = resolve_schedule(info.as_ref(), now, Some(max))?;
                let end = match (end, elig.end) {
                    (Some(a), Some(b)) if b < a => Some(b),
                    (a, _) => a,
                };
                self.activate(&mut req, &elig.id, start, expiration, end, now);
            }
            RequestStatus::PendingAdminDecision => {
                let level = rec.level;
                let renew = req.action == ScheduleRequestAction::SelfRenew;
                let scope = req.directory_scope_id.clone().unwrap_or_else(|| "/".into());
                let (start, expiration, end) = resolve_schedule(info.as_ref(), now, None)?;
                let pos = self.find_schedule(
                    level,
                    &req.principal_id,
                    &req.role_definition_id,
                    &scope,
                    |s| {
                        (renew || s.live(now))
                            && s.assignment_type != Some(AssignmentType::Activated)
                    },
                );
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
    pub fn cancel(&mut self, level: Level, id: &str, now: Dt) -> ApiResult<()> {
        let i = self
            .requests
            .iter()
            .position(|r| r.level == level && eq(&r.request.id, id))
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

    // -- policies -------------------------------------------------------------------------------------------------

    /// `PATCH /policies/roleManagementPolicies/{id}/rules/{ruleId}`.
    pub fn patch_rule(
        &mut self,
        policy_id: &str,
        rule_id: &str,
        body: &serde_json::Value,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<()> {
        self.patch_rules(policy_id, &[(rule_id, body)], PatchMode::Api, caller, now)
    }

    /// Applies several rule patches to one policy, all or none.
    pub fn patch_rules(
        &mut self,
        policy_id: &str,
        patches: &[(&str, &serde_json::Value)],
        mode: PatchMode,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<()> {
        let pi = self
            .policies
            .iter()
            .position(|p| eq(&p.policy.id, policy_id))
            .ok_or_else(|| ApiError::not_found("policy", policy_id))?;
        let mut rules = self.policies[pi].rules.clone();
        for (rule_id, body) in patches {
            let id = RuleId::ALL
                .into_iter()
                .find(|r| eq(r.as_str(), rule_id))
                .ok_or_else(|| rule_not_found(rule_id))?;
            let ri = rules
                .iter()
                .position(|r| r.id() == id.as_str())
                .ok_or_else(|| rule_not_found(rule_id))?;
            rules[ri] = merge_rule(id, &rules[ri], body, mode, self)?;
        }
        let who = match caller {
            Caller::App => Some("pimctl emulator admin".to_string()),
            Caller::User { id, .. } => self.user(id).and_then(|u| u.display_name.clone()),
        };
        let p = &mut self.policies[pi];
        p.rules = rules;
        if mode == PatchMode::Api {
            p.policy.last_modified_date_time = Some(now);
            p.policy.last_modified_by = Some(Identity {
                display_name: who,
                id: None,
            });
        }
        Ok(())
    }

    // -- rendering ------------------------------------------------------------------------------------------------

    pub fn render_eligibility_schedule(&self, s: &Schedule) -> UnifiedRoleEligibilitySchedule {
        UnifiedRoleEligibilitySchedule {
            id: s.id.clone(),
            principal_id: s.principal_id.clone(),
            role_definition_id: s.role_definition_id.clone(),
            directory_scope_id: Some(s.directory_scope_id.clone()),
            app_scope_id: None,
            created_using: Some(s.created_using.clone()),
            created_date_time: Some(s.created),
            modified_date_time: s.modified,
            status: Some("Provisioned".into()),
            member_type: Some(MemberType::Direct),
            schedule_info: Some(schedule_info(s)),
            principal: None,
        }
    }

    pub fn render_assignment_schedule(&self, s: &Schedule) -> UnifiedRoleAssignmentSchedule {
        UnifiedRoleAssignmentSchedule {
            id: s.id.clone(),
            principal_id: s.principal_id.clone(),
            role_definition_id: s.role_definition_id.clone(),
            directory_scope_id: Some(s.directory_scope_id.clone()),
            app_scope_id: None,
            created_using: (!s.outside_pim).then(|| s.created_using.clone()),
            created_date_time: Some(s.created),
            modified_date_time: s.modified,
            status: Some("Provisioned".into()),
            assignment_type: s.assignment_type,
            member_type: Some(MemberType::Direct),
            schedule_info: Some(schedule_info(s)),
            principal: None,
        }
    }

    pub fn render_eligibility_instance(
        &self,
        s: &Schedule,
    ) -> UnifiedRoleEligibilityScheduleInstance {
        UnifiedRoleEligibilityScheduleInstance {
            id: s.instance_id(),
            principal_id: s.principal_id.clone(),
            role_definition_id: s.role_definition_id.clone(),
            directory_scope_id: Some(s.directory_scope_id.clone()),
            app_scope_id: None,
            start_date_time: Some(s.start),
            end_date_time: s.end,
            member_type: Some(MemberType::Direct),
            role_eligibility_schedule_id: Some(s.id.clone()),
        }
    }

    pub fn render_assignment_instance(
        &self,
        s: &Schedule,
    ) -> UnifiedRoleAssignmentScheduleInstance {
        // Published instances of permanent assignments carry no start and no end.
        let permanent = s.end.is_none();
        UnifiedRoleAssignmentScheduleInstance {
            id: s.instance_id(),
            principal_id: s.principal_id.clone(),
            role_definition_id: s.role_definition_id.clone(),
            directory_scope_id: Some(s.directory_scope_id.clone()),
            app_scope_id: None,
            start_date_time: (!permanent).then_some(s.start),
            end_date_time: s.end,
            assignment_type: s.assignment_type,
            member_type: Some(MemberType::Direct),
            role_assignment_origin_id: Some(s.instance_id()),
            role_assignment_schedule_id: Some(s.id.clone()),
        }
    }

    /// Schedules of a level that have not ended, oldest first.
    pub fn live_schedules(&self, level: Level, now: Dt) -> impl Iterator<Item = &Schedule> {
        self.schedules
            .iter()
            .filter(move |s| s.level == level && s.live(now))
    }

    /// Schedules of a level in effect now (their instances).
    pub fn active_schedules(&self, level: Level, now: Dt) -> impl Iterator<Item = &Schedule> {
        self.schedules
            .iter()
            .filter(move |s| s.level == level && s.active(now))
    }
}

fn schedule_info(s: &Schedule) -> RequestSchedule {
    RequestSchedule {
        start_date_time: (!s.outside_pim).then_some(s.start),
        recurrence: None,
        expiration: Some(s.expiration.clone()),
    }
}

/// The answer to updating, extending or removing an assignment that does not exist: 400
/// `RoleAssignmentDoesNotExist`. Source: the PIM error table in microsoftgraph/microsoft-graph-docs-contrib
/// api-reference/beta/api/governanceroleassignmentrequest-post.md ("RoleAssignmentDoesNotExist: the role assignment
/// requested to be updated/extended doesn't exist in the system"), and field reports that v1.0 answers an
/// adminRemove of a missing assignment with the same code (a public PowerShell PIM module's handling of
/// "RoleAssignmentDoesNotExist" answers to adminRemove, measured live against Microsoft Graph).
fn does_not_exist() -> ApiError {
    ApiError::new(
        400,
        "RoleAssignmentDoesNotExist",
        "The Role assignment does not exist.",
    )
}

fn rule_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("The policy rule id {id} is invalid."),
    )
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
