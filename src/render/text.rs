//! Terraform-style text for a terminal: changes grouped by target (a role, or a group's members or owners), then errors (in the style of rustc), warnings and
//! notes, then one summary line.

use super::{
    Item, change_target, condition, count, dates, drift_weakened, kind_title, list_diff,
    mixed_causes, principal, show, target_name, wants_list_layout, what,
};
use crate::model::TargetKey;
use crate::plan::{
    Action, Cause, Change, Effect, FieldChange, Note, NoteSeverity, Plan, PlanError, Posture,
};
use std::collections::BTreeMap;

/// Renders `plan` as text, with ANSI colours when `color` is true.
pub fn render(plan: &Plan, color: bool) -> String {
    let paint = Paint(color);
    let report = if plan.summary.drift_posture.is_some() {
        "drift"
    } else {
        "plan"
    };
    let header = vec![paint.bold(&format!(
        "pimctl {report} of {} against {} (read {})",
        declaration(&plan.files),
        super::against(plan),
        plan.read_at.format("%Y-%m-%d %H:%M UTC")
    ))];
    let sections = [
        header,
        changes(plan, paint),
        errors(plan, paint),
        notes(plan, NoteSeverity::Warning, paint),
        notes(plan, NoteSeverity::Info, paint),
        vec![summary_line_painted(plan, paint)],
    ];
    let mut out = sections
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    out.push('\n');
    out
}

/// The declaration a plan read: its one file, or the directory its files share.
fn declaration(files: &[String]) -> String {
    let parent = |f: &String| {
        std::path::Path::new(f)
            .parent()
            .map(|p| p.display().to_string())
    };
    match files {
        [one] => one.clone(),
        [first, rest @ ..] if rest.iter().all(|f| parent(f) == parent(first)) => format!(
            "{} ({} files)",
            parent(first).unwrap_or_default(),
            files.len()
        ),
        _ => format!("{} files", files.len()),
    }
}

/// The last line: what the plan would do, or why it cannot.
pub fn summary_line(plan: &Plan, color: bool) -> String {
    summary_line_painted(plan, Paint(color))
}

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn red(self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn bold_red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn bold_yellow(self, s: &str) -> String {
        self.wrap("1;33", s)
    }

    /// The Terraform-style sign, right-aligned in three columns.
    fn sign(self, action: Action) -> String {
        match action {
            Action::Create => format!("  {}", self.green("+")),
            Action::Remove => format!("  {}", self.red("-")),
            Action::UpdateRule | Action::Update => format!("  {}", self.yellow("~")),
            Action::Convert => format!("{}/{}", self.red("-"), self.green("+")),
        }
    }

    fn effect(self, effect: Effect) -> String {
        match effect {
            Effect::Weakens => self.bold_red(effect.as_str()),
            Effect::Strengthens => self.green(effect.as_str()),
            Effect::Neutral => effect.as_str().to_string(),
        }
    }
}

/// The changes, grouped by target in the order each target first appears in the plan.
fn changes(plan: &Plan, paint: Paint) -> Vec<String> {
    let mut order: Vec<&TargetKey> = vec![];
    let mut groups: BTreeMap<&TargetKey, Vec<&Change>> = BTreeMap::new();
    for c in &plan.changes {
        let target = c.key.target();
        if !groups.contains_key(target) {
            order.push(target);
        }
        groups.entry(target).or_default().push(c);
    }
    // Targets by name, as people look for them; Azure roles after them, by scope, then role. Each target's
    // changes stay in the plan's (apply) order.
    order.sort_by_cached_key(|t| {
        let azure = t.surface == crate::model::Surface::AzureRole;
        (
            azure,
            if azure {
                t.scope.clone()
            } else {
                String::new()
            },
            groups
                .get(t)
                .and_then(|g| g.first())
                .map(|c| c.role_name.to_lowercase()),
            *t,
        )
    });
    let mark_drift = mixed_causes(plan);
    let mut lines = vec![];
    for role in order {
        let Some(group) = groups.get(role) else {
            continue;
        };
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let name = group
            .first()
            .map_or_else(|| role.to_string(), |c| change_target(c));
        lines.push(paint.bold(&name));
        for c in group {
            lines.extend(change(c, mark_drift, paint));
        }
    }
    lines
}

