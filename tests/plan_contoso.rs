//! `pimctl plan` of the Contoso example against the emulator seeded with its tenant: every drift that
//! `examples/contoso/tenant.yaml` describes appears, classified right, and nothing else does.

mod planning;
use pimctl::model::AssignmentKind;
use pimctl::plan::{Action, ChangeKey, Effect, NoteKind, PlanErrorCode};
use planning::*;

#[tokio::test]
async fn every_drift_of_the_contoso_tenant_is_planned_and_classified() {
    let p = contoso_plan(&Setup::default()).await;
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let rg =
        "Contributor @ /subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg";
    let prod_owner = "Owner @ /subscriptions/c0150000-0000-4000-8000-000000000001";
    let all = lines(&p);
    assert_eq!(
        all,
        [
            format!("update_rule {rg} Expiration_EndUser_Assignment"),
            format!("update_rule {rg} Enablement_EndUser_Assignment"),
            format!("update_rule {rg} Expiration_Admin_Assignment"),
            format!("update_rule {rg} Enablement_Admin_Assignment"),
            format!("update_rule {rg} Notification_Admin_EndUser_Assignment"),
            "update_rule Privileged Role Administrator Approval_EndUser_Assignment".into(),
            "update_rule Tier0-Operators Approval_EndUser_Assignment".into(),
            format!("create {rg} grace.apps@contoso.com"),
            format!("create {rg} trent.apps@contoso.com"),
            "create Exchange Administrator mallory.contractor@contoso.com".into(),
            "update Exchange Administrator ".into(),
            "create Security Administrator ".into(),
            "remove Global Administrator yusuf.portal@contoso.com".into(),
            format!("remove {prod_owner} yusuf.portal@contoso.com"),
            "remove Tier0-Operators yusuf.portal@contoso.com".into(),
        ]
    );
    let at = |line: &str| &p.changes[all.iter().position(|l| l == line).unwrap()];

    // Azure drift A: a permanent Owner of Contoso Prod made in the portal. Removing it strengthens; the drift
    // weakened posture.
    let owner = at(&format!("remove {prod_owner} yusuf.portal@contoso.com"));
    assert_eq!(
        owner.key.target().surface,
        pimctl::model::Surface::AzureRole
    );
    assert_eq!(owner.before["end"], serde_json::Value::Null, "permanent");
    assert_eq!(owner.posture.effect, Effect::Strengthens);
    assert_eq!(owner.drift_posture.effect, Effect::Weakens);
    // Azure drift B: app-rg was redeployed; its Contributor policy is Microsoft's default again and its
    // eligibilities are gone. The declared policy and both eligibilities are restored, each from azure.yaml.
    let restored: Vec<_> = p.changes.iter().filter(|c| c.role_name == rg).collect();
    assert_eq!(restored.len(), 7);
    assert!(
        restored
            .iter()
            .all(|c| c.posture.effect == Effect::Strengthens || c.action == Action::Create)
    );
    assert!(restored.iter().all(|c| {
        c.origin
            .as_ref()
            .unwrap()
            .file
            .ends_with("examples/contoso/azure.yaml")
    }));
    let grace = at(&format!("create {rg} grace.apps@contoso.com"));
    assert_eq!(grace.after["end"], "2027-09-30T23:59:59Z");

    // Drift 7: Security Administrator's review    // Drift 7: Security Administrator's review was deleted in the portal: it is created again, as declared.
    let created = at("create Security Administrator ");
    assert!(matches!(created.key, ChangeKey::Review { .. }));
    assert_eq!(created.action, Action::Create);
    assert_eq!(created.posture.effect, Effect::Strengthens);
    assert_eq!(created.drift_posture.effect, Effect::Weakens);
    // Drift 8: Exchange Administrator's review approved the members nobody reviewed: that weakened posture, and the
    // update puts the whole definition back (Graph's PUT), with only that field changed.
    let approve = at("update Exchange Administrator ");
    assert!(matches!(approve.key, ChangeKey::Review { .. }));
    assert_eq!(approve.fields.len(), 1, "{approve:#?}");
    assert_eq!(approve.fields[0].field, "access_review.default_decision");
    assert_eq!(approve.fields[0].before, serde_json::json!("approve"));
    assert_eq!(approve.posture.effect, Effect::Strengthens);
    assert_eq!(approve.drift_posture.effect, Effect::Weakens);
    assert_eq!(approve.operations.len(), 1);
    assert_eq!(approve.operations[0].method, pimctl::plan::Method::Put);

    // Drift 2: approval switched off on PRA. Turning it back on strengthens; the drift itself weakened.
    let approval = at("update_rule Privileged Role Administrator Approval_EndUser_Assignment");
    assert_eq!(approval.fields.len(), 1);
    assert_eq!(approval.fields[0].field, "activation.approval.required");
    assert_eq!(approval.fields[0].before, serde_json::json!(false));
    assert_eq!(approval.fields[0].after, serde_json::json!(true));
    assert_eq!(approval.posture.effect, Effect::Strengthens);
    assert_eq!(approval.drift_posture.effect, Effect::Weakens);
    assert!(
        approval
            .drift_posture
            .baselines
            .iter()
            .any(|b| b == "CIS 5.3.5")
    );
    assert_eq!(
        approval.origin.as_ref().unwrap().file,
        std::path::Path::new("examples/contoso/tier0.yaml")
    );

    // Drift 3: the contractor's eligibility expired; the declaration runs to 2027-02-28.
    let mallory = at("create Exchange Administrator mallory.contractor@contoso.com");
    assert_eq!(mallory.reason, "declared but missing");
    assert!(matches!(
        mallory.key,
        ChangeKey::Assignment {
            kind: AssignmentKind::Eligible,
            ..
        }
    ));
    assert_eq!(mallory.after["end"], "2027-02-28T23:59:59Z");
    assert_eq!(
        mallory.posture.effect,
        Effect::Weakens,
        "a new principal in a tier-0 role"
    );

    // Drift 1: a permanent Global Administrator made in the portal.
    let yusuf = at("remove Global Administrator yusuf.portal@contoso.com");
    assert_eq!(yusuf.reason, "not declared in a managed role");
    assert_eq!(yusuf.before["end"], serde_json::Value::Null, "permanent");
    assert_eq!(yusuf.posture.effect, Effect::Strengthens);
    assert_eq!(yusuf.drift_posture.effect, Effect::Weakens);
    assert!(
        yusuf
            .drift_posture
            .baselines
            .iter()
            .any(|b| b == "MS.AAD.7.4v1")
    );

    // Drift 5: approval of Tier0-Operators' member activations switched off, in the member policy (the owner
    // policy requires it and is left alone). The group holds Privileged Role Administrator: judged as tier 0.
    let member = at("update_rule Tier0-Operators Approval_EndUser_Assignment");
    assert_eq!(member.key.target().surface, pimctl::model::Surface::Group);
    assert_eq!(member.key.target().role.0, "member");
    assert_eq!(member.fields.len(), 1);
    assert_eq!(member.fields[0].field, "activation.approval.required");
    assert_eq!(
        (&member.fields[0].before, &member.fields[0].after),
        (&serde_json::json!(false), &serde_json::json!(true))
    );
    assert_eq!(member.drift_posture.effect, Effect::Weakens);
    assert!(
        member
            .origin
            .as_ref()
            .unwrap()
            .file
            .ends_with("examples/contoso/groups.yaml")
    );
    // Drift 6: a permanent owner of Tier0-Operators made in the portal.
    let owner = at("remove Tier0-Operators yusuf.portal@contoso.com");
    assert_eq!(owner.key.target().role.0, "owner");
    assert_eq!(
        owner.principal.as_ref().unwrap().label,
        "yusuf.portal@contoso.com"
    );
    assert_eq!(owner.before["end"], serde_json::Value::Null, "permanent");
    assert_eq!(owner.drift_posture.effect, Effect::Weakens);

    assert_eq!(p.summary.rule_updates, 2 + 5);
    assert_eq!(
        (p.summary.creates, p.summary.updates, p.summary.removes),
        (2 + 2, 1, 2 + 1)
    );
    assert!(p.has_weakening_drift());
}

