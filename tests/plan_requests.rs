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
    // Other tools need thousands for this shape: see the estimates in BENCHMARKS.md.
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

/// The request ceiling of a plan of a generated size with its default drift (2 % of the assignments, policies of
/// up to 10 roles): the pages of the five lists, plus one `$batch` for the declared principals that no schedule
/// names (the missing assignments'). A request per role, assignment or principal breaks it. The plan is checked
/// too, so the count is of a plan that found exactly the generated drift.
async fn ceiling(size: pimctl::emulator::generate::Size) {
    use pimctl::emulator::generate::{Options, generate};
    use pimctl::plan::Action;
    let g = generate(&Options::size(size)).unwrap();
    let shape = size.shape();
    let em = emulator_from_yaml(&g.seed, &Setup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    g.write_policies(dir.path()).unwrap();
    let desired = desired(dir.path(), &em);
    let definitions = em.with_state(|s| s.roles.len());
    em.reset_stats();
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let count = |a: Action| plan.changes.iter().filter(|c| c.action == a).count();
    let e = g.expected;
    assert_eq!(
        (
            count(Action::Create),
            count(Action::Remove),
            count(Action::Update),
            count(Action::UpdateRule)
        ),
        (e.creates, e.removes, e.updates, e.rule_updates),
        "{:#?}",
        lines(&plan)
    );
    assert_eq!(plan.changes.len(), e.changes());

    let d = size.default_drift();
    let page = 100;
    // The tenant holds at most the shape's assignments (the missing ones are absent): page counts are ceilings.
    let lists = pages(definitions, page)
        + pages(definitions, page)
        + pages(shape.eligible, page)
        + pages(shape.active + shape.activations, page)
        + pages(shape.activations, page);
    let batches = u64::from(d.missing > 0);
    let stats = em.stats();
    let is_lookup = |route: &str| {
        [
            "GET /v1.0/users",
            "GET /v1.0/groups",
            "GET /v1.0/servicePrincipals",
        ]
        .iter()
        .any(|p| route.starts_with(p))
    };
    // Lookups run inside the $batch, where the emulator counts them by route too; at most one `in` clause per kind
    // here (fewer than 15 principals each).
    let lookups: u64 = stats
        .routes
        .iter()
        .filter(|(r, _)| is_lookup(r))
        .map(|(_, n)| *n)
        .sum();
    assert!(lookups <= 3 * batches, "{:#?}", stats.routes);
    let http = stats.total - lookups;
    assert!(
        http <= lists + batches,
        "{http} requests, the ceiling is {lists} list pages + {batches} $batch: {:#?}",
        stats.routes
    );
    // Nothing is read per object: no route with an id in it.
    for route in stats.routes.keys() {
        assert!(!route.contains('{'), "a request per object: {route}");
    }
}
#[tokio::test]
async fn size_s_plans_within_its_request_ceiling() {
    ceiling(pimctl::emulator::generate::Size::S).await;
}

#[tokio::test]
async fn size_m_plans_within_its_request_ceiling() {
    ceiling(pimctl::emulator::generate::Size::M).await;
}
