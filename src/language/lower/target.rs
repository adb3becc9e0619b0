//! One declared target, whatever its surface (a directory role, a group's members or owners): its settings merged
//! over its template chain, the merged policy checked, and its assignments lowered against that policy.

use super::origins::setting_origins;
use super::settings::SettingsRef;
use super::templates::{Layer, MustSet, Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, origin_of};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::AssignmentEntry;
use crate::model::*;
use std::collections::BTreeMap;

type List<T> = Option<Sp<Vec<Sp<T>>>>;

/// What every target block declares, whatever its surface: a template, the five settings keys and the two lists.
pub(super) struct TargetDecl<'a> {
    pub(super) template: &'a Option<Sp<String>>,
    pub(super) settings: SettingsRef<'a>,
    pub(super) eligible: &'a List<AssignmentEntry>,
    pub(super) active: &'a List<AssignmentEntry>,
}

impl Lowerer {
    /// Lowers one target block and adds it, with where its settings were written, to the state.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn declare_target(
        &mut self,
        f: &ParsedFile,
        target: TargetRef,
        at: &Location,
        decl: &TargetDecl,
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &mut DesiredState,
    ) {
        let r = self.lower_target(f, target, at, decl, templates, resolved, state);
        let origins = setting_origins(f, &at.path, &r.templates, templates);
        let key = r.target.key();
        state.setting_origins.insert(key.clone(), origins);
        state.targets.insert(key, r);
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_target(
        &mut self,
        f: &ParsedFile,
        target: TargetRef,
        at: &Location,
        decl: &TargetDecl,
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &Resolved,
        state: &DesiredState,
    ) -> DesiredTarget {
        let label = target.describe();
        let own = self.lower_settings(&f.path, &decl.settings);
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
            self.check_merged(&label, at, &merged, &chain);
        }

        let review = self.finish_review(&merged.review);
        let protected = |p: &PrincipalRef| state.is_protected(p);
        let eligible = self.lower_assignments(
            f,
            &label,
            decl.eligible,
            AssignmentKind::Eligible,
            &merged.policy,
            &protected,
        );
        let active = self.lower_assignments(
            f,
            &label,
            decl.active,
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
                                label
                            ),
                            at,
                            Some("break-glass accounts stay permanently active; remove the eligible entry".into()),
                        );
                    } else {
                        self.err(
                            Code::EligibleAndActive,
                            format!(
                                "{} is both eligible and active for `{}`",
                                x.principal, label
                            ),
                            at,
                            Some("keep one: eligible (just in time) or active (standing)".into()),
                        );
                    }
                }
            }
        }

        DesiredTarget {
            target,
            templates: chain,
            policy: merged.policy,
            eligible,
            active,
            access_review: review,
            origin: origin_of(at),
        }
    }

    fn check_merged(&mut self, label: &str, at: &Location, merged: &Layer, chain: &[String]) {
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
                format!("`{}` requires approval{from} but names no approver", label),
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
                    format!("`{}` must set `{path}` (required by its template)", label),
                    at.clone(),
                )
                .with_related("required here", tpl_at.clone())
                .with_help(format!("add `{path}` to the role"));
                self.diags.push(d);
            }
        }
    }
}
