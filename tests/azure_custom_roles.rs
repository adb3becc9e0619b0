//! Custom Azure roles declared by name (`custom: true`), resolved at read time with ARM's list of custom roles
//! (`{root}/providers/Microsoft.Authorization/roleDefinitions?$filter=type+eq+'CustomRole'`), one list per
//! subscription or management group holding such a scope, whatever the number of roles; over real HTTP against the
//! emulator: the plan and apply of the roles' ids, every page read, and the plan errors of a name that is missing,
//! ambiguous, or a role not assignable at the declared scope, with nothing sent.

mod importing;
mod planning;

use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::plan::{Method, Plan, PlanErrorCode};
use planning::*;

const PROD: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const DEV: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const VM_OPERATOR: &str = "c0570000-0000-4000-8000-000000000001";
const AUDITOR: &str = "c0570000-0000-4000-8000-000000000002";
const DEPLOYER: &str = "c0570000-0000-4000-8000-000000000003";
const DATA_OPERATOR: &str = "c0570000-0000-4000-8000-000000000004";

fn seed() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
  - {{upn: bob@contoso.com, display_name: Bob}}
  - {{upn: carol@contoso.com, display_name: Carol}}
azure:
  management_groups:
    - {{name: contoso, display_name: Contoso}}
  subscriptions:
    - {{display_name: Prod, id: {PROD}, management_group: contoso}}
    - {{display_name: Dev, id: {DEV}, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: app-rg}}
    - {{subscription: Prod, name: data-rg}}
  custom_roles:
    - {{name: VM Operator, id: {VM_OPERATOR}, actions: [Microsoft.Compute/virtualMachines/start/action], assignable_scopes: [Prod]}}
    - {{name: Contoso Auditor, id: {AUDITOR}, actions: [Microsoft.Insights/*/read], assignable_scopes: [/providers/Microsoft.Management/managementGroups/contoso]}}
    - {{name: Dev Deployer, id: {DEPLOYER}, actions: [Microsoft.Resources/deployments/*], assignable_scopes: [Dev]}}
    - {{name: Data RG Operator, id: {DATA_OPERATOR}, actions: [Microsoft.Sql/*/read], assignable_scopes: [/subscriptions/{PROD}/resourceGroups/data-rg]}}
    - {{name: Filler One, assignable_scopes: [Prod]}}
    - {{name: Filler Two, assignable_scopes: [Prod]}}
  eligible:
    - {{scope: Prod, role: VM Operator, user: bob@contoso.com, duration: P90D}}
"#
    )
}

/// VM Operator (in another case) at Prod, Contoso Auditor at a resource group of Prod and at the management group.
fn declaration() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{PROD}:
    vm operator:
      custom: true
      activation:
        max_duration: 2h
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
  /subscriptions/{PROD}/resourceGroups/app-rg:
    Contoso Auditor:
      custom: true
      eligible:
        - user: carol@contoso.com
          until: 2027-02-01
  /providers/Microsoft.Management/managementGroups/contoso:
    Contoso Auditor:
      custom: true
      eligible: []
"#
    )
}

/// The role definition lists the emulator served.
fn role_definition_lists(em: &pimctl::emulator::RunningEmulator) -> u64 {
    requests_on(em, |k| {
        k.contains("Microsoft.Authorization/roleDefinitions")
    })
}

