//! The seed: a YAML description of a tenant (users, groups, service principals, custom roles, existing
//! assignments and policy overrides, and PIM for Groups: group policies and group assignments). Everything not
//! given gets Microsoft's defaults.

use super::ids::det_uuid;
use super::rules::PatchMode;
use super::state::{Caller, GroupRec, Level, RequestRec, Schedule, State, Surface, Target};
use crate::duration::Duration;
use crate::graph::*;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A seed that could not be read or does not make sense; the message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct SeedError {
    pub origin: String,
    pub message: String,
}

/// The seed file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub tenant: TenantSeed,
    /// Where the emulator's clock starts; default: the real time.
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub groups: Vec<GroupSeed>,
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipalSeed>,
    #[serde(default)]
    pub custom_roles: Vec<CustomRoleSeed>,
    /// The commercial subscriptions (`GET /subscribedSkus`).
    #[serde(default)]
    pub subscribed_skus: Vec<SkuSeed>,
    /// Eligible assignments that already exist.
    #[serde(default)]
    pub eligible: Vec<AssignmentSeed>,
    /// Active assignments an admin made (`assignmentType: Assigned`).
    #[serde(default)]
    pub active: Vec<AssignmentSeed>,
    /// Activations in progress (`assignmentType: Activated`); each needs a matching eligibility.
    #[serde(default)]
    pub activations: Vec<AssignmentSeed>,
    /// Per role (display name or id), per rule id: rule fields to override, with Graph's names.
    #[serde(default)]
    pub policies: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Access review definitions that already exist.
    #[serde(default)]
    pub access_reviews: Vec<super::reviews::ReviewSeed>,
    /// Azure resources, roles and assignments (ARM); see docs/emulator.md.
    #[serde(default)]
    pub azure: Option<super::arm::seed::AzureSeed>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSeed {
    pub id: Option<String>,
    pub domain: Option<String>,
    /// The organization's display name (`GET /organization`).
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub upn: String,
    pub display_name: Option<String>,
    /// `Member` (default) or `Guest`.
    pub user_type: Option<String>,
    /// `true` for users synchronized from on-premises; left out (null) for cloud-only users.
    pub on_premises_sync: Option<bool>,
    pub account_enabled: Option<bool>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSeed {
    pub name: String,
    pub id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub role_assignable: bool,
    /// UPNs, group names, service principal names or object ids: members outside PIM.
    #[serde(default)]
    pub members: Vec<String>,
    /// Owners outside PIM, named as `members`.
    #[serde(default)]
    pub owners: Vec<String>,
    /// PIM for Groups: present when the group is onboarded (its policies have their lasting ids).
    pub pim: Option<GroupPimSeed>,
}

/// A group onboarded to PIM for Groups: its two policies and its assignments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPimSeed {
    /// `member` and `owner` → rule id → rule fields to override, with Graph's names (as the top-level `policies`).
    #[serde(default)]
    pub policies: BTreeMap<AccessId, BTreeMap<String, serde_json::Value>>,
    /// Eligible memberships and ownerships; `access` (or `role`) is `member` or `owner`.
    #[serde(default)]
    pub eligible: Vec<AssignmentSeed>,
    /// Active memberships and ownerships an admin made in PIM.
    #[serde(default)]
    pub active: Vec<AssignmentSeed>,
    /// Activations in progress; each needs a matching eligibility.
    #[serde(default)]
    pub activations: Vec<AssignmentSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePrincipalSeed {
    pub name: String,
    pub app_id: Option<String>,
    pub id: Option<String>,
}

/// One subscribed SKU.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuSeed {
    /// `skuPartNumber`, e.g. `AAD_PREMIUM_P2` (required, unique).
    pub sku_part_number: String,
    /// `skuId` (default: derived from the part number).
    pub sku_id: Option<String>,
    /// `prepaidUnits.enabled`: licences bought and in effect.
    #[serde(default)]
    pub enabled: i64,
    /// `consumedUnits`: licences assigned.
    #[serde(default)]
    pub consumed: i64,
    /// `capabilityStatus` (default `Enabled`).
    pub capability_status: Option<String>,
    /// `appliesTo` (default `User`).
    pub applies_to: Option<String>,
    #[serde(default)]
    pub service_plans: Vec<ServicePlanSeed>,
}

