//! The GitHub Action's own steps, run outside GitHub: action.yml is read, and each of its `run:` steps is run with
//! bash as the runner would run it, with the variables GitHub sets (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//! GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_EVENT_NAME, RUNNER_TEMP, ...) and the step's `env:`
//! with its `${{ inputs.* }}` and `${{ steps.*.outputs.* }}` expressions filled in. pimctl plans against the
//! emulator; the comment and the drift issue go to the fake GitHub API of tests/forge. The `uses:` steps (cache,
//! artifact upload, SARIF upload) are GitHub's own actions and are not run here.

mod cli;
mod forge;

use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    /// Every step's outputs, by step id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
    /// The exit code of the last step (`Result`).
    result: i32,
    log: String,
}

/// Fills `${{ ... }}` from the inputs and step outputs: `inputs.X`, `steps.S.outputs.X`, `github.X`, string
/// literals, and `a || b`; `format('pimctl-{0}', inputs.command)` as the action uses it.
fn eval(
    expr: &str,
    inputs: &BTreeMap<String, String>,
    run: &Run,
    github: &BTreeMap<&str, String>,
) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let inner = rest[start + 3..end].trim();
        let value = inner
            .split("||")
            .map(|alt| term(alt.trim(), inputs, run, github))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn term(
    t: &str,
    inputs: &BTreeMap<String, String>,
    run: &Run,
    github: &BTreeMap<&str, String>,
) -> String {
    if let Some(name) = t.strip_prefix("inputs.") {
        return inputs.get(name).cloned().unwrap_or_default();
    }
    if let Some(rest) = t.strip_prefix("steps.") {
        let (step, out) = rest.split_once(".outputs.").expect("steps.S.outputs.X");
        return run
            .outputs
            .get(step)
            .and_then(|o| o.get(out))
            .cloned()
            .unwrap_or_default();
    }
    if let Some(name) = t.strip_prefix("github.") {
        return github.get(name).cloned().unwrap_or_default();
    }
    if let Some(s) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return s.to_string();
    }
    if let Some(args) = t.strip_prefix("format(").and_then(|s| s.strip_suffix(')')) {
        let (fmt, arg) = args.split_once(',').unwrap();
        let fmt = fmt.trim().trim_matches('\'');
        return fmt.replace("{0}", &term(arg.trim(), inputs, run, github));
    }
    panic!(
        "the test's evaluator does not know `{t}`: teach it, or keep action.yml's expressions simple"
    );
}

/// Runs action.yml's `run:` steps with `with` as the workflow's inputs.
fn run_action(work: &Path, env: &[(&str, String)], with: &[(&str, &str)]) -> Run {
    let action: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap()).unwrap();
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        let default = spec["default"].as_str().unwrap_or_default();
        let default = if default.contains("github.token") {
            forge::TOKEN.to_string()
        } else {
            default.to_string()
        };
        inputs.insert(name.as_str().unwrap().to_string(), default);
    }
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    let github: BTreeMap<&str, String> = [
        ("action_repository", "pimctl/pimctl".to_string()),
        ("action_ref", "v0.1.0".to_string()),
        ("token", forge::TOKEN.to_string()),
    ]
    .into();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_pimctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let temp = work.join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let summary = work.join("summary.md");
    let _ = std::fs::remove_file(&summary);
    let mut run = Run {
        outputs: BTreeMap::new(),
        summary: String::new(),
        result: -1,
        log: String::new(),
    };
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let condition = step["if"].as_str().unwrap_or_default();
        // The build-from-source steps: `install: path` resolves to the pimctl on PATH, so they do not run.
        if condition.contains("mode == 'source'") {
            assert_eq!(run.outputs["find"]["mode"], "path");
            continue;
        }
        let output_file = work.join("output.txt");
        std::fs::write(&output_file, "").unwrap();
        let mut c = std::process::Command::new("bash");
        c.args(["-e", "-c", script])
            .current_dir(root())
            .env_clear()
            .env("PATH", &path)
            .env("HOME", work)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", root())
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", work.join("path.txt"))
            .env("RUNNER_TEMP", &temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("NO_COLOR", "1")
            .env("PIMCTL_NOW", "2026-11-21T09:00:00Z");
        for (k, v) in env {
            c.env(k, v);
        }
        if let Some(vars) = step["env"].as_mapping() {
            for (k, v) in vars {
                c.env(
                    k.as_str().unwrap(),
                    eval(v.as_str().unwrap(), &inputs, &run, &github),
                );
            }
        }
        let o = c.output().unwrap();
        run.log.push_str(&cli::out(&o));
        let code = o.status.code().unwrap_or(-1);
        if let Some(id) = step["id"].as_str() {
            let outputs = std::fs::read_to_string(&output_file)
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            run.outputs.insert(id.to_string(), outputs);
        }
        run.result = code;
        if step["name"].as_str() != Some("Result") {
            assert_eq!(code, 0, "step {:?} failed: {}", step["name"], run.log);
        }
    }
    run.summary = std::fs::read_to_string(&summary).unwrap_or_default();
    assert!(
        !run.log.contains(forge::TOKEN),
        "the token was printed: {}",
        run.log
    );
    run
}

