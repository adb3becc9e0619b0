//! Lowering: parsed documents → the validated desired state.
//!
//! Each file's [`Document`] is checked value by value (durations, dates, names, ranges), templates are resolved
//! through `extends:`, settings merge key by key (template chain first, then the role), and assignments are checked
//! against the merged policy. Every problem becomes a diagnostic; nothing stops at the first.

use super::de::{Ctx, Sp};
use super::diagnostic::{Code, Diagnostic, Diagnostics, Location};
use super::document::*;
use crate::catalog;
use crate::duration::Duration;
use crate::model::*;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

mod lint;

/// One decoded file.
pub struct ParsedFile {
    pub path: PathBuf,
    pub doc: Document,
    pub ctx: Ctx,
    /// Whether this is pimctl's own embedded file (the built-in templates), allowed to use `builtin:` names.
    pub builtin: bool,
}

/// Settings as one template or role declares them, before merging.
#[derive(Debug, Clone, Default)]
struct Layer {
    policy: PolicySettings,
    review: ReviewPartial,
    must_set: Vec<MustSet>,
}

/// A `must_set` requirement: met only by a layer nearer the role than the template that declares it.
#[derive(Debug, Clone)]
struct MustSet {
    path: String,
    at: Location,
    met: bool,
}

#[derive(Debug, Clone, Default)]
struct ReviewPartial {
    every: Option<Cadence>,
    duration: Option<Duration>,
    reviewers: Option<Vec<Reviewer>>,
    default_decision: Option<DefaultDecision>,
    auto_apply: Option<bool>,
    origin: Option<Origin>,
    /// Whether `every` / `reviewers` were written, even if invalid (already reported): then they are not "missing".
    every_written: bool,
    reviewers_written: bool,
}

impl ReviewPartial {
    fn merge_over(&self, base: &Self) -> Self {
        Self {
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
    fn merge_over(&self, base: &Layer) -> Layer {
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

struct TemplateDef<'a> {
    name: String,
    file: &'a Path,
    ctx: &'a Ctx,
    name_sp: &'a Sp<String>,
    tpl: &'a Template,
    layer: Layer,
}

/// The checker for one load: the diagnostics sink and "now".
pub struct Lowerer {
    pub diags: Diagnostics,
    now: DateTime<Utc>,
}

fn loc_of(file: &Path, path: &str, mark: super::yaml::Mark) -> Location {
    Location {
        file: file.to_path_buf(),
        path: path.to_string(),
        line: (mark.line > 0).then_some(mark.line),
        column: (mark.column > 0).then_some(mark.column),
    }
}

fn loc<T>(file: &Path, sp: &Sp<T>) -> Location {
    loc_of(file, &sp.path, sp.mark)
}

fn origin_of(l: &Location) -> Origin {
    Origin {
        file: l.file.clone(),
        path: l.path.clone(),
        line: l.line.unwrap_or(0),
        column: l.column.unwrap_or(0),
    }
}

impl Lowerer {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            diags: Diagnostics::default(),
            now,
        }
    }

    fn err(&mut self, code: Code, msg: impl Into<String>, at: Location, help: Option<String>) {
        let mut d = Diagnostic::new(code, msg, at);
        d.help = help;
        self.diags.push(d);
    }

    /// Lowers every parsed file into one desired state. Returns the state even when there are errors (callers decide
    /// from the diagnostics); it is only meaningful when there are none.
    pub fn lower(&mut self, files: &[ParsedFile]) -> DesiredState {
        let mut state = DesiredState {
            files: files
                .iter()
                .filter(|f| f.path != Path::new(super::BUILTIN_TEMPLATES_PATH))
                .map(|f| f.path.clone())
                .collect(),
            ..Default::default()
        };

        for f in files {
            self.check_version(f);
        }

        // Templates, across all files.
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

        // Resolve each template's chain once: its merged layer, and the names in the chain.
        let mut resolved: HashMap<String, Option<(Layer, Vec<String>)>> = HashMap::new();
        let names: Vec<String> = templates.keys().cloned().collect();
        for name in &names {
            self.resolve_template(name, &templates, &mut resolved, &mut Vec::new());
        }

        // Protected principals.
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
                state.protected.push(Protected {
                    principal: p,
                    origin: origin_of(&at),
                });
            }
        }

