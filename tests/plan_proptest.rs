//! Whatever the declaration and the tenant, a plan never removes or downgrades a protected principal, never plans
//! an activation as a change, and is deterministic. Random desired and live states, straight into the pure planner:
//! directory roles, and Azure roles at a management group, a subscription and resource groups, where it also writes
//! only where an assignment is held (never where it is inherited), keeps or carries every ABAC condition, plans
//! the same whichever way a role definition id is spelt, and flags as weakening each Owner or User Access
//! Administrator made permanent and active, and each assignment made at a scope above one held now; and a tenant
//! made as declared (inherited and unmanaged assignments beside) plans to nothing.

use chrono::{DateTime, Duration, Utc};
use pimctl::catalog::well_known;
use pimctl::graph::defaults::default_rules;
use pimctl::model::*;
use pimctl::observe::rules::observed_settings;
use pimctl::plan::{self, Action, Effect, Meaning, PlanOptions};
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

/// A tenant read at `now()` that holds the people and nothing else.
fn with_people() -> LiveState {
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
    live
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
    let mut live = with_people();
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
        never_removes_or_downgrades(&p, &protected)?;
        // Determinism: the same inputs give the same plan.
        prop_assert_eq!(&p, &plan::build(&desired, &live, &PlanOptions::default()));
    }

    #[test]
    fn activations_are_never_changes(c in case()) {
        let (desired, live) = states(&c);
        same_plan_without_activations(&desired, live)?;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Azure resource roles: the same engine at ARM scopes. The declaration is YAML through the loader (as users write
// it, roles spelt by name or by either role definition id); the live state is what `observe::azure` records: each
// schedule under the scope that holds it (`Direct`), and under every declared scope below as `Inherited`.

use pimctl::graph::arm::ArmScope;
use std::fmt::Write;

/// A management group, a subscription in it, a resource group in that, and a second resource group never declared.
const AZ_SCOPES: [&str; 4] = [
    "/providers/Microsoft.Management/managementGroups/contoso",
    "/subscriptions/c0150000-0000-4000-8000-000000000001",
    "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg",
    "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/data-rg",
];
/// The scopes a case may declare (the fourth only holds assignments).
const AZ_DECLARABLE: usize = 3;
const AZ_SUB: &str = "c0150000-0000-4000-8000-000000000001";
/// Owner and User Access Administrator (tier 0), Contributor (privileged, not tier 0).
const AZ_ROLES: [&str; 3] = ["Owner", "User Access Administrator", "Contributor"];
const AZ_TIER0: [bool; 3] = [true, true, false];
const AZ_CONDITIONS: [&str; 2] = [
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'audit'",
];
/// Within Microsoft's default maxima (365 days eligible, 180 active), so a declared end is always accepted.
const AZ_MAX_DAYS: i64 = 170;

/// Whether scope `lower` lies strictly below scope `upper` (indices into `AZ_SCOPES`).
fn az_below(lower: usize, upper: usize) -> bool {
    match upper {
        0 => lower != 0,
        1 => lower >= 2,
        _ => false,
    }
}

fn az_guid(role: usize) -> String {
    pimctl::azure_catalog::lookup(AZ_ROLES[role])
        .unwrap()
        .role_definition_id
        .to_lowercase()
}

fn az_target(scope: usize, role: usize) -> TargetKey {
    TargetKey::azure_role(
        &ArmScope::parse(AZ_SCOPES[scope]).unwrap(),
        RoleKey(az_guid(role)),
    )
}

/// One declared person: (person, end in days or permanent, condition).
type AzDeclared = Option<Vec<(usize, Option<i64>, Option<usize>)>>;

#[derive(Debug, Clone)]
struct AzTarget {
    declared: bool,
    /// How the role is spelt: its name, its tenant-level id, or its id below the subscription.
    spelling: usize,
    /// Declared `allow_permanent` for eligible and active, and the tenant's.
    permanence: [Option<bool>; 2],
    live_permanence: [bool; 2],
    lists: [AzDeclared; 2],
}

/// (scope, role, person, active?, end, condition): an assignment held directly at the scope.
type AzHeld = (usize, usize, usize, bool, Option<i64>, Option<usize>);

#[derive(Debug, Clone)]
struct AzCase {
    protected: Vec<bool>,
    /// Per declarable scope and role, row-major.
    targets: Vec<AzTarget>,
    held: Vec<AzHeld>,
    /// (declarable scope, role, person): an activation in progress.
    activations: Vec<(usize, usize, usize)>,
}

fn az_end() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (1i64..=AZ_MAX_DAYS).prop_map(Some)]
}

