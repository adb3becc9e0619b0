//! What the planner knows only of groups: a declared group found in the tenant (by the name or id it was declared
//! with), how privileged it is (the directory roles it holds), and the checks that make a plan unusable (a group
//! that does not exist, a name several groups share, one group declared twice, a group that is not role-assignable
//! where the declaration needs one). Everything else (rule diff, assignments, protected principals, posture,
//! reports) is the engine's, as for directory roles.

use super::{Context, Found, PlanError, PlanErrorCode};
use crate::model::{
    AssignmentKind, DesiredState, GroupAccess, GroupResolution, LiveState, PrincipalKind, RoleKey,
    Surface, TargetKey,
};
use std::collections::{BTreeMap, BTreeSet};

/// The template whose groups must be role-assignable.
const TIER0_TEMPLATE: &str = "builtin:tier0";

/// The directory roles each group (by lower-cased id) holds in the tenant or is declared to hold, eligible or
/// active: a member of a group that holds a role holds it too.
pub(crate) fn roles_of_groups(
    desired: &DesiredState,
    live: &LiveState,
) -> BTreeMap<String, BTreeSet<RoleKey>> {
    let mut out: BTreeMap<String, BTreeSet<RoleKey>> = BTreeMap::new();
    if !desired.targets.keys().any(|k| k.surface == Surface::Group) {
        return out;
    }
    for a in &live.assignments {
        let Some(role) = a.target.role_definition() else {
            continue;
        };
        if live
            .principal(&a.principal_id)
            .is_some_and(|p| p.kind == PrincipalKind::Group)
        {
            out.entry(a.principal_id.to_lowercase())
                .or_default()
                .insert(role.clone());
        }
    }
    for (group, role) in declared_holdings(desired, live) {
        out.entry(group).or_default().insert(role);
    }
    out
}

/// The (group id, directory role) pairs the declaration asks for: groups declared eligible or active in a role.
/// Read from the directory roles' lists alone (not [`DesiredState::assignments`], which keys and sorts every
/// declared assignment): the caller collects them into sets.
fn declared_holdings(desired: &DesiredState, live: &LiveState) -> Vec<(String, RoleKey)> {
    desired
        .targets
        .iter()
        .filter(|(target, _)| target.surface == Surface::DirectoryRole)
        .flat_map(|(target, d)| {
            [AssignmentKind::Eligible, AssignmentKind::Active]
                .into_iter()
                .flat_map(|kind| d.assignments(kind).unwrap_or_default())
                .map(move |a| (target, a))
        })
        .filter(|(_, a)| a.principal.kind == PrincipalKind::Group)
        .filter_map(|(target, a)| {
            let id = live.id_of(&a.principal)?.to_lowercase();
            Some((id, target.role.clone()))
        })
        .collect()
}

