//! The first-run papercuts of #18, as a new user meets them: exit codes that mean the same thing in every command,
//! a plan that explains itself in the format a pipeline posts, a drift report that says drift, roles in name order,
//! apply's lines in plan order without a terminal, and commands that name the next one.

mod cli;
use cli::{command, out, stderr, stdout};
use std::path::Path;
use std::process::Output;

fn run(cwd: &Path, args: &[&str]) -> Output {
    command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("pimctl runs")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every command fails with `error:` on stderr, and exits 1, except `validate` and `lint`, whose 1 means "problems
/// found": they exit 2. A usage error is a failure like any other.
#[test]
fn every_command_fails_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["emulator"], 1),
        (&["emulator", "--fail-rate", "2", "--seed", "x.yaml"], 1),
        (&["emulator", "--no-such-option"], 1),
        (&["plan", "no-such-dir", "--emulator"], 1),
        (&["drift", "no-such-dir", "--emulator"], 1),
        (&["apply", "no-such-plan.json", "--emulator", "t.yaml"], 1),
        (
            &["import", "--emulator", "no-such-tenant.yaml", "--out", "x"],
            1,
        ),
        (&["comment", "no-such-plan.json"], 1),
        (&["schema", "--no-such-option"], 1),
        (&["validate", "no-such-dir"], 1),
        (&["validate", "--no-such-option"], 2),
        (&["lint", "no-such-dir"], 2),
        (&["lint", "--no-such-option"], 2),
    ];
    for (args, code) in cases {
        let o = run(tmp.path(), args);
        assert_eq!(o.status.code(), Some(*code), "{args:?}: {}", out(&o));
        // `error:` on stderr; `validate` reports a problem with its input as a diagnostic (`error[E...]`), on stdout.
        let all = out(&o);
        assert!(
            all.starts_with("error") || all.contains("\nerror"),
            "{args:?} says `error`: {all}"
        );
    }
}

/// `plan --emulator DIR` takes the directory as the tenant file (the value is optional): say how to write it.
#[test]
fn a_directory_given_to_emulator_suggests_the_path_first() {
    let o = run(repo(), &["plan", "--emulator", "examples/contoso"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("write the path first: pimctl plan examples/contoso --emulator"),
        "{}",
        stderr(&o)
    );
    let o = run(repo(), &["drift", "--emulator", "examples/contoso"]);
    assert!(
        stderr(&o).contains("pimctl drift examples/contoso --emulator"),
        "{}",
        stderr(&o)
    );
}

/// With a declaration that does not load, `--format json|markdown` still writes to stdout, in that format, why there
/// is no plan: a pipeline posting stdout posts the errors, not an empty comment.
#[test]
fn an_invalid_declaration_is_reported_in_the_requested_format() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("p.yaml"), "version: pimctl/v1\nrequre: 1\n").unwrap();
    let tenant = repo().join("examples/contoso/tenant.yaml");
    let tenant = tenant.to_str().unwrap();
    let o = run(
        tmp.path(),
        &["plan", ".", "--emulator", tenant, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["errors"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "E0110");
    let o = run(
        tmp.path(),
        &["plan", ".", "--emulator", tenant, "--format", "markdown"],
    );
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    assert!(
        md.starts_with("### pimctl plan\n\n**Plan failed:** the declaration in `.` has 1 error;"),
        "{md}"
    );
    assert!(md.contains("error[E0110]: unknown key `requre`"), "{md}");
    // Text keeps stdout for the plan alone: the diagnostics are on stderr, as before.
    let o = run(tmp.path(), &["plan", ".", "--emulator", tenant]);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("E0110"));
}