/// One change: its sign line, then its fields (rule updates) or its reason (assignments).
fn change(c: &Change, mark_drift: bool, paint: Paint) -> Vec<String> {
    let mut head = format!("{} {}", paint.sign(c.action), what(c));
    if let Some(who) = principal(c) {
        head.push_str(&format!("  {who}"));
    }
    if let Some(dates) = dates(c) {
        head.push_str(&format!("  {dates}"));
    }
    if c.posture.effect != Effect::Neutral {
        head.push_str(&format!("  ({})", posture(c, paint)));
    }
    if mark_drift && c.cause == Some(Cause::Drift) {
        head.push_str(&format!("  {}", paint.yellow("[drift]")));
    }
    let mut lines = vec![head];
    if drift_weakened(c) {
        lines.push(format!(
            "      {} {}",
            paint.bold_red("! drift weakened posture:"),
            why(&c.drift_posture)
        ));
    }
    if let Some(condition) = condition(c) {
        lines.push(format!("      condition: {condition}"));
    }
    if !c.fields.is_empty() {
        for f in &c.fields {
            lines.extend(field(f, paint));
        }
    } else {
        let origin = c
            .origin
            .as_ref()
            .map(|o| format!(" ({}:{})", o.file.display(), o.line))
            .unwrap_or_default();
        lines.push(format!("      # {}{origin}", c.reason));
    }
    lines
}

/// `weakens: approval off · MS.AAD.7.6v1, CIS 5.3.4`.
fn posture(c: &Change, paint: Paint) -> String {
    format!("{}: {}", paint.effect(c.posture.effect), why(&c.posture))
}

/// `approval off · MS.AAD.7.6v1, CIS 5.3.4`.
fn why(p: &Posture) -> String {
    if p.baselines.is_empty() {
        p.why.clone()
    } else {
        format!("{} · {}", p.why, p.baselines.join(", "))
    }
}

/// One setting: `before → after`, or item by item for lists of people and long lists.
fn field(f: &FieldChange, paint: Paint) -> Vec<String> {
    let items = wants_list_layout(f.field, &f.before, &f.after)
        .then(|| list_diff(&f.before, &f.after))
        .flatten();
    let Some(items) = items else {
        return vec![format!(
            "      {}: {} → {}",
            f.field,
            show(&f.before),
            show(&f.after)
        )];
    };
    let mut lines = vec![format!("      {}:", f.field)];
    lines.extend(items.iter().map(|item| match item {
        Item::Removed(s) => format!("        {} {s}", paint.red("-")),
        Item::Added(s) => format!("        {} {s}", paint.green("+")),
        Item::Kept(s) => format!("          {s}"),
    }));
    lines
}

/// The errors, in the style of rustc.
fn errors(plan: &Plan, paint: Paint) -> Vec<String> {
    if plan.errors.is_empty() {
        return vec![];
    }
    let mut lines = vec![paint.bold_red("Errors:")];
    for e in &plan.errors {
        lines.push(String::new());
        lines.extend(error(e, paint));
    }
    lines
}

fn error(e: &PlanError, paint: Paint) -> Vec<String> {
    let label = paint.bold_red(&format!("error[{}]", e.code.as_str()));
    let mut lines = vec![format!("{label}: {}", paint.bold(&e.message))];
    if let Some(origin) = &e.origin {
        lines.push(format!("  --> {origin}"));
    }
    if let Some(help) = &e.help {
        lines.push(format!("  = help: {help}"));
    }
    lines
}

