//! Reading Azure resource roles through Azure Resource Manager into the live state, under `AzureRole` targets.
//!
//! Lists, never one request per role, assignment or principal (digest §9):
//! * per declared scope: `roleManagementPolicies` (every role's policy at that scope, with its 17 rules) and
//!   `roleManagementPolicyAssignments` (which policy governs which role there): policies are not inherited, so each
//!   declared scope has its own;
//! * per subscription or management group a declared scope lies in (its *root*): `roleEligibilitySchedules`,
//!   `roleAssignmentSchedules` and `roleAssignmentScheduleInstances`, unfiltered: ARM's list at a scope returns what
//!   is held at it, above it (`memberType: Inherited`) and below it, so one list covers every declared resource
//!   group and resource of a subscription. Schedules, not requests: ARM purges requests (azurerm#24118).
//!
//! Each schedule is recorded under the target of the scope that holds it (managed there when declared), and, when
//! held above a declared scope, under that scope's target too as `Inherited` (reported where it applies, never
//! changed there).
//! Principals are named by ARM's `expandedProperties.principal`; declared ones are resolved through Graph as
//! always.
//!
//! A fan-out (`below:`, `observe::fanout`) first lists the scopes below it; each scope it reaches is then read like a
//! declared one (its two policy lists), and adds no root: its schedules are in a list already read, and its
//! assignments are managed where the fan-out is declared.
//!
//! Requests at the least (one page each): `M + N + 2 × (scopes + reached) + 3 × roots` (BENCHMARKS.md §1a), plus one
//! list of subscriptions when a scope names a subscription by display name, and one of management groups when one
//! names a management group ([`resolve_names`]); one list of custom roles per root holding a custom role declared
//! by name, and one of the tenant's custom roles when a name, or a role by id with no policy at its scope, is not
//! among those ([`resolve_custom_roles`], [`check_custom_ids`]).

use super::read::{all_in_order, in_order};
use super::rules::observed_settings;
use crate::graph::arm::tenancy::{
    ArmManagementGroup, ArmSubscription, management_groups_path, subscriptions_path,
};
use crate::graph::arm::{
    ArmAssignmentType, ArmMemberType, ArmPolicyRule, ArmResource, ArmScope,
    AssignmentInstanceProperties, AssignmentScheduleProperties, EligibilityScheduleProperties,
    NamedKind, NamedScope, PROVIDER, PolicyAssignmentProperties, PolicyRules, PrincipalType,
    RoleDefinitionProperties, ScheduleCommon, custom_roles_path, role_definition_guid,
};
use crate::graph::client::{ArmClient, ClientError};
use crate::model::{
    AbacCondition, ArmCustomRole, ArmNamed, AssignmentKind, CustomRoleResolution, DesiredState,
    LiveActivation, LiveAssignment, LivePolicy, LivePrincipal, LiveState, PrincipalKind, RoleKey,
    ScopeResolution, Surface, TargetKey,
};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

/// The declared Azure scopes of these states, by key.
pub fn declared_scopes(desired: &[&DesiredState]) -> BTreeMap<String, ArmScope> {
    desired
        .iter()
        .flat_map(|d| d.targets.keys())
        .filter_map(TargetKey::arm_scope)
        .map(|s| (s.key(), s))
        .collect()
}

/// The scopes of these states declared by display name (`subscription:Contoso Prod/...`), by key: the tenant
/// resolves them ([`resolve_names`]).
pub fn named_scopes(desired: &[&DesiredState]) -> BTreeMap<String, NamedScope> {
    desired
        .iter()
        .flat_map(|d| d.targets.keys())
        .filter(|k| k.surface == Surface::AzureRole && k.arm_scope().is_none())
        .filter_map(|k| NamedScope::parse(&k.scope)?.ok())
        .map(|n| (n.key(), n))
        .collect()
}

/// Whether these states declare an Azure role, by path or by display name: ARM is read only then.
pub fn declares_azure(desired: &[&DesiredState]) -> bool {
    !declared_scopes(desired).is_empty() || !named_scopes(desired).is_empty()
}

