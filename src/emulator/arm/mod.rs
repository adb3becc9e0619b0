//! The Azure Resource Manager side of the emulator: Azure resource roles through `Microsoft.Authorization`
//! (api-version `2020-10-01`), on the same port as Graph under `/subscriptions/...` and
//! `/providers/Microsoft.Management/managementGroups/...`.
//!
//! [`ArmState`] is part of the tenant ([`super::state::State::arm`]): the management groups, subscriptions,
//! resource groups and resources, custom Azure roles, the policies someone changed (every other scope and role has
//! Microsoft's untouched policy, [`crate::graph::arm::defaults`]), requests and schedules. Principals are the
//! tenant's users, groups and service principals. `routes` serves the HTTP side, `seed` reads the `azure:` section
//! of `tenant.yaml`, `control` the `/_emulator/azure/...` lifecycle (deleting and re-creating a resource group),
//! `hierarchy` the lists of the scopes below a scope (resource groups, management group descendants).

pub mod control;
pub mod hierarchy;
pub mod routes;
pub mod seed;

use super::enforce::{Evidence, Rules};
use super::http::{ApiError, ApiResult};
use super::ids::det_uuid;
use super::state::{Caller, Level, State};
use crate::graph::DirectoryObject;
use crate::graph::arm::defaults::default_arm_rules;
use crate::graph::arm::*;
use crate::model::RuleId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

type Dt = DateTime<Utc>;

/// A management group; `parent` is the name of the group above (none: below the tenant root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagementGroup {
    pub name: String,
    pub display_name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Lower-case GUID.
    pub id: String,
    pub display_name: String,
    pub management_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceGroup {
    pub subscription: String,
    pub name: String,
}

/// A custom Azure role, assignable at `assignable_scopes` and below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomAzureRole {
    /// Lower-case GUID.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub actions: Vec<String>,
    /// Canonical scope paths.
    pub assignable_scopes: Vec<String>,
}

/// A policy someone changed (scope and role), with all 17 rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmPolicyRec {
    /// Canonical scope path.
    pub scope: String,
    /// Role definition GUID.
    pub role: String,
    pub rules: Vec<ArmPolicyRule>,
    pub modified: Option<Dt>,
    pub modified_by: Option<String>,
}

/// A schedule request as it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmRequestRec {
    pub name: String,
    pub level: Level,
    pub scope: String,
    pub created: Dt,
    pub body: NewArmRequestProperties,
    /// The answer, `properties` only.
    pub answer: RequestCommon,
    pub target_schedule: Option<String>,
}

/// An eligible or active assignment at a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSchedule {
    pub name: String,
    pub level: Level,
    /// Canonical scope path.
    pub scope: String,
    pub principal_id: String,
    /// Role definition GUID.
    pub role: String,
    /// Active assignments: `Assigned` or `Activated`.
    pub assignment_type: Option<ArmAssignmentType>,
    pub request: Option<String>,
    /// Activations: the eligibility schedule used.
    pub linked_eligibility: Option<String>,
    pub created: Dt,
    pub updated: Dt,
    pub start: Dt,
    pub end: Option<Dt>,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
}

impl ArmSchedule {
    pub fn live(&self, now: Dt) -> bool {
        self.end.is_none_or(|e| e > now)
    }
    pub fn active(&self, now: Dt) -> bool {
        self.start <= now && self.live(now)
    }
}

/// The Azure side of the tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmState {
    pub management_groups: Vec<ManagementGroup>,
    pub subscriptions: Vec<Subscription>,
    pub resource_groups: Vec<ResourceGroup>,
    /// Canonical resource ids.
    pub resources: Vec<String>,
    pub custom_roles: Vec<CustomAzureRole>,
    pub policies: Vec<ArmPolicyRec>,
    pub requests: Vec<ArmRequestRec>,
    pub schedules: Vec<ArmSchedule>,
    /// Rules the next policy PATCHes leave out although they carry them, answering 200 (azurerm#28913, #32920,
    /// pulumi-azure#2737): rule id (lower case) and how many more PATCHes drop it. Set by `/_emulator/azure/drop-rule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_rules: Vec<(String, u32)>,
}

/// A role as the scope sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleInfo {
    pub guid: String,
    pub name: String,
    pub description: Option<String>,
    pub built_in: bool,
    pub actions: Vec<String>,
    pub assignable_scopes: Vec<String>,
}

