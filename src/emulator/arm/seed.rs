//! The `azure:` section of `tenant.yaml`: management groups, subscriptions, resource groups, resources, custom
//! Azure roles, existing eligible and active assignments at any scope, and policies changed from Microsoft's
//! defaults. Documented in docs/emulator.md ("Azure resources").

use super::super::ids::det_uuid;
use super::super::state::{Level, State};
use super::*;
use crate::duration::Duration;
use std::collections::BTreeMap;

/// `azure:` in the seed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureSeed {
    #[serde(default)]
    pub management_groups: Vec<ManagementGroupSeed>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSeed>,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroupSeed>,
    /// Resource ids (`/subscriptions/{id}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}`).
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub custom_roles: Vec<AzureRoleSeed>,
    #[serde(default)]
    pub eligible: Vec<AzureAssignmentSeed>,
    #[serde(default)]
    pub active: Vec<AzureAssignmentSeed>,
    #[serde(default)]
    pub policies: Vec<AzurePolicySeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementGroupSeed {
    pub name: String,
    pub display_name: Option<String>,
    /// The name of the management group above.
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSeed {
    pub display_name: String,
    /// Default: derived from the tenant and the display name.
    pub id: Option<String>,
    pub management_group: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceGroupSeed {
    /// Subscription id or display name.
    pub subscription: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureRoleSeed {
    pub name: String,
    pub id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    /// Scopes (ARM paths); default: every subscription of the seed.
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
}

/// An assignment that exists. Exactly one of `user`, `group`, `service_principal`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureAssignmentSeed {
    /// An ARM scope path; a subscription may also be given by display name.
    pub scope: String,
    /// Role name or role definition id, in any spelling.
    pub role: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub service_principal: Option<String>,
    /// Default: 30 days before the clock's start.
    pub start: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub duration: Option<Duration>,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
}

/// Rules changed at one scope for one role: rule id → the fields to change, with ARM's names. Approver `id`s may
/// be UPNs or group names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzurePolicySeed {
    pub scope: String,
    pub role: String,
    pub rules: BTreeMap<String, serde_json::Value>,
}

fn resolve_scope(st: &State, text: &str) -> Result<ArmScope, String> {
    let by_name = st
        .arm
        .subscriptions
        .iter()
        .filter(|s| s.display_name.eq_ignore_ascii_case(text.trim()))
        .collect::<Vec<_>>();
    let scope = match by_name.as_slice() {
        [one] => ArmScope::Subscription(one.id.clone()),
        [] => ArmScope::parse(text).map_err(|e| e.to_string())?,
        _ => {
            return Err(format!(
                "'{text}' names {} subscriptions; give its id",
                by_name.len()
            ));
        }
    };
    st.arm.check_scope(&scope).map_err(|e| e.message)?;
    Ok(scope)
}

fn resolve_role(st: &State, scope: &ArmScope, text: &str) -> Result<String, String> {
    if let Some(g) = role_definition_guid(text)
        && st.arm.role_at(scope, &g).is_some()
    {
        return Ok(g);
    }
    st.arm
        .roles_at(scope)
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(text.trim()))
        .map(|r| r.guid)
        .ok_or_else(|| format!("'{text}' is not an Azure role at {scope}"))
}

fn guid_or(st: &State, given: &Option<String>, kind: &str, name: &str) -> Result<String, String> {
    match given {
        Some(g) => uuid::Uuid::parse_str(g)
            .map(|u| u.to_string())
            .map_err(|_| format!("'{g}' is not a GUID")),
        None => Ok(det_uuid(&[&st.tenant_id, kind, &name.to_ascii_lowercase()])),
    }
}

