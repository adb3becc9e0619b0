//! Information that is not a change: activations in effect, unmanaged settings and roles, assignments about to
//! expire, and assignments the plan leaves alone.

use super::fields::{Field, fields};
use super::{ChangeKey, Context, Note, NoteKind, NoteSeverity};
use crate::graph::defaults::{default_group_rules, default_rules};
use crate::model::{
    AssignmentKind, PrincipalRef, RoleKey, Setting, Surface, TENANT_SCOPE, TargetKey,
};
use crate::observe::rules::observed_settings;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn report(cx: &mut Context<'_>) {
    let declared: BTreeSet<TargetKey> = cx
        .desired
        .targets
        .keys()
        .filter_map(|k| cx.found(k).map(|f| f.key))
        .collect();
    let mut notes = vec![];
    activations(cx, &declared, &mut notes);
    unmanaged_settings(cx, &mut notes);
    unmanaged_roles(cx, &declared, &mut notes);
    expiring(cx, &mut notes);
    not_managed(cx, &declared, &mut notes);
    unreadable(cx, &declared, &mut notes);
    fanned_out(cx, &mut notes);
    cx.notes.extend(notes);
}

/// Scopes a fan-out reached whose policy is still Microsoft's untouched one (a resource group created since the last
/// apply, say): reported, and planned to the declared policy like any target.
fn fanned_out(cx: &Context<'_>, out: &mut Vec<Note>) {
    if cx.desired.fanned.is_empty() {
        return;
    }
    let untouched = observed_settings(&crate::graph::arm::defaults::default_arm_rules_as_graph());
    for (key, from) in &cx.desired.fanned {
        let (Some(found), Some(t)) = (cx.found(key), cx.desired.targets.get(key)) else {
            continue;
        };
        let Some(policy) = cx.live.policies.get(&found.key) else {
            continue;
        };
        if policy.settings != untouched {
            continue;
        }
        let (Some(below), Some(decl)) =
            (cx.desired.fan_outs.get(from), cx.desired.targets.get(from))
        else {
            continue;
        };
        let mut n = note(
            cx,
            NoteKind::FanOut,
            NoteSeverity::Info,
            &found.key,
            None,
            format!(
                "its policy is Microsoft's default (a new or redeployed scope): `below: {}` of {} brings it to the \
                 declared policy",
                below.below.as_str(),
                decl.target.describe()
            ),
        );
        n.origin = Some(t.origin.clone());
        out.push(n);
    }
}

/// Declared targets whose policy could not be read: nothing of them is changed (not their rules, not their
/// assignments, which the policy decides), and the rest of the tenant is planned.
fn unreadable(cx: &Context<'_>, declared: &BTreeSet<TargetKey>, out: &mut Vec<Note>) {
    for (target, why) in &cx.live.unreadable {
        if !declared.contains(target) {
            continue;
        }
        let mut n = note(
            cx,
            NoteKind::Unreadable,
            NoteSeverity::Warning,
            target,
            None,
            format!("left as it is: {why}"),
        );
        n.origin = cx
            .desired
            .targets
            .values()
            .find(|d| cx.found(&d.target.key()).is_some_and(|f| &f.key == target))
            .map(|d| d.origin.clone());
        out.push(n);
    }
}

fn note(
    cx: &Context<'_>,
    kind: NoteKind,
    severity: NoteSeverity,
    target: &TargetKey,
    principal: Option<&str>,
    message: String,
) -> Note {
    Note {
        kind,
        severity,
        target: Some(target.clone()),
        role_name: cx.target_name(target),
        principal: principal.map(|p| cx.live.label(p).to_string()),
        message,
        origin: None,
    }
}

fn activations(cx: &Context<'_>, declared: &BTreeSet<TargetKey>, out: &mut Vec<Note>) {
    for a in &cx.live.activations {
        if !declared.contains(&a.target) {
            continue;
        }
        let until = a.end.map_or_else(
            || "with no end".to_string(),
            |e| {
                if e.date_naive() == cx.live.read_at.date_naive() {
                    format!("until {} UTC", e.format("%H:%M"))
                } else {
                    format!("until {}", e.format("%Y-%m-%d %H:%M UTC"))
                }
            },
        );
        out.push(note(
            cx,
            NoteKind::Activation,
            NoteSeverity::Info,
            &a.target,
            Some(&a.principal_id),
            format!("activated {until} (just-in-time; not drift)"),
        ));
    }
}

fn unmanaged_settings(cx: &Context<'_>, out: &mut Vec<Note>) {
    let none = |p: &PrincipalRef| (p.name.to_lowercase(), p.name.clone());
    // Microsoft's untouched policy differs between surfaces (a group's requires assignments to expire; Azure
    // resource roles have ARM's own).
    let defaults_of = |rules: Vec<crate::graph::policy::PolicyRule>| -> BTreeMap<Setting, Field> {
        fields(&observed_settings(&rules), &none)
            .into_iter()
            .map(|f| (f.setting, f))
            .collect()
    };
    let directory_defaults = defaults_of(default_rules());
    let group_defaults = defaults_of(default_group_rules());
    let arm_defaults = defaults_of(crate::graph::arm::defaults::default_arm_rules_as_graph());
    for (key, role) in &cx.desired.targets {
        let Some(found) = cx.found(key) else {
            continue;
        };
        let Some(policy) = cx.live.policies.get(&found.key) else {
            continue;
        };
        let defaults = match found.key.surface {
            Surface::DirectoryRole => &directory_defaults,
            Surface::Group => &group_defaults,
            Surface::AzureRole => &arm_defaults,
        };
        let managed: BTreeSet<Setting> = fields(&role.policy, &none)
            .into_iter()
            .map(|f| f.setting)
            .collect();
        let live_view =
            |p: &PrincipalRef| (p.name.to_lowercase(), cx.live.label(&p.name).to_string());
        for f in fields(&policy.settings, &live_view) {
            if managed.contains(&f.setting) {
                continue;
            }
            let Some(default) = defaults.get(&f.setting) else {
                continue;
            };
            if default.cmp == f.cmp {
                continue;
            }
            let mut n = note(
                cx,
                NoteKind::UnmanagedSetting,
                NoteSeverity::Info,
                &found.key,
                None,
                format!(
                    "unmanaged: {} is {} in the tenant (Microsoft's default: {}); declare it to manage it",
                    f.setting,
                    super::posture::show(&f.show),
                    super::posture::show(&default.show)
                ),
            );
            n.origin = Some(role.origin.clone());
            out.push(n);
        }
    }
}

