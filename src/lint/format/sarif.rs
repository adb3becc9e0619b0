//! SARIF 2.1.0, for GitHub code scanning: one run, the rule registry as the driver's rules, one result per finding
//! located in the YAML (findings the YAML does not locate point at the first policy file).

use crate::lint::{Finding, Half, Report, Severity, rules};
use serde_json::{Value, json};
use std::path::Path;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Renders the report. `fallback` is the file that findings without a YAML location are reported against.
pub fn sarif(report: &Report, fallback: Option<&Path>) -> String {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let m = &r.meta;
            json!({
                "id": m.id,
                "name": m.name,
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.rationale},
                "help": {"text": m.fix},
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {"tags": m.baselines},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, fallback))
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pimctl",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "properties": {"profile": report.profile, "live": report.live},
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn uri(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    // Spaces and other characters a URI reference cannot hold, percent-encoded.
    percent_encoding::utf8_percent_encode(&s, URI_UNSAFE).to_string()
}

const URI_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn result(f: &Finding, fallback: Option<&Path>) -> Value {
    let index = rules::ALL.iter().position(|r| r.meta.id == f.rule);
    let mut message = f.message.clone();
    if f.half != Half::Declared {
        message.push_str(match f.fixed_by_declaration {
            Some(true) => " (in the tenant; applying the declaration would fix it)",
            _ => " (in the tenant; the declaration would not fix it)",
        });
    }
    let location = match (&f.location, fallback) {
        (Some(l), _) => {
            let mut region = json!({"startLine": l.line.max(1)});
            if l.column > 0 {
                region["startColumn"] = json!(l.column);
            }
            let mut loc = json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&l.file)},
                    "region": region,
                }
            });
            if !l.path.is_empty() {
                loc["logicalLocations"] = json!([{"fullyQualifiedName": l.path, "kind": "object"}]);
            }
            Some(loc)
        }
        (None, Some(file)) => Some(json!({
            "physicalLocation": {
                "artifactLocation": {"uri": uri(file)},
                "region": {"startLine": 1},
            }
        })),
        (None, None) => None,
    };
    let identity = format!(
        "{}|{}|{}|{}|{}",
        f.rule,
        f.role.as_deref().unwrap_or_default(),
        f.principal.as_deref().unwrap_or_default(),
        f.detail,
        match f.half {
            Half::Declared => "declared",
            _ => "live",
        }
    );
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": message},
        "locations": location.into_iter().collect::<Vec<_>>(),
        "partialFingerprints": {"pimctlFinding/v1": identity},
        "properties": {
            "half": match f.half { Half::Declared => "declared", _ => "live" },
            "baselines": f.baselines,
        },
    });
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(fixed) = f.fixed_by_declaration {
        r["properties"]["fixedByDeclaration"] = json!(fixed);
    }
    if let Some(h) = &f.help {
        r["properties"]["help"] = json!(h);
    }
    r
}