impl RoleInfo {
    /// A custom role as every scope it is assignable at sees it.
    pub fn of(r: &CustomAzureRole) -> RoleInfo {
        RoleInfo {
            guid: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            built_in: false,
            actions: r.actions.clone(),
            assignable_scopes: r.assignable_scopes.clone(),
        }
    }
}

fn ieq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `{scope}/providers/Microsoft.Authorization/{collection}/{name}`.
pub fn resource_id(scope: &str, collection: &str, name: &str) -> String {
    format!("{scope}/providers/{PROVIDER}/{collection}/{name}")
}

impl ArmState {
    pub fn subscription(&self, id: &str) -> Option<&Subscription> {
        self.subscriptions.iter().find(|s| ieq(&s.id, id))
    }
    pub fn management_group(&self, name: &str) -> Option<&ManagementGroup> {
        self.management_groups.iter().find(|m| ieq(&m.name, name))
    }
    pub fn resource_group(&self, sub: &str, name: &str) -> Option<&ResourceGroup> {
        self.resource_groups
            .iter()
            .find(|r| ieq(&r.subscription, sub) && ieq(&r.name, name))
    }

    /// 404 in ARM's words when a scope does not exist.
    pub fn check_scope(&self, s: &ArmScope) -> ApiResult<()> {
        let sub_missing = |id: &str| {
            ApiError::new(
                404,
                "SubscriptionNotFound",
                format!("The subscription '{id}' could not be found."),
            )
        };
        match s {
            ArmScope::ManagementGroup(n) => self.management_group(n).map(|_| ()).ok_or_else(|| {
                ApiError::new(
                    404,
                    "ManagementGroupNotFound",
                    format!("The management group '{n}' could not be found."),
                )
            }),
            ArmScope::Subscription(id) => self
                .subscription(id)
                .map(|_| ())
                .ok_or_else(|| sub_missing(id)),
            ArmScope::ResourceGroup { subscription, name } => {
                self.subscription(subscription)
                    .ok_or_else(|| sub_missing(subscription))?;
                self.resource_group(subscription, name)
                    .map(|_| ())
                    .ok_or_else(|| {
                        ApiError::new(
                            404,
                            "ResourceGroupNotFound",
                            format!("Resource group '{name}' could not be found."),
                        )
                    })
            }
            ArmScope::Resource {
                resource_group,
                provider_path,
                ..
            } => {
                self.check_scope(&s.parent_in_path().unwrap_or_else(|| s.clone()))?;
                let key = s.key();
                if self.resources.iter().any(|r| r.to_ascii_lowercase() == key) {
                    Ok(())
                } else {
                    Err(ApiError::new(
                        404,
                        "ResourceNotFound",
                        format!(
                            "The Resource '{provider_path}' under resource group '{resource_group}' was not found."
                        ),
                    ))
                }
            }
        }
    }

    /// The scopes above `s`, nearest first: resource group, subscription, then its management groups up to the top.
    pub fn ancestors(&self, s: &ArmScope) -> Vec<ArmScope> {
        let mut out = vec![];
        let mut cur = s.clone();
        while let Some(p) = cur.parent_in_path() {
            out.push(p.clone());
            cur = p;
        }
        let mut mg = match &cur {
            ArmScope::Subscription(id) => self
                .subscription(id)
                .and_then(|x| x.management_group.clone()),
            ArmScope::ManagementGroup(n) => self.management_group(n).and_then(|m| m.parent.clone()),
            _ => None,
        };
        let mut guard = 0;
        while let Some(name) = mg {
            guard += 1;
            if guard > 10 {
                break; // ARM allows six levels below the root; the seed refuses cycles
            }
            out.push(ArmScope::ManagementGroup(name.clone()));
            mg = self.management_group(&name).and_then(|m| m.parent.clone());
        }
        out
    }

    /// Where `held` stands relative to the listed scope `at`: at it, above it, below it, or elsewhere.
    pub fn relation(&self, held: &ArmScope, at: &ArmScope) -> Relation {
        if held.key() == at.key() {
            Relation::At
        } else if self.ancestors(at).iter().any(|a| a.key() == held.key()) {
            Relation::Above
        } else if self.ancestors(held).iter().any(|a| a.key() == at.key()) {
            Relation::Below
        } else {
            Relation::Unrelated
        }
    }