#[tokio::test]
async fn an_activation_in_progress_is_information_not_drift() {
    let p = contoso_plan(&Setup::default()).await;
    // Drift 4: bob.secops activated Security Administrator at 08:15 for two hours.
    assert!(
        p.changes.iter().all(|c| c
            .principal
            .as_ref()
            .is_none_or(|x| x.label != "bob.secops@contoso.com")),
        "{:#?}",
        lines(&p)
    );
    let notes: Vec<_> = p
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Activation)
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].principal.as_deref(),
        Some("bob.secops@contoso.com")
    );
    assert_eq!(notes[0].role_name, "Security Administrator");
    assert!(
        notes[0].message.starts_with("activated until 10:15 UTC"),
        "{}",
        notes[0].message
    );
}

#[tokio::test]
async fn the_break_glass_accounts_are_never_touched() {
    let p = contoso_plan(&Setup::default()).await;
    for c in &p.changes {
        let label = c.principal.as_ref().map(|x| x.label.as_str()).unwrap_or("");
        assert!(!label.starts_with("bg-0"), "{}", label);
    }
}

#[tokio::test]
async fn a_page_size_of_one_gives_the_same_plan() {
    let normal = contoso_plan(&Setup::default()).await;
    let tiny = contoso_plan(&Setup {
        page_size: Some(1),
        ..Setup::default()
    })
    .await;
    assert_eq!(comparable(&normal), comparable(&tiny));
}

