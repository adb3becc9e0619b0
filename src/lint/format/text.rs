//! Text: one block per finding with a source excerpt where the YAML is known, as `validate` prints diagnostics.
//! Findings about principals that share a rule, a role and a verdict are one block listing the principals, so that
//! 24 near-identical blocks do not hide the one that matters (JSON and SARIF keep one result per finding).

use crate::lint::{Finding, Half, Report, Severity};
use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Renders the report. `sources` holds the text of the policy files, for excerpts.
pub fn text(report: &Report, sources: &BTreeMap<PathBuf, String>, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = BTreeMap::new();
    for (path, text) in sources {
        ids.insert(
            path.clone(),
            files.add(path.display().to_string(), text.clone()),
        );
    }
    let config = Config::default();
    let mut out = Vec::new();
    for group in groups(report) {
        let f = group[0];
        let message = if group.len() == 1 {
            f.message.clone()
        } else {
            let title = crate::lint::rules::ALL
                .iter()
                .find(|r| r.meta.id == f.rule)
                .map_or(f.name, |r| r.meta.title);
            format!(
                "{title}: {} principals in {}",
                group.len(),
                f.role.as_deref().unwrap_or("the tenant")
            )
        };
        let mut d = Diagnostic::new(match f.severity {
            Severity::Error => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
            Severity::Note => CsSeverity::Note,
        })
        .with_code(f.rule)
        .with_message(&message);
        let mut notes = Vec::new();
        if group.len() > 1 {
            notes.push(format!(
                "principals:\n{}",
                group
                    .iter()
                    .map(|g| format!("- {}", g.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        let label = f.location.as_ref().and_then(|l| {
            let id = *ids.get(&l.file)?;
            let range = crate::language::diagnostic::excerpt_span(
                sources.get(&l.file)?,
                l.line,
                l.column.max(1),
            )?;
            Some(Label::primary(id, range))
        });
        match (&label, &f.location) {
            (Some(l), _) => d = d.with_labels(vec![l.clone()]),
            (None, Some(l)) if l.line > 0 => {
                notes.push(format!("in {}:{}:{}", l.file.display(), l.line, l.column))
            }
            _ => {}
        }
        if let Some(l) = &f.location
            && !l.path.is_empty()
        {
            notes.push(format!("at: {}", l.path));
        }
        if f.half != Half::Declared {
            notes.push(format!("live: {}", what_it_judged(f)));
        }
        if let Some(h) = &f.help {
            notes.push(format!("help: {h}"));
        }
        if !f.baselines.is_empty() {
            notes.push(format!("baselines: {}", f.baselines.join(", ")));
        }
        d = d.with_notes(notes);
        let mut buf = if color {
            codespan_reporting::term::termcolor::Buffer::ansi()
        } else {
            codespan_reporting::term::termcolor::Buffer::no_color()
        };
        if term::emit_to_write_style(&mut buf, &config, &files, &d).is_err() {
            buf = codespan_reporting::term::termcolor::Buffer::no_color();
            let _ = std::io::Write::write_all(
                &mut buf,
                format!("{}[{}]: {}\n", f.severity.as_str(), f.rule, f.message).as_bytes(),
            );
        }
        out.extend_from_slice(buf.as_slice());
    }
    let mut s = String::from_utf8_lossy(&out).into_owned();
    for w in &report.waived {
        s.push_str(&format!(
            "waived[{}]: {} (until {}: {}; {}:{})\n",
            w.rule,
            w.message,
            w.until.format("%Y-%m-%d"),
            w.reason,
            w.waiver.file.display(),
            w.waiver.line
        ));
    }
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    let scope = if report.live {
        "the declaration and the tenant"
    } else {
        "the declaration"
    };
    if !report.findings.is_empty() {
        s.push_str("findings by rule:\n");
        s.push_str(&by_rule(report));
    }
    if e + w + n == 0 {
        s.push_str(&format!(
            "no findings in {scope} (profile {})\n",
            report.profile.as_str()
        ));
    } else {
        s.push_str(&format!(
            "{e} error{}, {w} warning{}, {n} note{} in {scope} (profile {}; `pimctl lint --explain <ID>` tells why)\n",
            plural(e),
            plural(w),
            plural(n),
            report.profile.as_str()
        ));
    }
    s
}

/// The findings in report order, those about principals that share a rule, a role, where they point and a verdict
/// gathered into one group (at the place of the first).
fn groups(report: &Report) -> Vec<Vec<&Finding>> {
    type Key<'a> = (
        &'a str,
        Severity,
        Half,
        Option<bool>,
        &'a str,
        Option<(&'a std::path::Path, u32)>,
    );
    let mut out: Vec<Vec<&Finding>> = Vec::new();
    let mut index: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    for f in &report.findings {
        let Some(role) = f.role.as_deref().filter(|_| f.principal.is_some()) else {
            out.push(vec![f]);
            continue;
        };
        let key = (
            f.rule,
            f.severity,
            f.half,
            f.fixed_by_declaration,
            role,
            f.location.as_ref().map(|l| (l.file.as_path(), l.line)),
        );
        match index.get(&key) {
            Some(&i) => out[i].push(f),
            None => {
                index.insert(key, out.len());
                out.push(vec![f]);
            }
        }
    }
    out
}

fn what_it_judged(f: &Finding) -> &'static str {
    match f.fixed_by_declaration {
        Some(true) => "found in the tenant; applying the declaration would fix it",
        _ => "found in the tenant; the declaration would not fix it",
    }
}

/// One line per rule with findings: how many in the YAML, in the tenant, and how many of those the YAML fixes.
fn by_rule(report: &Report) -> String {
    let mut rows: BTreeMap<(&str, &str), (usize, usize, usize)> = BTreeMap::new();
    for f in &report.findings {
        let row = rows.entry((f.rule, f.name)).or_default();
        match (f.half, f.fixed_by_declaration) {
            (Half::Declared, _) => row.0 += 1,
            (_, Some(true)) => {
                row.1 += 1;
                row.2 += 1
            }
            _ => row.1 += 1,
        }
    }
    let mut s = String::new();
    for ((rule, name), (declared, live, fixed)) in rows {
        s.push_str(&format!("  {rule} {name:<30} {declared:>3} declared"));
        if report.live {
            s.push_str(&format!(
                ", {live:>3} live ({fixed} fixed by the declaration)"
            ));
        }
        s.push('\n');
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
