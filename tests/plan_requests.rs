//! The request budget of a plan: the pages of five list calls, plus at most a few `$batch` requests for principals
//! no schedule named. Counted by the emulator; timings belong to the benchmarks, not here.

mod planning;
use pimctl::catalog;
use pimctl::emulator::TenantSource;
use planning::*;
use std::fmt::Write;

/// A generated tenant and the declaration that matches it: `roles` roles, `eligible` eligible and `active` active
/// assignments spread over them, and `activations` activations of eligible assignments in progress.
fn generated(roles: usize, eligible: usize, active: usize, activations: usize) -> (String, String) {
    let names: Vec<&str> = catalog::builtin_roles()
        .iter()
        .take(roles)
        .map(|r| r.display_name.as_str())
        .collect();
    let users = eligible.max(active);
    let mut seed = String::from(
        "tenant: {id: 11111111-2222-4333-8444-555555555555, domain: fabrikam.com}\nnow: 2026-11-21T09:00:00Z\nusers:\n",
    );
    for u in 0..users {
        writeln!(
            seed,
            "  - {{upn: u{u}@fabrikam.com, display_name: User {u}}}"
        )
        .unwrap();
    }
    let mut per_role: Vec<(Vec<usize>, Vec<usize>)> = vec![(vec![], vec![]); roles];
    seed.push_str("eligible:\n");
    for i in 0..eligible {
        let r = i % roles;
        per_role[r].0.push(i);
        writeln!(
            seed,
            "  - {{role: {}, user: u{i}@fabrikam.com, until: 2027-06-30T23:59:59Z}}",
            names[r]
        )
        .unwrap();
    }
    seed.push_str("active:\n");
    for i in 0..active {
        // Active assignments go to other roles than the same user's eligibility.
        let r = (i + 1) % roles;
        per_role[r].1.push(i);
        writeln!(seed, "  - {{role: {}, user: u{i}@fabrikam.com, start: 2026-11-01T00:00:00Z, until: 2026-12-31T23:59:59Z}}", names[r]).unwrap();
    }
    seed.push_str("activations:\n");
    for i in 0..activations {
        let r = i % roles;
        writeln!(seed, "  - {{role: {}, user: u{i}@fabrikam.com, start: 2026-11-21T08:30:00Z, duration: PT2H}}", names[r]).unwrap();
    }
    let mut policies = String::from("version: pimctl/v1\ndirectory_roles:\n");
    for (r, (elig, act)) in per_role.iter().enumerate() {
        writeln!(policies, "  {}:", names[r]).unwrap();
        policies.push_str("    eligible:\n");
        for i in elig {
            writeln!(
                policies,
                "      - {{user: u{i}@fabrikam.com, until: 2027-06-30T23:59:59Z}}"
            )
            .unwrap();
        }
        if elig.is_empty() {
            policies.push_str("      []\n");
        }
        policies.push_str("    active:\n");
        for i in act {
            writeln!(
                policies,
                "      - {{user: u{i}@fabrikam.com, until: 2026-12-31T23:59:59Z}}"
            )
            .unwrap();
        }
        if act.is_empty() {
            policies.push_str("      []\n");
        }
    }
    (seed, policies)
}

fn pages(items: usize, page: usize) -> u64 {
    items.div_ceil(page).max(1) as u64
}

#[tokio::test]
async fn tenant_l_dir_is_read_in_the_pages_of_five_lists() {
    let (roles, eligible, active, activations) = (130, 5_000, 1_000, 500);
    let (seed, policies) = generated(roles, eligible, active, activations);
    let em = emulator(
        TenantSource::Seed {
            seed: Box::new(pimctl::emulator::seed::Seed::from_yaml(&seed, "l-dir").unwrap()),
            origin: "l-dir".into(),
        },
        &Setup::default(),
    )
    .await;
    let (_dir, desired) = desired_yaml(&policies, &em);
    let definitions = em.with_state(|s| s.roles.len());
    em.reset_stats();
    let client = client(&em);
    let now = em.with_state(|s| s.now());
    let live = pimctl::observe::read_tenant(&client, &[&desired], now)
        .await
        .unwrap();
    let plan = pimctl::plan::build(&desired, &live, &Default::default());
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert!(plan.changes.is_empty(), "{:#?}", lines(&plan));
    assert_eq!(
        plan.notes
            .iter()
            .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
            .count(),
        activations
    );

    let stats = em.stats();
    let page = 100;
    let expected = pages(definitions, page)          // role definitions
        + pages(definitions, page)                    // policy assignments with policies and rules
        + pages(eligible, page)                       // eligibility schedules
        + pages(active + activations, page)           // assignment schedules (activations included)
        + pages(activations, page); // activated instances
    assert_eq!(stats.total, expected, "{:#?}", stats.routes);
    assert_eq!(
        stats.routes.keys().filter(|k| k.contains("$batch")).count(),
        0,
        "every principal was named by a schedule"
    );
    // Terraform needs about 1,000 requests for this tenant, EasyPIM about 2,500.
    assert!(stats.total < 100, "{}", stats.total);
}

#[tokio::test]
async fn a_fresh_tenant_costs_one_batch_of_lookups() {
    let em = emulator_from_file("tests/fixtures/tenants/fresh.yaml", &Setup::default()).await;
    let desired = desired(CONTOSO, &em);
    let definitions = em.with_state(|s| s.roles.len());
    em.reset_stats();
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let stats = em.stats();
    let lists = 2 * pages(definitions, 100) + 3;
    let batches = stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("POST") && k.contains("$batch"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    assert_eq!(batches, 1, "{:#?}", stats.routes);
    // Sub-requests of the batch are counted by route too; the HTTP requests are the lists and the batch.
    let sub: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| {
            k.starts_with("GET /v1.0/users")
                || k.starts_with("GET /v1.0/groups")
                || k.starts_with("GET /v1.0/servicePrincipals")
        })
        .map(|(_, n)| *n)
        .sum();
    assert!(
        sub >= 3,
        "users, groups and service principals are looked up: {:#?}",
        stats.routes
    );
    assert_eq!(stats.total - sub, lists + 1, "{:#?}", stats.routes);
}
