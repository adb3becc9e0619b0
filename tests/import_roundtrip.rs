//! `import`, then `plan` against the same tenant: zero changes, and the imported files load with no diagnostic.
//! Over real HTTP against the emulator.

mod importing;
mod planning;

use importing::{all_text, round_trip};
use pimctl::emulator::RunningEmulator;
use pimctl::import::{self, Imported, Options, RoleSelection};
use pimctl::observe::read_tenant;
use planning::*;

fn file<'a>(i: &'a Imported, name: &str) -> &'a str {
    &i.files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in {:?}",
                i.files.iter().map(|f| &f.name).collect::<Vec<_>>()
            )
        })
        .text
}

/// Without the emulator's port, which differs between runs.
fn stable(text: &str) -> String {
    let re_start = text.find("http://127.0.0.1:");
    match re_start {
        Some(s) => {
            let end = text[s..].find("/v1.0").map_or(text.len(), |e| s + e);
            format!(
                "{}http://127.0.0.1:PORT{}",
                &text[..s],
                stable(&text[end..])
            )
        }
        None => text.to_string(),
    }
}

#[tokio::test]
async fn contoso_imports_and_plans_with_no_changes() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let (imported, plan) = round_trip(&em, &Options::default()).await;
    // The activation in progress is a note of the plan, never an assignment of the import.
    assert_eq!(imported.summary.activations, 1);
    assert!(
        !file(&imported, "privileged.yaml")
            .contains("bob.secops@contoso.com\n    active:\n      - user: bob")
    );
    assert_eq!(
        plan.notes
            .iter()
            .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
            .count(),
        1
    );
    // The three permanent Global Administrators are proposed, commented out, as break-glass accounts.
    let protected = file(&imported, "protected.yaml");
    assert_eq!(imported.summary.break_glass_candidates, 3);
    for upn in [
        "bg-01@contoso.onmicrosoft.com",
        "bg-02@contoso.onmicrosoft.com",
        "yusuf.portal@contoso.com",
    ] {
        assert!(
            protected.contains(&format!("#   - user: {upn}")),
            "{protected}"
        );
    }
    assert!(!protected.lines().any(|l| l.starts_with("protected:")));
    // The expired contractor is not imported.
    assert!(!all_text(&imported).contains("mallory"));
    for f in &imported.files {
        insta::assert_snapshot!(
            format!("import_contoso__{}", f.name.replace('.', "_")),
            stable(&f.text)
        );
    }
}

#[tokio::test]
async fn contoso_minimal_and_privileged_imports_plan_with_no_changes() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let minimal = Options {
        minimal: true,
        ..Options::default()
    };
    let (imported, _) = round_trip(&em, &minimal).await;
    let roles = file(&imported, "roles.yaml");
    // Roles with Microsoft's policy declare nothing about it.
    assert!(
        roles.contains("  Directory Readers:\n    eligible: []"),
        "{roles}"
    );
    assert!(!roles.contains("max_duration: 8h"), "{roles}");
    let privileged = Options {
        roles: RoleSelection::Privileged,
        ..Options::default()
    };
    let (imported, _) = round_trip(&em, &privileged).await;
    assert!(!all_text(&imported).contains("Billing Administrator:"));
    let named = Options {
        roles: RoleSelection::Named(vec![
            "global administrator".into(),
            "Exchange Administrator".into(),
        ]),
        ..Options::default()
    };
    let (imported, _) = round_trip(&em, &named).await;
    assert_eq!(imported.summary.roles, 2);
}

#[tokio::test]
async fn an_unknown_role_name_is_an_error() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let client = client(&em);
    let live = read_tenant(&client, &[], em.with_state(|s| s.now()))
        .await
        .unwrap();
    let options = Options {
        roles: RoleSelection::Named(vec!["Global Admin".into()]),
        ..Options::default()
    };
    let err = import::import(&live, &Default::default(), &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--roles: no role named `Global Admin` (did you mean `Global Administrator`?) in the tenant"
    );
}

