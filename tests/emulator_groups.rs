//! PIM for Groups over real HTTP: the six lists (a schedule or instance list must be scoped to a group or
//! principal), requests enforced by the same policy rules as directory roles, the two policies of each group and its
//! onboarding, and the membership and ownership that active schedules give until they end.

mod common;
use common::*;
use serde_json::{Value, json};

fn body(access: &str, principal: &str, group: &str, action: &str, expiration: Value) -> Value {
    json!({"accessId": access, "principalId": principal, "groupId": group, "action": action,
        "justification": "because",
        "scheduleInfo": {"startDateTime": "2020-01-01T00:00:00Z", "expiration": expiration}})
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", r.body))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn schedule_and_instance_lists_need_a_group_or_principal_filter() {
    let emu = start_groups(None).await;
    let t0 = emu.group_id("Tier0-Operators").await;
    let alice = emu.user_id("alice@contoso.com").await;
    for list in [
        "eligibilitySchedules",
        "assignmentSchedules",
        "eligibilityScheduleInstances",
        "assignmentScheduleInstances",
    ] {
        for query in [
            "",
            "?$filter=accessId eq 'member'",
            "?$filter=groupId ne 'x'",
        ] {
            let r = emu.get(&format!("{GROUP_PIM}/{list}{query}")).await;
            assert_eq!(r.status, 400, "{list}{query}: {:?}", r.body);
            assert_eq!(r.code(), "BadRequest");
            assert!(
                r.message().contains("groupId eq or principalId eq"),
                "{}",
                r.message()
            );
        }
        for query in [
            format!("$filter=groupId eq '{t0}'"),
            format!("$filter=principalId eq '{alice}'"),
            format!("$filter=groupId eq '{t0}' and principalId eq '{alice}'"),
        ] {
            let r = emu.get(&format!("{GROUP_PIM}/{list}?{query}")).await;
            assert_eq!(r.status, 200, "{list}?{query}: {:?}", r.body);
        }
    }
    // Alice: eligible member (a schedule and an instance), nothing active.
    let by = |list: &str, f: String| {
        let emu = &emu;
        let path = format!("{GROUP_PIM}/{list}?$filter={f}");
        async move { emu.get(&path).await }
    };
    let alice_f = format!("principalId eq '{alice}'");
    let e = by("eligibilitySchedules", alice_f.clone()).await;
    assert_eq!(ids(&e).len(), 1);
    let s = &e.body["value"][0];
    assert_eq!(s["accessId"], "member");
    assert_eq!(s["groupId"], t0.as_str());
    assert_eq!(s["memberType"], "Direct");
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{t0}_member_")), "{id}");
    assert_eq!(
        ids(&by("eligibilityScheduleInstances", alice_f.clone()).await).len(),
        1
    );
    assert!(ids(&by("assignmentSchedules", alice_f.clone()).await).is_empty());
    // The group: one permanent owner, one activated owner; the instances give their schedule.
    let g = by("assignmentScheduleInstances", format!("groupId eq '{t0}'")).await;
    let v = g.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|i| i["accessId"] == "owner"));
    let types: Vec<&str> = v
        .iter()
        .map(|i| i["assignmentType"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"Assigned") && types.contains(&"Activated"),
        "{types:?}"
    );
    assert!(
        v.iter()
            .all(|i| i["assignmentScheduleId"].as_str().unwrap().starts_with(&t0))
    );
    // Directory-role lists do not show group schedules.
    let r = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '{alice}'"
        ))
        .await;
    assert!(ids(&r).is_empty(), "{:?}", r.body);

    // Requests: unscoped, an application sees none and a user their own (Microsoft's list pages).
    let r = emu
        .get(&format!("{GROUP_PIM}/eligibilityScheduleRequests"))
        .await;
    assert_eq!(r.status, 200);
    assert!(ids(&r).is_empty());
    let r = emu
        .call(
            "GET",
            &format!("{GROUP_PIM}/eligibilityScheduleRequests"),
            None,
            Some(&format!("emulator:user:{alice}")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ids(&r).len(), 1);
    assert_eq!(r.body["value"][0]["principalId"], alice.as_str());
    let r = by("eligibilityScheduleRequests", format!("groupId eq '{t0}'")).await;
    assert_eq!(ids(&r).len(), 3);
}

