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

/// What a readable scope names by display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamedKind {
    Subscription,
    ManagementGroup,
}

impl NamedKind {
    /// The prefix that spells it (`subscription:`, `management_group:`).
    pub fn prefix(self) -> &'static str {
        match self {
            NamedKind::Subscription => "subscription:",
            NamedKind::ManagementGroup => "management_group:",
        }
    }
    /// What messages call it.
    pub fn noun(self) -> &'static str {
        match self {
            NamedKind::Subscription => "subscription",
            NamedKind::ManagementGroup => "management group",
        }
    }
}

/// A scope spelt by display name, which only the tenant can resolve: `subscription:Contoso Prod`,
/// `management_group:Contoso`, or a path below a named subscription
/// (`subscription:Contoso Prod/resourceGroups/app-rg[/providers/…]`). Display names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamedScope {
    pub kind: NamedKind,
    /// The display name, trimmed.
    pub name: String,
    /// The path below the subscription (`/resourceGroups/app-rg`), empty for the subscription itself.
    pub below: String,
}

/// A GUID that stands in for a named subscription while the path below it is checked.
const PLACEHOLDER_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

impl NamedScope {
    /// A readable spelling: `None` when `text` is not one (an ARM path, or anything else), else the parsed scope or
    /// why it is not valid.
    pub fn parse(text: &str) -> Option<Result<NamedScope, ScopeError>> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        let kind = [NamedKind::Subscription, NamedKind::ManagementGroup]
            .into_iter()
            .find(|k| lower.starts_with(k.prefix()))?;
        let err = |reason: &str| ScopeError {
            scope: text.to_string(),
            reason: reason.to_string(),
        };
        let rest = &t[kind.prefix().len()..];
        // The display name runs to the path below it, if any.
        let cut = rest.to_ascii_lowercase().find("/resourcegroups/");
        let (name, below) = match cut {
            Some(i) => (rest[..i].trim(), rest[i..].trim_end_matches('/')),
            None => (rest.trim(), ""),
        };
        if name.is_empty() {
            return Some(Err(err(&format!(
                "`{}` needs a display name after it",
                kind.prefix()
            ))));
        }
        if kind == NamedKind::ManagementGroup && !below.is_empty() {
            return Some(Err(err(
                "a management group has no resource groups: name a subscription",
            )));
        }
        let mut named = NamedScope {
            kind,
            name: name.to_string(),
            below: below.to_string(),
        };
        // The path below, checked and in its canonical spelling (`/resourceGroups/…`).
        match named.resolve(PLACEHOLDER_SUBSCRIPTION) {
            Err(e) => return Some(Err(err(&e.reason))),
            Ok(scope) if kind == NamedKind::Subscription => {
                let root = format!("/subscriptions/{PLACEHOLDER_SUBSCRIPTION}");
                named.below = scope.path()[root.len()..].to_string();
            }
            Ok(_) => {}
        }
        Some(Ok(named))
    }

    /// The canonical readable spelling (`subscription:Contoso Prod/resourceGroups/app-rg`).
    pub fn spelling(&self) -> String {
        format!("{}{}{}", self.kind.prefix(), self.name, self.below)
    }

    /// The key two spellings of this readable form share (lower-cased).
    pub fn key(&self) -> String {
        self.spelling().to_lowercase()
    }

    /// The subscription or management group that the name must be found as: its own readable key.
    pub fn root_key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.name.to_lowercase())
    }

    /// Whether it names a subscription or management group itself (not a scope below one).
    pub fn is_root(&self) -> bool {
        self.below.is_empty()
    }

    /// The scope this names, once the tenant gave the subscription's id or the management group's name.
    pub fn resolve(&self, id: &str) -> Result<ArmScope, ScopeError> {
        match self.kind {
            NamedKind::ManagementGroup => ArmScope::parse(&format!(
                "/providers/Microsoft.Management/managementGroups/{id}"
            )),
            NamedKind::Subscription => {
                ArmScope::parse(&format!("/subscriptions/{id}{}", self.below))
            }
        }
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

    #[test]
    fn readable_scopes_parse_to_one_spelling_and_resolve_to_paths() {
        let n = NamedScope::parse(" Subscription: Contoso Prod/resourcegroups/App-RG/ ")
            .unwrap()
            .unwrap();
        assert_eq!(n.kind, NamedKind::Subscription);
        assert_eq!(n.name, "Contoso Prod");
        assert_eq!(
            n.spelling(),
            "subscription:Contoso Prod/resourceGroups/App-RG"
        );
        assert_eq!(n.key(), "subscription:contoso prod/resourcegroups/app-rg");
        assert_eq!(n.root_key(), "subscription:contoso prod");
        assert!(!n.is_root());
        assert_eq!(
            n.resolve(SUB).unwrap().path(),
            format!("/subscriptions/{SUB}/resourceGroups/App-RG")
        );
        // Its own key parses to the same scope.
        assert_eq!(NamedScope::parse(&n.key()).unwrap().unwrap().key(), n.key());
        let m = NamedScope::parse("management_group:Contoso Platform")
            .unwrap()
            .unwrap();
        assert!(m.is_root());
        assert_eq!(
            m.resolve("platform").unwrap().path(),
            "/providers/Microsoft.Management/managementGroups/platform"
        );
        assert!(NamedScope::parse(&format!("/subscriptions/{SUB}")).is_none());
        assert!(NamedScope::parse("Contoso Prod").is_none());
        for bad in [
            "subscription:",
            "subscription:  /resourceGroups/rg",
            "management_group:Contoso/resourceGroups/rg",
            "subscription:Prod/resourceGroups/rg/providers/Microsoft.KeyVault/vaults",
        ] {
            assert!(NamedScope::parse(bad).unwrap().is_err(), "{bad} accepted");
        }
    }

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