    /// The display name ARM shows for a scope.
    pub fn display_name(&self, s: &ArmScope) -> String {
        match s {
            ArmScope::ManagementGroup(n) => self
                .management_group(n)
                .map(|m| m.display_name.clone())
                .unwrap_or_else(|| n.clone()),
            ArmScope::Subscription(id) => self
                .subscription(id)
                .map(|x| x.display_name.clone())
                .unwrap_or_else(|| id.clone()),
            ArmScope::ResourceGroup { name, .. } => name.clone(),
            ArmScope::Resource { provider_path, .. } => provider_path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// A role that can be assigned at `s`: a built-in, or a custom role assignable there or above.
    pub fn role_at(&self, s: &ArmScope, guid: &str) -> Option<RoleInfo> {
        if let Some(b) = crate::azure_catalog::lookup(guid) {
            return Some(RoleInfo {
                guid: b.role_definition_id.clone(),
                name: b.display_name.clone(),
                description: b.description.clone(),
                built_in: true,
                actions: vec![],
                assignable_scopes: vec!["/".into()],
            });
        }
        let mut visible = self.ancestors(s);
        visible.push(s.clone());
        self.custom_roles
            .iter()
            .find(|r| {
                ieq(&r.id, guid)
                    && r.assignable_scopes.iter().any(|a| {
                        ArmScope::parse(a).is_ok_and(|a| visible.iter().any(|v| v.key() == a.key()))
                    })
            })
            .map(RoleInfo::of)
    }

    /// Every role visible at `s`.
    pub fn roles_at(&self, s: &ArmScope) -> Vec<RoleInfo> {
        let mut out: Vec<RoleInfo> = crate::azure_catalog::builtin_roles()
            .iter()
            .filter_map(|b| self.role_at(s, &b.role_definition_id))
            .collect();
        out.extend(
            self.custom_roles
                .iter()
                .filter_map(|r| self.role_at(s, &r.id)),
        );
        out
    }

    /// The stored policy of a role at a scope, if someone changed it.
    pub fn policy_rec(&self, scope: &ArmScope, role: &str) -> Option<&ArmPolicyRec> {
        let key = scope.key();
        self.policies
            .iter()
            .find(|p| ieq(&p.role, role) && p.scope.eq_ignore_ascii_case(&key))
    }

    /// The rules of a role at a scope: as changed, else Microsoft's untouched policy.
    pub fn rules(&self, scope: &ArmScope, role: &str) -> Vec<ArmPolicyRule> {
        self.policy_rec(scope, role)
            .map(|p| p.rules.clone())
            .unwrap_or_else(default_arm_rules)
    }

    /// Deletes a resource group with everything scoped to it or below: resources, assignments, requests and the
    /// policies someone changed there. Re-creating it starts from Microsoft's defaults.
    pub fn delete_resource_group(&mut self, sub: &str, name: &str) -> bool {
        let Some(i) = self
            .resource_groups
            .iter()
            .position(|r| ieq(&r.subscription, sub) && ieq(&r.name, name))
        else {
            return false;
        };
        let rg = ArmScope::ResourceGroup {
            subscription: sub.to_ascii_lowercase(),
            name: self.resource_groups[i].name.clone(),
        };
        self.resource_groups.remove(i);
        let gone = |p: &str| ArmScope::parse(p).is_ok_and(|s| s.is_within(&rg));
        self.resources.retain(|r| !gone(r));
        self.schedules.retain(|s| !gone(&s.scope));
        self.requests.retain(|r| !gone(&r.scope));
        self.policies.retain(|p| !gone(&p.scope));
        true
    }

    /// Creates an empty resource group (`false` when it exists, or the subscription does not).
    pub fn create_resource_group(&mut self, sub: &str, name: &str) -> bool {
        if self.subscription(sub).is_none() || self.resource_group(sub, name).is_some() {
            return false;
        }
        self.resource_groups.push(ResourceGroup {
            subscription: sub.to_ascii_lowercase(),
            name: name.to_string(),
        });
        true
    }
}

/// Where an assignment's scope stands relative to the scope listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    At,
    Above,
    Below,
    Unrelated,
}

/// The full role definition id ARM writes at a scope: below the subscription for scopes in one, tenant level for
/// management groups.
pub fn role_definition_id(scope: &ArmScope, guid: &str) -> String {
    match scope.subscription_id() {
        Some(sub) => resource_id(&format!("/subscriptions/{sub}"), "roleDefinitions", guid),
        None => resource_id("", "roleDefinitions", guid),
    }
}

/// The name of the policy of a role at a scope (stable, so a policy keeps its id for as long as its scope exists).
pub fn policy_name(st: &State, scope: &ArmScope, role: &str) -> String {
    det_uuid(&[
        &st.tenant_id,
        "arm-policy",
        &scope.key(),
        &role.to_ascii_lowercase(),
    ])
}

fn principal_type(p: &DirectoryObject) -> PrincipalType {
    match p {
        DirectoryObject::User(_) => PrincipalType::User,
        DirectoryObject::Group(_) => PrincipalType::Group,
        DirectoryObject::ServicePrincipal(_) => PrincipalType::ServicePrincipal,
    }
}

/// `expandedProperties` of an object about `principal`, `role` at `scope`.
pub fn expanded(st: &State, scope: &ArmScope, role: &str, principal: &str) -> ExpandedProperties {
    let a = &st.arm;
    let role_ref = a.role_at(scope, role).map(|r| ArmObjectRef {
        id: Some(role_definition_id(scope, &r.guid)),
        display_name: Some(r.name),
        kind: Some(
            if r.built_in {
                "BuiltInRole"
            } else {
                "CustomRole"
            }
            .into(),
        ),
    });
    let p = st.principal(principal);
    ExpandedProperties {
        scope: Some(ArmObjectRef {
            id: Some(scope.path()),
            display_name: Some(a.display_name(scope)),
            kind: Some(scope.type_name()),
        }),
        role_definition: role_ref,
        principal: Some(ArmPrincipal {
            id: Some(principal.to_string()),
            display_name: p.as_ref().and_then(|p| match p {
                DirectoryObject::User(u) => u.display_name.clone(),
                DirectoryObject::Group(g) => g.display_name.clone(),
                DirectoryObject::ServicePrincipal(s) => s.display_name.clone(),
            }),
            email: p.as_ref().and_then(|p| match p {
                DirectoryObject::User(u) => u.mail.clone().or(u.user_principal_name.clone()),
                _ => None,
            }),
            kind: p.as_ref().map(|p| principal_type(p).as_str().to_string()),
        }),
    }
}

fn request_exists() -> ApiError {
    ApiError::new(
        409,
        "RoleAssignmentExists",
        "The Role assignment already exists.",
    )
}

fn does_not_exist() -> ApiError {
    ApiError::new(
        400,
        "RoleAssignmentDoesNotExist",
        "The Role assignment does not exist.",
    )
}

/// Resolves `scheduleInfo` to (start, end): a start in the past (or none) is now.
fn resolve(
    info: Option<&ScheduleInfo>,
    now: Dt,
    default: Option<crate::duration::Duration>,
) -> ApiResult<(Dt, Option<Dt>)> {
    let start = info
        .and_then(|i| i.start_date_time)
        .filter(|s| *s > now)
        .unwrap_or(now);
    let exp = info.and_then(|i| i.expiration.clone()).unwrap_or_default();
    let end = match exp.kind {
        Some(ExpirationType::NoExpiration) => None,
        Some(ExpirationType::AfterDateTime) => Some(exp.end_date_time.ok_or_else(|| {
            ApiError::bad_request("expiration.endDateTime is required with type AfterDateTime.")
        })?),
        Some(ExpirationType::AfterDuration) => {
            let d = exp.duration.ok_or_else(|| {
                ApiError::bad_request("expiration.duration is required with type AfterDuration.")
            })?;
            Some(start + d.to_chrono())
        }
        None => match (exp.end_date_time, exp.duration, default) {
            (Some(e), _, _) => Some(e),
            (None, Some(d), _) | (None, None, Some(d)) => Some(start + d.to_chrono()),
            (None, None, None) => None,
        },
    };
    if end.is_some_and(|e| e <= start) {
        return Err(ApiError::bad_request("The schedule ends before it starts."));
    }
    Ok((start, end))
}

/// Handles `PUT {scope}/providers/Microsoft.Authorization/role{Eligibility,Assignment}ScheduleRequests/{name}`.
/// A name already used at the scope for the same principal, role and request type is the same request: its first
/// answer is given again (200) and nothing is done twice.
pub fn submit(
    st: &mut State,
    level: Level,
    scope: &ArmScope,
    name: &str,
    body: NewArmRequestProperties,
    caller: &Caller,
    now: Dt,
) -> ApiResult<(u16, ArmRequestRec)> {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ApiError::new(
            400,
            "InvalidRoleAssignmentScheduleRequestName",
            format!("The request name '{name}' is not valid; it must be a GUID."),
        ));
    }
    let req_type = body
        .request_type
        .ok_or_else(|| ApiError::bad_request("The property 'requestType' is required."))?;
    let principal_id = body
        .principal_id
        .clone()
        .ok_or_else(|| ApiError::bad_request("The property 'principalId' is required."))?;
    let role_def = body
        .role_definition_id
        .clone()
        .ok_or_else(|| ApiError::bad_request("The property 'roleDefinitionId' is required."))?;
    if let Some(prev) = st.arm.requests.iter().find(|r| ieq(&r.name, name)) {
        let same = prev.level == level
            && ArmScope::parse(&prev.scope).is_ok_and(|s| s.key() == scope.key())
            && prev
                .body
                .principal_id
                .as_deref()
                .is_some_and(|p| ieq(p, &principal_id))
            && prev
                .body
                .role_definition_id
                .as_deref()
                .and_then(role_definition_guid)
                == role_definition_guid(&role_def)
            && prev.body.request_type == Some(req_type);
        return if same {
            Ok((200, prev.clone()))
        } else {
            Err(ApiError::new(
                409,
                "RoleAssignmentScheduleRequestNameConflict",
                format!(
                    "A request named '{name}' already exists with other properties; a new request needs a new name."
                ),
            ))
        };
    }
    let guid = role_definition_guid(&role_def).ok_or_else(|| {
        ApiError::bad_request(format!("The role definition id '{role_def}' is not valid."))
    })?;
    let role = st.arm.role_at(scope, &guid).ok_or_else(|| {
        ApiError::new(
            400,
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{guid}' does not exist."),
        )
    })?;
    let principal = st.principal(&principal_id).ok_or_else(|| {
        ApiError::new(
            400,
            "PrincipalNotFound",
            format!(
                "Principal {principal_id} does not exist in the directory {}.",
                st.tenant_id
            ),
        )
    })?;
    let principal_id = principal.id().to_string();
    if matches!(principal, DirectoryObject::ServicePrincipal(_)) && level == Level::Eligibility {
        return Err(ApiError::bad_request(
            "Service principals can only have active role assignments, not eligible ones.",
        ));
    }
    if body.condition.is_some() != body.condition_version.is_some() {
        return Err(ApiError::new(
            400,
            "InvalidConditionVersion",
            "condition and conditionVersion must be given together.",
        ));
    }
    use RequestType as T;
    if matches!(
        req_type,
        T::SelfActivate | T::SelfDeactivate | T::SelfExtend | T::SelfRenew
    ) {
        if level == Level::Eligibility && matches!(req_type, T::SelfActivate | T::SelfDeactivate) {
            return Err(ApiError::bad_request(format!(
                "The request type '{req_type}' is not supported on roleEligibilityScheduleRequests."
            )));
        }
        match caller {
            Caller::User { id, .. } if ieq(id, &principal_id) => {}
            _ => {
                return Err(ApiError::new(
                    403,
                    "AuthorizationFailed",
                    format!(
                        "The request type '{req_type}' must be made by the principal it names, signed in."
                    ),
                ));
            }
        }
    }
    let scope_path = scope.path();
    let rules: Vec<_> = st
        .arm
        .rules(scope, &guid)
        .iter()
        .map(|r| r.to_graph())
        .collect();
    let rules = Rules(&rules);
    let evidence = Evidence::new(
        body.justification.as_deref(),
        body.ticket_info
            .as_ref()
            .and_then(|t| t.ticket_number.as_deref()),
        !matches!(caller, Caller::User { mfa: false, .. }),
    );
    let find = |st: &State, lv: Level, pred: &dyn Fn(&ArmSchedule) -> bool| {
        st.arm.schedules.iter().position(|s| {
            s.level == lv
                && ieq(&s.principal_id, &principal_id)
                && ieq(&s.role, &guid)
                && ArmScope::parse(&s.scope).is_ok_and(|x| x.key() == scope.key())
                && pred(s)
        })
    };
    let mut status = ArmStatus::Provisioned;
    let mut target = None;
    let mut info = body.schedule_info.clone();
    match req_type {
        T::AdminAssign | T::AdminUpdate | T::AdminExtend | T::AdminRenew => {
            let (start, end) = resolve(body.schedule_info.as_ref(), now, None)?;
            let existing = match req_type {
                T::AdminAssign => {
                    if find(st, level, &|s| s.live(now)).is_some() {
                        return Err(request_exists());
                    }
                    None
                }
                T::AdminRenew => Some(
                    find(st, level, &|s| {
                        s.assignment_type != Some(ArmAssignmentType::Activated)
                    })
                    .ok_or_else(does_not_exist)?,
                ),
                _ => Some(
                    find(st, level, &|s| {
                        s.live(now) && s.assignment_type != Some(ArmAssignmentType::Activated)
                    })
                    .ok_or_else(does_not_exist)?,
                ),
            };
            let failed = rules.admin_failures(level, start, end, evidence);
            if !failed.is_empty() {
                return Err(ApiError::policy_failed(&failed));
            }
            if start > now {
                status = ArmStatus::Granted;
            }
            let sched = match existing {
                Some(i) => {
                    let s = &mut st.arm.schedules[i];
                    s.start = start;
                    s.end = end;
                    s.updated = now;
                    s.request = Some(name.to_string());
                    if body.condition.is_some() {
                        s.condition = body.condition.clone();
                        s.condition_version = body.condition_version.clone();
                    }
                    s.name.clone()
                }
                None => {
                    st.arm.schedules.push(ArmSchedule {
                        name: name.to_ascii_lowercase(),
                        level,
                        scope: scope_path.clone(),
                        principal_id: principal_id.clone(),
                        role: guid.clone(),
                        assignment_type: (level == Level::Assignment)
                            .then_some(ArmAssignmentType::Assigned),
                        request: Some(name.to_string()),
                        linked_eligibility: None,
                        created: now,
                        updated: now,
                        start,
                        end,
                        condition: body.condition.clone(),
                        condition_version: body.condition_version.clone(),
                    });
                    name.to_ascii_lowercase()
                }
            };
            target = Some(sched);
        }
        T::AdminRemove => {
            let i = find(st, level, &|s| {
                s.live(now) && s.assignment_type != Some(ArmAssignmentType::Activated)
            })
            .ok_or_else(does_not_exist)?;
            st.arm.schedules.remove(i);
            status = ArmStatus::Revoked;
            info = None;
        }
        T::SelfActivate => {
            let elig = st
                .arm
                .schedules
                .iter()
                .find(|s| {
                    s.level == Level::Eligibility
                        && ieq(&s.principal_id, &principal_id)
                        && ieq(&s.role, &guid)
                        && s.active(now)
                        && ArmScope::parse(&s.scope).is_ok_and(|h| {
                            matches!(st.arm.relation(&h, scope), Relation::At | Relation::Above)
                        })
                })
                .cloned();
            let Some(elig) = elig else {
                return Err(ApiError::policy_failed(&["EligibilityRule"]));
            };
            if find(st, Level::Assignment, &|s| s.live(now)).is_some() {
                return Err(request_exists());
            }
            let (start, end) = resolve(
                body.schedule_info.as_ref(),
                now,
                Some(rules.activation_max()),
            )?;
            let failed = rules.activation_failures(start, end, evidence);
            if !failed.is_empty() {
                return Err(ApiError::policy_failed(&failed));
            }
            if rules.approval().is_approval_required == Some(true) {
                status = ArmStatus::PendingApproval;
            } else {
                let end = match (end, elig.end) {
                    (Some(a), Some(b)) if b < a => Some(b),
                    (a, _) => a,
                };
                st.arm.schedules.push(ArmSchedule {
                    name: name.to_ascii_lowercase(),
                    level: Level::Assignment,
                    scope: scope_path.clone(),
                    principal_id: principal_id.clone(),
                    role: guid.clone(),
                    assignment_type: Some(ArmAssignmentType::Activated),
                    request: Some(name.to_string()),
                    linked_eligibility: Some(elig.name.clone()),
                    created: now,
                    updated: now,
                    start,
                    end,
                    condition: elig.condition.clone(),
                    condition_version: elig.condition_version.clone(),
                });
                target = Some(name.to_ascii_lowercase());
            }
        }
        T::SelfDeactivate => {
            let i = find(st, Level::Assignment, &|s| {
                s.live(now) && s.assignment_type == Some(ArmAssignmentType::Activated)
            })
            .ok_or_else(does_not_exist)?;
            st.arm.schedules.remove(i);
            status = ArmStatus::Revoked;
        }
        T::SelfExtend | T::SelfRenew => {
            status = ArmStatus::PendingAdminDecision;
        }
    }
    let _ = role;
    let answer = RequestCommon {
        scope: Some(scope_path.clone()),
        role_definition_id: Some(role_definition_id(scope, &guid)),
        principal_id: Some(principal_id.clone()),
        principal_type: Some(principal_type(&principal)),
        request_type: Some(req_type),
        status: Some(status),
        approval_id: (status == ArmStatus::PendingApproval)
            .then(|| det_uuid(&[&st.tenant_id, "arm-approval", name])),
        schedule_info: info,
        ticket_info: Some(body.ticket_info.clone().unwrap_or_default()),
        justification: body.justification.clone(),
        requestor_id: Some(match caller {
            Caller::User { id, .. } => id.clone(),
            Caller::App => det_uuid(&[&st.tenant_id, "admin-app"]),
        }),
        created_on: Some(now),
        condition: body.condition.clone(),
        condition_version: body.condition_version.clone(),
        expanded_properties: Some(expanded(st, scope, &guid, &principal_id)),
    };
    let rec = ArmRequestRec {
        name: name.to_ascii_lowercase(),
        level,
        scope: scope_path,
        created: now,
        body,
        answer,
        target_schedule: target,
    };
    st.arm.requests.push(rec.clone());
    Ok((201, rec))
}