#[tokio::test]
async fn group_lists_select_expand_page_and_work_inside_batch() {
    let emu = start_groups(Some(1)).await;
    let t0 = emu.group_id("Tier0-Operators").await;
    let bob = emu.user_id("bob@contoso.com").await;
    let (items, pages) = emu
        .get_all(&format!(
            "{GROUP_PIM}/eligibilitySchedules?$filter=groupId eq '{t0}'&$expand=principal"
        ))
        .await;
    assert_eq!((items.len(), pages), (3, 3));
    assert!(
        items
            .iter()
            .all(|i| i["principal"]["userPrincipalName"].is_string())
    );
    let r = emu
        .get(&format!("{GROUP_PIM}/eligibilitySchedules?$filter=principalId eq '{bob}'&$select=accessId,principalId,groupId&$top=5"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut keys: Vec<&str> = r.body["value"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["accessId", "groupId", "principalId"]);
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("eligibilitySchedules(accessId,principalId,groupId)")
    );
    let r = emu
        .get(&format!("{GROUP_PIM}/assignmentSchedules?$filter=groupId eq '{t0}'&$expand=group($select=id,displayName)&$top=5"))
        .await;
    assert_eq!(
        r.body["value"][0]["group"]["displayName"],
        "Tier0-Operators"
    );
    let r = emu
        .get(&format!(
            "{GROUP_PIM}/assignmentSchedules?$filter=groupId eq '{t0}'&$expand=roleDefinition"
        ))
        .await;
    assert_eq!(r.status, 400, "groups have no roleDefinition: {:?}", r.body);

    // Inside $batch: the refusal and the answers are per item, with nextLink paging.
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("{GROUP_PIM}/eligibilitySchedules?$filter=groupId eq '{t0}'")},
        {"id": "2", "method": "GET", "url": format!("{GROUP_PIM}/assignmentScheduleInstances")},
        {"id": "3", "method": "GET", "url": format!("{GROUP_PIM}/assignmentScheduleInstances?$filter=groupId eq '{t0}' and principalId eq '{bob}'")},
    ]});
    let r = emu.post("/$batch", batch).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let by_id = |id: &str| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert!(by_id("1")["body"]["@odata.nextLink"].is_string());
    assert_eq!(by_id("2")["status"], 400);
    assert_eq!(by_id("3")["status"], 200);
    assert_eq!(
        by_id("3")["body"]["value"][0]["assignmentType"],
        "Activated"
    );
    let stats = emu.control("GET", "stats", Value::Null).await;
    assert_eq!(
        stats["routes"]["GET /v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances"],
        2
    );
}

