//! Every rule against its fixtures: `tests/lint/declared/<RULE>-{pass,fail}.yaml` for the declared half, and
//! `tests/lint/live/<RULE>-{pass,fail}/` (see its README) for the live half, linted on the emulator. A failing
//! fixture must produce a finding of its rule (the findings are snapshotted), a passing one none. Every rule has
//! both, for each half it reads. Then: the profiles' Global Administrator bounds at their edges, and the `lint:`
//! block's waivers.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test lint_rules`, then read every changed `.snap`.

mod planning;

use pimctl::language::{self, LoadOptions};
use pimctl::lint::{self, Half, LiveInput, Notifications, Options, Profile, Reads, Report};
use pimctl::model::DesiredState;
use planning::{Setup, client, emulator_from_yaml, fresh_with};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-21T09:00:00Z";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> DesiredState {
    language::load(path, &LoadOptions { now: now() })
        .ok()
        .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.render_text(false)))
}

/// The findings of one rule in one half, as text (no excerpts: the snapshot names file and line).
fn of_rule(report: &Report, rule: &str, half: Half) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.half == half)
        .map(|f| {
            let at = f.location.as_ref().map_or(String::new(), |l| {
                format!(
                    " @ {}:{} {}",
                    l.file.strip_prefix(root()).unwrap_or(&l.file).display(),
                    l.line,
                    l.path
                )
            });
            let fixed = match f.fixed_by_declaration {
                Some(true) => " [the declaration would fix it]",
                Some(false) => " [the declaration would not fix it]",
                None => "",
            };
            format!(
                "{} {}: {}{at}{fixed}",
                f.severity.as_str(),
                f.rule,
                f.message
            )
        })
        .collect()
}

/// `(rule, pass or fail, path)` of every fixture in a directory.
fn fixtures(dir: &str) -> Vec<(String, bool, PathBuf, String)> {
    let mut out: Vec<_> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let stem = name.strip_suffix(".yaml").unwrap_or(&name).to_string();
            let (rule, rest) = stem.split_once('-')?;
            rule.starts_with("PIM").then(|| {
                (
                    rule.to_string(),
                    rest.starts_with("pass"),
                    p.clone(),
                    stem.clone(),
                )
            })
        })
        .collect();
    out.sort();
    out
}

fn options(name: &str) -> Options {
    Options {
        profile: Profile::Cisa,
        notifications: if name.contains("lenient") {
            Notifications::Lenient
        } else {
            Notifications::Strict
        },
    }
}

#[test]
fn declared_fixtures() {
    let cases = fixtures("tests/lint/declared");
    for (rule, pass, path, name) in &cases {
        let d = load(path);
        let report = lint::lint(&d, None, now(), options(name));
        let found = of_rule(&report, rule, Half::Declared);
        if *pass {
            assert!(
                found.is_empty(),
                "{name}: expected no {rule} finding, got {found:#?}"
            );
        } else {
            assert!(!found.is_empty(), "{name}: expected a {rule} finding");
            insta::assert_snapshot!(format!("declared-{name}"), found.join("\n"));
        }
    }
    assert_every_rule_has_fixtures(&cases, |r| r != Reads::Live, "tests/lint/declared");
}

fn assert_every_rule_has_fixtures(
    cases: &[(String, bool, PathBuf, String)],
    reads: impl Fn(Reads) -> bool,
    dir: &str,
) {
    for r in lint::rules::ALL.iter().filter(|r| reads(r.meta.reads)) {
        for pass in [true, false] {
            assert!(
                cases
                    .iter()
                    .any(|(rule, p, _, _)| rule == r.meta.id && *p == pass),
                "{} has no {} fixture in {dir}",
                r.meta.id,
                if pass { "passing" } else { "failing" }
            );
        }
    }
}

