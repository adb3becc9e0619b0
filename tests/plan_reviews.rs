//! Access reviews as code, over real HTTP against the emulator: plan → apply → plan is empty; a review deleted in
//! the tenant is created again; a changed one is updated in place, or deleted and created again where Graph
//! cannot change it; `access_review: none` removes it; an undeclared review is reported, never deleted; faults
//! converge with no duplicate definition; a review that would remove a break-glass account is refused.

mod planning;
use pimctl::apply::{self, ApplyOptions};
use pimctl::graph::review::{AccessReviewScheduleDefinition, DEFINITIONS_PATH};
use pimctl::model::LiveState;
use pimctl::observe::read_tenant;
use pimctl::plan::{self, Action, Effect, Meaning, Method, NoteKind, Plan, PlanOptions};
use planning::*;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const SECURITY_ADMIN: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";

/// Global Administrator reviewed monthly by Tier0-Owners, denying eligible members nobody reviewed; the Security
/// Administrator's members reviewed quarterly by their managers.
const DECLARED: &str = "version: pimctl/v1
protected:
  - user: bg-01@contoso.onmicrosoft.com
directory_roles:
  Global Administrator:
    access_review:
      every: monthly
      duration: 4d
      assignments: eligible
      reviewers: [{group: Tier0-Owners}]
      default_decision: deny
      auto_apply: true
  Security Administrator:
    access_review:
      every: quarterly
      reviewers: [{managers: true}]
      fallback_reviewers: [{user: olivia.ciso@contoso.com}]
";

async fn read(
    client: &pimctl::graph::client::GraphClient,
    em: &pimctl::emulator::RunningEmulator,
    d: &pimctl::model::DesiredState,
) -> LiveState {
    read_tenant(client, &[d], em.with_state(|s| s.now()))
        .await
        .unwrap()
}

fn definitions(em: &pimctl::emulator::RunningEmulator) -> Vec<AccessReviewScheduleDefinition> {
    em.with_state(|s| s.access_reviews.clone())
}

/// The definitions reviewing a role, by id.
fn of_role(
    em: &pimctl::emulator::RunningEmulator,
    role: &str,
) -> Vec<AccessReviewScheduleDefinition> {
    definitions(em)
        .into_iter()
        .filter(|d| pimctl::observe::reviews::target_of(d).is_some_and(|t| t.role.0 == role))
        .collect()
}

