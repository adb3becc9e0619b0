//! Targets: what a policy and its assignments hang on.
//!
//! PIM governs several surfaces (directory roles; groups' membership and ownership; later Azure resource roles).
//! Each has scopes (the tenant, a group, an ARM scope) and roles within a scope (a role definition, or a group's
//! `member` / `owner`). A [`TargetKey`] names one (surface, scope, role): the engine (planner, apply, posture,
//! renderers) works on targets and never on a surface's own ids, so a new surface adds a way to read it, its wire
//! operations and its emulator routes, and no copy of the engine.

use super::{RoleKey, TENANT_SCOPE, is_guid};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A PIM surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Microsoft Entra directory roles (`/roleManagement/directory/...`); scope `/` is the tenant.
    DirectoryRole,
    /// PIM for Groups (`/identityGovernance/privilegedAccess/group/...`): the scope is the group's object id, the
    /// role is `member` or `owner`.
    Group,
    /// Azure resource roles (Azure Resource Manager, `Microsoft.Authorization`): the scope is an ARM scope's key
    /// (its canonical path, lower-cased: [`crate::graph::arm::ArmScope::key`]), the role a role definition GUID.
    AzureRole,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::DirectoryRole => "directory_role",
            Surface::Group => "group",
            Surface::AzureRole => "azure_role",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role of a group target: its members or its owners (Graph's `accessId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupAccess {
    Member,
    Owner,
}

impl GroupAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupAccess::Member => "member",
            GroupAccess::Owner => "owner",
        }
    }
}

/// The natural key of a target: surface, scope and the role within it, lower-cased. Never a policy id.
///
/// A directory role is `(directory_role, "/", role definition id)`; a group's members are
/// `(group, group object id, "member")`. A target declared by a name not yet resolved (a custom role by display
/// name) keeps that name in its role (`name:<name>`) until plan finds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TargetKey {
    pub surface: Surface,
    pub scope: String,
    pub role: RoleKey,
}

impl TargetKey {
    /// A directory role, tenant-wide.
    pub fn directory_role(role: RoleKey) -> TargetKey {
        TargetKey {
            surface: Surface::DirectoryRole,
            scope: TENANT_SCOPE.to_string(),
            role,
        }
    }

    /// A directory role at a scope (an administrative unit, an application): read and reported, not managed.
    pub fn directory_role_at(role: RoleKey, scope: &str) -> TargetKey {
        TargetKey {
            surface: Surface::DirectoryRole,
            scope: canonical_scope(scope),
            role,
        }
    }

    /// A group's members or owners.
    pub fn group(group_id: &str, access: GroupAccess) -> TargetKey {
        TargetKey {
            surface: Surface::Group,
            scope: group_id.to_lowercase(),
            role: RoleKey(access.as_str().to_string()),
        }
    }

    /// A group's members or owners, as declared: by object id (a GUID, lower-cased), else by display name. A group
    /// declared by name cannot be found offline, so its scope is `name:<lower-cased display name>` until plan
    /// resolves it to the group's object id (the precedent of custom roles' `RoleKey("name:…")`).
    pub fn group_declared(group: &str, access: GroupAccess) -> TargetKey {
        let group = group.trim();
        if is_guid(group) {
            TargetKey::group(group, access)
        } else {
            TargetKey {
                surface: Surface::Group,
                scope: format!("{GROUP_NAME_PREFIX}{}", group.to_lowercase()),
                role: RoleKey(access.as_str().to_string()),
            }
        }
    }

    /// The lower-cased display name of a group target declared by name and not yet resolved to an object id.
    pub fn unresolved_group_name(&self) -> Option<&str> {
        (self.surface == Surface::Group)
            .then(|| self.scope.strip_prefix(GROUP_NAME_PREFIX))
            .flatten()
    }

    /// An Azure role at an ARM scope: the scope's key (lower-cased canonical path, so every spelling of one scope
    /// is one target) and the role definition GUID (any spelling of the id; `name:<name>` for a custom role declared
    /// by name and not yet resolved).
    pub fn azure_role(scope: &crate::graph::arm::ArmScope, role: RoleKey) -> TargetKey {
        TargetKey {
            surface: Surface::AzureRole,
            scope: scope.key(),
            role,
        }
    }

