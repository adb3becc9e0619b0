//! Directory roles: each name resolved against the catalogue (or taken as a custom role), declared once, its
//! settings merged over its template chain, the merged policy checked, and its assignments lowered.

use super::origins::setting_origins;
use super::settings::SettingsRef;
use super::templates::{Layer, MustSet, Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, loc, origin_of};
use crate::catalog;
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::RoleDecl;
use crate::model::*;
use std::collections::BTreeMap;

impl Lowerer {
    pub(super) fn lower_roles(
        &mut self,
        files: &[ParsedFile],
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &mut DesiredState,
    ) {
        let mut declared: BTreeMap<RoleKey, Location> = BTreeMap::new();
        for f in files {
            let Some(entries) = f.doc.directory_roles.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (name_sp, decl_sp) in &entries.0 {
                let Some(name) = name_sp.get() else { continue };
                let at = loc(&f.path, name_sp);
                let custom = decl_sp
                    .get()
                    .and_then(|d| d.custom.as_ref())
                    .and_then(|c| c.get().copied())
                    .unwrap_or(false);
                let Some(role) = self.role_ref(name, custom, &at) else {
                    continue;
                };
                let key = role.key();
                if let Some(first) = declared.get(&key) {
                    let d = Diagnostic::new(
                        Code::RoleTwice,
                        format!("role `{}` is declared twice", role.label()),
                        at.clone(),
                    )
                    .with_related("first declared here", first.clone())
                    .with_help("declare each role once; merge the two declarations");
                    self.diags.push(d);
                    continue;
                }
                declared.insert(key.clone(), at.clone());
                let Some(decl) = decl_sp.get() else { continue };
                if let Some(r) = self.lower_role(f, &role, &at, decl, templates, resolved, state) {
                    let origins = setting_origins(f, &at.path, &r.templates, templates);
                    let target = TargetKey::directory_role(key);
                    state.setting_origins.insert(target.clone(), origins);
                    state.targets.insert(target, r);
                }
            }
        }
    }