#[tokio::test]
async fn throttling_and_server_errors_still_give_the_same_plan() {
    let normal = contoso_plan(&Setup::default()).await;
    // Graph and ARM throttle apart, each in its own bucket: ARM's lists are read beside Graph's, and in one shared
    // bucket ARM's 16 slots would starve Graph's 4 of the retries this test gives them.
    let stormy = contoso_plan(&Setup {
        page_size: Some(20),
        faults: pimctl::emulator::faults::FaultConfig {
            latency_ms: 0,
            throttle_rps: Some(40.0),
            arm_throttle_rps: Some(40.0),
            fail_rate: 0.2,
            ..Default::default()
        },
    })
    .await;
    assert_eq!(comparable(&normal), comparable(&stormy));
}

#[tokio::test]
async fn plans_are_deterministic_and_ordered_policy_first() {
    let a = contoso_plan(&Setup::default()).await;
    let b = contoso_plan(&Setup::default()).await;
    assert_eq!(comparable(&a), comparable(&b));
    let phases: Vec<u8> = a
        .changes
        .iter()
        .map(|c| match c.action {
            Action::UpdateRule => 0,
            Action::Remove => 2,
            _ => 1,
        })
        .collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
    assert!(a.desired_digest.starts_with("sha256:"));
    assert_ne!(
        a.desired_digest, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "the digest of nothing"
    );
    assert!(
        a.fingerprints
            .keys()
            .any(|k| matches!(k, pimctl::plan::fingerprint::ObjectId::Rule { .. }))
    );
    assert!(a.fingerprints.values().any(|v| v == "absent"));
}

#[tokio::test]
async fn reports_unmanaged_settings_and_roles_and_expiring_assignments() {
    let seed = fresh_with(
        "active:\n  - {role: Intune Administrator, user: judy.reader@contoso.com, start: 2026-01-01T00:00:00Z}\n  - {role: Billing Administrator, user: heidi.billing@contoso.com, start: 2026-11-01T00:00:00Z, until: 2026-12-01T23:59:59Z}\npolicies:\n  Billing Administrator:\n    Expiration_EndUser_Assignment: {isExpirationRequired: true, maximumDuration: PT2H}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    // Billing Administrator is declared with its assignments only: every setting is unmanaged.
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Billing Administrator:\n    active:\n      - {user: heidi.billing@contoso.com, until: 2026-12-01}\n",
        &em,
    );
    let p = plan_against(&em, &desired).await;
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(p.changes.is_empty(), "{:#?}", lines(&p));
    let notes: Vec<(NoteKind, &str, &str)> = p
        .notes
        .iter()
        .map(|n| (n.kind, n.role_name.as_str(), n.message.as_str()))
        .collect();
    assert!(notes.contains(&(
        NoteKind::UnmanagedSetting,
        "Billing Administrator",
        "unmanaged: activation.max_duration is 2h in the tenant (Microsoft's default: 8h); declare it to manage it"
    )), "{notes:#?}");
    assert!(notes.contains(&(
        NoteKind::UnmanagedRole,
        "Intune Administrator",
        "unmanaged role (privileged): 0 eligible, 1 active; permanent active: judy.reader@contoso.com"
    )), "{notes:#?}");
    assert!(
        notes.contains(&(
            NoteKind::Expiring,
            "Billing Administrator",
            "active assignment ends 2026-12-01 (in 10 days)"
        )),
        "{notes:#?}"
    );
}

