//! The tenant and its lifecycle: requests become schedules, schedules give instances, and the clock decides what is
//! in effect. Everything here is plain data and pure transitions on it, so it can be tested without HTTP.

mod groups;
mod requests;

pub use requests::{Submission, resolve_schedule};

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

/// Which PIM API a schedule or request belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Surface {
    /// Microsoft Entra roles (`/roleManagement/directory/...`).
    #[default]
    DirectoryRole,
    /// PIM for Groups (`/identityGovernance/privilegedAccess/group/...`).
    Group,
}

/// What a policy and its schedules hang on: a surface, a scope within it and a role there. Directory roles: a role
/// definition id at the directory scope `/`. Groups: `member` or `owner` (the access id) of a group id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub surface: Surface,
    /// The role definition id, or the group access id.
    pub role: String,
    /// The directory scope id, or the group id.
    pub scope: String,
}

impl Target {
    /// A directory role at the tenant scope `/`.
    pub fn directory_role(role_id: &str) -> Self {
        Target {
            surface: Surface::DirectoryRole,
            role: role_id.to_string(),
            scope: "/".into(),
        }
    }
    /// Membership or ownership of a group.
    pub fn group(group_id: &str, access: AccessId) -> Self {
        Target {
            surface: Surface::Group,
            role: access.as_str().to_string(),
            scope: group_id.to_string(),
        }
    }
    /// The id a new schedule made by request `request_id` gets: the request's id for directory roles (as in
    /// Microsoft's examples), `{groupId}_{accessId}_{requestId}` for groups (digest §7).
    pub fn schedule_id(&self, request_id: &str) -> String {
        match self.surface {
            Surface::DirectoryRole => request_id.to_string(),
            Surface::Group => format!("{}_{}_{request_id}", self.scope, self.role),
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
        let t = self.frozen.unwrap_or_else(|| {
            Utc::now()
                .checked_add_signed(chrono::Duration::milliseconds(self.offset_ms))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        });
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
    /// Moves the clock on by `d`. `false` (and the clock unchanged) when that would pass the last instant a date
    /// can hold.
    #[must_use]
    pub fn advance(&mut self, d: chrono::Duration) -> bool {
        let Some(to) = self.now().checked_add_signed(d) else {
            return false;
        };
        match &mut self.frozen {
            Some(f) => *f = to,
            None => self.offset_ms = self.offset_ms.saturating_add(d.num_milliseconds()),
        }
        true
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
    /// Member object ids, outside PIM (PIM adds its active members: [`State::group_holders`]).
    pub members: Vec<String>,
    /// Owner object ids, outside PIM.
    #[serde(default)]
    pub owners: Vec<String>,
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
    #[serde(default)]
    pub surface: Surface,
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
    /// The rest of the target: directory roles or groups.
    #[serde(default)]
    pub surface: Surface,
    /// The role definition id; for groups, the access id (`member` or `owner`).
    pub role_definition_id: String,
    /// The directory scope id; for groups, the group id.
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
        match (self.surface, self.level) {
            (Surface::DirectoryRole, Level::Assignment) => format!("{}-1", self.id),
            (Surface::DirectoryRole, Level::Eligibility) => format!("{}-1-e", self.id),
            // `{groupId}_{accessId}_{guid}`, with a guid of its own (digest §7).
            (Surface::Group, _) => self
                .target()
                .schedule_id(&det_uuid(&[&self.id, "instance"])),
        }
    }
    /// What the schedule grants.
    pub fn target(&self) -> Target {
        Target {
            surface: self.surface,
            role: self.role_definition_id.clone(),
            scope: self.directory_scope_id.clone(),
        }
    }
    /// Gives `principal` the target at this level.
    pub fn grants(&self, level: Level, principal: &str, target: &Target) -> bool {
        self.level == level
            && self.surface == target.surface
            && eq(&self.principal_id, principal)
            && eq(&self.role_definition_id, &target.role)
            && self.directory_scope_id == target.scope
    }
}

/// The whole tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub tenant_id: String,
    pub domain: String,
    /// The organization's display name (`GET /organization`); the domain when unset.
    #[serde(default)]
    pub tenant_name: Option<String>,
    pub clock: Clock,
    pub users: Vec<User>,
    pub groups: Vec<GroupRec>,
    pub service_principals: Vec<ServicePrincipal>,
    pub roles: Vec<UnifiedRoleDefinition>,
    pub policies: Vec<PolicyRec>,
    pub requests: Vec<RequestRec>,
    pub schedules: Vec<Schedule>,
    /// The tenant's commercial subscriptions (`GET /subscribedSkus`).
    #[serde(default)]
    pub subscribed_skus: Vec<SubscribedSku>,
    /// Access review definitions, as Graph answers them (see `emulator::reviews`).
    #[serde(default)]
    pub access_reviews: Vec<crate::graph::review::AccessReviewScheduleDefinition>,
    /// Who answered a review's instances (definition id → reviewer's user id), seeded: the emulator has no
    /// reviewer, so without an entry nobody answers (see `emulator::reviews::decisions`).
    #[serde(default)]
    pub review_answers: std::collections::BTreeMap<String, String>,
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
            tenant_name: None,
            clock: Clock::default(),
            users: vec![],
            groups: vec![],
            service_principals: vec![],
            roles: vec![],
            policies: vec![],
            requests: vec![],
            schedules: vec![],
            subscribed_skus: vec![],
            access_reviews: vec![],
            review_answers: Default::default(),
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
        // ARM purges its schedule requests too (azurerm#24118, #25811); the schedules stay.
        self.arm.requests.retain(|r| r.created > horizon);
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
        self.policy_for(&Target::directory_role(role_id))
    }
    /// The policy that governs a target.
    pub fn policy_for(&self, target: &Target) -> Option<&PolicyRec> {
        self.policies
            .iter()
            .find(|p| p.policy.scope_id == target.scope && eq(&p.role_definition_id, &target.role))
    }
    /// A rule of a directory role's policy.
    pub fn rule(&self, role_id: &str, id: RuleId) -> Option<&PolicyRule> {
        self.target_rule(&Target::directory_role(role_id), id)
    }
    /// A rule of the policy that governs a target.
    pub fn target_rule(&self, target: &Target, id: RuleId) -> Option<&PolicyRule> {
        self.policy_for(target)?
            .rules
            .iter()
            .find(|r| r.id() == id.as_str())
    }
    /// The activation maximum of a role (`Expiration_EndUser_Assignment.maximumDuration`).
    pub fn activation_max(&self, role_id: &str) -> Duration {
        self.target_activation_max(&Target::directory_role(role_id))
    }
    /// The activation maximum of a target (`Expiration_EndUser_Assignment.maximumDuration`; 8 hours if unset).
    pub fn target_activation_max(&self, target: &Target) -> Duration {
        match self.target_rule(target, RuleId::ExpirationEndUserAssignment) {
            Some(PolicyRule::Expiration(e)) => e.maximum_duration,
            _ => None,
        }
        .unwrap_or(Duration::from_hours(8))
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
    ) -> ApiResult<String> {
        self.patch_rules(policy_id, &[(rule_id, body)], PatchMode::Api, caller, now)
    }

    /// Applies several rule patches to one policy, all or none, and returns the id of the policy patched: the
    /// untouched policy of a group not yet onboarded is stored under its lasting id first (a policy update onboards
    /// the group; digest §2), unless the patch fails.
    pub fn patch_rules(
        &mut self,
        policy_id: &str,
        patches: &[(&str, &serde_json::Value)],
        mode: PatchMode,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<String> {
        let stored = self.policies.len();
        let pi = self
            .policy_for_update(policy_id)
            .ok_or_else(|| ApiError::not_found("policy", policy_id))?;
        let patched = self.patch_stored_rules(pi, patches, mode, caller, now);
        if patched.is_err() {
            self.policies.truncate(stored);
        }
        patched.map(|()| self.policies[pi].policy.id.clone())
    }

    fn patch_stored_rules(
        &mut self,
        pi: usize,
        patches: &[(&str, &serde_json::Value)],
        mode: PatchMode,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<()> {
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

fn rule_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("The policy rule id {id} is invalid."),
    )
}
