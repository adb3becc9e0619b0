//! End-to-end: requests become schedules, schedules give instances, activation, approval, policy validation,
//! the clock, and rule updates, over real HTTP.

mod common;
use common::*;
use serde_json::json;

fn assign_body(
    action: &str,
    principal: &str,
    role: &str,
    expiration: serde_json::Value,
) -> serde_json::Value {
    json!({"action": action, "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/",
        "justification": "because", "scheduleInfo": {"startDateTime": "2020-01-01T00:00:00Z", "expiration": expiration}})
}

#[tokio::test]
async fn an_eligibility_request_becomes_a_schedule_and_an_instance_and_can_be_removed() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let body = assign_body(
        "AdminAssign",
        &carol,
        USER_ADMIN,
        json!({"type": "AfterDuration", "duration": "P30D"}),
    );
    let r = emu.post(ELIG, body.clone()).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "Provisioned");
    assert_eq!(r.body["action"], "adminAssign");
    assert_eq!(
        r.body["scheduleInfo"]["expiration"]["type"],
        "afterDuration"
    );
    assert_eq!(r.body["targetScheduleId"], r.body["id"]);
    let now = emu.now().await;
    assert_eq!(
        r.body["scheduleInfo"]["startDateTime"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        now,
        "a past start becomes now"
    );
    let req_id = r.body["id"].as_str().unwrap().to_string();

    let filter =
        format!("?$filter=principalId eq '{carol}' and roleDefinitionId eq '{USER_ADMIN}'");
    let s = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilitySchedules{filter}"
        ))
        .await;
    assert_eq!(s.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(s.body["value"][0]["id"], req_id.as_str());
    assert_eq!(s.body["value"][0]["createdUsing"], req_id.as_str());
    let i = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilityScheduleInstances{filter}"
        ))
        .await;
    assert_eq!(
        i.body["value"][0]["roleEligibilityScheduleId"],
        req_id.as_str()
    );
    assert_eq!(i.body["value"][0]["memberType"], "Direct");
    let got = emu.get(&format!("{ELIG}/{req_id}")).await;
    assert_eq!(got.body["id"], req_id.as_str());

    let dup = emu.post(ELIG, body).await;
    assert_eq!((dup.status, dup.code()), (400, "RoleAssignmentExists"));

    let rm = json!({"action": "adminRemove", "principalId": carol, "roleDefinitionId": USER_ADMIN, "directoryScopeId": "/"});
    let r = emu.post(ELIG, rm.clone()).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["status"], "Revoked");
    assert!(r.body["scheduleInfo"].is_null() && r.body["targetScheduleId"].is_null());
    let s = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilitySchedules{filter}"
        ))
        .await;
    assert!(s.body["value"].as_array().unwrap().is_empty());
    let again = emu.post(ELIG, rm).await;
    assert_eq!(
        (again.status, again.code()),
        (400, "RoleAssignmentDoesNotExist")
    );
}

