//! `pimctl import`: a live tenant as policy files in the pimctl language.
//!
//! Pure: a [`LiveState`] (read by `observe::read_tenant`, the same bulk read as `plan`) becomes files as strings; the
//! command writes them. The files are built so that `plan` against the same tenant finds nothing to change, and
//! `validate` finds nothing to report: what the language can't declare is left unmanaged with a comment saying what
//! the tenant has. Everything is sorted, so the same tenant gives the same files, byte for byte.

mod names;
mod policy;
pub mod yaml;

pub use names::{Named, Namer};

use crate::catalog::well_known;
use crate::model::{
    AccessReview, AssignmentKind, CadenceUnit, DefaultDecision, GroupAccess, LiveAssignment,
    LiveRole, LiveState, PolicySettings, PrincipalKind, PrincipalRef, Reviewer, RoleKey, Surface,
    TargetKey,
};
use chrono::{DateTime, Timelike, Utc};
use std::collections::{BTreeMap, BTreeSet};
use yaml::{Entry, Node};

/// Which roles to import.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RoleSelection {
    /// Every role the tenant defines.
    #[default]
    All,
    /// The roles Microsoft labels privileged.
    Privileged,
    /// Roles by display name or id.
    Named(Vec<String>),
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub roles: RoleSelection,
    /// Write only the settings that differ from Microsoft's defaults.
    pub minimal: bool,
    /// The tenant's id or domain, for the header, when known.
    pub tenant: Option<String>,
    /// Groups (lower-cased object ids) to write even when they have no PIM for Groups state of their own (named on
    /// the command line). Other groups the live state holds are written when anyone is assigned to them or their
    /// policies are not Microsoft's untouched ones.
    pub groups_named: BTreeSet<String>,
    /// Azure scopes to adopt (`--azure`): their Azure resource roles, read through ARM, are written to `azure.yaml`.
    pub azure: Vec<crate::graph::arm::ArmScope>,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub text: String,
}

/// What an import wrote, for the command's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub roles: usize,
    /// Groups written to groups.yaml (PIM for Groups).
    pub groups: usize,
    /// Groups read but not written: nobody assigned, and Microsoft's untouched policies (not onboarded to PIM).
    pub groups_untouched: usize,
    /// Azure roles written (`--azure`), and those left out: Microsoft's untouched policy, nobody assigned.
    pub azure_roles: usize,
    pub azure_untouched: usize,
    pub templates: usize,
    pub eligible: usize,
    pub active: usize,
    /// Activations in progress (just in time: never imported as assignments).
    pub activations: usize,
    /// Assignments that already ended.
    pub expired: usize,
    /// Assignments through a group, inherited or below the tenant scope (plan leaves them alone).
    pub indirect: usize,
    /// Permanent active Global Administrators, proposed (commented out) in protected.yaml.
    pub break_glass_candidates: usize,
    /// Access reviews written (`access_review`), one per target at most.
    pub reviews: usize,
    /// Settings or lists left unmanaged because the language can't declare them as the tenant has them.
    pub notes: usize,
}