/// Custom roles, groups and service principals as principals, ambiguous names, time-bound assignments, every rule
/// set to a value other than Microsoft's, approval without approvers, and activations in progress.
/// Groups and service principals added to the fresh tenant's.
const RICH_GROUPS: &str = r##"  - {name: Ops Team 1, id: 0a0a0a0a-0000-4000-8000-000000000001, role_assignable: true}
  - {name: Ops Team 2, id: 0a0a0a0a-0000-4000-8000-000000000002, role_assignable: true}
  - {name: "Approvers, EU", members: [olivia.ciso@contoso.com]}
  - {name: Twin Approvers 1, id: 0b0b0b0b-0000-4000-8000-000000000001}
  - {name: Twin Approvers 2, id: 0b0b0b0b-0000-4000-8000-000000000002}
"##;
const RICH_SPS: &str = "  - {name: Backup Agent, app_id: 1c1c1c1c-0000-4000-8000-000000000001}\n";
const RICH: &str = r##"
custom_roles:
  - {name: Contoso Mailbox Auditor, id: 3d2f1a7e-8c44-4b7e-9f0e-2a1b5c6d7e8f, permissions: [microsoft.directory/users/standard/read]}
eligible:
  - {role: Contoso Mailbox Auditor, user: ivan.audit@contoso.com, until: 2027-03-15T12:30:00Z}
  - {role: Contoso Mailbox Auditor, group: 0a0a0a0a-0000-4000-8000-000000000001}
  - {role: Global Reader, group: 0a0a0a0a-0000-4000-8000-000000000002, until: 2027-01-31T23:59:59Z}
  - {role: Security Administrator, user: bob.secops@contoso.com, until: 2027-01-31T23:59:59Z}
  - {role: Security Administrator, group: SecOps-Tier0, until: 2027-02-01T08:00:00Z}
  - {role: Exchange Administrator, user: erin.exchange@contoso.com, until: 2027-12-31T23:59:59Z}
  - {role: Helpdesk Administrator, user: dave.helpdesk@contoso.com}
active:
  - {role: User Administrator, service_principal: Contoso Provisioning, start: 2026-11-01T00:00:00Z, until: 2027-01-31T23:59:59Z}
  - {role: Billing Administrator, service_principal: Backup Agent, start: 2026-01-01T00:00:00Z}
  - {role: Global Administrator, user: bg-01@contoso.onmicrosoft.com, start: 2024-02-01T00:00:00Z}
  - {role: Global Administrator, group: SecOps-Tier0, start: 2026-11-01T00:00:00Z, until: 2026-11-30T10:00:00Z}
activations:
  - {role: Security Administrator, user: bob.secops@contoso.com, start: 2026-11-21T08:15:00Z, duration: PT2H}
