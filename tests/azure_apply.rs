//! Azure resource roles end to end against the emulator over real HTTP: read through ARM, plan, apply (PUT schedule
//! requests with plan-derived names, policy PATCH read back), then plan again: nothing left. The ARM request count
//! of a read is asserted against its ceiling, and a redeployed resource group is restored exactly.

mod planning;
use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::graph::client::ArmClient;
use pimctl::model::{DesiredState, LiveState};
use pimctl::observe::{azure::read_azure, read_tenant};
use pimctl::plan::{self, Method, Plan, PlanOptions};
use planning::*;
use std::collections::BTreeSet;

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";

fn seed() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
  - {{upn: bob@contoso.com, display_name: Bob}}
  - {{upn: carol@contoso.com, display_name: Carol}}
groups:
  - {{name: Cloud-Approvers}}
azure:
  management_groups:
    - {{name: contoso, display_name: Contoso}}
  subscriptions:
    - {{display_name: Prod, id: {SUB}, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: app-rg}}
  eligible:
    - {{scope: /providers/Microsoft.Management/managementGroups/contoso, role: Reader, user: carol@contoso.com, duration: P90D}}
    - {{scope: /subscriptions/{SUB}/resourceGroups/app-rg, role: Contributor, user: alice@contoso.com, duration: P90D,
       condition: "@Resource[x] StringEquals 'y'", condition_version: "2.0"}}
  active:
    - {{scope: Prod, role: Owner, user: alice@contoso.com}}
"#
    )
}

fn declaration() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      activation:
        max_duration: 2h
        require: [mfa, justification]
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
      active: []
    Reader:
      eligible: []
  /subscriptions/{SUB}/resourceGroups/app-rg:
    Contributor:
      activation:
        max_duration: 4h
      eligible:
        - user: bob@contoso.com
          until: 2027-02-01
          condition: "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
          condition_version: "2.0"
"#
    )
}

async fn plan_of(
    em: &pimctl::emulator::RunningEmulator,
    arm: &ArmClient,
    desired: &DesiredState,
) -> (LiveState, Plan) {
    let live = read_live_with(em, arm, desired).await;
    let p = plan::build(desired, &live, &PlanOptions::default());
    (live, p)
}

#[tokio::test]
async fn azure_roles_converge_and_a_second_plan_is_empty() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&declaration(), &em);
    let arm = arm_client(&em);
    em.reset_stats();
    let (live, p) = plan_of(&em, &arm, &desired).await;
    // The ceiling: 2 lists per declared scope (policies, policy assignments) and 3 per subscription or management
    // group (eligibility and assignment schedules, activations): 2 × 2 + 3 × 1 at one page each.
    assert_eq!(
        requests_on(&em, |k| k.contains("Microsoft.Authorization")),
        7,
        "{:#?}",
        em.stats().routes
    );
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    let lines = lines(&p);
    // Owner: two rules, and alice's standing Owner converted to an eligibility; Contributor: one rule, alice's
    // conditioned eligibility removed, bob's created. Reader at the subscription: carol's eligibility is inherited
    // from the management group, reported, not removed.
    assert_eq!(p.changes.len(), 6, "{lines:#?}");
    assert!(
        p.notes
            .iter()
            .any(|n| n.message.contains("inherited from a scope above")),
        "{:#?}",
        p.notes
    );
    let ops: Vec<_> = p.changes.iter().flat_map(|c| &c.operations).collect();
    assert!(ops.iter().filter(|o| o.method == Method::Put).all(|o| {
        o.path.contains("/providers/Microsoft.Authorization/role")
            && uuid::Uuid::parse_str(o.path.rsplit('/').next().unwrap()).is_ok()
    }));
    assert!(apply::stale_objects(&p, &live).is_empty());
    // Bob's declared ABAC condition travels with his request.
    let bob = ops
        .iter()
        .find(|o| o.body["properties"]["condition"].is_string())
        .expect("the conditioned request");
    assert_eq!(bob.body["properties"]["conditionVersion"], "2.0");
    assert_eq!(
        ops.iter()
            .filter(|o| o.body["properties"]["condition"].is_string())
            .count(),
        1
    );

    let options = ApplyOptions {
        arm: Some(arm.clone()),
        ..Default::default()
    };
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    assert!(
        report.changes.iter().all(|c| c.outcome == Outcome::Applied),
        "{report:#?}"
    );

    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", planning::lines(&again));

    // Resending the same plan is answered as done: the requests' names are the plan's.
    em.reset_stats();
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let (_, after) = plan_of(&em, &arm, &desired).await;
    assert!(after.changes.is_empty(), "{:#?}", planning::lines(&after));
}

