//! The catalogue of built-in Microsoft Entra roles, shipped in the crate as data.
//!
//! Built from Microsoft's permissions reference (see `data/directory-roles.json`, which records its source).
//! Lookups are case-insensitive by display name, or by template id.

use serde::Deserialize;
use std::sync::OnceLock;

/// One built-in role template.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BuiltinRole {
    pub display_name: String,
    /// For built-in roles the role definition `id` equals the `templateId`.
    pub template_id: String,
    /// Microsoft's PRIVILEGED label. Hidden legacy templates (e.g. `User`, `Guest User`) carry no label and count as
    /// not privileged.
    #[serde(deserialize_with = "null_is_false")]
    pub is_privileged: bool,
    pub description: Option<String>,
}

fn null_is_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogFile {
    roles: Vec<BuiltinRole>,
    other_roles: Vec<BuiltinRole>,
}

static CATALOG: OnceLock<Vec<BuiltinRole>> = OnceLock::new();

/// Every built-in role, in the order of Microsoft's table, then the newer and hidden templates.
pub fn builtin_roles() -> &'static [BuiltinRole] {
    CATALOG.get_or_init(|| {
        let file: CatalogFile = serde_json::from_str(include_str!("../data/directory-roles.json"))
            .expect("the embedded role catalogue is valid JSON (checked by tests)");
        let mut all = file.roles;
        all.extend(file.other_roles);
        all
    })
}

/// Finds a built-in role by display name (case-insensitive) or template id.
pub fn lookup(name_or_id: &str) -> Option<&'static BuiltinRole> {
    let needle = name_or_id.trim();
    builtin_roles().iter().find(|r| {
        r.display_name.eq_ignore_ascii_case(needle) || r.template_id.eq_ignore_ascii_case(needle)
    })
}

/// Finds a built-in role by template id only.
pub fn by_template_id(id: &str) -> Option<&'static BuiltinRole> {
    builtin_roles()
        .iter()
        .find(|r| r.template_id.eq_ignore_ascii_case(id))
}

/// The closest display name to `name`, for "did you mean" help.
pub fn suggest(name: &str) -> Option<&'static str> {
    crate::suggest::closest(
        name,
        builtin_roles().iter().map(|r| r.display_name.as_str()),
    )
}

/// Well-known template ids used by rules and templates.
/// The tier-0 roles of `pim-baselines.md` §4.3: the union of CISA's highly privileged roles, Microsoft's
/// phishing-resistant-MFA list and the PRIVILEGED label, narrowed to the control plane.
pub const TIER0: &[&str] = &[
    "Global Administrator",
    "Privileged Role Administrator",
    "Privileged Authentication Administrator",
    "Security Administrator",
    "Conditional Access Administrator",
    "Hybrid Identity Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
    "User Administrator",
    "Authentication Administrator",
    "Exchange Administrator",
    "SharePoint Administrator",
];

/// Whether a role (by template id) is tier 0: the one definition that posture and lint share.
pub fn is_tier0(template_id: &str) -> bool {
    TIER0.iter().any(|name| {
        crate::catalog::lookup(name)
            .is_some_and(|r| r.template_id.eq_ignore_ascii_case(template_id))
    })
}

pub mod well_known {
    pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
    pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_unique_ids_and_names() {
        let roles = builtin_roles();
        assert!(roles.len() >= 120, "only {} roles", roles.len());
        let mut ids: Vec<_> = roles.iter().map(|r| r.template_id.to_lowercase()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), roles.len());
    }

    #[test]
    fn lookup_is_case_insensitive_and_accepts_ids() {
        let ga = lookup("global administrator").unwrap();
        assert_eq!(ga.template_id, well_known::GLOBAL_ADMINISTRATOR);
        assert!(ga.is_privileged);
        assert_eq!(
            lookup(well_known::PRIVILEGED_ROLE_ADMINISTRATOR)
                .unwrap()
                .display_name,
            "Privileged Role Administrator"
        );
        assert!(lookup("Global Admin").is_none());
        assert_eq!(suggest("Global Admnistrator"), Some("Global Administrator"));
    }
}