impl Context<'_> {
    /// A declared group target (by id or `name:…`) or a live one (by id), as found in the tenant.
    pub(crate) fn found_group(&self, key: &TargetKey) -> Option<Found> {
        let g = self.live.group(&key.scope)?;
        let access = [GroupAccess::Member, GroupAccess::Owner]
            .into_iter()
            .find(|a| a.as_str() == key.role.0)?;
        let roles: Vec<&crate::model::LiveRole> = self
            .group_roles
            .get(&g.id.to_lowercase())
            .into_iter()
            .flatten()
            .filter_map(|r| self.live_role(r))
            .collect();
        Some(Found {
            key: TargetKey::group(&g.id, access),
            name: g.label().to_string(),
            privileged: roles.iter().any(|r| r.is_privileged),
            tier0: roles.iter().any(|r| crate::catalog::is_tier0(&r.key.0)),
            is_global_admin: roles
                .iter()
                .any(|r| r.key.0 == crate::catalog::well_known::GLOBAL_ADMINISTRATOR),
            role_id: access.as_str().to_string(),
        })
    }

    /// The plan errors of declared groups: not found, ambiguous, declared twice, not role-assignable where needed.
    pub(crate) fn check_groups(&mut self) {
        let declared_roles: BTreeMap<String, BTreeSet<RoleKey>> =
            declared_holdings(self.desired, self.live).into_iter().fold(
                BTreeMap::new(),
                |mut m, (g, r)| {
                    m.entry(g).or_default().insert(r);
                    m
                },
            );
        // One error per group, at its first block.
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut by_id: BTreeMap<String, &crate::model::DesiredTarget> = BTreeMap::new();
        let mut errors = vec![];
        for (key, target) in &self.desired.targets {
            if key.surface != Surface::Group || !seen.insert(key.scope.as_str()) {
                continue;
            }
            let declared = target.target.label();
            let origin = Some(target.origin.clone());
            match self.live.groups.get(&key.scope) {
                None | Some(GroupResolution::Missing) => errors.push(PlanError {
                    code: PlanErrorCode::GroupNotFound,
                    message: format!("the group '{declared}' does not exist in the tenant"),
                    origin,
                    help: Some(if key.unresolved_group_name().is_some() {
                        "check the group's display name (compared case-insensitively), or name it by object id"
                            .to_string()
                    } else {
                        "check the group's object id".to_string()
                    }),
                }),
                Some(GroupResolution::Ambiguous { candidates }) => {
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|c| format!("{} ({})", c.label(), c.id))
                        .collect();
                    errors.push(PlanError {
                        code: PlanErrorCode::GroupAmbiguous,
                        message: format!(
                            "the group name '{declared}' matches {} groups: {}",
                            candidates.len(),
                            list.join(", ")
                        ),
                        origin,
                        help: Some("declare the group by its object id instead".to_string()),
                    });
                }
                Some(GroupResolution::Found { group }) => {
                    let id = group.id.to_lowercase();
                    if let Some(first) = by_id.get(&id) {
                        errors.push(PlanError {
                            code: PlanErrorCode::GroupDeclaredTwice,
                            message: format!(
                                "the group '{}' ({}) is declared twice: as '{}' (at {}) and as '{declared}'",
                                group.label(),
                                group.id,
                                first.target.label(),
                                first.origin
                            ),
                            origin,
                            help: Some(
                                "declare each group once, by name or by id; merge the two declarations"
                                    .to_string(),
                            ),
                        });
                        continue;
                    }
                    by_id.insert(id.clone(), target);
                    if group.is_assignable_to_role == Some(true) {
                        continue;
                    }
                    let why = if let Some(roles) = declared_roles.get(&id) {
                        let names: Vec<String> = roles
                            .iter()
                            .map(|r| {
                                self.live_role(r).map_or_else(
                                    || r.0.clone(),
                                    |lr| lr.display_name.clone(),
                                )
                            })
                            .collect();
                        Some(format!(
                            "the declaration makes it hold {}, and only a role-assignable group can hold a directory \
                             role (the tenant would refuse the assignment)",
                            names.join(", ")
                        ))
                    } else {
                        self.desired
                            .targets
                            .iter()
                            .filter(|(k, _)| k.surface == Surface::Group && k.scope == key.scope)
                            .find(|(_, t)| t.templates.iter().any(|n| n == TIER0_TEMPLATE))
                            .map(|(k, _)| {
                                format!(
                                    "its {} block uses {TIER0_TEMPLATE}, and the membership of a group that is not \
                                     role-assignable can be changed outside PIM by Groups, User and other directory \
                                     administrators (only Global and Privileged Role Administrators and its owners \
                                     can change a role-assignable group's)",
                                    k.role
                                )
                            })
                    };
                    if let Some(why) = why {
                        errors.push(PlanError {
                            code: PlanErrorCode::GroupNotRoleAssignable,
                            message: format!(
                                "the group '{}' ({}) is not role-assignable: {why}",
                                group.label(),
                                group.id
                            ),
                            origin,
                            help: Some(
                                "use a role-assignable group (isAssignableToRole is chosen when a group is created \
                                 and cannot be changed), or a lower tier"
                                    .to_string(),
                            ),
                        });
                    }
                }
            }
        }
        self.errors.extend(errors);
    }
}
