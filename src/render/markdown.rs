//! Markdown for a pull-request comment: a verdict, a summary table, the weakening changes first and prominently,
//! the changes (drift apart from declared changes when causes are marked) with their details folded, then errors,
//! warnings and notes.

use super::{
    Item, change_target, condition, count, dates, drift_weakened, kind_title, list_diff, principal,
    show, target_name, wants_list_layout, what,
};
use crate::plan::{
    Cause, Change, Effect, FieldChange, Note, NoteSeverity, Plan, PlanError, Posture,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// Renders `plan` as Markdown.
pub fn render(plan: &Plan) -> String {
    let heading = if plan.summary.drift_posture.is_some() {
        "### pimctl drift"
    } else {
        "### pimctl plan"
    };
    let mut blocks = vec![heading.to_string(), verdict(plan), against(plan)];
    if plan.has_changes() {
        blocks.push(summary_table(plan));
        blocks.extend(weakening(plan));
        blocks.extend(weakened_by_drift(plan));
        blocks.extend(change_sections(plan));
    }
    blocks.extend(errors(plan));
    blocks.extend(warnings(plan));
    blocks.extend(notes(plan));
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

/// `Tenant `4d3c…` (Contoso), read 2026-11-21 09:00 UTC from https://graph.microsoft.com/v1.0.`
fn against(plan: &Plan) -> String {
    let tenant = match &plan.tenant {
        Some(t) => match &t.name {
            Some(n) => format!("Tenant `{}` ({n}), read", t.id),
            None => format!("Tenant `{}`, read", t.id),
        },
        None => "Read".to_string(),
    };
    let mut from = plan.endpoints.graph.clone();
    if let Some(arm) = &plan.endpoints.arm {
        from.push_str(&format!(" and {arm}"));
    }
    format!(
        "{tenant} {} from {from}.",
        plan.read_at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// What `plan --format markdown` prints when the declaration does not load: the verdict and the diagnostics, so a
/// pull-request comment says why there is no plan.
pub fn declaration_errors(place: &str, errors: usize, diagnostics: &str) -> String {
    format!(
        "### pimctl plan\n\n**Plan failed:** the declaration in `{place}` has {}; nothing was read from the \
         tenant.\n\n```text\n{}\n```\n",
        count(errors, "error", "errors"),
        diagnostics.trim_end()
    )
}

/// One line: failed, nothing to do, or how many changes and how many weaken posture.
fn verdict(plan: &Plan) -> String {
    if !plan.errors.is_empty() {
        return format!(
            "**Plan failed:** {}; nothing would be changed.",
            count(plan.errors.len(), "error", "errors")
        );
    }
    if !plan.has_changes() {
        return "**No changes.** The tenant matches the declaration.".to_string();
    }
    let changes = count(plan.changes.len(), "change", "changes");
    if let Some(d) = plan.summary.drift_posture {
        return match d.weakened {
            0 => format!(
                "**Drift: {changes} to restore the declaration**; none undoes drift that weakened posture."
            ),
            n => format!(
                ":warning: **Drift: {changes} to restore the declaration; the drift weakened posture in {n}.**"
            ),
        };
    }
    let mut line = match plan.summary.weakens {
        0 => format!("**{changes}**; none weakens posture."),
        1 => format!(":warning: **{changes}; 1 weakens posture.**"),
        n => format!(":warning: **{changes}; {n} weaken posture.**"),
    };
    if let Some(drift) = plan.summary.drift.filter(|d| *d > 0) {
        line.push_str(&format!(
            " {} (the tenant was changed outside pimctl).",
            count(drift, "change undoes drift", "changes undo drift")
        ));
    }
    line
}

fn summary_table(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut rows = vec![
        ("Rule updates", s.rule_updates),
        ("Creates", s.creates),
        ("Updates", s.updates),
        ("Conversions", s.conversions),
        ("Removes", s.removes),
    ];
    match s.drift_posture {
        // A drift report counts how the tenant moved.
        Some(d) => rows.extend([
            ("Drift weakened posture", d.weakened),
            ("Drift strengthened posture", d.strengthened),
            ("Drift neutral", d.neutral),
        ]),
        None => rows.extend([
            ("Weaken posture", s.weakens),
            ("Strengthen posture", s.strengthens),
            ("Neutral", s.neutral),
        ]),
    }
    if let (Some(drift), Some(declared), None) = (s.drift, s.declared, s.drift_posture) {
        rows.push(("Drift", drift));
        rows.push(("Declared", declared));
    }
    let mut lines = vec!["| | count |".to_string(), "|---|---:|".to_string()];
    lines.extend(rows.iter().map(|(what, n)| format!("| {what} | {n} |")));
    lines.join("\n")
}

/// A `[!WARNING]` block listing every change that weakens posture: role, what, why and baselines.
fn weakening(plan: &Plan) -> Option<String> {
    let weak: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.posture.effect == Effect::Weakens)
        .collect();
    if weak.is_empty() {
        return None;
    }
    let mut lines = vec![
        "> [!WARNING]".to_string(),
        format!(
            "> **{} privileged access.** Review before merging.",
            count(weak.len(), "change weakens", "changes weaken")
        ),
        ">".to_string(),
    ];
    lines.extend(weak.into_iter().map(|c| quoted_item(c, &c.posture)));
    Some(lines.join("\n"))
}

/// A `[!CAUTION]` block listing the drift that weakened posture: the tenant was changed outside pimctl, and these
/// changes restore it.
fn weakened_by_drift(plan: &Plan) -> Option<String> {
    let weak: Vec<&Change> = plan.changes.iter().filter(|c| drift_weakened(c)).collect();
    if weak.is_empty() {
        return None;
    }
    let mut lines = vec![
        "> [!CAUTION]".to_string(),
        format!(
            "> **The tenant was weakened outside pimctl.** {} it:",
            count(weak.len(), "change restores", "changes restore")
        ),
        ">".to_string(),
    ];
    lines.extend(weak.into_iter().map(|c| quoted_item(c, &c.drift_posture)));
    Some(lines.join("\n"))
}

/// `> - **Role** · subject: why (baselines)`.
fn quoted_item(c: &Change, posture: &Posture) -> String {
    format!(
        "> - **{}** · {}: {}",
        text(&change_target(c)),
        subject(c),
        why(posture)
    )
}

/// `why (baselines)`, escaped.
fn why(p: &Posture) -> String {
    if p.baselines.is_empty() {
        text(&p.why)
    } else {
        format!("{} ({})", text(&p.why), text(&p.baselines.join(", ")))
    }
}

/// `` `~` rule `Approval_EndUser_Assignment` `` or `` `+` eligible alice@contoso.com ``.
fn subject(c: &Change) -> String {
    let mut s = format!("{} {}", code(c.action.sign()), what_md(c));
    if let Some(who) = principal(c) {
        s.push_str(&format!(" {}", text(who)));
    }
    s
}

/// What a change is about, with the rule name as code.
fn what_md(c: &Change) -> String {
    match super::rule_id(c) {
        Some(rule) => format!("rule {}", code(rule)),
        None => text(&what(c)),
    }
}

/// "Changes", or "Drift" and "Changes from this declaration" when causes are marked.
fn change_sections(plan: &Plan) -> Vec<String> {
    let all: Vec<&Change> = plan.changes.iter().collect();
    if plan.changes.iter().all(|c| c.cause.is_none()) {
        return section("Changes", &all);
    }
    let (drift, declared): (Vec<&Change>, Vec<&Change>) =
        all.into_iter().partition(|c| c.cause == Some(Cause::Drift));
    let mut blocks = vec![];
    if !drift.is_empty() {
        blocks.extend(section(
            "Drift (the tenant was changed outside pimctl)",
            &drift,
        ));
    }
    if !declared.is_empty() {
        blocks.extend(section("Changes from this declaration", &declared));
    }
    blocks
}

/// A heading, one table row per change, and the changes' details folded.
fn section(title: &str, changes: &[&Change]) -> Vec<String> {
    let mut table = vec![
        "| | Role | Change | Principal | Reason | Posture |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    table.extend(changes.iter().map(|c| row(c)));
    let mut details = vec![format!(
        "<details><summary>Details of {}</summary>",
        count(changes.len(), "change", "changes")
    )];
    details.extend(changes.iter().map(|c| detail(c)));
    details.push("</details>".to_string());
    vec![
        format!("#### {title}"),
        table.join("\n"),
        details.join("\n\n"),
    ]
}

fn row(c: &Change) -> String {
    let mut change = match dates(c) {
        Some(d) => format!("{} {}", what_md(c), text(&d)),
        None => what_md(c),
    };
    if let Some(condition) = condition(c) {
        change.push_str(&format!(" · condition: {}", code(&condition)));
    }
    let cells = [
        code(c.action.sign()),
        cell(&change_target(c)),
        change,
        principal(c).map_or_else(|| "—".to_string(), cell),
        cell(&c.reason),
        posture_cell(c),
    ];
    format!("| {} |", cells.join(" | "))
}

fn posture_cell(c: &Change) -> String {
    let effect = match c.posture.effect {
        Effect::Weakens => "**weakens**",
        Effect::Strengthens => "strengthens",
        Effect::Neutral => "neutral",
    };
    format!("{effect}: {}", cell(&c.posture.why))
}

/// One change's details: its settings or dates before and after, posture with baselines, principal and origin.
fn detail(c: &Change) -> String {
    let mut parts = vec![format!("**{} · {}**", text(&change_target(c)), subject(c))];
    parts.push(if !c.fields.is_empty() {
        fields_table(&c.fields)
    } else if matches!(c.key, crate::plan::ChangeKey::Review { .. }) {
        review_table(c)
    } else {
        assignment_table(c)
    });
    let mut facts = vec![];
    if let Some(p) = &c.principal {
        facts.push(format!(
            "- Principal: {} ({}, `{}`)",
            text(&p.label),
            p.kind.as_str(),
            text(&p.id)
        ));
    }
    facts.push(format!("- Reason: {}", text(&c.reason)));
    facts.push(format!(
        "- Posture: {}: {}",
        c.posture.effect.as_str(),
        why(&c.posture)
    ));
    if c.cause == Some(Cause::Drift) {
        facts.push(format!(
            "- The drift itself: {}: {}",
            c.drift_posture.effect.as_str(),
            why(&c.drift_posture)
        ));
    }
    if let Some(o) = &c.origin {
        facts.push(format!(
            "- Declared at `{}:{}:{}` ({})",
            o.file.display(),
            o.line,
            o.column,
            code(&o.path)
        ));
    }
    parts.push(facts.join("\n"));
    parts.join("\n\n")
}

fn fields_table(fields: &[FieldChange]) -> String {
    let mut lines = vec![
        "| Setting | Before | After |".to_string(),
        "|---|---|---|".to_string(),
    ];
    for f in fields {
        let (before, after) = field_cells(f);
        lines.push(format!(
            "| {} | {before} | {after} |",
            code(&f.field.to_string())
        ));
    }
    lines.join("\n")
}

/// A setting's cells; lists of people and long lists mark what goes (struck through) and what comes (bold).
fn field_cells(f: &FieldChange) -> (String, String) {
    let items = wants_list_layout(f.field, &f.before, &f.after)
        .then(|| list_diff(&f.before, &f.after))
        .flatten();
    let Some(items) = items else {
        return (cell(&show(&f.before)), cell(&show(&f.after)));
    };
    let (mut before, mut after) = (vec![], vec![]);
    for item in &items {
        match item {
            Item::Kept(s) => {
                before.push(cell(s));
                after.push(cell(s));
            }
            Item::Removed(s) => before.push(format!("~~{}~~", cell(s))),
            Item::Added(s) => after.push(format!("**{}**", cell(s))),
        }
    }
    let join = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    (join(before), join(after))
}

/// A review created (its settings) or removed (its definitions).
fn review_table(c: &Change) -> String {
    let mut lines = vec![
        "| Setting | Before | After |".to_string(),
        "|---|---|---|".to_string(),
    ];
    if let Some(after) = c.after.as_object() {
        for (k, v) in after {
            lines.push(format!("| {} | — | {} |", code(k), cell(&show(v))));
        }
    } else {
        lines.push(format!(
            "| {} | {} | — |",
            code("access_review"),
            cell(&show(&c.before))
        ));
    }
    lines.join("\n")
}

/// An assignment's kind, start and end, before and after (`—` where there is none).
fn assignment_table(c: &Change) -> String {
    let side = |v: &Value, key: &str| -> String {
        match (v.is_null(), v.get(key)) {
            (true, _) | (false, None) => "—".to_string(),
            (false, Some(Value::Null)) if key == "end" => "permanent".to_string(),
            (false, Some(x)) => cell(&super::date_value(x)),
        }
    };
    let has_start = c.before.get("start").is_some() || c.after.get("start").is_some();
    let mut lines = vec![
        "| | Before | After |".to_string(),
        "|---|---|---|".to_string(),
    ];
    for (label, key) in [("Kind", "kind"), ("Start", "start"), ("End", "end")] {
        if key == "start" && !has_start {
            continue;
        }
        // An update's ends read apart as in its reason; other sides as they are.
        let (before, after) = match super::ends(&c.before, &c.after) {
            Some((b, a)) if key == "end" && c.action == crate::plan::Action::Update => {
                (cell(&b), cell(&a))
            }
            _ => (side(&c.before, key), side(&c.after, key)),
        };
        lines.push(format!("| {label} | {before} | {after} |"));
    }
    lines.join("\n")
}

fn errors(plan: &Plan) -> Option<String> {
    if plan.errors.is_empty() {
        return None;
    }
    let mut lines = vec!["#### Errors".to_string(), String::new()];
    lines.extend(plan.errors.iter().map(error));
    Some(lines.join("\n"))
}

fn error(e: &PlanError) -> String {
    let mut line = format!("- **{}** {}", code(e.code.as_str()), text(&e.message));
    if let Some(o) = &e.origin {
        line.push_str(&format!(
            "  \n  at `{}:{}:{}` ({})",
            o.file.display(),
            o.line,
            o.column,
            code(&o.path)
        ));
    }
    if let Some(help) = &e.help {
        line.push_str(&format!("  \n  help: {}", text(help)));
    }
    line
}

fn warnings(plan: &Plan) -> Option<String> {
    let list = notes_by_kind(plan, NoteSeverity::Warning)?;
    Some(format!("#### Warnings\n\n{list}"))
}

fn notes(plan: &Plan) -> Option<String> {
    let n = plan
        .notes
        .iter()
        .filter(|n| n.severity == NoteSeverity::Info)
        .count();
    let list = notes_by_kind(plan, NoteSeverity::Info)?;
    Some(format!(
        "<details><summary>Notes ({n})</summary>\n\n{list}\n\n</details>"
    ))
}

/// The notes of one severity, a bold heading per kind and a bullet per note.
fn notes_by_kind(plan: &Plan, severity: NoteSeverity) -> Option<String> {
    let mut by_kind: BTreeMap<_, Vec<&Note>> = BTreeMap::new();
    for n in plan.notes.iter().filter(|n| n.severity == severity) {
        by_kind.entry(n.kind).or_default().push(n);
    }
    if by_kind.is_empty() {
        return None;
    }
    let groups: Vec<String> = by_kind
        .into_iter()
        .map(|(kind, group)| {
            let mut lines = vec![format!("**{}**", kind_title(kind)), String::new()];
            lines.extend(group.into_iter().map(note));
            lines.join("\n")
        })
        .collect();
    Some(groups.join("\n\n"))
}

fn note(n: &Note) -> String {
    let target = target_name(n.target.as_ref(), &n.role_name);
    let about: Vec<String> = [Some(target.as_str()), n.principal.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(text)
        .collect();
    let mut line = if about.is_empty() {
        format!("- {}", text(&n.message))
    } else {
        format!("- {}: {}", about.join(" · "), text(&n.message))
    };
    if let Some(o) = &n.origin {
        line.push_str(&format!(" (`{}:{}`)", o.file.display(), o.line));
    }
    line
}

/// Text outside tables: `<`, `>` and `&` escaped so that nothing reads as HTML.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// Text in a table cell: also `|`, which would end the cell.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// Inline code. A value holding a backtick is fenced with two; a `|` is escaped, as tables need even in code.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{empty, failed, sample, with_causes};
    use super::*;

    fn position(out: &str, needle: &str) -> usize {
        match out.find(needle) {
            Some(at) => at,
            None => panic!("{needle:?} missing in:\n{out}"),
        }
    }

    #[test]
    fn heading_verdict_and_summary_table() {
        let out = render(&sample());
        assert!(out.starts_with(
            "### pimctl plan\n\n:warning: **6 changes; 2 weaken posture.**\n\nTenant `4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a` \
             (Contoso), read 2026-05-28 20:26 UTC from https://graph.microsoft.com/v1.0.\n\n| | count |\n|---|---:|\n\
             | Rule updates | 2 |\n| Creates | 1 |\n| Updates | 1 |\n| Conversions | 1 |\n| Removes | 1 |\n\
             | Weaken posture | 2 |\n| Strengthen posture | 2 |\n| Neutral | 2 |\n\n"
        ));
    }

    #[test]
    fn weakening_changes_come_first() {
        let out = render(&sample());
        let warning = position(
            &out,
            "> [!WARNING]\n> **2 changes weaken privileged access.**",
        );
        assert!(out.contains(
            "> - **Global Administrator** · `~` rule `Approval_EndUser_Assignment`: approval off (and 1 more) \
             (MS.AAD.7.6v1, CIS 5.3.4)\n"
        ));
        assert!(out.contains(
            "> - **Global Administrator** · `-` active yusuf.portal@contoso.com: a &lt;test&gt; | weakening removal \
             (CIS 1.1.2)\n"
        ));
        assert!(warning < position(&out, "#### Changes"));
        assert!(!out.contains("Drift (the tenant"));
        assert!(!out.contains("[!CAUTION]"));
    }

    #[test]
    fn changes_are_rows_with_details_folded() {
        let out = render(&sample());
        assert!(out.contains(
            "| `+` | Helpdesk Administrator | eligible until 2027-09-30 | alice@contoso.com | declared but missing | \
             neutral: new eligible assignment |\n"
        ));
        assert!(out.contains(
            "| `-/+` | Global Administrator | active → eligible until 2027-03-31 12:30 UTC | carol@contoso.com |"
        ));
        assert!(out.contains("<details><summary>Details of 6 changes</summary>\n\n"));
        assert!(out.contains(
            "| `activation.approval.required` | true | false |\n\
             | `activation.approval.approvers` | alice@contoso.com, ~~carol@contoso.com~~ | \
             alice@contoso.com, **dave@contoso.com** |"
        ));
        assert!(out.contains("| End | 2027-05-10 00:00:00 UTC | 2027-05-10 23:59:59 UTC |"));
        assert!(out.contains("| Kind | active | — |\n| End | permanent | — |"));
        assert!(out.contains("- Declared at `policies/roles.yaml:3:5` (`roles[0].policy`)"));
        assert!(out.contains("\n\n</details>"));
    }

    #[test]
    fn table_cells_escape_pipes_and_angle_brackets() {
        let out = render(&sample());
        assert!(out.contains("| **weakens**: a &lt;test&gt; \\| weakening removal |"));
        assert!(!out.contains("<test>"));
        assert_eq!(cell("a|b<c>&"), "a\\|b&lt;c&gt;&amp;");
        assert_eq!(code("a`b"), "`` a`b ``");
    }

    #[test]
    fn drift_and_declared_changes_are_apart() {
        let out = render(&with_causes());
        let drift = position(&out, "#### Drift (the tenant was changed outside pimctl)");
        let declared = position(&out, "#### Changes from this declaration");
        let removal = position(&out, "| `-` | Global Administrator | active (permanent) |");
        let create = position(&out, "| `+` | Helpdesk Administrator |");
        assert!(drift < removal && removal < declared && declared < create);
        assert!(!out.contains("#### Changes\n"));
        assert!(out.contains("| Drift | 2 |\n| Declared | 4 |"));
        let caution = position(
            &out,
            "> [!CAUTION]\n> **The tenant was weakened outside pimctl.** 1 change restores it:\n>\n\
             > - **Global Administrator** · `-` active yusuf.portal@contoso.com: \
             new permanent active assignment to a privileged role (MS.AAD.7.4v1)\n",
        );
        assert!(position(&out, "> [!WARNING]") < caution && caution < drift);
        assert!(out.contains(
            "- The drift itself: weakens: new permanent active assignment to a privileged role (MS.AAD.7.4v1)"
        ));
        assert!(out.contains("2 changes undo drift (the tenant was changed outside pimctl)."));
    }

    #[test]
    fn errors_warnings_and_notes() {
        let out = render(&failed());
        assert!(out.contains("**Plan failed:** 1 error; nothing would be changed."));
        assert!(out.contains(
            "#### Errors\n\n- **`principal_not_found`** user 'ghost@contoso.com' does not exist in the tenant  \n  \
             at `policies/assignments.yaml:14:5` (`roles[1].eligible[2].principal`)  \n  \
             help: check the user principal name"
        ));
        assert!(!out.contains("| count |"));
        assert!(out.contains(
            "#### Warnings\n\n**Protected principals kept**\n\n- Global Administrator · breakglass@contoso.com: \
             kept: protected (pimctl never removes a protected principal) (`policies/roles.yaml:1`)"
        ));
        assert!(out.contains(
            "<details><summary>Notes (1)</summary>\n\n**Activations in effect**\n\n\
             - Global Administrator · dana@contoso.com: activated until 2026-05-01 10:00 UTC\n\n</details>\n"
        ));
    }

    #[test]
    fn no_changes() {
        assert_eq!(
            render(&empty()),
            "### pimctl plan\n\n**No changes.** The tenant matches the declaration.\n\nTenant \
             `4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a` (Contoso), read 2026-05-28 20:26 UTC from \
             https://graph.microsoft.com/v1.0.\n"
        );
    }
}
