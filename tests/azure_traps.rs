//! The peers' known traps with Azure resource roles (issue 14), each a named test over real HTTP against the
//! emulator: what the Terraform provider, Pulumi and EasyPIM got wrong, and that pimctl does not.

mod planning;
use pimctl::apply::{self, Outcome};
use pimctl::emulator::RunningEmulator;
use pimctl::graph::arm::scope::ArmScope;
use pimctl::model::DesiredState;
use pimctl::plan::{Method, Plan};
use planning::*;
use serde_json::{Value, json};

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const DEV: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const MG: &str = "/providers/Microsoft.Management/managementGroups/contoso";
/// Contributor's role definition GUID (data/azure-builtin-roles.json).
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";

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
    - {{display_name: Dev, id: {DEV}, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: app-rg}}
    - {{subscription: Dev, name: dev-rg}}
  eligible: []
  active: []
"#
    )
}

async fn start() -> RunningEmulator {
    emulator_from_yaml(&seed(), &Setup::default()).await
}

/// Plans `desired`, applies the plan (it must succeed) and returns it with the writes it sent.
async fn apply_ok(em: &RunningEmulator, desired: &DesiredState) -> (Plan, Vec<apply::Sent>) {
    let p = plan_against(em, desired).await;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    let report = apply::apply(&client(em), &p, &apply_options(em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    (p, report.changes.into_iter().flat_map(|c| c.sent).collect())
}

async fn assert_converged(em: &RunningEmulator, desired: &DesiredState) {
    let again = plan_against(em, desired).await;
    assert!(again.errors.is_empty(), "{:#?}", again.errors);
    assert!(
        again.changes.is_empty(),
        "left after apply: {:#?}",
        lines(&again)
    );
}

/// The rule `id` of the emulator's policy for `role` (a GUID) at `scope`, as ARM serves it.
fn live_rule(em: &RunningEmulator, scope: &str, role: &str, id: &str) -> Value {
    let scope = ArmScope::parse(scope).unwrap();
    em.with_state(|s| {
        s.arm
            .rules(&scope, role)
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no rule {id}"))
    })
}

async fn control(em: &RunningEmulator, path: &str, body: Value) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/{path}", em.control_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn owner_with_two_rules() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      activation:
        max_duration: 2h
        require: [mfa, justification]
"#
    )
}

const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

#[tokio::test]
async fn azurerm_28913_a_rule_silently_missing_from_the_first_patch_is_read_back_and_sent_again() {
    // azurerm#28913, #32920, pulumi-azure#2737: ARM answers 200 to a policy PATCH and leaves a rule out.
    let em = start().await;
    let (_d, desired) = desired_yaml(&owner_with_two_rules(), &em);
    let rule = "Expiration_EndUser_Assignment";
    let scope = format!("/subscriptions/{SUB}");
    assert_eq!(
        control(&em, "azure/drop-rule", json!({"rule": rule, "times": 1})).await,
        204
    );
    let (p, sent) = apply_ok(&em, &desired).await;
    assert_eq!(p.changes.len(), 2, "{:#?}", lines(&p));
    // The PATCH carrying the rule went twice: the first answer was 200, the read-back found the rule missing.
    let carrying = |s: &&apply::Sent| s.method == "PATCH" && s.body.to_string().contains(rule);
    assert_eq!(sent.iter().filter(carrying).count(), 2, "{sent:#?}");
    assert!(sent.iter().all(|s| s.status == "ok"), "{sent:#?}");
    assert_eq!(
        live_rule(&em, &scope, OWNER, rule)["maximumDuration"],
        "PT2H"
    );
    assert!(em.with_state(|s| s.arm.drop_rules.is_empty()));
    assert_converged(&em, &desired).await;
}

