//! The corpus of invalid inputs under `tests/invalid/`: every case is loaded at a fixed "now" and its text rendering
//! is compared with the accepted snapshot under `tests/snapshots/`.
//!
//! A case is a `*.yaml` file, or a directory (loaded as a whole), named `<CODE>-<what it tests>`: the case must
//! produce a diagnostic with that code. Every code in [`Code::ALL`] has at least one case.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test language_corpus`, then read every changed `.snap`.

use pimctl::language::{self, Code, Diagnostic, LoadOptions, Loaded};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The fixed "now" of every case.
const NOW: &str = "2026-11-21T09:00:00Z";

fn options() -> LoadOptions {
    LoadOptions {
        now: chrono::DateTime::parse_from_rfc3339(NOW)
            .unwrap()
            .with_timezone(&chrono::Utc),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_dir() -> PathBuf {
    root().join("tests").join("invalid")
}

/// Every case: its name and path, sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(corpus_dir())
        .expect("tests/invalid exists")
        .map(|e| e.expect("readable entry"))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let path = e.path();
            let file_name = e.file_name().to_string_lossy().into_owned();
            let name = file_name
                .strip_suffix(".yaml")
                .unwrap_or(&file_name)
                .to_string();
            (name, path)
        })
        .collect();
    out.sort();
    out
}

/// The code a case is named after.
fn expected_code(name: &str) -> Code {
    let prefix = name.split('-').next().unwrap_or_default();
    Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == prefix)
        .unwrap_or_else(|| panic!("case `{name}` does not start with a diagnostic code"))
}

/// The text rendering, with the repository's absolute path removed so that snapshots are machine-independent.
fn render(loaded: &Loaded, base: &Path, replacement: &str) -> String {
    let text = loaded.diagnostics.render_text(false);
    let base = base.display().to_string();
    text.replace(&format!("{base}/"), replacement)
        .replace(&base, replacement.trim_end_matches('/'))
}

/// Codes whose location is a whole file or directory: no line to give.
const WHOLE_FILE: &[Code] = &[Code::ReadFailed, Code::NoYamlFiles, Code::EmptyFile];