        // Roles.
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
                if let Some(r) = self.lower_role(f, &role, &at, decl, &templates, &resolved, &state)
                {
                    let origins = setting_origins(f, &at.path, &r.templates, &templates);
                    state.setting_origins.insert(key.clone(), origins);
                    state.roles.insert(key, r);
                }
            }
        }
        state.lint = self.lower_lint(files);
        self.diags.sort();
        state
    }

    fn check_version(&mut self, f: &ParsedFile) {
        match &f.doc.version {
            None => self.err(
                Code::MissingKey,
                "missing required key `version`",
                Location {
                    file: f.path.clone(),
                    path: String::new(),
                    line: Some(1),
                    column: Some(1),
                },
                Some("start the file with `version: pimctl/v1`".into()),
            ),
            Some(sp) => {
                if let Some(v) = sp.get()
                    && v != super::VERSION
                {
                    self.err(
                        Code::UnknownVersion,
                        format!("unknown version `{v}`"),
                        loc(&f.path, sp),
                        Some(format!("this pimctl reads `version: {}`", super::VERSION)),
                    );
                }
            }
        }
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
            let at = def
                .tpl
                .extends
                .as_ref()
                .map(|e| loc(def.file, e))
                .unwrap_or_else(|| loc(def.file, def.name_sp));
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

    fn undefined_template(
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

    fn role_ref(&mut self, name: &str, custom: bool, at: &Location) -> Option<RoleRef> {
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
                let help = match catalog::suggest(name) {
                    Some(s) => format!("did you mean `{s}`? For a custom role, add `custom: true`"),
                    None => "use a built-in role's display name or template id; for a custom role, add `custom: true` or use its object id".into(),
                };
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
        resolved: &HashMap<String, Option<(Layer, Vec<String>)>>,
        state: &DesiredState,
    ) -> Option<DesiredRole> {
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

        Some(DesiredRole {
            role: role.clone(),
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

    fn finish_review(&mut self, r: &ReviewPartial) -> Option<AccessReview> {
        let origin = r.origin.clone()?;
        let at = Location {
            file: origin.file.clone(),
            path: origin.path.clone(),
            line: Some(origin.line),
            column: Some(origin.column),
        };
        let mut ok = true;
        if r.every.is_none() {
            if !r.every_written {
                self.err(
                    Code::MissingKey,
                    "the access review has no `every:`",
                    at.clone(),
                    Some("add `every: 1 month` (or `quarterly`, `2 weeks`, …)".into()),
                );
            }
            ok = false;
        }
        if r.reviewers.as_ref().is_none_or(|v| v.is_empty()) {
            if !r.reviewers_written {
                self.err(
                    Code::MissingKey,
                    "the access review names no reviewers",
                    at.clone(),
                    Some("add `reviewers: [{group: ...}]`".into()),
                );
            }
            ok = false;
        }
        let every = r.every?;
        let duration = r.duration.unwrap_or(Duration::from_days(3));
        if let Some(days) = duration.whole_days()
            && days >= every.min_days()
        {
            self.err(
                Code::BadReviewDuration,
                format!("each review lasts {duration}, as long as the cadence ({every}) or longer"),
                at.clone(),
                Some("a review must close before the next one starts; shorten `duration`".into()),
            );
            ok = false;
        }
        ok.then(|| AccessReview {
            every,
            duration,
            reviewers: r.reviewers.clone().unwrap_or_default(),
            default_decision: r.default_decision.unwrap_or(DefaultDecision::None),
            auto_apply: r.auto_apply.unwrap_or(false),
            origin,
        })
    }

    fn lower_assignments(
        &mut self,
        f: &ParsedFile,
        role: &RoleRef,
        list: &Option<Sp<Vec<Sp<AssignmentEntry>>>>,
        kind: AssignmentKind,
        policy: &PolicySettings,
        protected: &dyn Fn(&PrincipalRef) -> bool,
    ) -> Option<Vec<DesiredAssignment>> {
        let key = kind.as_str();
        let Some(list_sp) = list else {
            // Present with an empty value (`eligible:`) is a mistake, not "unmanaged".
            return None;
        };
        let items = list_sp.get()?;
        let rules = match kind {
            AssignmentKind::Eligible => &policy.eligible_assignment,
            AssignmentKind::Active => &policy.active_assignment,
        };
        let mut out: Vec<DesiredAssignment> = Vec::new();
        // Where each principal is in `out`: duplicates are found in one pass, not by a scan per entry.
        let mut listed: std::collections::HashMap<PrincipalRef, usize> =
            std::collections::HashMap::new();
        for item_sp in items {
            let Some(item) = item_sp.get() else { continue };
            let at = loc(&f.path, item_sp);
            let Some(p) = self.principal(&f.path, item_sp, &item.principal_fields()) else {
                continue;
            };
            if let Some(first) = listed.get(&p).map(|&i| &out[i]) {
                let d = Diagnostic::new(
                    Code::DuplicatePrincipal,
                    format!("{p} is listed twice in `{key}` of `{}`", role.label()),
                    at,
                )
                .with_related(
                    "first listed here",
                    Location {
                        file: first.origin.file.clone(),
                        path: first.origin.path.clone(),
                        line: Some(first.origin.line),
                        column: Some(first.origin.column),
                    },
                );
                self.diags.push(d);
                continue;
            }
            let until = match &item.until {
                None => None,
                Some(u) => match u.get() {
                    None => continue,
                    Some(text) => match parse_until(text) {
                        Ok(t) => Some(t),
                        Err(msg) => {
                            self.err(Code::BadDate, msg, loc(&f.path, u), Some("write a date (`2027-06-30`) or an RFC 3339 timestamp (`2027-06-30T17:00:00Z`)".into()));
                            continue;
                        }
                    },
                },
            };
            let until_at = item
                .until
                .as_ref()
                .map(|u| loc(&f.path, u))
                .unwrap_or_else(|| at.clone());
            if p.kind == PrincipalKind::ServicePrincipal && kind == AssignmentKind::Eligible {
                self.err(
                    Code::ServicePrincipalEligible,
                    format!("service principal `{}` is declared eligible for `{}`", p.name, role.label()),
                    at.clone(),
                    Some("service principals can't activate roles; give them a time-bound `active:` assignment".into()),
                );
                continue;
            }
            if p.kind == PrincipalKind::ServicePrincipal && until.is_none() && !protected(&p) {
                self.err(
                    Code::ServicePrincipalPermanent,
                    format!(
                        "service principal `{}` holds a permanent active assignment to `{}`",
                        p.name,
                        role.label()
                    ),
                    at.clone(),
                    Some(
                        "add `until:`; service principals hold active, time-bound assignments only"
                            .into(),
                    ),
                );
                continue;
            }
            if let Some(t) = until
                && t <= self.now
            {
                self.err(
                    Code::UntilInPast,
                    format!(
                        "{p}'s `{key}` assignment to `{}` ended on {}; the entry is ignored",
                        role.label(),
                        t.format("%Y-%m-%d %H:%M UTC")
                    ),
                    until_at,
                    Some("remove the entry, or renew it with a later `until`".into()),
                );
                continue;
            }
            if !protected(&p) && rules.allow_permanent == Some(false) {
                match until {
                    None => {
                        let max = rules
                            .max_duration
                            .map(|d| format!(" within {d}"))
                            .unwrap_or_default();
                        self.err(
                            Code::PermanentNotAllowed,
                            format!("{p} has a permanent `{key}` assignment to `{}`, but its policy requires an end date", role.label()),
                            at.clone(),
                            Some(format!("add `until:`{max}, or set `{key}_assignment.allow_permanent: true`")),
                        );
                        continue;
                    }
                    Some(t) => {
                        if let Some(max) = rules.max_duration
                            && t > self.now + max.to_chrono()
                        {
                            // A date means the end of that day, so the last date that fits may be the day before
                            // the limit; saying "ends 2027-11-21 … end it by 2027-11-21" would contradict itself.
                            let limit = self.now + max.to_chrono();
                            let last_day = if parse_until(&limit.format("%Y-%m-%d").to_string())
                                .is_ok_and(|end_of_day| end_of_day <= limit)
                            {
                                limit.date_naive()
                            } else {
                                limit.date_naive().pred_opt().unwrap_or(limit.date_naive())
                            };
                            self.err(
                                Code::UntilBeyondMaximum,
                                format!(
                                    "{p}'s `{key}` assignment to `{}` ends {}, beyond the policy maximum of {max} from now",
                                    role.label(),
                                    t.format("%Y-%m-%d %H:%M UTC")
                                ),
                                until_at,
                                Some(format!(
                                    "end it by {} (or at {} at the latest), or raise `{key}_assignment.max_duration`",
                                    last_day.format("%Y-%m-%d"),
                                    limit.format("%Y-%m-%dT%H:%M:%SZ")
                                )),
                            );
                            continue;
                        }
                    }
                }
            }
            listed.insert(p.clone(), out.len());
            out.push(DesiredAssignment {
                principal: p,
                until,
                origin: origin_of(&at),
            });
        }
        Some(out)
    }

    /// Exactly one principal kind with a well-formed name.
    fn principal<T>(
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

    fn approvers(
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

    fn duration(&mut self, file: &Path, sp: &Option<Sp<String>>) -> Option<Duration> {
        let sp = sp.as_ref()?;
        let text = sp.get()?;
        match Duration::parse(text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    Code::BadDuration,
                    e.to_string(),
                    loc(file, sp),
                    Some("durations look like `30m`, `8h`, `90d` or `PT8H`".into()),
                );
                None
            }
        }
    }

    fn whole_days(&mut self, file: &Path, sp: &Option<Sp<String>>, what: &str) -> Option<u32> {
        let d = self.duration(file, sp)?;
        match d
            .whole_days()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
        {
            Some(n) => Some(n),
            None => {
                let at = sp.as_ref().map(|s| loc(file, s))?;
                self.err(
                    Code::OutOfRange,
                    format!("{what} must be a whole number of days, at least 1; found {d}"),
                    at,
                    Some("write e.g. `1d` or `3d`".into()),
                );
                None
            }
        }
    }

    fn minutes(&mut self, file: &Path, sp: &Option<Sp<String>>) -> Option<u32> {
        let d = self.duration(file, sp)?;
        let at = sp.as_ref().map(|s| loc(file, s))?;
        if !d.as_secs().is_multiple_of(60) || d.as_secs() == 0 {
            self.err(
                Code::OutOfRange,
                format!("escalation must be a whole number of minutes, at least 1; found {d}"),
                at,
                None,
            );
            return None;
        }
        u32::try_from(d.as_secs() / 60).ok()
    }

    fn requirements(
        &mut self,
        file: &Path,
        list: &Option<Sp<Vec<Sp<RequirementName>>>>,
        allow_ticket: bool,
        what: &str,
    ) -> Option<BTreeSet<Requirement>> {
        let items = list.as_ref()?.get()?;
        let mut out = BTreeSet::new();
        for r in items {
            let Some(name) = r.get() else { continue };
            let req = match name {
                RequirementName::Mfa => Requirement::Mfa,
                RequirementName::Justification => Requirement::Justification,
                RequirementName::Ticket => Requirement::Ticket,
            };
            if req == Requirement::Ticket && !allow_ticket {
                self.err(
                    Code::RequirementNotAllowed,
                    format!("`ticket` can't be required for {what}"),
                    loc(file, r),
                    Some("tickets apply to activation only (`activation.require`)".into()),
                );
                continue;
            }
            out.insert(req);
        }
        Some(out)
    }

    fn lower_settings(&mut self, file: &Path, s: &SettingsRef) -> Layer {
        let mut layer = Layer::default();
        let p = &mut layer.policy;
        if let Some(a) = s.activation.as_ref().and_then(Sp::get) {
            if let Some(d) = self.duration(file, &a.max_duration) {
                if d < Duration::from_minutes(30) || d > Duration::from_hours(24) {
                    let at = a
                        .max_duration
                        .as_ref()
                        .map(|x| loc(file, x))
                        .unwrap_or_else(|| loc_of(file, "", Default::default()));
                    self.err(Code::ActivationOutOfRange, format!(
                            "an activation maximum of `{}` is outside 30 minutes to 24 hours",
                            a.max_duration.as_ref().and_then(Sp::get).map_or(String::new(), |t| t.to_string())
                        ), at, Some("Entra accepts activations from 30m to 24h; tier-0 roles usually use 1h or 2h".into()));
                } else {
                    p.activation.max_duration = Some(d);
                }
            }
            p.activation.require = self.requirements(file, &a.require, true, "activation");
            if let Some(ctx_sp) = &a.authentication_context
                && let Some(v) = ctx_sp.get()
            {
                match parse_auth_context(v) {
                    Some(c) => p.activation.authentication_context = Some(c),
                    None => self.err(Code::BadAuthContext, format!("`{v}` is not an authentication context"), loc(file, ctx_sp), Some("use a Conditional Access authentication context id, `c1` to `c99`, or `off`".into())),
                }
            }
            if let Some(ap) = a.approval.as_ref().and_then(Sp::get) {
                let appr = &mut p.activation.approval;
                appr.required = ap.required.as_ref().and_then(|x| x.get().copied());
                appr.for_extension = ap.for_extension.as_ref().and_then(|x| x.get().copied());
                appr.requestor_justification = ap
                    .requestor_justification
                    .as_ref()
                    .and_then(|x| x.get().copied());
                let shorthand = ap.approvers.is_some()
                    || ap.stage_timeout.is_some()
                    || ap.approver_justification.is_some()
                    || ap.escalation_after.is_some()
                    || ap.escalation_approvers.is_some();
                if shorthand && ap.stages.is_some() {
                    let at = ap
                        .stages
                        .as_ref()
                        .map(|x| loc(file, x))
                        .unwrap_or_default_loc(file);
                    self.err(
                        Code::InvalidValue,
                        "give either `approvers` (one stage) or `stages`, not both",
                        at,
                        Some(
                            "move the single-stage settings into the first entry of `stages`"
                                .into(),
                        ),
                    );
                }
                // On a conflict, `stages` still applies, so that later checks don't claim that no approver is named.
                if shorthand && ap.stages.is_none() {
                    let stage = ApprovalStage {
                        approvers: self.approvers(file, &ap.approvers),
                        timeout_days: self.whole_days(file, &ap.stage_timeout, "`stage_timeout`"),
                        approver_justification: ap
                            .approver_justification
                            .as_ref()
                            .and_then(|x| x.get().copied()),
                        escalation_after_minutes: self
                            .minutes(file, &ap.escalation_after)
                            .map(Some),
                        escalation_approvers: self.approvers(file, &ap.escalation_approvers),
                    };
                    p.activation.approval.stages = Some(vec![stage]);
                } else if let Some(stages) = ap.stages.as_ref().and_then(Sp::get) {
                    if stages.len() > 1 {
                        let at = ap
                            .stages
                            .as_ref()
                            .map(|x| loc(file, x))
                            .unwrap_or_default_loc(file);
                        self.err(
                            Code::OutOfRange,
                            format!(
                                "{} approval stages: Entra roles support a single approval stage",
                                stages.len()
                            ),
                            at,
                            Some("keep one stage; add approvers to it instead".into()),
                        );
                    }
                    let mut out = Vec::new();
                    for st in stages {
                        let Some(st) = st.get() else { continue };
                        out.push(ApprovalStage {
                            approvers: self.approvers(file, &st.approvers),
                            timeout_days: self.whole_days(file, &st.timeout, "`timeout`"),
                            approver_justification: st
                                .approver_justification
                                .as_ref()
                                .and_then(|x| x.get().copied()),
                            escalation_after_minutes: self
                                .minutes(file, &st.escalation_after)
                                .map(Some),
                            escalation_approvers: self.approvers(file, &st.escalation_approvers),
                        });
                    }
                    p.activation.approval.stages = Some(out);
                }
            }
        }
        for (decl, target, what) in [
            (s.eligible_assignment, 0, "eligible assignments"),
            (s.active_assignment, 1, "active assignments"),
        ] {
            let Some(a) = decl.as_ref().and_then(Sp::get) else {
                continue;
            };
            let mut out = AssignmentSettings {
                allow_permanent: a.allow_permanent.as_ref().and_then(|x| x.get().copied()),
                ..Default::default()
            };
            if let Some(d) = self.duration(file, &a.max_duration) {
                if d.as_secs() == 0 {
                    let at = a
                        .max_duration
                        .as_ref()
                        .map(|x| loc(file, x))
                        .unwrap_or_default_loc(file);
                    self.err(
                        Code::OutOfRange,
                        format!("the maximum duration of {what} must be more than zero"),
                        at,
                        None,
                    );
                } else {
                    out.max_duration = Some(d);
                }
            }
            out.require = self.requirements(file, &a.require, false, what);
            if target == 0 {
                layer.policy.eligible_assignment = out;
            } else {
                layer.policy.active_assignment = out;
            }
        }
        if let Some(n) = s.notifications.as_ref().and_then(Sp::get) {
            for (event, targets) in [
                (NotificationEvent::EligibleAssigned, &n.eligible_assigned),
                (NotificationEvent::ActiveAssigned, &n.active_assigned),
                (NotificationEvent::Activated, &n.activated),
            ] {
                let Some(t) = targets.as_ref().and_then(Sp::get) else {
                    continue;
                };
                for (recipient, decl) in [
                    (Recipient::Admin, &t.admin),
                    (Recipient::Requestor, &t.requestor),
                    (Recipient::Approver, &t.approver),
                ] {
                    let Some(d) = decl.as_ref().and_then(Sp::get) else {
                        continue;
                    };
                    let mut out = NotificationSettings {
                        default_recipients: d
                            .default_recipients
                            .as_ref()
                            .and_then(|x| x.get().copied()),
                        critical_only: d.critical_only.as_ref().and_then(|x| x.get().copied()),
                        recipients: None,
                    };
                    if let Some(list) = d.recipients.as_ref().and_then(Sp::get) {
                        let mut emails = Vec::new();
                        for r in list {
                            let Some(e) = r.get() else { continue };
                            if is_email(e) {
                                if !emails.iter().any(|x: &String| x.eq_ignore_ascii_case(e)) {
                                    emails.push(e.trim().to_string());
                                }
                            } else {
                                self.err(Code::BadEmail, format!("`{e}` is not an email address"), loc(file, r), Some("notification recipients are email addresses, e.g. `pim-alerts@contoso.com`".into()));
                            }
                        }
                        out.recipients = Some(emails);
                    }
                    layer.policy.notifications.insert((event, recipient), out);
                }
            }
        }
        if let Some(rv_sp) = s.access_review
            && let Some(rv) = rv_sp.get()
        {
            let at = loc(file, rv_sp);
            let r = &mut layer.review;
            r.origin = Some(origin_of(&at));
            r.every_written = rv.every.is_some();
            // A list whose every entry was invalid (and reported) is not a missing list.
            r.reviewers_written = rv
                .reviewers
                .as_ref()
                .is_some_and(|l| l.get().is_none_or(|items| !items.is_empty()));
            if let Some(e) = &rv.every
                && let Some(text) = e.get()
            {
                match parse_cadence(text) {
                    Ok(c) => r.every = Some(c),
                    Err(msg) => {
                        self.err(Code::BadCadence, msg, loc(file, e), Some("write `1 week`, `2 weeks`, `1 month`, `3 months`, `monthly`, `quarterly`, `semiannually` or `annually`".into()));
                    }
                }
            }
            if let Some(d) = self.duration(file, &rv.duration) {
                let at = rv
                    .duration
                    .as_ref()
                    .map(|x| loc(file, x))
                    .unwrap_or_else(|| at.clone());
                match d.whole_days() {
                    Some(n) if n >= 1 => r.duration = Some(d),
                    _ => self.err(
                        Code::BadReviewDuration,
                        format!(
                            "a review duration of {d} is not a whole number of days, at least 1"
                        ),
                        at,
                        Some("write e.g. `3d` or `4d`".into()),
                    ),
                }
            }
            if let Some(list) = rv.reviewers.as_ref().and_then(Sp::get) {
                let mut out = Vec::new();
                for item in list {
                    let Some(e) = item.get() else { continue };
                    let flags = [
                        (&e.self_review, Reviewer::SelfReview),
                        (&e.managers, Reviewer::Managers),
                    ];
                    let set_flags: Vec<_> = flags.iter().filter(|(v, _)| v.is_some()).collect();
                    let principal_given = e.user.is_some() || e.group.is_some();
                    if set_flags.len() + usize::from(principal_given) > 1
                        || (set_flags.is_empty() && !principal_given)
                    {
                        self.err(Code::PrincipalKind, "a reviewer entry must give exactly one of `user`, `group`, `self` or `managers`", loc(file, item), None);
                        continue;
                    }
                    if let Some((v, reviewer)) = set_flags.first() {
                        match v.as_ref().and_then(|x| x.get()) {
                            Some(true) => out.push(reviewer.clone()),
                            Some(false) => self.err(Code::InvalidValue, "`self: false` / `managers: false` names no reviewer; remove the entry", loc(file, item), None),
                            None => {}
                        }
                    } else if let Some(p) = self.principal(
                        file,
                        item,
                        &[
                            (PrincipalKind::User, &e.user),
                            (PrincipalKind::Group, &e.group),
                        ],
                    ) {
                        out.push(Reviewer::Principal(p));
                    }
                }
                r.reviewers = Some(out);
            }
            r.default_decision =
                rv.default_decision
                    .as_ref()
                    .and_then(|x| x.get())
                    .map(|d| match d {
                        DefaultDecisionName::None => DefaultDecision::None,
                        DefaultDecisionName::Approve => DefaultDecision::Approve,
                        DefaultDecisionName::Deny => DefaultDecision::Deny,
                        DefaultDecisionName::Recommendation => DefaultDecision::Recommendation,
                    });
            r.auto_apply = rv.auto_apply.as_ref().and_then(|x| x.get().copied());
        }
        layer
    }
}

trait OrFileLoc {
    fn unwrap_or_default_loc(self, file: &Path) -> Location;
}
impl OrFileLoc for Option<Location> {
    fn unwrap_or_default_loc(self, file: &Path) -> Location {
        self.unwrap_or_else(|| loc_of(file, "", Default::default()))
    }
}

struct SettingsRef<'a> {
    activation: &'a Option<Sp<ActivationDecl>>,
    eligible_assignment: &'a Option<Sp<AssignmentDecl>>,
    active_assignment: &'a Option<Sp<AssignmentDecl>>,
    notifications: &'a Option<Sp<NotificationsDecl>>,
    access_review: &'a Option<Sp<AccessReviewDecl>>,
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

fn looks_like_upn(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !s.contains(char::is_whitespace))
}

fn is_email(s: &str) -> bool {
    looks_like_upn(s.trim())
}

fn parse_auth_context(v: &str) -> Option<Option<String>> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Some(None);
    }
    let n: u32 = v.strip_prefix('c')?.parse().ok()?;
    ((1..=99).contains(&n) && !v[1..].starts_with('0')).then(|| Some(format!("c{n}")))
}

/// Where each setting of a role was written: the role's own key, else the nearest template (in a user's file) that
/// set it. Keyed by the setting's path under the role (`activation.max_duration`); `template` is the role's
/// `template:` key.
fn setting_origins(
    f: &ParsedFile,
    role_path: &str,
    chain: &[String],
    templates: &BTreeMap<String, TemplateDef>,
) -> BTreeMap<String, Origin> {
    let origin = |file: &Path, path: String, mark: super::yaml::Mark| Origin {
        file: file.to_path_buf(),
        path,
        line: mark.line,
        column: mark.column,
    };
    let mut out = BTreeMap::new();
    for setting in origin_paths() {
        let own = join_setting(role_path, &setting);
        if let Some(mark) = f.ctx.mark(&own) {
            out.insert(setting, origin(&f.path, own, mark));
            continue;
        }
        if setting == "template" || setting == "eligible" || setting == "active" {
            continue;
        }
        for name in chain {
            let Some(def) = templates.get(name) else {
                continue;
            };
            if def.file == Path::new(super::BUILTIN_TEMPLATES_PATH) {
                continue;
            }
            let path = join_setting(&def.name_sp.path, &setting);
            if let Some(mark) = def.ctx.mark(&path) {
                out.insert(setting, origin(def.file, path, mark));
                break;
            }
        }
    }
    out
}

fn join_setting(base: &str, setting: &str) -> String {
    setting
        .split('.')
        .fold(base.to_string(), |p, key| super::de::join(&p, key))
}

/// The setting paths whose origin is recorded.
fn origin_paths() -> Vec<String> {
    let mut out: Vec<String> = [
        "template",
        "eligible",
        "active",
        "activation",
        "activation.max_duration",
        "activation.require",
        "activation.authentication_context",
        "activation.approval",
        "activation.approval.required",
        "activation.approval.approvers",
        "activation.approval.stages",
        "eligible_assignment",
        "eligible_assignment.allow_permanent",
        "active_assignment",
        "active_assignment.allow_permanent",
        "notifications",
        "access_review",
        "access_review.every",
        "access_review.duration",
        "access_review.reviewers",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for e in NotificationEvent::ALL {
        out.push(format!("notifications.{}", e.as_str()));
        for r in Recipient::ALL {
            let base = format!("notifications.{}.{}", e.as_str(), r.as_str());
            out.push(format!("{base}.recipients"));
            out.push(format!("{base}.default_recipients"));
            out.push(base);
        }
    }
    out
}

/// A date means the end of that day, UTC; RFC 3339 timestamps are taken as written.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d
            .and_hms_opt(23, 59, 59)
            .map(|dt| dt.and_utc())
            .ok_or_else(|| format!("`{t}` is not a valid date"));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("`{t}` is not a date or an RFC 3339 timestamp"))
}

