//! Which groups `import` reads and writes. Microsoft Graph v1.0 has no call that lists the groups onboarded to PIM
//! for Groups (nor a list of group schedules across groups: each must be filtered on `groupId`), so import finds
//! them where they can be seen:
//!
//! 1. the groups that hold directory roles (principals of the role schedules `read_tenant` already read);
//! 2. the groups that live policies name as approvers (of a role, or of a group found);
//! 3. the role-assignable groups: `GET /groups?$filter=isAssignableToRole eq true` (one list, paged; `eq` on this
//!    property is a default query, so no `ConsistencyLevel` header or `$count` is needed);
//! 4. the groups named on the command line (`--groups NAME,…`, display names or object ids).
//!
//! Then every display name is checked for twins in the directory (plan finds a group by name, so a shared name is
//! written as the object id), with the names given, in one `$batch`; and the PIM state of every group found is read
//! by [`super::groups::read`], the reader `plan` uses (four lists per group, 20 to a `$batch`).
//!
//! What it cannot find: a group that holds no role, approves nothing, is not role-assignable and is not named
//! (PIM for Groups works on any security group), unless it is named.

use super::groups::{read, resolve_scopes};
use crate::graph::Group;
use crate::graph::client::{ClientError, GraphClient};
use crate::model::{
    GROUP_NAME_PREFIX, GroupResolution, LiveGroup, LivePrincipal, LiveState, PrincipalKind,
    PrincipalRef, is_guid,
};
use std::collections::{BTreeMap, BTreeSet};

/// The role-assignable groups (digest: the group resource's `isAssignableToRole` supports `$filter` with `eq`).
pub const ROLE_ASSIGNABLE: &str =
    "/groups?$filter=isAssignableToRole%20eq%20true&$select=id,displayName,isAssignableToRole";

/// Why a group was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Why {
    /// It holds a directory role.
    HoldsRole,
    /// A policy names it as an approver.
    Approver,
    /// It is role-assignable.
    RoleAssignable,
    /// It was named (`--groups`).
    Named,
}

/// The groups found.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// By lower-cased object id: the group, and why it was found.
    pub groups: BTreeMap<String, (LiveGroup, BTreeSet<Why>)>,
    /// Display names that several groups share: written as object ids.
    pub ambiguous: BTreeSet<PrincipalRef>,
}

impl Discovered {
    /// The ids of the groups named on the command line.
    pub fn named(&self) -> BTreeSet<String> {
        self.groups
            .iter()
            .filter(|(_, (_, why))| why.contains(&Why::Named))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Names given to `--groups` that match no group, or several.
    #[error("--groups: {}", .0.join("; "))]
    Names(Vec<String>),
}

/// Finds the groups (see the module's docs), records them in `live.groups` and `live.principals`, and reads their
/// PIM state into `live`.
pub async fn discover_groups(
    client: &GraphClient,
    live: &mut LiveState,
    named: &[String],
) -> Result<Discovered, DiscoverError> {
    let mut found: BTreeMap<String, (LiveGroup, BTreeSet<Why>)> = BTreeMap::new();
    fn add(found: &mut BTreeMap<String, (LiveGroup, BTreeSet<Why>)>, g: LiveGroup, why: Why) {
        found
            .entry(g.id.to_lowercase())
            .or_insert_with(|| (g, BTreeSet::new()))
            .1
            .insert(why);
    }
    let seen = |live: &LiveState, id: &str| {
        live.principal(id)
            .filter(|p| p.kind == PrincipalKind::Group)
            .map(|p| LiveGroup {
                id: p.id.clone(),
                display_name: p.display_name.clone(),
                is_assignable_to_role: None,
            })
    };
    for a in &live.assignments {
        if a.target.role_definition().is_some()
            && let Some(g) = seen(live, &a.principal_id)
        {
            // Only role-assignable groups can hold directory roles.
            add(
                &mut found,
                LiveGroup {
                    is_assignable_to_role: Some(true),
                    ..g
                },
                Why::HoldsRole,
            );
        }
    }
    for p in super::principals::live_approver_ids(live) {
        if p.kind == PrincipalKind::Group
            && let Some(g) = seen(live, &p.name)
        {
            add(&mut found, g, Why::Approver);
        }
    }
    for g in client.list_all::<Group>(ROLE_ASSIGNABLE).await? {
        add(
            &mut found,
            LiveGroup {
                id: g.id,
                display_name: g.display_name,
                is_assignable_to_role: g.is_assignable_to_role,
            },
            Why::RoleAssignable,
        );
    }
    // One lookup for the names given and the names found (are they unique in the directory?).
    let scope_of = |n: &str| {
        let n = n.trim();
        if is_guid(n) {
            n.to_lowercase()
        } else {
            format!("{GROUP_NAME_PREFIX}{}", n.to_lowercase())
        }
    };
    let mut scopes: BTreeSet<String> = named.iter().map(|n| scope_of(n)).collect();
    scopes.extend(
        found
            .values()
            .filter_map(|(g, _)| g.display_name.as_deref())
            .filter(|n| !n.trim().is_empty())
            .map(|n| format!("{GROUP_NAME_PREFIX}{}", n.to_lowercase())),
    );
    let resolved = resolve_scopes(client, scopes).await?;
    let mut problems = vec![];
    for n in named {
        match resolved.get(&scope_of(n)) {
            Some(GroupResolution::Found { group }) => add(&mut found, group.clone(), Why::Named),
            Some(GroupResolution::Ambiguous { candidates }) => {
                let ids: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("{} ({})", c.label(), c.id))
                    .collect();
                problems.push(format!(
                    "`{}` names {} groups: {}; give the object id",
                    n.trim(),
                    candidates.len(),
                    ids.join(", ")
                ));
            }
            Some(GroupResolution::Missing) | None => {
                problems.push(format!("no group is named `{}`", n.trim()))
            }
        }
    }
    if !problems.is_empty() {
        return Err(DiscoverError::Names(problems));
    }
    let ambiguous: BTreeSet<PrincipalRef> = resolved
        .iter()
        .filter(|(_, r)| matches!(r, GroupResolution::Ambiguous { .. }))
        .filter_map(|(scope, _)| scope.strip_prefix(GROUP_NAME_PREFIX))
        .flat_map(|name| {
            found
                .values()
                .filter_map(|(g, _)| g.display_name.clone())
                .filter(move |n| n.eq_ignore_ascii_case(name))
        })
        .map(|n| PrincipalRef::new(PrincipalKind::Group, n))
        .collect();
    for (id, (g, _)) in &found {
        live.groups
            .insert(id.clone(), GroupResolution::Found { group: g.clone() });
        live.principals
            .entry(id.clone())
            .or_insert_with(|| LivePrincipal {
                id: g.id.clone(),
                kind: PrincipalKind::Group,
                display_name: g.display_name.clone(),
                user_principal_name: None,
                app_id: None,
                user_type: None,
                on_premises_sync_enabled: None,
            });
    }
    tracing::info!(
        "found {} groups to import; reading their PIM state",
        found.len()
    );
    read(client, live).await?;
    live.normalize();
    Ok(Discovered {
        groups: found,
        ambiguous,
    })
}