#[tokio::test]
async fn custom_roles_by_name_plan_and_apply_by_their_ids_with_one_list_per_root() {
    // Pages of two: Prod's list (VM Operator, Contoso Auditor from above, two fillers) is two pages.
    let setup = Setup {
        page_size: Some(2),
        ..Setup::default()
    };
    let em = emulator_from_yaml(&seed(), &setup).await;
    let (_dir, desired) = desired_yaml(&declaration(), &em);
    em.reset_stats();
    let p = plan_against(&em, &desired).await;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    // 3 scopes in 2 roots (Prod, the management group): Prod's custom roles in 2 pages, the management group's in
    // 1, and no list of the tenant's (every name was found at its root).
    let lists = role_definition_lists(&em);
    assert_eq!(lists, 3, "{:#?}", em.stats().routes);

    let lines = lines(&p);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("VM Operator @ /subscriptions/")),
        "{lines:#?}"
    );
    // VM Operator at Prod: a rule update, alice made eligible, bob's undeclared eligibility removed; Contoso Auditor
    // at app-rg: carol made eligible.
    assert_eq!(p.changes.len(), 4, "{lines:#?}");
    let puts: Vec<_> = p
        .changes
        .iter()
        .flat_map(|c| &c.operations)
        .filter(|o| o.method == Method::Put)
        .collect();
    assert_eq!(puts.len(), 3, "{lines:#?}");
    for (role, n) in [(VM_OPERATOR, 2), (AUDITOR, 1)] {
        assert_eq!(
            puts.iter()
                .filter(|o| o.body["properties"]["roleDefinitionId"]
                    .as_str()
                    .is_some_and(|id| id.ends_with(&format!("/roleDefinitions/{role}"))))
                .count(),
            n,
            "{puts:#?}"
        );
    }

    let options = ApplyOptions {
        arm: Some(arm_client(&em)),
        ..Default::default()
    };
    let report = apply::apply(&client(&em), &p, &options, &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    assert!(
        report.changes.iter().all(|c| c.outcome == Outcome::Applied),
        "{report:#?}"
    );
    let again = plan_against(&em, &desired).await;
    assert!(again.errors.is_empty(), "{:#?}", again.errors);
    assert!(again.changes.is_empty(), "{:#?}", planning::lines(&again));
}

/// Plans a declaration against the emulator, counting only the plan's requests.
async fn plan_counted(em: &pimctl::emulator::RunningEmulator, yaml: &str) -> Plan {
    let (_dir, desired) = desired_yaml(yaml, em);
    em.reset_stats();
    plan_against(em, &desired).await
}

/// A second custom role named VM Operator (in another case), assignable at Prod: ARM refuses to create one, and
/// pimctl does not rely on it.
fn second_vm_operator(em: &pimctl::emulator::RunningEmulator) {
    em.with_state(|s| {
        s.arm
            .custom_roles
            .push(pimctl::emulator::arm::CustomAzureRole {
                id: "c0570000-0000-4000-8000-000000000009".into(),
                name: "VM OPERATOR".into(),
                description: None,
                actions: vec![],
                assignable_scopes: vec![format!("/subscriptions/{PROD}")],
            })
    });
}

fn azure_yaml(imported: &pimctl::import::Imported) -> String {
    importing::all_text(imported)
        .split("=== ")
        .find_map(|f| f.strip_prefix("azure.yaml\n"))
        .expect("azure.yaml")
        .to_string()
}

fn errors_of(p: &Plan, code: PlanErrorCode) -> Vec<&pimctl::plan::PlanError> {
    p.errors.iter().filter(|e| e.code == code).collect()
}

