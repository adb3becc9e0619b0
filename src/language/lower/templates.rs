//! Templates: what one template or role declares (a [`Layer`]), key-by-key merging over a base, `extends:` chains
//! (resolved once each, cycles reported), and `must_set`.

use super::settings::SettingsRef;
use super::{Lowerer, ParsedFile, loc};
use crate::duration::Duration;
use crate::language::de::{Ctx, Sp};
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::Template;
use crate::model::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Settings as one template or role declares them, before merging.
#[derive(Debug, Clone, Default)]
pub(super) struct Layer {
    pub(super) policy: PolicySettings,
    pub(super) review: ReviewPartial,
    pub(super) must_set: Vec<MustSet>,
}

/// A `must_set` requirement: met only by a layer nearer the role than the template that declares it.
#[derive(Debug, Clone)]
pub(super) struct MustSet {
    pub(super) path: String,
    pub(super) at: Location,
    pub(super) met: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ReviewPartial {
    pub(super) every: Option<Cadence>,
    pub(super) duration: Option<Duration>,
    pub(super) reviewers: Option<Vec<Reviewer>>,
    pub(super) default_decision: Option<DefaultDecision>,
    pub(super) auto_apply: Option<bool>,
    pub(super) assignments: Option<ReviewedAssignments>,
    pub(super) fallback_reviewers: Option<Vec<PrincipalRef>>,
    pub(super) justification: Option<bool>,
    pub(super) recommendations: Option<bool>,
    pub(super) mail: Option<bool>,
    pub(super) reminders: Option<bool>,
    pub(super) origin: Option<Origin>,
    /// `access_review: none`, where written: the nearest layer that says it discards the review below it.
    pub(super) none: Option<Origin>,
    /// Whether `every` / `reviewers` were written, even if invalid (already reported): then they are not "missing".
    pub(super) every_written: bool,
    pub(super) reviewers_written: bool,
}

impl ReviewPartial {
    pub(super) fn merge_over(&self, base: &Self) -> Self {
        if self.none.is_some() {
            return self.clone();
        }
        if base.none.is_some() {
            // A review declared over a template's `none` starts afresh; no review keeps the `none`.
            return if self.origin.is_some() {
                self.clone()
            } else {
                base.clone()
            };
        }
        Self {
            assignments: self.assignments.or(base.assignments),
            fallback_reviewers: self
                .fallback_reviewers
                .clone()
                .or_else(|| base.fallback_reviewers.clone()),
            justification: self.justification.or(base.justification),
            recommendations: self.recommendations.or(base.recommendations),
            mail: self.mail.or(base.mail),
            reminders: self.reminders.or(base.reminders),
            none: None,
            every: self.every.or(base.every),
            duration: self.duration.or(base.duration),
            reviewers: self.reviewers.clone().or_else(|| base.reviewers.clone()),
            default_decision: self.default_decision.or(base.default_decision),
            auto_apply: self.auto_apply.or(base.auto_apply),
            origin: self.origin.clone().or_else(|| base.origin.clone()),
            every_written: self.every_written || base.every_written,
            reviewers_written: self.reviewers_written || base.reviewers_written,
        }
    }
}

impl Layer {
    pub(super) fn merge_over(&self, base: &Layer) -> Layer {
        let mut must_set: Vec<MustSet> = base
            .must_set
            .iter()
            .map(|m| MustSet {
                met: m.met || setting_is_set(&self.policy, &self.review, &m.path) == Some(true),
                ..m.clone()
            })
            .collect();
        must_set.extend(self.must_set.iter().cloned());
        Layer {
            policy: self.policy.merge_over(&base.policy),
            review: self.review.merge_over(&base.review),
            must_set,
        }
    }
}

pub(super) struct TemplateDef<'a> {
    pub(super) name: String,
    pub(super) file: &'a Path,
    pub(super) ctx: &'a Ctx,
    pub(super) name_sp: &'a Sp<String>,
    pub(super) tpl: &'a Template,
    pub(super) layer: Layer,
}

/// The longest `extends:` chain resolved. Deeper ones are refused: they serve no one, and each level is a stack
/// frame of the resolver.
pub(super) const MAX_TEMPLATE_DEPTH: usize = 32;

impl TemplateDef<'_> {
    /// Where a problem with this template's chain is reported: its `extends:`, else its name.
    fn extends_at(&self) -> Location {
        self.tpl
            .extends
            .as_ref()
            .map(|e| loc(self.file, e))
            .unwrap_or_else(|| loc(self.file, self.name_sp))
    }
}