/// One service plan of a subscribed SKU.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePlanSeed {
    /// `servicePlanName`, e.g. `AAD_PREMIUM_P2`.
    pub name: String,
    /// `servicePlanId` (default: derived from the name).
    pub id: Option<String>,
    /// `provisioningStatus` (default `Success`).
    pub status: Option<String>,
    /// `appliesTo` (default `User`).
    pub applies_to: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRoleSeed {
    pub name: String,
    pub id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// One existing assignment. Exactly one of `user`, `group`, `service_principal`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentSeed {
    /// Display name or id; under a group's `pim`, `member` or `owner` (also written `access`).
    #[serde(alias = "access")]
    pub role: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub service_principal: Option<String>,
    /// Default: 30 days before the clock's start (for activations, one hour before it).
    pub start: Option<DateTime<Utc>>,
    /// End time; leave out `until` and `duration` for a permanent assignment.
    pub until: Option<DateTime<Utc>>,
    /// Length from `start` (`8h`, `P90D`).
    pub duration: Option<Duration>,
    pub justification: Option<String>,
    /// Active assignments only: made outside PIM, so Graph shows no `createdUsing` and no start time, and no
    /// request exists.
    #[serde(default)]
    pub outside_pim: bool,
}

impl Seed {
    /// Reads a seed. YAML merge keys (`<<: *anchor`) are applied, so roles can share policy values.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Seed, SeedError> {
        let err = |e: serde_yaml::Error| SeedError {
            origin: origin.to_string(),
            message: e.to_string(),
        };
        let text = crate::files::without_bom(text);
        let mut v: serde_yaml::Value = serde_yaml::from_str(text).map_err(err)?;
        v.apply_merge().map_err(err)?;
        if v.is_null() {
            return Ok(Seed::default());
        }
        serde_yaml::from_value(v).map_err(err)
    }

    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let origin = path.display().to_string();
        if let Some(kind) = crate::files::not_a_regular_file(path) {
            return Err(SeedError {
                origin,
                message: format!("the seed is {kind}, not a regular file; it is not read"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| SeedError {
            origin: origin.clone(),
            message: format!("cannot read the seed: {e}"),
        })?;
        Self::from_yaml(&text, &origin)
    }

    /// Builds the tenant. `origin` names the seed in error messages.
    pub fn build(&self, origin: &str) -> Result<State, SeedError> {
        let err = |m: String| SeedError {
            origin: origin.to_string(),
            message: m,
        };
        let domain = self
            .tenant
            .domain
            .clone()
            .unwrap_or_else(|| "contoso.onmicrosoft.com".into());
        let tenant_id = match &self.tenant.id {
            Some(id) => parse_guid(id).map_err(|m| err(format!("tenant.id: {m}")))?,
            None => det_uuid(&["tenant", &domain]),
        };
        let mut s = State::new(&tenant_id, &domain);
        s.tenant_name = self.tenant.name.clone();
        if let Some(now) = self.now {
            s.clock.set(now, false);
        }
        let now = s.now();
        let t = tenant_id.clone();
        let id_or = |given: &Option<String>, kind: &str, name: &str, what: &str| match given {
            Some(g) => parse_guid(g).map_err(|m| err(format!("{what}: {m}"))),
            None => Ok(det_uuid(&[&t, kind, &name.to_lowercase()])),
        };
        let mut seen_ids = std::collections::HashSet::new();
        for (i, u) in self.users.iter().enumerate() {
            let what = format!("users[{i}] ({})", u.upn);
            if !u.upn.contains('@') {
                return Err(err(format!("{what}: upn must look like name@domain")));
            }
            if s.user(&u.upn).is_some() {
                return Err(err(format!("{what}: this UPN appears twice")));
            }
            let id = id_or(&u.id, "user", &u.upn, &what)?;
            let user_type = u.user_type.clone().unwrap_or_else(|| "Member".into());
            if !["Member", "Guest"].contains(&user_type.as_str()) {
                return Err(err(format!("{what}: user_type must be Member or Guest")));
            }
            let local = u.upn.split('@').next().unwrap_or_default();
            s.users.push(User {
                id: id.clone(),
                display_name: Some(u.display_name.clone().unwrap_or_else(|| local.to_string())),
                user_principal_name: Some(u.upn.clone()),
                mail: Some(u.upn.clone()),
                user_type: Some(user_type),
                on_premises_sync_enabled: u.on_premises_sync,
                account_enabled: Some(u.account_enabled.unwrap_or(true)),
                ..Default::default()
            });
            seen_ids.insert(id);
        }
        for (i, p) in self.service_principals.iter().enumerate() {
            let what = format!("service_principals[{i}] ({})", p.name);
            let id = id_or(&p.id, "servicePrincipal", &p.name, &what)?;
            let app_id = match &p.app_id {
                Some(a) => parse_guid(a).map_err(|m| err(format!("{what}: app_id: {m}")))?,
                None => det_uuid(&[&t, "app", &p.name.to_lowercase()]),
            };
            s.service_principals.push(ServicePrincipal {
                id: id.clone(),
                app_id: Some(app_id),
                display_name: Some(p.name.clone()),
                app_display_name: Some(p.name.clone()),
                service_principal_type: Some("Application".into()),
                account_enabled: Some(true),
            });
            seen_ids.insert(id);
        }
        for (i, g) in self.groups.iter().enumerate() {
            let what = format!("groups[{i}] ({})", g.name);
            if s.groups
                .iter()
                .any(|x| x.group.display_name.as_deref() == Some(&g.name))
            {
                return Err(err(format!("{what}: this group name appears twice")));
            }
            let id = id_or(&g.id, "group", &g.name, &what)?;
            // Derived ids ignore case, and Entra lets two groups share a name in any case: give one an id.
            if seen_ids.contains(&id) {
                return Err(err(format!(
                    "{what}: the id {id} is another object's (a derived id ignores case: give this group an `id`)"
                )));
            }
            let nick: String = g
                .name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            s.groups.push(GroupRec {
                group: Group {
                    id: id.clone(),
                    display_name: Some(g.name.clone()),
                    description: g.description.clone(),
                    group_types: vec![],
                    is_assignable_to_role: Some(g.role_assignable),
                    mail: None,
                    mail_enabled: Some(false),
                    mail_nickname: Some(nick),
                    security_enabled: Some(true),
                    on_premises_sync_enabled: None,
                },
                members: vec![],
                owners: vec![],
            });
            seen_ids.insert(id);
        }
        for (i, g) in self.groups.iter().enumerate() {
            let resolve = |names: &[String], what: &str| -> Result<Vec<String>, SeedError> {
                names
                    .iter()
                    .map(|m| {
                        resolve_principal(&s, m).ok_or_else(|| {
                            err(format!(
                                "groups[{i}] ({}): {what} '{m}' is not a user, group or service principal of this seed",
                                g.name
                            ))
                        })
                    })
                    .collect()
            };
            let members = resolve(&g.members, "member")?;
            let owners = resolve(&g.owners, "owner")?;
            s.groups[i].members = members;
            s.groups[i].owners = owners;
        }
        for (i, r) in self.custom_roles.iter().enumerate() {
            let what = format!("custom_roles[{i}] ({})", r.name);
            if s.roles.iter().any(|x| {
                x.display_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&r.name))
            }) {
                return Err(err(format!("{what}: a role with this name already exists")));
            }
            let id = id_or(&r.id, "role", &r.name, &what)?;
            s.add_role(UnifiedRoleDefinition {
                id: id.clone(),
                description: r.description.clone(),
                display_name: Some(r.name.clone()),
                is_built_in: Some(false),
                is_enabled: Some(true),
                resource_scopes: vec!["/".into()],
                template_id: Some(id),
                version: None,
                role_permissions: vec![UnifiedRolePermission {
                    allowed_resource_actions: r.permissions.clone(),
                    condition: None,
                    excluded_resource_actions: vec![],
                }],
                inherits_permissions_from: None,
            });
        }
        for (i, k) in self.subscribed_skus.iter().enumerate() {
            let what = format!("subscribed_skus[{i}] ({})", k.sku_part_number);
            let sku = sku_of(&s, k).map_err(|m| err(format!("{what}: {m}")))?;
            if s.subscribed_skus
                .iter()
                .any(|x| x.sku_part_number == sku.sku_part_number || x.sku_id == sku.sku_id)
            {
                return Err(err(format!("{what}: this SKU appears twice")));
            }
            s.subscribed_skus.push(sku);
        }
        for (role, rules) in &self.policies {
            let role_id = resolve_role(&s, role)
                .ok_or_else(|| err(format!("policies: '{role}' is not a role{}", suggest(role))))?;
            override_rules(&mut s, &Target::directory_role(&role_id), rules, now)
                .map_err(|m| err(format!("policies: {role}: {m}")))?;
        }
        // PIM for Groups: onboard, then override the policies of each group that has `pim`.
        let mut pim_groups = vec![];
        for (i, g) in self.groups.iter().enumerate() {
            let Some(pim) = &g.pim else { continue };
            let gid = s.groups[i].group.id.clone();
            s.onboard_group(&gid);
            for (access, rules) in &pim.policies {
                if *access == AccessId::UnknownFutureValue {
                    return Err(err(format!(
                        "groups[{i}] ({}): pim.policies: the keys are member and owner",
                        g.name
                    )));
                }
                override_rules(&mut s, &Target::group(&gid, *access), rules, now).map_err(|m| {
                    err(format!(
                        "groups[{i}] ({}): pim.policies.{access}: {m}",
                        g.name
                    ))
                })?;
            }
            pim_groups.push((i, gid, pim));
        }
        let mut lists: Vec<SeedList> = vec![
            (
                "eligible".into(),
                Level::Eligibility,
                &self.eligible,
                false,
                None,
            ),
            (
                "active".into(),
                Level::Assignment,
                &self.active,
                false,
                None,
            ),
            (
                "activations".into(),
                Level::Assignment,
                &self.activations,
                true,
                None,
            ),
        ];
        for (i, gid, pim) in &pim_groups {
            let at = |key: &str| format!("groups[{i}] ({}): pim.{key}", self.groups[*i].name);
            lists.push((
                at("eligible"),
                Level::Eligibility,
                &pim.eligible,
                false,
                Some(gid),
            ));
            lists.push((
                at("active"),
                Level::Assignment,
                &pim.active,
                false,
                Some(gid),
            ));
            lists.push((
                at("activations"),
                Level::Assignment,
                &pim.activations,
                true,
                Some(gid),
            ));
        }
        // Indexes, so that a seed of 100,000 assignments builds in linear time.
        let mut index = Index {
            users: s
                .users
                .iter()
                .flat_map(|u| {
                    let upn = u.user_principal_name.as_deref().unwrap_or_default();
                    [
                        (u.id.to_lowercase(), u.id.clone()),
                        (upn.to_lowercase(), u.id.clone()),
                    ]
                })
                .collect(),
            schedules: std::collections::HashMap::new(),
        };
        for (key, level, list, activation, group) in lists {
            for (i, a) in list.iter().enumerate() {
                let what = format!("{key}[{i}] ({})", a.role);
                let target = match group {
                    None => resolve_role(&s, &a.role)
                        .map(|id| Target::directory_role(&id))
                        .ok_or_else(|| format!("'{}' is not a role{}", a.role, suggest(&a.role))),
                    Some(gid) => AccessId::parse(&a.role)
                        .filter(|x| *x != AccessId::UnknownFutureValue)
                        .map(|x| Target::group(gid, x))
                        .ok_or_else(|| format!("access must be member or owner, not '{}'", a.role)),
                };
                target
                    .and_then(|t| add_assignment(&mut s, &mut index, a, &t, level, activation, now))
                    .map_err(|m| err(format!("{what}: {m}")))?;
            }
        }
        super::reviews::seed_reviews(&mut s, &self.access_reviews, now).map_err(err)?;
        if let Some(azure) = &self.azure {
            super::arm::seed::build(azure, &mut s, now).map_err(err)?;
        }
        Ok(s)
    }
}