#[tokio::test]
async fn a_missing_an_ambiguous_and_an_unassignable_name_are_plan_errors_with_their_place() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    // Missing, assignable elsewhere (Dev), assignable only at another resource group; and a role assignable only
    // at a resource group, found where it is assignable although its subscription's list leaves it out.
    let p = plan_counted(
        &em,
        &format!(
            r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{PROD}:
    No Such Role:
      custom: true
      eligible: []
    Dev Deployer:
      custom: true
      eligible: []
  /subscriptions/{PROD}/resourceGroups/app-rg:
    Data RG Operator:
      custom: true
      eligible: []
  /subscriptions/{PROD}/resourceGroups/data-rg:
    data rg operator:
      custom: true
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
"#
        ),
    )
    .await;
    // Prod's list, then one list of the tenant's custom roles for the names it does not hold.
    assert_eq!(role_definition_lists(&em), 2, "{:#?}", em.stats().routes);
    assert!(p.changes.is_empty() && p.fingerprints.is_empty());
    assert_eq!(p.errors.len(), 3, "{:#?}", p.errors);

    let missing = errors_of(&p, PlanErrorCode::RoleNotFound);
    assert_eq!(missing.len(), 1, "{:#?}", p.errors);
    assert!(missing[0].message.contains("No Such Role"), "{missing:?}");
    let o = missing[0].origin.as_ref().unwrap();
    assert!(o.file.extension().is_some_and(|e| e == "yaml"), "{o:?}");
    assert_eq!(o.line, 5, "{o:?}");
    assert!(o.path.contains("No Such Role"), "{o:?}");

    let elsewhere = errors_of(&p, PlanErrorCode::AzureRoleNotAssignable);
    assert_eq!(elsewhere.len(), 2, "{:#?}", p.errors);
    let deployer = elsewhere
        .iter()
        .find(|e| e.message.contains("Dev Deployer"))
        .expect("Dev Deployer's error");
    assert!(
        deployer.message.contains(DEPLOYER)
            && deployer.message.contains(&format!("/subscriptions/{DEV}")),
        "{deployer:?}"
    );
    assert_eq!(deployer.origin.as_ref().unwrap().line, 8);
    let data = elsewhere
        .iter()
        .find(|e| e.message.contains("Data RG Operator"))
        .expect("Data RG Operator's error");
    assert!(
        data.message.contains("app-rg") && data.message.contains("data-rg"),
        "{data:?}"
    );
    assert!(data.origin.as_ref().unwrap().path.contains("app-rg"));

    // Ambiguous: a second custom role named VM Operator (ARM refuses to create one; pimctl does not rely on it).
    second_vm_operator(&em);
    let (_dir2, desired) = desired_yaml(&declaration(), &em);
    em.reset_stats();
    let p = plan_against(&em, &desired).await;
    let e = errors_of(&p, PlanErrorCode::AzureRoleAmbiguous);
    assert_eq!(e.len(), 1, "{:#?}", p.errors);
    assert!(
        e[0].message.contains(VM_OPERATOR)
            && e[0]
                .message
                .contains("c0570000-0000-4000-8000-000000000009"),
        "{e:?}"
    );
    assert!(p.changes.is_empty());
    // Nothing was written.
    assert_eq!(writes(&em), 0, "{:#?}", em.stats().routes);
}

/// The list as ARM serves it: custom roles only with `type eq 'CustomRole'`, those assignable at the scope or above
/// there, every custom role of the tenant at tenant level, `nextLink` pages; an unknown type is refused.
#[tokio::test]
async fn the_emulator_lists_custom_roles_as_arm_does() {
    let setup = Setup {
        page_size: Some(2),
        ..Setup::default()
    };
    let em = emulator_from_yaml(&seed(), &setup).await;
    let c = arm_client(&em);
    let names = |list: Vec<
        pimctl::graph::arm::ArmResource<pimctl::graph::arm::RoleDefinitionProperties>,
    >| {
        let mut n: Vec<String> = list
            .into_iter()
            .map(|r| {
                assert_eq!(r.properties.kind.as_deref(), Some("CustomRole"));
                r.properties.role_name.unwrap()
            })
            .collect();
        n.sort();
        n
    };
    let prod = pimctl::graph::arm::ArmScope::Subscription(PROD.into());
    let at_prod = c
        .list_all(&pimctl::graph::arm::custom_roles_path(Some(&prod)))
        .await
        .unwrap();
    assert_eq!(
        names(at_prod),
        ["Contoso Auditor", "Filler One", "Filler Two", "VM Operator"]
    );
    em.reset_stats();
    let tenant = c
        .list_all(&pimctl::graph::arm::custom_roles_path(None))
        .await
        .unwrap();
    assert_eq!(names(tenant).len(), 6);
    assert_eq!(role_definition_lists(&em), 3, "six roles in pages of two");
    let bad = c
        .list_all::<serde_json::Value>(&format!(
            "/subscriptions/{PROD}/providers/Microsoft.Authorization/roleDefinitions?$filter=type+eq+'Custom'&api-version=2022-04-01"
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400), "{bad}");
    assert_eq!(bad.code(), Some("InvalidFilterInQueryString"));
}

