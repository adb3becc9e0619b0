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
    // Contoso declares access reviews: their definitions are listed once (one page; the fresh tenant has none).
    let lists = 2 * pages(definitions, 100) + 3 + 1;
    let batches = stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("POST") && k.contains("$batch"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    // One for the principals; and Contoso declares 2 groups: one lookup of them, and one for their PIM state
    // (2 groups x 4 lists, 20 to a batch).
    let groups = 2;
    assert_eq!(batches, 1 + 1 + 1, "{:#?}", stats.routes);
    // Sub-requests of the batches are counted by route too; the HTTP requests are the lists and the batches.
    let sub: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| {
            k.starts_with("GET /v1.0/users")
                || k.starts_with("GET /v1.0/groups")
                || k.starts_with("GET /v1.0/servicePrincipals")
                || k.starts_with("GET /v1.0/identityGovernance/privilegedAccess/group/")
        })
        .map(|(_, n)| *n)
        .sum::<u64>()
        // Each group's policies are one sub-request to the policy assignments.
        + groups;
    assert!(
        sub >= 3,
        "users, groups and service principals are looked up: {:#?}",
        stats.routes
    );
    // And Azure (azure.yaml): 4 declared scopes in 3 subscriptions or management groups, one page each, at the
    // ceiling of BENCHMARKS.md §1a: 2 lists per scope (policies, policy assignments), 3 per root (eligibility and
    // assignment schedules, activations). Nothing per role, assignment or principal.
    let arm: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| k.contains("/providers/Microsoft.Authorization/"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(arm, 2 * 4 + 3 * 3, "{:#?}", stats.routes);
    assert_eq!(
        stats.total - sub,
        lists + batches + arm,
        "{:#?}",
        stats.routes
    );
    let pim_lists: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("GET /v1.0/identityGovernance/privilegedAccess/group/"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(
        pim_lists + groups,
        groups * pimctl::observe::groups::LISTS as u64,
        "{:#?}",
        stats.routes
    );
}

/// Access reviews cost the pages of one list, whatever their number: 250 definitions in the tenant (reviews of
/// every kind of target pimctl manages, and of applications it leaves alone), one review declared. Nothing is read
/// per definition or per role.
#[tokio::test]
async fn reviews_cost_the_pages_of_one_list() {
    let roles: Vec<&str> = pimctl::catalog::builtin_roles()
        .iter()
        .take(50)
        .map(|r| r.display_name.as_str())
        .collect();
    let mut seed = String::from("access_reviews:\n");
    for i in 0..250 {
        let role = roles[i % roles.len()];
        seed.push_str(&match i % 5 {
            0 => format!("  - {{role: \"{role}\", review: eligible, reviewers: [ivan.audit@contoso.com]}}\n"),
            1 => format!("  - {{role: \"{role}\", review: active, reviewers: [{{group: Tier0-Owners}}]}}\n"),
            2 => "  - {group: SecOps-Tier0, reviewers: [managers], fallback_reviewers: [olivia.ciso@contoso.com]}\n"
                .to_string(),
            3 => "  - {scope: {'@odata.type': '#microsoft.graph.accessReviewQueryScope', query: /servicePrincipals/x, queryType: MicrosoftGraph}, reviewers: [ivan.audit@contoso.com]}\n".to_string(),
            _ => format!("  - {{role: \"{role}\", reviewers: [judy.reader@contoso.com]}}\n"),
        });
    }
    let em = emulator_from_yaml(&fresh_with(&seed), &Setup::default()).await;
    assert_eq!(em.with_state(|s| s.access_reviews.len()), 250);
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    access_review:\n      every: monthly\n      reviewers: [{group: Tier0-Owners}]\n",
        &em,
    );
    let definitions = em.with_state(|s| s.roles.len());
    em.reset_stats();
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let stats = em.stats();
    let reviews = stats
        .routes
        .iter()
        .filter(|(k, _)| k.contains("accessReviews"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    assert_eq!(reviews, pages(250, 100), "{:#?}", stats.routes);
    let sub: u64 = stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("GET /v1.0/users") || k.starts_with("GET /v1.0/groups"))
        .map(|(_, n)| *n)
        .sum();
    // The five lists, the definitions' pages, and one `$batch` for the reviewers no schedule named.
    let lists = 2 * pages(definitions, 100) + 3;
    assert_eq!(
        stats.total - sub,
        lists + pages(250, 100) + 1,
        "{:#?}",
        stats.routes
    );
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

/// The PIM for Groups ceiling: the directory-role lists' pages, one `$batch` that looks the declared groups up by
/// name, and ⌈declared groups × 4 lists / 20⌉ `$batch` requests for their policies, schedules and instances, plus
/// the page a sub-request's nextLink adds. 45 groups, one with 150 eligible members (two pages of 100): nothing is
/// read per group or per assignment outside the batches.
#[tokio::test]
async fn declared_groups_are_read_in_batches_of_twenty_lists() {
    const GROUPS: usize = 45;
    const BIG: usize = 150;
    let mut seed = String::from(
        "tenant: {id: 4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a, domain: contoso.com}\nnow: 2026-11-21T09:00:00Z\nusers:\n",
    );
    for u in 0..BIG {
        seed.push_str(&format!(
            "  - {{upn: u{u:03}@contoso.com, display_name: User {u}}}\n"
        ));
    }
    let mut declared = String::from("version: pimctl/v1\ngroups:\n");
    seed.push_str("groups:\n");
    for g in 0..GROUPS {
        let members: Vec<usize> = if g == 0 {
            (0..BIG).collect()
        } else {
            vec![g, g + 1]
        };
        seed.push_str(&format!("  - name: PG-{g:02}\n    pim:\n      eligible:\n"));
        declared.push_str(&format!("  PG-{g:02}:\n    member:\n      eligible:\n"));
        for m in &members {
            seed.push_str(&format!(
                "        - {{access: member, user: u{m:03}@contoso.com, until: 2027-06-01T23:59:59Z}}\n"
            ));
            declared.push_str(&format!(
                "        - {{user: u{m:03}@contoso.com, until: 2027-06-01}}\n"
            ));
        }
        seed.push_str(&format!(
            "      active:\n        - {{access: owner, user: u{:03}@contoso.com, until: 2027-01-01T23:59:59Z}}\n",
            g + 2
        ));
        declared.push_str(&format!(
            "    owner:\n      active:\n        - {{user: u{:03}@contoso.com, until: 2027-01-01}}\n",
            g + 2
        ));
        if g == 1 {
            seed.push_str("      activations:\n        - {access: member, user: u001@contoso.com, duration: PT2H}\n");
        }
    }
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&declared, &em);
    let definitions = em.with_state(|s| s.roles.len());
    em.reset_stats();
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert!(plan.changes.is_empty(), "{:#?}", lines(&plan));
    assert_eq!(
        plan.notes
            .iter()
            .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
            .count(),
        1
    );

    let stats = em.stats();
    let count = |prefix: &str| -> u64 {
        stats
            .routes
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, n)| *n)
            .sum()
    };
    // Directory-role lists: nothing assigned, so one page each but the role definitions and their policies.
    let lists = 2 * pages(definitions, 100) + 3;
    let lookups = GROUPS.div_ceil(pimctl::graph::MAX_FILTER_IN_VALUES) as u64;
    let group_lists = (GROUPS * pimctl::observe::groups::LISTS) as u64;
    let next_pages = 1; // the 150 eligible members of PG-00: a second page, followed outside the batch
    let batches = lookups.div_ceil(20) + group_lists.div_ceil(20);
    assert_eq!((lookups, group_lists, batches), (3, 180, 10));
    assert_eq!(count("POST /v1.0/$batch"), batches, "{:#?}", stats.routes);
    assert_eq!(count("GET /v1.0/groups"), lookups, "{:#?}", stats.routes);
    assert_eq!(
        count("GET /v1.0/identityGovernance/privilegedAccess/group/eligibilitySchedules"),
        GROUPS as u64 + next_pages,
        "{:#?}",
        stats.routes
    );
    // Every HTTP request and every sub-request, counted once each.
    assert_eq!(
        stats.total,
        lists + batches + lookups + group_lists + next_pages,
        "{:#?}",
        stats.routes
    );
    for route in stats.routes.keys() {
        assert!(!route.contains('{'), "a request per object: {route}");
    }
}