fn az_case() -> impl Strategy<Value = AzCase> {
    let list = || {
        proptest::option::of(proptest::collection::vec(
            (
                0..PEOPLE,
                az_end(),
                proptest::option::of(0..AZ_CONDITIONS.len()),
            ),
            0..4,
        ))
    };
    let target = (
        any::<bool>(),
        0usize..3,
        [any::<Option<bool>>(), any::<Option<bool>>()],
        [any::<bool>(), any::<bool>()],
        [list(), list()],
    )
        .prop_map(
            |(declared, spelling, permanence, live_permanence, lists)| AzTarget {
                declared,
                spelling,
                permanence,
                live_permanence,
                lists,
            },
        );
    (
        proptest::collection::vec(any::<bool>(), PEOPLE),
        proptest::collection::vec(target, AZ_DECLARABLE * AZ_ROLES.len()),
        proptest::collection::vec(
            (
                0..AZ_SCOPES.len(),
                0..AZ_ROLES.len(),
                0..PEOPLE,
                any::<bool>(),
                az_end(),
                proptest::option::of(0..AZ_CONDITIONS.len()),
            ),
            0..14,
        ),
        proptest::collection::vec((0..AZ_DECLARABLE, 0..AZ_ROLES.len(), 0..PEOPLE), 0..3),
    )
        .prop_map(|(protected, targets, held, activations)| AzCase {
            protected,
            targets,
            held,
            activations,
        })
}

impl AzCase {
    fn target(&self, scope: usize, role: usize) -> &AzTarget {
        &self.targets[scope * AZ_ROLES.len() + role]
    }
    fn declared_scope(&self, scope: usize) -> bool {
        scope < AZ_DECLARABLE && (0..AZ_ROLES.len()).any(|r| self.target(scope, r).declared)
    }
    /// The declared entry of a person, per kind (the last one wins, as a YAML list with the person twice is
    /// folded here to one), with its end as declared: permanent only where the target allows it.
    fn declared(&self, scope: usize, role: usize, kind: usize) -> BTreeMap<usize, AzEntry> {
        let t = self.target(scope, role);
        let mut out = BTreeMap::new();
        if let Some(list) = t.lists[kind].as_ref().filter(|_| t.declared) {
            for (p, e, c) in list {
                let e = if t.permanence[kind] == Some(true) {
                    *e
                } else {
                    Some(e.unwrap_or(AZ_MAX_DAYS))
                };
                out.insert(*p, (e, *c));
            }
        }
        // A protected principal declared both eligible and active is refused (E0159): it stays active.
        if kind == 0 {
            let active = self.declared(scope, role, 1);
            out.retain(|p, _| !(self.protected[*p] && active.contains_key(p)));
        }
        out
    }
    /// The held assignments, one per scope, role, person and kind (the first drawn wins).
    fn held(&self) -> BTreeMap<AzHeldKey, AzEntry> {
        let mut out = BTreeMap::new();
        for (s, r, p, active, e, c) in &self.held {
            out.entry((*s, *r, *p, *active)).or_insert((*e, *c));
        }
        out
    }
}

/// An assignment's end in days (None: permanent) and its condition.
type AzEntry = (Option<i64>, Option<usize>);
/// (scope, role, person, active?)
type AzHeldKey = (usize, usize, usize, bool);

