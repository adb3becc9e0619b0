//! How a declared Azure role is found: its name (`Owner @ /subscriptions/…`), whether it is privileged (Microsoft's
//! "privileged" category in the Azure catalogue) or tier 0 (Owner, User Access Administrator, Role Based Access
//! Control Administrator: they grant access to everything at their scope), and the role definition id ARM wants.

use super::{Context, Found};
use crate::graph::arm::ArmScope;
use crate::model::{TargetKey, TargetRef};

/// The Azure roles that can grant any access at their scope.
pub const AZURE_TIER0: &[&str] = &[
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168", // Role Based Access Control Administrator
];

/// The role definition id of a role at a scope, as requests carry it: below the subscription for scopes in one,
/// at tenant level for a management group.
pub fn arm_role_definition_id(scope: &ArmScope, guid: &str) -> String {
    match scope.subscription_id() {
        Some(sub) => {
            format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}")
        }
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
    }
}

impl Context<'_> {
    pub(super) fn found_azure(&self, key: &TargetKey) -> Option<Found> {
        let scope = key.arm_scope()?;
        let guid = &key.role.0;
        if guid.starts_with("name:") {
            // A custom role declared by name: not resolved by this version (declare it by its id).
            return None;
        }
        let builtin = crate::azure_catalog::lookup(guid);
        // The scope as declared keeps its case for people; the key is lower-cased.
        let shown_scope = self
            .desired
            .targets
            .get(key)
            .and_then(|d| match &d.target {
                TargetRef::AzureRole { scope, .. } => Some(scope.clone()),
                _ => None,
            })
            .unwrap_or_else(|| scope.path());
        let role_name = builtin
            .map(|b| b.display_name.clone())
            .unwrap_or_else(|| guid.clone());
        Some(Found {
            key: key.clone(),
            name: format!("{role_name} @ {shown_scope}"),
            privileged: builtin.is_some_and(|b| b.privileged),
            tier0: AZURE_TIER0.contains(&guid.as_str()),
            is_global_admin: false,
            role_id: arm_role_definition_id(&scope, guid),
        })
    }
}

/// Azure posture across scopes: a new assignment of a role at a scope above one where the principal holds that role
/// now (eligible at a management group where it was at a subscription) widens the access, whatever the change's own
/// effect: it weakens.
pub(super) fn mark_broader_scopes(changes: &mut [super::Change], live: &crate::model::LiveState) {
    use super::{Action, ChangeKey, Effect};
    for c in changes {
        let ChangeKey::Assignment {
            target,
            principal,
            kind,
        } = &c.key
        else {
            continue;
        };
        if c.action != Action::Create {
            continue;
        }
        let Some(scope) = target.arm_scope() else {
            continue;
        };
        let narrower = live.assignments.iter().find(|a| {
            a.target.role == target.role
                && a.kind == *kind
                && a.principal_id.eq_ignore_ascii_case(principal)
                && a.member_type
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case("Direct"))
                && a.target
                    .arm_scope()
                    .is_some_and(|s| s.key() != scope.key() && below(&s, &scope))
        });
        if let Some(a) = narrower {
            c.posture.effect = Effect::Weakens;
            c.posture.why = format!(
                "{} at a broader scope than the {} it holds now ({})",
                kind.as_str(),
                kind.as_str(),
                a.target.scope
            );
        }
    }
}

/// Whether `lower` lies below `upper`: within its path, or in a subscription when `upper` is a management group
/// (the tenant's hierarchy is not read: a management group is taken as above every subscription).
fn below(lower: &ArmScope, upper: &ArmScope) -> bool {
    match upper {
        ArmScope::ManagementGroup(_) => !matches!(lower, ArmScope::ManagementGroup(_)),
        _ => lower.is_within(upper),
    }
}