/// Resolves display names of subscriptions and management groups: `GET /subscriptions` when some scope names a
/// subscription, `GET /providers/Microsoft.Management/managementGroups` when some names a management group; each
/// once, every page, whatever the number of names. Names compare case-insensitively; each is found once, missing, or
/// ambiguous (with every candidate).
pub async fn resolve_names<'a>(
    client: &ArmClient,
    named: impl IntoIterator<Item = &'a NamedScope>,
) -> Result<BTreeMap<String, ScopeResolution>, ClientError> {
    let roots: BTreeMap<String, &NamedScope> =
        named.into_iter().map(|n| (n.root_key(), n)).collect();
    let wants = |k: NamedKind| roots.values().any(|n| n.kind == k);
    let subscriptions = async {
        if !wants(NamedKind::Subscription) {
            return Ok(vec![]);
        }
        let list = client
            .list_all::<ArmSubscription>(&subscriptions_path())
            .await?;
        Ok::<_, ClientError>(
            list.into_iter()
                .map(|s| ArmNamed {
                    display_name: s.display_name.unwrap_or_default(),
                    id: s.subscription_id.to_lowercase(),
                })
                .collect::<Vec<_>>(),
        )
    };
    let management_groups = async {
        if !wants(NamedKind::ManagementGroup) {
            return Ok(vec![]);
        }
        let list = client
            .list_all::<ArmManagementGroup>(&management_groups_path())
            .await?;
        Ok::<_, ClientError>(
            list.into_iter()
                .map(|m| ArmNamed {
                    display_name: m.properties.display_name.unwrap_or_default(),
                    id: m.name,
                })
                .collect::<Vec<_>>(),
        )
    };
    let (subscriptions, management_groups) = in_order(subscriptions, management_groups).await?;
    Ok(roots
        .into_iter()
        .map(|(key, n)| {
            let pool = match n.kind {
                NamedKind::Subscription => &subscriptions,
                NamedKind::ManagementGroup => &management_groups,
            };
            let mut found: Vec<ArmNamed> = pool
                .iter()
                .filter(|o| o.display_name.trim().to_lowercase() == n.name.to_lowercase())
                .cloned()
                .collect();
            found.sort_by(|a, b| a.id.cmp(&b.id));
            let r = match found.len() {
                0 => ScopeResolution::Missing,
                1 => ScopeResolution::Found {
                    object: found.remove(0),
                },
                _ => ScopeResolution::Ambiguous { candidates: found },
            };
            (key, r)
        })
        .collect())
}

/// Resolves custom Azure roles declared by name, each at its (resolved) scope, keyed by
/// [`crate::model::custom_role_key`]. One list per subscription or management group holding such a scope,
/// `{root}/providers/Microsoft.Authorization/roleDefinitions?$filter=type+eq+'CustomRole'` (ARM lists the custom
/// roles assignable at the root or above, so at every scope below it), every page, whatever the number of roles;
/// then, only when some name is not among its root's, one list of every custom role of the tenant, which tells a
/// role assignable elsewhere (or only at resource groups below the root) from one that does not exist. Names compare
/// case-insensitively, without surrounding blanks.
pub async fn resolve_custom_roles(
    client: &ArmClient,
    wanted: &[(ArmScope, RoleKey)],
) -> Result<(BTreeMap<String, CustomRoleResolution>, CustomRoleLists), ClientError> {
    let roots: BTreeMap<String, ArmScope> = wanted
        .iter()
        .map(|(s, _)| root_of(s))
        .map(|r| (r.key(), r))
        .collect();
    let lists = all_in_order(roots.values().map(|r| async move {
        let list = custom_roles(client, Some(r)).await?;
        Ok::<_, ClientError>((r.key(), list))
    }))
    .await?;
    let mut lists = CustomRoleLists {
        at_root: lists.into_iter().collect(),
        tenant: None,
    };
    let name_of = |role: &RoleKey| role.0.trim_start_matches("name:").trim().to_string();
    let named = |name: String| move |r: &ArmCustomRole| r.name.trim().eq_ignore_ascii_case(&name);
    let unlisted = wanted
        .iter()
        .any(|(s, role)| lists.listed(s, named(name_of(role))).is_empty());
    if unlisted {
        lists.tenant = Some(custom_roles(client, None).await?);
    }
    let resolved = wanted
        .iter()
        .map(|(scope, role)| {
            let r = lists.resolve(scope, named(name_of(role)));
            (crate::model::custom_role_key(scope, role), r)
        })
        .collect();
    Ok((resolved, lists))
}

/// The lists of custom roles a read fetched: per subscription or management group (its key), and the tenant's when
/// it was needed.
#[derive(Debug, Default)]
pub struct CustomRoleLists {
    pub at_root: BTreeMap<String, Vec<ArmCustomRole>>,
    pub tenant: Option<Vec<ArmCustomRole>>,
}

