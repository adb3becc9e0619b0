//! The scopes below fan-out declarations (`below:`, docs/language.md §7b.1), listed through ARM into
//! [`LiveState::azure_below`] for `observe::azure` (which then reads each scope reached like a declared one) and for
//! the planner (`model::fanout::expand`).
//!
//! Lists, whatever the number of scopes found: one list of descendants per management group that fans out, one
//! list of resource groups per subscription that fans out and per subscription found below a management group whose
//! fan-out reaches resource groups (each subscription listed once). Each follows `nextLink`.

use super::read::{all_in_order, in_order};
use crate::graph::arm::ArmScope;
use crate::graph::arm::hierarchy::{
    ArmResourceGroup, Descendant, descendants_path, resource_groups_path,
};
use crate::graph::client::{ArmClient, ClientError};
use crate::model::fanout::ScopeBelow;
use crate::model::{DesiredState, LiveState};
use std::collections::{BTreeMap, BTreeSet};

/// The scopes declared with a fan-out, by key, each with whether resource groups must be listed below it.
pub fn fan_out_scopes(desired: &[&DesiredState]) -> BTreeMap<String, (ArmScope, bool)> {
    let mut out: BTreeMap<String, (ArmScope, bool)> = BTreeMap::new();
    for d in desired {
        for (key, f) in &d.fan_outs {
            let Some(s) = key.arm_scope() else { continue };
            let e = out.entry(s.key()).or_insert((s, false));
            e.1 |= f.below.needs_resource_groups();
        }
    }
    out
}

/// A subscription's resource groups (every page), with it.
async fn resource_groups(
    client: &ArmClient,
    subscription: &str,
) -> Result<(String, Vec<ArmResourceGroup>), ClientError> {
    let list = client
        .list_all::<ArmResourceGroup>(&resource_groups_path(subscription))
        .await?;
    Ok((subscription.to_string(), list))
}

/// Lists the scopes below every fan-out scope of `desired` into `live.azure_below`. Nothing is read when none fans
/// out.
pub async fn list_below(
    client: &ArmClient,
    desired: &[&DesiredState],
    live: &mut LiveState,
) -> Result<(), ClientError> {
    let fans = fan_out_scopes(desired);
    if fans.is_empty() {
        return Ok(());
    }
    let mut below: BTreeMap<String, ScopeBelow> = BTreeMap::new();
    let mut add = |s: &ArmScope, parent: &ArmScope| {
        below.insert(
            s.key(),
            ScopeBelow {
                path: s.path(),
                parent: parent.key(),
            },
        );
    };
    // First the management groups' descendants and the fanned-out subscriptions' resource groups, together.
    let descendants = fans.values().filter_map(|(s, rgs)| match s {
        ArmScope::ManagementGroup(n) => Some(async move {
            let list = client.list_all::<Descendant>(&descendants_path(n)).await?;
            Ok::<_, ClientError>((s.clone(), *rgs, list))
        }),
        _ => None,
    });
    let subscriptions: Vec<String> = fans
        .values()
        .filter_map(|(s, _)| match s {
            ArmScope::Subscription(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let (descendants, groups) = in_order(
        all_in_order(descendants),
        all_in_order(subscriptions.iter().map(|id| resource_groups(client, id))),
    )
    .await?;
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for (top, rgs, list) in descendants {
        for d in list {
            let Some(s) = d.scope() else { continue };
            if let (true, ArmScope::Subscription(id)) = (rgs, &s) {
                wanted.insert(id.clone());
            }
            add(&s, &d.parent().unwrap_or_else(|| top.clone()));
        }
    }
    // Then the resource groups of the subscriptions found below a management group, each once.
    let listed: BTreeSet<&String> = subscriptions.iter().collect();
    let more: Vec<&String> = wanted.iter().filter(|id| !listed.contains(id)).collect();
    let more = all_in_order(more.into_iter().map(|id| resource_groups(client, id))).await?;
    for (sub, list) in groups.into_iter().chain(more) {
        let parent = ArmScope::Subscription(sub);
        for rg in list {
            if let Some(s) = rg.scope() {
                add(&s, &parent);
            }
        }
    }
    live.azure_below = below;
    Ok(())
}

/// The scopes the fan-outs of `desired` reach (declared nowhere), by key.
pub fn reached_scopes(desired: &[&DesiredState], live: &LiveState) -> BTreeMap<String, ArmScope> {
    desired
        .iter()
        .flat_map(|d| crate::model::fanout::reached(d, &live.azure_below).into_values())
        .map(|(scope, _)| (scope.key(), scope))
        .collect()
}