async fn lint_live(dir: &Path, options: Options) -> Report {
    let seed = match std::fs::read_to_string(dir.join("tenant.yaml")) {
        Ok(full) => full,
        Err(_) => fresh_with(&std::fs::read_to_string(dir.join("tenant-extra.yaml")).unwrap()),
    };
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let policies = if dir.join("policies.yaml").exists() {
        dir.join("policies.yaml")
    } else {
        root().join("tests/lint/live/policies.yaml")
    };
    let desired = load(&policies);
    let client = client(&em);
    let at = em.with_state(|s| s.now());
    let mut state = pimctl::observe::read_tenant(&client, &[&desired], at)
        .await
        .expect("the tenant reads");
    // Azure resource roles through ARM, when the declaration has some (as `pimctl lint --live` reads them).
    pimctl::observe::azure::read_azure(&planning::arm_client(&em), &[&desired], &mut state)
        .await
        .expect("Azure reads");
    let activity = pimctl::observe::reviews::read_activity(&client, &mut state)
        .await
        .expect("the reviews read");
    let extra = lint::licence::groups_to_count(&desired, &state);
    let members = pimctl::observe::read_members(&client, &state, &extra)
        .await
        .expect("members read");
    let skus: Vec<pimctl::graph::SubscribedSku> = client
        .list_all("/subscribedSkus")
        .await
        .expect("subscriptions read");
    let licences = lint::licence::facts(&desired, &state, &members, Ok(&skus));
    lint::lint(
        &desired,
        Some(LiveInput {
            state: &state,
            members: &members,
            licences: Some(&licences),
            review_activity: &activity,
        }),
        state.read_at,
        options,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_fixtures() {
    let cases = fixtures("tests/lint/live");
    for (rule, pass, dir, name) in &cases {
        let report = lint_live(dir, options(name)).await;
        let found = of_rule(&report, rule, Half::Live);
        if *pass {
            assert!(
                found.is_empty(),
                "{name}: expected no live {rule} finding, got {found:#?}"
            );
        } else {
            assert!(!found.is_empty(), "{name}: expected a live {rule} finding");
            insta::assert_snapshot!(format!("live-{name}"), found.join("\n"));
        }
    }
    assert_every_rule_has_fixtures(&cases, |r| r != Reads::Declared, "tests/lint/live");
}

/// A declaration with `n` users permanently active in Global Administrator (protected, so that only PIM010 speaks).
fn global_admins(n: usize) -> DesiredState {
    let mut yaml = String::from("version: pimctl/v1\nprotected:\n");
    for i in 0..n {
        yaml.push_str(&format!("  - user: admin{i}@contoso.onmicrosoft.com\n"));
    }
    yaml.push_str("directory_roles:\n  Global Administrator:\n    active:\n");
    for i in 0..n {
        yaml.push_str(&format!("      - user: admin{i}@contoso.onmicrosoft.com\n"));
    }
    if n == 0 {
        yaml = "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    active: []\n"
            .into();
    }
    language::load_str("ga.yaml", &yaml, &LoadOptions { now: now() })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)))
}

#[test]
fn profile_bounds_on_global_administrators_hold_at_their_edges() {
    type Points = Vec<(usize, bool)>;
    let expect: BTreeMap<&str, (Profile, Points)> = BTreeMap::from([
        (
            "cisa",
            (
                Profile::Cisa,
                vec![(1, false), (2, true), (8, true), (9, false)],
            ),
        ),
        (
            "cis",
            (
                Profile::Cis,
                vec![(1, false), (2, true), (4, true), (5, false)],
            ),
        ),
        (
            "microsoft",
            (
                Profile::Microsoft,
                vec![(1, false), (2, true), (4, true), (5, false)],
            ),
        ),
    ]);
    for (name, (profile, points)) in expect {
        for (n, ok) in points {
            let report = lint::lint(
                &global_admins(n),
                None,
                now(),
                Options {
                    profile,
                    notifications: Notifications::Strict,
                },
            );
            let found = of_rule(&report, "PIM010", Half::Declared);
            assert_eq!(found.is_empty(), ok, "{name} with {n}: {found:?}");
        }
    }
    // The message says which profile and bounds.
    let report = lint::lint(
        &global_admins(5),
        None,
        now(),
        Options {
            profile: Profile::Cis,
            notifications: Notifications::Strict,
        },
    );
    assert_eq!(
        of_rule(&report, "PIM010", Half::Declared),
        vec!["error PIM010: the tenant declares 5 Global Administrators; the cis profile wants 2 to 4 @ ga.yaml:10 directory_roles.\"Global Administrator\".active".to_string()]
    );
}

#[test]
fn a_single_approver_and_missing_reviews_are_errors_under_cis_and_warnings_otherwise() {
    for (rule, count) in [("PIM033", 1), ("PIM070", 3)] {
        let d = load(&root().join(format!("tests/lint/declared/{rule}-fail.yaml")));
        for (profile, sev) in [
            (Profile::Cis, "error"),
            (Profile::Cisa, "warning"),
            (Profile::Microsoft, "warning"),
        ] {
            let options = Options {
                profile,
                notifications: Notifications::Strict,
            };
            let f = of_rule(&lint::lint(&d, None, now(), options), rule, Half::Declared);
            assert_eq!(f.len(), count, "{rule} {profile:?}: {f:?}");
            assert!(
                f.iter().all(|x| x.starts_with(sev)),
                "{rule} {profile:?}: {f:?}"
            );
        }
    }
}