impl CustomRoleLists {
    /// The roles matching among those listed at a scope's root (assignable there, so at the scope), sorted by id.
    fn listed(
        &self,
        scope: &ArmScope,
        matches: impl Fn(&ArmCustomRole) -> bool,
    ) -> Vec<ArmCustomRole> {
        matching(self.at_root.get(&root_of(scope).key()), matches)
    }

    /// What the roles matching are at a scope: those listed at its root, otherwise those of the tenant's list (which
    /// must have been read when none is listed there), judged by their assignable scopes.
    fn resolve(
        &self,
        scope: &ArmScope,
        matches: impl Fn(&ArmCustomRole) -> bool,
    ) -> CustomRoleResolution {
        let listed = self.listed(scope, &matches);
        if !listed.is_empty() {
            // Listed at the root: ARM says each is assignable there, so below it too.
            return match listed.as_slice() {
                [role] => CustomRoleResolution::Found { role: role.clone() },
                _ => CustomRoleResolution::Ambiguous { candidates: listed },
            };
        }
        // From the tenant's list: a role's assignable scopes must hold the scope (a management group above it would
        // have been listed at the root). Only those assignable here count, so a name is ambiguous at a scope only
        // when several roles of that name are assignable there.
        let found = matching(self.tenant.as_ref(), &matches);
        let (here, elsewhere): (Vec<ArmCustomRole>, Vec<ArmCustomRole>) =
            found.into_iter().partition(|role| {
                role.assignable_scopes.iter().any(|a| {
                    ArmScope::parse(a).is_ok_and(|a| {
                        (!matches!(a, ArmScope::ManagementGroup(_)) && scope.is_within(&a))
                            || a.key() == scope.key()
                    })
                })
            });
        match (here.as_slice(), elsewhere.as_slice()) {
            ([role], _) => CustomRoleResolution::Found { role: role.clone() },
            ([], []) => CustomRoleResolution::Missing,
            ([], [role]) => CustomRoleResolution::NotAssignable { role: role.clone() },
            ([], _) => CustomRoleResolution::Ambiguous {
                candidates: elsewhere,
            },
            _ => CustomRoleResolution::Ambiguous { candidates: here },
        }
    }
}

/// The roles of a list that match, sorted by id, each once.
fn matching(
    list: Option<&Vec<ArmCustomRole>>,
    matches: impl Fn(&ArmCustomRole) -> bool,
) -> Vec<ArmCustomRole> {
    let mut found: Vec<ArmCustomRole> = list
        .into_iter()
        .flatten()
        .filter(|r| matches(r))
        .cloned()
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    found
}

/// Checks the Azure roles declared by role definition id that are neither built-in (the catalogue) nor governed by
/// a policy at their scope (`governed`: the [`crate::model::custom_role_key`]s of the policy assignments read). ARM
/// lists a policy for every role assignable at a scope, so a role without one there is missing, or a custom role
/// assignable elsewhere. Each is resolved, by its key, against the custom roles listed at its root when that list
/// was read for names, otherwise against the tenant's list, read once (and only then): a role found there and
/// assignable at the scope is kept (`Found`); one assignable elsewhere is `NotAssignable`; one not there is
/// `Missing`. No request when every role is built-in, named, or has a policy.
pub async fn check_custom_ids(
    client: &ArmClient,
    desired: &[&DesiredState],
    live: &mut LiveState,
    governed: &BTreeSet<String>,
    lists: &mut CustomRoleLists,
) -> Result<(), ClientError> {
    let mut unknown: Vec<(ArmScope, RoleKey)> = desired
        .iter()
        .flat_map(|d| d.targets.keys())
        .filter(|k| k.surface == Surface::AzureRole && crate::model::is_guid(&k.role.0))
        .filter(|k| crate::azure_catalog::lookup(&k.role.0).is_none())
        .filter_map(|k| Some((live.arm_scope_of(k)?, k.role.clone())))
        .filter(|(s, role)| !governed.contains(&crate::model::custom_role_key(s, role)))
        .collect();
    unknown.sort_by(|a, b| (a.0.key(), &a.1).cmp(&(b.0.key(), &b.1)));
    unknown.dedup_by(|a, b| a.0.key() == b.0.key() && a.1 == b.1);
    let by_id = |id: &str| {
        let id = id.to_string();
        move |r: &ArmCustomRole| r.id.eq_ignore_ascii_case(&id)
    };
    let unlisted = unknown
        .iter()
        .any(|(s, role)| lists.listed(s, by_id(&role.0)).is_empty());
    if unlisted && lists.tenant.is_none() {
        lists.tenant = Some(custom_roles(client, None).await?);
    }
    for (scope, role) in unknown {
        let r = lists.resolve(&scope, by_id(&role.0));
        live.azure_custom_roles
            .insert(crate::model::custom_role_key(&scope, &role), r);
    }
    Ok(())
}