/// How many templates each template's chain holds (itself, its parent, ... up to a template that extends none), in
/// one pass over all of them. Templates in or above a cycle, or above an undefined template, have no depth (their
/// resolution reports why).
fn chain_depths(templates: &BTreeMap<String, TemplateDef>) -> HashMap<String, usize> {
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut dead: std::collections::HashSet<String> = std::collections::HashSet::new();
    for start in templates.keys() {
        // Walk up to a template whose depth is known, a base, or a dead end; then number the walk backwards.
        let mut walk: Vec<&str> = Vec::new();
        let mut on_walk: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut at = start.as_str();
        let base = loop {
            if let Some(&d) = depth.get(at) {
                break Some(d);
            }
            if dead.contains(at) || !on_walk.insert(at) {
                break None;
            }
            walk.push(at);
            let Some(def) = templates.get(at) else {
                break None;
            };
            match def.tpl.extends.as_ref().and_then(Sp::get) {
                None => break Some(0),
                Some(parent) => at = parent.as_str(),
            }
        };
        match base {
            Some(mut d) => {
                for name in walk.into_iter().rev() {
                    d += 1;
                    depth.insert(name.to_string(), d);
                }
            }
            None => dead.extend(walk.into_iter().map(str::to_string)),
        }
    }
    depth
}

/// Each template's resolved chain: its merged layer and the names in the chain, `None` when it does not resolve.
pub(super) type Resolved = HashMap<String, Option<(Layer, Vec<String>)>>;

impl Lowerer {
    /// Every template across all files, each lowered to its own layer.
    pub(super) fn collect_templates<'a>(
        &mut self,
        files: &'a [ParsedFile],
    ) -> BTreeMap<String, TemplateDef<'a>> {
        let mut templates: BTreeMap<String, TemplateDef> = BTreeMap::new();
        for f in files {
            let Some(entries) = f.doc.templates.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (name_sp, tpl_sp) in &entries.0 {
                let Some(name) = name_sp.get() else { continue };
                if name.starts_with("builtin:") && !f.builtin {
                    self.err(
                        Code::ReservedTemplateName,
                        format!("template name `{name}` uses the reserved `builtin:` prefix"),
                        loc(&f.path, name_sp),
                        Some("choose another name; `builtin:` templates ship with pimctl".into()),
                    );
                    continue;
                }
                if let Some(first) = templates.get(name) {
                    let d = Diagnostic::new(
                        Code::TemplateTwice,
                        format!("template `{name}` is defined twice"),
                        loc(&f.path, name_sp),
                    )
                    .with_related("first defined here", loc(first.file, first.name_sp))
                    .with_help("rename one of them, or merge them into one");
                    self.diags.push(d);
                    continue;
                }
                let Some(tpl) = tpl_sp.get() else { continue };
                let layer = self.lower_settings(
                    &f.path,
                    &SettingsRef {
                        activation: &tpl.activation,
                        eligible_assignment: &tpl.eligible_assignment,
                        active_assignment: &tpl.active_assignment,
                        notifications: &tpl.notifications,
                        access_review: &tpl.access_review,
                    },
                );
                let mut layer = layer;
                if let Some(ms) = tpl.must_set.as_ref().and_then(Sp::get) {
                    for item in ms {
                        if let Some(p) = item.get() {
                            if !SETTING_PATHS.contains(&p.as_str()) {
                                self.err(
                                    Code::UnknownSetting,
                                    format!("`must_set` names an unknown setting `{p}`"),
                                    loc(&f.path, item),
                                    crate::suggest::closest(p, SETTING_PATHS.iter().copied())
                                        .map(|s| format!("did you mean `{s}`?")),
                                );
                            } else {
                                layer.must_set.push(MustSet {
                                    path: p.clone(),
                                    at: loc(&f.path, item),
                                    met: false,
                                });
                            }
                        }
                    }
                }
                templates.insert(
                    name.clone(),
                    TemplateDef {
                        name: name.clone(),
                        file: &f.path,
                        ctx: &f.ctx,
                        name_sp,
                        tpl,
                        layer,
                    },
                );
            }
        }
        templates
    }

    /// Resolves each template's chain once: its merged layer, and the names in the chain.
    pub(super) fn resolve_templates(
        &mut self,
        templates: &BTreeMap<String, TemplateDef>,
    ) -> Resolved {
        let mut resolved = Resolved::new();
        // Chains too deep are refused before any is resolved, so that resolution never recurses past the limit.
        for (name, depth) in chain_depths(templates) {
            if depth <= MAX_TEMPLATE_DEPTH {
                continue;
            }
            if depth == MAX_TEMPLATE_DEPTH + 1 {
                let at = templates[&name].extends_at();
                self.err(
                    Code::OutOfRange,
                    format!(
                        "template `{name}` ends a chain of more than {MAX_TEMPLATE_DEPTH} templates (`extends:`); it and the templates that extend it are not resolved"
                    ),
                    at,
                    Some("flatten the chain: a few levels (tier, then role family) are enough".into()),
                );
            }
            resolved.insert(name, None);
        }
        for name in templates.keys() {
            self.resolve_template(name, templates, &mut resolved, &mut Vec::new());
        }
        resolved
    }

    fn resolve_template(
        &mut self,
        name: &str,
        templates: &BTreeMap<String, TemplateDef>,
        resolved: &mut HashMap<String, Option<(Layer, Vec<String>)>>,
        stack: &mut Vec<String>,
    ) -> Option<(Layer, Vec<String>)> {
        if let Some(r) = resolved.get(name) {
            return r.clone();
        }
        let def = templates.get(name)?;
        if stack.iter().any(|s| s == name) {
            let cycle = stack
                .iter()
                .skip_while(|s| s.as_str() != name)
                .cloned()
                .chain(std::iter::once(name.to_string()))
                .collect::<Vec<_>>()
                .join(" → ");
            let at = def.extends_at();
            self.err(
                Code::TemplateCycle,
                format!("templates extend each other in a cycle: {cycle}"),
                at,
                Some("remove one `extends:` to break the cycle".into()),
            );
            resolved.insert(name.to_string(), None);
            return None;
        }
        stack.push(name.to_string());
        let result = match def.tpl.extends.as_ref() {
            None => Some((def.layer.clone(), vec![def.name.clone()])),
            Some(ext_sp) => match ext_sp.get() {
                None => None,
                Some(parent) if !templates.contains_key(parent) => {
                    self.undefined_template(parent, def.file, ext_sp, templates);
                    None
                }
                Some(parent) => self
                    .resolve_template(parent, templates, resolved, stack)
                    .map(|(base, mut chain)| {
                        chain.insert(0, def.name.clone());
                        (def.layer.merge_over(&base), chain)
                    }),
            },
        };
        stack.pop();
        // A cycle found deeper down already recorded this template.
        if !resolved.contains_key(name) {
            resolved.insert(name.to_string(), result.clone());
        }
        resolved.get(name).cloned().flatten()
    }

    pub(super) fn undefined_template(
        &mut self,
        name: &str,
        file: &Path,
        at: &Sp<String>,
        templates: &BTreeMap<String, TemplateDef>,
    ) {
        let help = crate::suggest::closest(name, templates.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                "define it under `templates:`, or use `builtin:tier0`, `builtin:tier1` or `builtin:tier2`".into()
            });
        self.err(
            Code::UndefinedTemplate,
            format!("template `{name}` is not defined"),
            loc(file, at),
            Some(help),
        );
    }
}

