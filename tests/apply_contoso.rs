//! `apply` of the Contoso plan against the emulator: it converges, a second apply sends no write, and a plan made
//! before the tenant changed is refused.

mod planning;
use pimctl::apply::{self, Outcome};
use pimctl::graph::ScheduleRequestAction;
use pimctl::observe::read_tenant;
use pimctl::plan::{self, Meaning, Operation, PlanOptions};
use planning::*;

fn writes(stats: &pimctl::emulator::Stats) -> u64 {
    stats
        .routes
        .iter()
        .filter(|(k, _)| k.starts_with("POST") || k.starts_with("PATCH") || k.starts_with("PUT"))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn apply_then_plan_shows_no_changes_and_a_second_apply_writes_nothing() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let desired = desired(CONTOSO, &em);
    let client = client(&em);
    let live = read_live(&em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    // Three changes of directory roles, two of Tier0-Operators (approval of member activations switched back on in
    // the member policy, not the owner one, and the owner made in the portal removed), two access reviews
    // (Exchange Administrator's put back to its declared default decision, Security Administrator's created again),
    // and Azure's two drifts: the redeployed app-rg's Contributor policy and eligibilities restored, and the Owner
    // made in the portal removed.
    let rg =
        "Contributor @ /subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg";
    assert_eq!(
        lines(&p),
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
            "remove Owner @ /subscriptions/c0150000-0000-4000-8000-000000000001 yusuf.portal@contoso.com"
                .into(),
            "remove Tier0-Operators yusuf.portal@contoso.com".into(),
        ]
    );
    assert_eq!(p.changes[6].key.target().role.0, "member");
    assert_eq!(p.changes[14].key.target().role.0, "owner");
    assert!(apply::stale_objects(&p, &live).is_empty());

    let mut seen = vec![];
    let report = apply::apply(&client, &p, &apply_options(&em), &mut |r| {
        seen.push(r.outcome)
    })
    .await;
    assert_eq!(seen, [Outcome::Applied; 15], "{report:#?}");
    assert!(!report.failed());
    // Every write is in the record, with the plan's id in the justification it sent.
    let sent: Vec<_> = report.changes.iter().flat_map(|c| &c.sent).collect();
    assert_eq!(sent.len(), 15);
    assert!(sent.iter().all(|s| s.status == "ok"));
    // Azure's writes: a PATCH of the redeployed policy per rule, a PUT of a schedule request per assignment.
    let azure: Vec<_> = sent
        .iter()
        .filter(|s| s.path.contains("Microsoft.Authorization"))
        .map(|s| s.method)
        .collect();
    assert_eq!(
        azure,
        [
            "PATCH", "PATCH", "PATCH", "PATCH", "PATCH", "PUT", "PUT", "PUT"
        ]
    );
    let sent: Vec<_> = sent
        .into_iter()
        .filter(|s| !s.path.contains("Microsoft.Authorization"))
        .collect();
    let review = |i: usize| (sent[i].method, sent[i].path.as_str());
    assert_eq!(review(3).0, "PUT");
    assert!(
        review(3)
            .1
            .starts_with("/identityGovernance/accessReviews/definitions/")
    );
    assert_eq!(
        review(4),
        ("POST", "/identityGovernance/accessReviews/definitions")
    );
    assert!(
        sent[2].body["justification"]
            .as_str()
            .unwrap()
            .starts_with(&format!("pimctl apply {}:", p.id))
    );

    let live = read_live(&em, &desired).await;
    let again = plan::build(&desired, &live, &PlanOptions::default());
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
    // The activation in progress is still there, untouched.
    let activations = again
        .notes
        .iter()
        .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
        .count();
    assert_eq!(activations, 1, "{:?}", again.notes);

    em.reset_stats();
    let report = apply::apply(&client, &again, &apply_options(&em), &mut |_| {}).await;
    assert!(report.changes.is_empty());
    assert_eq!(writes(&em.stats()), 0);
}