#[derive(Debug, Clone)]
pub struct Imported {
    pub files: Vec<File>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Each name given to `--roles` that matches no role, as it is quoted to the user (`` `Global Admin` (did you
    /// mean `Global Administrator`?) ``).
    #[error("--roles: no role named {} in the tenant", .0.join(", "))]
    UnknownRoles(Vec<String>),
}

/// What a policy and its assignments hang on: a directory role, or a group's members or owners.
enum Subject<'a> {
    Role(&'a LiveRole),
    Group {
        id: String,
        access: GroupAccess,
    },
    /// An Azure role at an ARM scope (its canonical path); `custom` when a custom role is written by name (with
    /// `custom: true`).
    Azure {
        scope: String,
        custom: bool,
    },
}

/// One target (a role, or a group block), ready to write.
struct RoleOut<'a> {
    subject: Subject<'a>,
    /// How people know it: a role's display name, `<group> (member)`.
    label: String,
    /// Its key in the YAML: the role's key, or the group's (for a group, the block is `member` or `owner` under it).
    key: String,
    comment: Option<String>,
    settings: PolicySettings,
    /// Notes about the policy itself (shared with a template when it folds).
    policy_notes: Vec<String>,
    /// Notes about this role's assignments.
    notes: Vec<String>,
    eligible: Option<Vec<&'a LiveAssignment>>,
    active: Option<Vec<&'a LiveAssignment>>,
    /// Entries of a list left unmanaged, shown commented out.
    unmanaged: Vec<(AssignmentKind, Vec<&'a LiveAssignment>)>,
    /// The target's access review, as the language declares it, when the tenant has one the language can say
    /// exactly; and what was left out, and why.
    review: Option<AccessReview>,
    review_notes: Vec<String>,
    activations: usize,
    indirect: usize,
    expired: usize,
}

/// Imports a tenant. `ambiguous` are names that a directory lookup found on several objects (see
/// `observe::ambiguous_names`); they are written as object ids.
pub fn import(
    live: &LiveState,
    ambiguous: &BTreeSet<PrincipalRef>,
    options: &Options,
) -> Result<Imported, ImportError> {
    let namer = Namer::new(live, ambiguous);
    let roles = select(live, &options.roles)?;
    // Microsoft's defaults as an import would write them, to name the template and for `--minimal`.
    let defaults = policy::declarable(&policy::microsoft_defaults(), &namer).0;
    let now = live.read_at;
    let mut summary = Summary::default();

    let mut outs: Vec<RoleOut<'_>> = roles
        .into_iter()
        .map(|role| {
            let (key, comment) = names::role_key(role);
            let target = TargetKey::directory_role(role.key.clone());
            let subject = Subject::Role(role);
            let label = role.display_name.clone();
            target_out(
                live,
                &namer,
                (subject, target, label, key, comment),
                options.minimal,
                &defaults,
                now,
            )
        })
        .chain(
            group_targets(live, &options.groups_named, &mut summary)
                .into_iter()
                .map(|(id, access)| {
                    let named = namer.principal(&id);
                    let target = TargetKey::group(&id, access);
                    let label = format!("{} ({})", live.label(&id), access.as_str());
                    let subject = Subject::Group { id, access };
                    target_out(
                        live,
                        &namer,
                        (subject, target, label, named.name, named.comment),
                        options.minimal,
                        &defaults,
                        now,
                    )
                }),
        )
        .collect();
    for target in azure_targets(live, &options.azure, &mut summary) {
        let scope = target
            .arm_scope()
            .map_or_else(|| target.scope.clone(), |s| s.path());
        let (key, comment, custom) = azure_role_key(live, &target);
        let label = format!("{key} @ {scope}");
        outs.push(target_out(
            live,
            &namer,
            (
                Subject::Azure { scope, custom },
                target,
                label,
                key,
                comment,
            ),
            options.minimal,
            &defaults,
            now,
        ));
    }
    outs.sort_by(|a, b| {
        (a.key.to_lowercase(), &a.key, &a.label).cmp(&(b.key.to_lowercase(), &b.key, &b.label))
    });

    // Identical policies (as they would be written, notes included) fold into one template.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in outs.iter().enumerate() {
        if r.settings.is_empty() {
            continue;
        }
        groups.entry(policy_text(r, &namer)).or_default().push(i);
    }
    let mut templates: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    let mut template_of: BTreeMap<usize, String> = BTreeMap::new();
    let mut shared: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    shared.sort();
    for g in shared {
        let first = &outs[g[0]];
        let name = template_name(first, first.settings == defaults, |n| {
            templates.contains_key(n)
        });
        for i in &g {
            template_of.insert(*i, name.clone());
        }
        templates.insert(name, (String::new(), g));
    }

    let header = header(live, options);
    let mut files = vec![];
    if !templates.is_empty() {
        let mut entries = vec![];
        for (name, (_, members)) in &templates {
            let first = &outs[members[0]];
            let mut body = vec![Entry::pair(
                "description",
                Node::str(shared_by(members.iter().map(|i| &outs[*i]))),
            )];
            body.extend(first.policy_notes.iter().map(|n| Entry::Comment(n.clone())));
            body.extend(policy::entries(&first.settings, &namer));
            if !entries.is_empty() {
                entries.push(Entry::Blank);
            }
            entries.push(Entry::pair(name.as_str(), Node::Map(body)));
        }
        files.push(File {
            name: "templates.yaml".into(),
            text: document(
                &header,
                &[
                    "Identical role policies, folded into templates: a role that uses one has exactly these settings in",
                    "the tenant. Tighten a template to tighten all its roles, or move roles onto templates built on",
                    "builtin:tier0/1/2 (docs/adoption.md).",
                ],
                vec![Entry::pair("templates", Node::Map(entries))],
            ),
        });
    }

    files.push(protected_file(live, &namer, &header, &mut summary));

    for (file, what, pick) in [
        (
            "privileged.yaml",
            "Built-in roles that Microsoft labels privileged.",
            (|r: &LiveRole| r.is_built_in && r.is_privileged) as fn(&LiveRole) -> bool,
        ),
        ("roles.yaml", "The other built-in roles.", |r: &LiveRole| {
            r.is_built_in && !r.is_privileged
        }),
        (
            "custom-roles.yaml",
            "Custom roles, by id (their names are in the comments).",
            |r: &LiveRole| !r.is_built_in,
        ),
    ] {
        let mut entries = vec![];
        for (i, r) in outs.iter().enumerate() {
            let Subject::Role(role) = r.subject else {
                continue;
            };
            if !pick(role) {
                continue;
            }
            if !entries.is_empty() {
                entries.push(Entry::Blank);
            }
            entries.push(role_entry(r, template_of.get(&i), &namer, &mut summary));
        }
        if entries.is_empty() {
            continue;
        }
        files.push(File {
            name: file.into(),
            text: document(
                &header,
                &[
                    what,
                    "The `eligible` and `active` lists are complete: plan removes whoever the tenant holds beyond them.",
                ],
                vec![Entry::pair("directory_roles", Node::Map(entries))],
            ),
        });
    }
    if let Some(f) = groups_file(&outs, &template_of, &namer, &header, &mut summary) {
        files.push(f);
    }
    if let Some(f) = azure_file(&outs, &template_of, &namer, &header, &mut summary) {
        files.push(f);
    }
    summary.roles = outs
        .iter()
        .filter(|r| matches!(r.subject, Subject::Role(_)))
        .count();
    summary.templates = templates.len();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Imported { files, summary })
}

fn select<'a>(
    live: &'a LiveState,
    selection: &RoleSelection,
) -> Result<Vec<&'a LiveRole>, ImportError> {
    match selection {
        RoleSelection::All => Ok(live.roles.values().collect()),
        RoleSelection::Privileged => Ok(live.roles.values().filter(|r| r.is_privileged).collect()),
        RoleSelection::Named(names) => {
            let mut out: BTreeMap<&RoleKey, &LiveRole> = BTreeMap::new();
            let mut unknown = vec![];
            for n in names {
                let n = n.trim();
                let found: Vec<&LiveRole> = live
                    .roles
                    .values()
                    .filter(|r| {
                        r.display_name.eq_ignore_ascii_case(n)
                            || r.id.eq_ignore_ascii_case(n)
                            || names::role_key(r).0.eq_ignore_ascii_case(n)
                    })
                    .collect();
                if found.is_empty() {
                    // A near miss, or the one role whose name starts with the one given (`Global Admin`).
                    let names = || live.roles.values().map(|r| r.display_name.as_str());
                    let prefixed: Vec<&str> = names()
                        .filter(|c| c.to_lowercase().starts_with(&n.to_lowercase()))
                        .collect();
                    let hint = crate::suggest::closest(n, names())
                        .or(match prefixed[..] {
                            [one] => Some(one),
                            _ => None,
                        })
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    unknown.push(format!("`{n}`{hint}"));
                }
                for r in found {
                    out.insert(&r.key, r);
                }
            }
            if unknown.is_empty() {
                Ok(out.into_values().collect())
            } else {
                Err(ImportError::UnknownRoles(unknown))
            }
        }
    }
}

/// A target as it will be written: `(subject, target, label, key, comment)`.
type Describe<'a> = (Subject<'a>, TargetKey, String, String, Option<String>);

