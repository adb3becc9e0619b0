//! `pimctl comment` end to end against a fake GitHub API and a fake Azure DevOps threads API on loopback
//! (tests/forge): the pull-request comment is created once and then edited in place, a plan too long for a comment
//! is cut with a link to the whole plan, "No changes" replaces an earlier plan; the drift issue is opened, updated
//! and closed. Plans come from the binary itself, against the emulator.

mod cli;
mod forge;

use std::path::{Path, PathBuf};
use std::process::Output;

const NOW: &str = "2026-11-21T09:00:00Z";
const REPO: &str = "octo/pim";
const MARKER: &str = "<!-- pimctl:plan:examples/contoso -->";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    cli::command()
        .args(args)
        .current_dir(root())
        .env("PIMCTL_NOW", NOW)
        .output()
        .expect("pimctl runs")
}

/// Contoso's plans: `changes` (15 changes, one weakening), `drift` (the same, as drift), then, after applying,
/// `clean` and `clean_drift` (no changes).
struct Plans {
    changes: PathBuf,
    drift: PathBuf,
    clean: PathBuf,
    clean_drift: PathBuf,
}

/// Made once for every test of this file (they only read them).
fn contoso_plans() -> &'static Plans {
    static PLANS: std::sync::OnceLock<Plans> = std::sync::OnceLock::new();
    PLANS.get_or_init(make_plans)
}

fn make_plans() -> Plans {
    // Under cargo's scratch directory for tests, made afresh: the plans outlive every test of the file.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pipeline_comment");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n);
    let state = p("tenant.json");
    let state = state.to_str().unwrap();
    let emulator = ["--emulator", "--emulator-state", state];
    let plan = |out: &Path, cmd: &str, code: i32| {
        let mut args = vec![cmd, "examples/contoso"];
        args.extend(emulator);
        args.extend(["--out", out.to_str().unwrap()]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(code), "{}", cli::out(&o));
    };
    plan(&p("changes.json"), "plan", 0);
    plan(&p("drift.json"), "drift", 2);
    let changes = p("changes.json");
    let mut apply = vec!["apply", changes.to_str().unwrap()];
    apply.extend(emulator);
    let o = run(&apply);
    assert_eq!(o.status.code(), Some(0), "{}", cli::out(&o));
    plan(&p("clean.json"), "plan", 0);
    plan(&p("clean-drift.json"), "drift", 0);
    Plans {
        changes: p("changes.json"),
        drift: p("drift.json"),
        clean: p("clean.json"),
        clean_drift: p("clean-drift.json"),
    }
}

/// `pimctl comment ARGS` as a GitHub Actions step would run it, against the fake.
fn comment(server: &forge::Server, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = cli::command();
    c.arg("comment")
        .args(args)
        .current_dir(root())
        .env("GITHUB_API_URL", &server.url)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_TOKEN", forge::TOKEN)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "4242")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("TF_BUILD")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GH_TOKEN");
    for (k, v) in extra {
        c.env(k, v);
    }
    let o = c.output().expect("pimctl runs");
    let all = cli::out(&o);
    assert!(!all.contains(forge::TOKEN), "the token was printed: {all}");
    o
}

fn event_file(dir: &Path, pr: u64) -> PathBuf {
    let p = dir.join("event.json");
    std::fs::write(
        &p,
        serde_json::json!({"action": "synchronize", "number": pr, "pull_request": {"number": pr}})
            .to_string(),
    )
    .unwrap();
    p
}

fn ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", cli::out(o));
}