/// The custom roles ARM lists at a scope (or, with none, in the tenant), every page.
async fn custom_roles(
    client: &ArmClient,
    scope: Option<&ArmScope>,
) -> Result<Vec<ArmCustomRole>, ClientError> {
    let list = client
        .list_all::<ArmResource<RoleDefinitionProperties>>(&custom_roles_path(scope))
        .await?;
    Ok(list
        .into_iter()
        .filter(|r| {
            r.properties
                .kind
                .as_deref()
                .is_none_or(|k| k.eq_ignore_ascii_case("CustomRole"))
        })
        .filter_map(|r| {
            let id = role_definition_guid(&r.id).or_else(|| role_definition_guid(&r.name))?;
            Some(ArmCustomRole {
                id,
                name: r.properties.role_name.unwrap_or_default(),
                assignable_scopes: r.properties.assignable_scopes,
            })
        })
        .collect())
}

/// The custom roles these states declare by name, each at its scope as `live` resolved it.
fn custom_roles_by_name(desired: &[&DesiredState], live: &LiveState) -> Vec<(ArmScope, RoleKey)> {
    let mut out: Vec<(ArmScope, RoleKey)> = desired
        .iter()
        .flat_map(|d| d.targets.keys())
        .filter(|k| k.surface == Surface::AzureRole && k.role.0.starts_with("name:"))
        .filter_map(|k| Some((live.arm_scope_of(k)?, k.role.clone())))
        .collect();
    out.sort_by(|a, b| (a.0.key(), &a.1).cmp(&(b.0.key(), &b.1)));
    out.dedup_by(|a, b| a.0.key() == b.0.key() && a.1 == b.1);
    out
}

/// A declaration that names these scopes and manages nothing: what `read_azure` needs to read them (`import
/// --azure`).
pub fn reading(scopes: &[ArmScope]) -> DesiredState {
    let mut d = DesiredState::default();
    for s in scopes {
        // The role is a placeholder: a scope's lists cover every role at it.
        let role = crate::model::RoleRef::CustomById { id: "*".into() };
        let target = crate::model::TargetRef::AzureRole {
            scope: s.path(),
            role,
        };
        d.targets
            .insert(target.key(), crate::model::DesiredTarget::unmanaged(target));
    }
    d
}

/// The subscription or management group whose lists cover a scope.
pub fn root_of(scope: &ArmScope) -> ArmScope {
    match scope.subscription_id() {
        Some(sub) => ArmScope::Subscription(sub.to_string()),
        None => scope.clone(),
    }
}

fn authz(scope: &ArmScope, collection: &str) -> String {
    format!("{}/providers/{PROVIDER}/{collection}", scope.path())
}

/// Reads the Azure side of the declarations into `live`. Nothing is read when no Azure role is declared.
pub async fn read_azure(
    client: &ArmClient,
    desired: &[&DesiredState],
    live: &mut LiveState,
) -> Result<(), ClientError> {
    let Some(read) = AzureRead::new(client, desired) else {
        return Ok(());
    };
    let lists = read.lists(client, desired).await?;
    read.record(client, lists, live);
    Ok(())
}

/// A read of the declared Azure scopes, in two halves: [`AzureRead::lists`] is the IO and needs no Graph answer
/// (names, fan-out and custom roles are resolved from ARM's own lists), [`AzureRead::record`] puts the answers in a
/// live state. So a caller can read ARM beside Graph and record ARM's answers after Graph's, whatever finished
/// first.
pub struct AzureRead {
    before: u64,
}

/// The answers of an [`AzureRead`]: what ARM resolved (names, the scopes below fan-outs, custom roles, in a
/// partial live state), the scopes read (declared, named and reached), and their lists in the order of their keys.
pub struct AzureLists {
    resolved: LiveState,
    scopes: BTreeMap<String, ArmScope>,
    declared_here: BTreeSet<String>,
    policies: Vec<ScopePolicies>,
    schedules: Vec<RootSchedules>,
}