/// Adds the `azure:` section to a tenant built from the rest of the seed. Errors name the entry.
pub fn build(seed: &AzureSeed, st: &mut State, now: Dt) -> Result<(), String> {
    for (i, m) in seed.management_groups.iter().enumerate() {
        let what = format!("azure.management_groups[{i}] ({})", m.name);
        if ArmScope::parse(&format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            m.name
        ))
        .is_err()
        {
            return Err(format!("{what}: not a valid management group name"));
        }
        if st.arm.management_group(&m.name).is_some() {
            return Err(format!("{what}: declared twice"));
        }
        st.arm.management_groups.push(ManagementGroup {
            name: m.name.clone(),
            display_name: m.display_name.clone().unwrap_or_else(|| m.name.clone()),
            parent: m.parent.clone(),
        });
    }
    for (i, m) in seed.management_groups.iter().enumerate() {
        let what = format!("azure.management_groups[{i}] ({})", m.name);
        if let Some(p) = &m.parent {
            if st.arm.management_group(p).is_none() {
                return Err(format!(
                    "{what}: parent '{p}' is not a management group of this seed"
                ));
            }
            let chain = st.arm.ancestors(&ArmScope::ManagementGroup(m.name.clone()));
            if chain.len() > 6
                || chain
                    .iter()
                    .any(|c| c == &ArmScope::ManagementGroup(m.name.clone()))
            {
                return Err(format!(
                    "{what}: the parents form a cycle or are deeper than six levels"
                ));
            }
        }
    }
    for (i, s) in seed.subscriptions.iter().enumerate() {
        let what = format!("azure.subscriptions[{i}] ({})", s.display_name);
        let id = guid_or(st, &s.id, "subscription", &s.display_name)
            .map_err(|m| format!("{what}: {m}"))?;
        if st.arm.subscription(&id).is_some() {
            return Err(format!("{what}: the id {id} is used twice"));
        }
        if let Some(mg) = &s.management_group
            && st.arm.management_group(mg).is_none()
        {
            return Err(format!(
                "{what}: '{mg}' is not a management group of this seed"
            ));
        }
        st.arm.subscriptions.push(Subscription {
            id,
            display_name: s.display_name.clone(),
            management_group: s.management_group.clone(),
        });
    }
    for (i, r) in seed.resource_groups.iter().enumerate() {
        let what = format!("azure.resource_groups[{i}] ({})", r.name);
        let sub = match resolve_scope(st, &r.subscription).map_err(|m| format!("{what}: {m}"))? {
            ArmScope::Subscription(s) => s,
            other => return Err(format!("{what}: {other} is not a subscription")),
        };
        if ArmScope::parse(&format!("/subscriptions/{sub}/resourceGroups/{}", r.name)).is_err() {
            return Err(format!("{what}: not a valid resource group name"));
        }
        if !st.arm.create_resource_group(&sub, &r.name) {
            return Err(format!("{what}: declared twice"));
        }
    }
    for (i, r) in seed.resources.iter().enumerate() {
        let what = format!("azure.resources[{i}] ({r})");
        let s = ArmScope::parse(r).map_err(|e| format!("{what}: {e}"))?;
        if !matches!(s, ArmScope::Resource { .. }) {
            return Err(format!("{what}: not a resource id"));
        }
        st.arm
            .check_scope(&s.parent_in_path().unwrap_or_else(|| s.clone()))
            .map_err(|e| format!("{what}: {}", e.message))?;
        st.arm.resources.push(s.path());
    }
    for (i, r) in seed.custom_roles.iter().enumerate() {
        let what = format!("azure.custom_roles[{i}] ({})", r.name);
        if crate::azure_catalog::lookup(&r.name).is_some()
            || st
                .arm
                .custom_roles
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&r.name))
        {
            return Err(format!("{what}: a role with this name already exists"));
        }
        let id = guid_or(st, &r.id, "azure-role", &r.name).map_err(|m| format!("{what}: {m}"))?;
        let scopes = if r.assignable_scopes.is_empty() {
            st.arm
                .subscriptions
                .iter()
                .map(|s| format!("/subscriptions/{}", s.id))
                .collect()
        } else {
            r.assignable_scopes
                .iter()
                .map(|s| resolve_scope(st, s).map(|s| s.path()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| format!("{what}: {m}"))?
        };
        // ARM takes at most one management group in a custom role's assignable scopes.
        if scopes
            .iter()
            .filter(|s| s.to_ascii_lowercase().contains("/microsoft.management/"))
            .count()
            > 1
        {
            return Err(format!(
                "{what}: a custom role may have only one management group in its assignable scopes"
            ));
        }
        st.arm.custom_roles.push(CustomAzureRole {
            id,
            name: r.name.clone(),
            description: r.description.clone(),
            actions: r.actions.clone(),
            assignable_scopes: scopes,
        });
    }
    for (i, p) in seed.policies.iter().enumerate() {
        let what = format!("azure.policies[{i}] ({} at {})", p.role, p.scope);
        let scope = resolve_scope(st, &p.scope).map_err(|m| format!("{what}: {m}"))?;
        let role = resolve_role(st, &scope, &p.role).map_err(|m| format!("{what}: {m}"))?;
        let mut rules = st.arm.rules(&scope, &role);
        for (rule_id, fields) in &p.rules {
            let mut v = fields.clone();
            resolve_approvers(st, &mut v).map_err(|m| format!("{what}: {rule_id}: {m}"))?;
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("id".into(), rule_id.clone().into());
            }
            let merged = merge_arm_rule(st, &rules, &v, false)
                .map_err(|e| format!("{what}: {rule_id}: {}", e.message))?;
            if let Some(slot) = rules.iter_mut().find(|r| r.id() == merged.id()) {
                *slot = merged;
            }
        }
        let key = scope.key();
        st.arm.policies.retain(|x| {
            !(x.scope.to_ascii_lowercase() == key && x.role.eq_ignore_ascii_case(&role))
        });
        st.arm.policies.push(ArmPolicyRec {
            scope: scope.path(),
            role,
            rules,
            modified: Some(now),
            modified_by: None,
        });
    }
    let lists = [
        ("eligible", Level::Eligibility, &seed.eligible),
        ("active", Level::Assignment, &seed.active),
    ];
    for (key, level, list) in lists {
        for (i, a) in list.iter().enumerate() {
            let what = format!("azure.{key}[{i}] ({} at {})", a.role, a.scope);
            add_assignment(st, a, level, now).map_err(|m| format!("{what}: {m}"))?;
        }
    }
    Ok(())
}

