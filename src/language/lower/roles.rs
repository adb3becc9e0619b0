//! Directory roles: each name resolved against the catalogue (or taken as a custom role) and declared once; the
//! rest (settings over the template chain, checks, assignments) is shared with every target (`target.rs`).

use super::target::TargetDecl;
use super::templates::{Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, loc};
use crate::catalog;
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
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
                if let Some(below) = &decl.below {
                    self.err(
                        Code::BadFanOut,
                        format!(
                            "`below` on the directory role `{}`: fan-out is for Azure roles",
                            role.label()
                        ),
                        loc(&f.path, below),
                        Some(
                            "remove `below`; directory roles have one policy for the whole tenant"
                                .into(),
                        ),
                    );
                }
                let decl = TargetDecl::of_role(decl);
                let target = TargetRef::DirectoryRole(role);
                self.declare_target(f, target, &at, &decl, templates, resolved, state);
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
}
