//! Convergence for random declarations and tenants, over real HTTP against the emulator: after `apply`, a new plan
//! has no changes, applying it sends no write, the plan that was applied is now stale, activations in progress are
//! untouched, and the break-glass account keeps its permanent Global Administrator. The targets are three directory
//! roles, the members and owners of a group (PIM for Groups), and Azure roles at a management group, a subscription
//! and a resource group (through ARM), on the same engine. Azure assignments may carry ABAC conditions and be
//! inherited from a scope above; the break-glass account also holds a permanent Owner of the subscription, and
//! neither its Owner nor a live condition is ever dropped; the tenant carries out no request twice.

mod planning;
use pimctl::apply;
use pimctl::plan::{self, PlanOptions};
use planning::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a case declares and holds: a directory role by name, the group's members or owners, or an Azure role (by
/// name) at a scope.
#[derive(Debug, Clone, Copy)]
enum Target {
    Role(&'static str),
    Group(&'static str),
    Azure(&'static str, &'static str),
}
use Target::{Azure, Group, Role};

/// The fresh tenant's Azure estate: the `contoso` management group, Contoso Prod below it, app-rg in Prod.
const MG: &str = "/providers/Microsoft.Management/managementGroups/contoso";
const PROD: &str = "/subscriptions/c0150000-0000-4000-8000-000000000001";
const APP_RG: &str = "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

const TARGETS: [Target; 9] = [
    Role("Global Administrator"),
    Role("User Administrator"),
    Role("Billing Administrator"),
    Group("member"),
    Group("owner"),
    // One role at three scopes: what is held above a declared scope is inherited there.
    Azure(MG, "Contributor"),
    Azure(PROD, "Contributor"),
    Azure(APP_RG, "Contributor"),
    Azure(PROD, "Owner"),
];
/// ABAC conditions an Azure assignment may carry (declared or held).
const CONDITIONS: [&str; 2] = [
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'audit'",
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

/// Declared people with their end in days (None: permanent) and, on an Azure target, their ABAC condition (an index
/// into `CONDITIONS`).
type People = Vec<(usize, Option<i64>, Option<usize>)>;

#[derive(Debug, Clone)]
struct TargetCase {
    /// `allow_permanent` for eligible and active: unset, or a value.
    permanence: [Option<bool>; 2],
    /// Per kind: unmanaged (None), or the declared people with their end (None: permanent).
    declared: [Option<People>; 2],
}

/// An assignment the tenant holds: (target, person, active?, end, condition: on an Azure target only).
type Held = (usize, usize, bool, Option<i64>, Option<usize>);
/// An assignment's end and condition.
type EndAndCondition = (Option<i64>, Option<usize>);

#[derive(Debug, Clone)]
struct Case {
    targets: Vec<TargetCase>,
    live: Vec<Held>,
    /// (target, person): an activation in progress, where the person is eligible in the tenant.
    activations: Vec<(usize, usize)>,
}

fn end() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (1..=MAX_DAYS).prop_map(Some)]
}

fn condition() -> impl Strategy<Value = Option<usize>> {
    proptest::option::of(0..CONDITIONS.len())
}

fn target_case() -> impl Strategy<Value = TargetCase> {
    let declared = || {
        proptest::option::of(proptest::collection::vec(
            (0..PEOPLE.len(), end(), condition()),
            0..4,
        ))
    };
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
            (
                0..TARGETS.len(),
                0..PEOPLE.len(),
                any::<bool>(),
                end(),
                condition(),
            ),
            0..14,
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

/// The tenant: the fresh directory, bg-01 a permanent active Global Administrator and a permanent active Owner of
/// Contoso Prod, the case's assignments and activations (a group's under the group's `pim`, which onboards it; an
/// Azure role's under `azure:`).
fn seed(c: &Case) -> String {
    let mut live: BTreeMap<(usize, usize, bool), EndAndCondition> = BTreeMap::new();
    for (t, p, active, e, cond) in &c.live {
        live.insert((*t, *p, *active), (*e, *cond));
    }
    // Per list: the directory roles' lines, the group's, and the Azure roles'.
    let mut lists: [(String, String, String); 3] = Default::default();
    let (eligible, active, activations) = (0, 1, 2);
    lists[active].0.push_str(&format!(
        "  - {{role: Global Administrator, user: {BREAK_GLASS}}}\n"
    ));
    lists[active].2.push_str(&format!(
        "    - {{scope: {PROD}, role: Owner, user: {BREAK_GLASS}}}\n"
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
            Azure(scope, role) => writeln!(
                lists[list].2,
                "    - {{scope: {scope}, role: {role}, user: {}{extra}}}",
                PEOPLE[p]
            ),
        }
        .unwrap()
    };
    for ((t, p, is_active), (e, cond)) in &live {
        let mut extra = e.map_or(String::new(), |d| format!(", until: {}T23:59:59Z", date(d)));
        if let (Azure(..), Some(i)) = (TARGETS[*t], cond) {
            extra.push_str(&format!(
                ", condition: \"{}\", condition_version: \"2.0\"",
                CONDITIONS[*i]
            ));
        }
        push(if *is_active { active } else { eligible }, *t, *p, &extra);
    }
    let activated: std::collections::BTreeSet<_> = c.activations.iter().collect();
    for (t, p) in activated {
        // The tenant holds one active grant per principal and target: no activation where one is assigned active.
        // Nor where the declaration makes the principal active: Graph refuses that assignment while the activation
        // lasts, and apply reports it failed (tests/apply_contoso.rs), so such a case cannot converge in one apply.
        // The seed has no Azure activations.
        let declared_active = c.targets[*t].declared[1]
            .as_ref()
            .is_some_and(|list| list.iter().any(|(q, ..)| q == p));
        if live.contains_key(&(*t, *p, false))
            && !live.contains_key(&(*t, *p, true))
            && !declared_active
            && !matches!(TARGETS[*t], Azure(..))
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
    let mut azure = String::new();
    for (i, (r, g, a)) in lists.iter().enumerate() {
        match r.is_empty() {
            true => writeln!(roles, "{}: []", names[i]),
            false => write!(roles, "{}:\n{r}", names[i]),
        }
        .unwrap();
        if !g.is_empty() {
            write!(group, "      {}:\n{g}", names[i]).unwrap();
        }
        if !a.is_empty() {
            write!(azure, "  {}:\n{a}", names[i]).unwrap();
        }
    }
    let fresh = std::fs::read_to_string(FRESH).unwrap();
    let plain = format!("  - {{name: {GROUP}}}\n");
    assert!(fresh.contains(&plain), "{FRESH} lists {GROUP}");
    let fresh = match group.is_empty() {
        true => fresh,
        false => fresh.replace(&plain, &format!("  - name: {GROUP}\n    pim:\n{group}")),
    };
    // The Azure assignments close the seed's `azure:` section, which ends the fresh tenant.
    let last = "    - {subscription: Contoso Dev, name: sandbox-rg}\n";
    assert!(fresh.ends_with(last), "{FRESH} ends with {last}");
    format!("{fresh}{azure}\n{roles}")
}

/// The declaration. A permanent assignment is declared only where the target declares permanence allowed, so the
/// declaration is always valid and the tenant always accepts it.
fn declaration(c: &Case) -> String {
    let mut roles = String::new();
    let mut group = String::new();
    let mut azure: BTreeMap<&str, String> = BTreeMap::new();
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
            Azure(scope, role) => {
                let y = azure.entry(scope).or_default();
                writeln!(y, "    {role}:").unwrap();
                (y, "      ")
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
            let mut people: BTreeMap<usize, EndAndCondition> = BTreeMap::new();
            for (p, e, cond) in list {
                let e = if tc.permanence[k] == Some(true) {
                    *e
                } else {
                    Some(e.unwrap_or(MAX_DAYS))
                };
                let cond = cond.filter(|_| matches!(TARGETS[t], Azure(..)));
                people.insert(*p, (e, cond));
            }
            if people.is_empty() {
                writeln!(y, "{indent}{kind}: []").unwrap();
                continue;
            }
            writeln!(y, "{indent}{kind}:").unwrap();
            for (p, (e, cond)) in people {
                let mut entry = format!("user: {}", PEOPLE[p]);
                if let Some(d) = e {
                    write!(entry, ", until: {}", date(d)).unwrap();
                }
                if let Some(i) = cond {
                    write!(
                        entry,
                        ", condition: \"{}\", condition_version: \"2.0\"",
                        CONDITIONS[i]
                    )
                    .unwrap();
                }
                writeln!(y, "{indent}  - {{{entry}}}").unwrap();
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
    let mut azure_roles = String::new();
    if !azure.is_empty() {
        azure_roles.push_str("azure_roles:\n");
        for (scope, roles) in &azure {
            write!(azure_roles, "  {scope}:\n{roles}").unwrap();
        }
    }
    format!(
        "version: pimctl/v1\nprotected:\n  - user: {BREAK_GLASS}\ndirectory_roles:{roles}{groups}{azure_roles}"
    )
}

async fn converges(c: &Case) {
    let em = emulator_from_yaml(&seed(c), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&declaration(c), &em);
    let client = client(&em);
    let options = apply_options(&em);
    let now = em.with_state(|s| s.now());
    let activations_before = em.with_state(|s| {
        s.schedules
            .iter()
            .filter(|x| x.live(now) && x.activated_using.is_some())
            .count()
    });

    let live = read_live(&em, &desired).await;
    let first = plan::build(&desired, &live, &PlanOptions::default());
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    // Deterministic: the same read gives the same plan.
    assert_eq!(first, plan::build(&desired, &live, &PlanOptions::default()));
    // Every write the planner makes is one the stale check vouches for (apply refuses any other).
    assert_eq!(apply::unrecorded_writes(&first), Vec::<String>::new());
    // No request planned twice: every ARM request has its own name, and no operation is planned twice.
    let ops: Vec<_> = first
        .changes
        .iter()
        .flat_map(|c| &c.operations)
        .map(|o| (o.method.as_str(), o.path.clone(), o.body.to_string()))
        .collect();
    let distinct: std::collections::BTreeSet<_> = ops.iter().collect();
    assert_eq!(distinct.len(), ops.len(), "an operation planned twice");
    let report = apply::apply(&client, &first, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");

    let live = read_live(&em, &desired).await;
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
    let report = apply::apply(&client, &second, &options, &mut |_| {}).await;
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
    let break_glass = |role: &str, scope: Option<&str>| {
        live.assignments.iter().any(|a| {
            a.target.role.0 == role
                && scope.is_none_or(|s| a.target.scope == s.to_lowercase())
                && a.end.is_none()
                && a.kind == pimctl::model::AssignmentKind::Active
                && live.label(&a.principal_id) == BREAK_GLASS
        })
    };
    assert!(break_glass(ga, None));
    assert!(break_glass(OWNER, Some(PROD)), "bg-01's Owner of Prod");

    // Azure: the tenant carried out no request twice, and holds one schedule per principal, role, scope and kind.
    let requests: Vec<_> = arm_carried_out(&em).into_iter().map(|r| r.what).collect();
    let held = arm_schedules(&em);
    let distinct: std::collections::BTreeSet<_> = requests.iter().collect();
    assert_eq!(
        distinct.len(),
        requests.len(),
        "a duplicate request: {requests:#?}"
    );
    let distinct: std::collections::BTreeSet<_> = held.iter().map(ArmHeld::key).collect();
    assert_eq!(
        distinct.len(),
        held.len(),
        "a duplicate schedule: {held:#?}"
    );
    // ABAC conditions: an assignment declared with one holds it. Any other keeps the condition the tenant held on it
    // (or none), and one made by converting an assignment of the other kind carries that one's: never dropped
    // silently, never invented.
    let id_of = |p: usize| em.with_state(|s| s.user(PEOPLE[p]).unwrap().id.to_lowercase());
    for (t, target) in TARGETS.iter().enumerate() {
        let Azure(scope, role) = *target else {
            continue;
        };
        let guid = pimctl::azure_catalog::lookup(role)
            .unwrap()
            .role_definition_id
            .to_lowercase();
        for p in 0..PEOPLE.len() {
            let id = id_of(p);
            let levels = ["Eligibility", "Assignment"];
            let now_held = |k: usize| {
                held.iter().find(|h| {
                    h.key()
                        == (
                            scope.to_lowercase().as_str(),
                            guid.as_str(),
                            id.as_str(),
                            levels[k],
                        )
                })
            };
            // What the seed held of this kind (the last entry wins, as in `seed`).
            let seeded = |k: usize| {
                c.live
                    .iter()
                    .rev()
                    .find(|l| (l.0, l.1, l.2) == (t, p, k == 1))
                    .map(|l| l.4.map(|i| CONDITIONS[i]))
            };
            for k in 0..2 {
                let Some(now) = now_held(k) else {
                    continue;
                };
                let declared = c.targets[t].declared[k]
                    .as_ref()
                    .and_then(|list| list.iter().rev().find(|(q, ..)| *q == p))
                    .and_then(|(_, _, cond)| *cond);
                let got = now.condition.as_deref();
                let context = || format!("{now:?}\n{}\n{}", seed(c), declaration(c));
                match (declared, seeded(k), seeded(1 - k)) {
                    (Some(i), ..) => assert_eq!(got, Some(CONDITIONS[i]), "{}", context()),
                    (None, Some(before), _) => assert_eq!(got, before, "{}", context()),
                    // Converted from the other kind, which is gone: its condition came along.
                    (None, None, Some(other)) if now_held(1 - k).is_none() => {
                        assert_eq!(got, other, "dropped in a conversion: {}", context())
                    }
                    (None, None, other) => {
                        assert!(got.is_none() || got == other.flatten(), "{}", context())
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_plan_has_no_changes(c in case()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(converges(&c));
    }
}
