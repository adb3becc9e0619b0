//! `apply` of PIM for Groups writes, over real HTTP against the emulator: the group endpoints, the member policy and
//! not the owner one (azuread#1491), authentication context set and cleared on each, "already done" answers counted
//! as done only when a filtered read of the group confirms them, the policy ids a group's onboarding retires
//! mid-apply (digest §11.6), and convergence with no duplicate through lost answers.
//!
//! The plans here are made by hand, operation by operation, the way `plan::wire` makes them (a group's policy ids
//! and rules are read over HTTP first): they test the executor and the group adapter alone.

mod planning;
use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::graph::ScheduleRequestAction;
use pimctl::graph::client::GraphClient;
use pimctl::model::{AssignmentKind, DesiredState, GroupAccess, LiveState, RuleId, TargetKey};
use pimctl::plan::fingerprint::ObjectId;
use pimctl::plan::wire::{requests_path, rule_path};
use pimctl::plan::{
    self, Action, Change, Effect, Meaning, Method, Operation, Plan, PlanOptions, Posture,
};
use planning::*;
use serde_json::{Value, json};

const SEED: &str = "\
tenant: {id: 4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: bg-01@contoso.onmicrosoft.com}
  - {upn: alice.admin@contoso.com}
  - {upn: bob.secops@contoso.com}
  - {upn: carol.iam@contoso.com}
  - {upn: dave.helpdesk@contoso.com}
  - {upn: yusuf.portal@contoso.com}
groups:
  # Onboarded: owner activation needs authentication context c2; yusuf was made a permanent owner in the portal.
  - name: Tier0-Operators
    role_assignable: true
    pim:
      policies:
        owner:
          AuthenticationContext_EndUser_Assignment: {isEnabled: true, claimValue: c2}
      active:
        - {access: owner, user: yusuf.portal@contoso.com}
  # Not onboarded: its policies answer under ids that its first write retires.
  - {name: Helpdesk-Escalation}
";

const GROUP_PIM: &str = "/identityGovernance/privilegedAccess/group";

struct Tenant {
    t0: String,
    hd: String,
    user: std::collections::BTreeMap<&'static str, String>,
}

async fn tenant(client: &GraphClient) -> Tenant {
    let id = async |path: String| -> String {
        let v: Vec<Value> = client.list_all(&path).await.unwrap();
        v[0]["id"].as_str().unwrap().to_lowercase()
    };
    let mut user = std::collections::BTreeMap::new();
    for (short, upn) in [
        ("alice", "alice.admin@contoso.com"),
        ("bob", "bob.secops@contoso.com"),
        ("carol", "carol.iam@contoso.com"),
        ("dave", "dave.helpdesk@contoso.com"),
        ("yusuf", "yusuf.portal@contoso.com"),
    ] {
        user.insert(
            short,
            id(format!("/users?$filter=userPrincipalName eq '{upn}'")).await,
        );
    }
    Tenant {
        t0: id("/groups?$filter=displayName eq 'Tier0-Operators'".into()).await,
        hd: id("/groups?$filter=displayName eq 'Helpdesk-Escalation'".into()).await,
        user,
    }
}

/// The id of a group's member or owner policy, as the tenant names it now.
async fn policy_id(client: &GraphClient, group: &str, access: GroupAccess) -> String {
    let v: Vec<Value> = client
        .list_all(&format!(
            "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '{group}' and scopeType eq 'Group' and roleDefinitionId eq '{}'",
            access.as_str()
        ))
        .await
        .unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    v[0]["policyId"].as_str().unwrap().to_string()
}

/// A rule of a group's policy as the tenant holds it now.
async fn rule_of(client: &GraphClient, group: &str, access: GroupAccess, rule: RuleId) -> Value {
    let pid = policy_id(client, group, access).await;
    let mut v: Value = client
        .get_json(&rule_path(&pid, rule.as_str()))
        .await
        .unwrap();
    v.as_object_mut().unwrap().remove("@odata.context");
    v
}

fn neutral() -> Posture {
    Posture {
        effect: Effect::Neutral,
        why: "test".into(),
        baselines: vec![],
        lint: vec![],
    }
}

fn change(action: Action, key: ObjectId, op: Operation) -> Change {
    Change {
        action,
        key,
        role_name: "group".into(),
        principal: None,
        before: Value::Null,
        after: Value::Null,
        fields: vec![],
        reason: "test".into(),
        posture: neutral(),
        drift_posture: neutral(),
        cause: None,
        origin: None,
        operations: vec![op],
    }
}

