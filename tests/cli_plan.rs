//! `pimctl plan` and `pimctl drift` as users run them: the binary, the in-process emulator, exit codes, stdout
//! carrying only the requested output, saved plans, and the full plan of Contoso on a fresh tenant (snapshots).

use std::path::Path;
mod cli;
use cli::{pimctl, stderr, stdout};
use std::process::{Command, Output};

const NOW: &str = "2026-11-21T09:00:00Z";
const FRESH: &str = "tests/fixtures/tenants/fresh.yaml";

/// The emulator listens on a random port; snapshots name it `<emulator>`.
fn stable(text: &str) -> String {
    let re_start = "http://127.0.0.1:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(re_start) {
        out.push_str(&rest[..i]);
        let after = &rest[i + re_start.len()..];
        // The Graph root (`…/v1.0`), or the ARM root (the port and `/`).
        let port = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let end = if after[port..].starts_with("/v1.0") {
            port + "/v1.0".len()
        } else {
            port + usize::from(after[port..].starts_with('/'))
        };
        out.push_str("<emulator>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A copy of a flat directory at `to`.
fn copy_of(from: &str, to: &Path) -> std::path::PathBuf {
    std::fs::create_dir(to).unwrap();
    for f in std::fs::read_dir(from).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
    }
    to.to_path_buf()
}

/// `pimctl plan` of one policy file, written to a temporary directory, against the fresh tenant.
fn plan_on_fresh(policies: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies.yaml", policies);
    pimctl(&[
        "plan",
        dir.path().to_str().unwrap(),
        "--emulator",
        FRESH,
        "--now",
        NOW,
    ])
}

#[test]
fn the_readme_command_prints_the_contoso_drift_and_exits_0() {
    let o = pimctl(&["plan", "examples/contoso", "--emulator", "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("~ rule Approval_EndUser_Assignment"),
        "{text}"
    );
    assert!(
        text.contains("+ eligible  mallory.contractor@contoso.com  until 2027-02-28"),
        "{text}"
    );
    assert!(
        text.contains("- active  yusuf.portal@contoso.com  (permanent)"),
        "{text}"
    );
    assert!(
        text.contains("bob.secops@contoso.com: activated until 10:15 UTC"),
        "{text}"
    );
    // The group drifts, under the group, with member and owner visible.
    assert!(
        text.contains("Group Tier0-Operators · member\n  ~ rule Approval_EndUser_Assignment"),
        "{text}"
    );
    assert!(
        text.contains(
            "Group Tier0-Operators · owner\n  - active  yusuf.portal@contoso.com  (permanent)"
        ),
        "{text}"
    );
    // The access review drifts: Security Administrator's, deleted in the portal, is created again; Exchange
    // Administrator's, switched to approve the members nobody reviewed, is put back to its declared decision.
    assert!(
        text.contains(
            "Security Administrator\n  + access review  (strengthens: access review added"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "~ access review  (strengthens: review default decision: approve → none · CIS 5.3.3, MSL-RBAC-BP4)\n      access_review.default_decision: approve → none"
        ),
        "{text}"
    );
    // Azure: the Owner of Contoso Prod made in the portal is removed, and app-rg, redeployed, gets its declared
    // Contributor policy and eligibilities back; grouped by scope, after the directory roles and groups.
    assert!(
        text.contains(
            "Owner @ /subscriptions/c0150000-0000-4000-8000-000000000001\n  - active  yusuf.portal@contoso.com  (permanent)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Contributor @ /subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg\n  ~ rule Expiration_EndUser_Assignment"
        ),
        "{text}"
    );
    assert!(
        text.contains("+ eligible  trent.apps@contoso.com  until 2027-06-30\n      # declared but missing (examples/contoso/azure.yaml:"),
        "{text}"
    );
    assert!(text.ends_with(
        "Plan: 7 rule updates, 4 to create, 1 to update, 0 to convert, 3 to remove. Posture: 1 weaken, 12 strengthen, 2 neutral.\n"
    ), "{text}");
}

#[test]
fn json_on_stdout_is_only_json_and_detailed_exitcode_says_changes() {
    let o = pimctl(&[
        "plan",
        "examples/contoso",
        "--emulator",
        "--now",
        NOW,
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    assert_eq!(v["format_version"], pimctl::plan::FORMAT_VERSION);
    assert_eq!(v["read_at"], NOW);
    assert_eq!(v["summary"]["creates"], 4);
    assert_eq!(v["changes"].as_array().unwrap().len(), 15);
}

#[test]
fn a_saved_plan_records_what_it_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.json");
    let o = pimctl(&[
        "plan",
        "examples/contoso",
        "--emulator",
        "--now",
        NOW,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("Saved the plan to"));
    let saved: pimctl::plan::Plan =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(saved.tool_version, env!("CARGO_PKG_VERSION"));
    assert!(saved.desired_digest.starts_with("sha256:"));
    assert_eq!(saved.fingerprints.len(), 15, "{:?}", saved.fingerprints);
    assert!(saved.changes.iter().all(|c| !c.operations.is_empty()));
}

#[test]
fn drift_exits_2_and_fails_on_weakening_drift() {
    let o = pimctl(&["drift", "examples/contoso", "--emulator", "--now", NOW]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = pimctl(&[
        "drift",
        "examples/contoso",
        "--emulator",
        "--now",
        NOW,
        "--fail-on",
        "weakening",
        "--format",
        "markdown",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.contains("Drift"), "{md}");
}

#[test]
fn no_drift_exits_0_and_drift_that_only_strengthens_passes_fail_on_weakening() {
    let dir = tempfile::tempdir().unwrap();
    // The fresh tenant has nobody eligible for Global Reader; declaring nobody is no drift.
    write(
        dir.path(),
        "policies.yaml",
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible: []\n",
    );
    let p = dir.path().to_str().unwrap();
    let o = pimctl(&["drift", p, "--emulator", FRESH, "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("No changes."), "{}", stdout(&o));

    // Declaring someone the tenant lacks: the tenant has less access than declared, which is not weaker.
    write(
        dir.path(),
        "policies.yaml",
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      - user: ivan.audit@contoso.com\n",
    );
    let o = pimctl(&[
        "drift",
        p,
        "--emulator",
        FRESH,
        "--now",
        NOW,
        "--fail-on",
        "weakening",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = pimctl(&["drift", p, "--emulator", FRESH, "--now", NOW]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_declaration_with_errors_reads_nothing_and_exits_1() {
    let o = plan_on_fresh(
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      - usr: ivan.audit@contoso.com\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("policies.yaml:5"), "{err}");
    assert!(err.contains("nothing was read from the tenant"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_missing_tenant_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies.yaml", "version: pimctl/v1\n");
    let o = pimctl(&["plan", dir.path().to_str().unwrap(), "--emulator"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("tenant.yaml: no such tenant file for --emulator"),
        "{}",
        stderr(&o)
    );
    // Missing policies are named as such, not as a tenant file looked for beside them.
    let missing = dir.path().join("polices");
    for command in ["plan", "lint"] {
        let o = pimctl(&[command, missing.to_str().unwrap(), "--emulator"]);
        assert_ne!(o.status.code(), Some(0));
        assert!(
            stderr(&o).contains("polices: no such policy file or directory")
                && !stderr(&o).contains("tenant file"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn an_unknown_principal_fails_the_plan_at_its_yaml_location() {
    let o = plan_on_fresh(
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      - user: ivan.audti@contoso.com\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("user 'ivan.audti@contoso.com' does not exist in the tenant"),
        "{text}"
    );
    assert!(text.contains("policies.yaml:5:9"), "{text}");
    assert!(text.contains("nothing would be changed"), "{text}");
}

#[test]
fn base_tells_drift_from_the_change_under_review() {
    let dir = tempfile::tempdir().unwrap();
    let base = copy_of("examples/contoso", &dir.path().join("base"));
    let head = copy_of("examples/contoso", &dir.path().join("head"));
    // The change under review: Global Reader activations may last 2 hours instead of 4.
    let tier2 = std::fs::read_to_string(head.join("tier2.yaml")).unwrap();
    std::fs::write(
        head.join("tier2.yaml"),
        tier2.replace("max_duration: 4h", "max_duration: 2h"),
    )
    .unwrap();
    let o = pimctl(&[
        "plan",
        head.to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
        "--emulator",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["drift"], 15, "{v:#}");
    assert_eq!(v["summary"]["declared"], 1, "{v:#}");
    let declared: Vec<&serde_json::Value> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cause"] == "declared")
        .collect();
    assert_eq!(declared[0]["role_name"], "Global Reader");
    assert_eq!(declared[0]["fields"][0]["field"], "activation.max_duration");
}

#[test]
fn the_full_plan_of_contoso_on_a_fresh_tenant() {
    for (format, ext) in [("text", "txt"), ("markdown", "md"), ("json", "json")] {
        let o = pimctl(&[
            "plan",
            "examples/contoso",
            "--emulator",
            FRESH,
            "--now",
            NOW,
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        insta::assert_snapshot!(format!("fresh-contoso-{ext}"), stable(&stdout(&o)));
    }
}

#[test]
fn usage_errors_exit_1_so_that_2_always_means_changes() {
    let o = pimctl(&["plan", "--no-such-option"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--no-such-option"));
    let o = pimctl(&["plan", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("--detailed-exitcode"));
    // `--out -` would have saved a file named `-`: the plan on stdout is `--format json`.
    let o = pimctl(&["plan", "examples/contoso", "--emulator", "--out", "-"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("use --format json"), "{}", stderr(&o));
    assert!(!std::path::Path::new("-").exists());
}

#[test]
fn logs_into_a_pipe_carry_no_colour_codes() {
    let o = Command::new(env!("CARGO_BIN_EXE_pimctl"))
        .args(["-v", "plan", "examples/contoso", "--emulator"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("PIMCTL_NOW")
        .output()
        .expect("pimctl runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("INFO"), "the log is on: {}", stderr(&o));
    assert!(!stderr(&o).contains('\x1b'), "{:?}", stderr(&o));
}

/// An end that moved within a day reads apart in every format: the days alone would say
/// "2027-05-10 in the tenant, 2027-05-10 declared". Ends a second apart read to the second; the same instant
/// (a declared timestamp the tenant holds with a fraction of a second more) is no change.
#[test]
fn an_end_moved_within_a_day_reads_to_the_second_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let seed = format!(
        "{}\neligible:\n{}{}{}",
        std::fs::read_to_string(FRESH).unwrap(),
        "  - {role: Helpdesk Administrator, user: dave.helpdesk@contoso.com, until: 2027-05-10T00:00:00Z}\n",
        "  - {role: Helpdesk Administrator, user: peggy.helpdesk@contoso.com, until: 2027-05-10T12:30:15Z}\n",
        "  - {role: Helpdesk Administrator, user: judy.reader@contoso.com, until: 2027-05-10T12:30:00.400Z}\n",
    );
    write(dir.path(), "tenant.yaml", &seed);
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    write(
        &policies,
        "roles.yaml",
        "version: pimctl/v1\ndirectory_roles:\n  Helpdesk Administrator:\n    eligible:\n\
         \x20     - {user: dave.helpdesk@contoso.com, until: 2027-05-10}\n\
         \x20     - {user: peggy.helpdesk@contoso.com, until: 2027-05-10T12:30:00Z}\n\
         \x20     - {user: judy.reader@contoso.com, until: 2027-05-10T12:30:00Z}\n",
    );
    let plan = |format: &str| {
        let o = pimctl(&[
            "plan",
            policies.to_str().unwrap(),
            "--emulator",
            dir.path().join("tenant.yaml").to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let dave =
        "end date differs: 2027-05-10 00:00:00 UTC in the tenant, 2027-05-10 23:59:59 UTC declared";
    let peggy =
        "end date differs: 2027-05-10 12:30:15 UTC in the tenant, 2027-05-10 12:30:00 UTC declared";

    let v: serde_json::Value = serde_json::from_str(&plan("json")).unwrap();
    let reasons: Vec<(&str, &str)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["principal"]["label"].as_str().unwrap_or("-"),
                c["reason"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("peggy.helpdesk@contoso.com", peggy),
            ("dave.helpdesk@contoso.com", dave)
        ],
        "judy's end is the same instant: no change"
    );

    let text = plan("text");
    assert!(
        text.contains("~ eligible  dave.helpdesk@contoso.com  2027-05-10 00:00:00 UTC → 2027-05-10 23:59:59 UTC"),
        "{text}"
    );
    assert!(text.contains(&format!("# {dave}")), "{text}");
    assert!(text.contains(&format!("# {peggy}")), "{text}");
    assert!(!text.contains("judy"), "{text}");

    let md = plan("markdown");
    assert!(
        md.contains("| End | 2027-05-10 12:30:15 UTC | 2027-05-10 12:30:00 UTC |"),
        "{md}"
    );
    assert!(md.contains(&format!("- Reason: {dave}")), "{md}");
    assert!(md.contains(&format!("- Reason: {peggy}")), "{md}");
}
