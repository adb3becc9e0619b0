//! The request budget of an import: a plan of the same tenant (`tests/plan_requests.rs`), because it is the same bulk
//! read, and the groups it finds (one list of role-assignable groups, one `$batch` of name lookups, the groups' PIM
//! lists 20 to a `$batch`: `tests/import_groups.rs`), and for `--azure` the ARM lists of its scopes. Counted by the
//! client; timings belong to the benchmarks.

mod planning;
use pimctl::import::{self, Options};
use pimctl::observe::{ambiguous_names, discover_groups, read_tenant};
use planning::generate::generated;
use planning::*;

#[tokio::test]
async fn importing_tenant_l_dir_costs_the_plan_read_and_one_list_of_groups() {
    let (roles, eligible, active, activations) = (130, 5_000, 1_000, 500);
    let (seed, policies) = generated(roles, eligible, active, activations);
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&policies, &em);
    let now = em.with_state(|s| s.now());

    em.reset_stats();
    let live = read_tenant(&client(&em), &[&desired], now).await.unwrap();
    assert!(
        pimctl::plan::build(&desired, &live, &Default::default())
            .errors
            .is_empty()
    );
    let plan_requests = em.stats().total;

    em.reset_stats();
    let client = client(&em);
    let mut live = read_tenant(&client, &[], now).await.unwrap();
    let before_reviews = client.request_count();
    pimctl::observe::reviews::read_with_reviewers(&client, &mut live)
        .await
        .unwrap();
    let reviews = client.request_count() - before_reviews;
    let read = client.request_count();
    let groups = discover_groups(&client, &mut live, &[]).await.unwrap();
    let discovery = client.request_count() - read;
    let ambiguous = ambiguous_names(&client, &live).await.unwrap();
    let imported = import::import(&live, &ambiguous, &Options::default()).unwrap();
    let import_requests = client.request_count();

    // The access review definitions: one list, one page (L-dir has none), and no reviewer to look up.
    assert_eq!(reviews, 1, "{:#?}", em.stats().routes);
    assert!(
        import_requests - discovery - reviews <= plan_requests,
        "import {import_requests}, plan {plan_requests}: {:#?}",
        em.stats().routes
    );
    // The same five lists, page for page (the figure in BENCHMARKS.md and ARCHITECTURE.md), then the groups: one
    // list of role-assignable groups, one `$batch` of name lookups, and their four PIM lists each, 20 to a `$batch`.
    assert_eq!(
        import_requests - discovery - reviews,
        74,
        "{:#?}",
        em.stats().routes
    );
    let n = groups.groups.len() as u64;
    // L-dir's generated tenant has no group: the list, and nothing more.
    assert_eq!(n, 0);
    assert_eq!(discovery, 1, "{:#?}", em.stats().routes);
    assert_eq!(imported.summary.eligible, eligible);
    assert_eq!(imported.summary.active, active);
    assert_eq!(imported.summary.activations, activations);
}

#[tokio::test]
async fn approver_groups_that_hold_no_role_cost_one_batch() {
    // Contoso's approver group PIM-Tier0-Approvers holds no role: its name is checked for twins in one `$batch`
    // (as a plan of the imported files would look it up).
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let client = client(&em);
    let live = read_tenant(&client, &[], em.with_state(|s| s.now()))
        .await
        .unwrap();
    em.reset_stats();
    let ambiguous = ambiguous_names(&client, &live).await.unwrap();
    assert!(ambiguous.is_empty());
    let stats = em.stats();
    let batches: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("POST") && k.contains("$batch"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(batches, 1, "{:#?}", stats.routes);
}

/// Import writes each target's review: the definitions cost one list (Contoso's ten reviews, one page), and their
/// reviewer group Tier0-Owners, which holds no role and approves nothing, one `$batch` lookup. Nothing per review.
#[tokio::test]
async fn reviews_cost_one_list_and_one_lookup_of_their_reviewers() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let client = client(&em);
    let mut live = read_tenant(&client, &[], em.with_state(|s| s.now()))
        .await
        .unwrap();
    em.reset_stats();
    pimctl::observe::reviews::read_with_reviewers(&client, &mut live)
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
    let lists = count(&|k| k.ends_with("/accessReviews/definitions"));
    let batches = count(&|k| k.starts_with("POST") && k.contains("$batch"));
    assert_eq!((lists, batches), (1, 1), "{:#?}", stats.routes);
    assert_eq!(live.reviews.len(), 10);
    assert!(
        live.principals
            .values()
            .any(|p| p.display_name.as_deref() == Some("Tier0-Owners")),
        "the reviewer group is named"
    );
}

/// `import --azure` reads what `plan` reads for its scopes (BENCHMARKS.md §1a): per scope its policies and policy
/// assignments, per subscription or management group they lie in its eligibility schedules, assignment schedules
/// and instances, one page each here: `2 × scopes + 3 × roots`, and nothing per role, assignment or principal.
#[tokio::test]
async fn importing_azure_scopes_costs_two_lists_a_scope_and_three_a_subscription() {
    use pimctl::graph::arm::ArmScope;
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    // Contoso's six scopes: the management group, two subscriptions, three resource groups; three roots.
    let scopes: Vec<ArmScope> = [
        "/providers/Microsoft.Management/managementGroups/contoso",
        "/subscriptions/c0150000-0000-4000-8000-000000000001",
        "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg",
        "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/data-rg",
        "/subscriptions/c0150000-0000-4000-8000-000000000002",
        "/subscriptions/c0150000-0000-4000-8000-000000000002/resourceGroups/sandbox-rg",
    ]
    .iter()
    .map(|s| ArmScope::parse(s).unwrap())
    .collect();
    let now = em.with_state(|s| s.now());
    let mut live = read_tenant(&client(&em), &[], now).await.unwrap();
    em.reset_stats();
    let arm = arm_client(&em);
    pimctl::observe::azure::read_azure(
        &arm,
        &[&pimctl::observe::azure::reading(&scopes)],
        &mut live,
    )
    .await
    .unwrap();
    let ambiguous = ambiguous_names(&client(&em), &live).await.unwrap();
    let options = Options {
        azure: scopes,
        ..Options::default()
    };
    let imported = import::import(&live, &ambiguous, &options).unwrap();
    assert_eq!(imported.summary.azure_roles, 4);
    assert_eq!(arm.request_count(), 2 * 6 + 3 * 3);
    let arm_routes: u64 = em
        .stats()
        .routes
        .iter()
        .filter(|(k, _)| k.contains("/providers/Microsoft.Authorization/"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(arm_routes, 2 * 6 + 3 * 3, "{:#?}", em.stats().routes);
}
