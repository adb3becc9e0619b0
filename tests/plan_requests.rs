//! The request budget of a plan: the pages of five list calls, plus at most a few `$batch` requests for principals
//! no schedule named. Counted by the emulator; timings belong to the benchmarks, not here.

mod planning;
use planning::generate::generated;
use planning::*;

fn pages(items: usize, page: usize) -> u64 {
    items.div_ceil(page).max(1) as u64
}

#[tokio::test]
async fn tenant_l_dir_is_read_in_the_pages_of_five_lists() {
    let (roles, eligible, active, activations) = (130, 5_000, 1_000, 500);
    let (seed, policies) = generated(roles, eligible, active, activations);
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
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
    let em = emulator_from_file(FRESH, &Setup::default()).await;
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
