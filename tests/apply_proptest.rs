//! Convergence for random declarations and tenants, over real HTTP against the emulator: after `apply`, a new plan
//! has no changes, applying it sends no write, the plan that was applied is now stale, activations in progress are
//! untouched, and the break-glass account keeps its permanent Global Administrator. The targets are three directory
//! roles and the members and owners of a group (PIM for Groups), on the same engine.

mod planning;
use pimctl::apply::{self, ApplyOptions};
use pimctl::observe::read_tenant;
use pimctl::plan::{self, PlanOptions};
use planning::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a case declares and holds: a directory role by name, or the group's members or owners.
#[derive(Debug, Clone, Copy)]
enum Target {
    Role(&'static str),
    Group(&'static str),
}
use Target::{Group, Role};

const TARGETS: [Target; 5] = [
    Role("Global Administrator"),
    Role("User Administrator"),
    Role("Billing Administrator"),
    Group("member"),
    Group("owner"),
];
/// A group of the fresh tenant, not onboarded to PIM for Groups until the case gives it assignments (its first
/// write onboards it otherwise).
const GROUP: &str = "App-Ops";
/// People of the fresh Contoso tenant (tests/fixtures/tenants/fresh.yaml).
const PEOPLE: [&str; 6] = [
    "alice.admin@contoso.com",
    "bob.secops@contoso.com",
    "carol.iam@contoso.com",
    "dave.helpdesk@contoso.com",
    "erin.exchange@contoso.com",
    "frank.sharepoint@contoso.com",
];
const BREAK_GLASS: &str = "bg-01@contoso.onmicrosoft.com";
/// The fresh tenant's clock is 2026-11-21; ends are whole days after it, at the end of the day (as `until` dates).
const DAY0: (i32, u32, u32) = (2026, 11, 21);
/// Within both of Microsoft's default maxima (365 days eligible, 180 days active).
const MAX_DAYS: i64 = 170;

/// Declared people with their end in days (None: permanent).
type People = Vec<(usize, Option<i64>)>;

#[derive(Debug, Clone)]
struct TargetCase {
    /// `allow_permanent` for eligible and active: unset, or a value.
    permanence: [Option<bool>; 2],
    /// Per kind: unmanaged (None), or the declared people with their end (None: permanent).
    declared: [Option<People>; 2],
}

#[derive(Debug, Clone)]
struct Case {
    targets: Vec<TargetCase>,
    /// (target, person, active?, end)
    live: Vec<(usize, usize, bool, Option<i64>)>,
    /// (target, person): an activation in progress, where the person is eligible in the tenant.
    activations: Vec<(usize, usize)>,
}

fn end() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (1..=MAX_DAYS).prop_map(Some)]
}