#[tokio::test]
async fn a_rule_still_missing_after_the_resend_fails_its_change_naming_the_rule() {
    let em = start().await;
    let (_d, desired) = desired_yaml(&owner_with_two_rules(), &em);
    let rule = "Expiration_EndUser_Assignment";
    control(&em, "azure/drop-rule", json!({"rule": rule, "times": 2})).await;
    let p = plan_against(&em, &desired).await;
    let report = apply::apply(&client(&em), &p, &apply_options(&em), &mut |_| {}).await;
    let failed: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{report:#?}");
    let error = failed[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("does not hold the rule") && error.contains(rule),
        "{error}"
    );
    // Nothing is claimed done that is not: the next plan still updates the rule.
    let next = plan_against(&em, &desired).await;
    assert!(
        lines(&next).iter().any(|l| l.ends_with(rule)),
        "{:#?}",
        lines(&next)
    );
    let (_, _) = apply_ok(&em, &desired).await;
    assert_converged(&em, &desired).await;
}

#[tokio::test]
async fn azurerm_24118_requests_purged_after_45_days_leave_the_plan_empty() {
    // azurerm#24118, #25811: a provider that reads schedule *requests* re-creates assignments once ARM purges them.
    let em = start().await;
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      eligible:
        - user: alice@contoso.com
          until: 2027-06-01
  /subscriptions/{SUB}/resourceGroups/app-rg:
    Contributor:
      active:
        - user: bob@contoso.com
          until: 2027-03-01
"#
    );
    let (_d, desired) = desired_yaml(&yaml, &em);
    let (p, _) = apply_ok(&em, &desired).await;
    assert_eq!(p.changes.len(), 2, "{:#?}", lines(&p));
    assert_eq!(em.with_state(|s| s.arm.requests.len()), 2);
    assert_converged(&em, &desired).await;

    em.with_state(|s| assert!(s.clock.advance(chrono::Duration::days(46))));
    em.reset_stats();
    let again = plan_against(&em, &desired).await;
    // The emulator purged the requests (on the first request after the clock moved); the schedules stay.
    assert_eq!(em.with_state(|s| s.arm.requests.len()), 0);
    assert_eq!(em.with_state(|s| s.arm.schedules.len()), 2);
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
    // And the read never asked for requests.
    assert!(
        !em.stats()
            .routes
            .keys()
            .any(|k| k.contains("ScheduleRequests")),
        "{:#?}",
        em.stats().routes
    );
}

/// Three shapes of all 17 rules: every rule on (authentication context), every rule off, and every rule on in other
/// value kinds (MFA, minutes, stages, several approvers, several recipients).
fn shapes() -> [&'static str; 3] {
    [
        r#"
      activation:
        max_duration: 30m
        require: [justification, ticket]
        authentication_context: c1
        approval:
          required: true
          approvers: [{group: Cloud-Approvers}, {user: carol@contoso.com}]
          stage_timeout: 1d
          approver_justification: true
          escalation_after: 90m
          escalation_approvers: [{user: alice@contoso.com}]
      eligible_assignment: {allow_permanent: false, max_duration: 90d, require: [mfa, justification]}
      active_assignment: {allow_permanent: false, max_duration: 15d, require: [mfa, justification]}
      notifications:
        eligible_assigned:
          admin: {recipients: [a@contoso.com, b@contoso.com], default_recipients: false, critical_only: true}
          requestor: {recipients: [c@contoso.com], default_recipients: true, critical_only: true}
          approver: {recipients: [d@contoso.com], default_recipients: false, critical_only: false}
        active_assigned:
          admin: {recipients: [e@contoso.com], default_recipients: false, critical_only: true}
          requestor: {recipients: [f@contoso.com], default_recipients: false, critical_only: true}
          approver: {recipients: [g@contoso.com], default_recipients: true, critical_only: true}
        activated:
          admin: {recipients: [h@contoso.com], default_recipients: false, critical_only: true}
          requestor: {recipients: [i@contoso.com], default_recipients: false, critical_only: false}
          approver: {recipients: [j@contoso.com], default_recipients: false, critical_only: true}
"#,
        r#"
      activation:
        max_duration: 24h
        require: []
        authentication_context: "off"
        approval: {required: false}
      eligible_assignment: {allow_permanent: true, require: []}
      active_assignment: {allow_permanent: true, require: []}
      notifications:
        eligible_assigned:
          admin: {recipients: [], default_recipients: true, critical_only: false}
          requestor: {recipients: [], default_recipients: true, critical_only: false}
          approver: {recipients: [], default_recipients: true, critical_only: false}
        active_assigned:
          admin: {recipients: [], default_recipients: true, critical_only: false}
          requestor: {recipients: [], default_recipients: true, critical_only: false}
          approver: {recipients: [], default_recipients: true, critical_only: false}
        activated:
          admin: {recipients: [], default_recipients: true, critical_only: false}
          requestor: {recipients: [], default_recipients: true, critical_only: false}
          approver: {recipients: [], default_recipients: true, critical_only: false}
"#,
        r#"
      activation:
        max_duration: 1h30m
        require: [mfa]
        authentication_context: "off"
        approval:
          required: true
          stages:
            - approvers: [{user: bob@contoso.com}, {user: carol@contoso.com}, {group: Cloud-Approvers}]
              timeout: 2d
              approver_justification: false
          for_extension: true
          requestor_justification: false
      eligible_assignment: {allow_permanent: false, max_duration: 1d, require: [justification]}
      active_assignment: {allow_permanent: false, max_duration: 12h, require: [mfa]}
      notifications:
        eligible_assigned:
          admin: {recipients: [x@contoso.com, y@contoso.com, z@contoso.com], critical_only: false}
        activated:
          approver: {default_recipients: true, critical_only: true}
"#,
    ]
}