/// A role given by role definition id is checked at plan time: one neither built-in nor a custom role assignable at
/// its scope is `role_not_found` (or `azure_role_not_assignable`) at its file, YAML path and line, with policy
/// settings declared (formerly `policy_not_found`, blaming licensing) or only assignments (formerly refused by ARM at
/// apply); nothing is sent. ARM lists a policy for every role assignable at a scope, so a role with one there costs
/// no request; only a role without one costs the tenant's list of custom roles, once.
#[tokio::test]
async fn a_role_by_id_that_is_neither_built_in_nor_assignable_at_its_scope_is_a_plan_error() {
    const UNKNOWN: &str = "0bad0000-0000-4000-8000-00000000dead";
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let p = plan_counted(
        &em,
        &format!(
            r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{PROD}:
    {UNKNOWN}:
      activation:
        max_duration: 2h
    /providers/Microsoft.Authorization/roleDefinitions/{DEPLOYER}:
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
  /subscriptions/{PROD}/resourceGroups/app-rg:
    {UNKNOWN}:
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
"#
        ),
    )
    .await;
    // The tenant's custom roles, once for the three (no role of a root was listed for names).
    assert_eq!(role_definition_lists(&em), 1, "{:#?}", em.stats().routes);
    assert!(p.changes.is_empty() && p.fingerprints.is_empty());
    assert!(
        errors_of(&p, PlanErrorCode::PolicyNotFound).is_empty(),
        "{:#?}",
        p.errors
    );
    assert_eq!(p.errors.len(), 3, "{:#?}", p.errors);
    let mut missing = errors_of(&p, PlanErrorCode::RoleNotFound);
    missing.sort_by_key(|e| e.origin.as_ref().map(|o| o.line));
    assert_eq!(missing.len(), 2, "{:#?}", p.errors);
    for (e, line, scope) in [
        (missing[0], 5, format!("/subscriptions/{PROD}")),
        (
            missing[1],
            13,
            format!("/subscriptions/{PROD}/resourceGroups/app-rg"),
        ),
    ] {
        assert!(
            e.message.contains(UNKNOWN) && e.message.contains("not a built-in"),
            "{e:?}"
        );
        assert!(
            !e.help.as_deref().unwrap_or_default().contains("P2"),
            "{e:?}"
        );
        let o = e.origin.as_ref().unwrap();
        assert!(o.file.extension().is_some_and(|x| x == "yaml"), "{o:?}");
        assert_eq!(o.line, line, "{o:?}");
        assert!(o.path.contains(&scope) && o.path.contains(UNKNOWN), "{o:?}");
    }
    let elsewhere = errors_of(&p, PlanErrorCode::AzureRoleNotAssignable);
    assert_eq!(elsewhere.len(), 1, "{:#?}", p.errors);
    assert!(
        elsewhere[0].message.contains("Dev Deployer")
            && elsewhere[0]
                .message
                .contains(&format!("/subscriptions/{DEV}")),
        "{elsewhere:?}"
    );
    assert_eq!(elsewhere[0].origin.as_ref().unwrap().line, 8);
    assert_eq!(writes(&em), 0, "{:#?}", em.stats().routes);
}