/// The tenant's Azure side: every schedule, and the rules of app-rg's Contributor policy as ARM holds them.
fn azure_side(em: &pimctl::emulator::RunningEmulator) -> (BTreeSet<ArmHeld>, serde_json::Value) {
    let rg =
        pimctl::graph::arm::ArmScope::parse(&format!("/subscriptions/{SUB}/resourceGroups/app-rg"))
            .unwrap();
    let contributor = pimctl::azure_catalog::lookup("Contributor")
        .unwrap()
        .role_definition_id
        .clone();
    let rules = em.with_state(|s| serde_json::to_value(s.arm.rules(&rg, &contributor)).unwrap());
    (arm_schedules(em).into_iter().collect(), rules)
}

#[tokio::test]
async fn a_redeployed_resource_group_is_restored_exactly() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&declaration(), &em);
    let arm = arm_client(&em);
    let options = ApplyOptions {
        arm: Some(arm.clone()),
        ..Default::default()
    };
    let (_, p) = plan_of(&em, &arm, &desired).await;
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let (declared_schedules, declared_rules) = azure_side(&em);
    let app_rg = format!("/subscriptions/{SUB}/resourcegroups/app-rg");
    let at_app_rg = |h: &BTreeSet<ArmHeld>| -> Vec<ArmHeld> {
        h.iter().filter(|x| x.scope == app_rg).cloned().collect()
    };
    // What the declaration put there: bob's eligibility for Contributor, until the end of 2027-02-01, with his
    // condition.
    let bob = em.with_state(|s| s.user("bob@contoso.com").unwrap().id.to_lowercase());
    let bobs = at_app_rg(&declared_schedules);
    assert_eq!(bobs.len(), 1, "{declared_schedules:#?}");
    assert_eq!(
        (&bobs[0].principal, bobs[0].level.as_str()),
        (&bob, "Eligibility")
    );
    assert_eq!(
        bobs[0].end.map(|e| e.to_rfc3339()).as_deref(),
        Some("2027-02-01T23:59:59+00:00")
    );
    assert!(
        bobs[0]
            .condition
            .as_deref()
            .is_some_and(|c| c.contains("'logs'"))
    );
    assert_eq!(bobs[0].condition_version.as_deref(), Some("2.0"));

    // The team tears the resource group down and deploys it again: its policy and eligibilities are gone.
    let http = reqwest::Client::new();
    let rg = format!(
        "{}/azure/subscriptions/{SUB}/resourceGroups/app-rg",
        em.control_url()
    );
    assert_eq!(http.delete(&rg).send().await.unwrap().status(), 204);
    assert_eq!(http.put(&rg).send().await.unwrap().status(), 201);
    let (redeployed, default_rules) = azure_side(&em);
    assert!(at_app_rg(&redeployed).is_empty(), "{redeployed:#?}");
    assert_eq!(
        default_rules,
        serde_json::to_value(pimctl::graph::arm::defaults::default_arm_rules()).unwrap()
    );
    assert_ne!(
        default_rules, declared_rules,
        "the redeploy reset the policy"
    );
    // Nothing outside the resource group moved.
    let outside: BTreeSet<_> = declared_schedules
        .iter()
        .filter(|x| x.scope != app_rg)
        .cloned()
        .collect();
    assert_eq!(redeployed, outside);

    let (_, p) = plan_of(&em, &arm, &desired).await;
    assert_eq!(
        lines(&p),
        [
            "update_rule Contributor @ /subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/app-rg Expiration_EndUser_Assignment",
            "create Contributor @ /subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/app-rg bob@contoso.com",
        ]
    );
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
    // Restored exactly: every rule of the policy, and every schedule (bob's eligibility with its end and condition),
    // as the declaration had made them before the redeploy.
    let (restored_schedules, restored_rules) = azure_side(&em);
    assert_eq!(restored_rules, declared_rules);
    assert_eq!(restored_schedules, declared_schedules);
}

#[tokio::test]
async fn a_permanent_owner_weakens_posture_and_a_portal_made_one_is_drift_that_weakened_it() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let arm = arm_client(&em);
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      active_assignment: {{allow_permanent: true}}
      active:
        - user: bob@contoso.com
