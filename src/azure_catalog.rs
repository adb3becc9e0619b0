//! The catalogue of Azure RBAC built-in roles that matter for privileged access, shipped in the crate as data.
//!
//! From Microsoft's built-in roles page (see `data/azure-builtin-roles.json`, which records its source and
//! Microsoft's "privileged" category). Lookups are case-insensitive by display name, or by role definition id in
//! any spelling (bare GUID, tenant level or below a scope; see [`crate::graph::arm::role_definition_guid`]).

use serde::Deserialize;
use std::sync::OnceLock;

/// One Azure built-in role.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AzureBuiltinRole {
    pub display_name: String,
    /// The role definition GUID, the same in every subscription.
    pub role_definition_id: String,
    /// In Microsoft's "Privileged" category (Owner, Contributor, User Access Administrator, ...).
    pub privileged: bool,
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct CatalogFile {
    roles: Vec<AzureBuiltinRole>,
}

static CATALOG: OnceLock<Vec<AzureBuiltinRole>> = OnceLock::new();

/// Every Azure built-in role of the catalogue, in the file's order.
pub fn builtin_roles() -> &'static [AzureBuiltinRole] {
    CATALOG.get_or_init(|| {
        let file: CatalogFile =
            serde_json::from_str(include_str!("../data/azure-builtin-roles.json"))
                .expect("the embedded Azure role catalogue is valid JSON (checked by tests)");
        file.roles
    })
}

/// Finds a built-in role by display name (case-insensitive) or role definition id in any spelling.
pub fn lookup(name_or_id: &str) -> Option<&'static AzureBuiltinRole> {
    let needle = name_or_id.trim();
    let guid = crate::graph::arm::role_definition_guid(needle);
    builtin_roles().iter().find(|r| {
        r.display_name.eq_ignore_ascii_case(needle)
            || guid
                .as_deref()
                .is_some_and(|g| r.role_definition_id.eq_ignore_ascii_case(g))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_loads_and_finds_owner_every_way() {
        assert!(builtin_roles().len() >= 40);
        let owner = lookup("owner").unwrap();
        assert_eq!(
            owner.role_definition_id,
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
        );
        assert!(owner.privileged);
        assert_eq!(
            lookup(
                "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BCB635"
            ),
            Some(owner)
        );
        assert!(lookup("User Access Administrator").unwrap().privileged);
        assert_eq!(lookup("Ownr"), None);
        let mut ids: Vec<_> = builtin_roles()
            .iter()
            .map(|r| &r.role_definition_id)
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), builtin_roles().len(), "role ids are unique");
    }
}