#[tokio::test]
async fn azurerm_26377_a_plan_right_after_apply_is_empty_for_every_rule_shape_at_every_scope_kind()
{
    // azurerm#26377: constant drift on a policy. Each of the 17 rules, on and off, with every value kind, applied
    // one after the other to the same role at a management group, a subscription and a resource group.
    let em = start().await;
    let scopes = [
        MG.to_string(),
        format!("/subscriptions/{SUB}"),
        format!("/subscriptions/{SUB}/resourceGroups/app-rg"),
    ];
    for (i, shape) in shapes().iter().chain([&shapes()[0]]).enumerate() {
        let mut yaml = "version: pimctl/v1\nazure_roles:\n".to_string();
        for scope in &scopes {
            yaml.push_str(&format!("  {scope}:\n    Contributor:{shape}"));
        }
        let (_d, desired) = desired_yaml(&yaml, &em);
        let (p, _) = apply_ok(&em, &desired).await;
        // Every shape changes rules at every scope (the last goes back to the first); every rule is switched on by
        // the first shape and off by the second.
        for scope in &scopes {
            let rules: std::collections::BTreeSet<_> = p
                .changes
                .iter()
                .filter(|c| c.role_name.ends_with(scope.as_str()))
                .filter_map(|c| match &c.key {
                    pimctl::plan::ChangeKey::Rule { rule, .. } => Some(*rule),
                    _ => None,
                })
                .collect();
            match i {
                0 | 1 => assert_eq!(rules.len(), 17, "shape {i} at {scope}: {rules:?}"),
                _ => assert!(!rules.is_empty(), "shape {i}: nothing at {scope}"),
            }
        }
        assert_converged(&em, &desired).await;
    }
    // The three scopes hold the first shape, each in its own policy.
    for scope in &scopes {
        let rule = live_rule(&em, scope, CONTRIBUTOR, "Expiration_EndUser_Assignment");
        assert_eq!(rule["maximumDuration"], "PT30M", "{scope}");
    }
}

#[tokio::test]
async fn easypim_272_and_azurerm_33068_are_refused_before_sending_and_by_the_emulator() {
    let em = start().await;
    let bad = [
        // EasyPIM#272: a maximum duration where assignments need not expire.
        (
            "active_assignment: {allow_permanent: true, max_duration: 30d}",
            "active_assignment",
            json!({"isExpirationRequired": false, "maximumDuration": "P30D",
                "id": "Expiration_Admin_Assignment", "ruleType": "RoleManagementPolicyExpirationRule"}),
            "InvalidPolicyRule",
        ),
        // azurerm#33068: a ticket required on active assignment.
        (
            "active_assignment: {require: [justification, ticket]}",
            "ticket",
            json!({"enabledRules": ["Justification", "Ticketing"],
                "id": "Enablement_Admin_Assignment", "ruleType": "RoleManagementPolicyEnablementRule"}),
            "InvalidPolicyEnabledRules",
        ),
    ];
    let policy = {
        let scope = ArmScope::parse(&format!("/subscriptions/{SUB}")).unwrap();
        let name = em.with_state(|s| pimctl::emulator::arm::policy_name(s, &scope, OWNER));
        format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.Authorization/roleManagementPolicies/{name}?api-version=2020-10-01",
            em.arm_url()
        )
    };
    for (setting, said, mut rule, code) in bad {
        // The declaration is refused with file, YAML path and line: nothing can be planned, nothing is sent.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("azure.yaml"),
            format!("version: pimctl/v1\nazure_roles:\n  /subscriptions/{SUB}:\n    Owner:\n      {setting}\n"),
        )
        .unwrap();
        em.reset_stats();
        let now = em.with_state(|s| s.now());
        let d = pimctl::language::load(dir.path(), &pimctl::language::LoadOptions { now })
            .ok()
            .err()
            .unwrap_or_else(|| panic!("{setting} was accepted"));
        let e = d
            .items()
            .iter()
            .find(|x| x.severity == pimctl::language::Severity::Error)
            .unwrap();
        assert!(e.message.contains(said), "{}", e.message);
        // The role's line: the setting may come from its template chain (the merged policy is what ARM gets).
        assert!(
            matches!(e.location.line, Some(4 | 5)),
            "{}",
            d.render_text(false)
        );
        assert!(
            e.location.path.starts_with("azure_roles."),
            "{}",
            e.location.path
        );
        assert_eq!(em.stats().total, 0);
        // The same rule, sent by hand, is refused by the emulator as ARM refuses it.
        let id = rule["id"].as_str().unwrap().to_string();
        let (caller, level) = id.split_once('_').unwrap().1.split_once('_').unwrap();
        rule["target"] = json!({"caller": caller, "operations": ["All"], "level": level});
        let r = reqwest::Client::new()
            .patch(&policy)
            .bearer_auth(em.access_token())
            .json(&json!({"properties": {"rules": [rule]}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
}

fn easypim_seed_yaml() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  {MG}:
    Contributor:
      activation: {{max_duration: 2h}}
      eligible:
        - {{user: bob@contoso.com, until: 2027-03-01}}
  /subscriptions/{DEV}:
    Contributor:
      activation: {{max_duration: 4h}}
      eligible:
        - {{user: bob@contoso.com, until: 2027-03-01}}
        - {{user: carol@contoso.com, until: 2027-03-01}}
  /subscriptions/{DEV}/resourceGroups/dev-rg:
    Contributor:
      activation: {{max_duration: 1h}}
      eligible:
        - {{user: bob@contoso.com, until: 2027-03-01}}
        - {{user: alice@contoso.com, until: 2027-03-01}}
"#
    )
}