/// Every path `must_set` accepts.
pub const SETTING_PATHS: &[&str] = &[
    "activation.max_duration",
    "activation.require",
    "activation.authentication_context",
    "activation.approval.required",
    "activation.approval.approvers",
    "eligible_assignment.allow_permanent",
    "eligible_assignment.max_duration",
    "active_assignment.allow_permanent",
    "active_assignment.max_duration",
    "access_review",
    "access_review.reviewers",
    "notifications.eligible_assigned.admin.recipients",
    "notifications.eligible_assigned.requestor.recipients",
    "notifications.eligible_assigned.approver.recipients",
    "notifications.active_assigned.admin.recipients",
    "notifications.active_assigned.requestor.recipients",
    "notifications.active_assigned.approver.recipients",
    "notifications.activated.admin.recipients",
    "notifications.activated.requestor.recipients",
    "notifications.activated.approver.recipients",
];

/// Whether a `must_set` path is set; `None` for an unknown path. Recipient lists count only when non-empty.
fn setting_is_set(p: &PolicySettings, review: &ReviewPartial, path: &str) -> Option<bool> {
    if !SETTING_PATHS.contains(&path) {
        return None;
    }
    let a = &p.activation;
    Some(match path {
        "activation.max_duration" => a.max_duration.is_some(),
        "activation.require" => a.require.is_some(),
        "activation.authentication_context" => a.authentication_context.is_some(),
        "activation.approval.required" => a.approval.required.is_some(),
        "activation.approval.approvers" => a
            .approval
            .stages
            .as_ref()
            .is_some_and(|s| !s.is_empty() && s.iter().all(ApprovalStage::has_approvers)),
        "eligible_assignment.allow_permanent" => p.eligible_assignment.allow_permanent.is_some(),
        "eligible_assignment.max_duration" => p.eligible_assignment.max_duration.is_some(),
        "active_assignment.allow_permanent" => p.active_assignment.allow_permanent.is_some(),
        "active_assignment.max_duration" => p.active_assignment.max_duration.is_some(),
        "access_review" => review.origin.is_some(),
        "access_review.reviewers" => review.reviewers.as_ref().is_some_and(|r| !r.is_empty()),
        other => {
            let mut parts = other.split('.').skip(1);
            let event = match parts.next()? {
                "eligible_assigned" => NotificationEvent::EligibleAssigned,
                "active_assigned" => NotificationEvent::ActiveAssigned,
                _ => NotificationEvent::Activated,
            };
            let recipient = match parts.next()? {
                "admin" => Recipient::Admin,
                "requestor" => Recipient::Requestor,
                _ => Recipient::Approver,
            };
            p.notifications
                .get(&(event, recipient))
                .and_then(|n| n.recipients.as_ref())
                .is_some_and(|r| !r.is_empty())
        }
    })
}