#[tokio::test]
async fn a_future_start_is_honoured_and_a_schedule_ends_at_its_end() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let start = emu.now().await + chrono::Duration::days(2);
    let body = json!({"action": "adminAssign", "principalId": carol, "roleDefinitionId": USER_ADMIN,
        "directoryScopeId": "/", "justification": "later",
        "scheduleInfo": {"startDateTime": start, "expiration": {"type": "afterDuration", "duration": "P1D"}}});
    let r = emu.post(ASSIGN, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "Granted");
    let id = r.body["id"].as_str().unwrap().to_string();
    let filter = format!("?$filter=principalId eq '{carol}'");
    let schedules = format!("/roleManagement/directory/roleAssignmentSchedules{filter}");
    let instances = format!("/roleManagement/directory/roleAssignmentScheduleInstances{filter}");
    assert_eq!(
        emu.get(&schedules).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        emu.get(&instances).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    emu.advance("P2DT1H").await;
    let i = emu.get(&instances).await;
    assert_eq!(i.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(i.body["value"][0]["assignmentType"], "Assigned");
    assert_eq!(
        emu.get(&format!("{ASSIGN}/{id}")).await.body["status"],
        "Provisioned"
    );

    emu.advance("P1D").await;
    assert!(
        emu.get(&schedules).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        emu.get(&instances).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn self_activation_without_approval_is_bounded_by_the_policy() {
    let emu = start(None).await;
    let alice = emu.user_id("alice@contoso.com").await;
    let act = |dur: &str, justification: Option<&str>| {
        let mut b = json!({"action": "selfActivate", "principalId": alice, "roleDefinitionId": GA,
            "directoryScopeId": "/", "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": dur}}});
        if let Some(j) = justification {
            b["justification"] = json!(j);
        }
        b
    };
    assert_policy_failure(
        &emu.post_as(ASSIGN, act("PT9H", Some("x")), &alice).await,
        "ExpirationRule",
    );
    assert_policy_failure(
        &emu.post_as(ASSIGN, act("PT4H", None), &alice).await,
        "JustificationRule",
    );
    let nomfa = emu
        .call(
            "POST",
            ASSIGN,
            Some(act("PT4H", Some("x"))),
            Some(&format!("emulator:user:{alice}:nomfa")),
        )
        .await;
    assert_policy_failure(&nomfa, "MfaRule");
    let app = emu.post(ASSIGN, act("PT4H", Some("x"))).await;
    assert_eq!(app.status, 403);

    let r = emu
        .post_as(ASSIGN, act("PT4H", Some("incident 42")), &alice)
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "Provisioned");
    assert_eq!(r.body["createdBy"]["user"]["id"], alice.as_str());
    let filter = format!(
        "?$filter=principalId eq '{alice}' and assignmentType eq 'Activated'&$expand=activatedUsing"
    );
    let s = emu
        .get(&format!(
            "/roleManagement/directory/roleAssignmentSchedules{filter}"
        ))
        .await;
    assert_eq!(s.body["value"].as_array().unwrap().len(), 1, "{:?}", s.body);
    let elig = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '{alice}'"
        ))
        .await;
    assert_eq!(
        s.body["value"][0]["activatedUsing"]["id"],
        elig.body["value"][0]["id"]
    );
    let inst = emu
        .get(&format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances{filter}"
        ))
        .await;
    let v = &inst.body["value"][0];
    assert_eq!(v["assignmentType"], "Activated");
    let (start, end): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = (
        v["startDateTime"].as_str().unwrap().parse().unwrap(),
        v["endDateTime"].as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(end - start, chrono::Duration::hours(4));
    let twice = emu
        .post_as(ASSIGN, act("PT1H", Some("again")), &alice)
        .await;
    assert_eq!(twice.code(), "RoleAssignmentExists");

    let mine = emu
        .call("GET", "/roleManagement/directory/roleAssignmentScheduleInstances/filterByCurrentUser(on='principal')", None, Some(&format!("emulator:user:{alice}")))
        .await;
    assert_eq!(
        mine.body["value"][0]["@odata.type"],
        "#microsoft.graph.unifiedRoleAssignmentScheduleInstance"
    );

    let off = json!({"action": "selfDeactivate", "principalId": alice, "roleDefinitionId": GA, "directoryScopeId": "/"});
    let r = emu.post_as(ASSIGN, off.clone(), &alice).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (201, Some("Revoked"))
    );
    assert!(
        emu.get(&format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances{filter}"
        ))
        .await
        .body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        emu.post_as(ASSIGN, off, &alice).await.code(),
        "RoleAssignmentDoesNotExist"
    );
}