fn target_case() -> impl Strategy<Value = TargetCase> {
    let declared =
        || proptest::option::of(proptest::collection::vec((0..PEOPLE.len(), end()), 0..4));
    (
        [any::<Option<bool>>(), any::<Option<bool>>()],
        [declared(), declared()],
    )
        .prop_map(|(permanence, declared)| TargetCase {
            permanence,
            declared,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(target_case(), TARGETS.len()),
        proptest::collection::vec(
            (0..TARGETS.len(), 0..PEOPLE.len(), any::<bool>(), end()),
            0..12,
        ),
        proptest::collection::vec((0..TARGETS.len(), 0..PEOPLE.len()), 0..3),
    )
        .prop_map(|(targets, live, activations)| Case {
            targets,
            live,
            activations,
        })
}

fn date(days: i64) -> chrono::NaiveDate {
    let (y, m, d) = DAY0;
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() + chrono::Duration::days(days)
}

/// The tenant: the fresh directory, bg-01 a permanent active Global Administrator, the case's assignments and
/// activations (a group's under the group's `pim`, which onboards it).
fn seed(c: &Case) -> String {
    let mut live: BTreeMap<(usize, usize, bool), Option<i64>> = BTreeMap::new();
    for (t, p, active, e) in &c.live {
        live.insert((*t, *p, *active), *e);
    }
    // Per list: the directory roles' lines, then the group's.
    let mut lists: [(String, String); 3] = Default::default();
    let (eligible, active, activations) = (0, 1, 2);
    lists[active].0.push_str(&format!(
        "  - {{role: Global Administrator, user: {BREAK_GLASS}}}\n"
    ));
    let mut push = |list: usize, t: usize, p: usize, extra: &str| {
        match TARGETS[t] {
            Role(role) => writeln!(
                lists[list].0,
                "  - {{role: {role}, user: {}{extra}}}",
                PEOPLE[p]
            ),
            Group(access) => writeln!(
                lists[list].1,
                "      - {{access: {access}, user: {}{extra}}}",
                PEOPLE[p]
            ),
        }
        .unwrap()
    };
    for ((t, p, is_active), e) in &live {
        let until = e.map_or(String::new(), |d| format!(", until: {}T23:59:59Z", date(d)));
        push(if *is_active { active } else { eligible }, *t, *p, &until);
    }
    let activated: std::collections::BTreeSet<_> = c.activations.iter().collect();
    for (t, p) in activated {
        // The tenant holds one active grant per principal and target: no activation where one is assigned active.
        // Nor where the declaration makes the principal active: Graph refuses that assignment while the activation
        // lasts, and apply reports it failed (tests/apply_contoso.rs), so such a case cannot converge in one apply.
        let declared_active = c.targets[*t].declared[1]
            .as_ref()
            .is_some_and(|list| list.iter().any(|(q, _)| q == p));
        if live.contains_key(&(*t, *p, false))
            && !live.contains_key(&(*t, *p, true))
            && !declared_active
        {
            push(
                activations,
                *t,
                *p,
                ", start: 2026-11-21T08:30:00Z, duration: PT2H",
            );
        }
    }
    let names = ["eligible", "active", "activations"];
    let mut roles = String::new();
    let mut group = String::new();
    for (i, (r, g)) in lists.iter().enumerate() {
        match r.is_empty() {
            true => writeln!(roles, "{}: []", names[i]),
            false => write!(roles, "{}:\n{r}", names[i]),
        }
        .unwrap();
        if !g.is_empty() {
            write!(group, "      {}:\n{g}", names[i]).unwrap();
        }
    }
    let fresh = std::fs::read_to_string(FRESH).unwrap();
    let plain = format!("  - {{name: {GROUP}}}\n");
    assert!(fresh.contains(&plain), "{FRESH} lists {GROUP}");
    let fresh = match group.is_empty() {
        true => fresh,
        false => fresh.replace(&plain, &format!("  - name: {GROUP}\n    pim:\n{group}")),
    };
    format!("{fresh}\n{roles}")
}

/// The declaration. A permanent assignment is declared only where the target declares permanence allowed, so the
/// declaration is always valid and the tenant always accepts it.
fn declaration(c: &Case) -> String {
    let mut roles = String::new();
    let mut group = String::new();
    for (t, tc) in c.targets.iter().enumerate() {
        if tc.permanence.iter().all(Option::is_none) && tc.declared.iter().all(Option::is_none) {
            continue;
        }
        let (y, indent) = match TARGETS[t] {
            Role(role) => {
                writeln!(roles, "  {role}:").unwrap();
                (&mut roles, "    ")
            }
            Group(access) => {
                writeln!(group, "    {access}:").unwrap();
                (&mut group, "      ")
            }
        };
        for (k, section) in ["eligible_assignment", "active_assignment"]
            .iter()
            .enumerate()
        {
            if let Some(allow) = tc.permanence[k] {
                writeln!(y, "{indent}{section}: {{allow_permanent: {allow}}}").unwrap();
            }
        }
        for (k, kind) in ["eligible", "active"].iter().enumerate() {
            let Some(list) = &tc.declared[k] else {
                continue;
            };
            let mut people: BTreeMap<usize, Option<i64>> = BTreeMap::new();
            for (p, e) in list {
                let e = if tc.permanence[k] == Some(true) {
                    *e
                } else {
                    Some(e.unwrap_or(MAX_DAYS))
                };
                people.insert(*p, e);
            }
            if people.is_empty() {
                writeln!(y, "{indent}{kind}: []").unwrap();
                continue;
            }
            writeln!(y, "{indent}{kind}:").unwrap();
            for (p, e) in people {
                match e {
                    Some(d) => {
                        writeln!(y, "{indent}  - {{user: {}, until: {}}}", PEOPLE[p], date(d))
                    }
                    None => writeln!(y, "{indent}  - user: {}", PEOPLE[p]),
                }
                .unwrap();
            }
        }
    }
    let roles = if roles.is_empty() {
        " {}\n".to_string()
    } else {
        format!("\n{roles}")
    };
    let groups = if group.is_empty() {
        String::new()
    } else {
        format!("groups:\n  {GROUP}:\n{group}")
    };
    format!(
        "version: pimctl/v1\nprotected:\n  - user: {BREAK_GLASS}\ndirectory_roles:{roles}{groups}"
    )
}

async fn converges(c: &Case) {
    let em = emulator_from_yaml(&seed(c), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&declaration(c), &em);
    let client = client(&em);
    let now = em.with_state(|s| s.now());
    let activations_before = em.with_state(|s| {
        s.schedules
            .iter()
            .filter(|x| x.live(now) && x.activated_using.is_some())
            .count()
    });

    let live = read_tenant(&client, &[&desired], now).await.unwrap();
    let first = plan::build(&desired, &live, &PlanOptions::default());
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    // Every write the planner makes is one the stale check vouches for (apply refuses any other).
    assert_eq!(apply::unrecorded_writes(&first), Vec::<String>::new());
    let report = apply::apply(&client, &first, &ApplyOptions::default(), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");

    let live = read_tenant(&client, &[&desired], now).await.unwrap();
    let second = plan::build(&desired, &live, &PlanOptions::default());
    assert!(
        second.changes.is_empty(),
        "left after apply: {:?}",
        lines(&second)
    );
    if !first.changes.is_empty() {
        assert!(
            !apply::stale_objects(&first, &live).is_empty(),
            "a plan that was applied is stale"
        );
    }

    em.reset_stats();
    let report = apply::apply(&client, &second, &ApplyOptions::default(), &mut |_| {}).await;
    assert!(report.changes.is_empty());
    let writes: u64 = em
        .stats()
        .routes
        .iter()
        .filter(|(k, _)| !k.starts_with("GET"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(writes, 0, "a second apply writes nothing");

    let activations_after = em.with_state(|s| {
        s.schedules
            .iter()
            .filter(|x| x.live(now) && x.activated_using.is_some())
            .count()
    });
    assert_eq!(
        activations_before, activations_after,
        "activations are not touched"
    );
    let ga = pimctl::catalog::well_known::GLOBAL_ADMINISTRATOR;
    assert!(live.assignments.iter().any(|a| a.target.role.0 == ga
        && a.end.is_none()
        && a.kind == pimctl::model::AssignmentKind::Active
        && live.label(&a.principal_id) == BREAK_GLASS));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_plan_has_no_changes(c in case()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(converges(&c));
    }
}
