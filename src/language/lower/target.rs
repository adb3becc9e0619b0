//! One declared target, whatever its surface (a directory role, a group's members or owners): its settings merged
//! over its template chain, the merged policy checked, and its assignments lowered against that policy.

use super::origins::setting_origins;
use super::settings::SettingsRef;
use super::templates::{Layer, MustSet, Resolved, TemplateDef};
use super::{Lowerer, ParsedFile, origin_of};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::{AssignmentEntry, GroupAccessDecl, RoleDecl};
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

/// A [`TargetDecl`] of any target block: the document declares the same keys on each (`document::target_block!`), so
/// one expression reads them all.
macro_rules! target_decl {
    ($d:expr) => {
        TargetDecl {
            template: &$d.template,
            settings: SettingsRef {
                activation: &$d.activation,
                eligible_assignment: &$d.eligible_assignment,
                active_assignment: &$d.active_assignment,
                notifications: &$d.notifications,
                access_review: &$d.access_review,
            },
            eligible: &$d.eligible,
            active: &$d.active,
        }
    };
}

impl<'a> TargetDecl<'a> {
    /// A role block (a directory role's, an Azure role's): every key of it.
    pub(super) fn of_role(d: &'a RoleDecl) -> Self {
        target_decl!(d)
    }

    /// A group's `member` or `owner` block.
    pub(super) fn of_group(d: &'a GroupAccessDecl) -> Self {
        target_decl!(d)
    }
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
        state
            .setting_origins
            .insert(key.clone(), std::sync::Arc::new(origins));
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

        // ABAC conditions exist on Azure role assignments only.
        if !matches!(target, TargetRef::AzureRole { .. }) {
            for x in eligible.iter().chain(&active).flatten() {
                if x.condition.is_some() {
                    let at = Location {
                        file: x.origin.file.clone(),
                        path: x.origin.path.clone(),
                        line: Some(x.origin.line),
                        column: Some(x.origin.column),
                    };
                    self.err(
                        Code::BadCondition,
                        format!("{} has a `condition` in `{label}`: conditions exist on Azure role assignments only", x.principal),
                        at,
                        Some("remove `condition` and `condition_version`".into()),
                    );
                }
            }
        }

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

        let review =
            review.filter(|rv| self.check_review(&target, rv, [&eligible, &active], &protected));
        DesiredTarget {
            target,
            templates: chain,
            policy: merged.policy,
            eligible,
            active,
            access_review: review,
            no_access_review: merged.review.none.clone(),
            origin: origin_of(at),
        }
    }

    /// Whether the target can have the review: a group's owners have none (Graph reviews a group's members), a
    /// group's review covers all its members, and a review that removes members nobody reviewed must not reach a
    /// protected principal declared in the lists it covers (plan checks the tenant's assignments the same way).
    fn check_review(
        &mut self,
        target: &TargetRef,
        rv: &AccessReview,
        lists: [&Option<Vec<DesiredAssignment>>; 2],
        protected: &dyn Fn(&PrincipalRef) -> bool,
    ) -> bool {
        let at = Location {
            file: rv.origin.file.clone(),
            path: rv.origin.path.clone(),
            line: Some(rv.origin.line),
            column: Some(rv.origin.column),
        };
        if let TargetRef::Group { access, .. } = target {
            let problem = match access {
                GroupAccess::Owner => Some((
                    format!(
                        "`{}` cannot have an access review: pimctl reviews a group's members, not its owners",
                        target.describe()
                    ),
                    "move the review to the group's `member` block, or write `access_review: none`",
                )),
                GroupAccess::Member if rv.assignments != ReviewedAssignments::Both => Some((
                    format!(
                        "a review of `{}` covers all its members: `assignments: {}` is for directory roles",
                        target.describe(),
                        rv.assignments.as_str()
                    ),
                    "remove `assignments`",
                )),
                GroupAccess::Member => None,
            };
            if let Some((message, help)) = problem {
                self.err(Code::ReviewNotAvailable, message, at, Some(help.into()));
                return false;
            }
        }
        if !rv.removes_unreviewed() {
            return true;
        }
        for (kind, list) in [AssignmentKind::Eligible, AssignmentKind::Active]
            .into_iter()
            .zip(lists)
        {
            if !rv.assignments.covers(kind) {
                continue;
            }
            if let Some(p) = list.iter().flatten().find(|a| protected(&a.principal)) {
                self.err(
                    Code::ReviewRemovesProtected,
                    format!(
                        "the access review of `{}` removes members nobody reviewed (`default_decision: {}` with \
                         `auto_apply: true`), and covers the {kind} assignment of protected principal {}",
                        target.describe(),
                        serde_json::to_value(rv.default_decision)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        p.principal
                    ),
                    at,
                    Some(format!(
                        "review only the other assignments (`assignments: {}`), or write `default_decision: none`",
                        match kind {
                            AssignmentKind::Eligible => "active",
                            AssignmentKind::Active => "eligible",
                        }
                    )),
                );
                return false;
            }
        }
        true
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