#[tokio::test]
async fn group_requests_are_held_to_the_group_policy_like_roles() {
    let emu = start_groups(None).await;
    let t0 = emu.group_id("Tier0-Operators").await;
    let hd = emu.group_id("Helpdesk-Team").await;
    let (alice, bob, carol, dave) = (
        emu.user_id("alice@contoso.com").await,
        emu.user_id("bob@contoso.com").await,
        emu.user_id("carol@contoso.com").await,
        emu.user_id("dave@contoso.com").await,
    );
    let never = json!({"type": "noExpiration"});
    // Microsoft's untouched group policy: eligible membership must expire, within P365D.
    let r = emu
        .post(
            GROUP_ELIG,
            body("member", &dave, &t0, "adminAssign", never.clone()),
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                &dave,
                &t0,
                "adminAssign",
                json!({"type": "afterDuration", "duration": "P400D"}),
            ),
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    // The owner policy allows permanent active ownership (seeded override).
    let r = emu
        .post(
            GROUP_ASSIGN,
            body("owner", &dave, &t0, "adminAssign", never.clone()),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["accessId"], "owner");
    assert_eq!(r.body["groupId"], t0.as_str());
    let target = r.body["targetScheduleId"].as_str().unwrap();
    assert_eq!(
        target,
        format!("{t0}_owner_{}", r.body["id"].as_str().unwrap())
    );
    let r = emu
        .post(
            GROUP_ASSIGN,
            body("owner", &dave, &t0, "adminAssign", never.clone()),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "RoleAssignmentExists"),
        "{:?}",
        r.body
    );
    // Justification is required on active assignment (Enablement_Admin_Assignment).
    let mut b = body(
        "member",
        &dave,
        &hd,
        "adminAssign",
        json!({"type": "afterDuration", "duration": "P30D"}),
    );
    b.as_object_mut().unwrap().remove("justification");
    assert_policy_failure(&emu.post(GROUP_ASSIGN, b).await, "JustificationRule");
    // Removing what does not exist.
    let r = emu
        .post(GROUP_ELIG, json!({"accessId": "owner", "principalId": alice, "groupId": t0, "action": "adminRemove"}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "RoleAssignmentDoesNotExist"),
        "{:?}",
        r.body
    );
    // Unknown group, unknown principal, scheduleInfo missing, self action by an application.
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                &dave,
                "00000000-0000-0000-0000-000000000001",
                "adminAssign",
                never.clone(),
            ),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidRoleAssignmentRequest"));
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                "00000000-0000-0000-0000-000000000002",
                &t0,
                "adminAssign",
                never.clone(),
            ),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "SubjectNotFound"));
    let r = emu.post(GROUP_ELIG, json!({"accessId": "member", "principalId": dave, "groupId": t0, "action": "adminAssign"})).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("scheduleInfo"), "{}", r.message());
    let two_hours = json!({"type": "afterDuration", "duration": "PT2H"});
    let r = emu
        .post(
            GROUP_ASSIGN,
            body("member", &alice, &t0, "selfActivate", two_hours.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);

    // Activation: not eligible; too long (PT2H maximum); no justification; then pending approval.
    let r = emu
        .post_as(
            GROUP_ASSIGN,
            body("member", &carol, &t0, "selfActivate", two_hours.clone()),
            &carol,
        )
        .await;
    assert_policy_failure(&r, "EligibilityRule");
    let r = emu
        .post_as(
            GROUP_ASSIGN,
            body(
                "member",
                &alice,
                &t0,
                "selfActivate",
                json!({"type": "afterDuration", "duration": "PT3H"}),
            ),
            &alice,
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    let mut b = body("member", &alice, &t0, "selfActivate", two_hours.clone());
    b.as_object_mut().unwrap().remove("justification");
    assert_policy_failure(
        &emu.post_as(GROUP_ASSIGN, b, &alice).await,
        "JustificationRule",
    );
    let r = emu
        .call(
            "POST",
            GROUP_ASSIGN,
            Some(body(
                "member",
                &alice,
                &t0,
                "selfActivate",
                two_hours.clone(),
            )),
            Some(&format!("emulator:user:{alice}:nomfa")),
        )
        .await;
    assert_eq!(
        r.status, 201,
        "group activation asks for a justification only by default: {:?}",
        r.body
    );
    assert_eq!(r.body["status"], "PendingApproval");
    let pending = r.body["id"].as_str().unwrap().to_string();
    let r = emu
        .post_as(
            GROUP_ASSIGN,
            body("member", &alice, &t0, "selfActivate", two_hours.clone()),
            &alice,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "PendingRoleAssignmentRequest"));
    let members = emu.holders(&t0, "members").await;
    assert!(!members.contains(&alice), "pending is not a member");
    let approved = emu
        .control("POST", &format!("requests/{pending}/approve"), Value::Null)
        .await;
    assert_eq!(approved["status"], "Provisioned", "{approved}");
    assert!(emu.holders(&t0, "members").await.contains(&alice));

    // Bob's owner activation (seeded, PT1H) can be deactivated; his member eligibility activates without approval
    // on the owner side only.
    let r = emu
        .post_as(GROUP_ASSIGN, json!({"accessId": "owner", "principalId": bob, "groupId": t0, "action": "selfDeactivate"}), &bob)
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (201, Some("Revoked")),
        "{:?}",
        r.body
    );
    assert!(!emu.holders(&t0, "owners").await.contains(&bob));
}

