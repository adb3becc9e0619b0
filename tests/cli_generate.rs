//! `pimctl emulator --generate SIZE --out DIR`: a seed and a policy directory that plan to exactly the drift the
//! generator announced.

mod planning;
use planning::*;
mod cli;
use cli::pimctl;

#[tokio::test]
async fn generate_writes_a_seed_and_policies_that_plan_to_the_announced_drift() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = pimctl(&[
        "emulator",
        "--generate",
        "s",
        "--out",
        out.to_str().unwrap(),
        "--drift",
        "5",
        "--drift-policies",
        "3",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("policies/ (11 files)"), "{stdout}");
    // 5 % of 100 assignments: 2 missing, 2 extra, 1 changed; 3 policies.
    assert!(
        stdout.contains("expected plan: 2 to create, 2 to remove, 1 to update, 3 rule updates"),
        "{stdout}"
    );

    let em = emulator_from_file(out.join("tenant.yaml").to_str().unwrap(), &Setup::default()).await;
    let desired = desired(out.join("policies"), &em);
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let s = &plan.summary;
    assert_eq!(
        (s.creates, s.removes, s.updates, s.rule_updates),
        (2, 2, 1, 3),
        "{:#?}",
        lines(&plan)
    );
}

#[test]
fn generate_needs_out_and_refuses_an_unknown_size() {
    let o = pimctl(&["emulator", "--generate", "S"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    let o = pimctl(&["emulator", "--generate", "huge", "--out", "x"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expected S, M, L-dir, L, XL or XL-estate"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test]
async fn roles_beyond_the_catalogue_are_custom_roles_in_the_seed_and_the_policies() {
    use pimctl::emulator::generate::{Drift, Layout, Options, Shape, generate};
    let roles = pimctl::catalog::builtin_roles().len() + 3;
    let g = generate(&Options {
        shape: Shape {
            roles,
            eligible: roles * 2,
            active: roles,
            activations: 5,
            users: 40,
            groups: 4,
            service_principals: 1,
            policies: true,
            ..Default::default()
        },
        drift: Drift {
            missing: 2,
            extra: 2,
            changed: 2,
            policies: 2,
            ..Default::default()
        },
        layout: Layout::OneFile,
        rng_seed: 3,
    })
    .unwrap();
    assert!(
        g.seed
            .contains("custom_roles:\n  - {name: \"Generated Role 1\"}")
    );
    assert!(
        g.policies[0]
            .1
            .contains("\"Generated Role 3\":\n    custom: true")
    );
    let em = emulator_from_yaml(&g.seed, &Setup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    g.write_policies(dir.path()).unwrap();
    let desired = desired(dir.path(), &em);
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let s = &plan.summary;
    assert_eq!(
        (s.creates, s.removes, s.updates, s.rule_updates),
        (2, 2, 2, 2),
        "{:#?}",
        lines(&plan)
    );
}