/// The text of the file a diagnostic points into, if it can be read.
fn source_of(d: &Diagnostic) -> Option<String> {
    let file = &d.location.file;
    if file == Path::new(language::BUILTIN_TEMPLATES_PATH) {
        return Some(language::BUILTIN_TEMPLATES.to_string());
    }
    std::fs::read(file)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Checks every diagnostic's location: a file inside the case (or the built-in templates), and a line and column
/// inside that file wherever the code has one.
fn check_locations(name: &str, case: &Path, loaded: &Loaded) -> Vec<String> {
    let mut problems = Vec::new();
    for d in loaded.diagnostics.items() {
        let what = format!("{name}: {} `{}`", d.code, d.message);
        if d.message.trim().is_empty() {
            problems.push(format!("{what}: empty message"));
        }
        let file = &d.location.file;
        if !(file.starts_with(case) || file == Path::new(language::BUILTIN_TEMPLATES_PATH)) {
            problems.push(format!(
                "{what}: file {} is outside the case",
                file.display()
            ));
        }
        if WHOLE_FILE.contains(&d.code) {
            continue;
        }
        let (Some(line), Some(column)) = (d.location.line, d.location.column) else {
            problems.push(format!("{what}: no line and column"));
            continue;
        };
        if let Some(text) = source_of(d) {
            let lines: Vec<&str> = text.split('\n').collect();
            match lines.get(line as usize - 1) {
                None => problems.push(format!("{what}: line {line} is past the end of the file")),
                Some(l) if column as usize > l.chars().count() + 1 => problems.push(format!(
                    "{what}: column {column} is past the end of line {line}"
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

#[test]
fn every_case_matches_its_snapshot() {
    let cases = cases();
    assert!(cases.len() >= 45, "only {} cases", cases.len());
    let base = root();
    let mut failures = Vec::new();
    for (name, path) in &cases {
        let code = expected_code(name);
        let loaded = language::load(path, &options());
        let text = render(&loaded, &base, "");

        if !loaded.diagnostics.items().iter().any(|d| d.code == code) {
            failures.push(format!("{name}: no {code} diagnostic; got:\n{text}"));
        }
        if !text.contains(&format!("[{code}]")) {
            failures.push(format!("{name}: {code} is not in the text rendering"));
        }
        failures.extend(check_locations(name, path, &loaded));
        // Every file-level fact is named relative to the repository, never by an absolute path.
        if text.contains(&base.display().to_string()) {
            failures.push(format!("{name}: the rendering holds an absolute path"));
        }

        let snapshot = std::panic::catch_unwind(|| {
            insta::with_settings!({
                description => format!("pimctl validate tests/invalid/{} (now = {NOW})", path.file_name().unwrap().to_string_lossy()),
                omit_expression => true,
            }, {
                insta::assert_snapshot!(name.as_str(), text);
            });
        });
        if snapshot.is_err() {
            failures.push(format!("{name}: the rendering differs from its snapshot"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_has_a_case_whose_expected_output_contains_it() {
    let snapshots = root().join("tests").join("snapshots");
    let mut expected_outputs = Vec::new();
    for (name, _) in cases() {
        let snap = snapshots.join(format!("language_corpus__{name}.snap"));
        let text = std::fs::read_to_string(&snap)
            .unwrap_or_else(|e| panic!("no accepted snapshot {}: {e}", snap.display()));
        expected_outputs.push(text);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| {
            !expected_outputs
                .iter()
                .any(|t| t.contains(&format!("[{}]", c.as_str())))
        })
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");

    // And each code has a case named after it.
    let named: BTreeSet<Code> = cases().iter().map(|(n, _)| expected_code(n)).collect();
    let unnamed: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !named.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        unnamed.is_empty(),
        "codes with no case named after them: {unnamed:?}"
    );
}

#[test]
fn every_snapshot_belongs_to_a_case() {
    let names: BTreeSet<String> = cases().into_iter().map(|(n, _)| n).collect();
    let generated = ["generated-large-file", "generated-not-utf8"];
    for entry in std::fs::read_dir(root().join("tests").join("snapshots")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(name) = file
            .strip_prefix("language_corpus__")
            .and_then(|f| f.strip_suffix(".snap"))
        else {
            continue;
        };
        assert!(
            names.contains(name) || generated.contains(&name),
            "snapshot {file} has no case; delete it"
        );
    }
}

#[test]
fn json_rendering_agrees_with_the_diagnostics() {
    for (name, path) in cases() {
        let loaded = language::load(&path, &options());
        let json: serde_json::Value = serde_json::from_str(&loaded.diagnostics.render_json())
            .unwrap_or_else(|e| panic!("{name}: invalid JSON: {e}"));
        let items = json["diagnostics"].as_array().unwrap();
        assert_eq!(items.len(), loaded.diagnostics.items().len(), "{name}");
        assert_eq!(
            json["errors"].as_u64().unwrap() as usize,
            loaded.diagnostics.error_count(),
            "{name}"
        );
        assert_eq!(
            json["warnings"].as_u64().unwrap() as usize,
            loaded.diagnostics.warning_count(),
            "{name}"
        );
        for (item, d) in items.iter().zip(loaded.diagnostics.items()) {
            assert_eq!(item["code"], d.code.as_str(), "{name}");
            assert_eq!(item["message"], d.message.as_str(), "{name}");
            assert_eq!(
                item["severity"],
                if d.code.as_str().starts_with('W') {
                    "warning"
                } else {
                    "error"
                },
                "{name}"
            );
            assert_eq!(
                item.get("line").and_then(|l| l.as_u64()),
                d.location.line.map(u64::from),
                "{name}"
            );
        }
    }
}

#[test]
fn generated_not_utf8_reports_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.yaml");
    let mut bytes =
        b"version: pimctl/v1\nprotected:\n  - user: bg-01@contoso.com\n    note: \"".to_vec();
    bytes.extend_from_slice(&[0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]); // "Müller" in Latin-1
    bytes.extend_from_slice(b"\"\n");
    std::fs::write(&file, &bytes).unwrap();
    let loaded = language::load(&file, &options());
    let d = loaded.diagnostics.items();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, Code::NotUtf8);
    assert_eq!(
        (d[0].location.line, d[0].location.column),
        (Some(4), Some(13))
    );
    // A file that can't be read contributes no roles, and the load carries on with the others.
    assert!(loaded.state.targets.is_empty());
    insta::assert_snapshot!("generated-not-utf8", render(&loaded, dir.path(), "<tmp>/"));
}

/// A generated file of 5,000 roles and 10,000 assignments, with a few errors planted at known lines.
#[test]
fn generated_large_file_reports_exactly_the_planted_problems() {
    const ROLES: usize = 5_000;
    let mut text = String::from("version: pimctl/v1\ndirectory_roles:\n");
    let mut planted: Vec<(Code, u32)> = Vec::new();
    let line = |text: &str| u32::try_from(text.matches('\n').count() + 1).unwrap();
    for i in 0..ROLES {
        text.push_str(&format!("  00000000-0000-4000-8000-{i:012}:\n"));
        text.push_str("    template: builtin:tier2\n");
        if i == 1_000 {
            planted.push((Code::UnknownKey, line(&text)));
            text.push_str("    activation: {max_duraton: 4h}\n");
        }
        text.push_str("    eligible:\n");
        text.push_str(&format!("      - user: user{i}@contoso.com\n"));
        if i == 2_500 {
            planted.push((Code::BadDate, line(&text)));
            text.push_str("        until: 2027-13-01\n");
        }
        if i == 4_999 {
            planted.push((Code::BadPrincipal, line(&text)));
            text.push_str("      - user: nobody\n");
        } else {
            text.push_str(&format!("      - group: Group-{i}\n"));
        }
    }
    // A new custom role by id, then the same id in upper case: one role, declared twice.
    text.push_str("  00000000-0000-4000-8000-00000000000a:\n    eligible: []\n");
    planted.push((Code::RoleTwice, line(&text)));
    text.push_str("  00000000-0000-4000-8000-00000000000A:\n    eligible: []\n");
    assert!(text.len() > 500_000, "{} bytes", text.len());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.yaml");
    std::fs::write(&file, &text).unwrap();
    let loaded = language::load(&file, &options());

    let got: Vec<(Code, u32)> = loaded
        .diagnostics
        .items()
        .iter()
        .map(|d| (d.code, d.location.line.unwrap_or(0)))
        .collect();
    assert_eq!(got, planted);
    // Everything else was decoded and lowered.
    assert_eq!(loaded.state.targets.len(), ROLES + 1);
    assert_eq!(loaded.state.assignments().len(), 2 * ROLES - 2);
    insta::assert_snapshot!(
        "generated-large-file",
        render(&loaded, dir.path(), "<tmp>/")
    );
}

/// Hostile directories (#18): what can't be committed as a corpus case is built here.
mod hostile {
    use super::*;
    use pimctl::language::MAX_DIAGNOSTICS;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const GOOD: &str = "version: pimctl/v1\ndirectory_roles:\n  Security Reader:\n    eligible:\n      - user: alice@contoso.com\n        until: 2027-06-30\n";

    #[test]
    fn a_byte_order_mark_and_crlf_line_endings_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        write(dir.path(), "bom.yaml", &text);
        let loaded = language::load(dir.path(), &options());
        assert!(
            loaded.diagnostics.items().is_empty(),
            "{}",
            loaded.diagnostics.render_text(false)
        );
        assert_eq!(loaded.state.targets.len(), 1);
        assert_eq!(loaded.state.assignments().len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_among_the_policies_is_named_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good.yaml", GOOD);
        let fifo = dir.path().join("policy.yaml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path. Opening the FIFO for reading would block this test forever.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let loaded = language::load(dir.path(), &options());
        let d = loaded.diagnostics.items();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, Code::ReadFailed);
        assert_eq!(d[0].location.file, fifo);
        assert!(
            d[0].message.contains("named pipe (FIFO)"),
            "{}",
            d[0].message
        );
        // The other file was still read.
        assert_eq!(loaded.state.targets.len(), 1);
        // Given directly, too.
        let loaded = language::load(&fifo, &options());
        assert_eq!(loaded.diagnostics.items()[0].code, Code::ReadFailed);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end_in_an_error_not_a_walk_without_end() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good.yaml", GOOD);
        // A directory that links back to its parent, and two files that link to each other.
        std::os::unix::fs::symlink(dir.path(), dir.path().join("again")).unwrap();
        std::os::unix::fs::symlink("b.yaml", dir.path().join("a.yaml")).unwrap();
        std::os::unix::fs::symlink("a.yaml", dir.path().join("b.yaml")).unwrap();
        let loaded = language::load(dir.path(), &options());
        let d = loaded.diagnostics.items();
        let files: Vec<String> = d
            .iter()
            .map(|d| {
                assert_eq!(d.code, Code::ReadFailed, "{d:?}");
                d.location
                    .file
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(files, ["a.yaml", "b.yaml"]);
        assert_eq!(loaded.state.targets.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "secret.yaml", GOOD);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        let loaded = language::load(dir.path(), &options());
        // root reads it anyway; anyone else gets the file named.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            assert!(loaded.diagnostics.items().is_empty());
        } else {
            let d = loaded.diagnostics.items();
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!((d[0].code, &d[0].location.file), (Code::ReadFailed, &p));
        }
    }

    #[test]
    fn five_thousand_files_each_with_a_problem_give_bounded_output() {
        const FILES: usize = 5_000;
        let dir = tempfile::tempdir().unwrap();
        for i in 0..FILES {
            write(
                dir.path(),
                &format!("role-{i:04}.yaml"),
                &format!(
                    "version: pimctl/v1\ndirectory_roles:\n  00000000-0000-4000-8000-{i:012}:\n    eligible: []\n    colour: blue\n"
                ),
            );
        }
        let loaded = language::load(dir.path(), &options());
        assert_eq!(loaded.state.targets.len(), FILES);
        assert_eq!(loaded.diagnostics.error_count(), FILES);
        assert_eq!(loaded.diagnostics.items().len(), MAX_DIAGNOSTICS);
        assert_eq!(loaded.diagnostics.omitted(), FILES - MAX_DIAGNOSTICS);
        let text = loaded.diagnostics.render_text(false);
        assert!(text.contains("… and 4,000 more (only the first 1,000 are shown)"));
        assert!(
            text.ends_with("5000 errors, 0 warnings\n"),
            "{}",
            &text[text.len() - 200..]
        );
        let json: serde_json::Value =
            serde_json::from_str(&loaded.diagnostics.render_json()).unwrap();
        assert_eq!(
            json["diagnostics"].as_array().unwrap().len(),
            MAX_DIAGNOSTICS
        );
        assert_eq!(
            (json["errors"].as_u64(), json["omitted"].as_u64()),
            (Some(5_000), Some(4_000))
        );
    }

    /// 100,000 unknown keys: each found (the count is exact), the first thousand kept, the work linear (the
    /// duplicate-key check and the excerpts used to scan the whole file per key).
    #[test]
    fn a_hundred_thousand_unknown_keys_are_counted_not_all_kept() {
        const KEYS: usize = 100_000;
        let mut text = String::from(
            "version: pimctl/v1\ndirectory_roles:\n  Security Reader:\n    eligible: []\n",
        );
        for i in 0..KEYS {
            text.push_str(&format!("k{i}: 1\n"));
        }
        let loaded = language::load_str("keys.yaml", &text, &options());
        assert_eq!(loaded.diagnostics.error_count(), KEYS);
        assert_eq!(loaded.diagnostics.items().len(), MAX_DIAGNOSTICS);
        assert!(
            loaded
                .diagnostics
                .items()
                .iter()
                .all(|d| d.code == Code::UnknownKey)
        );
        let rendered = loaded.diagnostics.render_text(false);
        assert!(rendered.contains("… and 99,000 more"));
        assert_eq!(rendered.matches("error[E0110]").count(), MAX_DIAGNOSTICS);
    }

    #[test]
    fn a_hundred_thousand_null_items_are_counted_not_all_kept() {
        const ITEMS: usize = 100_000;
        let text = format!(
            "version: pimctl/v1\ndirectory_roles:\n  Security Reader:\n    eligible:\n{}",
            "      - null\n".repeat(ITEMS)
        );
        let loaded = language::load_str("nulls.yaml", &text, &options());
        assert_eq!(loaded.diagnostics.error_count(), ITEMS);
        assert_eq!(loaded.diagnostics.items().len(), MAX_DIAGNOSTICS);
        let first = &loaded.diagnostics.items()[0];
        assert_eq!(
            (first.location.line, first.location.path.as_str()),
            (Some(5), "directory_roles.\"Security Reader\".eligible[0]")
        );
    }

    /// Date and duration arithmetic at the edge of the calendar is a range error, never a panic.
    #[test]
    fn durations_past_the_calendar_are_range_errors() {
        for (max, until) in [
            ("999999999d", "2027-06-30"),
            ("213503982334601d", "9999-12-31"),
            ("18446744073709551615s", "2027-06-30"),
        ] {
            let text = format!(
                "version: pimctl/v1\ndirectory_roles:\n  Security Reader:\n    eligible_assignment: {{max_duration: {max}}}\n    eligible:\n      - user: alice@contoso.com\n        until: {until}\n"
            );
            let loaded = language::load_str("huge.yaml", &text, &options());
            let d = loaded.diagnostics.items();
            assert_eq!(d.len(), 1, "{max}: {d:?}");
            assert_eq!(
                (d[0].code, d[0].location.line, d[0].location.path.as_str()),
                (
                    Code::OutOfRange,
                    Some(4),
                    "directory_roles.\"Security Reader\".eligible_assignment.max_duration"
                ),
                "{max}"
            );
        }
    }
}