    /// The ARM scope of an Azure-role target.
    pub fn arm_scope(&self) -> Option<crate::graph::arm::ArmScope> {
        (self.surface == Surface::AzureRole)
            .then(|| crate::graph::arm::ArmScope::parse(&self.scope).ok())
            .flatten()
    }

    /// Whether this is a directory role over the whole tenant (the only directory-role targets declared).
    pub fn is_tenant_directory_role(&self) -> bool {
        self.surface == Surface::DirectoryRole && self.scope == TENANT_SCOPE
    }

    /// The role definition id of a directory-role target.
    pub fn role_definition(&self) -> Option<&RoleKey> {
        (self.surface == Surface::DirectoryRole).then_some(&self.role)
    }
}

/// `62e90394-…` for a tenant-wide directory role; `group:{id}:member`; `directory_role:{scope}:{role}` otherwise.
impl fmt::Display for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_tenant_directory_role() {
            write!(f, "{}", self.role)
        } else {
            write!(f, "{}:{}:{}", self.surface, self.scope, self.role)
        }
    }
}

/// The scope prefix of a group target declared by display name and not yet resolved (`name:tier0-operators`).
pub const GROUP_NAME_PREFIX: &str = "name:";

/// A directory scope as targets hold it: `/` for the tenant, else as Graph spells it, with one leading `/`.
pub fn canonical_scope(scope: &str) -> String {
    match scope.trim_matches('/') {
        "" => TENANT_SCOPE.to_string(),
        s => format!("/{s}"),
    }
}

/// A map keyed by targets, as JSON holds it: a list of `[key, value]` pairs in key order (JSON object keys are
/// strings, and a target is not one).
pub mod by_target {
    use super::TargetKey;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<V: Serialize, S: Serializer>(
        map: &BTreeMap<TargetKey, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<TargetKey, V>, D::Error> {
        Ok(Vec::<(TargetKey, V)>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_surface_scope_and_role() {
        let ga = TargetKey::directory_role(RoleKey("62e90394".into()));
        assert!(ga.is_tenant_directory_role());
        assert_eq!(ga.to_string(), "62e90394");
        let g = TargetKey::group("ABC", GroupAccess::Owner);
        assert_eq!(g.to_string(), "group:abc:owner");
        assert_eq!(g.role_definition(), None);
        assert_eq!(
            TargetKey::directory_role_at(RoleKey("r".into()), "administrativeUnits/x/").scope,
            "/administrativeUnits/x"
        );
        let by_id =
            TargetKey::group_declared("0D3F5C2A-1B2C-4D5E-8F90-A1B2C3D4E5F6", GroupAccess::Member);
        assert_eq!(by_id.scope, "0d3f5c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
        assert_eq!(by_id.unresolved_group_name(), None);
        let by_name = TargetKey::group_declared("Tier0-Operators", GroupAccess::Owner);
        assert_eq!(by_name.scope, "name:tier0-operators");
        assert_eq!(by_name.role.0, "owner");
        assert_eq!(by_name.unresolved_group_name(), Some("tier0-operators"));
        let sub = crate::graph::arm::ArmScope::parse(
            "/subscriptions/DFA2A084-766F-4003-8AE1-C4AEB893A99F/resourceGroups/App-RG",
        )
        .unwrap();
        let az =
            TargetKey::azure_role(&sub, RoleKey("8e3af657-a8ff-443c-a75c-2fe8c4bcb635".into()));
        assert_eq!(
            az.scope,
            "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f/resourcegroups/app-rg"
        );
        assert_eq!(az.arm_scope().unwrap().key(), sub.key());
        assert_eq!(az.role_definition(), None);
        assert!(az.to_string().starts_with("azure_role:/subscriptions/"));
        assert_eq!(
            serde_json::to_value(&g).unwrap(),
            serde_json::json!({"surface": "group", "scope": "abc", "role": "owner"})
        );
    }
}
