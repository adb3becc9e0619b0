//! `pimctl lint`: cited security rules over the declared posture and, with `--live`, the tenant as it is.
//!
//! Every rule lives in its own file under [`rules`], with a stable id, a title, a default severity, the baseline
//! controls it implements, a rationale and a fix ([`Meta`]). A rule reads one [`View`] — the declaration, the tenant
//! as read, or the tenant as the declaration would leave it — and reports [`Finding`]s. [`lint`] runs the registry
//! over the halves it is given, tells for each live finding whether the declaration would fix it (the rule still
//! fails on the tenant as read but not on the tenant after apply), and applies the `lint:` block's waivers.
//!
//! Pure: no IO, no clock. "Now" is the declaration's load time or the tenant's read time.

pub mod docs;
pub mod format;
pub mod groups;
pub mod licence;
pub mod rules;
pub mod view;

use crate::model::{DesiredState, LiveIndex, LiveState, Origin, PrincipalRef, RoleKey, TargetKey};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;
pub use view::{Half, Members, PrincipalView, RoleView, View};

/// How serious a finding is. Ordered: `Note` < `Warning` < `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Which baseline's thresholds apply where the baselines disagree (`pim-baselines.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Microsoft's own guidance: fewer than 5 Global Administrators (and at least 2).
    Microsoft,
    /// CISA SCuBA MS.AAD.7.x: 2 to 8 Global Administrators.
    Cisa,
    /// CIS Microsoft 365 Foundations: 2 to 4 Global Administrators, two approvers, access reviews required.
    Cis,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Microsoft => "microsoft",
            Profile::Cisa => "cisa",
            Profile::Cis => "cis",
        }
    }
}

/// How notification rules are read (`pim-baselines.md` §3, "Notification configured").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Notifications {
    /// ScubaGear and Maester: an additional recipient is required; default recipients do not count.
    Strict,
    /// Microsoft's Zero Trust Assessment: default recipients count too.
    Lenient,
}

/// Options of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub profile: Profile,
    pub notifications: Notifications,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: Profile::Cisa,
            notifications: Notifications::Strict,
        }
    }
}

/// Which halves a rule can judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reads {
    /// The YAML alone (e.g. access reviews, which pimctl does not read from the tenant yet).
    Declared,
    /// The tenant alone (e.g. user attributes, assignments made outside PIM).
    Live,
    /// Both.
    Both,
}

/// What a rule is: everything `--explain` prints and `docs/rules.md` lists.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Meta {
    /// Stable: never renumbered, never reused.
    pub id: &'static str,
    /// A short kebab-case name.
    pub name: &'static str,
    pub title: &'static str,
    /// The default severity (a rule may report some findings at another, e.g. by profile).
    pub severity: Severity,
    pub reads: Reads,
    /// The baseline controls it implements (CISA SCuBA, CIS, Microsoft Learn, Zero Trust Assessment ids).
    pub baselines: &'static [&'static str],
    pub rationale: &'static str,
    pub fix: &'static str,
}

/// A rule: its description and its check.
pub struct Rule {
    pub meta: Meta,
    pub check: fn(&Cx, &mut Vec<Finding>),
}

/// What a rule's check gets: the view, the options, and a finding builder.
pub struct Cx<'a> {
    pub view: &'a View,
    pub options: Options,
    meta: &'static Meta,
}

impl Cx<'_> {
    /// A finding of this rule at its default severity.
    pub fn finding(&self, message: impl Into<String>) -> Finding {
        Finding {
            rule: self.meta.id,
            name: self.meta.name,
            severity: self.meta.severity,
            message: message.into(),
            half: self.view.half,
            role: None,
            role_key: None,
            target: None,
            principal: None,
            principal_key: None,
            detail: String::new(),
            location: None,
            help: None,
            baselines: self.meta.baselines,
            fixed_by_declaration: None,
            principal_view: None,
            group_name: None,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    /// `declared` (the YAML) or `live` (the tenant).
    pub half: Half,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The directory role, when the finding is about one.
    #[serde(skip)]
    pub role_key: Option<RoleKey>,
    /// The target (a directory role, or a group's member or owner block) the finding is about.
    #[serde(skip)]
    pub target: Option<TargetKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip)]
    pub principal_key: Option<String>,
    /// What else tells two findings of one rule about the same role and principal apart.
    #[serde(skip)]
    pub detail: String,
    /// Where in the YAML (declared findings; live findings about a declared role or assignment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub baselines: &'static [&'static str],
    /// Live findings: whether applying the declaration would fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_by_declaration: Option<bool>,
    #[serde(skip)]
    principal_view: Option<PrincipalView>,
    /// For a finding about a group's block: the group's display name (a waiver names the group so, whichever half
    /// the finding comes from: the live half knows the group by its id).
    #[serde(skip)]
    group_name: Option<String>,
}

