//! The redeploy scenario at scale (issue #17, item 5): an estate's 20 resource groups torn down and deployed again
//! at once, through the emulator's `/_emulator/azure` lifecycle, lose their customised policies and every
//! assignment; a plan finds exactly what was lost, apply restores it, and the tenant is as it was before, with the
//! requests of the plan and of the apply counted exactly. Timings are in BENCHMARKS.md (`scale -- redeploy`).

mod planning;
use pimctl::apply::{self, Outcome};
use pimctl::emulator::arm::ArmSchedule;
use pimctl::emulator::generate::{self, AzureEstate, Drift, Layout, Options, Shape};
use pimctl::emulator::state::Level;
use pimctl::model::{LiveState, TargetKey};
use pimctl::plan::{self, Action, Plan, PlanOptions};
use planning::*;

fn pages(items: usize, page: usize) -> u64 {
    items.div_ceil(page).max(1) as u64
}

/// What a redeploy can take away, at the redeployed scopes: each target's policy rules, and its assignments
/// (principal, kind, end; the schedule ids are new after a restore).
fn at_scopes(live: &LiveState, scopes: &[String]) -> String {
    let under = |t: &TargetKey| scopes.contains(&t.scope);
    let mut out = vec![];
    for (t, p) in live.policies.iter().filter(|(t, _)| under(t)) {
        out.push(format!("{t:?} {:?}", p.settings));
    }
    let mut assignments: Vec<String> = live
        .assignments
        .iter()
        .filter(|a| under(&a.target))
        .map(|a| format!("{:?} {} {:?} {:?}", a.target, a.principal_id, a.kind, a.end))
        .collect();
    assignments.sort();
    out.extend(assignments);
    out.join("\n")
}

async fn read_and_plan(
    em: &pimctl::emulator::RunningEmulator,
    desired: &pimctl::model::DesiredState,
) -> (LiveState, Plan) {
    let live = read_live(em, desired).await;
    let p = plan::build(desired, &live, &PlanOptions::default());
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    (live, p)
}

/// The emulator's requests whose route is not ARM's (Graph's), and those whose route is (`Microsoft.Authorization`).
fn by_service(em: &pimctl::emulator::RunningEmulator) -> (u64, u64) {
    let arm = |k: &str| k.contains("Microsoft.Authorization");
    (requests_on(em, |k| !arm(k)), requests_on(em, arm))
}

