//! How a declared Azure role is found: its name (`Owner @ /subscriptions/…`), whether it is privileged (Microsoft's
//! "privileged" category in the Azure catalogue) or tier 0 (Owner, User Access Administrator, Role Based Access
//! Control Administrator: they grant access to everything at their scope), and the role definition id ARM wants.

use super::{Context, Found, PlanError, PlanErrorCode};
use crate::graph::arm::{ArmScope, NamedScope};
use crate::model::{CustomRoleResolution, ScopeResolution, Surface, TargetKey, TargetRef};
use std::collections::BTreeMap;

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
        // A scope declared by display name is found once the tenant resolved it to one scope, and a custom role
        // declared by name once its scope's list of custom roles gave exactly one assignable there.
        let declared = key;
        let key = &self.live.arm_target_of(declared)?;
        let scope = key.arm_scope()?;
        let guid = &key.role.0;
        let builtin = crate::azure_catalog::lookup(guid);
        // The scope as declared keeps its case for people; the key is lower-cased.
        let shown_scope = self
            .desired
            .targets
            .get(declared)
            .and_then(|d| match &d.target {
                TargetRef::AzureRole { scope, .. } => Some(scope.clone()),
                _ => None,
            })
            .unwrap_or_else(|| scope.path());
        let role_name = match builtin {
            Some(b) => b.display_name.clone(),
            None => self
                .live
                .azure_custom_roles
                .get(&crate::model::custom_role_key(&scope, &declared.role))
                .and_then(|r| match r {
                    CustomRoleResolution::Found { role } => Some(role.name.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| guid.clone()),
        };
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

/// The help of `policy_not_found`. Azure: ARM lists a policy for every role assignable at a scope, and a role
/// missing or not assignable there is `role_not_found` / `azure_role_not_assignable` before this; so the causes left
/// are the caller's permissions and a role created moments ago, before licensing. Entra (directory roles, groups):
/// the role or group exists, so PIM's licence is the likely cause.
pub(super) fn policy_not_found_help(surface: Surface) -> String {
    match surface {
        Surface::AzureRole => "ARM lists a policy for every role assignable at a scope, and none was read for this \
                               role there: check that the caller may read role management policies at the scope \
                               (Microsoft.Authorization/roleManagementPolicies/read and \
                               roleManagementPolicyAssignments/read); a custom role created or made assignable \
                               moments ago may not be listed yet (plan again); PIM for Azure resources needs \
                               Microsoft Entra ID P2 or ID Governance"
            .to_string(),
        _ => "PIM needs Microsoft Entra ID P2 or ID Governance".to_string(),
    }
}

impl Context<'_> {
    /// The plan errors of Azure scopes declared by display name: a name no subscription (or management group) the
    /// caller can read has, a name several share (each listed with its id), and one scope declared under two
    /// spellings (a name and its path, or two names). Each at the first role declared under the scope.
    pub(super) fn check_azure_scopes(&mut self) {
        // Declared scope key -> (its first target, the scope it resolves to).
        let mut declared: BTreeMap<&str, (&crate::model::DesiredTarget, Option<ArmScope>)> =
            BTreeMap::new();
        for (key, target) in &self.desired.targets {
            if key.surface != Surface::AzureRole || declared.contains_key(key.scope.as_str()) {
                continue;
            }
            declared.insert(&key.scope, (target, self.live.arm_scope_of(key)));
        }
        let mut by_scope: BTreeMap<String, &crate::model::DesiredTarget> = BTreeMap::new();
        let mut errors = vec![];
        for (scope_key, (target, resolved)) in &declared {
            let spelt = match &target.target {
                TargetRef::AzureRole { scope, .. } => scope.as_str(),
                _ => scope_key,
            };
            let origin = Some(target.origin.clone());
            if let Some(Ok(named)) = NamedScope::parse(scope_key) {
                match self.live.azure_names.get(&named.root_key()) {
                    None | Some(ScopeResolution::Missing) => {
                        errors.push(PlanError {
                            code: PlanErrorCode::AzureScopeNotFound,
                            message: format!(
                                "no {} the caller can read is named '{}' (`{spelt}`)",
                                named.kind.noun(),
                                named.name
                            ),
                            origin,
                            help: Some(format!(
                                "check the {}'s display name (compared case-insensitively) and that the caller may \
                                 read it, or write its ARM path",
                                named.kind.noun()
                            )),
                        });
                        continue;
                    }
                    Some(ScopeResolution::Ambiguous { candidates }) => {
                        let list: Vec<String> = candidates
                            .iter()
                            .map(|c| {
                                let path = named
                                    .resolve(&c.id)
                                    .map_or_else(|_| c.id.clone(), |s| s.path());
                                format!("{} ({path})", c.display_name)
                            })
                            .collect();
                        errors.push(PlanError {
                            code: PlanErrorCode::AzureScopeAmbiguous,
                            message: format!(
                                "the {} name '{}' (`{spelt}`) matches {} {}s: {}",
                                named.kind.noun(),
                                named.name,
                                candidates.len(),
                                named.kind.noun(),
                                list.join(", ")
                            ),
                            origin,
                            help: Some("write the scope's ARM path instead".to_string()),
                        });
                        continue;
                    }
                    Some(ScopeResolution::Found { .. }) => {}
                }
            }
            let Some(scope) = resolved else { continue };
            if let Some(first) = by_scope.get(&scope.key()) {
                let first_spelt = match &first.target {
                    TargetRef::AzureRole { scope, .. } => scope.clone(),
                    _ => String::new(),
                };
                errors.push(PlanError {
                    code: PlanErrorCode::AzureScopeDeclaredTwice,
                    message: format!(
                        "the Azure scope {} is declared twice: as `{first_spelt}` (at {}) and as `{spelt}`",
                        scope.path(),
                        first.origin
                    ),
                    origin,
                    help: Some(
                        "declare each scope once, by display name or by path; merge the two declarations"
                            .to_string(),
                    ),
                });
                continue;
            }
            by_scope.insert(scope.key(), target);
        }
        self.errors.extend(errors);
    }
}

impl Context<'_> {
    /// The plan errors of custom Azure roles declared by name, at the scope they are declared at (once it is
    /// resolved): a name no custom role the caller can read has, a name several share (each listed with its id), and
    /// a role whose assignable scopes do not hold the scope; and of roles declared by id that are neither built-in
    /// nor custom roles assignable at the scope (`observe::azure::check_custom_ids`). Each at the role's
    /// declaration.
    pub(super) fn check_azure_roles(&mut self) {
        let mut errors = vec![];
        for (key, target) in &self.desired.targets {
            if key.surface != Surface::AzureRole {
                continue;
            }
            let Some(scope) = self.live.arm_scope_of(key) else {
                continue;
            };
            // A role by id is checked only when the read found it neither built-in nor with a policy at the scope.
            let by_name = key.role.0.starts_with("name:");
            let spelt = match &target.target {
                TargetRef::AzureRole { scope, .. } => scope.clone(),
                _ => scope.path(),
            };
            let name = target.target.label();
            let origin = Some(target.origin.clone());
            let resolution = self
                .live
                .azure_custom_roles
                .get(&crate::model::custom_role_key(&scope, &key.role));
            let scopes = |r: &crate::model::ArmCustomRole| r.assignable_scopes.join(", ");
            match resolution {
                None if !by_name => {}
                None | Some(CustomRoleResolution::Missing) if !by_name => errors.push(PlanError {
                    code: PlanErrorCode::RoleNotFound,
                    message: format!(
                        "no Azure role has the role definition id {name} at `{spelt}`: it is not a built-in \
                         role, and not a custom role the caller can read"
                    ),
                    origin,
                    help: Some(
                        "check the id (`az role definition list --query \"[].{name:roleName, id:name}\"`), \
                         that the caller may read role definitions \
                         (Microsoft.Authorization/roleDefinitions/read), or declare a custom role by its name \
                         with `custom: true`"
                            .to_string(),
                    ),
                }),
                None | Some(CustomRoleResolution::Missing) => errors.push(PlanError {
                    code: PlanErrorCode::RoleNotFound,
                    message: format!(
                        "no custom Azure role the caller can read is named '{name}' (declared at `{spelt}`)"
                    ),
                    origin,
                    help: Some(
                        "check the role's name (compared case-insensitively; `az role definition list \
                         --custom-role-only`), that the caller may read role definitions \
                         (Microsoft.Authorization/roleDefinitions/read), or declare the role by its role \
                         definition id"
                            .to_string(),
                    ),
                }),
                Some(CustomRoleResolution::Ambiguous { candidates }) => errors.push(PlanError {
                    code: PlanErrorCode::AzureRoleAmbiguous,
                    message: format!(
                        "the custom role name '{name}' (declared at `{spelt}`) matches {} custom roles: {}",
                        candidates.len(),
                        candidates
                            .iter()
                            .map(|c| format!("{} (assignable at {})", c.id, scopes(c)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    origin,
                    help: Some("declare the role by its role definition id instead".to_string()),
                }),
                Some(CustomRoleResolution::NotAssignable { role }) => errors.push(PlanError {
                    code: PlanErrorCode::AzureRoleNotAssignable,
                    message: format!(
                        "the custom role '{}' ({}) is not assignable at {}: its assignable scopes are {}",
                        role.name,
                        role.id,
                        scope.path(),
                        scopes(role)
                    ),
                    origin,
                    help: Some(
                        "add the scope, or one above it, to the role's assignableScopes, or declare the role at \
                         a scope it is assignable at"
                            .to_string(),
                    ),
                }),
                Some(CustomRoleResolution::Found { .. }) => {}
            }
        }
        self.errors.extend(errors);
    }
}

/// Azure posture across scopes: a new assignment of a role at a scope above one where the principal holds that role
/// now (eligible at a management group where it was at a subscription) widens the access, whatever the change's own
/// effect: it weakens.
pub(super) fn mark_broader_scopes(
    changes: &mut [super::Change],
    index: &crate::model::LiveIndex<'_>,
) {
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
        // The first in the tenant's order, of the principal's direct assignments of the role at a scope below.
        let narrower = index
            .targets()
            .filter(|t| t.role == target.role)
            .filter_map(|t| index.direct(t, principal, *kind))
            .filter(|(_, a)| {
                a.target
                    .arm_scope()
                    .is_some_and(|s| s.key() != scope.key() && below(&s, &scope))
            })
            .min_by_key(|(i, _)| *i)
            .map(|(_, a)| a);
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