"#
    );
    let (_dir, desired) = desired_yaml(&yaml, &em);
    let (_, p) = plan_of(&em, &arm, &desired).await;
    let effect = |who: &str| {
        let c = p
            .changes
            .iter()
            .find(|c| c.principal.as_ref().is_some_and(|x| x.label == who))
            .unwrap_or_else(|| panic!("{:#?} {:#?} {:#?}", lines(&p), p.errors, p.notes));
        (c.action, c.posture.effect, c.drift_posture.effect)
    };
    use pimctl::plan::{Action, Effect};
    // Bob made permanent Owner: weakens. Alice's portal-made permanent Owner is removed: strengthens, and the drift
    // that made it had weakened posture.
    assert_eq!(effect("bob@contoso.com").0, Action::Create);
    assert_eq!(effect("bob@contoso.com").1, Effect::Weakens);
    assert_eq!(effect("alice@contoso.com").0, Action::Remove);
    assert_eq!(effect("alice@contoso.com").1, Effect::Strengthens);
    assert_eq!(effect("alice@contoso.com").2, Effect::Weakens);
}

/// A plan of the declaration, or `None` when a read failed for good under faults (the caller reads again).
async fn try_plan(
    em: &pimctl::emulator::RunningEmulator,
    arm: &ArmClient,
    desired: &DesiredState,
) -> Option<Plan> {
    let now = em.with_state(|s| s.now());
    let mut live = read_tenant(&client(em), &[desired], now).await.ok()?;
    read_azure(arm, &[desired], &mut live).await.ok()?;
    Some(plan::build(desired, &live, &PlanOptions::default()))
}

#[tokio::test]
async fn at_10_and_30_percent_faults_under_arm_throttling_apply_converges_with_no_duplicate_and_nothing_lost()
 {
    for fail_rate in [0.1, 0.3] {
        let em = emulator_from_yaml(&seed(), &Setup::default()).await;
        let (_dir, desired) = desired_yaml(&declaration(), &em);
        let arm = arm_client(&em);
        let (_, mut p) = plan_of(&em, &arm, &desired).await;
        assert_eq!(p.changes.len(), 6, "{:#?}", lines(&p));
        let planned = p.changes.len();
        // ARM throttling drawn from the seeded RNG (429, `Retry-After`, `x-ms-ratelimit-remaining-*` of 0: the
        // emulator's answer is checked in tests/arm_emulator.rs), so it throttles however fast the machine is;
        // then 503s, dropped connections and answers lost after the write was carried out.
        em.set_faults(pimctl::emulator::faults::FaultConfig {
            fail_rate,
            throttle_rate: 0.15,
            ..Default::default()
        });
        em.reset_stats();
        let options = ApplyOptions {
            arm: Some(arm.clone()),
            ..Default::default()
        };
        let mut records = vec![];
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(
                rounds <= 12,
                "no convergence after 12 rounds at {fail_rate}"
            );
            let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
            records.extend(report.changes.into_iter().flat_map(|c| c.sent));
            // A read can fail for good too: read again.
            let next = loop {
                if let Some(next) = try_plan(&em, &arm, &desired).await {
                    break next;
                }
            };
            assert!(next.errors.is_empty(), "{:#?}", next.errors);
            if next.changes.is_empty() {
                break;
            }
            assert!(next.changes.len() < planned, "{:#?}", lines(&next));
            p = next;
        }
        let stats = em.stats();
        em.set_faults(Default::default());
        assert!(stats.throttled > 0, "ARM throttled nothing at {fail_rate}");
        assert!(arm.stats().retries > 0, "the faults hit some ARM requests");
        if fail_rate >= 0.3 {
            // Some writes went unanswered (a dropped connection, or an answer lost after the write was carried
            // out): what the record and the re-read below must account for.
            assert!(records.iter().any(|r| r.status != "ok"), "{records:#?}");
        }

        // No duplicate: the tenant carried out one request per principal, role, scope and request type (a resent
        // PUT carries the plan's name, so ARM answers it as the request already made), and holds one schedule per
        // principal, role, scope and kind.
        let carried_out = arm_carried_out(&em);
        let held = arm_schedules(&em);
        // alice's Owner conversion (an eligibility, then the standing assignment removed), alice's conditioned
        // eligibility removed and bob's made at app-rg.
        assert_eq!(carried_out.len(), 4, "{carried_out:#?}");
        let what: std::collections::BTreeSet<_> = carried_out.iter().map(|r| &r.what).collect();
        assert_eq!(
            what.len(),
            carried_out.len(),
            "a duplicate request: {carried_out:#?}"
        );
        let schedules: std::collections::BTreeSet<_> = held.iter().map(ArmHeld::key).collect();
        assert_eq!(
            schedules.len(),
            held.len(),
            "a duplicate schedule: {held:#?}"
        );

        // Nothing lost: every request the tenant carried out, and every policy it changed, is in the audit record,
        // whether or not its answer came back.
        for ArmCarriedOut { name, .. } in &carried_out {
            assert!(
                records
                    .iter()
                    .any(|r| r.method == "PUT"
                        && r.path.to_lowercase().ends_with(&format!("/{name}"))),
                "an ARM request missing from the record: {name}"
            );
        }
        let changed = em.with_state(|s| {
            s.arm
                .policies
                .iter()
                .filter(|x| x.modified_by.is_some())
                .map(|x| {
                    let scope = pimctl::graph::arm::scope::ArmScope::parse(&x.scope).unwrap();
                    pimctl::emulator::arm::policy_name(s, &scope, &x.role)
                })
                .collect::<Vec<_>>()
        });
        // Owner's two rules and Contributor's one, on two policies.
        assert_eq!(changed.len(), 2, "{changed:?}");
        for name in &changed {
            assert!(
                records.iter().any(|r| r.method == "PATCH"
                    && r.path.to_lowercase().ends_with(&name.to_lowercase())),
                "a policy change missing from the record: {name}"
            );
        }
        let (_, again) = plan_of(&em, &arm, &desired).await;
        assert!(again.changes.is_empty(), "{:#?}", lines(&again));
    }
}