/// A list of seeded assignments: where it is (for messages), its level, its entries, whether they are activations,
/// and the group they are in (none for directory roles).
type SeedList<'a> = (
    String,
    Level,
    &'a Vec<AssignmentSeed>,
    bool,
    Option<&'a str>,
);

/// Applies seed overrides (rule id → fields) to the policy of a target; approvers may be named.
fn override_rules(
    s: &mut State,
    target: &Target,
    rules: &BTreeMap<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let pid = s
        .policy_for(target)
        .map(|p| p.policy.id.clone())
        .unwrap_or_default();
    let mut resolved = BTreeMap::new();
    for (k, v) in rules {
        let mut v = v.clone();
        resolve_approvers(s, &mut v).map_err(|m| format!("{k}: {m}"))?;
        resolved.insert(k.clone(), v);
    }
    let patches: Vec<(&str, &serde_json::Value)> =
        resolved.iter().map(|(k, v)| (k.as_str(), v)).collect();
    s.patch_rules(&pid, &patches, PatchMode::Seed, &Caller::App, now)
        .map(|_| ())
        .map_err(|e| e.message)
}

/// A seeded SKU as Graph shows it: its id is `{tenantId}_{skuId}`, as in Microsoft's example.
fn sku_of(s: &State, k: &SkuSeed) -> Result<SubscribedSku, String> {
    let part = k.sku_part_number.trim();
    if part.is_empty() {
        return Err("sku_part_number is empty".into());
    }
    if k.enabled < 0 || k.consumed < 0 {
        return Err("enabled and consumed cannot be negative".into());
    }
    let sku_id = match &k.sku_id {
        Some(g) => parse_guid(g).map_err(|m| format!("sku_id: {m}"))?,
        None => det_uuid(&["sku", &part.to_ascii_uppercase()]),
    };
    let mut plans = vec![];
    for p in &k.service_plans {
        plans.push(ServicePlanInfo {
            service_plan_id: Some(match &p.id {
                Some(g) => parse_guid(g).map_err(|m| format!("service plan {}: {m}", p.name))?,
                None => det_uuid(&["service-plan", &p.name.to_ascii_uppercase()]),
            }),
            service_plan_name: Some(p.name.clone()),
            provisioning_status: Some(p.status.clone().unwrap_or_else(|| "Success".into())),
            applies_to: Some(p.applies_to.clone().unwrap_or_else(|| "User".into())),
        });
    }
    Ok(SubscribedSku {
        account_name: Some(s.domain.split('.').next().unwrap_or_default().to_string()),
        account_id: Some(s.tenant_id.clone()),
        applies_to: Some(k.applies_to.clone().unwrap_or_else(|| "User".into())),
        capability_status: Some(
            k.capability_status
                .clone()
                .unwrap_or_else(|| "Enabled".into()),
        ),
        consumed_units: Some(k.consumed),
        id: format!("{}_{sku_id}", s.tenant_id),
        prepaid_units: Some(LicenseUnitsDetail {
            enabled: Some(k.enabled),
            locked_out: Some(0),
            suspended: Some(0),
            warning: Some(0),
        }),
        service_plans: plans,
        sku_id: Some(sku_id.clone()),
        sku_part_number: Some(part.to_string()),
        subscription_ids: vec![det_uuid(&[&s.tenant_id, "subscription", &sku_id])],
    })
}