fn target_out<'a>(
    live: &'a LiveState,
    namer: &Namer<'_>,
    (subject, target, label, key, comment): Describe<'a>,
    minimal: bool,
    defaults: &PolicySettings,
    now: DateTime<Utc>,
) -> RoleOut<'a> {
    // The assignments that concern the target: for a role, at every scope (those below the tenant are reported as
    // indirect); for a group block, its own.
    let role_key = match &subject {
        Subject::Role(role) => Some(role.key.clone()),
        Subject::Group { .. } | Subject::Azure { .. } => None,
    };
    let concerns = |t: &TargetKey| match &role_key {
        Some(k) => t.role_definition() == Some(k),
        None => *t == target,
    };
    let (mut settings, mut policy_notes) = match live.policies.get(&target) {
        Some(p) => policy::declarable(&p.settings, namer),
        None => (PolicySettings::default(), vec![]),
    };
    if target.surface == Surface::AzureRole {
        policy_notes.extend(policy::without_idle_maxima(&mut settings));
    }
    if minimal {
        settings = policy::minimal(&settings, defaults);
    }
    let mut out = RoleOut {
        label,
        key,
        comment,
        settings,
        policy_notes,
        notes: vec![],
        eligible: Some(vec![]),
        active: Some(vec![]),
        unmanaged: vec![],
        review: None,
        review_notes: vec![],
        activations: live
            .activations
            .iter()
            .filter(|a| concerns(&a.target))
            .count(),
        indirect: 0,
        expired: 0,
        subject,
    };
    (out.review, out.review_notes) = review(live, namer, &target);
    for a in live.assignments.iter().filter(|a| concerns(&a.target)) {
        let direct = a.target == target
            && a.member_type
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case("Direct"));
        if !direct {
            out.indirect += 1;
        } else if a.end.is_some_and(|e| e <= now) {
            out.expired += 1;
        } else {
            let list = match a.kind {
                AssignmentKind::Eligible => out.eligible.as_mut(),
                AssignmentKind::Active => out.active.as_mut(),
            };
            if let Some(l) = list
                && !l
                    .iter()
                    .any(|x| x.principal_id.eq_ignore_ascii_case(&a.principal_id))
            {
                l.push(a);
            }
        }
    }
    let sp = |a: &&LiveAssignment| {
        namer.principal(&a.principal_id).kind == PrincipalKind::ServicePrincipal
    };
    // Service principals can't be eligible, and hold time-bound active assignments only: the language refuses
    // anything else, so such a list stays unmanaged rather than be declared without them (which would remove them).
    if let Some(l) = &out.eligible
        && l.iter().any(sp)
    {
        out.notes.push("`eligible` is left unmanaged: the tenant makes a service principal eligible, which the language refuses (service principals can't activate)".into());
        out.unmanaged.push((
            AssignmentKind::Eligible,
            out.eligible.take().unwrap_or_default(),
        ));
    }
    if let Some(l) = &out.active
        && l.iter().any(|a| sp(a) && a.end.is_none())
    {
        out.notes.push("`active` is left unmanaged: a service principal holds it permanently, which the language refuses unless it is protected; give it an end date, or protect it".into());
        out.unmanaged.push((
            AssignmentKind::Active,
            out.active.take().unwrap_or_default(),
        ));
    }
    for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
        let (set, list) = match kind {
            AssignmentKind::Eligible => (&mut out.settings.eligible_assignment, &out.eligible),
            AssignmentKind::Active => (&mut out.settings.active_assignment, &out.active),
        };
        if set.allow_permanent != Some(false) {
            continue;
        }
        let Some(list) = list else { continue };
        // A limit past the last date chrono holds is no limit: nothing ends after it.
        let limit = set.max_duration.and_then(|m| m.after(now));
        let mut breaking: Vec<String> = list
            .iter()
            .filter(|a| match (a.end, limit) {
                (None, _) => true,
                (Some(e), Some(l)) => e > l,
                (Some(_), None) => false,
            })
            .map(|a| namer.principal(&a.principal_id).name)
            .collect();
        breaking.sort_by_key(|n| n.to_lowercase());
        if !breaking.is_empty() {
            out.notes.push(format!(
                "{kind}_assignment.allow_permanent is false in the tenant, but it holds {} that this policy would refuse ({}): left unmanaged. Protect break-glass accounts (protected.yaml) or give the others an end date, then declare `allow_permanent: false`",
                count(breaking.len(), &format!("{kind} assignment"), &format!("{kind} assignments")),
                breaking.join(", ")
            ));
            set.allow_permanent = None;
        }
    }
    out
}

/// The target's review as the language would declare it: the first of its reviews (by id) that the language can
/// say exactly, so that `plan` finds it again with nothing to change; every other review of the target is a note
/// (left as it is: `plan` reports it and never deletes it).
fn review(
    live: &LiveState,
    namer: &Namer<'_>,
    target: &TargetKey,
) -> (Option<AccessReview>, Vec<String>) {
    let mut chosen = None;
    let mut notes = vec![];
    for r in live.reviews.iter().filter(|r| &r.target == target) {
        let name = r
            .definition
            .display_name
            .value()
            .map_or(r.id.as_str(), String::as_str);
        if chosen.is_some() {
            notes.push(format!(
                "access review '{name}' ({}) is another review of this target: left as it is (pimctl manages one per target)",
                r.id
            ));
            continue;
        }
        match crate::observe::reviews::observed_review(&r.definition)
            .and_then(|rv| declarable_review(rv, namer, target))
        {
            Ok(rv) => chosen = Some(rv),
            Err(why) => notes.push(format!(
                "access review '{name}' ({}) is left unmanaged: {why}",
                r.id
            )),
        }
    }
    (chosen, notes)
}

/// What the language accepts of a review read from the tenant (cadences of 1 to 52 weeks or 1 to 12 months, an
/// instance shorter than the shortest period, fallback reviewers with managers only, reviewers the directory knows).
fn declarable_review(
    rv: AccessReview,
    namer: &Namer<'_>,
    target: &TargetKey,
) -> Result<AccessReview, String> {
    let n = rv.every.interval;
    let in_range = match rv.every.unit {
        CadenceUnit::Week => (1..=52).contains(&n),
        CadenceUnit::Month => (1..=12).contains(&n),
    };
    if !in_range {
        return Err(format!(
            "it recurs every {}, which the language cannot declare",
            rv.every
        ));
    }
    let days = rv.duration.whole_days().unwrap_or(0);
    if days >= rv.every.min_days() {
        return Err(format!(
            "each instance lasts {days} days, not shorter than its cadence ({})",
            rv.every
        ));
    }
    if target.surface == Surface::Group && target.role.0 != GroupAccess::Member.as_str() {
        return Err("it reviews a group's owners".into());
    }
    let managers = rv.reviewers.contains(&Reviewer::Managers);
    if managers == rv.fallback_reviewers.is_empty() {
        return Err(if managers {
            "its reviewers are managers with no fallback reviewer, which the language requires"
                .into()
        } else {
            "it names fallback reviewers without managers reviewing".into()
        });
    }
    let unknown = rv
        .reviewers
        .iter()
        .filter_map(|r| match r {
            Reviewer::Principal(p) => Some(p),
            _ => None,
        })
        .chain(&rv.fallback_reviewers)
        .any(|p| !namer.principal(&p.name).known);
    if unknown {
        return Err("a reviewer the directory does not know (deleted?) is named".into());
    }
    Ok(rv)
}

