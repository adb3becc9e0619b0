//! `import` of PIM for Groups, over real HTTP against the emulator: which groups it finds (those that hold
//! directory roles, approve, are role-assignable, or are named), what it writes, and the round trip (import, then
//! plan: zero changes).

mod importing;
mod planning;

use importing::all_text;
use pimctl::import::{self, Imported, Options};
use pimctl::language::{self, Code, LoadOptions};
use pimctl::observe::discover::{DiscoverError, Why};
use pimctl::observe::{ambiguous_names, discover_groups, read_tenant};
use planning::*;

const SEED: &str = r##"
tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: alice@contoso.com, display_name: Alice}
  - {upn: bob@contoso.com, display_name: Bob}
  - {upn: carol@contoso.com, display_name: Carol}
  - {upn: bg-01@contoso.com, display_name: Break Glass 01}
groups:
  # Holds Global Administrator: found, with its policies and assignments.
  - name: Tier0-Operators
    role_assignable: true
    pim:
      policies:
        member:
          Expiration_EndUser_Assignment: {maximumDuration: PT2H}
          AuthenticationContext_EndUser_Assignment: {isEnabled: true, claimValue: c1}
        owner:
          Expiration_Admin_Assignment: {isExpirationRequired: false}
      eligible:
        - {access: member, user: alice@contoso.com, start: 2026-01-01T00:00:00Z, until: 2027-06-01T23:59:59Z}
        - {access: owner, user: bob@contoso.com, until: 2027-06-01T23:59:59Z}
      active:
        - {access: member, user: bg-01@contoso.com}
      activations:
        - {access: member, user: alice@contoso.com, duration: PT2H, justification: incident}
  # Approves Global Administrator activations: found; not role-assignable.
  - name: Approvers
    pim:
      eligible:
        - {access: member, user: carol@contoso.com, until: 2027-06-01T23:59:59Z}
  # Role-assignable but not under PIM: found, read, not written.
  - {name: Quiet, role_assignable: true}
  # Under PIM, but holds nothing, approves nothing and is not role-assignable: found only when named.
  - name: App-Ops
    pim:
      eligible:
        - {access: member, user: bob@contoso.com, until: 2027-06-01T23:59:59Z}
  # Two role-assignable groups share a name: written by id.
  - name: Twins
    id: 5a4e0001-0000-4000-8000-000000000001
    role_assignable: true
    pim:
      active:
        - {access: owner, user: carol@contoso.com, until: 2027-01-31T23:59:59Z}
  - {name: twins, id: 5a4e0001-0000-4000-8000-000000000002, role_assignable: true}
eligible:
  - {role: Global Administrator, group: Tier0-Operators, until: 2027-06-01T23:59:59Z}
policies:
  Global Administrator:
    Approval_EndUser_Assignment:
      setting:
        isApprovalRequired: true
        approvalMode: SingleStage
        approvalStages:
          - approvalStageTimeOutInDays: 1
            isApproverJustificationRequired: true
            escalationTimeInMinutes: 0
            isEscalationEnabled: false
            primaryApprovers:
              - {"@odata.type": "#microsoft.graph.groupMembers", groupId: Approvers}
            escalationApprovers: []
"##;

/// Imports the tenant (finding its groups, and those named), loads the files and plans them against the tenant.
async fn import_and_plan(em: &pimctl::emulator::RunningEmulator, named: &[&str]) -> Imported {
    let client = client(em);
    let now = em.with_state(|s| s.now());
    let mut live = read_tenant(&client, &[], now).await.expect("reads");
    let named: Vec<String> = named.iter().map(|s| s.to_string()).collect();
    let found = discover_groups(&client, &mut live, &named)
        .await
        .expect("groups found");
    let mut ambiguous = ambiguous_names(&client, &live).await.expect("lookups");
    ambiguous.extend(found.ambiguous.clone());
    let options = Options {
        groups_named: found.named(),
        ..Options::default()
    };
    let imported = import::import(&live, &ambiguous, &options).expect("imports");
    let dir = tempfile::tempdir().unwrap();
    for f in &imported.files {
        std::fs::write(dir.path().join(&f.name), &f.text).unwrap();
    }
    let loaded = language::load(dir.path(), &LoadOptions { now });
    let unexpected: Vec<_> = loaded
        .diagnostics
        .items()
        .iter()
        .filter(|d| d.code != Code::EligibleAndActive)
        .collect();
    assert!(
        unexpected.is_empty(),
        "{}\n{}",
        loaded.diagnostics.render_text(false),
        all_text(&imported)
    );
    let plan = plan_against(em, &loaded.state).await;
    assert!(
        plan.errors.is_empty() && plan.changes.is_empty(),
        "{:#?}\n{:#?}\n{}",
        plan.errors,
        plan.changes,
        all_text(&imported)
    );
    imported
}

