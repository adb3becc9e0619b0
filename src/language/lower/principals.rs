//! Principals: one kind with a well-formed name per entry, approver lists, and the `protected` list.

use super::{Lowerer, ParsedFile, loc, origin_of};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::ApproverEntry;
use crate::model::*;
use std::collections::BTreeMap;
use std::path::Path;

impl Lowerer {
    /// The `protected` principals of every file, each listed once.
    pub(super) fn lower_protected(&mut self, files: &[ParsedFile]) -> Vec<Protected> {
        let mut out = Vec::new();
        let mut seen_protected: BTreeMap<PrincipalRef, Location> = BTreeMap::new();
        for f in files {
            let Some(list) = f.doc.protected.as_ref().and_then(Sp::get) else {
                continue;
            };
            for entry_sp in list {
                let Some(entry) = entry_sp.get() else {
                    continue;
                };
                let at = loc(&f.path, entry_sp);
                let Some(p) = self.principal(&f.path, entry_sp, &entry.principal_fields()) else {
                    continue;
                };
                if let Some(first) = seen_protected.get(&p) {
                    let d = Diagnostic::new(
                        Code::DuplicatePrincipal,
                        format!("{p} is listed twice under `protected`"),
                        at,
                    )
                    .with_related("first listed here", first.clone());
                    self.diags.push(d);
                    continue;
                }
                seen_protected.insert(p.clone(), at.clone());
                out.push(Protected {
                    principal: p,
                    origin: origin_of(&at),
                });
            }
        }
        out
    }

    /// Exactly one principal kind with a well-formed name.
    pub(super) fn principal<T>(
        &mut self,
        file: &Path,
        entry: &Sp<T>,
        kinds: &[(PrincipalKind, &Option<Sp<String>>)],
    ) -> Option<PrincipalRef> {
        let given: Vec<_> = kinds.iter().filter(|(_, v)| v.is_some()).collect();
        if given.len() != 1 {
            let names = kinds
                .iter()
                .map(|(k, _)| format!("`{}`", k.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            let msg = if given.is_empty() {
                format!("this entry names no principal; give exactly one of {names}")
            } else {
                format!(
                    "this entry names {} principals; give exactly one of {names}",
                    given.len()
                )
            };
            self.err(
                Code::PrincipalKind,
                msg,
                loc(file, entry),
                Some("write one principal per list item, e.g. `- user: alice@contoso.com`".into()),
            );
            return None;
        }
        let (kind, value) = given[0];
        let sp = value.as_ref()?;
        let name = sp.get()?.trim().to_string();
        let problem = if name.is_empty() {
            Some("the name is empty".to_string())
        } else if *kind == PrincipalKind::User && !is_guid(&name) && !looks_like_upn(&name) {
            Some(format!(
                "`{name}` is neither a user principal name (`name@domain`) nor an object id"
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            self.err(
                Code::BadPrincipal,
                msg,
                loc(file, sp),
                Some("users are named by UPN (`alice@contoso.com`) or object id".into()),
            );
            return None;
        }
        Some(PrincipalRef::new(*kind, name))
    }

    pub(super) fn approvers(
        &mut self,
        file: &Path,
        list: &Option<Sp<Vec<Sp<ApproverEntry>>>>,
    ) -> Option<Vec<PrincipalRef>> {
        let items = list.as_ref()?.get()?;
        let mut out: Vec<PrincipalRef> = Vec::new();
        for a in items {
            let Some(e) = a.get() else { continue };
            if let Some(p) = self.principal(
                file,
                a,
                &[
                    (PrincipalKind::User, &e.user),
                    (PrincipalKind::Group, &e.group),
                ],
            ) {
                if out.contains(&p) {
                    self.err(
                        Code::DuplicatePrincipal,
                        format!("approver {p} is listed twice"),
                        loc(file, a),
                        None,
                    );
                    continue;
                }
                out.push(p);
            }
        }
        Some(out)
    }
}

fn looks_like_upn(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !s.contains(char::is_whitespace))
}

pub(super) fn is_email(s: &str) -> bool {
    looks_like_upn(s.trim())
}