#[tokio::test]
async fn active_schedules_make_members_and_owners_until_they_end() {
    let emu = start_groups(None).await;
    let t0 = emu.group_id("Tier0-Operators").await;
    let (admin, alice, bob, carol, dave) = (
        emu.user_id("admin@contoso.com").await,
        emu.user_id("alice@contoso.com").await,
        emu.user_id("bob@contoso.com").await,
        emu.user_id("carol@contoso.com").await,
        emu.user_id("dave@contoso.com").await,
    );
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // Standing members and owners, plus PIM's active ones; Alice and Bob are only eligible members.
    assert_eq!(
        emu.holders(&t0, "members").await,
        sorted(vec![dave.clone()])
    );
    assert_eq!(
        emu.holders(&t0, "owners").await,
        sorted(vec![admin.clone(), bob.clone(), carol.clone()])
    );
    let r = emu
        .get(&format!("/groups?$filter=id eq '{t0}'&$expand=members"))
        .await;
    assert_eq!(r.body["value"][0]["members"].as_array().unwrap().len(), 1);

    // An eligibility changes nothing; an active membership does.
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                &carol,
                &t0,
                "adminAssign",
                json!({"type": "afterDuration", "duration": "P10D"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!emu.holders(&t0, "members").await.contains(&carol));
    let r = emu
        .post(
            GROUP_ASSIGN,
            body(
                "member",
                &carol,
                &t0,
                "adminAssign",
                json!({"type": "afterDuration", "duration": "P2D"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(emu.holders(&t0, "members").await.contains(&carol));

    // Bob's activation (two hours, from an hour before the seed's clock) ends in an hour; Carol's membership in
    // two days.
    emu.advance("PT1H").await;
    assert!(
        !emu.holders(&t0, "owners").await.contains(&bob),
        "the activation ended"
    );
    emu.advance("P2D").await;
    assert!(
        !emu.holders(&t0, "members").await.contains(&carol),
        "the membership expired"
    );
    assert!(
        emu.holders(&t0, "owners").await.contains(&carol),
        "the permanent ownership stays"
    );
    let r = emu
        .get(&format!(
            "{GROUP_PIM}/assignmentScheduleInstances?$filter=principalId eq '{carol}'"
        ))
        .await;
    assert_eq!(ids(&r).len(), 1, "{:?}", r.body);

    // An admin removal takes the ownership away at once.
    let r = emu
        .post(GROUP_ASSIGN, json!({"accessId": "owner", "principalId": carol, "groupId": t0, "action": "adminRemove"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "Revoked");
    assert!(!emu.holders(&t0, "owners").await.contains(&carol));
    let _ = alice;
}

#[tokio::test]
async fn each_group_has_a_member_and_an_owner_policy_and_onboarding_renames_them() {
    let emu = start_groups(None).await;
    let t0 = emu.group_id("Tier0-Operators").await;
    let hd = emu.group_id("Helpdesk-Team").await;
    let assignments = |gid: &str, extra: &str| {
        let emu = &emu;
        let path = format!(
            "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '{gid}' and scopeType eq 'Group'{extra}&$expand=policy($expand=rules)"
        );
        async move { emu.get(&path).await }
    };
    let r = assignments(&t0, "").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = r.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    for a in v {
        let role = a["roleDefinitionId"].as_str().unwrap();
        let pid = a["policyId"].as_str().unwrap();
        assert!(pid.starts_with(&format!("Group_{t0}_")), "{pid}");
        assert_eq!(a["id"], format!("{pid}_{role}"));
        assert_eq!(a["scopeType"], "Group");
        assert_eq!(a["policy"]["rules"].as_array().unwrap().len(), 17);
    }
    let member = assignments(&t0, " and roleDefinitionId eq 'member'").await;
    assert_eq!(ids(&member).len(), 1);
    let rules = member.body["value"][0]["policy"]["rules"]
        .as_array()
        .unwrap()
        .clone();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(
        rule("Approval_EndUser_Assignment")["setting"]["isApprovalRequired"],
        true
    );
    assert_eq!(
        rule("Expiration_EndUser_Assignment")["maximumDuration"],
        "PT2H"
    );
    assert_eq!(
        rule("Enablement_EndUser_Assignment")["enabledRules"],
        json!(["Justification"])
    );
    let r = emu
        .get(&format!(
            "/policies/roleManagementPolicies?$filter=scopeId eq '{t0}' and scopeType eq 'Group'"
        ))
        .await;
    assert_eq!(ids(&r).len(), 2);
    let r = emu
        .get("/policies/roleManagementPolicies?$filter=scopeType eq 'Group'")
        .await;
    assert_eq!(r.status, 400, "scopeId is required too");

    // Helpdesk-Team is not onboarded: its policies answer under ids that its first policy update changes.
    let before = assignments(&hd, " and roleDefinitionId eq 'owner'").await;
    let old = before.body["value"][0]["policyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        emu.get(&format!(
            "/policies/roleManagementPolicies/{old}/rules/Expiration_EndUser_Assignment"
        ))
        .await
        .status,
        200
    );
    let patch = json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_EndUser_Assignment", "isExpirationRequired": true, "maximumDuration": "PT1H45M",
        "target": {"caller": "EndUser", "operations": ["All"], "level": "Assignment", "inheritableSettings": [], "enforcedSettings": []}});
    let r = emu
        .patch(
            &format!("/policies/roleManagementPolicies/{old}/rules/Expiration_EndUser_Assignment"),
            patch.clone(),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(
        emu.get(&format!("/policies/roleManagementPolicies/{old}"))
            .await
            .status,
        404,
        "the old id is gone"
    );
    let after = assignments(&hd, " and roleDefinitionId eq 'owner'").await;
    let new = after.body["value"][0]["policyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new, old);
    let r = emu
        .get(&format!(
            "/policies/roleManagementPolicies/{new}/rules/Expiration_EndUser_Assignment"
        ))
        .await;
    assert_eq!(r.body["maximumDuration"], "PT1H45M");
    assert_eq!(
        ids(&assignments(&hd, "").await).len(),
        2,
        "still two policies"
    );
    // A failed update onboards nothing; a failed or validation-only request neither.
    let hd2 = emu.group_id("Approvers").await;
    let untouched = assignments(&hd2, " and roleDefinitionId eq 'member'")
        .await
        .body["value"][0]["policyId"]
        .clone();
    let mut bad = patch.clone();
    bad["maximumDuration"] = json!("P1Y");
    let r = emu
        .patch(
            &format!(
                "/policies/roleManagementPolicies/{}/rules/Expiration_EndUser_Assignment",
                untouched.as_str().unwrap()
            ),
            bad,
        )
        .await;
    assert_eq!(r.status, 400);
    let dave = emu.user_id("dave@contoso.com").await;
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                &dave,
                &hd2,
                "adminAssign",
                json!({"type": "noExpiration"}),
            ),
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    assert_eq!(
        assignments(&hd2, " and roleDefinitionId eq 'member'")
            .await
            .body["value"][0]["policyId"],
        untouched
    );
    // A request that is carried out onboards the group.
    let r = emu
        .post(
            GROUP_ELIG,
            body(
                "member",
                &dave,
                &hd2,
                "adminAssign",
                json!({"type": "afterDuration", "duration": "P30D"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_ne!(
        assignments(&hd2, " and roleDefinitionId eq 'member'")
            .await
            .body["value"][0]["policyId"],
        untouched
    );
}

#[test]
fn group_seeds_are_checked_with_the_entry_named() {
    use pimctl::emulator::seed::Seed;
    for (bad, needle) in [
        (
            "groups: [{name: G, pim: {eligible: [{access: admin, user: a@b.c}]}}]\nusers: [{upn: a@b.c}]",
            "member or owner",
        ),
        (
            "groups: [{name: G, pim: {eligible: [{access: member, user: z@b.c}]}}]",
            "z@b.c",
        ),
        (
            "groups: [{name: G, pim: {policies: {member: {Nope_Rule: {}}}}}]",
            "Nope_Rule",
        ),
        ("groups: [{name: G, pim: {nope: 1}}]", "unknown field"),
        ("groups: [{name: G, owners: [nobody]}]", "owner 'nobody'"),
        (
            "groups: [{name: G, pim: {activations: [{access: member, user: a@b.c}]}}]\nusers: [{upn: a@b.c}]",
            "needs an eligibility",
        ),
        (
            "groups: [{name: G, pim: {active: [{access: member, group: G}]}}]",
            "itself",
        ),
    ] {
        let e = Seed::from_yaml(bad, "seed.yaml")
            .and_then(|s| s.build("seed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("seed.yaml: "), "{e}");
        assert!(e.contains(needle), "{bad}: {e}");
    }
}