/// The notes of one severity, grouped by kind: "Warnings" or "Notes".
fn notes(plan: &Plan, severity: NoteSeverity, paint: Paint) -> Vec<String> {
    let mut by_kind: BTreeMap<_, Vec<&Note>> = BTreeMap::new();
    for n in plan.notes.iter().filter(|n| n.severity == severity) {
        by_kind.entry(n.kind).or_default().push(n);
    }
    if by_kind.is_empty() {
        return vec![];
    }
    let title = match severity {
        NoteSeverity::Warning => paint.bold_yellow("Warnings:"),
        NoteSeverity::Info => paint.bold("Notes:"),
    };
    let mut lines = vec![title];
    for (kind, group) in by_kind {
        lines.push(format!("  {} ({}):", kind_title(kind), group.len()));
        for n in group {
            lines.push(format!("    {}", note(n)));
            if let Some(origin) = &n.origin {
                lines.push(format!("      --> {origin}"));
            }
        }
    }
    lines
}

/// `Global Administrator · breakglass@contoso.com: kept: protected (...)`.
fn note(n: &Note) -> String {
    let target = target_name(n.target.as_ref(), &n.role_name);
    let about: Vec<&str> = [Some(target.as_str()), n.principal.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    if about.is_empty() {
        n.message.clone()
    } else {
        format!("{}: {}", about.join(" · "), n.message)
    }
}

fn summary_line_painted(plan: &Plan, paint: Paint) -> String {
    if !plan.errors.is_empty() {
        return paint.bold_red(&format!(
            "Plan failed: {}; nothing would be changed.",
            count(plan.errors.len(), "error", "errors")
        ));
    }
    if !plan.has_changes() {
        return paint.green("No changes. The tenant matches the declaration.");
    }
    let s = &plan.summary;
    // Drift counts the direction the tenant moved, not the direction the changes would move it back.
    if let Some(d) = s.drift_posture {
        return format!(
            "{} {} to restore the declaration: {}, {} to create, {} to update, {} to convert, {} to remove. Posture: \
             the drift weakened {}, strengthened {}, neutral {}.",
            paint.bold("Drift:"),
            count(plan.changes.len(), "change", "changes"),
            count(s.rule_updates, "rule update", "rule updates"),
            s.creates,
            s.updates,
            s.conversions,
            s.removes,
            d.weakened,
            d.strengthened,
            d.neutral,
        );
    }
    let mut line = format!(
        "{} {}, {} to create, {} to update, {} to convert, {} to remove. Posture: {} weaken, {} strengthen, {} neutral.",
        paint.bold("Plan:"),
        count(s.rule_updates, "rule update", "rule updates"),
        s.creates,
        s.updates,
        s.conversions,
        s.removes,
        s.weakens,
        s.strengthens,
        s.neutral,
    );
    if let (Some(drift), Some(declared)) = (s.drift, s.declared) {
        line.push_str(&format!(" Cause: {drift} drift, {declared} declared."));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::super::tests::{empty, failed, sample, with_causes};
    use super::*;

    #[test]
    fn changes_are_grouped_by_role_with_signs_fields_and_reasons() {
        let out = render(&sample(), false);
        let expected_in_order = [
            "Global Administrator\n",
            "  ~ rule Approval_EndUser_Assignment  (weakens: approval off (and 1 more) · MS.AAD.7.6v1, CIS 5.3.4)\n",
            "      activation.approval.required: true → false\n",
            "      activation.approval.approvers:\n          alice@contoso.com\n        - carol@contoso.com\n        + dave@contoso.com\n",
            "-/+ active → eligible  carol@contoso.com  until 2027-03-31 12:30 UTC  (strengthens: standing access becomes just-in-time · MS.AAD.7.4v1)\n",
            "      # active in the tenant; declared eligible (policies/assignments.yaml:12)\n",
            "  - active  yusuf.portal@contoso.com  (permanent)  (weakens: a <test> | weakening removal · CIS 1.1.2)\n",
            "      # not declared in a managed role\n",
            // Targets by name.
            "\nHelpdesk Administrator\n",
            "  + eligible  alice@contoso.com  until 2027-09-30\n",
            "      # declared but missing (policies/assignments.yaml:12)\n",
            "  ~ eligible  bob@contoso.com  2027-05-10 00:00:00 UTC → 2027-05-10 23:59:59 UTC\n",
            "\nSecurity Administrator\n",
            "  ~ rule Expiration_EndUser_Assignment  (strengthens: activation window shorter: 8h → 1h · MSL-SECOPS-2, PIM037)\n",
            "      activation.max_duration: 8h → 1h\n",
        ];
        let mut rest = out.as_str();
        for piece in expected_in_order {
            let Some(at) = rest.find(piece) else {
                panic!("missing or out of order: {piece:?}\nin:\n{out}");
            };
            rest = &rest[at + piece.len()..];
        }
    }

    #[test]
    fn summary_line_counts_changes_and_posture() {
        let out = render(&sample(), false);
        assert!(out.ends_with(
            "\n\nPlan: 2 rule updates, 1 to create, 1 to update, 1 to convert, 1 to remove. \
             Posture: 2 weaken, 2 strengthen, 2 neutral.\n"
        ));
        assert_eq!(
            summary_line(&empty(), false),
            "No changes. The tenant matches the declaration."
        );
        assert!(summary_line(&with_causes(), false).ends_with(" Cause: 2 drift, 4 declared."));
    }

    #[test]
    fn errors_show_like_rustc_and_the_plan_fails() {
        let out = render(&failed(), false);
        assert!(out.contains(
            "Errors:\n\n\
             error[principal_not_found]: user 'ghost@contoso.com' does not exist in the tenant\n  \
             --> policies/assignments.yaml:14:5 (roles[1].eligible[2].principal)\n  \
             = help: check the user principal name\n"
        ));
        assert!(out.ends_with("Plan failed: 1 error; nothing would be changed.\n"));
        assert!(!out.contains("Plan:"));
    }

    #[test]
    fn warnings_and_notes_are_grouped_by_kind() {
        let out = render(&sample(), false);
        assert!(out.contains(
            "Warnings:\n  Protected principals kept (1):\n    \
             Global Administrator · breakglass@contoso.com: kept: protected (pimctl never removes a protected principal)\n      \
             --> policies/roles.yaml:1:5 (protected[0])\n"
        ));
        assert!(out.contains(
            "Notes:\n  Activations in effect (1):\n    \
             Global Administrator · dana@contoso.com: activated until 2026-05-01 10:00 UTC\n"
        ));
        let (Some(warnings), Some(notes)) = (out.find("Warnings:"), out.find("Notes:")) else {
            panic!("warnings and notes expected in:\n{out}");
        };
        assert!(warnings < notes);
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render(&sample(), false);
        assert!(!plain.contains('\x1b'));
        let coloured = render(&sample(), true);
        assert!(coloured.contains("\x1b[1;31mweakens\x1b[0m"));
        assert!(coloured.contains("  \x1b[32m+\x1b[0m eligible  alice@contoso.com"));
        assert!(coloured.contains("  \x1b[31m-\x1b[0m active  yusuf.portal@contoso.com"));
        assert!(coloured.contains("  \x1b[33m~\x1b[0m rule Approval_EndUser_Assignment"));
        assert!(!render(&failed(), false).contains('\x1b'));
    }

    #[test]
    fn drift_is_marked_only_when_causes_are_mixed() {
        let out = render(&with_causes(), false);
        assert!(out.contains(
            "  - active  yusuf.portal@contoso.com  (permanent)  (weakens: a <test> | weakening removal · CIS 1.1.2)  [drift]\n\
             \x20     ! drift weakened posture: new permanent active assignment to a privileged role · MS.AAD.7.4v1\n\
             \x20     # not declared in a managed role\n"
        ));
        assert!(out.contains("  + eligible  alice@contoso.com  until 2027-09-30\n"));
        let plain = render(&sample(), false);
        assert!(!plain.contains("[drift]"));
        assert!(!plain.contains("drift weakened"));
    }

    #[test]
    fn an_empty_plan_is_a_header_and_one_line() {
        assert_eq!(
            render(&empty(), false),
            "pimctl plan of policies (2 files) against tenant 4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a (Contoso) at \
             https://graph.microsoft.com/v1.0 (read 2026-05-28 20:26 UTC)\n\n\
             No changes. The tenant matches the declaration.\n"
        );
    }
}