/// The declaration, each role spelt as the case says (or by name when `by_name`).
fn az_yaml(c: &AzCase, by_name: bool) -> String {
    let mut y = String::from("version: pimctl/v1\nprotected:\n");
    for (i, p) in c.protected.iter().enumerate() {
        if *p {
            writeln!(y, "  - user: {}", upn(i)).unwrap();
        }
    }
    if !c.protected.iter().any(|p| *p) {
        y = y.replace("protected:\n", "protected: []\n");
    }
    y.push_str("azure_roles:\n");
    let mut any = false;
    for (s, scope) in AZ_SCOPES.iter().enumerate().take(AZ_DECLARABLE) {
        if !c.declared_scope(s) {
            continue;
        }
        any = true;
        writeln!(y, "  {scope}:").unwrap();
        for (r, name) in AZ_ROLES.iter().enumerate() {
            let t = c.target(s, r);
            if !t.declared {
                continue;
            }
            let guid = az_guid(r);
            let role = match if by_name { 0 } else { t.spelling } {
                0 => name.to_string(),
                1 => format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
                _ => format!(
                    "/subscriptions/{AZ_SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
                ),
            };
            writeln!(y, "    {role}:").unwrap();
            let mut empty = true;
            for (k, section) in ["eligible_assignment", "active_assignment"]
                .iter()
                .enumerate()
            {
                if let Some(allow) = t.permanence[k] {
                    writeln!(y, "      {section}: {{allow_permanent: {allow}}}").unwrap();
                    empty = false;
                }
            }
            for (k, kind) in ["eligible", "active"].iter().enumerate() {
                if t.lists[k].is_none() {
                    continue;
                }
                empty = false;
                let people = c.declared(s, r, k);
                if people.is_empty() {
                    writeln!(y, "      {kind}: []").unwrap();
                    continue;
                }
                writeln!(y, "      {kind}:").unwrap();
                for (p, (e, cond)) in people {
                    let mut entry = format!("user: {}", upn(p));
                    if let Some(d) = e {
                        let day = (now() + Duration::days(d)).date_naive();
                        write!(entry, ", until: {day}").unwrap();
                    }
                    if let Some(i) = cond {
                        write!(
                            entry,
                            ", condition: \"{}\", condition_version: \"2.0\"",
                            AZ_CONDITIONS[i]
                        )
                        .unwrap();
                    }
                    writeln!(y, "        - {{{entry}}}").unwrap();
                }
            }
            if empty {
                // A role declared with nothing managed.
                writeln!(y, "      eligible_assignment: {{}}").unwrap();
            }
        }
    }
    if !any {
        y = y.replace("azure_roles:\n", "azure_roles: {}\n");
    }
    y
}

fn az_desired(c: &AzCase, by_name: bool) -> DesiredState {
    let yaml = az_yaml(c, by_name);
    let loaded = pimctl::language::load_str(
        "azure.yaml",
        &yaml,
        &pimctl::language::LoadOptions { now: now() },
    );
    assert!(
        !loaded.diagnostics.has_errors(),
        "{}\n{yaml}",
        loaded.diagnostics.render_text(false)
    );
    loaded.state
}

/// The end of the day `days` after `now()`, UTC: the instant an `until` of that date declares.
fn az_until(days: i64) -> DateTime<Utc> {
    (now() + Duration::days(days))
        .date_naive()
        .and_hms_opt(23, 59, 59)
        .unwrap()
        .and_utc()
}

/// The case with the tenant made as declared: every declared assignment held directly as declared (end and
/// condition), every declared `allow_permanent` in force; what the declaration does not manage is held as drawn.
fn az_as_declared(c: &AzCase) -> AzCase {
    let mut out = c.clone();
    let managed = |s: usize, r: usize, k: usize| {
        s < AZ_DECLARABLE && c.target(s, r).declared && c.target(s, r).lists[k].is_some()
    };
    out.held
        .retain(|(s, r, _, active, ..)| !managed(*s, *r, *active as usize));
    for s in 0..AZ_DECLARABLE {
        for r in 0..AZ_ROLES.len() {
            let t = &mut out.targets[s * AZ_ROLES.len() + r];
            for k in 0..2 {
                if let Some(allow) = t.permanence[k] {
                    t.live_permanence[k] = allow;
                }
                if !managed(s, r, k) {
                    continue;
                }
                for (p, (e, cond)) in c.declared(s, r, k) {
                    // First drawn wins in `held`: the declared ones go first.
                    out.held.insert(0, (s, r, p, k == 1, e, cond));
                }
            }
        }
    }
    out
}