async fn apply_ok(client: &pimctl::graph::client::GraphClient, p: &Plan) {
    let report = apply::apply(client, p, &ApplyOptions::default(), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
}

#[tokio::test]
async fn reviews_are_created_then_the_plan_is_empty() {
    let em = emulator_from_file(FRESH, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(DECLARED, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.changes.len(), 2, "{p:#?}");
    for c in &p.changes {
        assert_eq!(c.action, Action::Create);
        assert_eq!(c.posture.effect, Effect::Strengthens);
        assert_eq!(c.drift_posture.effect, Effect::Weakens);
        assert_eq!(c.operations.len(), 1);
        assert_eq!(c.operations[0].method, Method::Post);
        assert_eq!(c.operations[0].path, DEFINITIONS_PATH);
    }
    apply_ok(&client, &p).await;

    // What Graph holds is the declaration, in Microsoft's scope queries.
    let ga = of_role(&em, GA);
    assert_eq!(ga.len(), 1);
    let scope = serde_json::to_value(ga[0].scope.value().unwrap()).unwrap();
    assert!(
        scope["query"]
            .as_str()
            .unwrap()
            .starts_with("/roleManagement/directory/roleEligibilityScheduleInstances"),
        "{scope}"
    );
    let s = ga[0].settings.value().unwrap();
    assert_eq!(s.default_decision.value().map(String::as_str), Some("Deny"));
    assert_eq!(s.auto_apply_decisions_enabled, Some(true));
    assert_eq!(s.instance_duration_in_days, Some(4));
    let sa = of_role(&em, SECURITY_ADMIN);
    assert_eq!(
        serde_json::to_value(&sa[0].reviewers).unwrap()[0]["query"],
        "./manager"
    );
    assert_eq!(sa[0].fallback_reviewers.as_ref().unwrap().len(), 1);

    let live = read(&client, &em, &desired).await;
    let again = plan::build(&desired, &live, &PlanOptions::default());
    assert!(again.changes.is_empty(), "{again:#?}");
    assert!(again.errors.is_empty());
}

#[tokio::test]
async fn drift_is_repaired_and_undeclared_reviews_are_only_reported() {
    // The tenant: Global Administrator's review deleted; Security Administrator's switched to approve by hand;
    // Billing Administrator has a review nobody declared, and the role is managed.
    let seed = fresh_with(
        "access_reviews:
  - role: Security Administrator
    reviewers: [managers]
    fallback_reviewers: [olivia.ciso@contoso.com]
    settings: {defaultDecisionEnabled: true, defaultDecision: Approve, recurrence: {pattern: {type: absoluteMonthly, interval: 3}}}
  - role: Billing Administrator
    display_name: Billing by hand
    reviewers: [ivan.audit@contoso.com]
",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let text = format!("{DECLARED}  Billing Administrator:\n    eligible: []\n");
    let (_dir, desired) = desired_yaml(&text, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let create = p
        .changes
        .iter()
        .find(|c| c.action == Action::Create)
        .expect("the deleted review is created again");
    assert_eq!(create.key.target().role.0, GA);
    let update = p
        .changes
        .iter()
        .find(|c| c.action == Action::Update)
        .expect("the approve-by-default review is updated");
    assert_eq!(update.key.target().role.0, SECURITY_ADMIN);
    // Approve by default was drift that weakened posture; putting it back strengthens.
    assert_eq!(update.posture.effect, Effect::Strengthens, "{update:#?}");
    assert_eq!(update.drift_posture.effect, Effect::Weakens);
    assert_eq!(
        update
            .fields
            .iter()
            .map(|f| f.field.to_string())
            .collect::<Vec<_>>(),
        ["access_review.default_decision"]
    );
    // Managers review it: Graph cannot change it in place only when the reviewers change; here it can.
    assert_eq!(update.operations.len(), 1);
    assert_eq!(update.operations[0].method, Method::Put);
    assert_eq!(p.changes.len(), 2, "{p:#?}");
    let note = p
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::UnmanagedReview)
        .expect("the undeclared review is reported");
    assert!(note.message.contains("Billing by hand"), "{}", note.message);

    let before = of_role(&em, SECURITY_ADMIN)[0].id.clone();
    apply_ok(&client, &p).await;
    assert_eq!(
        of_role(&em, SECURITY_ADMIN)[0].id,
        before,
        "updated in place"
    );
    assert_eq!(of_role(&em, GA).len(), 1);
    assert_eq!(
        of_role(&em, "b0f54661-2d74-4c50-afa3-1ec803f12efe").len(),
        1,
        "the undeclared review is left as it is"
    );
    let live = read(&client, &em, &desired).await;
    let again = plan::build(&desired, &live, &PlanOptions::default());
    assert!(again.changes.is_empty(), "{again:#?}");
}

#[tokio::test]
async fn a_scope_or_reviewer_change_replaces_and_none_removes() {
    let em = emulator_from_file(FRESH, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(DECLARED, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    apply_ok(
        &client,
        &plan::build(&desired, &live, &PlanOptions::default()),
    )
    .await;

    // Global Administrator: both kinds of assignment now, without auto-deny; Security Administrator: no review.
    let text = DECLARED
        .replace("      assignments: eligible\n", "")
        .replace("      default_decision: deny\n      auto_apply: true\n", "")
        .replace(
            "    access_review:\n      every: quarterly\n      reviewers: [{managers: true}]\n      fallback_reviewers: [{user: olivia.ciso@contoso.com}]\n",
            "    access_review: none\n",
        );
    let (_dir2, changed) = desired_yaml(&text, &em);
    let live = read(&client, &em, &changed).await;
    let p = plan::build(&changed, &live, &PlanOptions::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.changes.len(), 2, "{p:#?}");
    let replace = p
        .changes
        .iter()
        .find(|c| c.action == Action::Update)
        .unwrap();
    let methods: Vec<Method> = replace.operations.iter().map(|o| o.method).collect();
    assert_eq!(methods, [Method::Delete, Method::Post]);
    // Fewer members removed by default, but more assignments reviewed: the default decision leads.
    assert_eq!(replace.posture.effect, Effect::Weakens, "{replace:#?}");
    let remove = p
        .changes
        .iter()
        .find(|c| c.action == Action::Remove)
        .unwrap();
    assert_eq!(remove.key.target().role.0, SECURITY_ADMIN);
    assert_eq!(remove.posture.effect, Effect::Weakens);
    assert!(matches!(
        remove.operations[0].meaning,
        Meaning::Review { .. }
    ));

    let old = of_role(&em, GA)[0].id.clone();
    apply_ok(&client, &p).await;
    let ga = of_role(&em, GA);
    assert_eq!(ga.len(), 1);
    assert_ne!(ga[0].id, old);
    assert!(of_role(&em, SECURITY_ADMIN).is_empty());
    let live = read(&client, &em, &changed).await;
    assert!(
        plan::build(&changed, &live, &PlanOptions::default())
            .changes
            .is_empty()
    );
}

#[tokio::test]
async fn a_review_that_would_remove_a_break_glass_account_is_refused() {
    // bg-01 holds Global Administrator actively in the tenant; the declaration does not list it (unmanaged).
    let seed = fresh_with(
        "active:\n  - {role: Global Administrator, user: bg-01@contoso.onmicrosoft.com}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let text = DECLARED.replace("      assignments: eligible\n", "");
    let (_dir, desired) = desired_yaml(&text, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert_eq!(p.errors.len(), 1, "{p:#?}");
    assert_eq!(
        p.errors[0].code,
        pimctl::plan::PlanErrorCode::ReviewRemovesProtected
    );
    assert!(
        p.errors[0]
            .message
            .contains("bg-01@contoso.onmicrosoft.com")
    );
    assert!(p.changes.is_empty());
}

#[tokio::test]
async fn an_unknown_reviewer_is_a_plan_error() {
    let em = emulator_from_file(FRESH, &Setup::default()).await;
    let text = DECLARED.replace("Tier0-Owners", "Tier0-Nobody");
    let (_dir, desired) = desired_yaml(&text, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert!(
        p.errors
            .iter()
            .any(|e| e.code == pimctl::plan::PlanErrorCode::PrincipalNotFound
                && e.message.contains("Tier0-Nobody")),
        "{:?}",
        p.errors
    );
}

#[tokio::test]
async fn faults_converge_with_no_duplicate_definition() {
    let mut lost = 0;
    for fail_rate in [0.1, 0.3] {
        let em = emulator_from_file(
            FRESH,
            &Setup {
                page_size: Some(10),
                faults: pimctl::emulator::faults::FaultConfig {
                    latency_ms: 0,
                    throttle_rps: Some(200.0),
                    fail_rate,
                    ..Default::default()
                },
            },
        )
        .await;
        let mut text = String::from(
            "version: pimctl/v1\ntemplates:\n  reviewed:\n    access_review:\n      every: monthly\n      reviewers: [{group: Tier0-Owners}]\ndirectory_roles:\n",
        );
        for role in roles() {
            text.push_str(&format!("  \"{role}\":\n    template: reviewed\n"));
        }
        let (_dir, desired) = desired_yaml(&text, &em);
        let client = client(&em);
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds <= 15, "no convergence at {fail_rate}");
            let Ok(live) = read_tenant(&client, &[&desired], em.with_state(|s| s.now())).await
            else {
                continue;
            };
            let p = plan::build(&desired, &live, &PlanOptions::default());
            assert!(p.errors.is_empty(), "{:?}", p.errors);
            if p.changes.is_empty() {
                break;
            }
            let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
            lost += report
                .changes
                .iter()
                .flat_map(|c| &c.sent)
                .filter(|s| s.status == "failed")
                .count();
        }
        // One definition per role, however many answers were lost.
        let mut per_target = std::collections::BTreeMap::new();
        for d in definitions(&em) {
            let t = pimctl::observe::reviews::target_of(&d).unwrap();
            *per_target.entry(t.to_string()).or_insert(0) += 1;
        }
        assert_eq!(per_target.len(), roles().len(), "{per_target:?}");
        assert!(
            per_target.values().all(|n| *n == 1),
            "duplicates: {per_target:?}"
        );
    }
    assert!(lost > 0, "the fault mix lost no answer");
}

/// Roles reviewed in the fault test: enough writes that some answers are lost.
fn roles() -> Vec<&'static str> {
    pimctl::catalog::builtin_roles()
        .iter()
        .take(60)
        .map(|r| r.display_name.as_str())
        .collect()
}

/// A group's members reviewed like a role: the review's scope is the group's members, created, then the plan is
/// empty; a review that would auto-deny the protected member is refused.
#[tokio::test]
async fn a_groups_members_are_reviewed_like_a_role() {
    // The fresh tenant's Tier0-Operators, onboarded with members.
    let seed = std::fs::read_to_string(FRESH).unwrap().replacen(
        "  - {name: Tier0-Operators, role_assignable: true}\n",
        "  - name: Tier0-Operators\n    role_assignable: true\n    pim:\n      eligible:\n        - {access: member, user: alice.admin@contoso.com, until: 2027-06-01T23:59:59Z}\n      active:\n        - {access: member, user: bg-01@contoso.onmicrosoft.com}\n",
        1,
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let text = "version: pimctl/v1
protected:
  - user: bg-01@contoso.onmicrosoft.com
groups:
  Tier0-Operators:
    member:
      access_review:
        every: 2 weeks
        reviewers: [{user: olivia.ciso@contoso.com}]
";
    let (_dir, desired) = desired_yaml(text, &em);
    let client = client(&em);
    let live = read(&client, &em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let reviews: Vec<_> = p
        .changes
        .iter()
        .filter(|c| matches!(c.key, pimctl::plan::ChangeKey::Review { .. }))
        .collect();
    assert_eq!(reviews.len(), 1, "{p:#?}");
    assert_eq!(reviews[0].action, Action::Create);
    let group = reviews[0].key.target().scope.clone();
    apply_ok(&client, &p).await;
    let defs = definitions(&em);
    assert_eq!(defs.len(), 1);
    let scope = serde_json::to_value(defs[0].scope.value().unwrap()).unwrap();
    assert_eq!(
        scope["query"].as_str().unwrap().to_lowercase(),
        format!("/groups/{group}/transitivemembers")
    );
    let live = read(&client, &em, &desired).await;
    let again = plan::build(&desired, &live, &PlanOptions::default());
    assert!(
        !again
            .changes
            .iter()
            .any(|c| matches!(c.key, pimctl::plan::ChangeKey::Review { .. })),
        "{again:#?}"
    );

    // Deny with auto-apply would remove the break-glass member nobody reviewed.
    let (_dir, denying) = desired_yaml(
        &format!("{text}        default_decision: deny\n        auto_apply: true\n"),
        &em,
    );
    let live = read(&client, &em, &denying).await;
    let p = plan::build(&denying, &live, &PlanOptions::default());
    assert!(
        p.errors
            .iter()
            .any(|e| e.code == pimctl::plan::PlanErrorCode::ReviewRemovesProtected),
        "{:?}",
        p.errors
    );
}
