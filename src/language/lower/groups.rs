//! PIM for Groups: each group declared once (by object id or display name, case-insensitive, across every file),
//! and its `member` and `owner` blocks lowered as targets like any directory role (`target.rs`).
//!
//! The language does no network IO, so a group named by display name stays a name: its target's scope is
//! `name:<lower-cased display name>` ([`TargetKey::group_declared`]) and plan resolves it to the group's id.

use super::target::TargetDecl;
use super::templates::{Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, loc};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::model::*;
use std::collections::BTreeMap;

impl Lowerer {
    pub(super) fn lower_groups(
        &mut self,
        files: &[ParsedFile],
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &mut DesiredState,
    ) {
        // Keyed by the member target's key: its scope is the group's id or `name:<lower-cased name>`.
        let mut declared: BTreeMap<String, Location> = BTreeMap::new();
        for f in files {
            let Some(entries) = f.doc.groups.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (name_sp, decl_sp) in &entries.0 {
                let Some(name) = name_sp.get() else { continue };
                let at = loc(&f.path, name_sp);
                let group = name.trim();
                if group.is_empty() {
                    self.err(
                        Code::EmptyValue,
                        "a group is declared with an empty name",
                        at,
                        Some("name the group by its display name or object id".into()),
                    );
                    continue;
                }
                let scope = TargetKey::group_declared(group, GroupAccess::Member).scope;
                if let Some(first) = declared.get(&scope) {
                    let d = Diagnostic::new(
                        Code::GroupTwice,
                        format!("group `{group}` is declared twice"),
                        at,
                    )
                    .with_related("first declared here", first.clone())
                    .with_help(
                        "declare each group once (names compare case-insensitively); merge the two declarations",
                    );
                    self.diags.push(d);
                    continue;
                }
                declared.insert(scope, at);
                let Some(decl) = decl_sp.get() else { continue };
                let group = if is_guid(group) {
                    group.to_lowercase()
                } else {
                    group.to_string()
                };
                for (access, block) in [
                    (GroupAccess::Member, &decl.member),
                    (GroupAccess::Owner, &decl.owner),
                ] {
                    let Some(block_sp) = block else { continue };
                    let Some(block) = block_sp.get() else {
                        continue;
                    };
                    let target = TargetRef::Group {
                        group: group.clone(),
                        access,
                    };
                    let block_at = loc(&f.path, block_sp);
                    self.declare_target(
                        f,
                        target,
                        &block_at,
                        &TargetDecl::of_group(block),
                        templates,
                        resolved,
                        state,
                    );
                }
            }
        }
    }
}
