//! Fan-out (`below:`, docs/language.md §7b.1): an Azure role's declared policy applied to every scope below its own
//! that the tenant holds when the plan runs. ARM keeps a policy per scope and does not inherit it, so a resource
//! group created tomorrow starts from Microsoft's default; a fan-out brings it to the declared policy.
//!
//! Pure. The scopes below come from the live state ([`LiveState::azure_below`], listed by `observe::azure`), and
//! [`expand`] turns each scope reached into an ordinary declared target before the planner runs: one engine, with
//! no planning of its own here. Only the policy fans out: ARM inherits assignments downwards, so the `eligible` and
//! `active` lists stay where they are declared, and the targets made here manage none.

use super::{DesiredState, DesiredTarget, LiveState, Origin, RoleKey, TargetKey, TargetRef};
use crate::graph::arm::ArmScope;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The kinds of scope below its own a fan-out reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Below {
    /// Resource groups: a subscription's, or those of every subscription below a management group.
    ResourceGroups,
    /// Every subscription below a management group, at any depth.
    Subscriptions,
    /// Every management group, subscription and resource group below.
    All,
}

impl Below {
    pub fn as_str(self) -> &'static str {
        match self {
            Below::ResourceGroups => "resource_groups",
            Below::Subscriptions => "subscriptions",
            Below::All => "all",
        }
    }

    /// Whether it reaches a scope of this kind (never a resource).
    pub fn reaches(self, s: &ArmScope) -> bool {
        matches!(
            (self, s),
            (
                Below::All,
                ArmScope::ManagementGroup(_) | ArmScope::Subscription(_)
            ) | (
                Below::All | Below::ResourceGroups,
                ArmScope::ResourceGroup { .. }
            ) | (Below::Subscriptions, ArmScope::Subscription(_))
        )
    }

    /// Whether resource groups must be listed to find what it reaches.
    pub fn needs_resource_groups(self) -> bool {
        matches!(self, Below::ResourceGroups | Below::All)
    }
}

/// A role declared with `below:`: what it reaches, and where `below` was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOut {
    pub below: Below,
    pub origin: Origin,
}

/// A scope found below a fan-out's scope: its canonical path and the key of the scope directly above it (a
/// resource group's subscription, a subscription's or management group's parent management group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeBelow {
    pub path: String,
    pub parent: String,
}

/// The keys of the scopes listed below `scope` (a key) that `below` reaches, sorted: what a fan-out covers, whether
/// or not another declaration wins there. A plan fingerprints it (`plan::fingerprint::ObjectId::ScopesBelow`), so a
/// resource group created or deleted between plan and apply makes the plan stale.
pub fn scopes_below<'a>(
    listed: &'a BTreeMap<String, ScopeBelow>,
    scope: &str,
    below: Below,
) -> Vec<&'a str> {
    listed
        .iter()
        .filter(|(_, node)| {
            ArmScope::parse(&node.path).is_ok_and(|s| below.reaches(&s))
                && lies_under(listed, node, scope)
        })
        .map(|(k, _)| k.as_str())
        .collect()
}

/// Whether a listed scope lies below `scope` (a key), following the parents the lists gave.
fn lies_under(listed: &BTreeMap<String, ScopeBelow>, node: &ScopeBelow, scope: &str) -> bool {
    let mut at = Some(node.parent.as_str());
    // Bounded: ARM nests management groups six deep, and a listing is never trusted to be acyclic.
    for _ in 0..16 {
        match at {
            Some(p) if p == scope => return true,
            Some(p) => at = listed.get(p).map(|n| n.parent.as_str()),
            None => return false,
        }
    }
    false
}

/// The targets the fan-outs of `desired` reach among the scopes found below: each target's key, with its scope and
/// the key of the declaration it comes from. A scope where the same role is declared is that declaration's, and is
/// skipped; of two fan-outs that reach a scope, the nearer one wins.
pub fn reached(
    desired: &DesiredState,
    below: &BTreeMap<String, ScopeBelow>,
) -> BTreeMap<TargetKey, (ArmScope, TargetKey)> {
    let fans: BTreeMap<(&str, &RoleKey), (&TargetKey, Below)> = desired
        .fan_outs
        .iter()
        .map(|(k, f)| ((k.scope.as_str(), &k.role), (k, f.below)))
        .collect();
    let roles: BTreeSet<&RoleKey> = fans.keys().map(|(_, r)| *r).collect();
    let mut out = BTreeMap::new();
    for node in below.values() {
        let Ok(scope) = ArmScope::parse(&node.path) else {
            continue;
        };
        for role in &roles {
            let target = TargetKey::azure_role(&scope, (*role).clone());
            if desired.targets.contains_key(&target) {
                continue;
            }
            // Up from the scope, to the nearest fan-out of this role that reaches its kind (bounded: ARM nests
            // management groups six deep).
            let mut at = Some(node.parent.as_str());
            for _ in 0..16 {
                let Some(p) = at else { break };
                if let Some((from, b)) = fans.get(&(p, *role))
                    && b.reaches(&scope)
                {
                    out.insert(target, (scope.clone(), (*from).clone()));
                    break;
                }
                at = below.get(p).map(|n| n.parent.as_str());
            }
        }
    }
    out
}

