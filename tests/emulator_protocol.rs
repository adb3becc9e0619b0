//! End-to-end: paging, $batch, authentication, throttling and failures, query options, bad input, statistics,
//! headers, and the state file, over real HTTP.

mod common;
use common::*;
use pimctl::emulator::EmulatorConfig;
use serde_json::json;

const POLICIES: &str =
    "/policies/roleManagementPolicies?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'";

#[tokio::test]
async fn paging_with_a_page_size_of_one_follows_next_links() {
    let emu = start(Some(1)).await;
    let (users, pages) = emu.get_all("/users").await;
    assert_eq!((users.len(), pages), (4, 4));
    let mut ids: Vec<_> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    let (schedules, pages) = emu
        .get_all("/roleManagement/directory/roleEligibilitySchedules?$expand=principal")
        .await;
    assert_eq!(
        (schedules.len(), pages),
        (2, 2),
        "the expired eligibility is not listed"
    );
    assert!(
        schedules
            .iter()
            .all(|s| s["principal"]["@odata.type"] == "#microsoft.graph.user")
    );
    let first = emu.get(POLICIES).await;
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&emu.base) && next.contains("skiptoken"),
        "{next}"
    );
    let roles = emu
        .get("/roleManagement/directory/roleDefinitions?$top=50")
        .await;
    assert_eq!(
        roles.body["value"].as_array().unwrap().len(),
        1,
        "the server page size caps $top"
    );
    let bad = emu.get(&format!("{POLICIES}&$skiptoken=forged")).await;
    assert_eq!(bad.status, 400);

    let emu = start(None).await;
    let (policies, pages) = emu.get_all(&format!("{POLICIES}&$expand=rules")).await;
    let roles = pimctl::catalog::builtin_roles().len();
    assert_eq!(policies.len(), roles);
    assert_eq!(pages, roles.div_ceil(100), "default page size 100");
    assert!(
        policies
            .iter()
            .all(|p| p["rules"].as_array().unwrap().len() == 17)
    );
    let top = emu.get("/users?$top=3").await;
    assert_eq!(top.body["value"].as_array().unwrap().len(), 3);
    assert!(top.body["@odata.nextLink"].is_string());
}

#[tokio::test]
async fn batch_runs_each_request_and_reports_each_status() {
    let emu = start(None).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let r = emu
        .post("/$batch", json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users?$filter=userPrincipalName eq 'alice@contoso.com'"},
            {"id": "2", "method": "POST", "url": "/roleManagement/directory/roleAssignmentScheduleRequests",
             "headers": {"Content-Type": "application/json"},
             "body": {"action": "adminAssign", "principalId": carol, "roleDefinitionId": USER_ADMIN,
                      "directoryScopeId": "/", "justification": "batch", "scheduleInfo": {"expiration": {"type": "noExpiration"}}}},
            {"id": "3", "method": "GET", "url": "/nowhere"},
            {"id": "4", "method": "GET", "url": "/users", "dependsOn": ["3"]},
            {"id": "5", "method": "POST", "url": "/roleManagement/directory/roleAssignmentScheduleRequests",
             "body": {"action": "adminAssign", "principalId": carol, "roleDefinitionId": USER_ADMIN,
                      "directoryScopeId": "/", "justification": "batch", "scheduleInfo": {"expiration": {"type": "noExpiration"}}},
             "dependsOn": ["2"]}
        ]}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let statuses: Vec<u64> = r.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 201, 404, 424, 400]);
    let resp = &r.body["responses"];
    assert_eq!(
        resp[0]["body"]["value"][0]["userPrincipalName"],
        "alice@contoso.com"
    );
    assert_eq!(resp[4]["body"]["error"]["code"], "RoleAssignmentExists");
    let too_many: Vec<_> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    assert_eq!(
        emu.post("/$batch", json!({"requests": too_many}))
            .await
            .status,
        400
    );
    assert_eq!(
        emu.post("/$batch", json!({"requests": "no"})).await.status,
        400
    );
    let stats = emu.running.stats();
    assert_eq!(stats.routes["POST /v1.0/$batch"], 3);
    assert_eq!(stats.routes["GET (unknown route)"], 1);
}