#[tokio::test]
async fn twenty_resource_groups_redeployed_at_once_are_restored_exactly_in_counted_requests() {
    // A directory kept small, and an Azure estate of 4 subscriptions with 5 resource groups each (10 managed roles
    // per scope, the generator's policies), in step with its declaration: no drift.
    let g = generate::generate(&Options {
        shape: Shape {
            roles: 10,
            eligible: 40,
            active: 10,
            users: 200,
            policies: true,
            azure: AzureEstate {
                subscriptions: 4,
                resource_groups: 5,
                roles_per_scope: 10,
                eligible: 600,
                active: 60,
            },
            ..Shape::default()
        },
        drift: Drift::default(),
        layout: Layout::FilePerRole,
        rng_seed: 0,
    })
    .expect("a shape the generator lays out");
    let em = emulator_from_yaml(&g.seed, &Setup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    g.write_policies(dir.path()).unwrap();
    let desired = desired(dir.path(), &em);
    em.reset_stats();
    let (before, p) = read_and_plan(&em, &desired).await;
    assert!(p.changes.is_empty(), "{:#?}", lines(&p));
    let (graph_before, _) = by_service(&em);

    // Every resource group, and what it holds: the assignments a redeploy deletes.
    let now = em.with_state(|s| s.now());
    let (groups, held) = em.with_state(|s| {
        let groups: Vec<(String, String)> = s
            .arm
            .resource_groups
            .iter()
            .map(|r| (r.subscription.clone(), r.name.clone()))
            .collect();
        let held = |x: &&ArmSchedule| {
            x.live(now)
                && x.scope.to_ascii_lowercase().contains("/resourcegroups/")
                && (x.level == Level::Eligibility || x.linked_eligibility.is_none())
        };
        (groups, s.arm.schedules.iter().filter(held).count())
    });
    assert_eq!(groups.len(), 20);
    let scopes: Vec<String> = groups
        .iter()
        .map(|(sub, rg)| format!("/subscriptions/{sub}/resourcegroups/{rg}"))
        .collect();
    let declared_before = at_scopes(&before, &scopes);
    assert!(held > 0 && !declared_before.is_empty());

    // The 20 redeployed at once, over HTTP: deleted, then created again from Microsoft's defaults.
    let http = reqwest::Client::new();
    let control = em.control_url();
    let redeploy = groups.iter().map(|(sub, rg)| {
        let (http, url) = (
            &http,
            format!("{control}/azure/subscriptions/{sub}/resourceGroups/{rg}"),
        );
        async move {
            assert_eq!(http.delete(&url).send().await.unwrap().status(), 204);
            assert_eq!(http.put(&url).send().await.unwrap().status(), 201);
        }
    });
    futures_util::future::join_all(redeploy).await;

    // The plan: exactly what the redeploy took, nothing else; read in the same lists as any plan.
    em.reset_stats();
    let (after, p) = read_and_plan(&em, &desired).await;
    assert!(at_scopes(&after, &scopes) != declared_before);
    let count = |a: Action| p.changes.iter().filter(|c| c.action == a).count();
    assert_eq!(count(Action::Create), held, "{:#?}", lines(&p));
    assert_eq!(
        (count(Action::Remove), count(Action::Update)),
        (0, 0),
        "{:#?}",
        lines(&p)
    );
    let rule_updates = count(Action::UpdateRule);
    assert!(rule_updates > 0);
    assert!(
        p.changes
            .iter()
            .all(|c| scopes.contains(&c.key.target().scope)),
        "{:#?}",
        lines(&p)
    );
    // ARM: per declared scope its policies and policy assignments (one page of the 41 roles each), per
    // subscription its eligibility schedules (now only the subscription's own, one page), assignment schedules and
    // instances: 2 × 24 + 3 × 4. Graph, as before the redeploy: the directory's five lists (2 + 2 + 1 + 1 + 1
    // pages: 144 role definitions and their policies), and one `$batch` of lookups with its sub-requests, for the
    // declared principals no Graph schedule names (those holding only Azure roles: ARM is read beside Graph, and
    // its principals are not Graph's answer to a lookup).
    let arm_lists = em.with_state(|s| {
        let subs = &s.arm.subscriptions;
        let eligible = |sub: &str| {
            s.arm
                .schedules
                .iter()
                .filter(|x| x.level == Level::Eligibility && x.live(now))
                .filter(|x| {
                    x.scope
                        .to_ascii_lowercase()
                        .starts_with(&format!("/subscriptions/{sub}"))
                })
                .count()
        };
        2 * 24
            + subs
                .iter()
                .map(|sub| pages(eligible(&sub.id), 100) + 2)
                .sum::<u64>()
    });
    assert_eq!(arm_lists, 60);
    let graph = 7 + 1 + g.lookups.clauses() as u64;
    assert_eq!((graph_before, graph), (18, 18), "the formula at this shape");
    assert_eq!(
        by_service(&em),
        (graph, arm_lists),
        "{:#?}",
        em.stats().routes
    );

    // Apply: a PUT of a schedule request per lost assignment, a PATCH per changed rule and the policy read back
    // after it; nothing from Graph.
    em.reset_stats();
    let report = apply::apply(&client(&em), &p, &apply_options(&em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    assert_eq!(
        report.count(Outcome::Applied),
        p.changes.len(),
        "{report:#?}"
    );
    assert_eq!(
        by_service(&em),
        (0, (held + 2 * rule_updates) as u64),
        "{:#?}",
        em.stats().routes
    );

    // Restored exactly: the same policies and assignments at the 20 scopes as before the redeploy, and nothing
    // left to plan.
    let (restored, again) = read_and_plan(&em, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
    assert_eq!(at_scopes(&restored, &scopes), declared_before);
}