/// Approvers in seed overrides may name users by UPN and groups by display name instead of object id.
fn resolve_approvers(s: &State, v: &mut serde_json::Value) -> Result<(), String> {
    match v {
        serde_json::Value::Object(m) => {
            for (key, is_user) in [("userId", true), ("groupId", false)] {
                let Some(serde_json::Value::String(name)) = m.get(key) else {
                    continue;
                };
                if uuid::Uuid::parse_str(name).is_ok() {
                    continue;
                }
                let id = if is_user {
                    s.user(name).map(|u| u.id.clone())
                } else {
                    resolve_principal(s, name).filter(|id| s.group(id).is_some())
                };
                let id = id.ok_or_else(|| {
                    format!(
                        "approver '{name}' is not a {} of this seed",
                        if is_user { "user" } else { "group" }
                    )
                })?;
                m.insert(key.to_string(), id.into());
            }
            m.values_mut().try_for_each(|x| resolve_approvers(s, x))
        }
        serde_json::Value::Array(a) => a.iter_mut().try_for_each(|x| resolve_approvers(s, x)),
        _ => Ok(()),
    }
}

pub(super) fn suggest(role: &str) -> String {
    crate::catalog::suggest(role)
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default()
}

fn parse_guid(s: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(s.trim())
        .map(|u| u.to_string())
        .map_err(|_| format!("'{s}' is not a GUID"))
}

