//! ARM scopes and role definition ids: parsing, the canonical spelling, and the scopes above a scope.
//!
//! A scope is a management group (`/providers/Microsoft.Management/managementGroups/{name}`), a subscription
//! (`/subscriptions/{id}`, also spelt `/providers/Microsoft.Subscription/subscriptions/{id}` in Microsoft's
//! examples), a resource group (`/subscriptions/{id}/resourceGroups/{name}`) or a resource
//! (`/subscriptions/{id}/resourceGroups/{name}/providers/{namespace}/{type}/{name}[/...]`). Names compare
//! case-insensitively, as ARM compares them.

use std::fmt;

/// A parsed scope, in its canonical spelling (see [`ArmScope::path`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArmScope {
    ManagementGroup(String),
    Subscription(String),
    ResourceGroup {
        subscription: String,
        name: String,
    },
    /// `provider_path` is everything after `/providers/` (`Microsoft.KeyVault/vaults/kv1`).
    Resource {
        subscription: String,
        resource_group: String,
        provider_path: String,
    },
}

/// Why a scope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{scope}' is not an Azure scope: {reason}")]
pub struct ScopeError {
    pub scope: String,
    pub reason: String,
}

impl ArmScope {
    /// Parses an ARM scope, with or without its leading `/`. Also accepts the
    /// `/providers/Microsoft.Subscription/subscriptions/{id}` spelling of a subscription.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        let err = |reason: &str| ScopeError {
            scope: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed.contains("//") || trimmed.chars().any(char::is_whitespace) {
            return Err(err("it has an empty segment or a space"));
        }
        let segs: Vec<&str> = trimmed
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let low: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = low.iter().map(String::as_str).collect();
        let ok_name = |s: &str| !s.is_empty() && !s.contains(['?', '#', '%']);
        match l.as_slice() {
            ["providers", "microsoft.management", "managementgroups", _] if ok_name(segs[3]) => {
                Ok(ArmScope::ManagementGroup(segs[3].to_string()))
            }
            ["providers", "microsoft.subscription", "subscriptions", _] => {
                Self::subscription(segs[3]).ok_or_else(|| err("a subscription id is a GUID"))
            }
            ["subscriptions", _] => {
                Self::subscription(segs[1]).ok_or_else(|| err("a subscription id is a GUID"))
            }
            ["subscriptions", _, "resourcegroups", _] => {
                let Some(ArmScope::Subscription(sub)) = Self::subscription(segs[1]) else {
                    return Err(err("a subscription id is a GUID"));
                };
                if !ok_name(segs[3]) {
                    return Err(err("the resource group name is not valid"));
                }
                Ok(ArmScope::ResourceGroup {
                    subscription: sub,
                    name: segs[3].to_string(),
                })
            }
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                rest @ ..,
            ] => {
                let Some(ArmScope::Subscription(sub)) = Self::subscription(segs[1]) else {
                    return Err(err("a subscription id is a GUID"));
                };
                // A namespace, then type/name pairs: an odd number of segments, at least three.
                if rest.len() < 3 || rest.len() % 2 == 0 || !rest[0].contains('.') {
                    return Err(err(
                        "a resource is '/providers/{Namespace}/{type}/{name}' below its resource group",
                    ));
                }
                if rest.contains(&"microsoft.authorization") {
                    return Err(err("Microsoft.Authorization objects are not scopes"));
                }
                Ok(ArmScope::Resource {
                    subscription: sub,
                    resource_group: segs[3].to_string(),
                    provider_path: segs[5..].join("/"),
                })
            }
            _ => Err(err(
                "expected /providers/Microsoft.Management/managementGroups/{name}, /subscriptions/{id}, /subscriptions/{id}/resourceGroups/{name} or a resource id below a resource group",
            )),
        }
    }

    fn subscription(id: &str) -> Option<Self> {
        uuid::Uuid::parse_str(id)
            .ok()
            .map(|u| ArmScope::Subscription(u.to_string()))
    }

    /// The canonical spelling: `/subscriptions/{id}` (lower-case GUID), names as given.
    pub fn path(&self) -> String {
        match self {
            ArmScope::ManagementGroup(n) => {
                format!("/providers/Microsoft.Management/managementGroups/{n}")
            }
            ArmScope::Subscription(s) => format!("/subscriptions/{s}"),
            ArmScope::ResourceGroup { subscription, name } => {
                format!("/subscriptions/{subscription}/resourceGroups/{name}")
            }
            ArmScope::Resource {
                subscription,
                resource_group,
                provider_path,
            } => format!(
                "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{provider_path}"
            ),
        }
    }

    /// The key two spellings of one scope share (the path, lower-cased).
    pub fn key(&self) -> String {
        self.path().to_ascii_lowercase()
    }

    /// `managementgroup`, `subscription`, `resourcegroup`, or the resource type (`Microsoft.KeyVault/vaults`):
    /// the `type` of `expandedProperties.scope`.
    pub fn type_name(&self) -> String {
        match self {
            ArmScope::ManagementGroup(_) => "managementgroup".into(),
            ArmScope::Subscription(_) => "subscription".into(),
            ArmScope::ResourceGroup { .. } => "resourcegroup".into(),
            ArmScope::Resource { provider_path, .. } => {
                let parts: Vec<&str> = provider_path.split('/').collect();
                let mut t = vec![parts[0]];
                t.extend(parts.iter().skip(1).step_by(2));
                t.join("/")
            }
        }
    }

    /// The subscription a scope lies in (none for a management group).
    pub fn subscription_id(&self) -> Option<&str> {
        match self {
            ArmScope::ManagementGroup(_) => None,
            ArmScope::Subscription(s)
            | ArmScope::ResourceGroup {
                subscription: s, ..
            }
            | ArmScope::Resource {
                subscription: s, ..
            } => Some(s),
        }
    }

    /// The scope directly above, within a subscription (a resource's resource group, a resource group's
    /// subscription). A subscription's management group is tenant data, not part of the path: `None`.
    pub fn parent_in_path(&self) -> Option<ArmScope> {
        match self {
            ArmScope::ManagementGroup(_) | ArmScope::Subscription(_) => None,
            ArmScope::ResourceGroup { subscription, .. } => {
                Some(ArmScope::Subscription(subscription.clone()))
            }
            ArmScope::Resource {
                subscription,
                resource_group,
                ..
            } => Some(ArmScope::ResourceGroup {
                subscription: subscription.clone(),
                name: resource_group.clone(),
            }),
        }
    }

    /// Whether `self` is `other` or lies below it in the path (not across management groups).
    pub fn is_within(&self, other: &ArmScope) -> bool {
        let (a, b) = (self.key(), other.key());
        a == b || a.starts_with(&format!("{b}/"))
    }
}