/// The whole estate, L: directory roles, 200 PIM groups, 120 Azure scopes in 20 subscriptions, 100 access reviews,
/// with 2 % drift. Its exact request count, by surface, from each surface's formula (nothing is read per role,
/// group assignment, Azure role or principal), and a plan that finds exactly the generated drift, by surface.
///
/// - Graph lists: the pages of the five directory-role lists and of the review definitions;
/// - Graph `$batch`: one for the declared groups' lookup (⌈groups / 15⌉ clauses, 20 to a batch), ⌈groups × 4 / 20⌉
///   for their policies and schedules, and ⌈lookup clauses / 20⌉ for the declared principals no schedule named;
/// - ARM: per declared scope, the pages of its policies and policy assignments; per subscription, the pages of its
///   eligibility schedules, assignment schedules and instances (2 × scopes + 3 × roots at one page each).
#[tokio::test]
async fn estate_l_is_read_in_lists_and_batches_by_surface() {
    use pimctl::emulator::generate::{Options, Part, Size, generate};
    use pimctl::emulator::state::{Level, Surface};
    use pimctl::graph::client::{ArmClient, GraphConfig, StaticToken};
    use pimctl::graph::{MAX_FILTER_IN_VALUES, batch::MAX_BATCH_REQUESTS};
    let shape = Size::L.shape();
    let g = generate(&Options::size(Size::L)).unwrap();
    let em = emulator_from_yaml(&g.seed, &Setup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    g.write_policies(dir.path()).unwrap();
    let desired = desired(dir.path(), &em);
    let page = 100;

    // What the tenant holds, as seeded: each list's length.
    let now = em.with_state(|s| s.now());
    let (definitions, eligible, assignment_schedules, activations, reviews) = em.with_state(|s| {
        let dir = |level: Level| {
            s.schedules
                .iter()
                .filter(move |x| x.surface == Surface::DirectoryRole && x.level == level)
        };
        (
            s.roles.len(),
            dir(Level::Eligibility).count(),
            dir(Level::Assignment).count(),
            dir(Level::Assignment)
                .filter(|x| x.activated_using.is_some())
                .count(),
            s.access_reviews.len(),
        )
    });
    let arm_lists: u64 = em.with_state(|s| {
        let scopes = shape.azure.scopes() as u64;
        let first = pimctl::graph::arm::ArmScope::Subscription(s.arm.subscriptions[0].id.clone());
        let policies = pages(s.arm.roles_at(&first).len(), page);
        let roots: u64 = s
            .arm
            .subscriptions
            .iter()
            .map(|sub| {
                let under = |level: Level| {
                    s.arm
                        .schedules
                        .iter()
                        .filter(|x| x.level == level && x.live(now))
                        .filter(|x| {
                            x.scope
                                .to_ascii_lowercase()
                                .starts_with(&format!("/subscriptions/{}", sub.id))
                        })
                        .count()
                };
                let active = under(Level::Assignment);
                pages(under(Level::Eligibility), page) + 2 * pages(active, page)
            })
            .sum();
        scopes * 2 * policies + roots
    });
    assert_eq!(activations, shape.activations);

    em.reset_stats();
    let client = client(&em);
    let mut config = GraphConfig::new(em.arm_url(), std::sync::Arc::new(StaticToken::new("x")));
    config.retry.max_attempts = 1;
    let arm = ArmClient::new(config).unwrap();
    let mut live = pimctl::observe::read_tenant(&client, &[&desired], now)
        .await
        .unwrap();
    pimctl::observe::azure::read_azure(&arm, &[&desired], &mut live)
        .await
        .unwrap();
    let plan = pimctl::plan::build(&desired, &live, &Default::default());
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);

    // The plan is the generated drift, surface by surface.
    for (part, e) in &g.expected_by_part {
        let count = |a: pimctl::plan::Action| {
            plan.changes
                .iter()
                .filter(|c| Part::of(&c.key) == *part && c.action == a)
                .count()
        };
        use pimctl::plan::Action::*;
        assert_eq!(
            (
                count(Create),
                count(Remove),
                count(Update),
                count(UpdateRule)
            ),
            (e.creates, e.removes, e.updates, e.rule_updates),
            "{}: {:#?}",
            part.name(),
            lines(&plan)
        );
    }
    assert_eq!(plan.changes.len(), g.expected.changes());
    assert_eq!(
        plan.notes
            .iter()
            .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
            .count(),
        shape.activations + shape.pim_groups.activations
    );

    let groups = shape.pim_groups.groups;
    let graph_lists = 2 * pages(definitions, page)
        + pages(eligible, page)
        + pages(assignment_schedules, page)
        + pages(activations, page)
        + pages(reviews, page);
    let group_clauses = groups.div_ceil(MAX_FILTER_IN_VALUES);
    let group_lists = groups * pimctl::observe::groups::LISTS;
    let batches = (group_clauses.div_ceil(MAX_BATCH_REQUESTS)
        + group_lists.div_ceil(MAX_BATCH_REQUESTS)
        + g.lookups.clauses().div_ceil(MAX_BATCH_REQUESTS)) as u64;
    let sub_requests = (group_clauses + group_lists + g.lookups.clauses()) as u64;
    // At L's shape: 2 + 2 pages of 144 role definitions and their policies, 50 + 15 + 5 pages of schedules and
    // activations, 1 of 99 reviews; 1 + 40 + 0 `$batch` (every declared principal holds some Graph assignment the
    // drift left in place); 120 scopes × 2 lists of 41 policies, 20 subscriptions × (2 pages of ~150 eligibility
    // schedules + 1 + 1).
    assert_eq!(
        (graph_lists, batches, arm_lists),
        (75, 41, 320),
        "the formulas at L's shape"
    );

    // The clients' counts: HTTP requests, a `$batch` one.
    let graph = client.stats();
    assert_eq!(
        (graph.requests, graph.batches, graph.retries),
        (graph_lists + batches, batches, 0),
        "{:#?}",
        em.stats().routes
    );
    assert_eq!(arm.stats().requests, arm_lists, "{:#?}", em.stats().routes);
    // The emulator's: every HTTP request and every `$batch` sub-request, once each; nothing per object.
    let stats = em.stats();
    assert_eq!(
        stats.total,
        graph_lists + batches + sub_requests + arm_lists,
        "{:#?}",
        stats.routes
    );
    for route in stats.routes.keys() {
        assert!(
            !route.contains("{id}") && !route.contains("/{name}"),
            "a request per object: {route}"
        );
    }
}