#[tokio::test]
async fn activation_with_approval_waits_for_the_approver() {
    let emu = start(None).await;
    let bob = emu.user_id("bob@contoso.com").await;
    let mut body = json!({"action": "selfActivate", "principalId": bob, "roleDefinitionId": SECURITY_ADMIN,
        "directoryScopeId": "/", "justification": "alert triage",
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT2H"}}});
    assert_policy_failure(
        &emu.post_as(ASSIGN, body.clone(), &bob).await,
        "TicketingRule",
    );
    body["ticketInfo"] = json!({"ticketNumber": "INC-1", "ticketSystem": "ServiceNow"});
    let r = emu.post_as(ASSIGN, body.clone(), &bob).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["status"], "PendingApproval");
    assert!(r.body["approvalId"].is_string());
    let id = r.body["id"].as_str().unwrap().to_string();
    let inst = format!(
        "/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId eq '{bob}'"
    );
    assert!(
        emu.get(&inst).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        emu.post_as(ASSIGN, body, &bob).await.code(),
        "PendingRoleAssignmentRequest"
    );

    let approved = emu
        .control("POST", &format!("requests/{id}/approve"), json!({}))
        .await;
    assert_eq!(approved["status"], "Provisioned");
    assert_eq!(
        emu.get(&format!("{ASSIGN}/{id}")).await.body["status"],
        "Provisioned"
    );
    let i = emu.get(&inst).await;
    assert_eq!(i.body["value"][0]["assignmentType"], "Activated");
    assert_eq!(i.body["value"][0]["roleDefinitionId"], SECURITY_ADMIN);
}

#[tokio::test]
async fn admin_requests_are_validated_against_the_policy() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    // Global Administrator: eligibility must expire within 90 days.
    let r = emu
        .post(
            ELIG,
            assign_body("adminAssign", &carol, GA, json!({"type": "noExpiration"})),
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    let r = emu
        .post(
            ELIG,
            assign_body(
                "adminAssign",
                &carol,
                GA,
                json!({"type": "afterDuration", "duration": "P120D"}),
            ),
        )
        .await;
    assert_policy_failure(&r, "ExpirationRule");
    let ok = emu
        .post(
            ELIG,
            assign_body(
                "adminAssign",
                &carol,
                GA,
                json!({"type": "afterDuration", "duration": "P90D"}),
            ),
        )
        .await;
    assert_eq!(ok.status, 201);
    // Active assignment needs a justification by default (Enablement_Admin_Assignment).
    let mut b = assign_body(
        "adminAssign",
        &carol,
        USER_ADMIN,
        json!({"type": "noExpiration"}),
    );
    b.as_object_mut().unwrap().remove("justification");
    assert_policy_failure(&emu.post(ASSIGN, b).await, "JustificationRule");
    // Unknown role, unknown principal, eligibility for a service principal, malformed bodies.
    let r = emu
        .post(
            ELIG,
            assign_body(
                "adminAssign",
                &carol,
                "00000000-0000-0000-0000-000000000000",
                json!({"type": "noExpiration"}),
            ),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "RoleNotFound"));
    let r = emu
        .post(
            ELIG,
            assign_body(
                "adminAssign",
                "00000000-0000-0000-0000-000000000000",
                USER_ADMIN,
                json!({}),
            ),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "SubjectNotFound"));
    let sp = emu
        .get("/servicePrincipals?$filter=appId eq '22222222-3333-4444-5555-666666666666'")
        .await;
    let sp = sp.body["value"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        emu.post(ELIG, assign_body("adminAssign", &sp, USER_ADMIN, json!({})))
            .await
            .status,
        400
    );
    for bad in [
        json!({"action": "adminAssign"}),
        json!({"action": "fly", "principalId": carol, "roleDefinitionId": GA}),
        json!([1]),
        json!("x"),
    ] {
        let r = emu.post(ELIG, bad).await;
        assert_eq!((r.status, r.code()), (400, "BadRequest"), "{:?}", r.body);
    }
}

#[tokio::test]
async fn requests_are_purged_after_45_days_while_schedules_stay() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let r = emu
        .post(
            ASSIGN,
            assign_body(
                "adminAssign",
                &carol,
                USER_ADMIN,
                json!({"type": "noExpiration"}),
            ),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    emu.advance("P44D").await;
    assert_eq!(emu.get(&format!("{ASSIGN}/{id}")).await.status, 200);
    emu.advance("P2D").await;
    assert_eq!(emu.get(&format!("{ASSIGN}/{id}")).await.status, 404);
    let all = emu.get(ASSIGN).await;
    assert!(
        !all.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == id.as_str())
    );
    let s = emu
        .get(&format!(
            "/roleManagement/directory/roleAssignmentSchedules/{id}"
        ))
        .await;
    assert_eq!(s.status, 200, "the schedule stays");
}