#[tokio::test]
async fn missing_or_empty_bearer_tokens_get_401() {
    let emu = start(None).await;
    for token in [None, Some("")] {
        let r = emu.call("GET", "/users", None, token).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.code(), "InvalidAuthenticationToken");
        assert!(
            r.headers.contains_key("request-id") && r.headers.contains_key("client-request-id")
        );
    }
    let r = emu
        .call(
            "GET",
            "/users",
            None,
            Some("emulator:user:00000000-0000-0000-0000-000000000000"),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = emu
        .call("GET", "/users", None, Some("emulator:noperm"))
        .await;
    assert_eq!((r.status, r.code()), (403, "Authorization_RequestDenied"));
    let raw = emu
        .client
        .get(format!("{}/users", emu.base))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let ok = emu
        .client
        .get(format!("{}/users", emu.base))
        .bearer_auth("t")
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["client-request-id"], "abc-123");
    assert!(ok.headers()["request-id"].to_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let emu = start(None).await;
    let f = emu
        .control("POST", "faults", json!({"throttleRps": 0.001}))
        .await;
    assert_eq!(f["throttleRps"], 0.001);
    let r = emu.get("/users").await;
    assert_eq!(r.status, 429);
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(secs >= 1);
    assert_eq!(r.code(), "TooManyRequests");
    assert_eq!(r.body["error"]["innerError"]["status"], "429");
    assert_eq!(r.body["error"]["message"], "Please retry again later.");
    // The control endpoint is never throttled or counted.
    emu.control("POST", "faults", json!({})).await;
    assert_eq!(emu.get("/users").await.status, 200);
    assert_eq!(emu.running.stats().total, 2);
}

#[tokio::test]
async fn a_lost_answer_is_lost_after_the_write_and_a_dropped_connection_before_it() {
    let emu = start(None).await;
    let first = emu.get(&format!("{POLICIES}&$expand=rules")).await;
    let policy = &first.body["value"][0];
    let rule_of = |p: &serde_json::Value| {
        p["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "Expiration_EndUser_Assignment")
            .unwrap()
            .clone()
    };
    let mut rule = rule_of(policy);
    let path = format!(
        "/policies/roleManagementPolicies/{}/rules/Expiration_EndUser_Assignment",
        policy["id"].as_str().unwrap()
    );
    let (mut lost_after, mut dropped_before, mut unavailable) = (0, 0, 0);
    for hours in 1..=24 {
        emu.control("POST", "faults", json!({"failRate": 1.0}))
            .await;
        rule["maximumDuration"] = json!(format!("PT{hours}H"));
        let sent = emu
            .client
            .patch(format!("{}{path}", emu.base))
            .bearer_auth("t")
            .json(&rule)
            .send()
            .await;
        let status = match sent {
            Ok(r) if r.status() == 503 => Some(503),
            Ok(r) => r.text().await.ok().map(|_| 200),
            Err(_) => None,
        };
        emu.control("POST", "faults", json!({})).await;
        let now = emu.get(&path).await.body;
        let written = now["maximumDuration"] == json!(format!("PT{hours}H"));
        match (status, written) {
            (Some(503), false) => unavailable += 1,
            (None, false) => dropped_before += 1,
            (None, true) => lost_after += 1,
            other => panic!("hour {hours}: unexpected {other:?}"),
        }
    }
    assert!(
        lost_after > 0 && dropped_before > 0 && unavailable > 0,
        "{lost_after} lost after the write, {dropped_before} dropped before, {unavailable} 503s"
    );
}

#[tokio::test]
async fn the_fail_rate_gives_503s_and_dropped_or_lost_answers_from_a_seeded_rng() {
    let mut c = EmulatorConfig::from_seed_yaml(SEED).unwrap();
    c.faults.fail_rate = 1.0;
    c.rng_seed = 3;
    let emu = start_with(c).await;
    let (mut unavailable, mut dropped) = (0, 0);
    for _ in 0..12 {
        let sent = emu
            .client
            .get(format!("{}/users", emu.base))
            .bearer_auth("t")
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == 503 => {
                assert!(r.headers().contains_key("retry-after"));
                unavailable += 1;
            }
            Ok(r) => {
                assert!(
                    r.text().await.is_err(),
                    "a dropped answer cannot be read whole"
                );
                dropped += 1;
            }
            Err(_) => dropped += 1,
        }
    }
    assert!(
        unavailable > 0 && dropped > 0,
        "{unavailable} 503s, {dropped} drops"
    );
}

#[tokio::test]
async fn unsupported_query_options_get_400_never_a_silent_ignore() {
    let emu = start(None).await;
    for path in [
        "/users?$orderby=displayName",
        "/users?$search=\"alice\"",
        "/users?$filter=jobTitle eq 'x'",
        "/users?$filter=userPrincipalName eq",
        "/users?$filter=(((",
        "/users?$top=1000",
        "/users?$top=0",
        "/users?$select=password",
        "/roleManagement/directory/roleEligibilitySchedules?$expand=owners",
        "/roleManagement/directory/roleEligibilitySchedules?$filter=contains(principalId,'a')",
        "/policies/roleManagementPolicies",
        "/policies/roleManagementPolicies?$filter=scopeId eq '/'",
        "/policies/roleManagementPolicyAssignments?$filter=scopeType eq 'DirectoryRole'",
        "/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=policy($expand=owners)",
        "/roleManagement/directory/roleDefinitions/x?$top=1",
    ] {
        let r = emu.get(path).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
        assert!(!r.message().is_empty() && !r.code().is_empty(), "{path}");
    }
    let ok = emu.get("/users?$filter=userPrincipalName in ('alice@contoso.com','bob@contoso.com')&$select=id,userType,onPremisesSyncEnabled").await;
    let v = ok.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["onPremisesSyncEnabled"], true);
    assert!(
        v[0].get("displayName").is_none(),
        "$select keeps only what was asked"
    );
    assert!(
        ok.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#users(id,userType,onPremisesSyncEnabled)")
    );
    let d = emu.get("/users").await;
    assert!(
        d.body["value"][0].get("userType").is_none(),
        "Graph's default user projection"
    );
}