policies:
  Security Administrator:
    Expiration_EndUser_Assignment: {isExpirationRequired: true, maximumDuration: PT3H30M}
    Enablement_EndUser_Assignment: {enabledRules: [Ticketing]}
    AuthenticationContext_EndUser_Assignment: {isEnabled: true, claimValue: c7}
    Approval_EndUser_Assignment:
      setting:
        isApprovalRequired: true
        isApprovalRequiredForExtension: true
        isRequestorJustificationRequired: false
        approvalMode: SingleStage
        approvalStages:
          - approvalStageTimeOutInDays: 2
            isApproverJustificationRequired: false
            escalationTimeInMinutes: 90
            isEscalationEnabled: true
            primaryApprovers:
              - {"@odata.type": "#microsoft.graph.groupMembers", groupId: "Approvers, EU"}
              - {"@odata.type": "#microsoft.graph.groupMembers", groupId: 0b0b0b0b-0000-4000-8000-000000000001}
              - {"@odata.type": "#microsoft.graph.singleUser", userId: olivia.ciso@contoso.com}
            escalationApprovers:
              - {"@odata.type": "#microsoft.graph.singleUser", userId: carol.iam@contoso.com}
    Expiration_Admin_Eligibility: {isExpirationRequired: true, maximumDuration: P90D}
    Expiration_Admin_Assignment: {isExpirationRequired: true, maximumDuration: P1DT12H}
    Enablement_Admin_Eligibility: {enabledRules: [MultiFactorAuthentication]}
    Enablement_Admin_Assignment: {enabledRules: []}
    Notification_Admin_Admin_Eligibility: {notificationRecipients: [a1@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Requestor_Admin_Eligibility: {notificationRecipients: [r1@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Approver_Admin_Eligibility: {notificationRecipients: [p1@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Admin_Admin_Assignment: {notificationRecipients: [a2@contoso.com, b2@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Requestor_Admin_Assignment: {notificationRecipients: [r2@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Approver_Admin_Assignment: {notificationRecipients: [p2@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Admin_EndUser_Assignment: {notificationRecipients: [a3@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Requestor_EndUser_Assignment: {notificationRecipients: [r3@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
    Notification_Approver_EndUser_Assignment: {notificationRecipients: [p3@contoso.com], isDefaultRecipientsEnabled: false, notificationLevel: Critical}
  Contoso Mailbox Auditor:
    Expiration_EndUser_Assignment: {isExpirationRequired: true, maximumDuration: PT1H}
  Exchange Administrator:
    Approval_EndUser_Assignment:
      setting:
        isApprovalRequired: true
        approvalMode: SingleStage
        approvalStages:
          - approvalStageTimeOutInDays: 1
            isApproverJustificationRequired: true
            isEscalationEnabled: false
            primaryApprovers: []
            escalationApprovers: []
  Global Administrator:
    Expiration_Admin_Assignment: {isExpirationRequired: true, maximumDuration: P15D}
  Global Reader:
    Expiration_Admin_Eligibility: {isExpirationRequired: true, maximumDuration: P30D}
"##;

fn rich_seed() -> String {
    fresh_with(RICH)
        .replacen("\ngroups:\n", &format!("\ngroups:\n{RICH_GROUPS}"), 1)
        .replacen(
            "\nservice_principals:\n",
            &format!("\nservice_principals:\n{RICH_SPS}"),
            1,
        )
}

/// The rich tenant, with two pairs of groups that share a display name (the seed refuses that; Entra allows it).
async fn rich_emulator() -> RunningEmulator {
    let em = emulator_from_yaml(&rich_seed(), &Setup::default()).await;
    em.with_state(|s| {
        for g in &mut s.groups {
            if let Some(name) = &g.group.display_name
                && let Some(base) = name.strip_suffix(" 1").or_else(|| name.strip_suffix(" 2"))
            {
                g.group.display_name = Some(base.to_string());
            }
        }
    });
    em
}

#[tokio::test]
async fn a_rich_tenant_imports_and_plans_with_no_changes() {
    let em = rich_emulator().await;
    for minimal in [false, true] {
        let options = Options {
            minimal,
            ..Options::default()
        };
        let (imported, plan) = round_trip(&em, &options).await;
        let text = all_text(&imported);
        // A custom role by id, its name in a comment.
        assert!(
            text.contains(
                "  3d2f1a7e-8c44-4b7e-9f0e-2a1b5c6d7e8f:  # Contoso Mailbox Auditor (custom role)"
            ),
            "{text}"
        );
        // Groups whose names are not unique are written by id; a unique one by name, quoted when needed.
        assert!(
            text.contains(
                "- group: 0a0a0a0a-0000-4000-8000-000000000001  # Ops Team (the name is not unique)"
            ),
            "{text}"
        );
        assert!(text.contains("- group: 0b0b0b0b-0000-4000-8000-000000000001  # Twin Approvers (the name is not unique)"), "{text}");
        assert!(text.contains("- group: Approvers, EU\n"), "{text}");
        // Time-bound assignments keep their end, to the second when it is not the end of a day.
        assert!(text.contains("until: 2027-03-15T12:30:00Z"), "{text}");
        assert!(text.contains("until: 2027-01-31\n"), "{text}");
        // A permanent service principal can't be declared: the list stays unmanaged, its holders in comments.
        assert!(
            text.contains("# active: (unmanaged; the tenant holds)"),
            "{text}"
        );
        // Approval without approvers can't be declared either.
        assert!(text.contains("names no approver"), "{text}");
        assert_eq!(imported.summary.activations, 1);
        assert_eq!(
            plan.notes
                .iter()
                .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
                .count(),
            1
        );
        if !minimal {
            let sec = text
                .split("  Security Administrator:\n")
                .nth(1)
                .unwrap()
                .split("\n\n")
                .next()
                .unwrap();
            insta::assert_snapshot!("import_rich__security_administrator", sec);
        }
    }
}

#[tokio::test]
async fn the_same_tenant_imports_to_the_same_bytes() {
    let em = rich_emulator().await;
    let (a, _) = round_trip(&em, &Options::default()).await;
    let (b, _) = round_trip(&em, &Options::default()).await;
    assert_eq!(a.files, b.files);
}

/// Each target's review is imported as `access_review` when the language can say exactly what it does (a
/// self-review of eligible assignments; managers with a fallback reviewer, denying and applying), and the plan of the
/// imported files finds nothing to change. A second review of the same target, a cadence the language has no word
/// for, and a series that ends are left out, each with a comment that says why (plan reports them, never deletes).
#[tokio::test]
async fn reviews_import_exactly_or_are_left_out_with_a_comment() {
    let seed = fresh_with(
        r#"
eligible:
  - {role: Global Administrator, user: alice.admin@contoso.com}
  - {role: Security Administrator, user: bob.secops@contoso.com}
  - {role: User Administrator, user: carol.iam@contoso.com}
  - {role: Exchange Administrator, user: erin.exchange@contoso.com}
access_reviews:
  - {role: Global Administrator, display_name: GA self-review, review: eligible, settings: {instanceDurationInDays: 4}}
  - {role: Global Administrator, display_name: GA self-review again, review: eligible, settings: {instanceDurationInDays: 4}}
  - role: Security Administrator
    review: eligible
    reviewers: [managers]
    fallback_reviewers: [olivia.ciso@contoso.com]
    settings: {defaultDecisionEnabled: true, defaultDecision: Deny, autoApplyDecisionsEnabled: true, instanceDurationInDays: 2}
  - role: User Administrator
    display_name: Every 60 weeks
    reviewers: [{group: Tier0-Owners}]
    settings: {instanceDurationInDays: 7, recurrence: {pattern: {type: weekly, interval: 60}}}
  - role: Exchange Administrator
    display_name: Three times only
    reviewers: [{group: Tier0-Owners}]
    settings: {recurrence: {range: {type: numbered, numberOfOccurrences: 3}}}
"#,
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (imported, plan) = round_trip(&em, &Options::default()).await;
    let text = all_text(&imported);
    let ga = text
        .split("  Global Administrator:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    // Comments are wrapped: read them as one line.
    let flat = |t: &str| {
        t.lines()
            .map(|l| l.trim_start().trim_start_matches("# "))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        flat(ga).contains("is another review of this target: left as it is"),
        "{ga}"
    );
    assert!(
        ga.contains(
            "    access_review:\n      every: 1 month\n      duration: 4d\n      assignments: eligible\n      reviewers:\n        - {self: true}\n      default_decision: none\n"
        ),
        "{ga}"
    );
    assert!(
        text.contains(
            "      reviewers:\n        - {managers: true}\n      fallback_reviewers:\n        - user: olivia.ciso@contoso.com\n      default_decision: deny\n      auto_apply: true\n"
        ),
        "{text}"
    );
    let text = flat(&text);
    assert!(
        text.contains("access review 'Every 60 weeks'")
            && text.contains(
                "is left unmanaged: it recurs every 60 weeks, which the language cannot declare"
            ),
        "{text}"
    );
    assert!(
        text.contains("access review 'Three times only'")
            && text.contains("is left unmanaged: its series ends (numbered)"),
        "{text}"
    );
    assert_eq!(imported.summary.reviews, 2);
    // What import left out, plan reports and leaves alone.
    let unmanaged = plan
        .notes
        .iter()
        .filter(|n| n.kind == pimctl::plan::NoteKind::UnmanagedReview)
        .count();
    assert_eq!(unmanaged, 3, "{:#?}", plan.notes);
}

/// `import --azure`: Contoso's Azure scopes adopted into azure.yaml, then planned against the same tenant: zero
/// changes (the portal-made permanent Owner and the redeployed resource group's default policy are imported as they
/// are). Roles nobody holds, under Microsoft's untouched policy, are counted, not written.
#[tokio::test]
async fn contoso_azure_scopes_import_and_plan_with_no_changes() {
    use pimctl::graph::arm::ArmScope;
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let scopes = [
        "/providers/Microsoft.Management/managementGroups/contoso",
        "/subscriptions/c0150000-0000-4000-8000-000000000001",
        "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg",
        "/subscriptions/c0150000-0000-4000-8000-000000000002",
    ];
    let options = Options {
        azure: scopes.iter().map(|s| ArmScope::parse(s).unwrap()).collect(),
        ..Options::default()
    };
    let (imported, plan) = round_trip(&em, &options).await;
    assert!(plan.changes.is_empty());
    let azure = file(&imported, "azure.yaml");
    // Owner at the management group and at Contoso Prod, User Access Administrator at Contoso Prod (their policies
    // are Contoso's tier 0), Contributor at Contoso Dev (its tier 1 policy and two eligibilities); app-rg, redeployed,
    // holds nothing and has Microsoft's policies: nothing of it is written.
    assert_eq!(imported.summary.azure_roles, 4, "{azure}");
    assert!(imported.summary.azure_untouched > 0);
    assert!(
        azure.starts_with("#") && azure.contains("azure_roles:"),
        "{azure}"
    );
    assert!(!azure.contains("app-rg"), "{azure}");
    // The portal-made permanent Owner is adopted as it is: `active` lists him (lint then reports PIM110).
    assert!(azure.contains("yusuf.portal@contoso.com"), "{azure}");
    // The eligibility of Contoso Dev's Contributor, by UPN and end date.
    assert!(azure.contains("grace.apps@contoso.com"), "{azure}");
    // The tier 0 policy shared by Owner (at the management group and Contoso Prod) and User Access Administrator is
    // one template named after its first role, not its scope.
    let templates = file(&imported, "templates.yaml");
    assert!(templates.contains("\n  like-owner:\n"), "{templates}");
    assert!(!templates.contains("like-owner-"), "{templates}");
    // The Azure side as written (the directory roles' files are import_contoso's snapshots).
    for f in imported
        .files
        .iter()
        .filter(|f| ["azure.yaml", "templates.yaml"].contains(&f.name.as_str()))
    {
        insta::assert_snapshot!(
            format!("import_contoso_azure__{}", f.name.replace('.', "_")),
            stable(&f.text)
        );
    }
}

/// Azure templates are named by their first role (`like-contributor`); two policies first used by the same role take
/// its scope's last segment on the second (`like-contributor-app-rg`), and the names are the same on every import.
#[tokio::test]
async fn azure_templates_are_named_by_role_with_the_scope_only_on_a_collision() {
    use pimctl::graph::arm::ArmScope;
    const PROD: &str = "/subscriptions/c0150000-0000-4000-8000-000000000001";
    let mut policies = String::from("  policies:\n");
    // Owner and Contributor share one policy per scope: 1h at Prod, 2h at app-rg, 4h at data-rg.
    for (scope, max) in [
        (PROD.to_string(), "PT1H"),
        (format!("{PROD}/resourceGroups/app-rg"), "PT2H"),
        (format!("{PROD}/resourceGroups/data-rg"), "PT4H"),
    ] {
        for role in ["Owner", "Contributor"] {
            policies.push_str(&format!(
                "    - scope: {scope}\n      role: {role}\n      rules:\n        Expiration_EndUser_Assignment: {{isExpirationRequired: true, maximumDuration: {max}}}\n"
            ));
        }
    }
    let em = emulator_from_yaml(&fresh_with(&policies), &Setup::default()).await;
    let options = Options {
        azure: [
            PROD.to_string(),
            format!("{PROD}/resourceGroups/app-rg"),
            format!("{PROD}/resourceGroups/data-rg"),
        ]
        .iter()
        .map(|s| ArmScope::parse(s).unwrap())
        .collect(),
        ..Options::default()
    };
    let (imported, _) = round_trip(&em, &options).await;
    let templates = file(&imported, "templates.yaml").to_string();
    let names: Vec<&str> = templates
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .filter(|n| n.starts_with("like-contributor"))
        .collect();
    // Contributor comes first (roles in name order), so it names the three.
    assert_eq!(
        names,
        [
            "like-contributor",
            "like-contributor-app-rg",
            "like-contributor-data-rg"
        ],
        "{templates}"
    );
    let azure = file(&imported, "azure.yaml");
    for name in &names {
        assert_eq!(
            azure.matches(&format!("template: {name}\n")).count(),
            2,
            "{azure}"
        );
    }
    // The same tenant imports to the same bytes.
    let (again, _) = round_trip(&em, &options).await;
    assert_eq!(all_text(&again), all_text(&imported));
}

/// `import --azure` writes an assignment's ABAC condition (and its version) as the tenant holds it, so the plan of
/// the imported files keeps it: zero changes, and no "condition kept" warning.
#[tokio::test]
async fn azure_conditions_import_and_plan_with_no_changes() {
    use pimctl::graph::arm::ArmScope;
    let condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) \
                     OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))";
    let seed = std::fs::read_to_string(CONTOSO_TENANT).unwrap().replacen(
        "- {scope: Contoso Dev, role: Contributor, user: grace.apps@contoso.com, until: 2027-09-30T23:59:59Z}",
        &format!(
            "- {{scope: Contoso Dev, role: Contributor, user: grace.apps@contoso.com, until: 2027-09-30T23:59:59Z, \
             condition: \"{condition}\", condition_version: '2.0'}}"
        ),
        1,
    );
    assert!(seed.contains("condition_version"), "the seed line moved");
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let options = Options {
        azure: vec![
            ArmScope::parse("/subscriptions/c0150000-0000-4000-8000-000000000002").unwrap(),
        ],
        ..Options::default()
    };
    let (imported, plan) = round_trip(&em, &options).await;
    let azure = file(&imported, "azure.yaml");
    assert!(azure.contains("condition_version: \"2.0\""), "{azure}");
    assert!(azure.contains("StringEquals 'logs'"), "{azure}");
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    assert!(
        !plan
            .notes
            .iter()
            .any(|n| n.kind == pimctl::plan::NoteKind::KeptCondition),
        "{:#?}",
        plan.notes
    );
}

/// An Azure policy that lets active assignments be permanent keeps a maximum duration ARM stores but never applies
/// (Microsoft's example policy reads `isExpirationRequired: false, maximumDuration: P90D`). The language refuses a
/// maximum beside `allow_permanent: true` (ARM refuses it in a write, EasyPIM#272), so import leaves it unmanaged,
/// says so, and the files still load and plan to nothing. Found by import_proptest's Azure estates.
#[tokio::test]
async fn an_azure_maximum_with_no_effect_is_left_unmanaged() {
    use pimctl::graph::arm::ArmScope;
    let sub = "/subscriptions/c0150000-0000-4000-8000-000000000001";
    let seed = fresh_with(&format!(
        "  policies:\n    - scope: {sub}\n      role: Reader\n      rules:\n        Expiration_Admin_Assignment: {{isExpirationRequired: false}}\n"
    ));
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let stored = em.with_state(|s| {
        let scope = ArmScope::parse(sub).unwrap();
        let reader = pimctl::azure_catalog::lookup("Reader")
            .unwrap()
            .role_definition_id
            .clone();
        s.arm
            .rules(&scope, &reader)
            .into_iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .find(|r| r["id"] == "Expiration_Admin_Assignment")
    });
    assert_eq!(
        stored
            .as_ref()
            .map(|r| (&r["isExpirationRequired"], &r["maximumDuration"])),
        Some((&serde_json::json!(false), &serde_json::json!("P180D"))),
        "the tenant keeps a maximum: {stored:?}"
    );
    let options = Options {
        azure: vec![ArmScope::parse(sub).unwrap()],
        ..Options::default()
    };
    // round_trip asserts: the files load with no diagnostic, and plan to nothing.
    let (imported, _) = round_trip(&em, &options).await;
    let azure = file(&imported, "azure.yaml");
    assert!(azure.contains("    Reader:"), "{azure}");
    assert!(
        azure.contains("active_assignment.max_duration is 180d in the tenant"),
        "{azure}"
    );
}