#[tokio::test]
async fn a_plan_made_before_the_tenant_changed_is_stale() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let desired = desired(CONTOSO, &em);
    let client = client(&em);
    let live = read_live(&em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());

    let at = |line: &str| lines(&p).iter().position(|l| l == line).unwrap();
    let ga = at("remove Global Administrator yusuf.portal@contoso.com");
    let tier0_members = at("update_rule Tier0-Operators Approval_EndUser_Assignment");
    // Someone removes yusuf's Global Administrator assignment by hand after the plan was made.
    let yusuf = p.changes[ga].principal.as_ref().unwrap().id.clone();
    let body = serde_json::json!({
        "action": "adminRemove", "principalId": yusuf,
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/",
        "justification": "done by hand"
    });
    let _: serde_json::Value = client
        .post_json(
            "/roleManagement/directory/roleAssignmentScheduleRequests",
            &body,
        )
        .await
        .unwrap();
    // And switches approval of Tier0-Operators' member activations back on in the portal.
    let group = p.changes[tier0_members].key.target().scope.clone();
    let assignments: Vec<serde_json::Value> = client
        .list_all(&format!(
            "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '{group}' and scopeType eq 'Group' and roleDefinitionId eq 'member'"
        ))
        .await
        .unwrap();
    let policy = assignments[0]["policyId"].as_str().unwrap();
    let mut rule = p.changes[tier0_members].operations[0].body.clone();
    rule["setting"]["isApprovalRequired"] = true.into();
    let _: Option<serde_json::Value> = client
        .patch_json(
            &format!("/policies/roleManagementPolicies/{policy}/rules/Approval_EndUser_Assignment"),
            &rule,
        )
        .await
        .unwrap();

    let live = read_live(&em, &desired).await;
    let stale = apply::stale_objects(&p, &live);
    assert_eq!(stale.len(), 2, "{stale:#?}");
    let mut what: Vec<(String, &str)> = stale
        .iter()
        .map(|s| match &s.object {
            pimctl::plan::fingerprint::ObjectId::Assignment { target, kind, .. } => {
                (format!("{kind:?} {}", target.role.0), s.what())
            }
            pimctl::plan::fingerprint::ObjectId::Rule { target, rule } => (
                format!("{:?} {} {rule}", target.surface, target.role.0),
                s.what(),
            ),
            other => (format!("{other:?}"), s.what()),
        })
        .collect();
    what.sort();
    assert_eq!(
        what,
        [
            (
                "Active 62e90394-69f5-4237-9190-012177145e10".to_string(),
                "is gone"
            ),
            (
                "Group member Approval_EndUser_Assignment".to_string(),
                "was modified"
            ),
        ]
    );
}