/// The declaration with every target its fan-outs reach added (none when it has no fan-out): each a copy of the
/// declaring role's policy and templates at the scope reached, managing no assignment, its origin the `below` key.
pub fn expand(desired: &DesiredState, live: &LiveState) -> Option<DesiredState> {
    if desired.fan_outs.is_empty() {
        return None;
    }
    let mut out = desired.clone();
    for (key, (scope, from)) in reached(desired, &live.azure_below) {
        let (Some(decl), Some(fan)) = (desired.targets.get(&from), desired.fan_outs.get(&from))
        else {
            continue;
        };
        let TargetRef::AzureRole { role, .. } = &decl.target else {
            continue;
        };
        out.targets.insert(
            key.clone(),
            DesiredTarget {
                target: TargetRef::AzureRole {
                    scope: scope.path(),
                    role: role.clone(),
                },
                templates: decl.templates.clone(),
                policy: decl.policy.clone(),
                eligible: None,
                active: None,
                access_review: None,
                no_access_review: None,
                origin: fan.origin.clone(),
            },
        );
        out.fanned.insert(key, from);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PolicySettings, RoleRef};

    const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

    fn origin(line: u32) -> Origin {
        Origin {
            file: "azure.yaml".into(),
            path: format!("line{line}.below"),
            line,
            column: 1,
        }
    }

    fn declare(d: &mut DesiredState, scope: &str, below: Option<Below>, line: u32) -> TargetKey {
        let target = TargetRef::AzureRole {
            scope: scope.into(),
            role: RoleRef::BuiltIn {
                template_id: OWNER.into(),
                display_name: "Owner".into(),
            },
        };
        let key = target.key();
        let mut t = DesiredTarget::unmanaged(target);
        t.policy = PolicySettings::default();
        t.origin = origin(line);
        d.targets.insert(key.clone(), t);
        if let Some(below) = below {
            d.fan_outs.insert(
                key.clone(),
                FanOut {
                    below,
                    origin: origin(line + 1),
                },
            );
        }
        key
    }

    fn node(path: &str, parent: &str) -> (String, ScopeBelow) {
        let s = ArmScope::parse(path).unwrap();
        let p = ArmScope::parse(parent).unwrap();
        (
            s.key(),
            ScopeBelow {
                path: s.path(),
                parent: p.key(),
            },
        )
    }

    #[test]
    fn the_nearest_declaration_wins_and_resources_are_never_reached() {
        let mg = "/providers/Microsoft.Management/managementGroups/contoso";
        let child = "/providers/Microsoft.Management/managementGroups/contoso-prod";
        let sub = format!("/subscriptions/{SUB}");
        let other = "/subscriptions/bbbbbbbb-0000-4000-8000-000000000002";
        let rg = |s: &str, n: &str| format!("{s}/resourceGroups/{n}");
        let mut d = DesiredState::default();
        let top = declare(&mut d, mg, Some(Below::All), 1);
        let near = declare(&mut d, &sub, Some(Below::ResourceGroups), 10);
        declare(&mut d, &rg(&sub, "pinned-rg"), None, 20);
        let below: BTreeMap<String, ScopeBelow> = [
            node(child, mg),
            node(&sub, child),
            node(other, mg),
            node(&rg(&sub, "app-rg"), &sub),
            node(&rg(&sub, "pinned-rg"), &sub),
            node(&rg(other, "web-rg"), other),
        ]
        .into_iter()
        .collect();
        let r = reached(&d, &below);
        let from = |path: &str| {
            let k = TargetKey::azure_role(&ArmScope::parse(path).unwrap(), top.role.clone());
            r.get(&k).map(|(_, f)| f.clone())
        };
        assert_eq!(from(child), Some(top.clone()));
        assert_eq!(from(other), Some(top.clone()));
        assert_eq!(from(&rg(other, "web-rg")), Some(top.clone()));
        // The subscription is declared (it fans out itself): not reached; its resource groups are its own.
        assert_eq!(from(&sub), None);
        assert_eq!(from(&rg(&sub, "app-rg")), Some(near.clone()));
        // Declared at the resource group: the declaration wins.
        assert_eq!(from(&rg(&sub, "pinned-rg")), None);
        assert_eq!(r.len(), 4);

        let live = LiveState {
            azure_below: below,
            ..LiveState::default()
        };
        let e = expand(&d, &live).unwrap();
        let made = &e.targets[&TargetKey::azure_role(
            &ArmScope::parse(&rg(other, "web-rg")).unwrap(),
            top.role.clone(),
        )];
        assert_eq!(made.origin, origin(2), "the origin is the `below` key");
        assert_eq!((made.eligible.as_ref(), made.active.as_ref()), (None, None));
        assert_eq!(e.fanned.len(), 4);
        assert_eq!(e.targets.len(), d.targets.len() + 4);

        // What each fan-out covers, declared scopes below included: the plan's fingerprint of the expansion.
        let keys = |scope: &str, b: Below| scopes_below(&live.azure_below, scope, b).len();
        let mg_key = ArmScope::parse(mg).unwrap().key();
        assert_eq!(keys(&mg_key, Below::All), 6);
        assert_eq!(keys(&mg_key, Below::Subscriptions), 2);
        assert_eq!(keys(&mg_key, Below::ResourceGroups), 3);
        assert_eq!(keys(&top.scope, Below::All), 6);
        assert_eq!(keys(&near.scope, Below::ResourceGroups), 2);
    }

    #[test]
    fn what_each_kind_reaches() {
        let mg = ArmScope::ManagementGroup("m".into());
        let sub = ArmScope::Subscription(SUB.into());
        let rg = ArmScope::parse(&format!("/subscriptions/{SUB}/resourceGroups/r")).unwrap();
        let res = ArmScope::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"
        ))
        .unwrap();
        let reach = |b: Below| [&mg, &sub, &rg, &res].map(|s| b.reaches(s));
        assert_eq!(reach(Below::All), [true, true, true, false]);
        assert_eq!(reach(Below::Subscriptions), [false, true, false, false]);
        assert_eq!(reach(Below::ResourceGroups), [false, false, true, false]);
    }
}