const WAIVED: &str = r#"version: pimctl/v1
directory_roles:
  Security Administrator:
    active:
      - user: alice.admin@contoso.com
      - user: bob.secops@contoso.com
lint:
  disable:
    - {rule: PIM034, reason: "MFA is enforced by Conditional Access for every admin", until: 2027-03-31}
  exceptions:
    - rule: PIM020
      user: alice.admin@contoso.com
      role: Security Administrator
      reason: migration service account until the new SOC tooling lands
      until: 2026-12-31
    - rule: PIM020
      user: bob.secops@contoso.com
      reason: expired on purpose
      until: 2026-11-01
"#;

#[test]
fn waivers_suppress_until_they_expire_and_then_fail() {
    let d = language::load_str("waived.yaml", WAIVED, &LoadOptions { now: now() })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)));
    let report = lint::lint(&d, None, now(), Options::default());
    // Alice's exception holds; Bob's expired: his finding is back, with a PIM001 error on the waiver.
    let pim020 = of_rule(&report, "PIM020", Half::Declared);
    assert_eq!(pim020.len(), 1, "{pim020:?}");
    assert!(pim020[0].contains("bob.secops"), "{pim020:?}");
    let pim001 = of_rule(&report, "PIM001", Half::Declared);
    assert_eq!(pim001.len(), 1, "{pim001:?}");
    assert!(pim001[0].contains("expired on 2026-11-01"), "{pim001:?}");
    assert!(of_rule(&report, "PIM034", Half::Declared).is_empty());
    let waived: Vec<_> = report
        .waived
        .iter()
        .map(|w| (w.rule, w.message.clone()))
        .collect();
    assert!(
        waived
            .iter()
            .any(|(r, m)| *r == "PIM020" && m.contains("alice")),
        "{waived:?}"
    );
    assert!(waived.iter().any(|(r, _)| *r == "PIM034"), "{waived:?}");
    // A waiver in force that waives nothing is a warning.
    let unused = format!(
        "{WAIVED}    - {{rule: PIM020, user: carol.iam@contoso.com, reason: left the team, until: 2027-01-31}}\n"
    );
    let d2 = language::load_str("waived.yaml", &unused, &LoadOptions { now: now() })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)));
    let pim001 = of_rule(
        &lint::lint(&d2, None, now(), Options::default()),
        "PIM001",
        Half::Declared,
    );
    assert_eq!(pim001.len(), 2, "{pim001:?}");
    assert!(
        pim001.iter().any(|f| f.starts_with("warning")
            && f.contains("waives no finding")
            && f.contains("exceptions[2]")),
        "{pim001:?}"
    );
    // A month later, Alice's exception has expired too.
    let later = now() + chrono::Duration::days(45);
    let report = lint::lint(&d, None, later, Options::default());
    assert_eq!(of_rule(&report, "PIM020", Half::Declared).len(), 2);
    assert_eq!(of_rule(&report, "PIM001", Half::Declared).len(), 2);
}