#[test]
fn the_pull_request_comment_is_created_once_then_edited_in_place_and_no_changes_replaces_the_plan()
{
    let plans = contoso_plans();
    let server = forge::Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let event = event_file(tmp.path(), 7);
    let event = event.to_str().unwrap();
    server.add_issue(7, true, &[], "policies for the new contractor");
    // Four earlier comments: the fake serves three a page, so finding the marker takes two pages. One of them
    // quotes pimctl's marker in a reply; it is not pimctl's comment.
    server.add_comment(7, "alice", "LGTM");
    server.add_comment(7, "bob", &format!("> {MARKER}\n> quoted"));
    server.add_comment(7, "carol", "one question");
    server.add_comment(7, "dave", "answered");

    let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_EVENT_PATH", event)];
    let first = comment(&server, &[plans.changes.to_str().unwrap()], &env);
    ok(&first);
    assert!(
        cli::stderr(&first).contains("created"),
        "{}",
        cli::out(&first)
    );
    assert_eq!(
        server.take_requests(),
        [
            "GET /repos/octo/pim/issues/7/comments?per_page=100",
            "GET /repos/octo/pim/issues/7/comments?per_page=100&page=2",
            "POST /repos/octo/pim/issues/7/comments",
        ]
    );
    let ours: Vec<forge::Comment> = server
        .comments_on(7)
        .into_iter()
        .filter(|c| c.body.starts_with(MARKER))
        .collect();
    assert_eq!(ours.len(), 1);
    let body = &ours[0].body;
    assert!(body.contains("### pimctl plan"), "{body}");
    // Weakening first: the warning comes before the table of changes.
    let warning = body.find("[!WARNING]").expect("the weakening block");
    assert!(warning < body.find("#### Changes").unwrap(), "{body}");
    assert!(body.contains("mallory.contractor@contoso.com"));
    assert!(body.contains("[run](https://github.example/octo/pim/actions/runs/4242)"));
    assert!(!body.contains("Truncated"));

    // The next push: the same comment is edited, nothing is added.
    server.add_comment(7, "erin", "pushed a fix");
    let second = comment(&server, &[plans.clean.to_str().unwrap()], &env);
    ok(&second);
    assert_eq!(
        server.take_requests(),
        [
            "GET /repos/octo/pim/issues/7/comments?per_page=100",
            "GET /repos/octo/pim/issues/7/comments?per_page=100&page=2",
            format!("PATCH /repos/octo/pim/issues/comments/{}", ours[0].id).as_str(),
        ]
    );
    let after = server.comments_on(7);
    assert_eq!(after.len(), 6);
    let edited = after.iter().find(|c| c.id == ours[0].id).unwrap();
    assert!(edited.body.starts_with(MARKER));
    assert!(
        edited
            .body
            .contains("**No changes.** The tenant matches the declaration."),
        "{}",
        edited.body
    );
    assert!(!edited.body.contains("mallory"), "the earlier plan is gone");
    // Bob's quote is untouched.
    assert!(
        after
            .iter()
            .any(|c| c.user == "bob" && c.body.starts_with("> "))
    );
}

#[test]
fn each_command_and_policy_path_has_its_own_comment() {
    let plans = contoso_plans();
    let server = forge::Server::start();
    server.add_issue(3, true, &[], "");
    let p = plans.changes.to_str().unwrap();
    for args in [
        vec![p, "--platform", "github", "--pull-request", "3"],
        vec![
            p,
            "--platform",
            "github",
            "--pull-request",
            "3",
            "--command",
            "drift",
        ],
        vec![
            p,
            "--platform",
            "github",
            "--pull-request",
            "3",
            "--key",
            "other/policies",
        ],
        vec![p, "--platform", "github", "--pull-request", "3"],
    ] {
        ok(&comment(&server, &args, &[]));
    }
    let bodies: Vec<String> = server.comments_on(3).into_iter().map(|c| c.body).collect();
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    assert!(bodies[0].starts_with(MARKER));
    assert!(bodies[1].starts_with("<!-- pimctl:drift:examples/contoso -->"));
    assert!(bodies[2].starts_with("<!-- pimctl:plan:other/policies -->"));
}

#[test]
fn a_plan_over_the_comment_limit_is_cut_cleanly_with_a_link_to_the_whole_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("m");
    let o = run(&[
        "emulator",
        "--generate",
        "M",
        "--out",
        generated.to_str().unwrap(),
        "--drift",
        "15",
        "--drift-policies",
        "30",
    ]);
    ok(&o);
    let plan = tmp.path().join("big.json");
    let o = cli::command()
        .args([
            "plan",
            "policies",
            "--emulator",
            "tenant.yaml",
            "--format",
            "markdown",
            "--out",
        ])
        .arg(&plan)
        .current_dir(&generated)
        .output()
        .unwrap();
    ok(&o);
    let markdown = cli::stdout(&o);
    assert!(markdown.chars().count() > 100_000, "{}", markdown.len());

    let server = forge::Server::start();
    server.add_issue(9, true, &[], "");
    let link = "https://github.example/octo/pim/actions/runs/4242/artifacts/77";
    let o = comment(
        &server,
        &[
            plan.to_str().unwrap(),
            "--platform",
            "github",
            "--pull-request",
            "9",
            "--link",
            link,
        ],
        &[],
    );
    // The fake refuses a body over 65,536 characters, as GitHub does; it was accepted.
    ok(&o);
    let body = server.comments_on(9).pop().unwrap().body;
    assert!(body.encode_utf16().count() <= forge::GITHUB_LIMIT);
    assert!(body.starts_with("<!-- pimctl:plan:policies -->\n### pimctl plan\n"));
    assert!(
        body.contains(&format!("The whole output is in [the full plan]({link})")),
        "{}",
        &body[body.len() - 600..]
    );
    assert!(body.contains("**Truncated:** this comment shows the first "));
    // Weakening changes come first, so they survive the cut.
    assert!(body.contains("[!WARNING]"));
    // Cut at a block boundary, every <details> closed, and the footer still last.
    assert_eq!(
        body.matches("<details>").count(),
        body.matches("</details>").count()
    );
    assert!(body.trim_end().ends_with("</sub>"));
    // What is kept is the plan's own beginning, unchanged.
    let kept = body.split_once('\n').unwrap().1;
    let prefix: String = kept.chars().take(20_000).collect();
    assert!(markdown.starts_with(&prefix));

    // Without a link, the run's page is the link.
    let o = comment(
        &server,
        &[
            plan.to_str().unwrap(),
            "--platform",
            "github",
            "--pull-request",
            "9",
        ],
        &[],
    );
    ok(&o);
    let body = server.comments_on(9).pop().unwrap().body;
    assert!(body.contains("[the full plan](https://github.example/octo/pim/actions/runs/4242)"));
    assert_eq!(server.comments_on(9).len(), 1);
}