fn unmanaged_roles(cx: &Context<'_>, declared: &BTreeSet<TargetKey>, out: &mut Vec<Note>) {
    // Directory roles, whatever the scope of their assignments: a role is declared or not as a whole.
    let declared_roles: BTreeSet<&RoleKey> = declared
        .iter()
        .filter_map(|t| t.role_definition())
        .collect();
    let mut by_role: BTreeMap<&RoleKey, Vec<&crate::model::LiveAssignment>> = BTreeMap::new();
    for a in &cx.live.assignments {
        let Some(role) = a.target.role_definition() else {
            continue;
        };
        if !declared_roles.contains(role) {
            by_role.entry(role).or_default().push(a);
        }
    }
    for (role, list) in by_role {
        let privileged = cx.live.roles.get(role).is_some_and(|r| r.is_privileged);
        let permanent_active: Vec<&str> = list
            .iter()
            .filter(|a| a.kind == AssignmentKind::Active && a.end.is_none())
            .map(|a| cx.live.label(&a.principal_id))
            .collect();
        if permanent_active.is_empty() && !privileged {
            continue;
        }
        let count = |k: AssignmentKind| list.iter().filter(|a| a.kind == k).count();
        let mut message = format!(
            "unmanaged role{}: {} eligible, {} active",
            if privileged { " (privileged)" } else { "" },
            count(AssignmentKind::Eligible),
            count(AssignmentKind::Active)
        );
        if !permanent_active.is_empty() {
            message.push_str(&format!(
                "; permanent active: {}",
                permanent_active.join(", ")
            ));
        }
        out.push(note(
            cx,
            NoteKind::UnmanagedRole,
            if permanent_active.is_empty() {
                NoteSeverity::Info
            } else {
                NoteSeverity::Warning
            },
            &TargetKey::directory_role(role.clone()),
            None,
            message,
        ));
    }
}

fn expiring(cx: &Context<'_>, out: &mut Vec<Note>) {
    let now = cx.live.read_at;
    let horizon = now
        .checked_add_signed(cx.options.expiring_within)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    let touched: BTreeSet<(&TargetKey, &str, AssignmentKind)> = cx
        .changes
        .iter()
        .filter_map(|c| match &c.key {
            ChangeKey::Assignment {
                target,
                principal,
                kind,
            } => Some((target, principal.as_str(), *kind)),
            ChangeKey::Rule { .. } | ChangeKey::Review { .. } | ChangeKey::ScopesBelow { .. } => {
                None
            }
        })
        .collect();
    for a in &cx.live.assignments {
        let Some(end) = a.end else { continue };
        if end <= now || end > horizon {
            continue;
        }
        if touched.contains(&(&a.target, a.principal_id.to_lowercase().as_str(), a.kind)) {
            continue;
        }
        let days = (end - now).num_days();
        out.push(note(
            cx,
            NoteKind::Expiring,
            NoteSeverity::Info,
            &a.target,
            Some(&a.principal_id),
            format!(
                "{} assignment ends {} (in {} day{})",
                a.kind,
                end.format("%Y-%m-%d"),
                days,
                if days == 1 { "" } else { "s" }
            ),
        ));
    }
}

fn not_managed(cx: &Context<'_>, declared: &BTreeSet<TargetKey>, out: &mut Vec<Note>) {
    for a in &cx.live.assignments {
        // An assignment of a declared role at a narrower scope is another target, which nothing declares.
        let tenant_wide = a
            .target
            .role_definition()
            .map(|r| TargetKey::directory_role(r.clone()));
        if !declared.contains(&a.target) && !tenant_wide.is_some_and(|t| declared.contains(&t)) {
            continue;
        }
        let azure = a.target.surface == Surface::AzureRole;
        let why = if a.target.surface == Surface::DirectoryRole && a.target.scope != TENANT_SCOPE {
            format!("scoped to {}", a.target.scope)
        } else if azure
            && a.member_type
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("Inherited"))
        {
            "inherited from a scope above (changed only where it is held)".to_string()
        } else if let Some(m) = a
            .member_type
            .as_deref()
            .filter(|m| !m.eq_ignore_ascii_case("Direct"))
        {
            format!("held through membership ({m})")
        } else {
            continue;
        };
        out.push(note(
            cx,
            NoteKind::NotManaged,
            NoteSeverity::Info,
            &a.target,
            Some(&a.principal_id),
            format!("{} assignment {why}: left as it is", a.kind),
        ));
    }
}
