//! `pimctl apply` as users run it: the full loop on the emulator (plan, apply the saved plan, plan again), a stale
//! plan refused, and no confirmation without a terminal.

mod cli;
use cli::{command, out, pimctl};

#[test]
fn plan_apply_plan_converges_and_a_used_plan_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let plan = dir.path().join("plan.json");
    let log = dir.path().join("audit.json");
    let (state, plan, log) = (
        state.to_str().unwrap(),
        plan.to_str().unwrap(),
        log.to_str().unwrap(),
    );
    let tenant = ["--emulator", "--emulator-state", state];

    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--out", plan][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    let o = pimctl(&[&["apply", plan, "--log", log][..], &tenant[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("[6/15] update_rule Privileged Role Administrator: applied"),
        "{text}"
    );
    assert!(
        text.contains("Apply complete: 15 applied, 0 already in state, 0 failed, 0 skipped."),
        "{text}"
    );
    let audit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(log).unwrap()).unwrap();
    assert_eq!(audit["changes"].as_array().unwrap().len(), 15);
    // Without --policies, the plan was checked against the policy files it recorded.
    assert_eq!(
        audit["policy_check"],
        "the 8 policy files the plan recorded"
    );
    assert_eq!(
        audit["changes"][12]["sent"][0]["body"]["action"],
        "adminRemove"
    );
    // The group's write is in the record as sent: PIM for Groups' request, for the owner.
    let owner = &audit["changes"][14]["sent"][0];
    assert_eq!(
        owner["path"],
        "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
    );
    assert_eq!(
        (&owner["body"]["action"], &owner["body"]["accessId"]),
        (&"adminRemove".into(), &"owner".into())
    );
    // The access reviews' writes are in the record too: the deleted one posted again, the changed one put whole.
    let review_writes: Vec<&str> = audit["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["sent"].as_array().unwrap())
        .filter(|s| {
            s["path"]
                .as_str()
                .unwrap()
                .starts_with("/identityGovernance/accessReviews/definitions")
        })
        .map(|s| s["method"].as_str().unwrap())
        .collect();
    assert_eq!(review_writes.len(), 2, "{audit:#}");
    assert!(review_writes.contains(&"POST") && review_writes.contains(&"PUT"));

    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--detailed-exitcode"][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "no changes left: {}", out(&o));

    // The saved plan describes a tenant that no longer exists.
    let o = pimctl(&[&["apply", plan][..], &tenant[..]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("the tenant changed since this plan was made; nothing was applied"),
        "{}",
        out(&o)
    );
    // Each changed object is named with the change the reviewer approved for it.
    assert!(
        out(&o).contains("is gone (for: remove Global Administrator yusuf.portal@contoso.com)"),
        "{}",
        out(&o)
    );
}

#[test]
fn policies_to_check_go_with_a_saved_plan_only() {
    let o = pimctl(&[
        "apply",
        "examples/contoso",
        "--policies",
        "tests/valid",
        "--emulator",
        "examples/contoso/tenant.yaml",
        "--auto-approve",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("goes with a saved plan"), "{}", out(&o));
    assert!(!out(&o).contains("applied"), "{}", out(&o));
}

#[test]
fn without_a_terminal_apply_needs_auto_approve() {
    // With the emulator's request log on (-vv): the tenant is read, and nothing is written.
    let o = pimctl(&["apply", "examples/contoso", "--emulator", "-vv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("no terminal to confirm on"), "{}", out(&o));
    assert!(!out(&o).contains(": applied"), "{}", out(&o));
    let requests: Vec<&str> = std::str::from_utf8(&o.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.contains("pimctl::emulator") && l.contains("graph request"))
        .collect();
    assert!(!requests.is_empty(), "the request log is on");
    assert!(
        requests
            .iter()
            .all(|l| l.contains("method=GET") || l.ends_with("path=/v1.0/$batch")),
        "only reads (lookups go in a $batch of GETs): {requests:#?}"
    );

    let o = pimctl(&["apply", "examples/contoso", "--emulator", "--auto-approve"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("Apply complete: 15 applied"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_plan_from_changed_policies_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let plan = plan.to_str().unwrap();
    let o = pimctl(&["plan", "examples/contoso", "--emulator", "--out", plan]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The same plan checked against other policies.
    let other = dir.path().join("policies");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("p.yaml"), "version: pimctl/v1\n").unwrap();
    std::fs::copy("examples/contoso/tenant.yaml", other.join("tenant.yaml")).unwrap();
    let o = pimctl(&[
        "apply",
        plan,
        "--policies",
        other.to_str().unwrap(),
        "--emulator",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("changed since this plan was made"),
        "{}",
        out(&o)
    );
}

#[test]
fn the_same_policies_spelt_another_way_are_the_same_policies() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let plan = dir.path().join("plan.json");
    let (state, plan) = (state.to_str().unwrap(), plan.to_str().unwrap());
    let tenant = [
        "--emulator",
        "examples/contoso/tenant.yaml",
        "--emulator-state",
        state,
    ];
    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--out", plan][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The policies the plan was made from, as another path to the same files, with a comment added to one.
    let copy = dir.path().join("policies");
    std::fs::create_dir(&copy).unwrap();
    for f in std::fs::read_dir("examples/contoso").unwrap() {
        let f = f.unwrap().path();
        let mut text = std::fs::read_to_string(&f).unwrap();
        text.insert_str(0, "# reviewed in PR 42\n");
        std::fs::write(copy.join(f.file_name().unwrap()), text).unwrap();
    }
    let policies = format!("{}/./", copy.display());
    let o = pimctl(&[&["apply", plan, "--policies", &policies][..], &tenant[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("Apply complete: 15 applied"),
        "{}",
        out(&o)
    );
}

#[test]
fn an_edited_plan_that_writes_another_object_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let plan = dir.path().join("plan.json");
    let edited = dir.path().join("edited.json");
    let (state, plan, edited) = (
        state.to_str().unwrap(),
        plan.to_str().unwrap(),
        edited.to_str().unwrap(),
    );
    let tenant = ["--emulator", "--emulator-state", state];
    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--out", plan][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    // The removal of yusuf's permanent Global Administrator is pointed at a break-glass account, and the
    // protected list emptied: the fingerprints, the change's key and its label still say yusuf.
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap();
    let bg = p["protected"][0].as_str().unwrap().to_string();
    let removal = p["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["action"] == "remove")
        .unwrap();
    removal["operations"][0]["body"]["principalId"] = bg.clone().into();
    p["protected"] = serde_json::json!([]);
    std::fs::write(edited, p.to_string()).unwrap();

    let o = pimctl(&[&["apply", edited][..], &tenant[..]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("the plan file was edited") && out(&o).contains(&bg),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains(": applied"), "{}", out(&o));
    // Nothing was written: the original plan still applies.
    let o = pimctl(&[&["apply", plan][..], &tenant[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("Apply complete: 15 applied"),
        "{}",
        out(&o)
    );
}

#[test]
fn an_audit_record_that_cannot_be_written_stops_apply_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let state = state.to_str().unwrap();
    let tenant = ["--emulator", "--emulator-state", state];
    for log in [
        dir.path().join("no-such-dir").join("audit.json"),
        dir.path().to_path_buf(),
    ] {
        let o = pimctl(
            &[
                &["apply", "examples/contoso", "--auto-approve", "--log"][..],
                &[log.to_str().unwrap()][..],
                &tenant[..],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        assert!(
            out(&o).contains("cannot write the audit record") && !out(&o).contains(": applied"),
            "{}",
            out(&o)
        );
    }
    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--detailed-exitcode"][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "the changes are still pending: {}",
        out(&o)
    );
}

#[test]
fn a_missing_or_foreign_plan_file_is_named_as_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("plna.json");
    let o = pimctl(&[
        "apply",
        missing.to_str().unwrap(),
        "--emulator",
        "examples/contoso/tenant.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("cannot read")
            && out(&o).contains("plna.json")
            && !out(&o).contains("policy"),
        "{}",
        out(&o)
    );
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"name\": \"not a plan\"}").unwrap();
    let o = pimctl(&[
        "apply",
        other.to_str().unwrap(),
        "--emulator",
        "examples/contoso/tenant.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("is not a plan file"), "{}", out(&o));
}

#[test]
fn an_emulator_state_that_cannot_be_saved_is_refused_before_apply() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("no-such-dir").join("tenant.json");
    let o = pimctl(&[
        "apply",
        "examples/contoso",
        "--auto-approve",
        "--emulator",
        "--emulator-state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("--emulator-state needs a file in an existing directory")
            && !out(&o).contains(": applied"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_saved_plan_is_checked_against_its_recorded_policies_unless_explicitly_unsafe() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let plan = dir.path().join("plan.json");
    let log = dir.path().join("audit.json");
    let (state, plan, log) = (
        state.to_str().unwrap(),
        plan.to_str().unwrap(),
        log.to_str().unwrap(),
    );
    let tenant = ["--emulator", "--emulator-state", state];
    let o = pimctl(
        &[
            &["plan", "examples/contoso", "--out", plan][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    // From another directory the recorded paths (relative to where plan ran) are not there: refused, nothing sent.
    let elsewhere = |extra: &[&str]| {
        command()
            .current_dir(dir.path())
            .args([&["apply", plan][..], &tenant[..], extra].concat())
            .output()
            .expect("pimctl runs")
    };
    let o = elsewhere(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains(
            "cannot find the policy files the plan was made from: examples/contoso/azure.yaml, examples/contoso/groups.yaml"
        ) && out(&o).contains("nothing was applied"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains(": applied"), "{}", out(&o));

    // The explicit, unsafe way round it applies, says so, and the audit record keeps it.
    // (The emulator's tenant file is named: no policy directory is at hand to find it beside.)
    let seed = std::fs::canonicalize("examples/contoso/tenant.yaml").unwrap();
    let o = command()
        .current_dir(dir.path())
        .args([
            "apply",
            plan,
            "--no-policy-check",
            "--log",
            log,
            "--emulator",
            seed.to_str().unwrap(),
            "--emulator-state",
            state,
        ])
        .output()
        .expect("pimctl runs");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("warning: --no-policy-check"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("Apply complete: 15 applied"),
        "{}",
        out(&o)
    );
    let audit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(log).unwrap()).unwrap();
    assert_eq!(audit["policy_check"], "skipped (--no-policy-check, unsafe)");
}