fn groups_yaml(i: &Imported) -> &str {
    &i.files
        .iter()
        .find(|f| f.name == "groups.yaml")
        .expect("groups.yaml")
        .text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_the_groups_it_finds_and_plans_to_nothing() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let imported = import_and_plan(&em, &[]).await;
    let groups = groups_yaml(&imported);
    // Tier0-Operators (holds a role), Approvers (approves), the Twins group under PIM (by id): three groups.
    assert_eq!(imported.summary.groups, 3, "{groups}");
    assert!(
        groups.contains("  Tier0-Operators:\n    member:\n"),
        "{groups}"
    );
    assert!(groups.contains("  Approvers:\n    member:\n"), "{groups}");
    assert!(
        groups.contains(
            "  5a4e0001-0000-4000-8000-000000000001:  # Twins (the name is not unique)\n"
        ),
        "{groups}"
    );
    assert!(
        !groups.contains("App-Ops") && !groups.contains("Quiet"),
        "{groups}"
    );
    // Quiet and the other twin are role-assignable but not under PIM: read, counted, not written.
    assert_eq!(imported.summary.groups_untouched, 2);
    // The member block as the tenant has it: Alice eligible (her activation is a note), the break-glass account
    // permanently active, the 2-hour ceiling and the authentication context.
    assert!(groups.contains("        max_duration: 2h\n"), "{groups}");
    assert!(
        groups.contains("        authentication_context: c1\n"),
        "{groups}"
    );
    assert!(
        groups.contains(
            "      eligible:\n        - user: alice@contoso.com\n          until: 2027-06-01\n"
        ),
        "{groups}"
    );
    assert!(
        groups.contains("      active:\n        - user: bg-01@contoso.com\n"),
        "{groups}"
    );
    assert!(
        groups.contains("# 1 activation in progress: just in time"),
        "{groups}"
    );
    assert_eq!(imported.summary.activations, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_named_on_the_command_line_are_imported_and_bad_names_are_clear_errors() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let imported = import_and_plan(&em, &["app-ops", "Quiet"]).await;
    let groups = groups_yaml(&imported);
    // Named: App-Ops (found only so) and Quiet (written although nobody is assigned: its blocks become managed).
    assert_eq!(imported.summary.groups, 5, "{groups}");
    assert!(groups.contains("  App-Ops:\n"), "{groups}");
    assert!(groups.contains("  Quiet:\n"), "{groups}");
    assert_eq!(imported.summary.groups_untouched, 1);

    let client = client(&em);
    let mut live = read_tenant(&client, &[], em.with_state(|s| s.now()))
        .await
        .unwrap();
    let before = client.request_count();
    let e = discover_groups(&client, &mut live, &["Nobody".into(), "TWINS".into()])
        .await
        .unwrap_err();
    let DiscoverError::Names(problems) = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 2, "{e}");
    let text = e.to_string();
    assert!(text.contains("no group is named `Nobody`"), "{text}");
    assert!(
        text.contains("`TWINS` names 2 groups: Twins (5a4e0001-0000-4000-8000-000000000001), twins (5a4e0001-0000-4000-8000-000000000002); give the object id"),
        "{text}"
    );
    // Nothing was read for groups after the names failed: the role-assignable list and the lookup only.
    assert_eq!(
        client.request_count() - before,
        2,
        "{:#?}",
        em.stats().routes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_costs_one_list_one_lookup_and_the_group_reads() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let client = client(&em);
    let mut live = read_tenant(&client, &[], em.with_state(|s| s.now()))
        .await
        .unwrap();
    let before = client.request_count();
    let found = discover_groups(&client, &mut live, &[]).await.unwrap();
    // Tier0-Operators (holds a role, role-assignable), Approvers (approves), Quiet and the twins (role-assignable).
    let why = |name: &str| {
        found
            .groups
            .values()
            .filter(|(g, _)| g.display_name.as_deref() == Some(name))
            .flat_map(|(_, w)| w.iter().copied())
            .collect::<Vec<Why>>()
    };
    assert_eq!(
        why("Tier0-Operators"),
        [Why::HoldsRole, Why::RoleAssignable]
    );
    assert_eq!(why("Approvers"), [Why::Approver]);
    assert_eq!(why("Quiet"), [Why::RoleAssignable]);
    assert_eq!(found.groups.len(), 5);
    // One page of role-assignable groups, one `$batch` of name lookups, and 5 groups × 4 lists = 20 sub-requests:
    // one `$batch`.
    assert_eq!(
        client.request_count() - before,
        3,
        "{:#?}",
        em.stats().routes
    );
}
