//! The emulator's ARM side over real HTTP: api-version, role definitions in both spellings, policies and their
//! PATCH (with ARM's refusals), schedule requests with policy enforcement and idempotent names, schedules and
//! instances with `$filter` and inheritance, `nextLink` paging, ARM throttling headers, and the resource-group
//! lifecycle (`/_emulator/azure`).

mod common;
use common::*;
use pimctl::emulator::EmulatorConfig;
use pimctl::emulator::faults::FaultConfig;
use serde_json::{Value, json};

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const V: &str = "api-version=2020-10-01";

fn seed() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
  - {{upn: bob@contoso.com, display_name: Bob}}
groups:
  - {{name: Cloud-Approvers}}
service_principals:
  - {{name: Deployer}}
azure:
  management_groups:
    - {{name: contoso, display_name: Contoso}}
    - {{name: contoso-prod, display_name: Production, parent: contoso}}
  subscriptions:
    - {{display_name: Prod, id: {SUB}, management_group: contoso-prod}}
    - {{display_name: Dev, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: app-rg}}
    - {{subscription: Prod, name: data-rg}}
  resources:
    - /subscriptions/{SUB}/resourceGroups/app-rg/providers/Microsoft.KeyVault/vaults/kv1
  custom_roles:
    - {{name: VM Operator, actions: [Microsoft.Compute/virtualMachines/start/action], assignable_scopes: [Prod]}}
  eligible:
    - {{scope: /providers/Microsoft.Management/managementGroups/contoso, role: Reader, user: bob@contoso.com, duration: P90D}}
    - {{scope: /subscriptions/{SUB}/resourceGroups/app-rg, role: Contributor, user: alice@contoso.com, duration: P90D,
       condition: "@Resource[x] StringEquals 'y'", condition_version: "2.0"}}
  active:
    - {{scope: Prod, role: Owner, user: alice@contoso.com}}
    - {{scope: Prod, role: Reader, service_principal: Deployer}}
  policies:
    - scope: /subscriptions/{SUB}/resourceGroups/app-rg
      role: Contributor
      rules:
        Expiration_EndUser_Assignment: {{maximumDuration: PT2H}}
        Approval_EndUser_Assignment:
          setting:
            isApprovalRequired: true
            approvalStages: [{{primaryApprovers: [{{id: Cloud-Approvers, userType: Group, isBackup: false}}]}}]
"#
    )
}

async fn emu(page_size: Option<usize>) -> Emu {
    let mut c = EmulatorConfig::from_seed_yaml(&seed()).unwrap();
    c.page_size = page_size;
    start_with(c).await
}

fn host(e: &Emu) -> String {
    e.base.trim_end_matches("/v1.0").to_string()
}

async fn arm(e: &Emu, method: &str, path: &str, body: Option<Value>) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    e.call(
        method,
        &format!("{}{path}{sep}{V}", host(e)),
        body,
        Some(ADMIN_TOKEN),
    )
    .await
}

fn sub_scope() -> String {
    format!("/subscriptions/{SUB}")
}
fn rg_scope() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/app-rg")
}
const AUTHZ: &str = "/providers/Microsoft.Authorization";

/// Every item of a list, following `nextLink`; the number of pages.
async fn all(e: &Emu, path: &str) -> (Vec<Value>, usize) {
    let mut r = arm(e, "GET", path, None).await;
    let mut items = vec![];
    let mut pages = 1;
    loop {
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        let Some(next) = r.body["nextLink"].as_str() else {
            break;
        };
        assert!(
            next.starts_with(&host(e)),
            "nextLink stays on the host: {next}"
        );
        r = e.call("GET", next, None, Some(ADMIN_TOKEN)).await;
        pages += 1;
        assert!(pages < 100);
    }
    (items, pages)
}