/// `access_review:` as the language writes it, every setting explicit.
fn review_entry(rv: &AccessReview, namer: &Namer<'_>) -> Entry {
    let principals: Vec<PrincipalRef> = rv
        .reviewers
        .iter()
        .filter_map(|r| match r {
            Reviewer::Principal(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let mut reviewers = match policy::approvers(&principals, namer) {
        Node::Seq(v) => v,
        other => vec![other],
    };
    for (r, key) in [
        (Reviewer::Managers, "managers"),
        (Reviewer::SelfReview, "self"),
    ] {
        if rv.reviewers.contains(&r) {
            reviewers.push(Node::flow(Node::Map(vec![Entry::pair(
                key,
                Node::bool(true),
            )])));
        }
    }
    let decision = match rv.default_decision {
        DefaultDecision::None => "none",
        DefaultDecision::Approve => "approve",
        DefaultDecision::Deny => "deny",
        DefaultDecision::Recommendation => "recommendation",
    };
    let mut body = vec![
        Entry::pair("every", Node::raw(rv.every.to_string())),
        Entry::pair(
            "duration",
            Node::raw(format!("{}d", rv.duration.whole_days().unwrap_or(0))),
        ),
        Entry::pair("assignments", Node::raw(rv.assignments.as_str())),
        Entry::pair("reviewers", Node::Seq(reviewers)),
    ];
    if !rv.fallback_reviewers.is_empty() {
        body.push(Entry::pair(
            "fallback_reviewers",
            policy::approvers(&rv.fallback_reviewers, namer),
        ));
    }
    body.extend([
        Entry::pair("default_decision", Node::raw(decision)),
        Entry::pair("auto_apply", Node::bool(rv.auto_apply)),
        Entry::pair("justification", Node::bool(rv.justification)),
        Entry::pair("recommendations", Node::bool(rv.recommendations)),
        Entry::pair(
            "notifications",
            Node::flow(Node::Map(vec![
                Entry::pair("mail", Node::bool(rv.mail)),
                Entry::pair("reminders", Node::bool(rv.reminders)),
            ])),
        ),
    ]);
    Entry::pair("access_review", Node::Map(body))
}

/// The YAML of a policy and its notes: two roles share a template exactly when these are equal.
fn policy_text(r: &RoleOut<'_>, namer: &Namer<'_>) -> String {
    let mut e: Vec<Entry> = r
        .policy_notes
        .iter()
        .map(|n| Entry::Comment(n.clone()))
        .collect();
    e.extend(policy::entries(&r.settings, namer));
    yaml::write_document(&e)
}

fn role_entry(
    r: &RoleOut<'_>,
    template: Option<&String>,
    namer: &Namer<'_>,
    summary: &mut Summary,
) -> Entry {
    let mut body = target_body(r, template, namer, summary);
    if let Subject::Azure { custom: true, .. } = r.subject {
        body.insert(0, Entry::pair("custom", Node::bool(true)));
    }
    match &r.comment {
        Some(c) => Entry::commented(r.key.as_str(), Node::Map(body), c.as_str()),
        None => Entry::pair(r.key.as_str(), Node::Map(body)),
    }
}

/// The keys of a role or group block: its template or settings, notes, and assignment lists.
fn target_body(
    r: &RoleOut<'_>,
    template: Option<&String>,
    namer: &Namer<'_>,
    summary: &mut Summary,
) -> Vec<Entry> {
    let mut body = vec![];
    match template {
        Some(t) => body.push(Entry::pair("template", Node::str(t.as_str()))),
        None => {
            body.extend(r.policy_notes.iter().map(|n| Entry::Comment(n.clone())));
            summary.notes += r.policy_notes.len();
        }
    }
    body.extend(r.notes.iter().map(|n| Entry::Comment(n.clone())));
    summary.notes += r.notes.len();
    if template.is_none() {
        body.extend(policy::entries(&r.settings, namer));
    }
    body.extend(r.review_notes.iter().map(|n| Entry::Comment(n.clone())));
    summary.notes += r.review_notes.len();
    if let Some(rv) = &r.review {
        body.push(review_entry(rv, namer));
        summary.reviews += 1;
    }
    if r.activations > 0 {
        body.push(Entry::Comment(format!(
            "{}: just in time, from an eligibility, so not declared",
            count(
                r.activations,
                "activation in progress",
                "activations in progress"
            )
        )));
    }
    if r.indirect > 0 {
        body.push(Entry::Comment(format!(
            "{} through a group, inherited or below the tenant scope: not declared (plan leaves them alone)",
            count(r.indirect, "assignment", "assignments")
        )));
    }
    if r.expired > 0 {
        body.push(Entry::Comment(format!(
            "{} already ended: not imported",
            count(r.expired, "assignment", "assignments")
        )));
    }
    summary.activations += r.activations;
    summary.indirect += r.indirect;
    summary.expired += r.expired;
    for (kind, list) in [
        (AssignmentKind::Eligible, &r.eligible),
        (AssignmentKind::Active, &r.active),
    ] {
        match list {
            Some(l) => {
                match kind {
                    AssignmentKind::Eligible => summary.eligible += l.len(),
                    AssignmentKind::Active => summary.active += l.len(),
                }
                body.push(Entry::pair(kind.as_str(), assignments(l, namer)));
            }
            None => {
                let held = r
                    .unmanaged
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, l)| l.as_slice())
                    .unwrap_or_default();
                body.push(Entry::Comment(format!(
                    "{}: (unmanaged; the tenant holds)",
                    kind.as_str()
                )));
                for w in sorted(held, namer) {
                    let until = w.until.map(|u| format!(", until {u}")).unwrap_or_default();
                    let condition = w
                        .condition
                        .map(|c| format!(", condition {}", c.condition))
                        .unwrap_or_default();
                    body.push(Entry::Comment(format!(
                        "  - {}: {}{until}{condition}",
                        w.named.kind.as_str(),
                        w.named.name
                    )));
                }
            }
        }
    }
    body
}

/// An assignment as written: who, its end date, and its ABAC condition (an Azure role assignment's).
struct Written {
    named: Named,
    until: Option<String>,
    condition: Option<crate::model::AbacCondition>,
}

/// Assignments sorted by kind and name, each with its end date as written.
fn sorted(list: &[&LiveAssignment], namer: &Namer<'_>) -> Vec<Written> {
    let mut v: Vec<Written> = list
        .iter()
        .map(|a| Written {
            named: namer.principal(&a.principal_id),
            until: a.end.map(until),
            condition: a.condition.clone(),
        })
        .collect();
    v.sort_by(|a, b| {
        (
            a.named.kind,
            a.named.name.to_lowercase(),
            &a.named.name,
            &a.condition,
        )
            .cmp(&(
                b.named.kind,
                b.named.name.to_lowercase(),
                &b.named.name,
                &b.condition,
            ))
    });
    v
}

/// The version a condition is written with: as held; ARM's only version, `2.0`, when the tenant gave none (the
/// language takes both or neither, and plan then writes the version down).
const CONDITION_VERSION: &str = "2.0";

fn assignments(list: &[&LiveAssignment], namer: &Namer<'_>) -> Node {
    Node::Seq(
        sorted(list, namer)
            .into_iter()
            .map(|w| {
                let n = w.named;
                let mut e = vec![match n.comment {
                    Some(c) => Entry::commented(n.kind.as_str(), Node::str(n.name), c),
                    None => Entry::pair(n.kind.as_str(), Node::str(n.name)),
                }];
                if let Some(u) = w.until {
                    e.push(Entry::pair("until", Node::raw(u)));
                }
                // A condition narrows the assignment: written as held, so that plan keeps it (and round-trips).
                if let Some(c) = w.condition {
                    e.push(Entry::pair("condition", Node::str(c.condition)));
                    if c.version.is_empty() {
                        e.push(Entry::commented(
                            "condition_version",
                            Node::str(CONDITION_VERSION),
                            "the tenant holds the condition without a version: plan will write this one",
                        ));
                    } else {
                        e.push(Entry::pair("condition_version", Node::str(c.version)));
                    }
                }
                Node::Map(e)
            })
            .collect(),
    )
}

/// An end date as the language reads it: a date when it is the end of that day (UTC), else the timestamp.
fn until(t: DateTime<Utc>) -> String {
    if t.hour() == 23 && t.minute() == 59 && t.second() == 59 {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

fn protected_file(
    live: &LiveState,
    namer: &Namer<'_>,
    header: &[String],
    summary: &mut Summary,
) -> File {
    let ga = TargetKey::directory_role(RoleKey(well_known::GLOBAL_ADMINISTRATOR.to_string()));
    let candidates: Vec<&LiveAssignment> = live
        .assignments
        .iter()
        .filter(|a| {
            a.target == ga
                && a.kind == AssignmentKind::Active
                && a.end.is_none()
                && a.member_type
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case("Direct"))
        })
        .collect();
    summary.break_glass_candidates = candidates.len();
    let mut lines: Vec<String> = vec![];
    if candidates.is_empty() {
        lines.push("No permanent active Global Administrator was found: no break-glass candidate to propose.".into());
        lines.push("Declare your emergency access accounts here once they exist:".into());
        lines.push("protected:".into());
        lines.push("  - user: bg-01@example.onmicrosoft.com".into());
    } else {
        lines.push("Break-glass candidates: the permanent active Global Administrators in the tenant. pimctl never removes".into());
        lines.push("or downgrades a protected principal. Keep the real emergency access accounts (usually two, cloud-only),".into());
        lines.push("uncomment them, and leave the others out: they are ordinary standing access to review.".into());
        lines.push("protected:".into());
        let mut named: Vec<(Named, &LiveAssignment)> = candidates
            .iter()
            .map(|a| (namer.principal(&a.principal_id), *a))
            .collect();
        named.sort_by(|a, b| {
            (a.0.kind, a.0.name.to_lowercase()).cmp(&(b.0.kind, b.0.name.to_lowercase()))
        });
        named.dedup_by(|a, b| a.0 == b.0);
        for (n, a) in named {
            let label = live
                .principal(&a.principal_id)
                .and_then(|p| p.display_name.clone())
                .filter(|d| *d != n.name);
            let since = a
                .start
                .map(|s| format!("permanent since {}", s.format("%Y-%m-%d")));
            let about: Vec<String> = [n.comment.clone().or(label), since]
                .into_iter()
                .flatten()
                .collect();
            let about = if about.is_empty() {
                String::new()
            } else {
                format!("  # {}", about.join(", "))
            };
            lines.push(format!(
                "  - {}: {}{about}",
                n.kind.as_str(),
                yaml::scalar(&n.name, false)
            ));
        }
    }
    let mut text = String::new();
    for h in header {
        text.push_str(&format!("# {h}\n"));
    }
    text.push_str("version: pimctl/v1\n\n");
    for l in lines {
        text.push_str(&format!("# {l}\n"));
    }
    File {
        name: "protected.yaml".into(),
        text,
    }
}

fn header(live: &LiveState, options: &Options) -> Vec<String> {
    let tenant = options
        .tenant
        .as_ref()
        .map(|t| format!(" (tenant {t})"))
        .unwrap_or_default();
    vec![
        format!(
            "Imported by `pimctl import` on {}, from {}{tenant}.",
            live.read_at.format("%Y-%m-%d %H:%M UTC"),
            live.source,
        ),
        "Review it before committing it: docs/adoption.md.".into(),
    ]
}

fn document(header: &[String], about: &[&str], entries: Vec<Entry>) -> String {
    let mut text = String::new();
    for h in header {
        text.push_str(&format!("# {h}\n"));
    }
    for a in about {
        text.push_str(&format!("# {a}\n"));
    }
    text.push_str("version: pimctl/v1\n");
    text.push_str(&yaml::write_document(&entries));
    text
}

fn shared_by<'a>(outs: impl Iterator<Item = &'a RoleOut<'a>>) -> String {
    let outs: Vec<&RoleOut> = outs.collect();
    let groups = outs
        .iter()
        .any(|r| matches!(r.subject, Subject::Group { .. }));
    let keys: Vec<&str> = outs
        .iter()
        .map(|r| match r.subject {
            Subject::Role(_) => r.key.as_str(),
            Subject::Group { .. } | Subject::Azure { .. } => r.label.as_str(),
        })
        .collect();
    let shown: Vec<&str> = keys.iter().take(4).copied().collect();
    let more = keys.len().saturating_sub(shown.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "The tenant's policy for {} {} ({}{tail})",
        keys.len(),
        if groups { "roles and groups" } else { "roles" },
        shown.join(", ")
    )
}

/// The group blocks to write, as `(group id, access)`, in order: of every group the live state holds (its policies
/// read, or assignments), those named, those with anyone assigned or activated, and those whose policies are not
/// Microsoft's untouched group policy. The others (read, but not under PIM) are counted.
fn group_targets(
    live: &LiveState,
    named: &BTreeSet<String>,
    summary: &mut Summary,
) -> Vec<(String, GroupAccess)> {
    let keys: BTreeSet<&TargetKey> = live
        .policies
        .keys()
        .chain(live.assignments.iter().map(|a| &a.target))
        .filter(|k| k.surface == Surface::Group)
        .collect();
    let untouched =
        crate::observe::rules::observed_settings(&crate::graph::defaults::default_group_rules());
    let groups: BTreeSet<&str> = keys.iter().map(|k| k.scope.as_str()).collect();
    let written: BTreeSet<&str> = groups
        .into_iter()
        .filter(|g| {
            let mine = |t: &TargetKey| t.surface == Surface::Group && t.scope == *g;
            let keep = named.contains(*g)
                || live.assignments.iter().any(|a| mine(&a.target))
                || live.activations.iter().any(|a| mine(&a.target))
                || live
                    .policies
                    .iter()
                    .any(|(t, p)| mine(t) && p.settings != untouched);
            if !keep {
                summary.groups_untouched += 1;
            }
            keep
        })
        .collect();
    keys.into_iter()
        .filter(|k| written.contains(k.scope.as_str()))
        .map(|k| {
            let access = if k.role.0 == GroupAccess::Owner.as_str() {
                GroupAccess::Owner
            } else {
                GroupAccess::Member
            };
            (k.scope.clone(), access)
        })
        .collect()
}

/// The Azure roles to write at the scopes asked for: every role assigned directly at one, or in effect there, or
/// whose policy is not Microsoft's untouched one (ARM lists a policy for every role at every scope; the untouched
/// ones of roles nobody holds are counted, not written).
fn azure_targets(
    live: &LiveState,
    scopes: &[crate::graph::arm::ArmScope],
    summary: &mut Summary,
) -> Vec<TargetKey> {
    let asked: BTreeSet<String> = scopes.iter().map(|s| s.key()).collect();
    let untouched = crate::observe::rules::observed_settings(
        &crate::graph::arm::defaults::default_arm_rules_as_graph(),
    );
    let direct = |a: &LiveAssignment| {
        a.member_type
            .as_deref()
            .is_none_or(|m| !m.eq_ignore_ascii_case("Inherited"))
    };
    let keys: BTreeSet<&TargetKey> = live
        .policies
        .keys()
        .chain(
            live.assignments
                .iter()
                .filter(|a| direct(a))
                .map(|a| &a.target),
        )
        .filter(|k| k.surface == Surface::AzureRole && asked.contains(&k.scope))
        .collect();
    keys.into_iter()
        .filter(|t| {
            let keep = live
                .assignments
                .iter()
                .any(|a| &a.target == *t && direct(a))
                || live.activations.iter().any(|a| &a.target == *t)
                || live
                    .policies
                    .get(t)
                    .is_some_and(|p| p.settings != untouched);
            if !keep {
                summary.azure_untouched += 1;
            }
            keep
        })
        .cloned()
        .collect()
}

/// How an Azure role is written: a built-in by its name; a custom role by its name (`roleName`, as ARM's policy
/// assignment at the scope names it) with `custom: true`, as people declare it; by its role definition id when the
/// name is unknown, shared by another custom role governed at the scope (plan would find it ambiguous there),
/// spelt like a built-in role or an id. Returns the key, its comment, and whether `custom: true` goes with it.
fn azure_role_key(live: &LiveState, target: &TargetKey) -> (String, Option<String>, bool) {
    if let Some(r) = crate::azure_catalog::lookup(&target.role.0) {
        return (r.display_name.clone(), None, false);
    }
    let by_id = |why: String| (target.role.0.clone(), Some(why), false);
    let Some(scope) = target.arm_scope() else {
        return by_id("a custom role, by id".into());
    };
    let Some(name) = live
        .azure_custom_names
        .get(&crate::model::custom_role_key(&scope, &target.role))
        .map(|n| n.trim())
    else {
        return by_id("a custom role, by id".into());
    };
    let prefix = format!("{} ", scope.key());
    let shared = live
        .azure_custom_names
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, n)| n.trim().eq_ignore_ascii_case(name) && !k.ends_with(&target.role.0))
        .count()
        > 0;
    if shared {
        return by_id(format!(
            "{name} (a custom role, by id: another custom role of that name is assignable here)"
        ));
    }
    if crate::azure_catalog::lookup(name).is_some() || crate::model::is_guid(name) {
        return by_id(format!("{name} (a custom role, by id)"));
    }
    (name.to_string(), None, true)
}