type ScopePolicies = (
    ArmScope,
    Vec<Box<RawValue>>,
    Vec<ArmResource<PolicyAssignmentProperties>>,
);
type RootSchedules = (
    ArmScope,
    Vec<ArmResource<EligibilityScheduleProperties>>,
    Vec<ArmResource<AssignmentScheduleProperties>>,
    Vec<ArmResource<AssignmentInstanceProperties>>,
);

impl AzureRead {
    /// The read these declarations need, or `None` when they declare no Azure role, by path or by display name
    /// (nothing is read).
    pub fn new(client: &ArmClient, desired: &[&DesiredState]) -> Option<Self> {
        declares_azure(desired).then(|| Self {
            before: client.request_count(),
        })
    }

    /// Reads every list, at most `--arm-max-concurrency` requests in flight (the client's slots): the scopes named
    /// by display name first, then the scopes below fan-outs, then each scope's policy lists, each root's schedule
    /// lists and the custom roles declared by name, together. When several fail, the error is the first in a fixed
    /// order (the policies of each scope in key order, then the schedules of each root, then the custom roles),
    /// whatever failed first.
    pub async fn lists(
        &self,
        client: &ArmClient,
        desired: &[&DesiredState],
    ) -> Result<AzureLists, ClientError> {
        let mut scopes = declared_scopes(desired);
        let named = named_scopes(desired);
        let mut resolved = LiveState::default();
        let mut lists = AzureLists {
            resolved: LiveState::default(),
            scopes: BTreeMap::new(),
            declared_here: BTreeSet::new(),
            policies: vec![],
            schedules: vec![],
        };
        // Scopes named by display name first: what they resolve to is read like any declared scope.
        if !named.is_empty() {
            resolved.azure_names = resolve_names(client, named.values()).await?;
            for n in named.values() {
                let key = crate::model::TargetKey {
                    surface: Surface::AzureRole,
                    scope: n.key(),
                    role: RoleKey(String::new()),
                };
                if let Some(s) = resolved.arm_scope_of(&key) {
                    scopes.insert(s.key(), s);
                }
            }
            if scopes.is_empty() {
                lists.resolved = resolved;
                return Ok(lists);
            }
        }
        let roots: BTreeMap<String, ArmScope> =
            scopes.values().map(root_of).map(|r| (r.key(), r)).collect();
        // Fan-out: the scopes below, listed; each scope reached has its own policy, read like a declared scope's.
        // Its assignments are managed where the fan-out is declared (ARM inherits them), so no schedule list is
        // added for it and nothing is recorded as inherited there.
        super::fanout::list_below(client, desired, &mut resolved).await?;
        let declared_here: BTreeSet<String> = scopes.keys().cloned().collect();
        for (key, scope) in super::fanout::reached_scopes(desired, &resolved) {
            scopes.entry(key).or_insert(scope);
        }
        tracing::info!(
            "reading Azure resource roles at {} for {} scopes in {} subscriptions or management groups",
            client.base_url(),
            scopes.len(),
            roots.len()
        );
        let policy_reads = scopes.values().map(|s| async move {
            let (p, a) = (
                authz(s, "roleManagementPolicies"),
                authz(s, "roleManagementPolicyAssignments"),
            );
            let (policies, assignments) = in_order(
                client.list_all::<Box<RawValue>>(&p),
                client.list_all::<ArmResource<PolicyAssignmentProperties>>(&a),
            )
            .await?;
            Ok::<_, ClientError>((s.clone(), policies, assignments))
        });
        let schedule_reads = roots.values().map(|r| async move {
            let (e, a, i) = (
                authz(r, "roleEligibilitySchedules"),
                authz(r, "roleAssignmentSchedules"),
                authz(r, "roleAssignmentScheduleInstances"),
            );
            let (eligible, (active, instances)) = in_order(
                client.list_all::<ArmResource<EligibilityScheduleProperties>>(&e),
                in_order(
                    client.list_all::<ArmResource<AssignmentScheduleProperties>>(&a),
                    client.list_all::<ArmResource<AssignmentInstanceProperties>>(&i),
                ),
            )
            .await?;
            Ok::<_, ClientError>((r.clone(), eligible, active, instances))
        });
        let wanted = custom_roles_by_name(desired, &resolved);
        let role_reads = async {
            if wanted.is_empty() {
                return Ok((BTreeMap::new(), CustomRoleLists::default()));
            }
            resolve_custom_roles(client, &wanted).await
        };
        let (policies, (schedules, (custom, mut custom_lists))) = in_order(
            all_in_order(policy_reads),
            in_order(all_in_order(schedule_reads), role_reads),
        )
        .await?;
        resolved.azure_custom_roles = custom;
        // Roles by id without a policy at their scope: checked against the custom roles (a list only then).
        let governed: BTreeSet<String> = policies
            .iter()
            .flat_map(|(scope, _, assignments)| {
                assignments.iter().filter_map(move |a| {
                    let role = role_definition_guid(a.properties.role_definition_id.as_deref()?)?;
                    Some(crate::model::custom_role_key(scope, &RoleKey(role)))
                })
            })
            .collect();
        check_custom_ids(client, desired, &mut resolved, &governed, &mut custom_lists).await?;
        lists.resolved = resolved;
        lists.scopes = scopes;
        lists.declared_here = declared_here;
        lists.policies = policies;
        lists.schedules = schedules;
        Ok(lists)
    }