#[tokio::test]
async fn permanent_assignments_allowed_on_an_azure_role_send_no_maximum_and_converge() {
    // ARM refuses `maximumDuration` with `isExpirationRequired: false` (EasyPIM#272); the live rule has one.
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let arm = arm_client(&em);
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      active_assignment: {{allow_permanent: true}}
      eligible_assignment: {{allow_permanent: true}}
"#
    );
    let (_dir, desired) = desired_yaml(&yaml, &em);
    let (_, p) = plan_of(&em, &arm, &desired).await;
    assert_eq!(p.changes.len(), 2, "{:#?}", lines(&p));
    for op in p.changes.iter().flat_map(|c| &c.operations) {
        let rule = &op.body["properties"]["rules"][0];
        assert_eq!(rule["isExpirationRequired"], false, "{rule}");
        assert!(rule["maximumDuration"].is_null(), "{rule}");
    }
    let options = ApplyOptions {
        arm: Some(arm.clone()),
        ..Default::default()
    };
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
}

#[tokio::test]
async fn every_rule_shape_converges_on_an_azure_role() {
    // azurerm#26377: a plan right after apply must be empty, whatever the rules hold. The tier-0 template sets
    // every rule (approval with a stage, authentication context, requirements, expirations, notifications).
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let arm = arm_client(&em);
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}/resourceGroups/app-rg:
    User Access Administrator:
      template: builtin:tier0
      activation:
        approval: {{approvers: [{{group: Cloud-Approvers}}]}}
      notifications:
        activated: {{admin: {{recipients: [secops@contoso.com]}}}}
        eligible_assigned: {{approver: {{recipients: [pim@contoso.com], default_recipients: false}}}}
      eligible:
        - user: bob@contoso.com
          until: 2027-01-15
"#
    );
    let (_dir, desired) = desired_yaml(&yaml, &em);
    let (_, p) = plan_of(&em, &arm, &desired).await;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert!(p.changes.len() >= 8, "{:#?}", lines(&p));
    let options = ApplyOptions {
        arm: Some(arm.clone()),
        ..Default::default()
    };
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
}

#[tokio::test]
async fn eligibility_at_a_broader_scope_than_held_weakens() {
    // Alice is eligible for Contributor at app-rg; declaring her eligible at the whole subscription widens it.
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let arm = arm_client(&em);
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Contributor:
      eligible:
        - user: alice@contoso.com
          until: 2027-01-15
"#
    );
    let (_dir, desired) = desired_yaml(&yaml, &em);
    let (_, p) = plan_of(&em, &arm, &desired).await;
    let c = p
        .changes
        .iter()
        .find(|c| {
            c.principal
                .as_ref()
                .is_some_and(|x| x.label == "alice@contoso.com")
        })
        .unwrap_or_else(|| panic!("{:#?}", lines(&p)));
    assert_eq!(
        c.posture.effect,
        pimctl::plan::Effect::Weakens,
        "{:?}",
        c.posture
    );
    assert!(c.posture.why.contains("broader scope"), "{}", c.posture.why);
}