#[tokio::test]
async fn easypim_186_a_management_group_policy_lands_on_the_management_group_and_nowhere_else() {
    // EasyPIM#186: a management group's policy was applied to a subscription. ARM does not inherit policies, so each
    // scope's policy is its own object, and each PATCH goes to the declared scope's.
    let em = start().await;
    let (_d, desired) = desired_yaml(&easypim_seed_yaml(), &em);
    let (_, sent) = apply_ok(&em, &desired).await;
    let patches: Vec<_> = sent.iter().filter(|s| s.method == "PATCH").collect();
    assert_eq!(patches.len(), 3, "{patches:#?}");
    let max = |scope: &str| {
        live_rule(&em, scope, CONTRIBUTOR, "Expiration_EndUser_Assignment")["maximumDuration"]
            .clone()
    };
    assert_eq!(max(MG), "PT2H");
    assert_eq!(max(&format!("/subscriptions/{DEV}")), "PT4H");
    assert_eq!(
        max(&format!("/subscriptions/{DEV}/resourceGroups/dev-rg")),
        "PT1H"
    );
    // Undeclared scopes below the management group keep Microsoft's default.
    assert_eq!(max(&format!("/subscriptions/{SUB}")), "PT8H");
    assert_eq!(
        max(&format!("/subscriptions/{SUB}/resourceGroups/app-rg")),
        "PT8H"
    );
    // Each PATCH names its own scope's policy.
    for (scope, hours) in [
        (MG.to_string(), "PT2H"),
        (format!("/subscriptions/{DEV}"), "PT4H"),
        (
            format!("/subscriptions/{DEV}/resourceGroups/dev-rg"),
            "PT1H",
        ),
    ] {
        let s = ArmScope::parse(&scope).unwrap();
        let name = em.with_state(|st| pimctl::emulator::arm::policy_name(st, &s, CONTRIBUTOR));
        let patch = patches
            .iter()
            .find(|p| p.path.to_lowercase().ends_with(&name))
            .unwrap_or_else(|| panic!("no PATCH of {scope}'s policy: {patches:#?}"));
        assert!(
            patch.path.to_lowercase().starts_with(&scope.to_lowercase()),
            "{}",
            patch.path
        );
        assert!(patch.body.to_string().contains(hours), "{}", patch.body);
    }
    assert_converged(&em, &desired).await;
}