/// The tenant as `observe::azure` records it.
fn az_live(c: &AzCase) -> LiveState {
    let mut live = with_people();
    // Every role at every declared scope has its policy there (ARM lists one per role and scope).
    for s in (0..AZ_DECLARABLE).filter(|s| c.declared_scope(*s)) {
        for r in 0..AZ_ROLES.len() {
            let rules = default_rules();
            let mut settings = observed_settings(&rules);
            let [e, a] = c.target(s, r).live_permanence;
            settings.eligible_assignment.allow_permanent = Some(e);
            settings.active_assignment.allow_permanent = Some(a);
            live.policies.insert(
                az_target(s, r),
                LivePolicy {
                    id: format!(
                        "{}/providers/Microsoft.Authorization/roleManagementPolicies/{s}{r}",
                        AZ_SCOPES[s]
                    ),
                    rules,
                    settings,
                },
            );
        }
    }
    for (n, ((s, r, p, active), (e, cond))) in c.held().into_iter().enumerate() {
        let kind = if active {
            AssignmentKind::Active
        } else {
            AssignmentKind::Eligible
        };
        let assignment = |target: TargetKey, member_type: &str| LiveAssignment {
            target,
            principal_id: id(p),
            kind,
            schedule_id: format!("az{n}"),
            start: Some(now() - Duration::days(10)),
            end: e.map(az_until),
            member_type: Some(member_type.into()),
            condition: cond.map(|i| AbacCondition {
                condition: AZ_CONDITIONS[i].into(),
                version: "2.0".into(),
            }),
        };
        live.assignments.push(assignment(az_target(s, r), "Direct"));
        for below in (0..AZ_DECLARABLE).filter(|b| az_below(*b, s) && c.declared_scope(*b)) {
            live.assignments
                .push(assignment(az_target(below, r), "Inherited"));
        }
    }
    let held = c.held();
    for (s, r, p) in &c.activations {
        // An activation needs an eligibility held there, and no active assignment.
        if held.contains_key(&(*s, *r, *p, false)) && !held.contains_key(&(*s, *r, *p, true)) {
            live.activations.push(LiveActivation {
                target: az_target(*s, *r),
                principal_id: id(*p),
                start: Some(now() - Duration::minutes(30)),
                end: Some(now() + Duration::minutes(90)),
            });
        }
    }
    live.normalize();
    live
}

/// No removal of a protected principal, and no end date put on its permanent assignment.
fn never_removes_or_downgrades(p: &plan::Plan, protected: &[String]) -> Result<(), TestCaseError> {
    for change in &p.changes {
        for op in &change.operations {
            if let Meaning::Assignment {
                principal, action, ..
            } = &op.meaning
            {
                let is_protected = protected.contains(principal);
                prop_assert!(
                    !(is_protected && *action == pimctl::graph::ScheduleRequestAction::AdminRemove),
                    "removes a protected principal: {change:#?}"
                );
                // An update (new dates, or an ABAC condition) never gives a permanent assignment an end.
                if is_protected && change.action == Action::Update {
                    prop_assert!(
                        change.before["end"].is_string() || change.after["end"].is_null(),
                        "downgrades {change:#?}"
                    );
                }
            }
        }
    }
    Ok(())
}

/// The plan has the same changes with the activations in progress as without them; only a removal's reason may
/// mention the activation it does not end.
fn same_plan_without_activations(
    desired: &DesiredState,
    mut live: LiveState,
) -> Result<(), TestCaseError> {
    let with = plan::build(desired, &live, &PlanOptions::default());
    live.activations.clear();
    let without = plan::build(desired, &live, &PlanOptions::default());
    let keys = |p: &plan::Plan| -> Vec<_> {
        p.changes
            .iter()
            .map(|c| (c.action, c.key.clone(), c.after.clone()))
            .collect()
    };
    prop_assert_eq!(keys(&with), keys(&without));
    prop_assert_eq!(&with.errors, &without.errors);
    Ok(())
}

/// What a change does, without where it was declared (the YAML path names the role as spelt).
fn effects(p: &plan::Plan) -> Vec<serde_json::Value> {
    p.changes
        .iter()
        .map(|c| {
            serde_json::json!([
                c.action,
                c.key,
                c.role_name,
                c.before,
                c.after,
                c.posture,
                c.operations
            ])
        })
        .collect()
}

