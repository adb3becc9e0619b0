//! `pimctl lint` end to end: the Contoso example declared and live (on the emulator), SARIF against the SARIF 2.1.0
//! schema, `--explain`, the generated `docs/rules.md`, and exit codes.
//!
//! The SARIF schema in `tests/fixtures/sarif-schema-2.1.0.json` is OASIS's (the copy vendored by the `serde-sarif`
//! crate, MIT), unchanged.

use std::path::PathBuf;
mod cli;

const NOW: &str = "2026-11-21T09:00:00Z";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pimctl(args: &[&str]) -> (i32, String, String) {
    pimctl_in(&root(), args)
}

fn pimctl_in(cwd: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = cli::command()
        .args(args)
        .current_dir(cwd)
        .env("PIMCTL_NOW", NOW)
        .output()
        .expect("pimctl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of `examples/contoso` at `examples/contoso` under a scratch directory (so paths read the same), without
/// its waivers, and with `edit` applied to its tenant file.
fn contoso_copy(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("examples/contoso");
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(root().join("examples/contoso")).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap();
        if name == "waivers.yaml" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let text = if name == "tenant.yaml" {
            edit(&text)
        } else {
            text
        };
        std::fs::write(dir.join(name), text).unwrap();
    }
    tmp
}

/// The worked example passes its own lint under the default profile: its departures are waivers with reasons.
#[test]
fn contoso_declared_passes_with_its_waivers() {
    let (code, out, err) = pimctl(&["lint", "examples/contoso"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains("error[") && !out.contains("warning["),
        "{out}"
    );
    insta::assert_snapshot!("contoso-declared-txt", out);
    // Without the waivers, the rule they waive is what remains, and nothing else.
    let tmp = contoso_copy(str::to_string);
    let (_, json, err) = pimctl_in(
        tmp.path(),
        &["lint", "examples/contoso", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let rules: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["PIM024", "PIM027", "PIM070"].into(), "{json}");
}

/// `lint --live` on the emulator reports exactly the drift seeded in `examples/contoso/tenant.yaml` that lint judges:
/// the permanent Global Administrator made in the portal from a synchronized account (drift 1), approval switched
/// off for Privileged Role Administrator (drift 2) and for Tier0-Operators' members (drift 5), and the same
/// synchronized account made an owner of Tier0-Operators, which holds Privileged Role Administrator (drift 6), and
/// Security Administrator's access review deleted in the portal (drift 7; its other reviews were all answered, so
/// PIM070's live half finds none unanswered). Each is a live finding the declaration fixes.
#[test]
fn contoso_live_on_the_emulator_shows_exactly_the_seeded_drift() {
    let (code, out, err) = pimctl(&["lint", "examples/contoso", "--live", "--emulator"]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("contoso-live-txt", out);
    let (_, json, _) = pimctl(&[
        "lint",
        "examples/contoso",
        "--live",
        "--emulator",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let found: std::collections::BTreeSet<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["half"], "live", "{f}");
            assert_eq!(f["fixed_by_declaration"], true, "{f}");
            format!(
                "{} {} {}",
                f["rule"].as_str().unwrap(),
                f["role"].as_str().unwrap_or("-"),
                f["principal"].as_str().unwrap_or("-")
            )
        })
        .collect();
    let seeded: std::collections::BTreeSet<String> = [
        "PIM012 Global Administrator yusuf.portal@contoso.com",
        "PIM012 Privileged Role Administrator yusuf.portal@contoso.com",
        "PIM020 Global Administrator yusuf.portal@contoso.com",
        "PIM024 Tier0-Operators (member) -",
        "PIM025 Tier0-Operators (owner) yusuf.portal@contoso.com",
        "PIM026 Tier0-Operators (owner) yusuf.portal@contoso.com",
        "PIM030 Privileged Role Administrator -",
        "PIM070 Security Administrator -",
        // Azure drift A: a permanent Owner of Contoso Prod made in the portal.
        "PIM110 Owner @ /subscriptions/c0150000-0000-4000-8000-000000000001 yusuf.portal@contoso.com",
    ]
    .map(String::from)
    .into();
    assert_eq!(found, seeded, "{json}");
    insta::assert_snapshot!("contoso-live-json", json);
}

/// JSON keeps one result per finding; text gathers a rule's findings about one role into one block that lists every
/// principal, each once. Contoso with its administrators synchronized from on-premises gives many.
#[test]
fn text_groups_a_rules_findings_by_role_and_json_keeps_each() {
    let tmp = contoso_copy(|t| {
        t.lines()
            .map(|l| {
                if l.starts_with("  - {upn: ")
                    && l.contains("@contoso.com,")
                    && !l.contains("on_premises_sync")
                {
                    l.replacen('}', ", on_premises_sync: true}", 1)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    let args = ["lint", "examples/contoso", "--live", "--emulator"];
    let (code, out, err) = pimctl_in(tmp.path(), &args);
    assert_eq!(code, 1, "{err}");
    let (_, json, _) = pimctl_in(tmp.path(), &[&args[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let pim012: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "PIM012")
        .collect();
    let blocks = out.matches("error[PIM012]").count();
    let roles: std::collections::BTreeSet<(&str, Option<bool>)> = pim012
        .iter()
        .map(|f| {
            (
                f["role"].as_str().unwrap(),
                f["fixed_by_declaration"].as_bool(),
            )
        })
        .collect();
    assert_eq!(blocks, roles.len(), "one block per role and verdict");
    assert!(
        blocks > 5 && blocks < pim012.len(),
        "{blocks} blocks for {} findings",
        pim012.len()
    );
    for f in &pim012 {
        let m = f["message"].as_str().unwrap();
        let shown = out
            .lines()
            .filter(|l| {
                l.trim_start().trim_start_matches("- ") == m || l.ends_with(&format!("]: {m}"))
            })
            .count();
        assert_eq!(shown, 1, "{m}");
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_is_valid_and_located_in_the_yaml() {
    let validator = sarif_validator();
    // Without its waivers, so that the declared half has findings to locate.
    let tmp = contoso_copy(str::to_string);
    for live in [false, true] {
        let mut args = vec!["lint", "examples/contoso", "--format", "sarif"];
        if live {
            args.extend(["--live", "--emulator"]);
        }
        let (code, out, err) = pimctl_in(tmp.path(), &args);
        // Declared: PIM070's warnings and PIM024's errors (two groups not under PIM for Groups); live: the seeded
        // drift's errors too.
        assert_eq!(code, 1, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");
        let results = v["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
            assert!(
                uri.starts_with("examples/contoso/") && uri.ends_with(".yaml"),
                "{uri}"
            );
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
            let id = r["ruleId"].as_str().unwrap();
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][index]["id"], id);
        }
        if !live {
            insta::assert_snapshot!("contoso-declared-sarif", out);
        }
    }
}

/// The first result's `artifactLocation`, linting `path` from `cwd` with `extra` arguments and environment.
fn first_sarif_location(
    cwd: &std::path::Path,
    path: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let mut c = cli::command();
    c.args(["lint", path, "--format", "sarif"])
        .args(extra)
        .current_dir(cwd)
        .env("PIMCTL_NOW", NOW)
        .env_remove("GITHUB_WORKSPACE");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("pimctl runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].clone()
}

#[test]
fn sarif_paths_are_relative_to_the_repository_root_as_code_scanning_expects() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let policies = repo.join("infra/policies");
    std::fs::create_dir_all(&policies).unwrap();
    for f in std::fs::read_dir(root().join("examples/contoso")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "yaml")
            && !f.ends_with("tenant.yaml")
            && !f.ends_with("waivers.yaml")
        {
            std::fs::copy(&f, policies.join(f.file_name().unwrap())).unwrap();
        }
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let under = |loc: &serde_json::Value, prefix: &str| {
        let uri = loc["uri"].as_str().unwrap_or_default().to_string();
        assert!(uri.starts_with(prefix) && uri.ends_with(".yaml"), "{loc}");
        assert_eq!(loc["uriBaseId"], "%SRCROOT%", "{loc}");
    };
    // Typed relative to a subdirectory, reported relative to the root GitHub checked out.
    let ws = repo.to_str().unwrap();
    under(
        &first_sarif_location(&policies, ".", &[], &[("GITHUB_WORKSPACE", ws)]),
        "infra/policies/",
    );
    under(
        &first_sarif_location(
            &repo.join("infra"),
            "policies",
            &[],
            &[("GITHUB_WORKSPACE", ws)],
        ),
        "infra/policies/",
    );
    // --sarif-root wins over the environment.
    under(
        &first_sarif_location(
            &repo,
            "infra/policies",
            &["--sarif-root", "infra"],
            &[("GITHUB_WORKSPACE", ws)],
        ),
        "policies/",
    );
    // Outside GitHub, git's top level (when git is here to ask).
    if git(&["init", "-q"]) {
        under(
            &first_sarif_location(&policies, ".", &[], &[]),
            "infra/policies/",
        );
    }
    // A root the files are not under: absolute file URIs, still a location code scanning can read.
    let loc = first_sarif_location(
        &repo,
        "infra/policies",
        &[
            "--sarif-root",
            tmp.path().join("elsewhere").to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        loc["uri"].as_str().unwrap().starts_with("file:///"),
        "{loc}"
    );
    assert!(loc.get("uriBaseId").is_none(), "{loc}");
}

#[test]
fn a_sarif_log_with_a_broken_result_is_refused_by_the_schema() {
    // The validator is not vacuous: a result whose level is not a SARIF level fails.
    let tmp = contoso_copy(str::to_string);
    let (_, out, _) = pimctl_in(
        tmp.path(),
        &["lint", "examples/contoso", "--format", "sarif"],
    );
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_validator().is_valid(&v));
}

#[test]
fn published_rules_md_is_current() {
    let published = std::fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md");
    assert!(
        published == pimctl::lint::docs::markdown(),
        "docs/rules.md is stale; run `cargo run -- lint --rules-markdown > docs/rules.md`"
    );
}

#[test]
fn explain_prints_a_rule_and_lists_them_all() {
    let (code, out, _) = pimctl(&["lint", "--explain", "PIM030"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain-pim030", out);
    let (code, out, _) = pimctl(&["lint", "--explain"]);
    assert_eq!(code, 0);
    for r in pimctl::lint::rules::ALL {
        assert!(
            out.contains(r.meta.id),
            "{} missing from the list",
            r.meta.id
        );
    }
    let (code, _, err) = pimctl(&["lint", "--explain", "PIM999"]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule `PIM999`"), "{err}");
}

#[test]
fn exit_codes_follow_the_fail_level_and_tool_failures_exit_2() {
    // Contoso has warnings and errors: with the fail level above them all... there is none above error, so a clean
    // fixture checks 0.
    let (code, out, err) = pimctl(&["lint", "tests/lint/clean.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no findings"), "{out}");
    let (code, _, err) = pimctl(&["lint", "tests/invalid/E0110-unknown-key-top-level.yaml"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = pimctl(&["lint", "tests/lint/warnings-only.yaml"]);
    assert_eq!(code, 0);
    let (code, _, _) = pimctl(&[
        "lint",
        "tests/lint/warnings-only.yaml",
        "--fail-level",
        "warning",
    ]);
    assert_eq!(code, 1);
    // A usage error is pimctl failing, not a finding: CI must not read it as "findings at the fail level".
    let (code, out, err) = pimctl(&["lint", "examples/contoso", "--fail-level", "fatal"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--fail-level") && out.is_empty(), "{err}");
    let (code, _, err) = pimctl(&["-v", "validate", "--format", "sarif"]);
    assert_eq!(code, 2, "{err}");
    // Help is not an error.
    let (code, out, _) = pimctl(&["lint", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--fail-level"), "{out}");
}

/// PIM099 on Contoso's tenant with its subscriptions changed: `skus` replaces the seed's `subscribed_skus` list.
fn pim099(skus: &str) -> Vec<(String, String)> {
    let tmp = contoso_copy(|t| {
        let start = t
            .find("subscribed_skus:\n")
            .expect("Contoso seeds its licences");
        let end = start + t[start..].find("\n\n").unwrap();
        format!("{}{skus}{}", &t[..start], &t[end..])
    });
    let (_, json, err) = pimctl_in(
        tmp.path(),
        &[
            "lint",
            "examples/contoso",
            "--live",
            "--emulator",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "PIM099")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The licence PIM depends on: none in effect is an error; fewer assigned seats than the eligible users, approvers
/// and reviewers pimctl manages is a warning with both numbers. Plans are found by service plan (id or name), in
/// any product.
#[test]
fn pim099_reports_a_missing_licence_and_too_few_seats() {
    const P2: &str = "{name: AAD_PREMIUM_P2, id: eec0eb4f-6444-4f95-aba0-50c24d67f998}";
    // No subscription at all; P1 only; P2 suspended; P2's plan switched off: no licence in effect.
    for skus in [
        "subscribed_skus: []".to_string(),
        "subscribed_skus: [{sku_part_number: AAD_PREMIUM, enabled: 50, consumed: 40, service_plans: [{name: AAD_PREMIUM}]}]".into(),
        format!("subscribed_skus: [{{sku_part_number: AAD_PREMIUM_P2, enabled: 50, consumed: 40, capability_status: Suspended, service_plans: [{P2}]}}]"),
        "subscribed_skus: [{sku_part_number: AAD_PREMIUM_P2, enabled: 50, consumed: 40, service_plans: [{name: AAD_PREMIUM_P2, status: Disabled}]}]".into(),
    ] {
        let found = pim099(&skus);
        assert_eq!(found.len(), 1, "{skus}: {found:?}");
        assert_eq!(found[0].0, "error", "{skus}");
        assert!(found[0].1.contains("no Microsoft Entra ID P2 or ID Governance licence in effect"), "{found:?}");
    }
    // Too few seats: both numbers. Contoso manages 19 users who need one (eligible, approvers, reviewers).
    let found = pim099(&format!(
        "subscribed_skus: [{{sku_part_number: AAD_PREMIUM_P2, enabled: 25, consumed: 12, service_plans: [{P2}]}}]"
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "warning");
    assert!(
        found[0]
            .1
            .starts_with("19 eligible users, approvers and reviewers need a PIM licence")
            && found[0]
                .1
                .contains("and 12 seats of AAD_PREMIUM_P2 (AAD_PREMIUM_P2) are assigned"),
        "{found:?}"
    );
    // A suite that carries P2 (by the plan's id, whatever its name), or ID Governance (by name), in its grace
    // period: in effect, and enough seats across both.
    let found = pim099(
        "subscribed_skus:\n  - {sku_part_number: SPE_E5, enabled: 10, consumed: 10, service_plans: [{name: EXCHANGE_S_ENTERPRISE}, {name: renamed, id: eec0eb4f-6444-4f95-aba0-50c24d67f998}]}\n  - {sku_part_number: Microsoft_Entra_ID_Governance, enabled: 10, consumed: 9, capability_status: Warning, service_plans: [{name: Entra_Identity_Governance}]}",
    );
    assert!(found.is_empty(), "{found:?}");
    // Exactly as many seats as people: nothing to report.
    let found = pim099(&format!(
        "subscribed_skus: [{{sku_part_number: AAD_PREMIUM_P2, enabled: 19, consumed: 19, service_plans: [{P2}]}}]"
    ));
    assert!(found.is_empty(), "{found:?}");
}
