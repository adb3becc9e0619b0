//! The `lint:` block: rules switched off and exceptions, each with a reason and an end date.
//!
//! Only the shape is checked here (a reason, a parseable date, a known role, at most one principal); whether the
//! rule ids exist and whether an entry has expired is the linter's business, so that `validate` stays independent
//! of the rule registry and of the day it runs.

use super::{Lowerer, ParsedFile, loc, origin_of, parse_until};
use crate::language::de::Sp;
use crate::language::diagnostic::Code;
use crate::language::document::WaiverDecl;
use crate::model::{LintConfig, LintWaiver};

impl Lowerer {
    pub(super) fn lower_lint(&mut self, files: &[ParsedFile]) -> LintConfig {
        let mut config = LintConfig::default();
        for f in files {
            let Some(block) = f.doc.lint.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (list, is_exception) in [(&block.disable, false), (&block.exceptions, true)] {
                let Some(items) = list.as_ref().and_then(Sp::get) else {
                    continue;
                };
                for item in items {
                    if let Some(w) = self.waiver(f, item, is_exception) {
                        let target = if is_exception {
                            &mut config.exceptions
                        } else {
                            &mut config.disable
                        };
                        target.push(w);
                    }
                }
            }
        }
        config
    }

    fn waiver(
        &mut self,
        f: &ParsedFile,
        sp: &Sp<WaiverDecl>,
        exception: bool,
    ) -> Option<LintWaiver> {
        let decl = sp.get()?;
        let at = loc(&f.path, sp);
        let mut rules: Vec<String> = Vec::new();
        if let Some(r) = decl.rule.as_ref().and_then(Sp::get) {
            rules.push(r.trim().to_uppercase());
        }
        if let Some(list) = decl.rules.as_ref().and_then(Sp::get) {
            rules.extend(
                list.iter()
                    .filter_map(Sp::get)
                    .map(|r| r.trim().to_uppercase()),
            );
        }
        let mut ok = true;
        if rules.is_empty() {
            self.err(
                Code::MissingKey,
                "this entry names no rule",
                at.clone(),
                Some("add `rule: PIM020` (or `rules: [PIM020, PIM021]`)".into()),
            );
            ok = false;
        }
        let reason = decl
            .reason
            .as_ref()
            .and_then(Sp::get)
            .map(|r| r.trim().to_string());
        if reason.as_deref().is_none_or(str::is_empty) {
            self.err(
                Code::MissingKey,
                "this entry gives no `reason`",
                at.clone(),
                Some("say why the rule does not apply, for the reviewers: `reason: ...`".into()),
            );
            ok = false;
        }
        let until = match decl.until.as_ref() {
            None => {
                self.err(
                    Code::MissingKey,
                    "this entry gives no `until`",
                    at.clone(),
                    Some("every waiver ends: add `until: 2027-06-30`".into()),
                );
                None
            }
            Some(u) => match u.get().map(|t| parse_until(t)) {
                Some(Ok(d)) => Some(d),
                Some(Err(msg)) => {
                    self.err(
                        Code::BadDate,
                        msg,
                        loc(&f.path, u),
                        Some("write a date (`2027-06-30`) or an RFC 3339 timestamp".into()),
                    );
                    None
                }
                None => None,
            },
        };
        let role = match decl.role.as_ref() {
            Some(r) => {
                let name = r.get()?;
                let role = self.role_ref(name, false, &loc(&f.path, r));
                ok &= role.is_some();
                role
            }
            None => None,
        };
        let fields = decl.principal_fields();
        let names_principal = fields.iter().any(|(_, v)| v.is_some());
        let principal = if names_principal {
            let p = self.principal(&f.path, sp, &fields);
            ok &= p.is_some();
            p
        } else {
            None
        };
        if exception && !names_principal && decl.role.is_none() {
            self.err(
                Code::MissingKey,
                "this exception names neither a role nor a principal",
                at.clone(),
                Some("add `role:`, a principal (`user:`, `group:`, `service_principal:`), or both; to switch a rule off everywhere, move it under `disable`".into()),
            );
            ok = false;
        }
        if !exception && (decl.role.is_some() || names_principal) {
            self.err(
                Code::InvalidValue,
                "a `disable` entry applies everywhere; it takes no role or principal",
                at.clone(),
                Some(
                    "move it under `exceptions` to waive the rule for one role or principal".into(),
                ),
            );
            ok = false;
        }
        let until = until?;
        (ok).then(|| LintWaiver {
            rules,
            role,
            principal,
            reason: reason.unwrap_or_default(),
            until,
            origin: origin_of(&at),
        })
    }
}