#[tokio::test]
async fn a_plan_file_that_removes_a_break_glass_account_is_refused() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let desired = desired(CONTOSO, &em);
    let live = read_live(&em, &desired).await;
    let mut p = plan::build(&desired, &live, &PlanOptions::default());
    // Hand-edit the plan: point yusuf's removals (from Global Administrator, and from Tier0-Operators' owners) at a
    // break-glass account.
    let bg = live
        .principals
        .values()
        .find(|x| x.label() == "bg-01@contoso.onmicrosoft.com")
        .unwrap()
        .id
        .clone();
    let removals: Vec<usize> = lines(&p)
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.ends_with("yusuf.portal@contoso.com")
                && (l.contains("Global Administrator") || l.contains("Tier0-Operators"))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(removals.len(), 2);
    for i in removals {
        let op = &mut p.changes[i].operations[0];
        if let pimctl::plan::Meaning::Assignment { principal, .. } = &mut op.meaning {
            *principal = bg.to_lowercase();
        }
        op.body["principalId"] = bg.clone().into();
    }
    let protected = p.protected.iter().cloned().collect();
    let refused = apply::refused_removals(&p, &protected);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[1].starts_with("remove Tier0-Operators"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn repeated_applies_converge_through_faults_without_duplicates_or_touching_break_glass() {
    for seed_fail_rate in [0.1, 0.3] {
        let em = emulator_from_file(
            FRESH,
            &Setup {
                page_size: Some(10),
                faults: pimctl::emulator::faults::FaultConfig {
                    latency_ms: 0,
                    throttle_rps: Some(200.0),
                    fail_rate: seed_fail_rate,
                    ..Default::default()
                },
            },
        )
        .await;
        let desired = desired(CONTOSO, &em);
        let client = client(&em);
        let now = em.with_state(|s| s.now());
        let mut rounds = 0;
        let mut writes_recorded = 0;
        let mut records = vec![];
        loop {
            rounds += 1;
            assert!(
                rounds <= 12,
                "no convergence after 12 rounds at {seed_fail_rate}"
            );
            // A read can fail for good too; the next round reads again.
            let Ok(live) = try_read_live(&em, &desired).await else {
                continue;
            };
            let p = plan::build(&desired, &live, &PlanOptions::default());
            assert!(p.errors.is_empty(), "{:?}", p.errors);
            if p.changes.is_empty() {
                break;
            }
            let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
            writes_recorded += report.changes.iter().map(|c| c.sent.len()).sum::<usize>();
            records.extend(report.changes.into_iter().flat_map(|c| c.sent));
        }
        // The audit record accounts for every write the tenant carried out, including those whose answer was lost.
        // A request is known by action, principal, role (a group's `accessId`) and scope (a group's `groupId`).
        let key = |v: &serde_json::Value| {
            let field = |a: &str, b: &str| {
                v[a].as_str()
                    .or_else(|| v[b].as_str())
                    .unwrap_or_default()
                    .to_lowercase()
            };
            (
                v["action"].as_str().unwrap_or_default().to_lowercase(),
                field("principalId", "principalId"),
                field("roleDefinitionId", "accessId"),
                field("directoryScopeId", "groupId"),
            )
        };
        let recorded: std::collections::BTreeSet<_> =
            records.iter().map(|s| key(&s.body)).collect();
        let carried_out = em.with_state(|s| {
            s.requests
                .iter()
                .map(|r| serde_json::to_value(&r.request).unwrap())
                .filter(|r| {
                    r["justification"]
                        .as_str()
                        .is_some_and(|j| j.starts_with("pimctl apply"))
                })
                .collect::<Vec<_>>()
        });
        assert!(!carried_out.is_empty());
        for r in &carried_out {
            assert!(
                recorded.contains(&key(r)),
                "a write missing from the record: {r}"
            );
        }
        // Some answers were lost after the write was carried out, and the next step re-read instead of resending
        // blindly: no duplicate (below) and no failure left.
        let lost = records.iter().filter(|s| s.status == "failed").count();
        assert!(lost > 0, "the fault mix at {seed_fail_rate} lost no answer");
        // Nothing duplicated: one schedule per principal, target and kind (a group's member or owner is a target).
        let mut seen = std::collections::BTreeSet::new();
        em.with_state(|s| {
            for sch in s.schedules.iter().filter(|x| x.live(now)) {
                assert!(
                    seen.insert((
                        sch.principal_id.clone(),
                        sch.role_definition_id.clone(),
                        sch.directory_scope_id.to_lowercase(),
                        format!("{:?}/{:?}", sch.level, sch.assignment_type)
                    )),
                    "duplicate schedule {sch:?}"
                );
            }
        });
        // Azure too: one schedule per principal, role, scope and kind, and every ARM request the emulator carried
        // out is in the record (a resent PUT carries the plan's name, so ARM answers it as the same request).
        let mut seen = std::collections::BTreeSet::new();
        let arm_requests = em.with_state(|s| {
            for sch in &s.arm.schedules {
                assert!(
                    seen.insert((
                        sch.principal_id.to_lowercase(),
                        sch.role.to_lowercase(),
                        sch.scope.to_lowercase(),
                        format!("{:?}", sch.level)
                    )),
                    "duplicate Azure schedule {sch:?}"
                );
            }
            s.arm
                .requests
                .iter()
                .map(|r| r.name.to_lowercase())
                .collect::<Vec<_>>()
        });
        // Contoso's Azure eligibilities: alice and carol at Contoso Prod, grace and trent at app-rg and at Contoso Dev.
        assert_eq!(seen.len(), 6, "{seen:?}");
        assert_eq!(arm_requests.len(), 6, "{arm_requests:?}");
        for name in &arm_requests {
            assert!(
                records
                    .iter()
                    .any(|r| r.path.to_lowercase().ends_with(&format!("/{name}"))),
                "an ARM request missing from the record: {name}"
            );
        }
        // The groups were written too: their members and owners as declared, each in its own policy. Counted as
        // distinct writes (action, principal, access, group) whatever their answer: which answers the faults lose
        // depends on the order of the plan's changes, and a write whose answer was lost is not sent again; the loop
        // ended on an empty plan, so every one of them took effect.
        let groups_written: std::collections::BTreeSet<_> = records
            .iter()
            .filter(|s| s.body.get("groupId").is_some())
            .map(|s| key(&s.body))
            .collect();
        let groups_written = groups_written.len();
        assert!(groups_written >= 5, "{groups_written} group requests");
        // The break-glass accounts hold their permanent Global Administrator.
        let live = read_live(&em, &desired).await;
        let ga = pimctl::catalog::well_known::GLOBAL_ADMINISTRATOR;
        for bg in [
            "bg-01@contoso.onmicrosoft.com",
            "bg-02@contoso.onmicrosoft.com",
        ] {
            assert!(live.assignments.iter().any(|a| a.target.role.0 == ga
                && a.end.is_none()
                && live.label(&a.principal_id) == bg));
        }
        assert!(
            writes_recorded >= 80,
            "every write attempt is in the records: {writes_recorded}"
        );
    }
}

#[tokio::test]
async fn a_policy_that_allows_permanent_eligibility_is_applied_before_the_permanent_eligibility() {
    let seed = fresh_with(
        "policies:\n  Billing Administrator:\n    Expiration_Admin_Eligibility: {isExpirationRequired: true, maximumDuration: P180D}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Billing Administrator:\n    eligible_assignment: {allow_permanent: true}\n    eligible:\n      - user: heidi.billing@contoso.com\n",
        &em,
    );
    let client = client(&em);
    let live = read_live(&em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    assert_eq!(
        lines(&p),
        [
            "update_rule Billing Administrator Expiration_Admin_Eligibility",
            "create Billing Administrator heidi.billing@contoso.com",
        ]
    );
    // In the other order the tenant refuses the assignment, and the role's later change is skipped.
    let mut reversed = p.clone();
    reversed.changes.reverse();
    let report = apply::apply(&client, &reversed, &apply_options(&em), &mut |_| {}).await;
    let outcomes: Vec<Outcome> = report.changes.iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, [Outcome::Failed, Outcome::Skipped], "{report:#?}");

    // In the plan's order it goes through.
    let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let live = read_live(&em, &desired).await;
    assert!(
        plan::build(&desired, &live, &PlanOptions::default())
            .changes
            .is_empty()
    );
}

#[tokio::test]
async fn an_assignment_about_to_expire_is_extended_and_one_far_from_its_end_is_updated() {
    // The tenant's clock is 2026-11-21: heidi's eligibility ends in a week, walter's in seven months.
    let seed = fresh_with(
        "eligible:\n  - {role: Billing Administrator, user: heidi.billing@contoso.com, until: 2026-11-28T23:59:59Z}\n  - {role: Billing Administrator, user: walter.finance@contoso.com, until: 2027-06-30T23:59:59Z}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Billing Administrator:\n    eligible:\n      - {user: heidi.billing@contoso.com, until: 2027-05-31}\n      - {user: walter.finance@contoso.com, until: 2027-09-30}\n",
        &em,
    );
    let client = client(&em);
    let p = plan_against(&em, &desired).await;
    let mut actions: Vec<(String, ScheduleRequestAction)> = p
        .changes
        .iter()
        .map(|c| match &c.operations[..] {
            [
                Operation {
                    meaning: Meaning::Assignment { action, .. },
                    ..
                },
            ] => (c.principal.as_ref().unwrap().label.clone(), *action),
            other => panic!("one schedule request expected: {other:?}"),
        })
        .collect();
    actions.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        actions,
        [
            (
                "heidi.billing@contoso.com".into(),
                ScheduleRequestAction::AdminExtend
            ),
            (
                "walter.finance@contoso.com".into(),
                ScheduleRequestAction::AdminUpdate
            ),
        ],
        "{p:#?}"
    );

    let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let again = plan_against(&em, &desired).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
}