#[tokio::test]
async fn api_version_is_required_and_errors_are_cloud_errors() {
    let e = emu(None).await;
    let url = format!("{}{}{AUTHZ}/roleManagementPolicies", host(&e), sub_scope());
    let r = e.call("GET", &url, None, Some(ADMIN_TOKEN)).await;
    assert_eq!((r.status, r.code()), (400, "MissingApiVersionParameter"));
    assert_eq!(
        r.body["error"].as_object().unwrap().len(),
        2,
        "only code and message: {}",
        r.body
    );
    let r = e
        .call(
            "GET",
            &format!("{url}?api-version=2019-01-01"),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "NoRegisteredProviderFound"));
    let r = e.call("GET", &format!("{url}?{V}"), None, None).await;
    assert_eq!((r.status, r.code()), (401, "AuthenticationFailed"));
    assert!(
        r.headers
            .contains_key("x-ms-ratelimit-remaining-subscription-reads")
    );
    let r = arm(
        &e,
        "GET",
        &format!(
            "/subscriptions/bbbbbbbb-0000-4000-8000-000000000009{AUTHZ}/roleManagementPolicies"
        ),
        None,
    )
    .await;
    assert_eq!((r.status, r.code()), (404, "SubscriptionNotFound"));
    let r = arm(
        &e,
        "GET",
        &format!(
            "{}/resourceGroups/nope{AUTHZ}/roleEligibilitySchedules",
            sub_scope()
        ),
        None,
    )
    .await;
    assert_eq!((r.status, r.code()), (404, "ResourceGroupNotFound"));
    let r = arm(
        &e,
        "DELETE",
        &format!("{}{AUTHZ}/roleManagementPolicies", sub_scope()),
        None,
    )
    .await;
    assert_eq!(r.status, 405);
    let r = arm(
        &e,
        "GET",
        &format!("{}{AUTHZ}/roleEligibilitySchedules?$orderby=x", sub_scope()),
        None,
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidQueryParameter"));
}

#[tokio::test]
async fn role_definitions_in_both_spellings_are_the_same_role() {
    let e = emu(None).await;
    let tenant = arm(&e, "GET", &format!("{AUTHZ}/roleDefinitions/{OWNER}"), None).await;
    let scoped = arm(
        &e,
        "GET",
        &format!("{}{AUTHZ}/roleDefinitions/{OWNER}", sub_scope()),
        None,
    )
    .await;
    assert_eq!((tenant.status, scoped.status), (200, 200));
    assert_eq!(tenant.body["name"], scoped.body["name"]);
    assert_eq!(tenant.body["properties"]["roleName"], "Owner");
    assert_eq!(
        tenant.body["id"],
        format!("{AUTHZ}/roleDefinitions/{OWNER}")
    );
    assert_eq!(
        scoped.body["id"],
        format!("{}{AUTHZ}/roleDefinitions/{OWNER}", sub_scope())
    );
    // A custom role is visible where it is assignable, and not elsewhere.
    let (at_prod, _) = all(
        &e,
        &format!(
            "{}{AUTHZ}/roleDefinitions?$filter=roleName eq 'VM Operator'",
            rg_scope()
        ),
    )
    .await;
    assert_eq!(at_prod.len(), 1);
    assert_eq!(at_prod[0]["properties"]["type"], "CustomRole");
    let dev = "/providers/Microsoft.Management/managementGroups/contoso";
    let (at_mg, _) = all(
        &e,
        &format!("{dev}{AUTHZ}/roleDefinitions?$filter=roleName eq 'VM Operator'"),
    )
    .await;
    assert!(at_mg.is_empty());
}