impl fmt::Display for ArmScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// The GUID of a role definition id in any of its spellings: tenant level
/// (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`), below any scope
/// (`/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`), or the bare GUID. Lower-case;
/// two spellings of one role give the same GUID (azurerm#23775).
pub fn role_definition_guid(id: &str) -> Option<String> {
    let t = id.trim().trim_end_matches('/');
    let last = match t.rsplit_once('/') {
        Some((head, last)) => {
            let head = head.to_ascii_lowercase();
            if !head.ends_with("/providers/microsoft.authorization/roledefinitions") {
                return None;
            }
            let scope =
                &head[..head.len() - "/providers/microsoft.authorization/roledefinitions".len()];
            if !scope.is_empty() && ArmScope::parse(scope).is_err() {
                return None;
            }
            last
        }
        None => t,
    };
    uuid::Uuid::parse_str(last).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "dfa2a084-766f-4003-8ae1-c4aeb893a99f";

    #[test]
    fn scopes_parse_to_one_canonical_spelling() {
        let a = ArmScope::parse(&format!("/subscriptions/{}", SUB.to_uppercase())).unwrap();
        let b = ArmScope::parse(&format!(
            "providers/Microsoft.Subscription/subscriptions/{SUB}"
        ))
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.path(), format!("/subscriptions/{SUB}"));
        let rg = ArmScope::parse(&format!("/subscriptions/{SUB}/resourcegroups/App-RG/")).unwrap();
        assert_eq!(
            rg.path(),
            format!("/subscriptions/{SUB}/resourceGroups/App-RG")
        );
        assert_eq!(rg.parent_in_path(), Some(a.clone()));
        assert!(rg.is_within(&a) && !a.is_within(&rg));
        let res = ArmScope::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/App-RG/providers/Microsoft.KeyVault/vaults/kv1"
        ))
        .unwrap();
        assert_eq!(res.type_name(), "Microsoft.KeyVault/vaults");
        assert!(res.is_within(&rg));
        let mg =
            ArmScope::parse("/providers/Microsoft.Management/managementGroups/Contoso").unwrap();
        assert_eq!(mg.type_name(), "managementgroup");
        for bad in [
            "",
            "/subscriptions/not-a-guid",
            "/subscriptions//resourceGroups/x",
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults"),
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Authorization/locks/l"
            ),
            "/tenants/x",
        ] {
            assert!(ArmScope::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn role_definition_ids_in_every_spelling_are_one_role() {
        let g = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        let spellings = [
            g.to_string(),
            format!("/providers/Microsoft.Authorization/roleDefinitions/{g}"),
            format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{}",
                g.to_uppercase()
            ),
            format!(
                "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleDefinitions/{g}"
            ),
        ];
        for s in &spellings {
            assert_eq!(role_definition_guid(s).as_deref(), Some(g), "{s}");
        }
        assert_eq!(role_definition_guid("/foo/roleDefinitions/x"), None);
        assert_eq!(
            role_definition_guid(&format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/{g}"
            )),
            None
        );
    }
}