/// An active → eligible conversion of heidi's Billing Administrator assignment.
async fn conversion() -> (
    pimctl::emulator::RunningEmulator,
    pimctl::model::DesiredState,
    tempfile::TempDir,
) {
    let seed =
        fresh_with("active:\n  - {role: Billing Administrator, user: heidi.billing@contoso.com}\n");
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Billing Administrator:\n    eligible:\n      - {user: heidi.billing@contoso.com, until: 2027-05-31}\n    active: []\n",
        &em,
    );
    (em, desired, dir)
}

/// The kinds heidi holds Billing Administrator with, as the tenant lists them.
async fn held(
    client: &pimctl::graph::client::GraphClient,
    desired: &pimctl::model::DesiredState,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let live = read_tenant(client, &[desired], now).await.unwrap();
    let mut kinds: Vec<String> = live
        .assignments
        .iter()
        .filter(|a| live.label(&a.principal_id) == "heidi.billing@contoso.com")
        .map(|a| format!("{:?}", a.kind))
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn a_conversion_whose_removal_fails_leaves_the_new_assignment_in_place() {
    let (em, desired, _dir) = conversion().await;
    let client = client(&em);
    let now = em.with_state(|s| s.now());
    let mut p = plan_against(&em, &desired).await;
    assert_eq!(
        lines(&p),
        ["convert Billing Administrator heidi.billing@contoso.com"]
    );
    // The removal fails for good (here: it names a role the tenant does not have).
    match &mut p.changes[0].operations[1] {
        op @ Operation {
            meaning: Meaning::Assignment { .. },
            ..
        } => {
            assert_eq!(op.body["action"], "adminRemove");
            op.body["roleDefinitionId"] = "00000000-0000-0000-0000-000000000000".into();
        }
        other => panic!("the removal comes second: {other:?}"),
    }
    let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
    assert_eq!(report.changes[0].outcome, Outcome::Failed, "{report:#?}");
    assert!(report.failed());
    // heidi holds both for now, never neither; the next plan shows exactly the removal that is left.
    assert_eq!(held(&client, &desired, now).await, ["Active", "Eligible"]);
    let left = plan_against(&em, &desired).await;
    assert_eq!(
        lines(&left),
        ["remove Billing Administrator heidi.billing@contoso.com"]
    );
}

#[tokio::test]
async fn a_conversion_whose_creation_fails_sends_no_removal() {
    let (em, desired, _dir) = conversion().await;
    let client = client(&em);
    let now = em.with_state(|s| s.now());
    let mut p = plan_against(&em, &desired).await;
    match &mut p.changes[0].operations[0] {
        op @ Operation {
            meaning: Meaning::Assignment { .. },
            ..
        } => {
            assert_eq!(op.body["action"], "adminAssign");
            op.body["roleDefinitionId"] = "00000000-0000-0000-0000-000000000000".into();
        }
        other => panic!("the creation comes first: {other:?}"),
    }
    em.reset_stats();
    let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
    assert_eq!(report.changes[0].outcome, Outcome::Failed, "{report:#?}");
    assert_eq!(
        report.changes[0].sent.len(),
        1,
        "no removal after a failed creation"
    );
    assert_eq!(writes(&em.stats()), 1);
    assert_eq!(held(&client, &desired, now).await, ["Active"]);
}

#[tokio::test]
async fn an_assignment_the_tenant_says_exists_counts_as_done_only_when_it_is_as_declared() {
    // carol is eligible and has activated Global Administrator; the declaration makes her active until April.
    let seed = fresh_with(
        "eligible:\n  - {role: Global Administrator, user: carol.iam@contoso.com, until: 2027-09-30T23:59:59Z}\nactivations:\n  - {role: Global Administrator, user: carol.iam@contoso.com, start: 2026-11-21T08:30:00Z, duration: PT2H}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    active:\n      - {user: carol.iam@contoso.com, until: 2027-04-30}\n",
        &em,
    );
    let client = client(&em);
    let p = plan_against(&em, &desired).await;
    assert_eq!(
        lines(&p),
        ["create Global Administrator carol.iam@contoso.com"]
    );
    // Graph refuses the active assignment beside the activation (RoleAssignmentExists). The activation is not what
    // was declared, so the change fails instead of counting as already done, and the next plan still shows it.
    let report = apply::apply(&client, &p, &apply_options(&em), &mut |_| {}).await;
    assert_eq!(report.changes[0].outcome, Outcome::Failed, "{report:#?}");
    assert!(
        report.changes[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("RoleAssignmentExists")),
        "{report:#?}"
    );
    let again = plan_against(&em, &desired).await;
    assert_eq!(lines(&again), lines(&p));
}
