//! The `azure_roles:` section: scopes in any spelling, roles by name or id (either spelling of a role definition
//! id is one role), custom roles, templates, lists and ABAC conditions, lowered as targets like any directory role.

use chrono::{DateTime, TimeZone, Utc};
use pimctl::graph::arm::ArmScope;
use pimctl::language::{self, Code, LoadOptions, Loaded};
use pimctl::model::*;

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

fn load(text: &str) -> Loaded {
    language::load_str("azure.yaml", text, &LoadOptions { now: now() })
}

fn key(scope: &str, role: &str) -> TargetKey {
    TargetKey::azure_role(&ArmScope::parse(scope).unwrap(), RoleKey(role.into()))
}

#[test]
fn scopes_and_roles_lower_to_azure_targets() {
    let text = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      template: builtin:tier0
      activation:
        approval: {{approvers: [{{group: Cloud-Approvers}}]}}
      notifications:
        activated: {{admin: {{recipients: [secops@contoso.com]}}}}
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
      active: []
    /providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7:
      eligible: []
  /subscriptions/{SUB}/resourceGroups/App-RG:
    Storage Blob Data Owner:
      eligible:
        - user: bob@contoso.com
          until: 2027-01-01
          condition: "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
          condition_version: "2.0"
    11111111-2222-4333-8444-555555555555:
      activation: {{max_duration: 2h}}
    VM Starter:
      custom: true
      active: []
  /providers/Microsoft.Management/managementGroups/Contoso:
    Reader:
      eligible: []
"#
    );
    let Loaded { state, diagnostics } = load(&text);
    assert!(
        !diagnostics.has_errors(),
        "{}",
        diagnostics.render_text(false)
    );
    let owner = &state.targets[&key(&format!("/subscriptions/{SUB}"), OWNER)];
    assert_eq!(
        owner.target.describe(),
        format!("Owner @ /subscriptions/{SUB}")
    );
    assert_eq!(owner.templates, ["builtin:tier0"]);
    assert!(
        owner.policy.activation.approval.required.is_some(),
        "the template's settings apply"
    );
    assert_eq!(owner.eligible.as_ref().unwrap().len(), 1);
    assert_eq!(owner.active.as_deref(), Some(&[][..]));
    // A role by its tenant-level id is the built-in Reader.
    let reader = &state.targets[&key(
        &format!("/subscriptions/{SUB}"),
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    )];
    assert_eq!(reader.target.label(), "Reader");
    // The resource group's key is lower-cased; the declared path keeps its case for display.
    let rg = format!("/subscriptions/{SUB}/resourceGroups/App-RG");
    let blob = state
        .targets
        .values()
        .find(|t| t.target.label() == "Storage Blob Data Owner")
        .unwrap();
    assert_eq!(blob.target.key().scope, rg.to_lowercase());
    let TargetRef::AzureRole { scope, .. } = &blob.target else {
        panic!("{:?}", blob.target)
    };
    assert_eq!(scope, &rg);
    let c = blob.eligible.as_ref().unwrap()[0]
        .condition
        .as_ref()
        .unwrap();
    assert_eq!(c.version, "2.0");
    assert!(c.condition.contains("StringEquals 'logs'"));
    assert!(
        state
            .targets
            .contains_key(&key(&rg, "11111111-2222-4333-8444-555555555555"))
    );
    assert!(state.targets.contains_key(&key(&rg, "name:vm starter")));
    assert!(state.targets.contains_key(&key(
        "/providers/Microsoft.Management/managementGroups/contoso",
        "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    )));
    assert_eq!(
        state
            .targets
            .keys()
            .filter(|k| k.surface == Surface::AzureRole)
            .count(),
        6
    );
}

#[test]
fn one_role_under_two_id_spellings_and_a_review_are_refused() {
    let text = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      eligible: []
    /subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{}:
      eligible: []
    Reader:
      access_review: {{every: 3 months, duration: 14d, reviewers: [{{self: true}}]}}
"#,
        OWNER.to_uppercase()
    );
    let Loaded { diagnostics, .. } = load(&text);
    let codes: Vec<Code> = diagnostics.items().iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::RoleTwice), "{codes:?}");
    assert!(codes.contains(&Code::ReviewNotAvailable), "{codes:?}");
    let twice = diagnostics
        .items()
        .iter()
        .find(|d| d.code == Code::RoleTwice)
        .unwrap();
    assert!(twice.location.line.is_some());
    assert!(
        twice.location.path.starts_with("azure_roles."),
        "{}",
        twice.location.path
    );
}

#[test]
fn a_maximum_where_assignments_need_not_expire_is_refused_for_azure_roles() {
    // ARM answers 400 to `maximumDuration` with `isExpirationRequired: false` (EasyPIM#272): refused before any plan.
    let text = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      eligible_assignment: {{allow_permanent: true, max_duration: 90d}}
"#
    );
    let Loaded { diagnostics, .. } = load(&text);
    let d = diagnostics
        .items()
        .iter()
        .find(|d| d.code == Code::InvalidValue)
        .unwrap_or_else(|| panic!("{}", diagnostics.render_text(false)));
    assert!(d.message.contains("eligible_assignment"), "{}", d.message);
    assert!(d.location.line.is_some());
}
