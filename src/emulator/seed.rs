//! The seed: a YAML description of a tenant (users, groups, service principals, custom roles, existing
//! assignments and policy overrides). Everything not given gets Microsoft's defaults.

use super::ids::det_uuid;
use super::rules::PatchMode;
use super::state::{Caller, GroupRec, Level, RequestRec, Schedule, State};
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
    /// Azure resources, roles and assignments (ARM); see docs/emulator.md.
    #[serde(default)]
    pub azure: Option<super::arm::seed::AzureSeed>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSeed {
    pub id: Option<String>,
    pub domain: Option<String>,
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
    /// UPNs, group names, service principal names or object ids.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePrincipalSeed {
    pub name: String,
    pub app_id: Option<String>,
    pub id: Option<String>,
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
    /// Display name or id.
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
        let mut v: serde_yaml::Value = serde_yaml::from_str(text).map_err(err)?;
        v.apply_merge().map_err(err)?;
        if v.is_null() {
            return Ok(Seed::default());
        }
        serde_yaml::from_value(v).map_err(err)
    }

    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let origin = path.display().to_string();
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
            });
            seen_ids.insert(id);
        }
        for (i, g) in self.groups.iter().enumerate() {
            let mut members = vec![];
            for m in &g.members {
                let id = resolve_principal(&s, m).ok_or_else(|| {
                    err(format!(
                        "groups[{i}] ({}): member '{m}' is not a user, group or service principal of this seed",
                        g.name
                    ))
                })?;
                members.push(id);
            }
            s.groups[i].members = members;
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
        for (role, rules) in &self.policies {
            let role_id = resolve_role(&s, role)
                .ok_or_else(|| err(format!("policies: '{role}' is not a role{}", suggest(role))))?;
            let pid = s
                .policy_for_role(&role_id)
                .map(|p| p.policy.id.clone())
                .unwrap_or_default();
            let mut resolved = BTreeMap::new();
            for (k, v) in rules {
                let mut v = v.clone();
                resolve_approvers(&s, &mut v)
                    .map_err(|m| err(format!("policies: {role}: {k}: {m}")))?;
                resolved.insert(k.clone(), v);
            }
            let patches: Vec<(&str, &serde_json::Value)> =
                resolved.iter().map(|(k, v)| (k.as_str(), v)).collect();
            s.patch_rules(&pid, &patches, PatchMode::Seed, &Caller::App, now)
                .map_err(|e| err(format!("policies: {role}: {}", e.message)))?;
        }
        let groups = [
            ("eligible", Level::Eligibility, &self.eligible, false),
            ("active", Level::Assignment, &self.active, false),
            ("activations", Level::Assignment, &self.activations, true),
        ];
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
        for (key, level, list, activation) in groups {
            for (i, a) in list.iter().enumerate() {
                let what = format!("{key}[{i}] ({})", a.role);
                add_assignment(&mut s, &mut index, a, level, activation, now)
                    .map_err(|m| err(format!("{what}: {m}")))?;
            }
        }
        if let Some(azure) = &self.azure {
            super::arm::seed::build(azure, &mut s, now).map_err(err)?;
        }
        Ok(s)
    }
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

fn suggest(role: &str) -> String {
    crate::catalog::suggest(role)
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default()
}

fn parse_guid(s: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(s.trim())
        .map(|u| u.to_string())
        .map_err(|_| format!("'{s}' is not a GUID"))
}

fn resolve_role(s: &State, name_or_id: &str) -> Option<String> {
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

fn resolve_principal(s: &State, m: &str) -> Option<String> {
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
/// `State::schedules`) by level, principal and role.
struct Index {
    users: std::collections::HashMap<String, String>,
    schedules: std::collections::HashMap<(Level, String, String), Vec<usize>>,
}

fn add_assignment(
    s: &mut State,
    index: &mut Index,
    a: &AssignmentSeed,
    level: Level,
    activation: bool,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let role_id = resolve_role(s, &a.role)
        .ok_or_else(|| format!("'{}' is not a role{}", a.role, suggest(&a.role)))?;
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
            if s.group(&id).and_then(|g| g.group.is_assignable_to_role) != Some(true) {
                return Err(format!("group '{g}' is not role_assignable"));
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
    let start = a.start.unwrap_or(if activation {
        now - chrono::Duration::hours(1)
    } else {
        now - chrono::Duration::days(30)
    });
    let (expiration, end) = match (a.until, a.duration) {
        (Some(_), Some(_)) => return Err("give until or duration, not both".into()),
        (Some(u), None) => (ExpirationPattern::after_date_time(u), Some(u)),
        (None, Some(d)) => (
            ExpirationPattern::after_duration(d),
            Some(start + d.to_chrono()),
        ),
        (None, None) if activation => {
            let d = s.activation_max(&role_id);
            (
                ExpirationPattern::after_duration(d),
                Some(start + d.to_chrono()),
            )
        }
        (None, None) => (ExpirationPattern::no_expiration(), None),
    };
    if end.is_some_and(|e| e <= start) {
        return Err("the end is not after the start".into());
    }
    let key = |lvl: Level| (lvl, principal_id.clone(), role_id.clone());
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
    let id = s.next_id("seed");
    index
        .schedules
        .entry(key(level))
        .or_default()
        .push(s.schedules.len());
    s.schedules.push(Schedule {
        id: id.clone(),
        level,
        principal_id: principal_id.clone(),
        role_definition_id: role_id.clone(),
        directory_scope_id: "/".into(),
        assignment_type: (level == Level::Assignment).then_some(if activation {
            AssignmentType::Activated
        } else {
            AssignmentType::Assigned
        }),
        created_using: id.clone(),
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
        request: UnifiedRoleScheduleRequest {
            id: id.clone(),
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
            role_definition_id: role_id,
            directory_scope_id: Some("/".into()),
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