#[tokio::test]
async fn bad_bodies_and_paths_never_crash_the_server() {
    let emu = start(None).await;
    let paths = [
        ELIG.to_string(),
        ASSIGN.to_string(),
        "/$batch".to_string(),
        "/policies/roleManagementPolicies/x/rules/Expiration_EndUser_Assignment".to_string(),
    ];
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_vec(),
        vec![0xff, 0xfe, 0x00],
        br#"{"action": 5, "principalId": {}, "scheduleInfo": {"startDateTime": "yesterday"}}"#.to_vec(),
        br#"{"action":"adminAssign","principalId":"a","roleDefinitionId":"b","directoryScopeId":"/","scheduleInfo":{"expiration":{"type":"afterDuration","duration":"P99999999999D"}}}"#.to_vec(),
        br#"{"requests":[{"id":"1","method":"GET","url":"/$batch"}]}"#.to_vec(),
    ];
    for p in &paths {
        for b in &bodies {
            for m in ["POST", "PATCH"] {
                let r = emu
                    .client
                    .request(m.parse().unwrap(), format!("{}{p}", emu.base))
                    .bearer_auth("t")
                    .body(b.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    r.status().is_client_error() || r.status().is_success(),
                    "{m} {p}: {}",
                    r.status()
                );
            }
        }
    }
    for p in [
        "/",
        "/users/nobody",
        "/users/a/b/c/d",
        "/roleManagement/directory/roleEligibilitySchedules/none",
        "/%ZZ",
        "/groups/x/members",
    ] {
        let r = emu.get(p).await;
        assert_eq!(r.status, 404, "{p}");
        assert!(!r.code().is_empty());
    }
    assert_eq!(
        emu.call("DELETE", "/users", None, Some("t")).await.status,
        405
    );
    let raw = emu
        .client
        .get(format!(
            "{}/beta/users",
            emu.running.control_url().replace("/_emulator", "")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 404);
    assert_eq!(emu.get("/users").await.status, 200, "still serving");
}

#[tokio::test]
async fn statistics_count_route_templates_and_reset() {
    let emu = start(None).await;
    emu.control("POST", "stats/reset", json!({})).await;
    let alice = emu.user_id("alice@contoso.com").await;
    emu.get(&format!("/users/{alice}")).await;
    emu.get("/users/alice@contoso.com").await;
    let s = emu.control("GET", "stats", json!(null)).await;
    assert_eq!(s["total"], 3);
    assert_eq!(s["routes"]["GET /v1.0/users"], 1);
    assert_eq!(s["routes"]["GET /v1.0/users/{id}"], 2);
    emu.control("POST", "stats/reset", json!({})).await;
    assert_eq!(emu.running.stats().total, 0);
}

#[tokio::test]
async fn the_state_file_is_written_on_writes_and_loaded_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    let mut c = EmulatorConfig::from_seed_yaml(SEED).unwrap();
    c.state_file = Some(path.clone());
    let emu = start_with(c).await;
    let carol = emu.user_id("carol@contoso.com").await;
    let r = emu.post(ASSIGN, json!({"action": "adminAssign", "principalId": carol, "roleDefinitionId": USER_ADMIN,
        "directoryScopeId": "/", "justification": "persist", "scheduleInfo": {"expiration": {"type": "noExpiration"}}})).await;
    assert_eq!(r.status, 201);
    assert!(path.exists(), "saved after the write");
    emu.running.shutdown().await.unwrap();

    // A different seed: the state file wins.
    let mut c = EmulatorConfig::from_seed_yaml("users: []").unwrap();
    c.state_file = Some(path.clone());
    let emu = start_with(c).await;
    let s = emu
        .get(&format!(
            "/roleManagement/directory/roleAssignmentSchedules?$filter=principalId eq '{carol}'"
        ))
        .await;
    assert_eq!(s.body["value"].as_array().unwrap().len(), 1, "{:?}", s.body);
    assert_eq!(emu.user_id("carol@contoso.com").await, carol);
    std::fs::write(&path, b"not json").unwrap();
    let mut c = EmulatorConfig::from_seed_yaml("users: []").unwrap();
    c.state_file = Some(path.clone());
    let e = pimctl::emulator::Emulator::start(c)
        .await
        .err()
        .expect("a broken state file is an error");
    assert!(e.to_string().contains("tenant.json"), "{e}");
}