#[test]
fn a_malformed_lint_block_is_a_diagnostic_of_the_language() {
    let yaml = "version: pimctl/v1\nlint:\n  exceptions:\n    - {rule: PIM020, until: 2027-01-01}\n    - {rule: PIM020, reason: x}\n    - {rule: PIM020, reason: x, until: 2027-01-01}\n    - {rule: PIM020, role: Global Admin, reason: x, until: soon}\n  disable:\n    - {rule: PIM010, user: a@contoso.com, reason: x, until: 2027-01-01}\n";
    let loaded = language::load_str("lint.yaml", yaml, &LoadOptions { now: now() });
    insta::assert_snapshot!(
        "malformed-lint-block",
        loaded.diagnostics.render_text(false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_half_costs_the_plan_read_and_one_batch_of_group_members() {
    let em = planning::emulator_from_file(planning::CONTOSO_TENANT, &Setup::default()).await;
    // Contoso's administrators are cloud-only; one synchronized member shows the property is carried.
    em.with_state(|s| {
        for u in &mut s.users {
            if u.user_principal_name.as_deref() == Some("bob.secops@contoso.com") {
                u.on_premises_sync_enabled = Some(true);
            }
        }
    });
    let d = planning::desired(planning::CONTOSO, &em);
    let client = client(&em);
    let at = em.with_state(|s| s.now());
    let state = pimctl::observe::read_tenant(&client, &[&d], at)
        .await
        .expect("the tenant reads");
    let read = client.request_count();
    let members = pimctl::observe::read_group_members(&client, &state)
        .await
        .expect("members read");
    // SecOps-Tier0, Helpdesk-Team and Tier0-Operators hold roles: their members come in one `$batch`, whatever the
    // number of roles. Tier0-Operators has no standing member: its members join just in time, through PIM.
    assert_eq!(client.request_count() - read, 1);
    let mut sizes: Vec<usize> = members.values().map(Vec::len).collect();
    sizes.sort();
    assert_eq!(sizes, [0, 2, 2]);
    assert!(
        members
            .values()
            .flatten()
            .all(|m| m.on_premises_sync_enabled
                == (m.user_principal_name.as_deref() == Some("bob.secops@contoso.com"))
                    .then_some(true)
                && m.user_type.as_deref() == Some("Member")),
        "members carry the properties lint judges: {members:?}"
    );
}

const GROUPS: &str = r#"version: pimctl/v1
protected:
  - user: bg-01@contoso.onmicrosoft.com
  - user: bg-02@contoso.onmicrosoft.com
directory_roles:
  Global Administrator:
    template: builtin:tier0
    activation:
      approval:
        approvers: [{group: PIM Approvers}]
    notifications:
      activated: {admin: {recipients: [secops@contoso.com]}}
    active:
      - user: bg-01@contoso.onmicrosoft.com
      - user: bg-02@contoso.onmicrosoft.com
    eligible:
      - group: Tier0-Operators
        until: 2027-06-30
groups:
  Tier0-Operators:
    member:
      activation:
        max_duration: 12h
        require: []
        approval:
          required: true
          approvers: [{user: carol.iam@contoso.com}]
      eligible:
        - user: alice.admin@contoso.com
          until: 2027-06-30
      active:
        - user: dave.ops@contoso.com
    owner:
      template: builtin:tier0
      activation:
        approval:
          approvers: [{group: PIM Approvers}]
      notifications:
        activated: {admin: {recipients: [secops@contoso.com]}}
      eligible:
        - user: carol.iam@contoso.com
          until: 2027-06-30
"#;

/// A group that holds Global Administrator: its blocks are judged as Global Administrator by the rules that cover
/// groups, and its members and owners are Global Administrators.
#[test]
fn group_blocks_are_judged_as_the_roles_their_groups_hold() {
    let d = language::load_str("groups.yaml", GROUPS, &LoadOptions { now: now() })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)));
    let report = lint::lint(&d, None, now(), Options::default());
    let of = |rule| of_rule(&report, rule, Half::Declared);
    // MFA and justification on the member block: errors and warnings as for tier 0; 12 hours is over 8.
    assert_eq!(
        of("PIM034"),
        [
            "error PIM034: activating Tier0-Operators (member) requires neither MFA nor an authentication context @ groups.yaml:24 groups.\"Tier0-Operators\".member.activation.require"
        ]
    );
    assert_eq!(of("PIM035").len(), 1, "{:?}", of("PIM035"));
    assert!(
        of("PIM037")[0]
            .contains("Tier0-Operators (member) allows activations of 12h, more than 8h (tier 0)")
    );
    // Dave is a permanent active member: standing Global Administrator (PIM020); nobody owns it permanently.
    assert_eq!(of("PIM020").len(), 1);
    assert!(
        of("PIM020")[0]
            .contains("dave.ops@contoso.com is permanently active in Tier0-Operators (member)")
    );
    assert!(of("PIM025").is_empty());
    // Carol approves the member block and is an eligible owner: she is reported as a holder of the role.
    assert_eq!(of("PIM026").len(), 1);
    // The activation alert: the member block of a group that holds Global Administrator alerts nobody.
    assert!(
        of("PIM041")
            .iter()
            .any(|f| f.contains("Tier0-Operators (member) does not declare who is alerted")),
        "{:?}",
        of("PIM041")
    );
    // Two break-glass accounts, Alice and Dave as members, Carol as an owner: 5 Global Administrators, too many
    // for the cis profile, and the message says the owner was counted.
    let cis = lint::lint(
        &d,
        None,
        now(),
        Options {
            profile: Profile::Cis,
            notifications: Notifications::Strict,
        },
    );
    assert_eq!(
        of_rule(&cis, "PIM010", Half::Declared),
        [
            "error PIM010: the tenant declares 5 Global Administrators (counting 1 group owner); the cis profile wants 2 to 4 @ groups.yaml:16 directory_roles.\"Global Administrator\".eligible"
        ]
    );
}