    /// Records the answers in `live`, under the Azure targets, and logs the requests they took. What ARM says of a
    /// principal fills in only what `live` does not know.
    pub fn record(&self, client: &ArmClient, lists: AzureLists, live: &mut LiveState) {
        let AzureLists {
            resolved,
            scopes,
            declared_here,
            policies,
            schedules,
        } = lists;
        // The plan records where Azure was read, beside Graph's endpoint.
        live.arm_source = Some(client.base_url().to_string());
        live.azure_names = resolved.azure_names;
        live.azure_below = resolved.azure_below;
        live.azure_custom_roles = resolved.azure_custom_roles;
        if scopes.is_empty() {
            return;
        }
        for (scope, policies, assignments) in policies {
            record_policies(live, &scope, policies, assignments);
        }
        let declared: BTreeSet<&String> = scopes.keys().collect();
        let mut seen: BTreeSet<(TargetKey, String, AssignmentKind, String)> = BTreeSet::new();
        for (root, eligible, active, instances) in schedules {
            // The declared scopes this list covers.
            let under: Vec<&ArmScope> = scopes
                .iter()
                .filter(|(k, s)| declared_here.contains(*k) && root_of(s).key() == root.key())
                .map(|(_, s)| s)
                .collect();
            for s in eligible {
                let c = &s.properties.common;
                record_schedule(
                    live,
                    &under,
                    &mut seen,
                    AssignmentKind::Eligible,
                    &s.name,
                    c,
                );
            }
            for s in active {
                if s.properties.assignment_type == Some(ArmAssignmentType::Activated) {
                    continue;
                }
                let c = &s.properties.common;
                record_schedule(live, &under, &mut seen, AssignmentKind::Active, &s.name, c);
            }
            for i in instances {
                if i.properties.assignment_type != Some(ArmAssignmentType::Activated) {
                    continue;
                }
                let c = &i.properties.common;
                let Some(target) = held_target(c) else {
                    continue;
                };
                if !declared.contains(&target.scope) {
                    continue;
                }
                live.activations.push(LiveActivation {
                    target,
                    principal_id: c.principal_id.clone().unwrap_or_default().to_lowercase(),
                    start: c.start_date_time,
                    end: c.end_date_time,
                });
            }
        }
        live.activations.dedup();
        live.normalize();
        tracing::info!(
            "read Azure resource roles in {} requests",
            client.request_count() - self.before
        );
    }
}