/// Roles by id that exist cost nothing: a built-in and a custom role assignable at the scope each have a policy
/// there, so no list of role definitions is read, and the plan names the custom role.
#[tokio::test]
async fn roles_by_id_that_exist_at_their_scope_cost_no_request() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let p = plan_counted(
        &em,
        &format!(
            r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{PROD}:
    b24988ac-6180-42a0-ab88-20f7382dd24c:
      eligible: []
    {VM_OPERATOR}:
      activation:
        max_duration: 2h
      eligible:
        - user: bob@contoso.com
          until: 2027-02-01
  /subscriptions/{PROD}/resourceGroups/data-rg:
    {DATA_OPERATOR}:
      eligible: []
"#
        ),
    )
    .await;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(role_definition_lists(&em), 0, "{:#?}", em.stats().routes);
    // VM Operator's rule update and bob's end date; Contributor and Data RG Operator hold nobody.
    assert_eq!(p.changes.len(), 2, "{:#?}", lines(&p));
}

/// A name and an id at once: the tenant's list read for the name that its root does not hold serves the id too.
#[tokio::test]
async fn a_role_by_id_reuses_the_lists_read_for_names() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let p = plan_counted(
        &em,
        &format!(
            r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{PROD}:
    No Such Role:
      custom: true
      eligible: []
    {DEPLOYER}:
      eligible: []
"#
        ),
    )
    .await;
    // Prod's list and the tenant's, both for the name; none more for the id.
    assert_eq!(role_definition_lists(&em), 2, "{:#?}", em.stats().routes);
    assert_eq!(
        errors_of(&p, PlanErrorCode::RoleNotFound).len(),
        1,
        "{:#?}",
        p.errors
    );
    let e = errors_of(&p, PlanErrorCode::AzureRoleNotAssignable);
    assert_eq!(e.len(), 1, "{:#?}", p.errors);
    assert!(e[0].message.contains(DEPLOYER), "{e:?}");
    assert_eq!(e[0].origin.as_ref().unwrap().line, 8);
}

/// `import --azure` writes a custom role by its name with `custom: true`, as people declare it (ARM's policy
/// assignments name each role, so no request is added), and by id only where another custom role of that name is
/// assignable at the scope; the imported files plan to nothing.
#[tokio::test]
async fn import_writes_custom_roles_by_name_and_by_id_only_where_the_name_is_shared() {
    let em = emulator_from_yaml(
        &format!(
            "{}    - {{scope: /subscriptions/{PROD}/resourceGroups/data-rg, role: Data RG Operator, user: carol@contoso.com, duration: P90D}}\n",
            seed()
        ),
        &Setup::default(),
    )
    .await;
    let scopes = |paths: &[String]| {
        paths
            .iter()
            .map(|p| pimctl::graph::arm::ArmScope::parse(p).unwrap())
            .collect::<Vec<_>>()
    };
    let options = pimctl::import::Options {
        azure: scopes(&[
            format!("/subscriptions/{PROD}"),
            format!("/subscriptions/{PROD}/resourceGroups/data-rg"),
        ]),
        ..Default::default()
    };
    em.reset_stats();
    let (imported, _) = importing::round_trip(&em, &options).await;
    // The import reads no role definition; the plan of its files reads Prod's custom roles (VM Operator) and, as
    // Data RG Operator is assignable only at data-rg, the tenant's.
    assert_eq!(role_definition_lists(&em), 2, "{:#?}", em.stats().routes);
    let azure = &azure_yaml(&imported);
    for name in [
        "VM Operator:\n      custom: true",
        "Data RG Operator:\n      custom: true",
    ] {
        assert!(azure.contains(name), "{name}:\n{azure}");
    }
    assert!(
        !azure.contains(VM_OPERATOR) && !azure.contains(DATA_OPERATOR),
        "{azure}"
    );

    // A second custom role named VM Operator assignable at Prod: the name is ambiguous there, so by id.
    second_vm_operator(&em);
    let (imported, _) = importing::round_trip(&em, &options).await;
    let azure = &azure_yaml(&imported);
    assert!(
        azure.contains(&format!(
            "{VM_OPERATOR}:  # VM Operator (a custom role, by id: another custom role of that name is assignable here)"
        )),
        "{azure}"
    );
    assert!(
        azure.contains("Data RG Operator:\n      custom: true"),
        "{azure}"
    );
}