/// PIM070's live half costs the definitions' one list, then one `$batch` per 20 reviews for their instances and one
/// per 20 reviews with an ended instance for that instance's decisions: 25 reviews of Global Administrator, of which
/// 21 have ended instances (one answered by Olivia) and 4 began yesterday, give 1 list page and 2 + 2 `$batch`, and
/// 20 unanswered reviews.
#[tokio::test]
async fn the_live_half_of_pim070_reads_two_batches_per_20_reviews() {
    let mut seed = String::from(
        "eligible:\n  - {role: Global Administrator, user: alice.admin@contoso.com}\naccess_reviews:\n",
    );
    for i in 0..25 {
        let (created, answered) = match i {
            0 => ("2026-06-01", ", answered_by: olivia.ciso@contoso.com"),
            21.. => ("2026-11-20", ""),
            _ => ("2026-06-01", ""),
        };
        seed.push_str(&format!(
            "  - {{role: Global Administrator, display_name: \"GA review {i}\", reviewers: [{{group: Tier0-Owners}}], \
             settings: {{instanceDurationInDays: 4}}, created: {created}T09:00:00Z{answered}}}\n"
        ));
    }
    let em = emulator_from_yaml(&fresh_with(&seed), &Setup::default()).await;
    let desired = load(&root().join("tests/lint/live/policies.yaml"));
    let client = client(&em);
    let at = em.with_state(|s| s.now());
    let mut state = pimctl::observe::read_tenant(&client, &[&desired], at)
        .await
        .unwrap();
    assert!(
        !state.reviews_read,
        "nothing declares a review: plan's read lists none"
    );
    em.reset_stats();
    let activity = pimctl::observe::reviews::read_activity(&client, &mut state)
        .await
        .unwrap();
    let stats = em.stats();
    let count = |f: &dyn Fn(&str) -> bool| -> u64 {
        stats
            .routes
            .iter()
            .filter(|(k, _)| f(k))
            .map(|(_, n)| *n)
            .sum()
    };
    let batches = count(&|k| k.starts_with("POST") && k.contains("$batch"));
    let instances = count(&|k| k.ends_with("/instances"));
    let decisions = count(&|k| k.ends_with("/decisions"));
    let lists = count(&|k| k.ends_with("/accessReviews/definitions"));
    assert_eq!(
        (lists, batches, instances, decisions),
        (1, 2 + 2, 25, 21),
        "{:#?}",
        stats.routes
    );
    assert_eq!(stats.total, lists + batches + instances + decisions);
    assert_eq!(activity.len(), 21);
    let answered: Vec<&str> = activity
        .iter()
        .filter(|a| !a.unanswered())
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(answered, ["GA review 0"]);
    assert!(activity.iter().all(|a| a.decisions == 1));

    let members = lint::Members::new();
    let report = lint::lint(
        &desired,
        Some(LiveInput {
            state: &state,
            members: &members,
            licences: None,
            review_activity: &activity,
        }),
        state.read_at,
        Options::default(),
    );
    let unanswered = report
        .findings
        .iter()
        .filter(|f| f.rule == "PIM070" && f.message.contains("not one decision by a reviewer"))
        .count();
    assert_eq!(unanswered, 20, "{:#?}", report.findings);
}

/// `lint --profile cis` keeps CIS's "no change" for members nobody reviewed: `builtin:tier0-reviewed`'s deny is a
/// PIM070 finding under that profile only.
#[test]
fn the_cis_profile_reports_a_review_that_denies_whom_nobody_reviewed() {
    let text = "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    template: builtin:tier0-reviewed\n    activation:\n      approval:\n        approvers: [{group: PIM-Tier0-Approvers}]\n    notifications:\n      activated: {admin: {recipients: [secops@contoso.com]}}\n    access_review:\n      reviewers: [{group: Tier0-Owners}]\n";
    let loaded = language::load_str("t.yaml", text, &LoadOptions { now: now() });
    assert!(!loaded.diagnostics.has_errors());
    let findings = |profile| {
        let options = Options {
            profile,
            ..Options::default()
        };
        lint::lint(&loaded.state, None, now(), options)
            .findings
            .into_iter()
            .filter(|f| f.rule == "PIM070")
            .map(|f| f.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        findings(Profile::Cis),
        [
            "Global Administrator changes the access of members nobody reviewed (default decision deny), where CIS asks for no change"
        ]
    );
    assert!(findings(Profile::Cisa).is_empty());
}