/// The policies of one scope, each under its role's target; a policy that does not decode makes its target
/// unreadable, not the whole read. Each item is kept as its JSON text by the list and decoded once, straight into
/// its rules ([`PolicyRules`]: no `serde_json::Value` in between, the other properties skipped); only the id of one
/// that does not decode is read again, to name its target.
fn record_policies(
    live: &mut LiveState,
    scope: &ArmScope,
    policies: Vec<Box<RawValue>>,
    assignments: Vec<ArmResource<PolicyAssignmentProperties>>,
) {
    /// A policy's `id` alone, the rest skipped: the target of a policy that does not decode.
    #[derive(serde::Deserialize)]
    struct IdOnly {
        #[serde(default)]
        id: String,
    }
    let role_of: BTreeMap<String, String> = assignments
        .into_iter()
        .filter_map(|a| {
            let p = a.properties;
            let policy = p.policy_id?.to_ascii_lowercase();
            let role = role_definition_guid(p.role_definition_id.as_deref()?)?;
            // A custom role's name, as ARM expands it: `import` writes the role by it.
            if let Some(r) = p
                .policy_assignment_properties
                .and_then(|e| e.role_definition)
                .filter(|r| {
                    r.kind
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case("CustomRole"))
                })
                && let Some(name) = r.display_name.filter(|n| !n.trim().is_empty())
            {
                let key = crate::model::custom_role_key(scope, &RoleKey(role.clone()));
                live.azure_custom_names.insert(key, name);
            }
            Some((policy, role))
        })
        .collect();
    for item in policies {
        let (id, read) = match serde_json::from_str::<ArmResource<PolicyRules>>(item.get()) {
            Ok(p) => (p.id, Ok(p.properties.rules.unwrap_or_default())),
            Err(e) => {
                let id = serde_json::from_str::<IdOnly>(item.get()).map(|i| i.id);
                (id.unwrap_or_default(), Err(e))
            }
        };
        let Some(role) = role_of.get(&id.to_ascii_lowercase()) else {
            continue;
        };
        let target = TargetKey::azure_role(scope, RoleKey(role.clone()));
        match read {
            Ok(rules) => {
                let rules: Vec<_> = rules.iter().map(ArmPolicyRule::to_graph).collect();
                live.policies.insert(
                    target,
                    LivePolicy {
                        id,
                        settings: observed_settings(&rules),
                        rules,
                    },
                );
            }
            Err(e) => {
                live.unreadable
                    .insert(target, format!("its policy could not be read: {e}"));
            }
        }
    }
}

/// The target of the scope that holds a schedule.
fn held_target(c: &ScheduleCommon) -> Option<TargetKey> {
    let scope = ArmScope::parse(c.scope.as_deref()?).ok()?;
    let role = role_definition_guid(c.role_definition_id.as_deref()?)?;
    Some(TargetKey::azure_role(&scope, RoleKey(role)))
}

#[allow(clippy::too_many_arguments)]
fn record_schedule(
    live: &mut LiveState,
    under: &[&ArmScope],
    seen: &mut BTreeSet<(TargetKey, String, AssignmentKind, String)>,
    kind: AssignmentKind,
    name: &str,
    c: &ScheduleCommon,
) {
    let Some(held) = held_target(c) else { return };
    let Some(held_scope) = held.arm_scope() else {
        return;
    };
    let principal = c.principal_id.clone().unwrap_or_default().to_lowercase();
    remember(live, c);
    let through_group = c.member_type == Some(ArmMemberType::Group);
    let condition = condition_of(c);
    let mut push = |target: TargetKey, member_type: &str| {
        if seen.insert((target.clone(), principal.clone(), kind, name.to_lowercase())) {
            live.assignments.push(LiveAssignment {
                target,
                principal_id: principal.clone(),
                kind,
                schedule_id: name.to_string(),
                start: c.start_date_time,
                end: c.end_date_time,
                member_type: Some(member_type.to_string()),
                condition: condition.clone(),
            });
        }
    };
    // Recorded where it is held, declared or not: an undeclared scope's assignments are no one's target (nothing
    // plans them), and they tell posture where a principal holds a role now.
    push(held.clone(), if through_group { "Group" } else { "Direct" });
    // Held above a declared scope: it applies there too, and is changed only where it is held.
    for s in under {
        if s.key() != held_scope.key() && above(&held_scope, s) {
            push(
                TargetKey {
                    surface: Surface::AzureRole,
                    scope: s.key(),
                    role: held.role.clone(),
                },
                "Inherited",
            );
        }
    }
}

/// A schedule's ABAC condition, when it holds one. A condition ARM returns without its version keeps an empty
/// version, which never equals a declared one: the plan then rewrites it with the declared version.
fn condition_of(c: &ScheduleCommon) -> Option<AbacCondition> {
    let condition = c
        .condition
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    Some(AbacCondition {
        condition: condition.to_string(),
        version: c.condition_version.clone().unwrap_or_default(),
    })
}