#[tokio::test]
async fn easypim_187_the_same_role_at_several_scopes_is_managed_at_each() {
    // EasyPIM#187: the same role declared at several scopes, only one of which was applied. Bob is eligible for
    // Contributor at the management group, at Dev and at dev-rg: three schedules, each at its scope; an
    // eligibility held above a declared scope is not taken for the one declared there.
    let em = start().await;
    let (_d, desired) = desired_yaml(&easypim_seed_yaml(), &em);
    let (p, sent) = apply_ok(&em, &desired).await;
    let puts: Vec<_> = sent
        .iter()
        .filter(|s| s.method == Method::Put.as_str())
        .map(|s| s.path.to_lowercase())
        .collect();
    assert_eq!(puts.len(), 5, "{:#?}", lines(&p));
    let held = |who: &str| {
        let id = em.with_state(|s| s.user(who).unwrap().id.clone());
        let mut scopes: Vec<String> = em.with_state(|s| {
            s.arm
                .schedules
                .iter()
                .filter(|x| {
                    x.principal_id.eq_ignore_ascii_case(&id)
                        && x.role.eq_ignore_ascii_case(CONTRIBUTOR)
                })
                .map(|x| x.scope.to_lowercase())
                .collect()
        });
        scopes.sort();
        scopes
    };
    let dev = format!("/subscriptions/{DEV}");
    let dev_rg = format!("{dev}/resourceGroups/dev-rg");
    let mut bob = vec![MG.to_lowercase(), dev.clone(), dev_rg.to_lowercase()];
    bob.sort();
    assert_eq!(held("bob@contoso.com"), bob);
    assert_eq!(held("carol@contoso.com"), [dev.as_str()]);
    assert_eq!(held("alice@contoso.com"), [dev_rg.to_lowercase()]);
    assert_converged(&em, &desired).await;

    // Removing bob at one scope removes him there only.
    let fewer = easypim_seed_yaml().replacen(
        "        - {user: bob@contoso.com, until: 2027-03-01}\n        - {user: carol",
        "        - {user: carol",
        1,
    );
    assert_ne!(fewer, easypim_seed_yaml());
    let (_d2, desired) = desired_yaml(&fewer, &em);
    let (p, _) = apply_ok(&em, &desired).await;
    assert_eq!(
        lines(&p),
        [format!("remove Contributor @ {dev} bob@contoso.com")]
    );
    let mut bob = vec![MG.to_lowercase(), dev_rg.to_lowercase()];
    bob.sort();
    assert_eq!(held("bob@contoso.com"), bob);
    assert_converged(&em, &desired).await;
}

#[tokio::test]
async fn azurerm_23775_the_two_role_definition_id_spellings_are_one_role() {
    // azurerm#23775: `/providers/Microsoft.Authorization/roleDefinitions/{guid}` and
    // `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` name one role. Declared in one
    // spelling, read back in the other (ARM answers with the scoped one): no drift.
    let em = start().await;
    let tenant_level = format!("/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}");
    let sub_level = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
    );
    let yaml = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    {tenant_level}:
      activation: {{max_duration: 3h}}
      eligible:
        - {{user: bob@contoso.com, until: 2027-03-01}}
  /subscriptions/{SUB}/resourceGroups/app-rg:
    {sub_level}:
      activation: {{max_duration: 5h}}
      eligible:
        - {{user: carol@contoso.com, until: 2027-03-01}}
  /subscriptions/{DEV}:
    Contributor:
      eligible:
        - {{user: alice@contoso.com, until: 2027-03-01}}
"#
    );
    let (_d, desired) = desired_yaml(&yaml, &em);
    let (p, _) = apply_ok(&em, &desired).await;
    // One role name, whatever the spelling.
    assert!(
        p.changes
            .iter()
            .all(|c| c.role_name.starts_with("Contributor @ ")),
        "{:#?}",
        lines(&p)
    );
    // The tenant answers with the scoped spelling.
    let held: Vec<String> = em.with_state(|s| {
        s.arm
            .schedules
            .iter()
            .map(|x| x.role.to_lowercase())
            .collect()
    });
    assert_eq!(held, [CONTRIBUTOR; 3]);
    // Read back as three direct assignments of one role (bob's is also reported as inherited at app-rg).
    let live = read_live(&em, &desired).await;
    let direct: Vec<_> = live
        .assignments
        .iter()
        .filter(|a| a.member_type.as_deref() == Some("Direct"))
        .map(|a| a.target.role.0.clone())
        .collect();
    assert_eq!(direct, [CONTRIBUTOR; 3], "{:#?}", live.assignments);
    assert_converged(&em, &desired).await;

    // The same role under both spellings at one scope is refused, naming where.
    let twice = format!(
        "version: pimctl/v1\nazure_roles:\n  /subscriptions/{SUB}:\n    {tenant_level}:\n      eligible: []\n    {sub_level}:\n      eligible: []\n"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("azure.yaml"), twice).unwrap();
    let now = em.with_state(|s| s.now());
    let d = pimctl::language::load(dir.path(), &pimctl::language::LoadOptions { now })
        .ok()
        .expect_err("refused");
    assert!(
        d.items()
            .iter()
            .any(|x| x.code == pimctl::language::Code::RoleTwice && x.location.line == Some(6)),
        "{}",
        d.render_text(false)
    );
}