/// Approver ids in seed rules may be UPNs or group names.
fn resolve_approvers(st: &State, v: &mut serde_json::Value) -> Result<(), String> {
    let Some(stages) = v
        .get_mut("setting")
        .and_then(|s| s.get_mut("approvalStages"))
        .and_then(|s| s.as_array_mut())
    else {
        return Ok(());
    };
    for stage in stages {
        for key in ["primaryApprovers", "escalationApprovers"] {
            for a in stage
                .get_mut(key)
                .and_then(|x| x.as_array_mut())
                .into_iter()
                .flatten()
            {
                let name = a
                    .get("id")
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string();
                let group = a
                    .get("userType")
                    .and_then(|x| x.as_str())
                    .is_some_and(|t| t.eq_ignore_ascii_case("Group"));
                let id = if group {
                    st.groups
                        .iter()
                        .find(|g| {
                            g.group.id.eq_ignore_ascii_case(&name)
                                || g.group
                                    .display_name
                                    .as_deref()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                        })
                        .map(|g| g.group.id.clone())
                } else {
                    st.user(&name).map(|u| u.id.clone())
                };
                let id = id.ok_or_else(|| {
                    format!(
                        "approver '{name}' is not a {} of this seed",
                        if group { "group" } else { "user" }
                    )
                })?;
                a["id"] = id.into();
            }
        }
    }
    Ok(())
}

fn add_assignment(
    st: &mut State,
    a: &AzureAssignmentSeed,
    level: Level,
    now: Dt,
) -> Result<(), String> {
    let scope = resolve_scope(st, &a.scope)?;
    let role = resolve_role(st, &scope, &a.role)?;
    let principal = match (&a.user, &a.group, &a.service_principal) {
        (Some(u), None, None) => st
            .user(u)
            .map(|u| u.id.clone())
            .ok_or_else(|| format!("user '{u}' is not in this seed"))?,
        (None, Some(g), None) => st
            .groups
            .iter()
            .find(|x| {
                x.group.id.eq_ignore_ascii_case(g)
                    || x.group
                        .display_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(g))
            })
            .map(|x| x.group.id.clone())
            .ok_or_else(|| format!("group '{g}' is not in this seed"))?,
        (None, None, Some(s)) if level == Level::Assignment => st
            .service_principals
            .iter()
            .find(|x| {
                x.id.eq_ignore_ascii_case(s)
                    || x.display_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(s))
            })
            .map(|x| x.id.clone())
            .ok_or_else(|| format!("service principal '{s}' is not in this seed"))?,
        (None, None, Some(_)) => return Err("service principals can only be active".into()),
        _ => return Err("give exactly one of user, group or service_principal".into()),
    };
    if a.condition.is_some() != a.condition_version.is_some() {
        return Err("condition and condition_version go together".into());
    }
    let start = a.start.unwrap_or(now - chrono::Duration::days(30));
    let end = match (a.until, a.duration) {
        (Some(_), Some(_)) => return Err("give until or duration, not both".into()),
        (Some(u), None) => Some(u),
        (None, Some(d)) => Some(start + d.to_chrono()),
        (None, None) => None,
    };
    let name = det_uuid(&[
        &st.tenant_id,
        "arm-seed",
        &scope.key(),
        &role,
        &principal,
        level.rule_level(),
    ]);
    if st.arm.schedules.iter().any(|s| s.name == name) {
        return Err("declared twice".into());
    }
    st.arm.schedules.push(ArmSchedule {
        name,
        level,
        scope: scope.path(),
        principal_id: principal,
        role,
        assignment_type: (level == Level::Assignment).then_some(ArmAssignmentType::Assigned),
        request: None,
        linked_eligibility: None,
        created: start,
        updated: start,
        start,
        end,
        condition: a.condition.clone(),
        condition_version: a.condition_version.clone(),
    });
    Ok(())
}