#[test]
fn the_actions_steps_plan_comment_and_report_drift_as_on_github() {
    let server = forge::Server::start();
    server.add_issue(7, true, &[], "new contractor");
    let work = tempfile::tempdir().unwrap();
    let event = work.path().join("event.json");
    std::fs::write(&event, r#"{"number": 7, "pull_request": {"number": 7}}"#).unwrap();
    let env = vec![
        ("GITHUB_API_URL", server.url.clone()),
        ("GITHUB_SERVER_URL", "https://github.example".to_string()),
        ("GITHUB_REPOSITORY", "octo/pim".to_string()),
        ("GITHUB_RUN_ID", "99".to_string()),
        ("GITHUB_SHA", "0123abc".to_string()),
        ("GITHUB_EVENT_NAME", "pull_request".to_string()),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap().to_string()),
    ];
    // The emulator stands in for the tenant: no auth method, the Contoso seed beside the policies.
    let with = [
        ("policies", "examples/contoso"),
        ("install", "path"),
        ("auth", ""),
        ("args", "--emulator"),
    ];

    let plan = run_action(
        work.path(),
        &env,
        &[("command", "plan")]
            .iter()
            .chain(&with)
            .copied()
            .collect::<Vec<_>>(),
    );
    let out = &plan.outputs["run"];
    assert_eq!(out["exit-code"], "0", "{}", plan.log);
    assert_eq!(out["has-changes"], "true");
    assert_eq!(out["weakens-posture"], "true");
    assert!(out["plan-file"].ends_with("pimctl-plan/plan.json"));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out["plan-file"]).unwrap()).unwrap();
    assert_eq!(saved["changes"].as_array().unwrap().len(), 15);
    assert!(plan.summary.contains("### pimctl plan"), "{}", plan.summary);
    assert!(plan.summary.contains("1 weakens posture"));
    assert_eq!(plan.result, 0);
    let comments = server.comments_on(7);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0]
            .body
            .starts_with("<!-- pimctl:plan:examples/contoso -->\n### pimctl plan")
    );
    assert!(
        comments[0]
            .body
            .contains("[run](https://github.example/octo/pim/actions/runs/99)")
    );

    // The next push: the same comment, edited.
    let again = run_action(
        work.path(),
        &env,
        &[("command", "plan")]
            .iter()
            .chain(&with)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(again.outputs["run"]["exit-code"], "0");
    assert_eq!(server.comments_on(7).len(), 1);
    assert!(
        server
            .take_requests()
            .iter()
            .any(|r| r.starts_with("PATCH /repos/octo/pim/issues/comments/"))
    );

    // The nightly drift: exit 2, the job fails with it, and the drift issue is opened.
    let mut drift_env = env.clone();
    drift_env.retain(|(k, _)| *k != "GITHUB_EVENT_NAME" && *k != "GITHUB_EVENT_PATH");
    drift_env.push(("GITHUB_EVENT_NAME", "schedule".to_string()));
    let drift = run_action(
        work.path(),
        &drift_env,
        &[("command", "drift")]
            .iter()
            .chain(&with)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(drift.outputs["run"]["exit-code"], "2");
    assert_eq!(drift.outputs["run"]["has-changes"], "true");
    assert_eq!(
        drift.outputs["run"]["weakens-posture"], "true",
        "approval switched off in the portal"
    );
    assert_eq!(drift.result, 2, "the job's status follows drift's");
    let issue = server
        .with(|f| f.issues.values().find(|i| !i.pull_request).cloned())
        .expect("a drift issue");
    assert_eq!(issue.labels, ["pimctl-drift"]);
    assert!(
        issue
            .body
            .starts_with("<!-- pimctl:drift:examples/contoso -->")
    );
    // No comment on a scheduled run's (absent) pull request.
    assert_eq!(server.comments_on(7).len(), 1);

    // A command the action does not know: a clear error, and the job fails.
    let bad = run_action(
        work.path(),
        &drift_env,
        &[("command", "destroy")]
            .iter()
            .chain(&with)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(bad.result, 1);
    assert!(
        bad.log
            .contains("command must be plan, drift, apply or lint"),
        "{}",
        bad.log
    );
}