/// `azure.yaml`: the Azure resource roles at the scopes asked for, by scope then role, written like roles.
fn azure_file(
    outs: &[RoleOut<'_>],
    template_of: &BTreeMap<usize, String>,
    namer: &Namer<'_>,
    header: &[String],
    summary: &mut Summary,
) -> Option<File> {
    let mut by_scope: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in outs.iter().enumerate() {
        if let Subject::Azure { scope, .. } = &r.subject {
            by_scope.entry(scope.as_str()).or_default().push(i);
        }
    }
    if by_scope.is_empty() {
        return None;
    }
    let mut entries = vec![];
    for (scope, roles) in by_scope {
        let body: Vec<Entry> = roles
            .iter()
            .map(|i| role_entry(&outs[*i], template_of.get(i), namer, summary))
            .collect();
        summary.azure_roles += roles.len();
        if !entries.is_empty() {
            entries.push(Entry::Blank);
        }
        entries.push(Entry::pair(scope, Node::Map(body)));
    }
    Some(File {
        name: "azure.yaml".into(),
        text: document(
            header,
            &[
                "Azure resource roles at the scopes imported (`--azure`), read through Azure Resource Manager. The",
                "`eligible` and `active` lists are complete, as for roles.",
            ],
            vec![Entry::pair("azure_roles", Node::Map(entries))],
        ),
    })
}

/// `groups.yaml`: each group's `member` and `owner` blocks, written like roles (templates folded with them).
fn groups_file(
    outs: &[RoleOut<'_>],
    template_of: &BTreeMap<usize, String>,
    namer: &Namer<'_>,
    header: &[String],
    summary: &mut Summary,
) -> Option<File> {
    // By group: its YAML key and comment, and its blocks.
    type Blocks<'b> = (&'b RoleOut<'b>, Vec<(GroupAccess, usize)>);
    let mut by_group: BTreeMap<&str, Blocks> = BTreeMap::new();
    for (i, r) in outs.iter().enumerate() {
        if let Subject::Group { id, access } = &r.subject {
            by_group
                .entry(id.as_str())
                .or_insert((r, vec![]))
                .1
                .push((*access, i));
        }
    }
    if by_group.is_empty() {
        return None;
    }
    let mut groups: Vec<Blocks> = by_group.into_values().collect();
    groups.sort_by(|a, b| {
        (a.0.key.to_lowercase(), &a.0.key).cmp(&(b.0.key.to_lowercase(), &b.0.key))
    });
    let mut entries = vec![];
    for (first, mut blocks) in groups {
        blocks.sort();
        let body: Vec<Entry> = blocks
            .iter()
            .map(|(access, i)| {
                Entry::pair(
                    access.as_str(),
                    Node::Map(target_body(&outs[*i], template_of.get(i), namer, summary)),
                )
            })
            .collect();
        if !entries.is_empty() {
            entries.push(Entry::Blank);
        }
        entries.push(match &first.comment {
            Some(c) => Entry::commented(first.key.as_str(), Node::Map(body), c.as_str()),
            None => Entry::pair(first.key.as_str(), Node::Map(body)),
        });
        summary.groups += 1;
    }
    Some(File {
        name: "groups.yaml".into(),
        text: document(
            header,
            &[
                "PIM for Groups: who may become, or is, a member or an owner of each group found (docs/adoption.md says",
                "which groups import finds). The `eligible` and `active` lists are complete, as for roles.",
            ],
            vec![Entry::pair("groups", Node::Map(entries))],
        ),
    })
}

/// `1 assignment`, `3 assignments`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A template name from a role name: lower case, words joined by `-`.
/// The name of a template folding a shared policy, after the first target that uses it: `microsoft-default` for
/// Microsoft's untouched policy, else `like-{role}` (`like-exchange-administrator`; a group's `like-{group}-member`).
/// An Azure role is named by its role alone (`like-owner`), as the scope would make the name long; on a collision,
/// its scope's last segment is added (`like-owner-contoso`), then, as for every name, a counter (`-2`, `-3`, ...).
/// Deterministic: the templates are named in a fixed order, each against the names taken before it.
fn template_name(first: &RoleOut<'_>, untouched: bool, taken: impl Fn(&str) -> bool) -> String {
    let mut candidates = vec![];
    if untouched && first.policy_notes.is_empty() {
        candidates.push("microsoft-default".to_string());
    } else if let Subject::Azure { scope, .. } = &first.subject {
        let role = format!("like-{}", slug(&first.key));
        let last = scope
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        candidates.push(role.clone());
        candidates.push(format!("{role}-{}", slug(last)));
    } else {
        candidates.push(format!("like-{}", slug(&first.label)));
    }
    if let Some(free) = candidates.iter().find(|c| !taken(c)) {
        return free.clone();
    }
    let base = candidates.last().cloned().unwrap_or_default();
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or(base)
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::{self, LoadOptions};
    use crate::model::{LivePolicy, LivePrincipal};

    const GR: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"; // Global Reader

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn principal(
        id: &str,
        kind: PrincipalKind,
        upn: Option<&str>,
        name: Option<&str>,
    ) -> LivePrincipal {
        LivePrincipal {
            id: id.into(),
            kind,
            display_name: name.map(String::from),
            user_principal_name: upn.map(String::from),
            app_id: None,
            user_type: None,
            on_premises_sync_enabled: None,
        }
    }

    fn assignment(id: &str, end: Option<&str>, scope: &str, member: &str) -> LiveAssignment {
        LiveAssignment {
            target: TargetKey::directory_role_at(RoleKey(GR.into()), scope),
            principal_id: id.into(),
            kind: AssignmentKind::Eligible,
            schedule_id: format!("s-{id}-{scope}"),
            start: None,
            end: end.map(at),
            member_type: Some(member.into()),
            condition: None,
        }
    }

    fn id(n: u8) -> String {
        format!("00000000-0000-4000-8000-0000000000{n:02}")
    }

    /// A tenant with only Global Reader, holders of every awkward kind.
    fn privileged(imported: &Imported) -> &str {
        &imported
            .files
            .iter()
            .find(|f| f.name == "privileged.yaml")
            .expect("privileged.yaml is written")
            .text
    }

    /// The files, written to a directory, load with no diagnostic.
    fn assert_loads_cleanly(imported: &Imported, now: chrono::DateTime<chrono::Utc>) {
        let dir = tempfile::tempdir().unwrap();
        for f in &imported.files {
            std::fs::write(dir.path().join(&f.name), &f.text).unwrap();
        }
        let loaded = language::load(dir.path(), &LoadOptions { now });
        assert!(
            loaded.diagnostics.items().is_empty(),
            "{}",
            loaded.diagnostics.render_text(false)
        );
    }

    fn live() -> LiveState {
        let mut live = LiveState {
            read_at: at("2026-11-21T09:00:00Z"),
            source: "https://graph.example/v1.0".into(),
            ..LiveState::default()
        };
        live.roles.insert(
            RoleKey(GR.into()),
            LiveRole {
                key: RoleKey(GR.into()),
                id: GR.into(),
                display_name: "Global Reader".into(),
                is_built_in: true,
                is_privileged: true,
            },
        );
        let defaults = crate::graph::defaults::default_rules();
        live.policies.insert(
            TargetKey::directory_role(RoleKey(GR.into())),
            LivePolicy {
                id: "p".into(),
                settings: crate::observe::rules::observed_settings(&defaults),
                rules: defaults,
            },
        );
        let people = [
            principal(
                &id(1),
                PrincipalKind::User,
                Some("ann@contoso.com"),
                Some("Ann"),
            ),
            // A user without a UPN the language accepts.
            principal(&id(2), PrincipalKind::User, Some("not a upn"), Some("Odd")),
            // A group whose display name is a GUID.
            principal(&id(3), PrincipalKind::Group, None, Some(&id(99))),
            principal(&id(4), PrincipalKind::Group, None, Some("Readers")),
        ];
        for p in people {
            live.principals.insert(p.id.clone(), p);
        }
        live.assignments = vec![
            assignment(&id(1), Some("2027-01-31T23:59:59Z"), "/", "Direct"),
            assignment(&id(2), None, "/", "Direct"),
            assignment(&id(3), None, "/", "Direct"),
            // Ended, through a group, and below the tenant scope: none is declared.
            assignment(&id(4), Some("2026-11-01T00:00:00Z"), "/", "Direct"),
            assignment(&id(1), None, "/administrativeUnits/x", "Direct"),
            assignment(&id(5), None, "/", "Group"),
            // An object the tenant did not name.
            assignment(&id(6), Some("2027-02-01T10:00:00Z"), "/", "Direct"),
        ];
        live.normalize();
        live
    }

    #[test]
    fn awkward_holders_are_named_by_id_and_what_is_not_declared_is_counted() {
        let live = live();
        let options = Options {
            roles: RoleSelection::Named(vec!["global reader".into()]),
            ..Options::default()
        };
        let imported = import(&live, &BTreeSet::new(), &options).unwrap();
        let privileged = privileged(&imported);
        let expected = format!(
            "    eligible:
      - user: {}  # Odd
      - user: {}  # the tenant did not name this object
        until: 2027-02-01T10:00:00Z
      - user: ann@contoso.com
        until: 2027-01-31
      - group: {}  # {}
    active: []
",
            id(2),
            id(6),
            id(3),
            id(99)
        );
        assert!(privileged.contains(&expected), "{privileged}");
        assert!(privileged.contains("# 1 assignment already ended: not imported"));
        assert!(
            privileged
                .contains("# 2 assignments through a group, inherited or below the tenant scope")
        );
        assert_eq!(imported.summary.expired, 1);
        assert_eq!(imported.summary.indirect, 2);
        assert_eq!(imported.summary.eligible, 4);
        // No other role was selected, and the one selected is written whole (no template for a single role).
        assert_eq!(imported.summary.roles, 1);
        assert_eq!(imported.summary.templates, 0);
        assert!(privileged.contains("      max_duration: 8h\n"));
        // The files load with no diagnostic.
        assert_loads_cleanly(&imported, live.read_at);
    }

    #[test]
    fn group_blocks_go_to_groups_yaml_and_fold_into_templates_with_roles() {
        let mut live = live();
        // Readers (id 4) is onboarded to PIM for Groups: both policies as Microsoft ships them, like Global
        // Reader's, so the three fold into one template; Ann is an eligible member, Odd an active owner.
        let defaults = crate::graph::defaults::default_rules();
        for access in [GroupAccess::Member, GroupAccess::Owner] {
            live.policies.insert(
                TargetKey::group(&id(4), access),
                LivePolicy {
                    id: format!("Group_{}_{}", id(4), access.as_str()),
                    settings: crate::observe::rules::observed_settings(&defaults),
                    rules: defaults.clone(),
                },
            );
        }
        let mut member = assignment(&id(1), Some("2027-01-31T23:59:59Z"), "/", "Direct");
        member.target = TargetKey::group(&id(4), GroupAccess::Member);
        let mut owner = assignment(&id(3), None, "/", "Direct");
        owner.target = TargetKey::group(&id(4), GroupAccess::Owner);
        owner.kind = AssignmentKind::Active;
        live.assignments.extend([member, owner]);
        live.normalize();
        let imported = import(&live, &BTreeSet::new(), &Options::default()).unwrap();
        let groups = &imported
            .files
            .iter()
            .find(|f| f.name == "groups.yaml")
            .expect("groups.yaml is written")
            .text;
        let expected = format!(
            "groups:
  Readers:
    member:
      template: microsoft-default
      eligible:
        - user: ann@contoso.com
          until: 2027-01-31
      active: []
    owner:
      template: microsoft-default
      eligible: []
      active:
        - group: {}  # {}
",
            id(3),
            id(99)
        );
        assert!(groups.contains(&expected), "{groups}");
        let templates = &imported
            .files
            .iter()
            .find(|f| f.name == "templates.yaml")
            .unwrap()
            .text;
        assert!(
            templates.contains("The tenant's policy for 3 roles and groups (Global Reader, Readers (member), Readers (owner))"),
            "{templates}"
        );
        assert_eq!(imported.summary.groups, 1);
        assert_eq!(imported.summary.roles, 1);
        assert_loads_cleanly(&imported, live.read_at);
        // Loaded, the blocks are the group's targets with the tenant's assignments.
        let dir = tempfile::tempdir().unwrap();
        for f in &imported.files {
            std::fs::write(dir.path().join(&f.name), &f.text).unwrap();
        }
        let d = language::load(dir.path(), &LoadOptions { now: live.read_at })
            .ok()
            .unwrap();
        let member = &d.targets[&TargetKey::group_declared("Readers", GroupAccess::Member)];
        assert_eq!(member.eligible.as_ref().unwrap().len(), 1);
        let read = crate::observe::rules::observed_settings(&defaults);
        assert_eq!(member.policy.activation.require, read.activation.require);
        assert_eq!(member.policy.notifications, read.notifications);
        assert_eq!(member.policy.active_assignment, read.active_assignment);
    }

    #[test]
    fn minimal_writes_nothing_for_microsofts_policy() {
        let options = Options {
            minimal: true,
            ..Options::default()
        };
        let imported = import(&live(), &BTreeSet::new(), &options).unwrap();
        let privileged = privileged(&imported);
        assert!(
            privileged.contains("  Global Reader:\n    # 2 assignments through a group"),
            "{privileged}"
        );
        assert!(!imported.files.iter().any(|f| f.name == "templates.yaml"));
    }

    #[test]
    fn an_eligible_service_principal_leaves_the_list_unmanaged() {
        let mut live = live();
        let sp = principal(
            &id(7),
            PrincipalKind::ServicePrincipal,
            None,
            Some("Backup Agent"),
        );
        live.principals.insert(sp.id.clone(), sp);
        live.assignments
            .push(assignment(&id(7), None, "/", "Direct"));
        live.normalize();
        let imported = import(&live, &BTreeSet::new(), &Options::default()).unwrap();
        let privileged = privileged(&imported);
        assert!(
            privileged.contains("    # eligible: (unmanaged; the tenant holds)\n"),
            "{privileged}"
        );
        assert!(
            privileged.contains("    #   - service_principal: Backup Agent\n"),
            "{privileged}"
        );
        assert!(!privileged.contains("    eligible:"), "{privileged}");
        assert_eq!(imported.summary.notes, 1);
        assert_loads_cleanly(&imported, live.read_at);
    }
}
