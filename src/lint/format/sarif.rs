//! SARIF 2.1.0, for GitHub code scanning: one run, the rule registry as the driver's rules, one result per finding
//! located in the YAML (findings the YAML does not locate point at the first policy file).
//!
//! Code scanning places a result by its `artifactLocation.uri` relative to the repository's root, so file paths
//! (as typed, relative to the working directory) are made relative to [`Root`]: `%SRCROOT%`-based URIs for files
//! under it, absolute `file://` URIs for files outside it.

use crate::lint::{Finding, Half, Report, Severity, rules};
use serde_json::{Value, json};
use std::path::{Component, Path, PathBuf};

/// Where result paths are relative to: the repository's root, and the directory relative paths were typed in.
/// Both absolute; the caller finds them (this module does no IO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The repository's root (`--sarif-root`, `GITHUB_WORKSPACE`, or git's top level).
    pub root: PathBuf,
    /// The working directory the policy paths are relative to.
    pub cwd: PathBuf,
}

impl Root {
    /// The file's URI reference and, when it lies under the root, the base id it is relative to.
    fn locate(&self, file: &Path) -> (String, Option<&'static str>) {
        let absolute = normalize(&self.cwd.join(file));
        match absolute.strip_prefix(normalize(&self.root)) {
            Ok(rel) if !rel.as_os_str().is_empty() => (uri(rel), Some(SRCROOT)),
            _ => {
                let u = uri(&absolute);
                (
                    format!("file://{}{u}", if u.starts_with('/') { "" } else { "/" }),
                    None,
                )
            }
        }
    }
}

/// The base id of paths relative to the repository's root (the name code scanning and CodeQL use).
const SRCROOT: &str = "%SRCROOT%";

/// `a/./b/../c` → `a/c`, without touching the file system (a `..` above the root stays).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Renders the report. `fallback` is the file that findings without a YAML location are reported against; `root`
/// makes paths relative to the repository (without it, they are written as typed).
pub fn sarif(report: &Report, fallback: Option<&Path>, root: Option<&Root>) -> String {
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
        .map(|f| result(f, fallback, root))
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

/// `{"uri": ..., "uriBaseId": ...}` for a file.
fn artifact(file: &Path, root: Option<&Root>) -> Value {
    match root.map(|r| r.locate(file)) {
        Some((u, Some(base))) => json!({"uri": u, "uriBaseId": base}),
        Some((u, None)) => json!({"uri": u}),
        None => json!({"uri": uri(file)}),
    }
}

fn result(f: &Finding, fallback: Option<&Path>, root: Option<&Root>) -> Value {
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
                    "artifactLocation": artifact(&l.file, root),
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
                "artifactLocation": artifact(file, root),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn root(root: &str, cwd: &str) -> Root {
        Root {
            root: PathBuf::from(root),
            cwd: PathBuf::from(cwd),
        }
    }

    #[test]
    fn paths_are_relative_to_the_repository_root_wherever_they_were_typed() {
        let r = root("/repo", "/repo/policies");
        assert_eq!(
            r.locate(Path::new("roles/ga.yaml")),
            ("policies/roles/ga.yaml".to_string(), Some(SRCROOT))
        );
        assert_eq!(
            r.locate(Path::new("./../policies/./ga.yaml")),
            ("policies/ga.yaml".to_string(), Some(SRCROOT))
        );
        assert_eq!(
            r.locate(Path::new("/repo/a b/ga.yaml")),
            ("a%20b/ga.yaml".to_string(), Some(SRCROOT))
        );
    }

    #[test]
    fn a_file_outside_the_root_is_an_absolute_file_uri() {
        let r = root("/repo/sub", "/repo");
        assert_eq!(
            r.locate(Path::new("other/ga.yaml")),
            ("file:///repo/other/ga.yaml".to_string(), None)
        );
        // A root that is a prefix of the name but not a parent directory does not match.
        let r = root("/repo", "/repository");
        assert_eq!(r.locate(Path::new("x.yaml")).1, None);
    }
}