fn parse_cadence(text: &str) -> Result<Cadence, String> {
    let t = text.trim().to_lowercase();
    let named = match t.as_str() {
        "weekly" => Some((1, CadenceUnit::Week)),
        "monthly" => Some((1, CadenceUnit::Month)),
        "quarterly" => Some((3, CadenceUnit::Month)),
        "semiannually" => Some((6, CadenceUnit::Month)),
        "annually" | "yearly" => Some((12, CadenceUnit::Month)),
        _ => None,
    };
    let (interval, unit) = match named {
        Some(x) => x,
        None => {
            let mut parts = t.split_whitespace();
            let (Some(n), Some(u), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("`{text}` is not a review cadence"));
            };
            let n: u32 = n
                .parse()
                .map_err(|_| format!("`{text}` is not a review cadence"))?;
            let unit = match u {
                "week" | "weeks" => CadenceUnit::Week,
                "month" | "months" => CadenceUnit::Month,
                "year" | "years" => {
                    return Ok(Cadence {
                        interval: n.saturating_mul(12),
                        unit: CadenceUnit::Month,
                    })
                    .and_then(|c| check_cadence(c, text));
                }
                _ => {
                    return Err(format!(
                        "`{text}` is not a review cadence: the unit must be weeks or months"
                    ));
                }
            };
            (n, unit)
        }
    };
    check_cadence(Cadence { interval, unit }, text)
}

fn check_cadence(c: Cadence, text: &str) -> Result<Cadence, String> {
    let max = match c.unit {
        CadenceUnit::Week => 52,
        CadenceUnit::Month => 12,
    };
    if c.interval == 0 || c.interval > max {
        return Err(format!(
            "`{text}` is not a meaningful review cadence: reviews recur every 1 to 52 weeks or 1 to 12 months"
        ));
    }
    Ok(c)
}