pub(super) fn resolve_role(s: &State, name_or_id: &str) -> Option<String> {
    s.roles
        .iter()
        .find(|r| {
            r.id.eq_ignore_ascii_case(name_or_id)
                || r.display_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name_or_id))
        })
        .map(|r| r.id.clone())
}

pub(super) fn resolve_principal(s: &State, m: &str) -> Option<String> {
    if let Some(u) = s.user(m) {
        return Some(u.id.clone());
    }
    let by_name = |n: &Option<String>, id: &str| {
        (n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(m)) || id.eq_ignore_ascii_case(m))
            .then(|| id.to_string())
    };
    s.groups
        .iter()
        .find_map(|g| by_name(&g.group.display_name, &g.group.id))
        .or_else(|| {
            s.service_principals
                .iter()
                .find_map(|p| by_name(&p.display_name, &p.id))
        })
}

/// Lookups for `add_assignment`: users by lower-cased id and UPN, and the seeded schedules (indexes into
/// `State::schedules`) by level, principal, role and scope.
struct Index {
    users: std::collections::HashMap<String, String>,
    schedules: std::collections::HashMap<(Level, String, String, String), Vec<usize>>,
}

fn add_assignment(
    s: &mut State,
    index: &mut Index,
    a: &AssignmentSeed,
    target: &Target,
    level: Level,
    activation: bool,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let principal_id = match (&a.user, &a.group, &a.service_principal) {
        (Some(u), None, None) => index
            .users
            .get(&u.to_lowercase())
            .cloned()
            .ok_or_else(|| format!("user '{u}' is not in users"))?,
        (None, Some(g), None) => {
            let id = resolve_principal(s, g)
                .filter(|id| s.group(id).is_some())
                .ok_or_else(|| format!("group '{g}' is not in groups"))?;
            if target.surface == Surface::DirectoryRole
                && s.group(&id).and_then(|g| g.group.is_assignable_to_role) != Some(true)
            {
                return Err(format!("group '{g}' is not role_assignable"));
            }
            if target.surface == Surface::Group && id == target.scope {
                return Err(format!("group '{g}' cannot be a member or owner of itself"));
            }
            id
        }
        (None, None, Some(p)) => {
            if level == Level::Eligibility {
                return Err("service principals can only have active assignments".into());
            }
            resolve_principal(s, p)
                .filter(|id| s.service_principal(id).is_some())
                .ok_or_else(|| format!("service principal '{p}' is not in service_principals"))?
        }
        _ => return Err("name exactly one of user, group and service_principal".into()),
    };
    if a.outside_pim && (level != Level::Assignment || activation) {
        return Err("only active assignments can be made outside PIM".into());
    }
    if a.outside_pim && target.surface == Surface::Group {
        return Err(
            "members and owners outside PIM are listed in the group's members and owners".into(),
        );
    }
    let back = if activation {
        chrono::Duration::hours(1)
    } else {
        chrono::Duration::days(30)
    };
    let start = a
        .start
        .unwrap_or_else(|| now.checked_sub_signed(back).unwrap_or(now));
    let (expiration, end) = match (a.until, a.duration) {
        (Some(_), Some(_)) => return Err("give until or duration, not both".into()),
        (Some(u), None) => (ExpirationPattern::after_date_time(u), Some(u)),
        (None, Some(d)) => (
            ExpirationPattern::after_duration(d),
            Some(d.after(start).ok_or_else(|| {
                format!("duration {d} ends past the last date a tenant can hold")
            })?),
        ),
        (None, None) if activation => {
            let d = s.target_activation_max(target);
            (
                ExpirationPattern::after_duration(d),
                Some(d.after(start).ok_or_else(|| {
                    format!("the activation maximum {d} ends past the last date a tenant can hold")
                })?),
            )
        }
        (None, None) => (ExpirationPattern::no_expiration(), None),
    };
    if end.is_some_and(|e| e <= start) {
        return Err("the end is not after the start".into());
    }
    let key = |lvl: Level| {
        (
            lvl,
            principal_id.clone(),
            target.role.clone(),
            target.scope.clone(),
        )
    };
    let held = |lvl: Level| {
        index
            .schedules
            .get(&key(lvl))
            .into_iter()
            .flatten()
            .map(|&i| &s.schedules[i])
            .filter(|x| x.live(now) && end.is_none_or(|e| e > now))
    };
    if held(level).next().is_some() {
        return Err("this principal already holds this role at this level".into());
    }
    let activated_using = if activation {
        let e = held(Level::Eligibility).find(|x| x.start <= start).ok_or(
            "an activation needs an eligibility of the same principal and role (under eligible)",
        )?;
        Some(e.id.clone())
    } else {
        None
    };
    let request_id = s.next_id("seed");
    let id = target.schedule_id(&request_id);
    index
        .schedules
        .entry(key(level))
        .or_default()
        .push(s.schedules.len());
    s.schedules.push(Schedule {
        id: id.clone(),
        level,
        principal_id: principal_id.clone(),
        surface: target.surface,
        role_definition_id: target.role.clone(),
        directory_scope_id: target.scope.clone(),
        assignment_type: (level == Level::Assignment).then_some(if activation {
            AssignmentType::Activated
        } else {
            AssignmentType::Assigned
        }),
        created_using: request_id.clone(),
        created: start,
        modified: None,
        start,
        expiration: expiration.clone(),
        end,
        activated_using,
        outside_pim: a.outside_pim,
    });
    if a.outside_pim {
        return Ok(());
    }
    let created_by = if activation {
        IdentitySet {
            user: Some(Identity {
                display_name: None,
                id: Some(principal_id.clone()),
            }),
            ..Default::default()
        }
    } else {
        IdentitySet {
            user: Some(Identity {
                display_name: None,
                id: Some(det_uuid(&[&s.tenant_id, "portal-admin"])),
            }),
            ..Default::default()
        }
    };
    s.requests.push(RequestRec {
        level,
        surface: target.surface,
        request: UnifiedRoleScheduleRequest {
            id: request_id,
            status: RequestStatus::Provisioned,
            created_date_time: Some(start),
            completed_date_time: Some(start),
            approval_id: None,
            custom_data: None,
            action: if activation {
                ScheduleRequestAction::SelfActivate
            } else {
                ScheduleRequestAction::AdminAssign
            },
            principal_id,
            role_definition_id: target.role.clone(),
            directory_scope_id: Some(target.scope.clone()),
            app_scope_id: None,
            is_validation_only: false,
            target_schedule_id: Some(id),
            justification: a.justification.clone(),
            created_by: Some(created_by),
            schedule_info: Some(RequestSchedule {
                start_date_time: Some(start),
                recurrence: None,
                expiration: Some(expiration),
            }),
            ticket_info: Some(TicketInfo::default()),
        },
        eligibility_schedule_id: None,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"
tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: alice@contoso.com, display_name: Alice}
  - {upn: bob@contoso.com, on_premises_sync: true}
groups:
  - {name: SecOps, role_assignable: true, members: [alice@contoso.com]}
service_principals:
  - {name: Provisioning}
eligible:
  - {role: Global Administrator, user: alice@contoso.com, until: 2027-01-01T00:00:00Z}
  - {role: Security Reader, group: SecOps}
  - {role: User Administrator, user: bob@contoso.com, until: 2026-10-01T00:00:00Z, start: 2026-01-01T00:00:00Z}
active:
  - {role: Global Administrator, user: bob@contoso.com}
  - {role: Directory Readers, service_principal: Provisioning}
activations:
  - {role: Global Administrator, user: alice@contoso.com}
policies:
  Global Administrator:
    Approval_EndUser_Assignment: {setting: {isApprovalRequired: true}}
"#;

    #[test]
    fn a_seed_builds_a_consistent_tenant() {
        let s = Seed::from_yaml(SEED, "t.yaml")
            .unwrap()
            .build("t.yaml")
            .unwrap();
        let now = s.now();
        assert_eq!(s.tenant_id, "11111111-2222-3333-4444-555555555555");
        assert_eq!(
            s.live_schedules(Level::Eligibility, now).count(),
            2,
            "the expired one is hidden"
        );
        let act: Vec<_> = s.active_schedules(Level::Assignment, now).collect();
        assert_eq!(act.len(), 3);
        assert!(
            act.iter()
                .any(|a| a.assignment_type == Some(AssignmentType::Activated)
                    && a.activated_using.is_some())
        );
        let again = Seed::from_yaml(SEED, "t.yaml")
            .unwrap()
            .build("t.yaml")
            .unwrap();
        assert_eq!(s.users, again.users, "ids are deterministic");
        let ga = crate::catalog::well_known::GLOBAL_ADMINISTRATOR;
        let Some(PolicyRule::Approval(a)) =
            s.rule(ga, crate::model::RuleId::ApprovalEndUserAssignment)
        else {
            panic!()
        };
        assert_eq!(a.setting.as_ref().unwrap().is_approval_required, Some(true));
    }

    #[test]
    fn groups_whose_names_differ_only_in_case_need_their_own_ids() {
        let head =
            "tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}\ngroups:\n";
        let same = format!("{head}  - {{name: Ops}}\n  - {{name: ops}}\n");
        let e = Seed::from_yaml(&same, "t.yaml")
            .unwrap()
            .build("t.yaml")
            .unwrap_err();
        assert!(e.to_string().contains("groups[1] (ops): the id"), "{e}");
        let given = format!(
            "{head}  - {{name: Ops}}\n  - {{name: ops, id: 5a4e0001-0000-4000-8000-000000000002}}\n"
        );
        let s = Seed::from_yaml(&given, "t.yaml")
            .unwrap()
            .build("t.yaml")
            .unwrap();
        assert_eq!(s.groups.len(), 2);
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let with_bom = format!("\u{feff}{SEED}");
        let s = Seed::from_yaml(&with_bom, "t.yaml")
            .unwrap()
            .build("t.yaml")
            .unwrap();
        assert_eq!(s.tenant_id, "11111111-2222-3333-4444-555555555555");
    }

    #[test]
    fn durations_past_the_calendar_are_errors_not_panics() {
        for bad in [
            "users: [{upn: a@b.c}]\nactive: [{role: Global Reader, user: a@b.c, duration: 999999999d}]",
            "users: [{upn: a@b.c}]\nactive: [{role: Global Reader, user: a@b.c, duration: 213503982334601d}]",
        ] {
            let e = Seed::from_yaml(bad, "seed.yaml")
                .and_then(|s| s.build("seed.yaml"))
                .unwrap_err();
            assert!(e.to_string().contains("past the last date"), "{e}");
        }
        let mut clock = crate::emulator::state::Clock::default();
        let before = clock.now();
        assert!(!clock.advance(chrono::Duration::MAX));
        assert!(clock.now() >= before, "the clock is unchanged");
    }

    #[test]
    fn mistakes_name_the_file_and_the_entry() {
        for (bad, needle) in [
            ("users: [{upn: x}]", "upn"),
            ("nope: 1", "unknown field"),
            (
                "eligible: [{role: Global Admnistrator, user: a@b.c}]",
                "did you mean 'Global Administrator'",
            ),
            (
                "users: [{upn: a@b.c}]\neligible: [{role: Global Administrator, user: z@b.c}]",
                "z@b.c",
            ),
            (
                "service_principals: [{name: P}]\neligible: [{role: Global Administrator, service_principal: P}]",
                "only have active",
            ),
            (
                "users: [{upn: a@b.c}]\nactivations: [{role: Global Administrator, user: a@b.c}]",
                "needs an eligibility",
            ),
            (
                "policies: {Global Administrator: {Expiration_EndUser_Assignment: {maximumDuration: P1Y}}}",
                "P1Y",
            ),
        ] {
            let e = Seed::from_yaml(bad, "seed.yaml")
                .and_then(|s| s.build("seed.yaml"))
                .unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with("seed.yaml: "), "{text}");
            assert!(text.contains(needle), "{bad}: {text}");
        }
    }
}