#[tokio::test]
async fn principal_lookups_follow_pages_smaller_than_their_in_clause() {
    // Fifteen names to an `in` clause, two items to a page: every lookup answer spans several pages.
    let em = emulator_from_file(
        FRESH,
        &Setup {
            page_size: Some(2),
            ..Setup::default()
        },
    )
    .await;
    let d = desired(CONTOSO, &em);
    let p = plan_against(&em, &d).await;
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    // 31 assignments (6 of them the groups'), the access reviews the tier templates declare (9 of roles, and 2 of
    // the groups' members), and 6 Azure eligibilities (azure.yaml).
    assert_eq!(p.summary.creates, 31 + 9 + 2 + 6);
}

/// A declared group is read and planned beside the roles (PIM for Groups), and the rest of the declaration is
/// planned as before; a group the tenant does not have is a plan error at its line.
#[tokio::test]
async fn a_declared_group_is_planned_beside_the_roles() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let with = |group: &str| {
        let dir = tempfile::tempdir().unwrap();
        for f in std::fs::read_dir(CONTOSO).unwrap() {
            let f = f.unwrap().path();
            if f.file_name().unwrap() != "tenant.yaml" {
                std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
            }
        }
        std::fs::write(
            dir.path().join("extra-group.yaml"),
            format!("version: pimctl/v1\ngroups:\n  {group}:\n    member:\n      eligible:\n        - user: alice.admin@contoso.com\n          until: 2027-06-30\n"),
        )
        .unwrap();
        dir
    };
    let without = contoso_plan(&Setup::default()).await;

    let dir = with("SecOps-Tier0");
    let with_group = plan_against(&em, &desired(dir.path(), &em)).await;
    assert!(with_group.errors.is_empty(), "{:?}", with_group.errors);
    let group_changes: Vec<_> = with_group
        .changes
        .iter()
        .filter(|c| c.key.target().surface == pimctl::model::Surface::Group)
        .filter(|c| c.role_name == "SecOps-Tier0")
        .collect();
    assert_eq!(group_changes.len(), 1, "{:#?}", lines(&with_group));
    assert_eq!(group_changes[0].action, Action::Create);
    assert_eq!(group_changes[0].role_name, "SecOps-Tier0");
    assert_eq!(group_changes[0].key.target().role.0, "member");
    assert!(
        group_changes[0]
            .origin
            .as_ref()
            .unwrap()
            .file
            .ends_with("extra-group.yaml")
    );
    let roles_only: Vec<String> = lines(&with_group)
        .into_iter()
        .filter(|l| !l.contains("SecOps-Tier0"))
        .collect();
    assert_eq!(roles_only, lines(&without));

    let dir = with("Tier9-Operators");
    let missing = plan_against(&em, &desired(dir.path(), &em)).await;
    assert!(missing.changes.is_empty());
    assert_eq!(missing.errors.len(), 1, "{:?}", missing.errors);
    assert_eq!(missing.errors[0].code, PlanErrorCode::GroupNotFound);
    assert!(
        missing.errors[0].message.contains("'Tier9-Operators'"),
        "{}",
        missing.errors[0].message
    );
    let origin = missing.errors[0].origin.as_ref().unwrap();
    assert!(origin.file.ends_with("extra-group.yaml"));
    assert_eq!(origin.line, 5, "the group's member block, where it begins");
}