#[tokio::test]
async fn granted_requests_can_be_canceled_and_others_cannot() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let start = emu.now().await + chrono::Duration::days(1);
    let r = emu.post(ASSIGN, json!({"action": "adminAssign", "principalId": carol, "roleDefinitionId": USER_ADMIN,
        "directoryScopeId": "/", "justification": "j", "scheduleInfo": {"startDateTime": start, "expiration": {"type": "noExpiration"}}})).await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let c = emu
        .call(
            "POST",
            &format!("{ASSIGN}/{id}/cancel"),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(c.status, 204);
    assert_eq!(
        emu.get(&format!("{ASSIGN}/{id}")).await.body["status"],
        "Canceled"
    );
    assert_eq!(
        emu.get(&format!(
            "/roleManagement/directory/roleAssignmentSchedules/{id}"
        ))
        .await
        .status,
        404
    );
    let c = emu
        .call(
            "POST",
            &format!("{ASSIGN}/{id}/cancel"),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(c.status, 400);
    let c = emu
        .call(
            "POST",
            &format!("{ASSIGN}/nope/cancel"),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(c.status, 404);
}

#[tokio::test]
async fn rules_are_updated_checked_and_enforced() {
    let emu = start(None).await;
    let a = emu.get(&format!("/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{GA}'")).await;
    let pid = a.body["value"][0]["policyId"].as_str().unwrap().to_string();
    let rule =
        format!("/policies/roleManagementPolicies/{pid}/rules/Expiration_EndUser_Assignment");
    let target = json!({"@odata.type": "microsoft.graph.unifiedRoleManagementPolicyRuleTarget", "caller": "EndUser",
        "operations": ["All"], "level": "Assignment", "inheritableSettings": [], "enforcedSettings": []});
    let patch = json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_EndUser_Assignment", "isExpirationRequired": true, "maximumDuration": "PT2H", "target": target});
    let r = emu.patch(&rule, patch.clone()).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert!(r.body.is_null());
    let got = emu.get(&rule).await;
    assert_eq!(got.body["maximumDuration"], "PT2H");
    assert_eq!(got.body["target"]["operations"][0], "all");
    let p = emu
        .get(&format!("/policies/roleManagementPolicies/{pid}"))
        .await;
    assert!(p.body["lastModifiedDateTime"].is_string());

    let alice = emu.user_id("alice@contoso.com").await;
    let act = json!({"action": "selfActivate", "principalId": alice, "roleDefinitionId": GA, "directoryScopeId": "/",
        "justification": "j", "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT3H"}}});
    assert_policy_failure(&emu.post_as(ASSIGN, act, &alice).await, "ExpirationRule");

    let mut wrong = patch.clone();
    wrong["@odata.type"] = json!("#microsoft.graph.unifiedRoleManagementPolicyApprovalRule");
    assert_eq!(emu.patch(&rule, wrong).await.status, 400);
    let mut no_type = patch.clone();
    no_type.as_object_mut().unwrap().remove("@odata.type");
    assert_eq!(emu.patch(&rule, no_type).await.status, 400);
    let mut bad_target = patch.clone();
    bad_target["target"]["caller"] = json!("Admin");
    assert_eq!(emu.patch(&rule, bad_target).await.status, 400);
    let unknown = emu
        .patch(
            &format!("/policies/roleManagementPolicies/{pid}/rules/Nope_Rule"),
            patch.clone(),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        emu.get(&format!(
            "/policies/roleManagementPolicies/{pid}/rules/Nope_Rule"
        ))
        .await
        .status,
        404
    );
    assert_eq!(
        emu.post(
            &format!("/policies/roleManagementPolicies/{pid}/rules"),
            patch.clone()
        )
        .await
        .status,
        405
    );
    assert_eq!(
        emu.call("DELETE", &rule, None, Some(ADMIN_TOKEN))
            .await
            .status,
        405
    );
    assert_eq!(
        emu.post("/policies/roleManagementPolicies", json!({}))
            .await
            .status,
        405
    );

    let mut p2 = patch.clone();
    p2["maximumDuration"] = json!("PT1H");
    let r = emu
        .patch(
            &format!("/policies/roleManagementPolicies/{pid}"),
            json!({"rules": [p2]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("rules").is_none());
    assert_eq!(emu.get(&rule).await.body["maximumDuration"], "PT1H");
    let r = emu
        .patch(
            &format!("/policies/roleManagementPolicies/{pid}"),
            json!({"displayName": "x"}),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_contoso_tenant_loads_with_its_four_drifts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contoso/tenant.yaml");
    let emu = start_with(pimctl::emulator::EmulatorConfig::from_seed_file(path)).await;
    let yusuf = emu.user_id("yusuf.portal@contoso.com").await;
    let ga = emu.get(&format!("/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '{GA}'&$expand=principal")).await;
    let ga = ga.body["value"].as_array().unwrap();
    assert_eq!(ga.len(), 3);
    assert!(ga.iter().any(|i| i["principalId"] == yusuf.as_str()
        && i["endDateTime"].is_null()
        && i["assignmentType"] == "Assigned"));
    let mallory = emu.user_id("mallory.contractor@contoso.com").await;
    let e = emu
        .get(&format!(
            "/roleManagement/directory/roleEligibilitySchedules?$filter=principalId eq '{mallory}'"
        ))
        .await;
    assert!(
        e.body["value"].as_array().unwrap().is_empty(),
        "the contractor's eligibility expired"
    );
    let bob = emu.user_id("bob.secops@contoso.com").await;
    let a = emu.get(&format!("/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId eq '{bob}' and assignmentType eq 'Activated'")).await;
    assert_eq!(a.body["value"][0]["roleDefinitionId"], SECURITY_ADMIN);
    let pra = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    let p = emu.get(&format!("/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{pra}'&$expand=policy($expand=rules)")).await;
    let rules = p.body["value"][0]["policy"]["rules"].as_array().unwrap();
    let approval = rules
        .iter()
        .find(|r| r["id"] == "Approval_EndUser_Assignment")
        .unwrap();
    assert_eq!(approval["setting"]["isApprovalRequired"], false);
    let olivia = emu.user_id("olivia.ciso@contoso.com").await;
    assert_eq!(
        approval["setting"]["approvalStages"][0]["primaryApprovers"][1]["userId"],
        olivia.as_str()
    );
}
