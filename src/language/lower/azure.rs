//! Azure resource roles: each scope an ARM scope, declared once under whatever spelling (across every file); under
//! it, roles by name or role definition id, each lowered as a target like any directory role (`target.rs`).
//!
//! The language does no network IO: a scope is an ARM path, or a readable form naming a subscription or management
//! group by display name (`subscription:Contoso Prod`, `management_group:Contoso`, a path below a named
//! subscription), which stays a name until the tenant is read (`observe::azure` resolves it; plan reports a name
//! that is missing, ambiguous, or a second spelling of a declared scope). A custom role declared by name likewise
//! stays a name until plan finds it.

use super::target::TargetDecl;
use super::templates::{Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, loc};
use crate::azure_catalog;
use crate::graph::arm::{ArmScope, NamedScope, role_definition_guid};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::{BelowName, RoleDecl};
use crate::model::fanout::{Below, FanOut};
use crate::model::*;
use std::collections::BTreeMap;

/// A scope as declared: an ARM path, or a readable form the tenant resolves.
enum Declared {
    Path(ArmScope),
    Named(NamedScope),
}

impl Declared {
    /// How the target records it: the canonical path, or the canonical readable spelling.
    fn spelling(&self) -> String {
        match self {
            Declared::Path(p) => p.path(),
            Declared::Named(n) => n.spelling(),
        }
    }
    fn key(&self) -> String {
        match self {
            Declared::Path(p) => p.key(),
            Declared::Named(n) => n.key(),
        }
    }
}

impl Lowerer {
    pub(super) fn lower_azure_roles(
        &mut self,
        files: &[ParsedFile],
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &mut DesiredState,
    ) {
        // Keyed by the scope's key: every spelling of one scope is one scope.
        let mut scopes: BTreeMap<String, Location> = BTreeMap::new();
        for f in files {
            let Some(entries) = f.doc.azure_roles.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (scope_sp, roles_sp) in &entries.0 {
                let Some(text) = scope_sp.get() else { continue };
                let at = loc(&f.path, scope_sp);
                let scope = match NamedScope::parse(text).map_or_else(
                    || ArmScope::parse(text).map(Declared::Path),
                    |n| n.map(Declared::Named),
                ) {
                    Ok(s) => s,
                    Err(e) => {
                        let help = if text.trim_start().starts_with('/') {
                            "write /providers/Microsoft.Management/managementGroups/{name}, /subscriptions/{id}, \
                             /subscriptions/{id}/resourceGroups/{name}, or a resource id below a resource group"
                        } else if NamedScope::parse(text).is_some() {
                            "write `subscription:{display name}`, `management_group:{display name}`, or \
                             `subscription:{display name}/resourceGroups/{name}[/providers/...]`"
                        } else {
                            "write the scope's ARM path (`/subscriptions/{id}`, \
                             `/providers/Microsoft.Management/managementGroups/{name}`), or name a subscription or \
                             management group by display name: `subscription:Contoso Prod`, \
                             `management_group:Contoso`"
                        };
                        self.err(Code::BadScope, e.to_string(), at, Some(help.into()));
                        continue;
                    }
                };
                if let Some(first) = scopes.get(&scope.key()) {
                    let d = Diagnostic::new(
                        Code::ScopeTwice,
                        format!("Azure scope `{}` is declared twice", scope.spelling()),
                        at,
                    )
                    .with_related("first declared here", first.clone())
                    .with_help(
                        "declare each scope once (spellings of one scope, and names in any case, are the same \
                         scope; a display name and its path are checked against the tenant by plan); merge the two \
                         declarations",
                    );
                    self.diags.push(d);
                    continue;
                }
                scopes.insert(scope.key(), at);
                let Some(roles) = roles_sp.get() else {
                    continue;
                };
                self.lower_scope_roles(f, &scope, roles, templates, resolved, state);
            }
        }
    }

