//! Whatever the declaration and the tenant, a plan never removes or downgrades a protected principal, and never
//! plans an activation as a change. Random desired and live states, straight into the pure planner.

use chrono::{DateTime, Duration, Utc};
use pimctl::catalog::well_known;
use pimctl::graph::defaults::default_rules;
use pimctl::model::*;
use pimctl::observe::rules::observed_settings;
use pimctl::plan::{self, Action, Meaning, PlanOptions};
use proptest::prelude::*;
use std::collections::BTreeMap;

const ROLES: [&str; 3] = [
    well_known::GLOBAL_ADMINISTRATOR,
    "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
];
const PEOPLE: usize = 5;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}
fn id(i: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{i}")
}
fn upn(i: usize) -> String {
    format!("p{i}@contoso.com")
}
fn origin() -> Origin {
    Origin {
        file: "p.yaml".into(),
        path: "x".into(),
        line: 1,
        column: 1,
    }
}

/// An end: none (permanent), or some days from now.
fn end() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (1i64..400).prop_map(Some)]
}

/// One role's declared people of one kind, with their ends; `None`: the kind is unmanaged.
type Declared = Option<Vec<(usize, Option<i64>)>>;

#[derive(Debug, Clone)]
struct Case {
    protected: Vec<bool>,
    /// Per role and kind: unmanaged (None) or the declared people with their ends.
    declared: Vec<[Declared; 2]>,
    /// (role, person, kind, end)
    live: Vec<(usize, usize, bool, Option<i64>)>,
    activations: Vec<(usize, usize)>,
    /// Per role: the declared allow_permanent for eligible and active, and the live one.
    permanence: Vec<(Option<bool>, Option<bool>, bool, bool)>,
}

fn case() -> impl Strategy<Value = Case> {
    let declared_kind =
        || proptest::option::of(proptest::collection::vec((0..PEOPLE, end()), 0..PEOPLE));
    (
        proptest::collection::vec(any::<bool>(), PEOPLE),
        proptest::collection::vec([declared_kind(), declared_kind()], ROLES.len()),
        proptest::collection::vec((0..ROLES.len(), 0..PEOPLE, any::<bool>(), end()), 0..12),
        proptest::collection::vec((0..ROLES.len(), 0..PEOPLE), 0..4),
        proptest::collection::vec(
            (
                any::<Option<bool>>(),
                any::<Option<bool>>(),
                any::<bool>(),
                any::<bool>(),
            ),
            ROLES.len(),
        ),
    )
        .prop_map(
            |(protected, declared, live, activations, permanence)| Case {
                protected,
                declared,
                live,
                activations,
                permanence,
            },
        )
}