fn az_kind(kind: AssignmentKind) -> bool {
    kind == AssignmentKind::Active
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn azure_plans_keep_break_glass_write_only_where_held_and_flag_what_weakens(c in az_case()) {
        let desired = az_desired(&c, false);
        let live = az_live(&c);
        let p = plan::build(&desired, &live, &PlanOptions::default());
        // Deterministic, and the same whichever way each role definition id is spelt.
        prop_assert_eq!(&p, &plan::build(&desired, &live, &PlanOptions::default()));
        let by_name = plan::build(&az_desired(&c, true), &live, &PlanOptions::default());
        prop_assert_eq!(effects(&p), effects(&by_name));
        let errors = |p: &plan::Plan| -> Vec<_> {
            p.errors.iter().map(|e| (e.code, e.message.clone(), e.origin.as_ref().map(|o| o.line))).collect()
        };
        prop_assert_eq!(errors(&p), errors(&by_name));

        let protected: Vec<String> = (0..PEOPLE).filter(|i| c.protected[*i]).map(id).collect();
        never_removes_or_downgrades(&p, &protected)?;

        let held = c.held();
        let direct = |t: &TargetKey, principal: &str, kind: AssignmentKind| {
            live.assignments.iter().find(|a| {
                &a.target == t
                    && a.principal_id == principal
                    && a.kind == kind
                    && a.member_type.as_deref() == Some("Direct")
            })
        };
        let index = |t: &TargetKey| -> (usize, usize) {
            let s = (0..AZ_SCOPES.len()).find(|s| az_target(*s, 0).scope == t.scope).unwrap();
            let r = (0..AZ_ROLES.len()).find(|r| az_guid(*r) == t.role.0).unwrap();
            (s, r)
        };
        let person = |principal: &str| (0..PEOPLE).find(|i| id(*i) == principal).unwrap();
        use pimctl::graph::ScheduleRequestAction as A;
        for change in &p.changes {
            for op in &change.operations {
                let Meaning::Assignment { target, principal, kind, action, end } = &op.meaning else {
                    continue;
                };
                // Every write goes to the scope of its target, and one that changes or removes an assignment
                // changes one held there directly: an inherited assignment is never written where it applies.
                prop_assert!(
                    op.path.to_lowercase().starts_with(&format!("{}/providers/", target.scope)),
                    "{op:#?}"
                );
                if matches!(action, A::AdminRemove | A::AdminUpdate | A::AdminExtend) {
                    prop_assert!(direct(target, principal, *kind).is_some(), "not held here: {change:#?}");
                }
                let (s, r) = index(target);
                let p_i = person(principal);
                let was_permanent_active = held.get(&(s, r, p_i, true)).is_some_and(|h| h.0.is_none());
                if *action == A::AdminRemove {
                    // A standing Owner or User Access Administrator nobody declared (made in the portal) is drift
                    // that weakened posture: `drift --fail-on weakening` fails on it.
                    if change.action == Action::Remove
                        && *kind == AssignmentKind::Active
                        && AZ_TIER0[r]
                        && was_permanent_active
                    {
                        prop_assert_eq!(change.drift_posture.effect, Effect::Weakens, "{:#?}", change);
                        prop_assert_eq!(change.posture.effect, Effect::Strengthens, "{:#?}", change);
                    }
                    continue;
                }
                // ABAC conditions: the declared one, else the one held on this assignment, else (a conversion)
                // on the one of the other kind it replaces; never dropped, never invented.
                let declared = c.declared(s, r, az_kind(*kind) as usize).get(&p_i).and_then(|e| e.1);
                let same = held.get(&(s, r, p_i, az_kind(*kind)));
                let other = held.get(&(s, r, p_i, !az_kind(*kind)));
                let expected = match (declared, same) {
                    (Some(i), _) => Some(i),
                    (None, Some(h)) => h.1,
                    (None, None) => other.and_then(|h| h.1),
                };
                prop_assert_eq!(
                    op.body["properties"]["condition"].as_str(),
                    expected.map(|i| AZ_CONDITIONS[i]),
                    "{:#?}", change
                );
                // Owner or User Access Administrator made permanent and active, for anyone not break-glass who did
                // not hold it so here: that weakens.
                if *kind == AssignmentKind::Active
                    && end.is_none()
                    && AZ_TIER0[r]
                    && !protected.contains(principal)
                    && !was_permanent_active
                {
                    prop_assert_eq!(change.posture.effect, Effect::Weakens, "{:#?}", change);
                }
            }
            // A new assignment at a scope above one where the principal holds the role directly, as the same
            // kind, widens access: it weakens, and says so. No other change says so.
            if let plan::ChangeKey::Assignment { target, principal, kind } = &change.key
                && change.action == Action::Create
            {
                let (s, r) = index(target);
                let p_i = person(principal);
                let narrower = held
                    .keys()
                    .any(|(hs, hr, hp, a)| *hr == r && *hp == p_i && *a == az_kind(*kind) && az_below(*hs, s));
                prop_assert_eq!(change.posture.why.contains("broader scope"), narrower, "{:#?}", change);
                if narrower {
                    prop_assert_eq!(change.posture.effect, Effect::Weakens);
                }
            } else {
                prop_assert!(!change.posture.why.contains("broader scope"), "{change:#?}");
            }
        }
    }

    #[test]
    fn an_azure_tenant_as_declared_plans_to_nothing(c in az_case()) {
        let c = az_as_declared(&c);
        let p = plan::build(&az_desired(&c, false), &az_live(&c), &PlanOptions::default());
        prop_assert!(p.errors.is_empty(), "{:#?}", p.errors);
        prop_assert!(p.changes.is_empty(), "{:#?}", p.changes);
    }

    #[test]
    fn azure_activations_are_never_changes(c in az_case()) {
        same_plan_without_activations(&az_desired(&c, false), az_live(&c))?;
    }
}