    fn lower_scope_roles(
        &mut self,
        f: &ParsedFile,
        scope: &Declared,
        roles: &crate::language::de::Entries<RoleDecl>,
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &mut DesiredState,
    ) {
        let mut declared: BTreeMap<RoleKey, Location> = BTreeMap::new();
        for (name_sp, decl_sp) in &roles.0 {
            let Some(name) = name_sp.get() else { continue };
            let at = loc(&f.path, name_sp);
            let custom = decl_sp
                .get()
                .and_then(|d| d.custom.as_ref())
                .and_then(|c| c.get().copied())
                .unwrap_or(false);
            let Some(role) = self.azure_role_ref(name, custom, &at) else {
                continue;
            };
            if let Some(first) = declared.get(&role.key()) {
                let d = Diagnostic::new(
                    Code::RoleTwice,
                    format!(
                        "role `{}` is declared twice at `{}`",
                        role.label(),
                        scope.spelling()
                    ),
                    at,
                )
                .with_related("first declared here", first.clone())
                .with_help("declare each role once per scope; merge the two declarations");
                self.diags.push(d);
                continue;
            }
            declared.insert(role.key(), at.clone());
            let Some(decl) = decl_sp.get() else { continue };
            if let Some(review) = &decl.access_review {
                self.err(
                    Code::ReviewNotAvailable,
                    format!(
                        "`access_review` on the Azure role `{}`: pimctl reviews directory roles and groups only",
                        role.label()
                    ),
                    loc(&f.path, review),
                    Some(
                        "remove `access_review` here; Azure role reviews exist only in a preview ARM API \
                         (docs/language.md §11)"
                            .into(),
                    ),
                );
            }
            // The review was refused above: it is not lowered.
            let mut target_decl = TargetDecl::of_role(decl);
            target_decl.settings.access_review = &None;
            let target = TargetRef::AzureRole {
                scope: scope.spelling(),
                role,
            };
            let key = target.key();
            self.declare_target(f, target, &at, &target_decl, templates, resolved, state);
            if let Some(below) = &decl.below {
                match scope {
                    Declared::Path(path) => self.fan_out(f, path, &key, below, state),
                    // The scopes below are listed from the path: a name is resolved too late for that.
                    Declared::Named(n) => self.err(
                        Code::BadFanOut,
                        format!(
                            "`below` at `{}`: fan-out is declared at a scope's ARM path, not its display name",
                            n.spelling()
                        ),
                        loc(&f.path, below),
                        Some("write the subscription's or management group's ARM path".into()),
                    ),
                }
            }
            // ARM refuses a maximum duration on assignments that need not expire (EasyPIM#272).
            if let Some(t) = state.targets.get(&key) {
                for (what, a) in [
                    ("eligible_assignment", &t.policy.eligible_assignment),
                    ("active_assignment", &t.policy.active_assignment),
                ] {
                    if a.allow_permanent == Some(true) && a.max_duration.is_some() {
                        self.err(
                            Code::InvalidValue,
                            format!(
                                "`{what}` of the Azure role `{}` allows permanent assignments and sets \
                                 `max_duration`: ARM refuses a maximum where assignments need not expire",
                                t.target.label()
                            ),
                            at.clone(),
                            Some(format!(
                                "remove `{what}.max_duration` (from the role or its template), or set \
                                 `allow_permanent: false`"
                            )),
                        );
                    }
                }
            }
            // Nor does a template's review.
            if let Some(t) = state.targets.get_mut(&key)
                && t.access_review.take().is_some()
                && decl.access_review.is_none()
            {
                self.err(
                    Code::ReviewNotAvailable,
                    format!(
                        "the template of the Azure role `{}` declares an `access_review`: pimctl reviews \
                         directory roles and groups only",
                        t.target.label()
                    ),
                    at.clone(),
                    Some("use a template without `access_review` for Azure roles".into()),
                );
            }
        }
    }

    /// `below:` on a role at `scope`: a fan-out from a management group or a subscription (docs/language.md §7b.1).
    fn fan_out(
        &mut self,
        f: &ParsedFile,
        scope: &ArmScope,
        key: &TargetKey,
        below: &Sp<BelowName>,
        state: &mut DesiredState,
    ) {
        let Some(name) = below.get() else { return };
        let at = loc(&f.path, below);
        let kind = match name {
            BelowName::ResourceGroups => Below::ResourceGroups,
            BelowName::Subscriptions => Below::Subscriptions,
            BelowName::All => Below::All,
        };
        // (what the scope is, why nothing is fanned out from it, what to do)
        let refused = match (scope, kind) {
            (ArmScope::ResourceGroup { .. }, _) => Some((
                "a resource group",
                "fan-out stops at resource groups (resources are declared one by one)",
                "fan out from the subscription or management group above, or declare each resource",
            )),
            (ArmScope::Resource { .. }, _) => Some((
                "a resource",
                "a resource has nothing below it",
                "remove `below`",
            )),
            (ArmScope::Subscription(_), Below::Subscriptions) => Some((
                "a subscription",
                "a subscription has no subscription below it",
                "write `below: resource_groups`, or fan out from the management group above",
            )),
            _ => None,
        };
        if let Some((what, why, help)) = refused {
            self.err(
                Code::BadFanOut,
                format!(
                    "`below: {}` at {what} (`{}`): {why}",
                    kind.as_str(),
                    scope.path()
                ),
                at,
                Some(help.into()),
            );
            return;
        }
        state.fan_outs.insert(
            key.clone(),
            FanOut {
                below: kind,
                origin: super::origin_of(&at),
            },
        );
    }

    /// An Azure role by display name (the built-in catalogue) or role definition id in any spelling; a custom role
    /// by id, or by name with `custom: true`.
    fn azure_role_ref(&mut self, name: &str, custom: bool, at: &Location) -> Option<RoleRef> {
        let builtin = azure_catalog::lookup(name);
        let guid = role_definition_guid(name);
        if custom {
            if let Some(b) = builtin {
                self.err(
                    Code::CustomBuiltin,
                    format!(
                        "`{name}` is the built-in Azure role `{}`, not a custom role",
                        b.display_name
                    ),
                    at.clone(),
                    Some("remove `custom: true`".into()),
                );
                return None;
            }
            return Some(match guid {
                Some(id) => RoleRef::CustomById { id },
                None => RoleRef::CustomByName {
                    display_name: name.trim().to_string(),
                },
            });
        }
        match (builtin, guid) {
            (Some(b), _) => Some(RoleRef::BuiltIn {
                template_id: b.role_definition_id.to_lowercase(),
                display_name: b.display_name.clone(),
            }),
            (None, Some(id)) => Some(RoleRef::CustomById { id }),
            (None, None) => {
                let help = match crate::suggest::closest(
                    name,
                    azure_catalog::builtin_roles()
                        .iter()
                        .map(|r| r.display_name.as_str()),
                ) {
                    Some(s) => format!("did you mean `{s}`? For a custom role, add `custom: true`"),
                    None => "use a built-in Azure role's name or role definition id; for a custom role, add \
                             `custom: true` or use its role definition id"
                        .into(),
                };
                self.err(
                    Code::UnknownAzureRole,
                    format!("`{name}` is not a built-in Azure role"),
                    at.clone(),
                    Some(help),
                );
                None
            }
        }
    }
}