/// A rule update of a group target: the rule as read, with `edit` applied, PATCHed to the policy the tenant names
/// now (as the planner does from the rules it read).
async fn patch(
    client: &GraphClient,
    group: &str,
    access: GroupAccess,
    id: RuleId,
    edit: impl FnOnce(&mut Value),
) -> Change {
    let target = TargetKey::group(group, access);
    let mut body = rule_of(client, group, access, id).await;
    edit(&mut body);
    let pid = policy_id(client, group, access).await;
    let op = Operation {
        meaning: Meaning::PatchRule {
            target: target.clone(),
            rule: id,
        },
        method: Method::Patch,
        path: rule_path(&pid, id.as_str()),
        body,
    };
    change(Action::UpdateRule, ObjectId::Rule { target, rule: id }, op)
}

/// A schedule request of a group target, with the body `plan::wire` makes.
fn request(
    group: &str,
    access: GroupAccess,
    kind: AssignmentKind,
    action: ScheduleRequestAction,
    principal: &str,
    end: Option<&str>,
) -> Change {
    let target = TargetKey::group(group, access);
    let mut body = json!({
        "accessId": access.as_str(), "principalId": principal, "groupId": group, "action": action,
        "justification": "test",
    });
    if action != ScheduleRequestAction::AdminRemove {
        body["scheduleInfo"] = json!({"expiration": match end {
            Some(e) => json!({"type": "afterDateTime", "endDateTime": e}),
            None => json!({"type": "noExpiration"}),
        }});
    }
    let op = Operation {
        meaning: Meaning::Assignment {
            target: target.clone(),
            principal: principal.to_string(),
            kind,
            action,
            end: end.map(|e| e.parse().unwrap()),
        },
        method: Method::Post,
        path: requests_path(target.surface, kind).to_string(),
        body,
    };
    let what = match action {
        ScheduleRequestAction::AdminRemove => Action::Remove,
        _ => Action::Create,
    };
    change(what, ObjectId::assignment(&target, principal, kind), op)
}

/// A plan holding `changes` (and nothing else).
fn plan_of(changes: Vec<Change>) -> Plan {
    let mut p = plan::build(
        &DesiredState::default(),
        &LiveState::default(),
        &PlanOptions::default(),
    );
    p.id = "hand-made".into();
    p.changes = changes;
    p
}

fn outcomes(r: &apply::ApplyReport) -> Vec<Outcome> {
    r.changes.iter().map(|c| c.outcome).collect()
}

/// Requests by route, as the emulator counted them.
fn routes(em: &pimctl::emulator::RunningEmulator) -> Vec<(String, u64)> {
    em.stats().routes.into_iter().collect()
}