impl Finding {
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    pub fn role(mut self, r: &RoleView) -> Self {
        self.role = Some(r.name.clone());
        self.role_key = r.group.is_none().then(|| r.key.clone());
        self.target = Some(r.target.clone());
        self.group_name = r.group.as_ref().map(|g| g.name.clone());
        if self.location.is_none() {
            self.location = r.origin.clone();
        }
        self
    }
    pub fn principal(mut self, p: &PrincipalView) -> Self {
        self.principal = Some(p.label.clone());
        self.principal_key = Some(p.key());
        self.principal_view = Some(p.clone());
        self
    }
    /// Where in the YAML; `None` leaves what `role` set.
    pub fn at(mut self, o: Option<&Origin>) -> Self {
        if let Some(o) = o {
            self.location = Some(o.clone());
        }
        self
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }

    /// The identity of the finding across views: rule, target, principal, detail.
    fn identity(&self) -> (String, String, String, String) {
        (
            self.rule.to_string(),
            self.target
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| self.role_key.as_ref().map(|k| k.0.clone()))
                .unwrap_or_default(),
            self.principal_key.clone().unwrap_or_default(),
            self.detail.clone(),
        )
    }

    fn answers_to(&self, p: &PrincipalRef) -> bool {
        match &self.principal_view {
            Some(v) => v.answers_to(p),
            // A finding about a group's member or owner block, and no principal in it, answers to the group.
            None => {
                p.kind == crate::model::PrincipalKind::Group
                    && self.target.as_ref().is_some_and(|t| {
                        let name = p.name.trim();
                        t.surface == crate::model::Surface::Group
                            && (t.scope.eq_ignore_ascii_case(name)
                                || t.unresolved_group_name()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
                                || self
                                    .group_name
                                    .as_deref()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(name)))
                    })
            }
        }
    }
}

/// A waiver of the `lint:` block that applied, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Waived {
    pub rule: &'static str,
    pub message: String,
    pub reason: String,
    pub until: DateTime<Utc>,
    pub waiver: Origin,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub profile: Profile,
    pub notifications: Notifications,
    /// Whether the tenant was read.
    pub live: bool,
    pub findings: Vec<Finding>,
    /// Findings a waiver of the `lint:` block suppressed.
    pub waived: Vec<Waived>,
}

impl Report {
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// Whether some finding is at or above `level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

/// The rule with this id (case-insensitive), or with this name.
pub fn rule(id_or_name: &str) -> Option<&'static Rule> {
    rules::ALL.iter().copied().find(|r| {
        r.meta.id.eq_ignore_ascii_case(id_or_name) || r.meta.name.eq_ignore_ascii_case(id_or_name)
    })
}

/// The tenant side of a run: the live state (from `observe::read_tenant`) and the members of the groups that hold
/// roles, when they were read.
pub struct LiveInput<'a> {
    pub state: &'a LiveState,
    pub members: &'a Members,
    /// The licence facts (PIM099), when the subscriptions were asked for.
    pub licences: Option<&'a licence::LicenceFacts>,
    /// What the tenant's reviews' last ended instances held (PIM070), when they were read.
    pub review_activity: &'a [crate::model::ReviewActivity],
}