#[test]
fn throttling_is_retried_and_refusals_fail_without_showing_the_token() {
    let plans = contoso_plans();
    let server = forge::Server::start();
    server.add_issue(5, true, &[], "");
    let p = plans.changes.to_str().unwrap();
    let args = [p, "--platform", "github", "--pull-request", "5"];
    // A 503 on the read and a 429 on the create (0: served): both retried (Retry-After: 0), one request more each.
    server.with(|f| f.faults.extend([503, 0, 429]));
    ok(&comment(&server, &args, &[]));
    assert_eq!(
        server.take_requests(),
        [
            "GET /repos/octo/pim/issues/5/comments?per_page=100",
            "GET /repos/octo/pim/issues/5/comments?per_page=100",
            "POST /repos/octo/pim/issues/5/comments",
            "POST /repos/octo/pim/issues/5/comments",
        ]
    );
    assert_eq!(server.comments_on(5).len(), 1);
    // A 502 on a create is not retried: the comment may exist, and the next run finds it by its marker.
    server.with(|f| {
        f.comments.clear();
        f.faults.extend([0, 502]);
    });
    let o = comment(&server, &args, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        cli::stderr(&o).contains("POST /repos/octo/pim/issues/5/comments: 502"),
        "{}",
        cli::out(&o)
    );
    assert_eq!(
        server.take_requests(),
        [
            "GET /repos/octo/pim/issues/5/comments?per_page=100",
            "POST /repos/octo/pim/issues/5/comments",
        ]
    );
    let mut verbose = vec!["-vv"];
    verbose.extend(args);
    // A wrong token: 401, exit 1, the service's message, no token anywhere (checked by `comment`), even at -vv.
    let o = comment(&server, &verbose, &[("GITHUB_TOKEN", "wrong")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        cli::stderr(&o).contains("401 Bad credentials"),
        "{}",
        cli::out(&o)
    );
    // Nothing to post to: a clear error, nothing sent.
    server.take_requests();
    let o = comment(&server, &[p, "--platform", "github"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        cli::stderr(&o).contains("--pull-request"),
        "{}",
        cli::out(&o)
    );
    let o = comment(&server, &[p], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(cli::stderr(&o).contains("--platform"), "{}", cli::out(&o));
    assert!(server.take_requests().is_empty());
}

#[test]
fn the_drift_issue_is_opened_updated_and_closed_with_the_tenant() {
    let plans = contoso_plans();
    let server = forge::Server::start();
    // Unrelated open issues and a pull request with the same label: not the drift issue.
    server.add_issue(1, false, &["pimctl-drift"], "someone else's note");
    server.add_issue(
        2,
        true,
        &["pimctl-drift"],
        "<!-- pimctl:drift:examples/contoso -->\na pull request",
    );
    let drift = |plan: &Path| {
        comment(
            &server,
            &[
                plan.to_str().unwrap(),
                "--platform",
                "github",
                "--to",
                "drift-issue",
                "--command",
                "drift",
            ],
            &[],
        )
    };
    let list = "GET /repos/octo/pim/issues?per_page=100&state=open&labels=pimctl-drift";

    ok(&drift(&plans.drift));
    assert_eq!(
        server.take_requests(),
        [list, "POST /repos/octo/pim/issues"]
    );
    let issue = server.with(|f| f.issues[&3].clone());
    assert_eq!(issue.state, "open");
    assert_eq!(issue.labels, ["pimctl-drift"]);
    assert!(
        issue
            .title
            .starts_with("pimctl drift: the tenant differs from examples/contoso (15 changes)")
    );
    assert!(issue.body.starts_with(
        "<!-- pimctl:drift:examples/contoso -->\nThe tenant was changed outside pimctl"
    ));
    assert!(issue.body.contains("[!CAUTION]"), "{}", issue.body);

    // The next night's drift updates the same issue.
    ok(&drift(&plans.drift));
    assert_eq!(
        server.take_requests(),
        [list, "PATCH /repos/octo/pim/issues/3"]
    );
    assert_eq!(server.with(|f| f.issues.len()), 3);

    // Back in line: a comment says so, and the issue is closed as completed.
    ok(&drift(&plans.clean_drift));
    assert_eq!(
        server.take_requests(),
        [
            list,
            "POST /repos/octo/pim/issues/3/comments",
            "PATCH /repos/octo/pim/issues/3"
        ]
    );
    let issue = server.with(|f| f.issues[&3].clone());
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("completed"));
    assert!(
        server.comments_on(3)[0]
            .body
            .contains("matches the declaration")
    );

    // Clean again: nothing open, nothing to do. Drift again: a new issue.
    ok(&drift(&plans.clean_drift));
    assert_eq!(server.take_requests(), [list]);
    ok(&drift(&plans.drift));
    assert_eq!(
        server.take_requests(),
        [list, "POST /repos/octo/pim/issues"]
    );
    assert_eq!(server.with(|f| f.issues[&4].state.clone()), "open");
}

#[test]
fn azure_devops_threads_are_created_once_edited_in_place_and_closed_when_there_is_nothing_to_review()
 {
    let plans = contoso_plans();
    let server = forge::Server::start();
    let ado = |plan: &Path| {
        let mut c = cli::command();
        c.args(["comment", plan.to_str().unwrap()])
            .current_dir(root())
            .env_remove("GITHUB_ACTIONS")
            .env("TF_BUILD", "True")
            .env("SYSTEM_COLLECTIONURI", format!("{}/contoso/", server.url))
            .env("SYSTEM_TEAMPROJECT", "Identity Platform")
            .env(
                "BUILD_REPOSITORY_ID",
                "0b6a3c9e-5d0f-4a55-9a0b-3f1c2d4e5f60",
            )
            .env("SYSTEM_PULLREQUEST_PULLREQUESTID", "12")
            .env("BUILD_BUILDID", "881")
            .env("SYSTEM_ACCESSTOKEN", forge::TOKEN);
        let o = c.output().unwrap();
        assert!(!cli::out(&o).contains(forge::TOKEN));
        o
    };
    let base = "/contoso/Identity%20Project/_apis/git/repositories/0b6a3c9e%2D5d0f%2D4a55%2D9a0b%2D3f1c2d4e5f60/pullRequests/12";
    let base = base.replace("Project", "Platform");
    let q = "?api-version=7.1";

    ok(&ado(&plans.changes));
    assert_eq!(
        server.take_requests(),
        [
            format!("GET {base}/threads{q}"),
            format!("POST {base}/threads{q}")
        ]
    );
    let (id, t) = server.with(|f| {
        f.threads
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .next()
            .unwrap()
    });
    assert_eq!(t.status, "active");
    assert!(t.comments[0].2.starts_with(MARKER));
    assert!(
        t.comments[0].2.contains("[run](http"),
        "{}",
        t.comments[0].2
    );
    assert!(t.comments[0].2.contains("_build/results?buildId=881"));

    // Same plan again: the comment is edited, the thread stays active (no status change sent).
    ok(&ado(&plans.changes));
    assert_eq!(
        server.take_requests(),
        [
            format!("GET {base}/threads{q}"),
            format!("PATCH {base}/threads/{id}/comments/1{q}")
        ]
    );
    // No changes: the comment says so, and the thread is closed.
    ok(&ado(&plans.clean));
    assert_eq!(
        server.take_requests(),
        [
            format!("GET {base}/threads{q}"),
            format!("PATCH {base}/threads/{id}/comments/1{q}"),
            format!("PATCH {base}/threads/{id}{q}"),
        ]
    );
    let t = server.with(|f| f.threads[&id].clone());
    assert_eq!(t.status, "closed");
    assert!(t.comments[0].2.contains("**No changes.**"));
    assert_eq!(server.with(|f| f.threads.len()), 1);
}