/// `drift` reports drift: its header says so, and its summary counts how the tenant moved (Contoso's seeded drift:
/// approval switched off on a role and on a group's members, a permanent Global Administrator and a permanent owner
/// of Tier0-Operators, an access review deleted and one switched to approve, a permanent Owner of Contoso Prod and
/// app-rg's Contributor policy reset by a redeploy weakened posture; the contractor's expired eligibility and the
/// eligibilities app-rg's redeploy lost strengthened it), not how the changes would move it back.
#[test]
fn the_drift_report_says_drift_and_counts_the_drifts_direction() {
    let o = run(repo(), &["drift", "examples/contoso", "--emulator"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("pimctl drift of examples/contoso"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with(
            "Drift: 15 changes to restore the declaration: 7 rule updates, 4 to create, 1 to update, 0 to convert, 3 to \
             remove. Posture: the drift weakened 12, strengthened 3, neutral 0."
        ),
        "{text}"
    );
    let o = run(
        repo(),
        &[
            "drift",
            "examples/contoso",
            "--emulator",
            "--format",
            "markdown",
        ],
    );
    let md = stdout(&o);
    assert!(
        md.starts_with(
            "### pimctl drift\n\n:warning: **Drift: 15 changes to restore the declaration; the drift weakened posture \
             in 12.**"
        ),
        "{md}"
    );
    assert!(md.contains("| Drift weakened posture | 12 |"), "{md}");
    let o = run(
        repo(),
        &[
            "drift",
            "examples/contoso",
            "--emulator",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["summary"]["drift_posture"],
        serde_json::json!({"weakened": 12, "strengthened": 3, "neutral": 0})
    );
    // `plan` of the same tenant counts the changes' own direction, and says plan.
    let o = run(repo(), &["plan", "examples/contoso", "--emulator"]);
    let text = stdout(&o);
    assert!(
        text.starts_with("pimctl plan of examples/contoso"),
        "{text}"
    );
    assert!(
        text.contains("Posture: 1 weaken, 12 strengthen, 2 neutral."),
        "{text}"
    );
}

/// Targets are shown by name, and planned by name within each phase: never in GUID order.
#[test]
fn roles_come_in_name_order() {
    let o = run(repo(), &["plan", "examples/contoso", "--emulator"]);
    let text = stdout(&o);
    let headings: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with(' ')
                && !l.starts_with("Notes")
                && !l.starts_with("Plan:")
        })
        .collect();
    assert_eq!(
        headings,
        [
            "Exchange Administrator",
            "Global Administrator",
            "Privileged Role Administrator",
            "Security Administrator",
            "Group Tier0-Operators · member",
            "Group Tier0-Operators · owner",
            "Owner @ /subscriptions/c0150000-0000-4000-8000-000000000001",
            "Contributor @ /subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg",
        ],
        "{text}"
    );
    // Within a phase (here: the creates of a generated tenant), by name too.
    let tmp = tempfile::tempdir().unwrap();
    let g = tmp.path().join("g");
    generate_s(tmp.path());
    let o = run(
        tmp.path(),
        &[
            "plan",
            "g/policies",
            "--emulator",
            "g/tenant.yaml",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    let phase = |c: &serde_json::Value| match c["action"].as_str().unwrap() {
        "update_rule" => 1,
        "remove" => 3,
        _ => 2,
    };
    let keys: Vec<(u8, String)> = changes
        .iter()
        .map(|c| (phase(c), c["role_name"].as_str().unwrap().to_lowercase()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(g.join("tenant.yaml").exists());
}

/// A generated S tenant with some drift in `DIR/g`: several roles to change.
fn generate_s(dir: &Path) {
    let o = run(
        dir,
        &[
            "emulator",
            "--generate",
            "s",
            "--out",
            "g",
            "--drift",
            "20",
            "--drift-policies",
            "6",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
}

/// `emulator --generate` names the next command, and that command works.
#[test]
fn generate_prints_the_next_command() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(tmp.path(), &["emulator", "--generate", "s", "--out", "gen"]);
    assert!(o.status.success(), "{}", out(&o));
    let next = stdout(&o)
        .lines()
        .find_map(|l| {
            l.strip_prefix("next: `")
                .and_then(|l| l.split_once('`'))
                .map(|(c, _)| c.to_string())
        })
        .unwrap_or_else(|| panic!("no next command: {}", stdout(&o)));
    assert_eq!(next, "pimctl plan gen/policies --emulator gen/tenant.yaml");
    let args: Vec<&str> = next.split(' ').skip(1).collect();
    let o = run(tmp.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// Roles are applied concurrently; without a terminal the lines still come out in the plan's order.
#[test]
fn without_a_terminal_apply_prints_its_lines_in_plan_order() {
    let tmp = tempfile::tempdir().unwrap();
    generate_s(tmp.path());
    let tenant = [
        "--emulator",
        "g/tenant.yaml",
        "--emulator-state",
        "state.json",
    ];
    let o = run(
        tmp.path(),
        &[
            &["plan", "g/policies", "--out", "plan.json"][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = run(
        tmp.path(),
        &[
            &["apply", "plan.json", "--max-concurrency", "8"][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", out(&o));
    let numbers: Vec<usize> = stdout(&o)
        .lines()
        .filter_map(|l| l.strip_prefix('[')?.split_once('/')?.0.parse().ok())
        .collect();
    assert!(numbers.len() > 10, "{}", stdout(&o));
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>());
}