#[tokio::test]
async fn policies_start_from_microsofts_defaults_and_patch_like_arm() {
    let e = emu(None).await;
    let (policies, _) = all(
        &e,
        &format!("{}{AUTHZ}/roleManagementPolicies", sub_scope()),
    )
    .await;
    let builtins = pimctl::azure_catalog::builtin_roles().len();
    assert_eq!(
        policies.len(),
        builtins + 1,
        "one policy per role, the custom role included"
    );
    let owner_assignment = all(&e, &format!(
        "{}{AUTHZ}/roleManagementPolicyAssignments?$filter=roleDefinitionId eq '{}{AUTHZ}/roleDefinitions/{OWNER}'",
        sub_scope(), sub_scope()
    ))
    .await
    .0;
    assert_eq!(owner_assignment.len(), 1);
    let policy_id = owner_assignment[0]["properties"]["policyId"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = arm(&e, "GET", &policy_id, None).await;
    assert_eq!(policy.status, 200);
    let props = &policy.body["properties"];
    assert_eq!(props["rules"].as_array().unwrap().len(), 17);
    assert_eq!(props["effectiveRules"], props["rules"]);
    assert_eq!(props["policyProperties"]["scope"]["displayName"], "Prod");
    let rule = |v: &Value, id: &str| {
        v["properties"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        rule(&policy.body, "Expiration_Admin_Eligibility")["maximumDuration"],
        "P365D"
    );

    // A partial PATCH: one rule; the answer is the whole policy.
    let target = |caller: &str, level: &str| json!({"caller": caller, "operations": ["All"], "level": level, "targetObjects": null, "inheritableSettings": null, "enforcedSettings": null});
    let patch = json!({"properties": {"rules": [{"isExpirationRequired": true, "maximumDuration": "PT1H",
        "id": "Expiration_EndUser_Assignment", "ruleType": "RoleManagementPolicyExpirationRule", "target": target("EndUser", "Assignment")}]}});
    let r = arm(&e, "PATCH", &policy_id, Some(patch)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["rules"].as_array().unwrap().len(), 17);
    assert_eq!(
        rule(&r.body, "Expiration_EndUser_Assignment")["maximumDuration"],
        "PT1H"
    );
    assert_eq!(
        rule(&r.body, "Expiration_Admin_Eligibility")["maximumDuration"],
        "P365D"
    );
    assert!(r.body["properties"]["lastModifiedDateTime"].is_string());

    // EasyPIM#272: maximumDuration sent while expiry is not required.
    let bad = json!({"properties": {"rules": [{"isExpirationRequired": false, "maximumDuration": "P365D",
        "id": "Expiration_Admin_Assignment", "ruleType": "RoleManagementPolicyExpirationRule", "target": target("Admin", "Assignment")}]}});
    let r = arm(&e, "PATCH", &policy_id, Some(bad)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Without it, permanent active assignment is allowed; the stored maximum stays, as ARM's answers show.
    let good = json!({"properties": {"rules": [{"isExpirationRequired": false,
        "id": "Expiration_Admin_Assignment", "ruleType": "RoleManagementPolicyExpirationRule", "target": target("Admin", "Assignment")}]}});
    let r = arm(&e, "PATCH", &policy_id, Some(good)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let exp = rule(&r.body, "Expiration_Admin_Assignment");
    assert_eq!(
        (
            exp["isExpirationRequired"].clone(),
            exp["maximumDuration"].clone()
        ),
        (json!(false), json!("P180D"))
    );
    // azurerm#33068: ticketing on active assignment.
    let bad = json!({"properties": {"rules": [{"enabledRules": ["Justification", "Ticketing"],
        "id": "Enablement_Admin_Assignment", "ruleType": "RoleManagementPolicyEnablementRule", "target": target("Admin", "Assignment")}]}});
    let r = arm(&e, "PATCH", &policy_id, Some(bad)).await;
    assert_eq!((r.status, r.code()), (400, "InvalidPolicyEnabledRules"));
    // A rule with the wrong target, and a wrong policy name.
    let bad = json!({"properties": {"rules": [{"isExpirationRequired": true, "maximumDuration": "P30D",
        "id": "Expiration_Admin_Assignment", "ruleType": "RoleManagementPolicyExpirationRule", "target": target("Admin", "Eligibility")}]}});
    assert_eq!(arm(&e, "PATCH", &policy_id, Some(bad)).await.status, 400);
    let wrong = format!(
        "{}{AUTHZ}/roleManagementPolicies/00000000-0000-4000-8000-000000000000",
        sub_scope()
    );
    let r = arm(
        &e,
        "PATCH",
        &wrong,
        Some(json!({"properties": {"rules": []}})),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InputPolicyNotFound"));
    // The same policy at another scope is untouched: ARM does not inherit settings.
    let rg_owner = all(&e, &format!("{}{AUTHZ}/roleManagementPolicies", rg_scope()))
        .await
        .0;
    let rg_policy = rg_owner
        .iter()
        .find(|p| {
            p["properties"]["rules"].as_array().is_some()
                && p["id"].as_str().unwrap().contains("app-rg")
        })
        .unwrap();
    assert_ne!(rg_policy["name"], policy.body["name"]);
}

fn request(kind: &str, principal: &str, role: &str, extra: Value) -> Value {
    let mut p = json!({"principalId": principal, "roleDefinitionId": format!("/subscriptions/{SUB}{AUTHZ}/roleDefinitions/{role}"), "requestType": kind});
    if let (Value::Object(m), Value::Object(x)) = (&mut p, extra) {
        m.extend(x);
    }
    json!({"properties": p})
}

#[tokio::test]
async fn schedule_requests_are_enforced_and_a_resent_name_is_the_same_request() {
    let e = emu(None).await;
    let bob = e.user_id("bob@contoso.com").await;
    let coll = format!("{}{AUTHZ}/roleEligibilityScheduleRequests", sub_scope());
    let name = "6d6a2cb7-1f1f-4a3c-9a43-2f2d0a8c2a11";
    // The untouched policy requires eligibility to expire within a year.
    let r = arm(
        &e,
        "PUT",
        &format!("{coll}/{name}"),
        Some(request(
            "AdminAssign",
            &bob,
            OWNER,
            json!({"scheduleInfo": {"expiration": {"type": "NoExpiration"}}}),
        )),
    )
    .await;
    assert_eq!(
        (r.status, r.message()),
        (
            400,
            "The following policy rules failed: [\"ExpirationRule\"]"
        )
    );
    assert_eq!(r.code(), "RoleAssignmentRequestPolicyValidationFailed");
    let body = request(
        "AdminAssign",
        &bob,
        OWNER,
        json!({"scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "P180D"}},
        "condition": "@Resource[x] StringEquals 'y'", "conditionVersion": "2.0"}),
    );
    let first = arm(&e, "PUT", &format!("{coll}/{name}"), Some(body.clone())).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["properties"]["status"], "Provisioned");
    assert_eq!(first.body["properties"]["requestType"], "AdminAssign");
    assert_eq!(
        first.body["type"],
        "Microsoft.Authorization/RoleEligibilityScheduleRequests"
    );
    let again = arm(&e, "PUT", &format!("{coll}/{name}"), Some(body)).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the same request, answered again");
    let (eligible, _) = all(
        &e,
        &format!(
            "{}{AUTHZ}/roleEligibilitySchedules?$filter=principalId eq '{bob}'",
            sub_scope()
        ),
    )
    .await;
    let owners: Vec<_> = eligible
        .iter()
        .filter(|s| {
            s["properties"]["roleDefinitionId"]
                .as_str()
                .unwrap()
                .ends_with(OWNER)
        })
        .collect();
    assert_eq!(owners.len(), 1, "no duplicate");
    assert_eq!(
        owners[0]["properties"]["condition"],
        "@Resource[x] StringEquals 'y'"
    );
    // A new name for the same assignment is a duplicate.
    let dup = arm(
        &e,
        "PUT",
        &format!("{coll}/0e1d7a55-9c1f-4d83-a6f1-5a5d1c2b3c44"),
        Some(request(
            "AdminAssign",
            &bob,
            OWNER,
            json!({"scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "P30D"}}}),
        )),
    )
    .await;
    assert_eq!((dup.status, dup.code()), (409, "RoleAssignmentExists"));
    // Active assignment needs a justification under the untouched policy; a service principal cannot be eligible.
    let active = format!(
        "{}{AUTHZ}/roleAssignmentScheduleRequests/9f0c7a55-9c1f-4d83-a6f1-5a5d1c2b3c45",
        sub_scope()
    );
    let r = arm(
        &e,
        "PUT",
        &active,
        Some(request(
            "AdminAssign",
            &bob,
            READER,
            json!({"scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "P30D"}}}),
        )),
    )
    .await;
    assert_eq!(
        r.message(),
        "The following policy rules failed: [\"JustificationRule\"]"
    );
    // Removal.
    let rm = arm(
        &e,
        "PUT",
        &format!("{coll}/1a2b3c4d-0000-4000-8000-00000000000a"),
        Some(request("AdminRemove", &bob, OWNER, json!({}))),
    )
    .await;
    assert_eq!(
        (rm.status, rm.body["properties"]["status"].as_str()),
        (201, Some("Revoked"))
    );
    let rm = arm(
        &e,
        "PUT",
        &format!("{coll}/1a2b3c4d-0000-4000-8000-00000000000b"),
        Some(request("AdminRemove", &bob, OWNER, json!({}))),
    )
    .await;
    assert_eq!(rm.code(), "RoleAssignmentDoesNotExist");
}

#[tokio::test]
async fn lists_cover_the_scopes_above_and_below_and_page_with_next_link() {
    let e = emu(Some(1)).await;
    let bob = e.user_id("bob@contoso.com").await;
    let alice = e.user_id("alice@contoso.com").await;
    // At the subscription: Bob's Reader from the root management group (inherited), Alice's Contributor on app-rg
    // (below, direct).
    let (items, pages) = all(
        &e,
        &format!("{}{AUTHZ}/roleEligibilitySchedules", sub_scope()),
    )
    .await;
    assert_eq!((items.len(), pages), (2, 2));
    let of = |who: &str| {
        items
            .iter()
            .find(|s| s["properties"]["principalId"] == who)
            .unwrap()
            .clone()
    };
    let inherited = of(&bob);
    assert_eq!(inherited["properties"]["memberType"], "Inherited");
    assert_eq!(
        inherited["properties"]["scope"],
        "/providers/Microsoft.Management/managementGroups/contoso"
    );
    assert_eq!(of(&alice)["properties"]["memberType"], "Direct");
    assert_eq!(of(&alice)["properties"]["scope"], rg_scope());
    // atScope(): at and above only.
    let (at, _) = all(
        &e,
        &format!(
            "{}{AUTHZ}/roleEligibilitySchedules?$filter=atScope()",
            sub_scope()
        ),
    )
    .await;
    assert_eq!(at.len(), 1);
    assert_eq!(at[0]["properties"]["principalId"], json!(bob));
    // Instances: what is in effect.
    let (inst, _) = all(
        &e,
        &format!("{}{AUTHZ}/roleAssignmentScheduleInstances", sub_scope()),
    )
    .await;
    assert_eq!(inst.len(), 2, "Alice's Owner and the Deployer's Reader");
    assert!(
        inst.iter()
            .all(|i| i["properties"]["assignmentType"] == "Assigned")
    );
    // Another subscription sees only what the shared management group holds.
    let (dev, _) = all(&e, &format!("/providers/Microsoft.Management/managementGroups/contoso-prod{AUTHZ}/roleEligibilitySchedules?$filter=atScope()")).await;
    assert_eq!(dev.len(), 1);
}

#[tokio::test]
async fn activation_follows_the_policy_at_its_scope() {
    let e = emu(None).await;
    let alice = e.user_id("alice@contoso.com").await;
    let contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    let path = format!(
        "{}{AUTHZ}/roleAssignmentScheduleRequests/5e5e5e5e-0000-4000-8000-000000000001",
        rg_scope()
    );
    let body = |dur: &str, why: Option<&str>| {
        let mut b = request(
            "SelfActivate",
            &alice,
            contributor,
            json!({"scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": dur}}}),
        );
        if let Some(w) = why {
            b["properties"]["justification"] = json!(w);
        }
        b
    };
    let me = format!("emulator:user:{alice}");
    let url = format!("{}{path}?{V}", host(&e));
    let r = e
        .call("PUT", &url, Some(body("PT4H", Some("deploy"))), Some(&me))
        .await;
    assert_eq!(
        r.message(),
        "The following policy rules failed: [\"ExpirationRule\"]",
        "PT2H at app-rg"
    );
    let r = e
        .call("PUT", &url, Some(body("PT1H", None)), Some(&me))
        .await;
    assert_eq!(
        r.message(),
        "The following policy rules failed: [\"JustificationRule\"]"
    );
    let r = e
        .call("PUT", &url, Some(body("PT1H", Some("deploy"))), Some(&me))
        .await;
    assert_eq!(
        (r.status, r.body["properties"]["status"].as_str()),
        (201, Some("PendingApproval"))
    );
    let pending = r.body.clone();
    let r = e
        .call("PUT", &url, Some(body("PT1H", Some("deploy"))), Some(&me))
        .await;
    assert_eq!(
        (r.status, &r.body),
        (200, &pending),
        "a resent request is the same one"
    );
    let mut other = body("PT1H", Some("deploy"));
    other["properties"]["requestType"] = json!("AdminAssign");
    let r = arm(&e, "PUT", &path, Some(other)).await;
    assert_eq!(
        r.status, 409,
        "the name with other properties is refused: {}",
        r.body
    );
}

#[tokio::test]
async fn throttling_answers_like_arm() {
    let e = emu(None).await;
    e.running.set_faults(FaultConfig {
        throttle_rps: Some(1.0),
        ..Default::default()
    });
    let path = format!("{}{AUTHZ}/roleEligibilitySchedules", sub_scope());
    let first = arm(&e, "GET", &path, None).await;
    assert_eq!(first.status, 200);
    let second = arm(&e, "GET", &path, None).await;
    assert_eq!(
        (second.status, second.code()),
        (429, "SubscriptionRequestsThrottled")
    );
    assert!(
        second.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        second.headers["x-ms-ratelimit-remaining-subscription-reads"],
        "0"
    );
    e.running.set_faults(FaultConfig::default());
    let r = arm(&e, "GET", &path, None).await;
    let left: u64 = r.headers["x-ms-ratelimit-remaining-subscription-reads"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(left < pimctl::emulator::faults::ARM_READS_PER_HOUR);
    let stats = e.running.stats();
    assert_eq!(
        stats.routes["GET /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleEligibilitySchedules"],
        3
    );
}

/// `armThrottleRps`: ARM throttles apart from Graph, each with its own bucket and its own 429.
#[tokio::test]
async fn arm_has_its_own_throttle_apart_from_graphs() {
    let e = emu(None).await;
    e.running.set_faults(FaultConfig {
        throttle_rps: Some(1.0),
        arm_throttle_rps: Some(1.0),
        ..Default::default()
    });
    let path = format!("{}{AUTHZ}/roleEligibilitySchedules", sub_scope());
    assert_eq!(arm(&e, "GET", &path, None).await.status, 200);
    let second = arm(&e, "GET", &path, None).await;
    assert_eq!(
        (second.status, second.code()),
        (429, "SubscriptionRequestsThrottled")
    );
    assert_eq!(
        second.headers["x-ms-ratelimit-remaining-subscription-reads"],
        "0"
    );
    // ARM's bucket is empty; Graph's token is still there.
    let graph = "/roleManagement/directory/roleDefinitions";
    assert_eq!(
        e.call("GET", graph, None, Some(ADMIN_TOKEN)).await.status,
        200
    );
    let throttled = e.call("GET", graph, None, Some(ADMIN_TOKEN)).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.body["error"]["code"], "TooManyRequests");
    assert_eq!(e.running.stats().throttled, 2);
}

#[tokio::test]
async fn a_redeployed_resource_group_starts_from_defaults() {
    let e = emu(None).await;
    let rg_sched = format!(
        "{}{AUTHZ}/roleEligibilitySchedules?$filter=atScope()",
        rg_scope()
    );
    let contributor_policy = |policies: &[Value]| {
        policies
            .iter()
            .find(|p| {
                p["properties"]["rules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| {
                        r["id"] == "Expiration_EndUser_Assignment" && r["maximumDuration"] == "PT2H"
                    })
            })
            .cloned()
    };
    let (before, _) = all(&e, &format!("{}{AUTHZ}/roleManagementPolicies", rg_scope())).await;
    let changed = contributor_policy(&before).expect("the seeded PT2H policy");
    assert_eq!(
        all(&e, &rg_sched).await.0.len(),
        2,
        "Alice's own, and Bob's inherited"
    );
    let control = e.running.control_url();
    let client = reqwest::Client::new();
    let rg = format!("{control}/azure/subscriptions/{SUB}/resourceGroups/app-rg");
    assert_eq!(client.delete(&rg).send().await.unwrap().status(), 204);
    let gone = arm(
        &e,
        "GET",
        &format!("{}{AUTHZ}/roleEligibilitySchedules", rg_scope()),
        None,
    )
    .await;
    assert_eq!((gone.status, gone.code()), (404, "ResourceGroupNotFound"));
    assert_eq!(client.put(&rg).send().await.unwrap().status(), 201);
    let (after, _) = all(&e, &format!("{}{AUTHZ}/roleManagementPolicies", rg_scope())).await;
    assert!(
        contributor_policy(&after).is_none(),
        "the policy is back to defaults"
    );
    let same = after
        .iter()
        .find(|p| p["name"] == changed["name"])
        .expect("the policy keeps its name");
    assert!(same["properties"]["lastModifiedDateTime"].is_null());
    let (left, _) = all(&e, &rg_sched).await;
    assert_eq!(left.len(), 1, "only the inherited eligibility remains");
    assert_eq!(left[0]["properties"]["memberType"], "Inherited");
    assert_eq!(client.put(&rg).send().await.unwrap().status(), 409);
}

/// Every item of one of the hierarchy lists (its own api-version), following `nextLink`; the number of pages.
async fn listed(e: &Emu, path: &str) -> (Vec<Value>, usize) {
    let mut url = format!("{}{path}", host(e));
    let mut items = vec![];
    let mut pages = 0;
    loop {
        let r = e.call("GET", &url, None, Some(ADMIN_TOKEN)).await;
        assert_eq!(r.status, 200, "{url}: {:?}", r.body);
        pages += 1;
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        let Some(next) = r.body["nextLink"].as_str() else {
            break;
        };
        assert!(next.starts_with(&host(e)), "nextLink stays on the host");
        url = next.to_string();
        assert!(pages < 100);
    }
    (items, pages)
}

#[tokio::test]
async fn resource_groups_and_descendants_are_listed_as_the_tenant_is_now() {
    use pimctl::graph::arm::hierarchy::{descendants_path, resource_groups_path};
    let e = emu(Some(1)).await;
    // A subscription's resource groups, one page each.
    let (rgs, pages) = listed(&e, &resource_groups_path(SUB)).await;
    let names: Vec<&str> = rgs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!((names.clone(), pages), (vec!["app-rg", "data-rg"], 2));
    assert_eq!(
        rgs[0]["id"],
        format!("/subscriptions/{SUB}/resourceGroups/app-rg")
    );
    assert_eq!(rgs[0]["type"], "Microsoft.Resources/resourceGroups");
    assert_eq!(rgs[0]["properties"]["provisioningState"], "Succeeded");
    // The redeploy lifecycle: a resource group created through /_emulator is listed, a deleted one is not.
    let control = e.running.control_url();
    let client = reqwest::Client::new();
    let new = format!("{control}/azure/subscriptions/{SUB}/resourceGroups/new-rg");
    assert_eq!(client.put(&new).send().await.unwrap().status(), 201);
    let gone = format!("{control}/azure/subscriptions/{SUB}/resourceGroups/data-rg");
    assert_eq!(client.delete(&gone).send().await.unwrap().status(), 204);
    let (rgs, _) = listed(&e, &resource_groups_path(SUB)).await;
    let names: Vec<&str> = rgs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["app-rg", "new-rg"]);
    // A management group's descendants at any depth, each with its parent.
    let (below, pages) = listed(&e, &descendants_path("contoso")).await;
    assert_eq!(pages, 3);
    let seen: Vec<(&str, &str, &str)> = below
        .iter()
        .map(|d| {
            (
                d["type"].as_str().unwrap(),
                d["id"].as_str().unwrap(),
                d["properties"]["parent"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    let mg = "/providers/Microsoft.Management/managementGroups/";
    assert_eq!(
        seen[0],
        (
            "Microsoft.Management/managementGroups",
            &*format!("{mg}contoso-prod"),
            &*format!("{mg}contoso")
        )
    );
    assert_eq!(
        seen[1],
        (
            "Microsoft.Management/managementGroups/subscriptions",
            &*format!("/subscriptions/{SUB}"),
            &*format!("{mg}contoso-prod")
        )
    );
    assert_eq!(
        seen[2].0,
        "Microsoft.Management/managementGroups/subscriptions"
    );
    assert_eq!(seen[2].2, format!("{mg}contoso"));
    assert_eq!(below[1]["name"], SUB);
    assert_eq!(below[1]["properties"]["displayName"], "Prod");
    let (leaf, _) = listed(&e, &descendants_path("contoso-prod")).await;
    assert_eq!(leaf.len(), 1);
    // ARM's refusals: the api-version, an unknown parent, another method.
    let missing = e
        .call(
            "GET",
            &format!("{}/subscriptions/{SUB}/resourcegroups", host(&e)),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (400, "MissingApiVersionParameter")
    );
    let wrong = e
        .call(
            "GET",
            &format!("{}/subscriptions/{SUB}/resourcegroups?{V}", host(&e)),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (400, "NoRegisteredProviderFound")
    );
    let nowhere = e
        .call(
            "GET",
            &format!("{}{}", host(&e), descendants_path("nowhere")),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(
        (nowhere.status, nowhere.code()),
        (404, "ManagementGroupNotFound")
    );
    let other = uuid::Uuid::new_v4().to_string();
    let no_sub = e
        .call(
            "GET",
            &format!("{}{}", host(&e), resource_groups_path(&other)),
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(
        (no_sub.status, no_sub.code()),
        (404, "SubscriptionNotFound")
    );
    let post = e
        .call(
            "POST",
            &format!("{}{}", host(&e), resource_groups_path(SUB)),
            Some(json!({})),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(post.status, 405);
    // Counted under their route templates.
    let stats = e.running.stats();
    assert_eq!(
        stats.routes["GET /subscriptions/{subscriptionId}/resourcegroups"], 7,
        "2 pages, 2 pages, and three refusals"
    );
    assert_eq!(
        stats.routes["GET /providers/Microsoft.Management/managementGroups/{groupId}/descendants"],
        5
    );
}

#[tokio::test]
async fn seed_mistakes_name_the_entry() {
    let cases = [
        (
            "azure: {subscriptions: [{display_name: A, management_group: nope}]}",
            "azure.subscriptions[0] (A): 'nope' is not a management group",
        ),
        (
            "azure: {subscriptions: [{display_name: A}, {display_name: A}]}",
            "used twice",
        ),
        (
            "azure: {subscriptions: [{display_name: A}], eligible: [{scope: A, role: Ownr, user: x@y}]}",
            "'Ownr' is not an Azure role",
        ),
        (
            "azure: {resource_groups: [{subscription: Nope, name: rg}]}",
            "azure.resource_groups[0] (rg)",
        ),
        (
            "azure: {subscriptions: [{display_name: A}], policies: [{scope: A, role: Owner, rules: {Expiration_Admin_Assignment: {isExpirationRequired: true, maximumDuration: P0D}}}]}",
            "maximumDuration",
        ),
        ("azure: {oops: 1}", "unknown field"),
    ];
    for (text, want) in cases {
        let err = match EmulatorConfig::from_seed_yaml(text) {
            Err(e) => e.to_string(),
            Ok(c) => match c.tenant {
                pimctl::emulator::TenantSource::Seed { seed, origin } => {
                    seed.build(&origin).unwrap_err().to_string()
                }
                _ => unreachable!(),
            },
        };
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// The text of every page of a list, following `nextLink`, as the emulator sent it.
async fn pages_text(e: &Emu, path: &str) -> Vec<String> {
    let mut url = format!("{}{path}?{V}", host(e));
    let mut pages = vec![];
    loop {
        let r = e
            .client
            .get(&url)
            .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let text = r.text().await.unwrap();
        let next = serde_json::from_str::<Value>(&text).unwrap()["nextLink"]
            .as_str()
            .map(str::to_string);
        pages.push(text);
        match next {
            Some(n) => url = n,
            None => return pages,
        }
        assert!(pages.len() < 100);
    }
}

/// ARM's policy lists are answered from renderings kept between requests (`emulator::cache`): the same bytes as
/// the policies written afresh (each through its JSON tree, as before they were kept), page by page, and every
/// write (ARM's PATCH, the resource-group lifecycle of `/_emulator/azure`, a change made in-process) shows in the
/// next read.
#[tokio::test]
async fn kept_policy_renderings_are_the_same_bytes_and_follow_every_write() {
    use pimctl::graph::arm::ArmScope;
    for page_size in [None, Some(7)] {
        let e = emu(page_size).await;
        let list = format!("{}{AUTHZ}/roleManagementPolicies", rg_scope());
        // Afresh, as before renderings were kept: each item through its JSON tree.
        let scope = ArmScope::parse(&rg_scope()).unwrap();
        let fresh: Vec<Value> = e.running.with_state(|st| {
            st.arm
                .roles_at(&scope)
                .iter()
                .map(|r| pimctl::emulator::arm::routes::policy_json(st, &scope, &r.guid))
                .collect()
        });
        let cold = pages_text(&e, &list).await;
        let (kept, bytes) = e.running.renderings();
        let sent: usize = cold.iter().map(String::len).sum();
        assert!(kept > 0, "the renderings are kept");
        assert!(
            bytes * 4 < sent,
            "the rules are kept once, not twice a policy: {bytes} bytes kept for {sent} sent"
        );
        let warm = pages_text(&e, &list).await;
        assert_eq!(cold, warm, "a kept rendering is the same bytes");
        let size = page_size.unwrap_or(pimctl::emulator::DEFAULT_PAGE_SIZE);
        assert_eq!(cold.len(), fresh.len().div_ceil(size));
        for (i, text) in cold.iter().enumerate() {
            let items: Vec<String> = fresh
                .iter()
                .skip(i * size)
                .take(size)
                .map(|v| serde_json::to_string(v).unwrap())
                .collect();
            let page: Value = serde_json::from_str(text).unwrap();
            let link = match page["nextLink"].as_str() {
                Some(n) => format!(",\"nextLink\":{}", serde_json::to_string(n).unwrap()),
                None => String::new(),
            };
            assert_eq!(
                *text,
                format!("{{\"value\":[{}]{link}}}", items.join(",")),
                "page {i}: the bytes of the JSON tree, field for field"
            );
        }

        let maximum = |items: &[Value], name: &Value| {
            items.iter().find(|p| p["name"] == *name).unwrap()["properties"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == "Expiration_EndUser_Assignment")
                .unwrap()["maximumDuration"]
                .clone()
        };
        let owner = fresh
            .iter()
            .find(|p| {
                p["properties"]["rules"].as_array().is_some()
                    && p["id"].as_str().unwrap().contains("app-rg")
            })
            .unwrap()
            .clone();
        let name = owner["name"].clone();
        // A PATCH over ARM: the next list shows it.
        let target = json!({"caller": "EndUser", "operations": ["All"], "level": "Assignment"});
        let patch = json!({"properties": {"rules": [{"isExpirationRequired": true, "maximumDuration": "PT3H",
            "id": "Expiration_EndUser_Assignment", "ruleType": "RoleManagementPolicyExpirationRule", "target": target}]}});
        let policy = owner["id"].as_str().unwrap().to_string();
        assert_eq!(arm(&e, "PATCH", &policy, Some(patch)).await.status, 200);
        let (after, _) = all(&e, &list).await;
        assert_eq!(
            maximum(&after, &name),
            "PT3H",
            "a PATCH shows in the next list"
        );
        // The resource group deleted and re-created (/_emulator/azure): back to Microsoft's defaults.
        let rg = format!(
            "{}/azure/subscriptions/{SUB}/resourceGroups/app-rg",
            e.running.control_url()
        );
        assert_eq!(e.client.delete(&rg).send().await.unwrap().status(), 204);
        assert_eq!(e.client.put(&rg).send().await.unwrap().status(), 201);
        let (after, _) = all(&e, &list).await;
        assert_ne!(
            maximum(&after, &name),
            "PT3H",
            "a redeploy shows in the next list"
        );
        // A change made in-process: the subscription's display name, which every policy names.
        let sub_list = format!("{}{AUTHZ}/roleManagementPolicies", sub_scope());
        assert!(
            all(&e, &sub_list)
                .await
                .0
                .iter()
                .all(|p| p["properties"]["policyProperties"]["scope"]["displayName"] == "Prod")
        );
        e.running
            .with_state(|st| st.arm.subscriptions[0].display_name = "Renamed".into());
        let (after, _) = all(&e, &sub_list).await;
        assert!(
            after
                .iter()
                .all(|p| p["properties"]["policyProperties"]["scope"]["displayName"] == "Renamed"),
            "a change through with_state shows in the next list"
        );
    }
}