fn states(c: &Case) -> (DesiredState, LiveState) {
    let at = |d: Option<i64>| d.map(|d| now() + Duration::days(d));
    let mut desired = DesiredState::default();
    for (i, p) in c.protected.iter().enumerate() {
        if *p {
            desired.protected.push(Protected {
                principal: PrincipalRef::new(PrincipalKind::User, upn(i)),
                origin: origin(),
            });
        }
    }
    let mut live = LiveState {
        read_at: now(),
        source: "test".into(),
        ..LiveState::default()
    };
    for i in 0..PEOPLE {
        live.principals.insert(
            id(i),
            LivePrincipal {
                id: id(i),
                kind: PrincipalKind::User,
                display_name: None,
                user_principal_name: Some(upn(i)),
                app_id: None,
                user_type: None,
                on_premises_sync_enabled: None,
            },
        );
        live.resolved.insert(
            PrincipalRef::new(PrincipalKind::User, upn(i)),
            Resolution::Found { id: id(i) },
        );
    }
    for (r, template) in ROLES.iter().enumerate() {
        let key = RoleKey(template.to_string());
        let builtin = pimctl::catalog::by_template_id(template).unwrap();
        let assignments = |k: usize| {
            c.declared[r][k].as_ref().map(|list| {
                let mut seen = BTreeMap::new();
                for (p, e) in list {
                    seen.insert(*p, *e);
                }
                seen.into_iter()
                    .map(|(p, e)| DesiredAssignment {
                        principal: PrincipalRef::new(PrincipalKind::User, upn(p)),
                        until: at(e),
                        condition: None,
                        origin: origin(),
                    })
                    .collect::<Vec<_>>()
            })
        };
        let (elig_perm, act_perm, live_elig_perm, live_act_perm) = c.permanence[r];
        let mut policy = PolicySettings::default();
        policy.eligible_assignment.allow_permanent = elig_perm;
        policy.active_assignment.allow_permanent = act_perm;
        let target = TargetKey::directory_role(key.clone());
        desired.targets.insert(
            target.clone(),
            DesiredTarget {
                target: TargetRef::DirectoryRole(RoleRef::BuiltIn {
                    template_id: template.to_string(),
                    display_name: builtin.display_name.clone(),
                }),
                templates: vec![],
                policy,
                eligible: assignments(0),
                active: assignments(1),
                access_review: None,
                no_access_review: None,
                origin: origin(),
            },
        );
        live.roles.insert(
            key.clone(),
            LiveRole {
                key: key.clone(),
                id: template.to_string(),
                display_name: builtin.display_name.clone(),
                is_built_in: true,
                is_privileged: builtin.is_privileged,
            },
        );
        let rules = default_rules();
        let mut settings = observed_settings(&rules);
        settings.eligible_assignment.allow_permanent = Some(live_elig_perm);
        settings.active_assignment.allow_permanent = Some(live_act_perm);
        live.policies.insert(
            target,
            LivePolicy {
                id: format!("policy-{r}"),
                rules,
                settings,
            },
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (n, (r, p, active, e)) in c.live.iter().enumerate() {
        if !seen.insert((*r, *p, *active)) {
            continue;
        }
        live.assignments.push(LiveAssignment {
            target: TargetKey::directory_role(RoleKey(ROLES[*r].to_string())),
            principal_id: id(*p),
            kind: if *active {
                AssignmentKind::Active
            } else {
                AssignmentKind::Eligible
            },
            schedule_id: format!("s{n}"),
            start: Some(now() - Duration::days(10)),
            end: at(*e),
            member_type: Some("Direct".into()),
            condition: None,
        });
    }
    for (r, p) in &c.activations {
        live.activations.push(LiveActivation {
            target: TargetKey::directory_role(RoleKey(ROLES[*r].to_string())),
            principal_id: id(*p),
            start: Some(now() - Duration::minutes(30)),
            end: Some(now() + Duration::minutes(90)),
        });
    }
    live.normalize();
    (desired, live)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn protected_principals_are_never_removed_or_downgraded(c in case()) {
        let (desired, live) = states(&c);
        let p = plan::build(&desired, &live, &PlanOptions::default());
        let protected: Vec<String> = (0..PEOPLE).filter(|i| c.protected[*i]).map(id).collect();
        for change in &p.changes {
            for op in &change.operations {
                if let Meaning::Assignment { principal, action, .. } = &op.meaning {
                    let is_protected = protected.contains(principal);
                    prop_assert!(
                        !(is_protected && *action == pimctl::graph::ScheduleRequestAction::AdminRemove),
                        "removes a protected principal: {change:#?}"
                    );
                    // An update of a protected principal never gives a permanent assignment an end.
                    if is_protected && change.action == Action::Update {
                        prop_assert!(change.before["end"].is_string(), "downgrades {change:#?}");
                    }
                }
            }
        }
        // Determinism: the same inputs give the same plan.
        prop_assert_eq!(&p, &plan::build(&desired, &live, &PlanOptions::default()));
    }

    #[test]
    fn activations_are_never_changes(c in case()) {
        let (desired, mut live) = states(&c);
        let with = plan::build(&desired, &live, &PlanOptions::default());
        live.activations.clear();
        let without = plan::build(&desired, &live, &PlanOptions::default());
        // The same changes; only a removal's reason may mention the activation it does not end.
        let keys = |p: &plan::Plan| -> Vec<_> {
            p.changes.iter().map(|c| (c.action, c.key.clone(), c.after.clone())).collect()
        };
        prop_assert_eq!(keys(&with), keys(&without));
        prop_assert_eq!(&with.errors, &without.errors);
    }
}