/// Runs every rule over the declaration and, when given, the tenant. `now` is the declaration's clock (the tenant's
/// read time when there is one).
pub fn lint(
    desired: &DesiredState,
    live: Option<LiveInput>,
    now: DateTime<Utc>,
    options: Options,
) -> Report {
    let mut findings = Vec::new();
    let declared = view::declared(desired, now);
    run(&declared, options, &mut findings, |r| r != Reads::Live);
    if let Some(l) = &live {
        let index = LiveIndex::new(l.state);
        let mut before = view::live(desired, l.state, &index, l.members);
        let mut after = view::after(desired, l.state, &index, l.members);
        before.licences = l.licences.cloned();
        after.licences = l.licences.cloned();
        before.review_activity = l.review_activity.to_vec();
        // Applying the declaration leaves a review's past instances as they are, unless it removes the review.
        after.review_activity = l
            .review_activity
            .iter()
            .filter(|a| {
                after
                    .reviewed
                    .as_ref()
                    .is_none_or(|r| r.contains(&a.target))
            })
            .cloned()
            .collect();
        let mut live_findings = Vec::new();
        run(&before, options, &mut live_findings, |r| {
            r != Reads::Declared
        });
        let mut after_findings = Vec::new();
        run(&after, options, &mut after_findings, |r| {
            r != Reads::Declared
        });
        let remains: BTreeSet<_> = after_findings.iter().map(Finding::identity).collect();
        for mut f in live_findings {
            f.fixed_by_declaration = Some(!remains.contains(&f.identity()));
            findings.push(f);
        }
    }
    findings.extend(rules::pim001_lint_config::check_config(desired, now));
    let (mut findings, waived) = apply_waivers(desired, findings, now);
    findings.extend(rules::pim001_lint_config::unused(
        desired,
        &waived,
        now,
        live.is_some(),
    ));
    findings.sort_by(|a, b| {
        (
            a.half,
            a.location.as_ref().map(|l| (&l.file, l.line, l.column)),
            a.rule,
            &a.role,
            &a.principal,
            &a.message,
        )
            .cmp(&(
                b.half,
                b.location.as_ref().map(|l| (&l.file, l.line, l.column)),
                b.rule,
                &b.role,
                &b.principal,
                &b.message,
            ))
    });
    Report {
        profile: options.profile,
        notifications: options.notifications,
        live: live.is_some(),
        findings,
        waived,
    }
}

/// The findings on the tenant that applying the declaration would bring about: rules that pass on the tenant as read
/// and fail on the tenant as the declaration leaves it (waivers of the `lint:` block applied, at the tenant's read
/// time). `plan` marks the changes behind them as weakening. Group members are not read for plans, so groups count
/// as one principal here.
pub fn newly_failing(
    desired: &DesiredState,
    live: &LiveState,
    index: &LiveIndex<'_>,
    options: Options,
) -> Vec<Finding> {
    let members = Members::new();
    let before = view::live(desired, live, index, &members);
    let mut was = Vec::new();
    run(&before, options, &mut was, |r| r != Reads::Declared);
    let was: BTreeSet<_> = was.iter().map(Finding::identity).collect();
    // The tenant as read becomes the tenant as the declaration leaves it: one view built, and one held at a time.
    let after = view::applied(desired, before, live, &members);
    let mut now = Vec::new();
    run(&after, options, &mut now, |r| r != Reads::Declared);
    now.retain(|f| !was.contains(&f.identity()));
    apply_waivers(desired, now, live.read_at).0
}

impl Finding {
    /// Whether the finding is about this principal (by object id, or as declared).
    pub fn is_about(&self, principal_id: &str) -> bool {
        self.principal_key
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(principal_id))
    }
}

fn run(view: &View, options: Options, out: &mut Vec<Finding>, reads: impl Fn(Reads) -> bool) {
    for r in rules::ALL {
        if !reads(r.meta.reads) {
            continue;
        }
        let cx = Cx {
            view,
            options,
            meta: &r.meta,
        };
        (r.check)(&cx, out);
    }
}

/// Drops findings that a live (unexpired) `disable` or exception covers, and records them.
fn apply_waivers(
    desired: &DesiredState,
    findings: Vec<Finding>,
    now: DateTime<Utc>,
) -> (Vec<Finding>, Vec<Waived>) {
    let mut kept = Vec::new();
    let mut waived = Vec::new();
    for f in findings {
        if f.rule == rules::pim001_lint_config::ID {
            kept.push(f);
            continue;
        }
        let hit = desired
            .lint
            .disable
            .iter()
            .chain(&desired.lint.exceptions)
            .filter(|w| w.until >= now)
            .find(|w| {
                w.rules.iter().any(|r| r.eq_ignore_ascii_case(f.rule))
                    && w.role
                        .as_ref()
                        .is_none_or(|r| f.role_key.as_ref() == Some(&r.key()))
                    && w.principal.as_ref().is_none_or(|p| f.answers_to(p))
            });
        match hit {
            Some(w) => waived.push(Waived {
                rule: f.rule,
                message: f.message,
                reason: w.reason.clone(),
                until: w.until,
                waiver: w.origin.clone(),
            }),
            None => kept.push(f),
        }
    }
    (kept, waived)
}