    pub(super) fn role_ref(&mut self, name: &str, custom: bool, at: &Location) -> Option<RoleRef> {
        let builtin = catalog::lookup(name);
        if custom {
            if let Some(b) = builtin {
                self.err(
                    Code::CustomBuiltin,
                    format!(
                        "`{name}` is the built-in role `{}`, not a custom role",
                        b.display_name
                    ),
                    at.clone(),
                    Some("remove `custom: true`".into()),
                );
                return None;
            }
            return Some(if is_guid(name) {
                RoleRef::CustomById {
                    id: name.to_lowercase(),
                }
            } else {
                RoleRef::CustomByName {
                    display_name: name.to_string(),
                }
            });
        }
        match builtin {
            Some(b) => Some(RoleRef::BuiltIn {
                template_id: b.template_id.to_lowercase(),
                display_name: b.display_name.clone(),
            }),
            None if is_guid(name) => Some(RoleRef::CustomById {
                id: name.to_lowercase(),
            }),
            None => {
                let mut help = match catalog::suggest(name) {
                    Some(s) => format!("did you mean `{s}`? For a custom role, add `custom: true`"),
                    None => "use a built-in role's display name or template id; for a custom role, add `custom: true` or use its object id".into(),
                };
                // A look-alike letter (Cyrillic `а` for Latin `a`) is invisible in a review; name it.
                if let Some((i, c)) = name.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
                    help.push_str(&format!(
                        "; the name holds a non-ASCII character, U+{:04X} `{c}` at character {}, which may look like a Latin letter",
                        u32::from(c),
                        i + 1
                    ));
                }
                self.err(
                    Code::UnknownRole,
                    format!("`{name}` is not a built-in Entra role"),
                    at.clone(),
                    Some(help),
                );
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_role(
        &mut self,
        f: &ParsedFile,
        role: &RoleRef,
        at: &Location,
        decl: &RoleDecl,
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &DesiredState,
    ) -> Option<DesiredTarget> {
        let own = self.lower_settings(
            &f.path,
            &SettingsRef {
                activation: &decl.activation,
                eligible_assignment: &decl.eligible_assignment,
                active_assignment: &decl.active_assignment,
                notifications: &decl.notifications,
                access_review: &decl.access_review,
            },
        );
        let mut chain = Vec::new();
        let mut complete = true;
        let merged = match decl.template.as_ref() {
            None => own,
            Some(t_sp) => match t_sp.get() {
                None => {
                    complete = false;
                    own
                }
                Some(t) if !templates.contains_key(t) => {
                    self.undefined_template(t, &f.path, t_sp, templates);
                    complete = false;
                    own
                }
                Some(t) => match resolved.get(t).cloned().flatten() {
                    Some((base, names)) => {
                        chain = names;
                        own.merge_over(&base)
                    }
                    None => {
                        complete = false;
                        own
                    }
                },
            },
        };

        // Checks on the merged settings, only when the template chain resolved (otherwise they would mislead).
        if complete {
            self.check_merged(role, at, &merged, &chain);
        }

        let review = self.finish_review(&merged.review);
        let protected = |p: &PrincipalRef| state.is_protected(p);
        let eligible = self.lower_assignments(
            f,
            role,
            &decl.eligible,
            AssignmentKind::Eligible,
            &merged.policy,
            &protected,
        );
        let active = self.lower_assignments(
            f,
            role,
            &decl.active,
            AssignmentKind::Active,
            &merged.policy,
            &protected,
        );

        if let (Some(e), Some(a)) = (&eligible, &active) {
            let active_principals: std::collections::HashSet<&PrincipalRef> =
                a.iter().map(|y| &y.principal).collect();
            for x in e {
                if active_principals.contains(&x.principal) {
                    let at = Location {
                        file: x.origin.file.clone(),
                        path: x.origin.path.clone(),
                        line: Some(x.origin.line),
                        column: Some(x.origin.column),
                    };
                    if protected(&x.principal) {
                        self.err(
                            Code::ProtectedEligible,
                            format!(
                                "protected principal {} is eligible for `{}`, in which it is active",
                                x.principal,
                                role.label()
                            ),
                            at,
                            Some("break-glass accounts stay permanently active; remove the eligible entry".into()),
                        );
                    } else {
                        self.err(
                            Code::EligibleAndActive,
                            format!(
                                "{} is both eligible and active for `{}`",
                                x.principal,
                                role.label()
                            ),
                            at,
                            Some("keep one: eligible (just in time) or active (standing)".into()),
                        );
                    }
                }
            }
        }

        Some(DesiredTarget {
            target: TargetRef::DirectoryRole(role.clone()),
            templates: chain,
            policy: merged.policy,
            eligible,
            active,
            access_review: review,
            origin: origin_of(at),
        })
    }

    fn check_merged(&mut self, role: &RoleRef, at: &Location, merged: &Layer, chain: &[String]) {
        let approval = &merged.policy.activation.approval;
        if approval.required == Some(true)
            && !approval
                .stages
                .as_ref()
                .is_some_and(|s| !s.is_empty() && s.iter().all(ApprovalStage::has_approvers))
        {
            let from = if chain.is_empty() {
                String::new()
            } else {
                format!(" (template `{}`)", chain.join("` → `"))
            };
            self.err(
                Code::ApprovalWithoutApprovers,
                format!(
                    "`{}` requires approval{from} but names no approver",
                    role.label()
                ),
                at.clone(),
                Some(
                    "add `activation: {approval: {approvers: [{group: ...}]}}` to the role".into(),
                ),
            );
        }
        for MustSet {
            path,
            at: tpl_at,
            met,
        } in &merged.must_set
        {
            if !met {
                let d = Diagnostic::new(
                    Code::MustSet,
                    format!(
                        "`{}` must set `{path}` (required by its template)",
                        role.label()
                    ),
                    at.clone(),
                )
                .with_related("required here", tpl_at.clone())
                .with_help(format!("add `{path}` to the role"));
                self.diags.push(d);
            }
        }
    }
}