/// Whether `upper` lies above `lower`, for a schedule the list at `lower`'s subscription returned: a management
/// group it returned is above the subscription (ARM says it applies there); otherwise the path tells.
fn above(upper: &ArmScope, lower: &ArmScope) -> bool {
    match upper {
        ArmScope::ManagementGroup(_) => !matches!(lower, ArmScope::ManagementGroup(_)),
        _ => lower.is_within(upper),
    }
}

/// Keeps what ARM says of a principal, unless Graph said more already.
fn remember(live: &mut LiveState, c: &ScheduleCommon) {
    let Some(id) = c.principal_id.as_deref().map(str::to_lowercase) else {
        return;
    };
    if live.principals.contains_key(&id) {
        return;
    }
    let p = c
        .expanded_properties
        .as_ref()
        .and_then(|e| e.principal.as_ref());
    let kind = match c.principal_type {
        Some(PrincipalType::Group) => PrincipalKind::Group,
        Some(PrincipalType::ServicePrincipal) => PrincipalKind::ServicePrincipal,
        _ => PrincipalKind::User,
    };
    live.principals.insert(
        id.clone(),
        LivePrincipal {
            id,
            kind,
            display_name: p.and_then(|p| p.display_name.clone()),
            user_principal_name: p
                .and_then(|p| p.email.clone())
                .filter(|_| kind == PrincipalKind::User),
            app_id: None,
            user_type: None,
            on_premises_sync_enabled: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

    /// Each policy is decoded from its own text: one with a rule type pimctl does not know makes its role's target
    /// unreadable, the others are read (their `rules`: `effectiveRules` is not decoded), and a policy no assignment names
    /// is skipped.
    #[test]
    fn a_policy_that_cannot_be_read_degrades_its_own_azure_target_only() {
        let scope = ArmScope::parse("/subscriptions/00000000-0000-0000-0000-0000000000a1").unwrap();
        let rules = serde_json::to_value(crate::graph::arm::defaults::default_arm_rules()).unwrap();
        let policy_with = |id: &str, rules: serde_json::Value, effective: serde_json::Value| {
            let text = json!({"id": format!("/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Authorization/roleManagementPolicies/{id}"),
                "name": id, "properties": {"scope": "/subscriptions/00000000-0000-0000-0000-0000000000a1", "rules": rules,
                    "effectiveRules": effective}})
            .to_string();
            RawValue::from_string(text).unwrap()
        };
        let policy = |id: &str, rules: serde_json::Value| policy_with(id, rules.clone(), rules);
        let assigned = |policy: &str, role: &str| ArmResource {
            properties: PolicyAssignmentProperties {
                policy_id: Some(format!(
                    "/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Authorization/roleManagementPolicies/{policy}"
                )),
                role_definition_id: Some(format!(
                    "/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Authorization/roleDefinitions/{role}"
                )),
                ..Default::default()
            },
            name: String::new(),
            id: String::new(),
            kind: String::new(),
        };
        let unknown = json!([{"id": "Future_EndUser_Assignment", "ruleType": "RoleManagementPolicyFutureRule"}]);
        let mut live = LiveState::default();
        record_policies(
            &mut live,
            &scope,
            vec![
                policy("p-ok", rules.clone()),
                policy("p-unknown", unknown.clone()),
                // No assignment names it: skipped, however unreadable.
                policy("p-orphan", unknown.clone()),
                // Only its rules are read: what ARM says is in force is not decoded.
                policy_with("p-effective", rules.clone(), unknown),
            ],
            vec![
                assigned("P-OK", "8E3AF657-A8FF-443C-A75C-2FE8C4BCB635"),
                assigned("p-unknown", CONTRIBUTOR),
                assigned("p-effective", USER_ACCESS_ADMINISTRATOR),
            ],
        );
        let target = |role: &str| TargetKey::azure_role(&scope, RoleKey(role.into()));
        assert_eq!(
            live.policies.keys().collect::<Vec<_>>(),
            [&target(USER_ACCESS_ADMINISTRATOR), &target(OWNER)]
        );
        assert_eq!(live.policies[&target(OWNER)].rules.len(), 17);
        assert_eq!(
            live.policies[&target(USER_ACCESS_ADMINISTRATOR)]
                .rules
                .len(),
            17
        );
        assert_eq!(
            live.unreadable.keys().collect::<Vec<_>>(),
            [&target(CONTRIBUTOR)]
        );
        assert!(
            live.unreadable[&target(CONTRIBUTOR)].contains("RoleManagementPolicyFutureRule"),
            "{:?}",
            live.unreadable
        );
    }
}
