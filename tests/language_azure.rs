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

#[test]
fn below_fans_a_policy_out_from_a_subscription_or_a_management_group() {
    let text = format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      below: resource_groups
      eligible: []
  /providers/Microsoft.Management/managementGroups/contoso:
    Owner:
      below: all
    Reader:
      below: subscriptions
"#
    );
    let Loaded { state, diagnostics } = load(&text);
    assert!(
        !diagnostics.has_errors(),
        "{}",
        diagnostics.render_text(false)
    );
    let fans: Vec<(String, &str, u32)> = state
        .fan_outs
        .iter()
        .map(|(k, f)| (k.scope.clone(), f.below.as_str(), f.origin.line))
        .collect();
    assert_eq!(
        fans,
        [
            (
                "/providers/microsoft.management/managementgroups/contoso".to_string(),
                "all",
                10
            ),
            (
                "/providers/microsoft.management/managementgroups/contoso".to_string(),
                "subscriptions",
                12
            ),
            (format!("/subscriptions/{SUB}"), "resource_groups", 6),
        ]
    );
    // The declaration is what was written: nothing below is a target until a plan finds it.
    assert_eq!(state.targets.len(), 3);
    // Its digest is its meaning: a comment that moves every line changes nothing; another kind does.
    let digest = pimctl::plan::fingerprint::desired(&state);
    let moved = load(&format!("# fan-outs\n{text}")).state;
    assert_eq!(pimctl::plan::fingerprint::desired(&moved), digest);
    let other = load(&text.replace("below: all", "below: resource_groups")).state;
    assert_ne!(pimctl::plan::fingerprint::desired(&other), digest);
}

#[test]
fn below_where_nothing_is_below_or_misspelt_is_refused_where_it_is_written() {
    let text = format!(
        r#"
version: pimctl/v1
directory_roles:
  Global Administrator:
    below: all
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      below: subscriptions
    Reader:
      below: everything
  /subscriptions/{SUB}/resourceGroups/app-rg:
    Owner:
      below: resource_groups
  /subscriptions/{SUB}/resourceGroups/app-rg/providers/Microsoft.KeyVault/vaults/kv:
    Owner:
      below: all
"#
    );
    let Loaded { diagnostics, .. } = load(&text);
    let found: Vec<(Code, String, Option<u32>)> = diagnostics
        .items()
        .iter()
        .map(|d| {
            assert_eq!(d.location.file.to_str(), Some("azure.yaml"));
            (d.code, d.location.path.clone(), d.location.line)
        })
        .collect();
    let at = |scope: &str, role: &str| format!("azure_roles.\"{scope}\".{role}.below");
    let sub = format!("/subscriptions/{SUB}");
    let rg = format!("{sub}/resourceGroups/app-rg");
    let kv = format!("{rg}/providers/Microsoft.KeyVault/vaults/kv");
    assert_eq!(
        found,
        [
            (
                Code::BadFanOut,
                "directory_roles.\"Global Administrator\".below".to_string(),
                Some(5)
            ),
            (Code::BadFanOut, at(&sub, "Owner"), Some(9)),
            // A misspelt kind is a bad value, with the allowed ones.
            (Code::InvalidValue, at(&sub, "Reader"), Some(11)),
            (Code::BadFanOut, at(&rg, "Owner"), Some(14)),
            (Code::BadFanOut, at(&kv, "Owner"), Some(17)),
        ],
        "{}",
        diagnostics.render_text(false)
    );
    let text = diagnostics.render_text(false);
    assert!(text.contains("a resource has nothing below it"), "{text}");
    assert!(text.contains("fan-out stops at resource groups"), "{text}");
}

/// Subscriptions and management groups by display name: the readable forms lower to targets keyed by the name (the
/// tenant resolves it at read time); two spellings of one name are one scope; a malformed readable form is E0180.
#[test]
fn scopes_by_display_name_lower_to_named_targets_and_bad_ones_are_refused() {
    let text = r#"
version: pimctl/v1
azure_roles:
  subscription:Contoso Prod:
    Owner:
      eligible: []
  "subscription: Contoso Prod/resourcegroups/app-rg/":
    Contributor:
      eligible: []
  management_group:Contoso:
    Owner:
      eligible: []
"#;
    let Loaded { state, diagnostics } = load(text);
    assert!(
        !diagnostics.has_errors(),
        "{}",
        diagnostics.render_text(false)
    );
    let scopes: Vec<&str> = state.targets.keys().map(|k| k.scope.as_str()).collect();
    assert_eq!(
        scopes,
        [
            "management_group:contoso",
            "subscription:contoso prod",
            "subscription:contoso prod/resourcegroups/app-rg"
        ]
    );
    // The spelling shown is the canonical readable one, as declared.
    let rg = state
        .targets
        .values()
        .find(|t| t.target.describe().starts_with("Contributor"))
        .unwrap();
    assert_eq!(
        rg.target.describe(),
        "Contributor @ subscription:Contoso Prod/resourceGroups/app-rg"
    );

    let bad = r#"
version: pimctl/v1
azure_roles:
  subscription:Contoso Prod:
    Owner: {eligible: []}
  SUBSCRIPTION:contoso prod:
    Reader: {eligible: []}
  "subscription:   ":
    Reader: {eligible: []}
  management_group:Contoso/resourceGroups/rg:
    Reader: {eligible: []}
  subscription:Contoso Prod/resourceGroups/rg/providers/Microsoft.KeyVault/vaults:
    Reader: {eligible: []}
  Contoso Prod:
    Reader: {eligible: []}
"#;
    let Loaded { diagnostics, .. } = load(bad);
    let codes: Vec<(Code, String)> = diagnostics
        .items()
        .iter()
        .map(|d| (d.code, d.location.path.clone()))
        .collect();
    let count = |c: Code| codes.iter().filter(|(x, _)| *x == c).count();
    assert_eq!(count(Code::ScopeTwice), 1, "{codes:?}");
    assert_eq!(count(Code::BadScope), 4, "{codes:?}");
    let plain = diagnostics
        .items()
        .iter()
        .find(|d| {
            d.location.path.contains("Contoso Prod")
                && d.code == Code::BadScope
                && !d.location.path.contains(':')
        })
        .map(|d| d.help.clone().unwrap_or_default());
    assert!(
        plain.is_some_and(|h| h.contains("subscription:Contoso Prod")),
        "{codes:?}"
    );
}