/// The group's schedules of one list, as `(accessId, principalId, end)`, sorted.
async fn schedules(client: &GraphClient, list: &str, group: &str) -> Vec<(String, String, String)> {
    let v: Vec<Value> = client
        .list_all(&format!("{GROUP_PIM}/{list}?$filter=groupId eq '{group}'"))
        .await
        .unwrap();
    let mut out: Vec<_> = v
        .iter()
        .filter(|s| s["assignmentType"] != "activated")
        .map(|s| {
            (
                s["accessId"].as_str().unwrap().to_string(),
                s["principalId"].as_str().unwrap().to_lowercase(),
                s["scheduleInfo"]["expiration"]["endDateTime"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

const ALICE_END: &str = "2027-05-31T23:59:59Z";
const DAVE_END: &str = "2027-01-31T23:59:59Z";

/// The plan of the test: authentication context set on Tier0-Operators' members and cleared on its owners, alice an
/// eligible member, yusuf's permanent ownership removed; Helpdesk-Escalation (not onboarded) gets shorter activations
/// for members and owners, and dave as an active member.
async fn the_plan(client: &GraphClient, t: &Tenant) -> Plan {
    use GroupAccess::{Member, Owner};
    use ScheduleRequestAction::{AdminAssign, AdminRemove};
    let auth = RuleId::AuthenticationContextEndUserAssignment;
    let expiry = RuleId::ExpirationEndUserAssignment;
    plan_of(vec![
        patch(client, &t.t0, Member, auth, |r| {
            r["isEnabled"] = true.into();
            r["claimValue"] = "c1".into();
        })
        .await,
        patch(client, &t.t0, Owner, auth, |r| {
            r["isEnabled"] = false.into();
            r["claimValue"] = Value::Null;
        })
        .await,
        patch(client, &t.hd, Member, expiry, |r| {
            r["maximumDuration"] = "PT4H".into()
        })
        .await,
        patch(client, &t.hd, Owner, expiry, |r| {
            r["maximumDuration"] = "PT1H".into()
        })
        .await,
        request(
            &t.t0,
            Member,
            AssignmentKind::Eligible,
            AdminAssign,
            &t.user["alice"],
            Some(ALICE_END),
        ),
        request(
            &t.hd,
            Member,
            AssignmentKind::Active,
            AdminAssign,
            &t.user["dave"],
            Some(DAVE_END),
        ),
        request(
            &t.t0,
            Owner,
            AssignmentKind::Active,
            AdminRemove,
            &t.user["yusuf"],
            None,
        ),
    ])
}

/// What the plan leaves in the tenant, with `extra` eligibilities `(group, access, principal)` until ALICE_END.
async fn assert_applied(client: &GraphClient, t: &Tenant, extra: &[(&str, GroupAccess, &str)]) {
    let eligible = |group: &str, base: Vec<(String, String, String)>| {
        let mut all = base;
        for (g, access, who) in extra {
            if *g == group {
                all.push((
                    access.as_str().into(),
                    who.to_string(),
                    json!(ALICE_END).to_string(),
                ));
            }
        }
        all.sort();
        all
    };
    use GroupAccess::{Member, Owner};
    let auth = RuleId::AuthenticationContextEndUserAssignment;
    let member = rule_of(client, &t.t0, Member, auth).await;
    assert_eq!(
        (&member["isEnabled"], &member["claimValue"]),
        (&json!(true), &json!("c1"))
    );
    let owner = rule_of(client, &t.t0, Owner, auth).await;
    assert_eq!(owner["isEnabled"], false, "{owner}");
    let expiry = RuleId::ExpirationEndUserAssignment;
    let hd_member = rule_of(client, &t.hd, Member, expiry).await;
    assert_eq!(hd_member["maximumDuration"], "PT4H");
    let hd_owner = rule_of(client, &t.hd, Owner, expiry).await;
    assert_eq!(hd_owner["maximumDuration"], "PT1H");
    assert_eq!(
        schedules(client, "eligibilitySchedules", &t.t0).await,
        eligible(
            &t.t0,
            vec![(
                "member".into(),
                t.user["alice"].clone(),
                json!(ALICE_END).to_string()
            )]
        )
    );
    assert_eq!(schedules(client, "assignmentSchedules", &t.t0).await, []);
    assert_eq!(
        schedules(client, "eligibilitySchedules", &t.hd).await,
        eligible(&t.hd, vec![])
    );
    assert_eq!(
        schedules(client, "assignmentSchedules", &t.hd).await,
        [(
            "member".into(),
            t.user["dave"].clone(),
            json!(DAVE_END).to_string()
        )]
    );
}

#[tokio::test]
async fn a_group_plan_writes_the_group_endpoints_and_each_access_its_own_policy() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let client = client(&em);
    let t = tenant(&client).await;
    let p = the_plan(&client, &t).await;
    let untouched = policy_id(&client, &t.hd, GroupAccess::Member).await;
    let owner_rules_before = {
        let pid = policy_id(&client, &t.t0, GroupAccess::Owner).await;
        let v: Vec<Value> = client
            .list_all(&format!("/policies/roleManagementPolicies/{pid}/rules"))
            .await
            .unwrap();
        v
    };
    // Every write is one the plan describes (a hand-edited one would be refused).
    for c in &p.changes {
        for op in &c.operations {
            assert!(
                !apply::unrecorded_writes(&plan_of(vec![c.clone()]))
                    .iter()
                    .any(|w| w.contains("is not that write")),
                "{op:?}"
            );
        }
    }

    em.reset_stats();
    let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
    assert_eq!(outcomes(&report), [Outcome::Applied; 7], "{report:#?}");
    // Helpdesk-Escalation's first write onboarded it and retired the policy ids the plan names: the other rule
    // PATCH answered 404, and went to the same rule of the same access's policy under its new id, found with one
    // filtered read. Nothing else was read.
    let moved: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.sent.len() == 2)
        .map(|c| (c.sent[0].status.as_str(), c.sent[1].status.as_str()))
        .collect();
    assert_eq!(moved, [("404", "ok")], "{report:#?}");
    let stats = routes(&em);
    assert_eq!(
        stats,
        [
            (
                "GET /v1.0/policies/roleManagementPolicyAssignments".to_string(),
                1
            ),
            (
                "PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}".to_string(),
                5
            ),
            (
                format!("POST /v1.0{GROUP_PIM}/assignmentScheduleRequests"),
                2
            ),
            (
                format!("POST /v1.0{GROUP_PIM}/eligibilityScheduleRequests"),
                1
            ),
        ],
    );
    assert_ne!(
        policy_id(&client, &t.hd, GroupAccess::Member).await,
        untouched
    );
    assert_applied(&client, &t, &[]).await;
    // The owner policy of Tier0-Operators changed in its authentication context rule only.
    let pid = policy_id(&client, &t.t0, GroupAccess::Owner).await;
    let after: Vec<Value> = client
        .list_all(&format!("/policies/roleManagementPolicies/{pid}/rules"))
        .await
        .unwrap();
    let differs: Vec<_> = owner_rules_before
        .iter()
        .filter(|b| !after.contains(b))
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(differs, ["AuthenticationContext_EndUser_Assignment"]);

    // The same plan again: every assignment is already as planned, which Graph answers RoleAssignmentExists (or
    // RoleAssignmentDoesNotExist for the removal); each counts as done after one read of the group's schedules
    // filtered by group and principal (an unfiltered one is refused). The rules are sent again (the same values).
    em.reset_stats();
    let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
    assert_eq!(
        outcomes(&report),
        [
            [Outcome::Applied; 4].as_slice(),
            &[Outcome::AlreadyInState; 3]
        ]
        .concat(),
        "{report:#?}"
    );
    let codes: Vec<_> = report.changes[4..]
        .iter()
        .map(|c| c.sent[0].status.as_str())
        .collect();
    assert_eq!(codes, ["400", "400", "400"]);
    assert_eq!(
        routes(&em),
        [
            (format!("GET /v1.0{GROUP_PIM}/assignmentSchedules"), 2),
            (format!("GET /v1.0{GROUP_PIM}/eligibilitySchedules"), 1),
            (
                "GET /v1.0/policies/roleManagementPolicyAssignments".to_string(),
                2
            ),
            (
                "PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}".to_string(),
                6
            ),
            (
                format!("POST /v1.0{GROUP_PIM}/assignmentScheduleRequests"),
                2
            ),
            (
                format!("POST /v1.0{GROUP_PIM}/eligibilityScheduleRequests"),
                1
            ),
        ],
    );
    assert_applied(&client, &t, &[]).await;
}

#[tokio::test]
async fn a_group_assignment_the_tenant_holds_with_another_end_is_not_done() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let client = client(&em);
    let t = tenant(&client).await;
    let first = the_plan(&client, &t).await;
    let report = apply::apply(&client, &first, &ApplyOptions::default(), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    // alice is an eligible member until May; a plan that wants her until April is answered RoleAssignmentExists,
    // and the confirmation read shows another end: the change fails with the tenant's answer.
    let p = plan_of(vec![request(
        &t.t0,
        GroupAccess::Member,
        AssignmentKind::Eligible,
        ScheduleRequestAction::AdminAssign,
        &t.user["alice"],
        Some("2027-04-30T23:59:59Z"),
    )]);
    let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
    assert_eq!(outcomes(&report), [Outcome::Failed], "{report:#?}");
    let error = report.changes[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("RoleAssignmentExists"), "{error}");
    // Ownership is not membership: the same request for owner is a new assignment.
    let p = plan_of(vec![request(
        &t.t0,
        GroupAccess::Owner,
        AssignmentKind::Eligible,
        ScheduleRequestAction::AdminAssign,
        &t.user["alice"],
        Some(ALICE_END),
    )]);
    let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
    assert_eq!(outcomes(&report), [Outcome::Applied], "{report:#?}");
}

#[tokio::test]
async fn group_writes_converge_through_lost_answers_without_duplicates() {
    for fail_rate in [0.1, 0.3] {
        let em = emulator_from_yaml(SEED, &Setup::default()).await;
        let client = client(&em);
        let t = tenant(&client).await;
        let mut p = the_plan(&client, &t).await;
        // More writes, so that some answers are lost at 10 % too: eligible ownerships and memberships.
        let extra: Vec<(&str, GroupAccess, &str)> = [
            (&t.t0, GroupAccess::Owner, "bob"),
            (&t.t0, GroupAccess::Owner, "carol"),
            (&t.hd, GroupAccess::Member, "alice"),
            (&t.hd, GroupAccess::Member, "bob"),
            (&t.hd, GroupAccess::Member, "carol"),
            (&t.hd, GroupAccess::Owner, "carol"),
            (&t.hd, GroupAccess::Owner, "alice"),
        ]
        .into_iter()
        .map(|(g, a, who)| (g.as_str(), a, t.user[who].as_str()))
        .collect();
        for (g, a, who) in &extra {
            p.changes.push(request(
                g,
                *a,
                AssignmentKind::Eligible,
                ScheduleRequestAction::AdminAssign,
                who,
                Some(ALICE_END),
            ));
        }
        em.set_faults(pimctl::emulator::faults::FaultConfig {
            latency_ms: 0,
            throttle_rps: None,
            fail_rate,
            ..Default::default()
        });
        let options = ApplyOptions {
            concurrency: 1,
            ..ApplyOptions::default()
        };
        let mut records = vec![];
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(
                rounds <= 10,
                "no convergence after 10 rounds at {fail_rate}"
            );
            let report = apply::apply(&client, &p, &options, &mut |_| {}).await;
            let done = !report.failed();
            records.extend(report.changes.into_iter().flat_map(|c| c.sent));
            if done {
                break;
            }
        }
        em.set_faults(Default::default());
        assert_applied(&client, &t, &extra).await;
        // Answers were lost after the write was carried out; the read that followed kept apply from sending a
        // duplicate, and the record holds every request the tenant carried out.
        let lost = records.iter().filter(|s| s.status == "failed").count();
        assert!(lost > 0, "the fault mix at {fail_rate} lost no answer");
        // The group requests the tenant carried out, as (action, principal, access, group).
        let carried_out = em.with_state(|s| {
            s.requests
                .iter()
                .map(|r| {
                    let v = serde_json::to_value(&r.request).unwrap();
                    (
                        v["action"].as_str().unwrap_or_default().to_lowercase(),
                        v["principalId"].as_str().unwrap_or_default().to_lowercase(),
                        v["roleDefinitionId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        v["directoryScopeId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_lowercase(),
                    )
                })
                .collect::<Vec<_>>()
        });
        let recorded: std::collections::BTreeSet<_> = records
            .iter()
            .filter(|s| s.method == "POST")
            .map(|s| {
                let v = &s.body;
                (
                    v["action"].as_str().unwrap_or_default().to_lowercase(),
                    v["principalId"].as_str().unwrap_or_default().to_lowercase(),
                    v["accessId"].as_str().unwrap_or_default().to_string(),
                    v["groupId"].as_str().unwrap_or_default().to_lowercase(),
                )
            })
            .collect();
        // Yusuf's permanent ownership came from the seed; the plan's three requests were each carried out once
        // (no duplicate), and each is in the record.
        assert_eq!(carried_out.len(), 4 + extra.len(), "{carried_out:#?}");
        for r in &carried_out[1..] {
            assert!(
                recorded.contains(r),
                "a write missing from the record: {r:?}"
            );
        }
        let distinct: std::collections::BTreeSet<_> = carried_out.iter().collect();
        assert_eq!(distinct.len(), carried_out.len(), "{carried_out:#?}");
    }
}

#[tokio::test]
async fn a_policy_found_moved_is_written_under_its_new_id_for_the_rest_of_the_apply() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let client = client(&em);
    let t = tenant(&client).await;
    use GroupAccess::Member;
    // Three rule updates of Helpdesk-Escalation's member policy, planned before the group was onboarded.
    let p = plan_of(vec![
        patch(
            &client,
            &t.hd,
            Member,
            RuleId::ExpirationEndUserAssignment,
            |r| r["maximumDuration"] = "PT4H".into(),
        )
        .await,
        patch(
            &client,
            &t.hd,
            Member,
            RuleId::ExpirationAdminEligibility,
            |r| r["maximumDuration"] = "P180D".into(),
        )
        .await,
        patch(
            &client,
            &t.hd,
            Member,
            RuleId::ExpirationAdminAssignment,
            |r| r["maximumDuration"] = "P30D".into(),
        )
        .await,
    ]);
    em.reset_stats();
    let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
    assert_eq!(outcomes(&report), [Outcome::Applied; 3], "{report:#?}");
    // The first onboarded the group; the second found its policy gone, and the policy's new id with one read; the
    // third went to the new id at once.
    let statuses: Vec<Vec<&str>> = report
        .changes
        .iter()
        .map(|c| c.sent.iter().map(|s| s.status.as_str()).collect())
        .collect();
    assert_eq!(statuses, [vec!["ok"], vec!["404", "ok"], vec!["ok"]]);
    let new = policy_id(&client, &t.hd, Member).await;
    assert_eq!(
        report.changes[2].sent[0].path,
        rule_path(&new, "Expiration_Admin_Assignment")
    );
    assert_eq!(
        routes(&em),
        [
            (
                "GET /v1.0/policies/roleManagementPolicyAssignments".to_string(),
                2
            ),
            (
                "PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}".to_string(),
                4
            ),
        ]
    );
    for (rule, want) in [
        (RuleId::ExpirationEndUserAssignment, "PT4H"),
        (RuleId::ExpirationAdminEligibility, "P180D"),
        (RuleId::ExpirationAdminAssignment, "P30D"),
    ] {
        assert_eq!(
            rule_of(&client, &t.hd, Member, rule).await["maximumDuration"],
            want
        );
    }
}

/// Authentication context on a group's policies can be set and cleared on `member` and on `owner` each
/// (azuread#1761, #1605), and a change of the member block writes the member policy, never the owner one (#1491):
/// plan → apply → plan is empty, with the declaration's own planner.
#[tokio::test]
async fn authentication_context_is_set_and_cleared_on_members_and_owners_each_in_its_own_policy() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let client = client(&em);
    let t = tenant(&client).await;
    let auth = RuleId::AuthenticationContextEndUserAssignment;
    let rules = async |access: GroupAccess| -> Vec<Value> {
        let pid = policy_id(&client, &t.t0, access).await;
        let mut v: Vec<Value> = client
            .list_all(&format!("/policies/roleManagementPolicies/{pid}/rules"))
            .await
            .unwrap();
        v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        v
    };
    // The seed: members without authentication context, owners with c2.
    for (member, owner) in [("c1", "off"), ("off", "c3"), ("c4", "c3")] {
        let before = (
            rules(GroupAccess::Member).await,
            rules(GroupAccess::Owner).await,
        );
        let (_dir, desired) = desired_yaml(
            &format!(
                "version: pimctl/v1\ngroups:\n  Tier0-Operators:\n    member:\n      activation: {{authentication_context: \"{member}\"}}\n    owner:\n      activation: {{authentication_context: \"{owner}\"}}\n"
            ),
            &em,
        );
        let p = plan_against(&em, &desired).await;
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let report = apply::apply(&client, &p, &ApplyOptions::default(), &mut |_| {}).await;
        assert!(!report.failed(), "{report:#?}");
        for (access, want, was) in [
            (GroupAccess::Member, member, &before.0),
            (GroupAccess::Owner, owner, &before.1),
        ] {
            let r = rule_of(&client, &t.t0, access, auth).await;
            match want {
                "off" => assert_eq!(r["isEnabled"], false, "{access:?} {r}"),
                c => assert_eq!(
                    (&r["isEnabled"], &r["claimValue"]),
                    (&json!(true), &json!(c)),
                    "{access:?}"
                ),
            }
            // Each policy changed in that rule at most, and only when its own block asked for a change.
            let now = rules(access).await;
            let changed: Vec<&str> = was
                .iter()
                .zip(&now)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| a["id"].as_str().unwrap())
                .collect();
            let asked = p
                .changes
                .iter()
                .any(|c| c.key.target().role.0 == access.as_str());
            match asked {
                true => assert_eq!(changed, ["AuthenticationContext_EndUser_Assignment"]),
                false => assert!(changed.is_empty(), "{access:?} changed: {changed:?}"),
            }
        }
        let again = plan_against(&em, &desired).await;
        assert!(again.changes.is_empty(), "{:?}", lines(&again));
    }
}