/// Checks a PATCH of a policy's rules and applies it. Each rule given replaces the fields it carries; the rest of
/// the policy stays. Refused as ARM refuses: a wrong policy name (`InputPolicyNotFound`, caller's job), an
/// `enabledRules` value a rule does not support (`InvalidPolicyEnabledRules`, azurerm#33068), a `maximumDuration`
/// sent with `isExpirationRequired: false` (400, EasyPIM#272), and every check the Graph side makes
/// ([`super::rules::merge_rule`]).
pub fn patch_policy(
    st: &mut State,
    scope: &ArmScope,
    role: &str,
    patch: &serde_json::Value,
    caller: &Caller,
    now: Dt,
) -> ApiResult<()> {
    use serde_json::Value;
    let rules_in = patch
        .get("properties")
        .and_then(|p| p.get("rules"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidRequestContent",
                "The request content must be {\"properties\": {\"rules\": [...]}}.",
            )
        })?;
    let mut rules = st.arm.rules(scope, role);
    let mut dropped = vec![];
    for raw in rules_in {
        let merged = merge_arm_rule(st, &rules, raw, true)?;
        if st
            .arm
            .drop_rules
            .iter()
            .any(|(id, n)| *n > 0 && ieq(id, merged.id()))
        {
            dropped.push(merged.id().to_ascii_lowercase());
            continue;
        }
        let i = rules
            .iter()
            .position(|r| r.id() == merged.id())
            .unwrap_or(rules.len());
        if i == rules.len() {
            rules.push(merged);
        } else {
            rules[i] = merged;
        }
    }
    // Checked as a whole before anything is dropped: a refused PATCH drops nothing.
    for (id, n) in &mut st.arm.drop_rules {
        if dropped.contains(id) {
            *n -= 1;
        }
    }
    st.arm.drop_rules.retain(|(_, n)| *n > 0);
    let by = match caller {
        Caller::User { id, .. } => id.clone(),
        Caller::App => det_uuid(&[&st.tenant_id, "admin-app"]),
    };
    let key = scope.key();
    st.arm
        .policies
        .retain(|p| !(p.scope.to_ascii_lowercase() == key && ieq(&p.role, role)));
    st.arm.policies.push(ArmPolicyRec {
        scope: scope.path(),
        role: role.to_ascii_lowercase(),
        rules,
        modified: Some(now),
        modified_by: Some(by),
    });
    Ok(())
}