/// The ABAC condition the emulator holds on a principal's schedule of a role at a scope.
fn held_condition(
    em: &pimctl::emulator::RunningEmulator,
    principal: &str,
) -> Vec<(Option<String>, Option<String>)> {
    let id = em.with_state(|s| s.user(principal).unwrap().id.clone());
    em.with_state(|s| {
        s.arm
            .schedules
            .iter()
            .filter(|x| x.principal_id.eq_ignore_ascii_case(&id) && x.scope.ends_with("/app-rg"))
            .map(|x| (x.condition.clone(), x.condition_version.clone()))
            .collect()
    })
}

#[tokio::test]
async fn a_live_abac_condition_is_read_kept_when_undeclared_and_updated_when_declared() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let arm = arm_client(&em);
    let rg = format!("/subscriptions/{SUB}/resourceGroups/app-rg");
    let options = ApplyOptions {
        arm: Some(arm.clone()),
        ..Default::default()
    };
    // Alice's eligibility at app-rg holds a condition (seeded); the declaration moves her end date and says nothing
    // of the condition.
    let undeclared = format!(
        r#"
version: pimctl/v1
azure_roles:
  {rg}:
    Contributor:
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
"#
    );
    let (_d1, desired) = desired_yaml(&undeclared, &em);
    let (live, p) = plan_of(&em, &arm, &desired).await;
    // Read faithfully from the schedule (digest §9: `condition`, `conditionVersion`).
    let held: Vec<_> = live
        .assignments
        .iter()
        .filter_map(|a| a.condition.as_ref())
        .collect();
    assert_eq!(held.len(), 1, "{:#?}", live.assignments);
    assert_eq!(held[0].condition, "@Resource[x] StringEquals 'y'");
    assert_eq!(held[0].version, "2.0");
    assert_eq!(
        lines(&p),
        [format!("update Contributor @ {rg} alice@contoso.com")]
    );
    // Kept and reported, never dropped: the update carries the condition the tenant holds.
    let op = &p.changes[0].operations[0];
    assert_eq!(
        op.body["properties"]["condition"],
        "@Resource[x] StringEquals 'y'"
    );
    assert_eq!(op.body["properties"]["conditionVersion"], "2.0");
    assert!(
        p.notes
            .iter()
            .any(|n| n.kind == pimctl::plan::NoteKind::KeptCondition),
        "{:#?}",
        p.notes
    );
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    assert_eq!(
        held_condition(&em, "alice@contoso.com"),
        [(
            Some("@Resource[x] StringEquals 'y'".into()),
            Some("2.0".into())
        )]
    );
    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));

    // Declared, and different: an update of the condition alone, shown in the plan, neutral.
    let declared = undeclared.replace(
        "until: 2027-02-01\n",
        "until: 2027-02-01\n          condition: \"@Resource[x] StringEquals 'z'\"\n          condition_version: \"2.0\"\n",
    );
    let (_d2, desired) = desired_yaml(&declared, &em);
    let (_, p) = plan_of(&em, &arm, &desired).await;
    assert_eq!(
        lines(&p),
        [format!("update Contributor @ {rg} alice@contoso.com")]
    );
    let c = &p.changes[0];
    assert_eq!(c.reason, "its ABAC condition differs from the declared one");
    assert_eq!(c.posture.effect, pimctl::plan::Effect::Neutral);
    assert_eq!(c.before["condition"], "@Resource[x] StringEquals 'y'");
    assert_eq!(c.after["condition"], "@Resource[x] StringEquals 'z'");
    let text = pimctl::render::text::render(&p, false);
    assert!(
        text.contains("condition: @Resource[x] StringEquals 'y' → @Resource[x] StringEquals 'z'"),
        "{text}"
    );
    assert!(!text.contains("→ 2027"), "dates unchanged: {text}");
    assert!(
        !p.notes
            .iter()
            .any(|n| n.kind == pimctl::plan::NoteKind::KeptCondition)
    );
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    assert_eq!(
        held_condition(&em, "alice@contoso.com"),
        [(
            Some("@Resource[x] StringEquals 'z'".into()),
            Some("2.0".into())
        )]
    );
    let (_, again) = plan_of(&em, &arm, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
}