/// Merges one ARM rule (JSON, as sent) into the rule of the same id among `current`. `api`: a PATCH over HTTP,
/// which needs `ruleType` and the complete `target`; otherwise a seed override, which needs neither.
pub fn merge_arm_rule(
    st: &State,
    current: &[ArmPolicyRule],
    raw: &serde_json::Value,
    api: bool,
) -> ApiResult<ArmPolicyRule> {
    use serde_json::Value;
    let Value::Object(m) = raw else {
        return Err(ApiError::bad_body("A policy rule must be a JSON object."));
    };
    let id_text = m.get("id").and_then(Value::as_str).unwrap_or_default();
    let id = RuleId::parse(id_text).ok_or_else(|| {
        ApiError::new(
            400,
            "InvalidPolicyRuleId",
            format!("The policy rule id '{id_text}' is invalid."),
        )
    })?;
    let base = current
        .iter()
        .find(|r| r.id() == id.as_str())
        .cloned()
        .unwrap_or_else(|| crate::graph::arm::defaults::default_arm_rule(id));
    match m.get("ruleType").and_then(Value::as_str) {
        Some(t) if ArmPolicyRule::kind_of_rule_type(t) == Some(id.kind()) => {}
        Some(t) => {
            return Err(ApiError::new(
                400,
                "InvalidPolicyRule",
                format!(
                    "The ruleType '{t}' does not match the rule '{id}', which is a {}.",
                    ArmPolicyRule::rule_type(id.kind())
                ),
            ));
        }
        None if !api => {}
        None => {
            return Err(ApiError::new(
                400,
                "InvalidPolicyRule",
                format!(
                    "The rule '{id}' must carry its ruleType ('{}').",
                    ArmPolicyRule::rule_type(id.kind())
                ),
            ));
        }
    }
    if api && !m.get("target").is_some_and(Value::is_object) {
        return Err(ApiError::new(
            400,
            "InvalidPolicyRule",
            format!(
                "The rule '{id}' must carry its complete target (caller '{}', level '{}', operations).",
                id.caller(),
                id.level()
            ),
        ));
    }
    // ARM-only refusals, on the rule as sent.
    if id.kind() == crate::model::RuleKind::Expiration
        && m.get("isExpirationRequired") == Some(&Value::Bool(false))
        && m.get("maximumDuration").is_some_and(|d| !d.is_null())
    {
        return Err(ApiError::new(
            400,
            "InvalidPolicyRule",
            format!(
                "Rule '{id}': maximumDuration cannot be set when isExpirationRequired is false."
            ),
        ));
    }
    if let Some(Value::Array(enabled)) = m.get("enabledRules") {
        let supported: &[&str] = match id {
            RuleId::EnablementAdminAssignment => &["MultiFactorAuthentication", "Justification"],
            _ => &["MultiFactorAuthentication", "Justification", "Ticketing"],
        };
        if enabled.iter().any(|v| {
            !v.as_str()
                .is_some_and(|s| supported.iter().any(|x| x.eq_ignore_ascii_case(s)))
        }) {
            return Err(ApiError::new(
                400,
                "InvalidPolicyEnabledRules",
                format!(
                    "Invalid enabled rules for rule id '{id}'. Supported values are '{}'.",
                    supported.join(",")
                ),
            ));
        }
    }
    // The Graph side's checks, on the rule read as Graph's: fields not sent (or sent as null) keep their value.
    let mut graph_patch = serde_json::Map::new();
    let sent: ArmPolicyRule = {
        let mut full = serde_json::to_value(&base).unwrap_or(Value::Null);
        if let Value::Object(fm) = &mut full {
            for (k, v) in m {
                if !v.is_null() {
                    fm.insert(k.clone(), v.clone());
                }
            }
        }
        ArmPolicyRule::from_value(id.kind(), full)
            .map_err(|e| ApiError::bad_body(format!("The rule '{id}' is not valid: {e}")))?
    };
    if let Value::Object(gm) = serde_json::to_value(sent.to_graph()).unwrap_or(Value::Null) {
        graph_patch = gm;
    }
    if !api {
        graph_patch.remove("@odata.type");
    }
    let graph_current = base.to_graph();
    let merged = super::rules::merge_rule(
        id,
        &graph_current,
        &Value::Object(graph_patch),
        if api {
            super::rules::PatchMode::Api
        } else {
            super::rules::PatchMode::Seed
        },
        st,
    )?;
    let mut out = ArmPolicyRule::from_graph(&merged, Some(&sent)).ok_or_else(|| {
        ApiError::bad_request(format!("Rule '{id}' holds a value ARM does not support."))
    })?;
    // What only ARM has comes from the rule as sent, else as it was.
    if let (ArmPolicyRule::Expiration(o), ArmPolicyRule::Expiration(s)) = (&mut out, &sent) {
        o.exception_members = s.exception_members.clone();
    }
    Ok(out)
}
