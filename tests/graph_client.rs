//! The Graph client over real HTTP: against the in-process emulator (paging, $batch, throttling, failures, 401,
//! 403) and against tiny local servers that answer badly on purpose (malformed JSON, broken next links, cut-off
//! answers to writes). No assertion depends on timing; retries use millisecond delays.

mod common;
use common::bad_server::{answer, bad_server, handler};
use common::*;
use pimctl::emulator::faults::FaultConfig;
use pimctl::graph::client::{
    ClientError, GraphClient, GraphConfig, RetryConfig, StaticToken, decode_batch_item,
};
use pimctl::graph::{
    BatchRequestItem, UnifiedRoleDefinition, UnifiedRoleEligibilitySchedule,
    UnifiedRoleManagementPolicy, User,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const SECRET: &str = "pimctl-test-token-7f3a9c";
const POLICIES: &str =
    "/policies/roleManagementPolicies?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'";

fn client_with(base: &str, token: &str, retry: RetryConfig, concurrency: usize) -> GraphClient {
    let mut c = GraphConfig::new(base, Arc::new(StaticToken::new(token)));
    c.retry = retry;
    c.max_concurrency = concurrency;
    GraphClient::new(c).expect("the client builds")
}

/// A client with fast retries (every wait at most 5 ms).
fn client(base: &str, token: &str) -> GraphClient {
    client_with(
        base,
        token,
        RetryConfig::fast(6, Duration::from_millis(5)),
        4,
    )
}

fn emulator_requests(emu: &Emu, route: &str) -> u64 {
    emu.running.stats().routes.get(route).copied().unwrap_or(0)
}

#[tokio::test]
async fn paging_with_a_page_size_of_one_reads_every_page_once() {
    let emu = start(Some(1)).await;
    let c = client(&emu.base, SECRET);
    let users: Vec<User> = c.list_all("/users").await.unwrap();
    let mut upns: Vec<_> = users
        .iter()
        .map(|u| u.user_principal_name.clone().unwrap())
        .collect();
    upns.sort();
    assert_eq!(
        upns,
        [
            "admin@contoso.com",
            "alice@contoso.com",
            "bob@contoso.com",
            "carol@contoso.com"
        ]
    );
    assert_eq!(c.stats().pages, 4);
    assert_eq!(emulator_requests(&emu, "GET /v1.0/users"), 4);

    let schedules: Vec<UnifiedRoleEligibilitySchedule> = c
        .list_all("/roleManagement/directory/roleEligibilitySchedules?$expand=principal")
        .await
        .unwrap();
    assert_eq!(schedules.len(), 2);
    assert_eq!(c.stats().pages, 6);
    assert_eq!(c.stats().retries, 0);
    assert_eq!(c.request_count(), emu.running.stats().total);

    let one: UnifiedRoleDefinition = c
        .get_json(&format!("/roleManagement/directory/roleDefinitions/{GA}"))
        .await
        .unwrap();
    assert_eq!(one.display_name.as_deref(), Some("Global Administrator"));
}

#[tokio::test]
async fn a_batch_of_45_lookups_takes_3_batches_and_keeps_the_order() {
    let emu = start(None).await;
    let c = client(&emu.base, SECRET);
    let upns = [
        "alice@contoso.com",
        "bob@contoso.com",
        "nobody@contoso.com",
        "carol@contoso.com",
        "admin@contoso.com",
    ];
    let requests: Vec<BatchRequestItem> = (0..45)
        .map(|i| BatchRequestItem {
            id: format!("lookup-{i}"),
            method: "GET".into(),
            url: format!("/users/{}", upns[i % upns.len()]),
            headers: None,
            body: None,
            depends_on: None,
        })
        .collect();
    let answers = c.batch(requests.clone()).await.unwrap();
    assert_eq!(emulator_requests(&emu, "POST /v1.0/$batch"), 3);
    assert_eq!(emulator_requests(&emu, "GET /v1.0/users/{id}"), 45);
    assert_eq!(c.stats().batches, 3);
    assert_eq!(answers.len(), 45);
    for (i, (req, resp)) in requests.iter().zip(&answers).enumerate() {
        assert_eq!(resp.id, req.id, "answers come back in the order asked");
        let upn = upns[i % upns.len()];
        match decode_batch_item::<User>(req, resp) {
            Ok(u) => assert_eq!(u.user_principal_name.as_deref(), Some(upn)),
            Err(e) => {
                assert_eq!(upn, "nobody@contoso.com");
                assert_eq!(e.status(), Some(404), "{e}");
                let text = e.to_string();
                assert!(text.contains(&format!("$batch[{}]", req.id)), "{text}");
            }
        }
    }
    let dup = vec![requests[0].clone(), requests[0].clone()];
    assert!(matches!(c.batch(dup).await, Err(ClientError::Invalid(_))));
    assert!(c.batch(vec![]).await.unwrap().is_empty());
}

/// Everything the storm tests read, without faults.
async fn read_all(
    c: &GraphClient,
) -> Result<(Vec<User>, Vec<UnifiedRoleManagementPolicy>), ClientError> {
    let users = c.list_all("/users").await?;
    let policies = c.list_all(&format!("{POLICIES}&$expand=rules")).await?;
    Ok((users, policies))
}

#[tokio::test]
async fn a_429_storm_still_gives_the_complete_lists() {
    let emu = start(Some(20)).await;
    let expected = read_all(&client(&emu.base, SECRET)).await.unwrap();
    emu.running.reset_stats();
    // Half the requests answered 429 (Retry-After: 1), drawn from the emulator's seeded RNG: the same requests are
    // throttled however fast this machine sends them (the token bucket's `throttle_rps` throttles nothing when a
    // loaded machine sends slower than its rate).
    emu.running.set_faults(FaultConfig {
        throttle_rate: 0.5,
        ..Default::default()
    });
    // Waits are capped at 30 ms, so a 429's Retry-After (1 s) is cut short.
    let c = client_with(
        &emu.base,
        SECRET,
        RetryConfig::fast(60, Duration::from_millis(30)),
        4,
    );
    let got = read_all(&c).await.unwrap();
    assert_eq!(got, expected);
    let throttled = emu.running.stats().throttled;
    assert!(throttled > 0, "the storm throttled some requests");
    // Every 429 was retried, once, and nothing else was.
    assert_eq!(c.stats().retries, throttled);
    assert_eq!(c.stats().pages, expected_pages(&expected, 20));
    assert_eq!(c.stats().requests, c.stats().pages + throttled);
    assert_eq!(emu.running.stats().total, c.stats().requests);
}

fn expected_pages(
    (users, policies): &(Vec<User>, Vec<UnifiedRoleManagementPolicy>),
    size: usize,
) -> u64 {
    (users.len().div_ceil(size) + policies.len().div_ceil(size)) as u64
}

#[tokio::test]
async fn failures_and_dropped_connections_are_retried_until_the_lists_are_complete() {
    let mut config = pimctl::emulator::EmulatorConfig::from_seed_yaml(SEED).unwrap();
    config.page_size = Some(9);
    config.rng_seed = 42;
    let emu = start_with(config).await;
    let expected = read_all(&client(&emu.base, SECRET)).await.unwrap();
    emu.running.set_faults(FaultConfig {
        fail_rate: 0.4,
        ..Default::default()
    });
    let c = client_with(
        &emu.base,
        SECRET,
        RetryConfig::fast(12, Duration::from_millis(2)),
        4,
    );
    let got = read_all(&c).await.unwrap();
    assert_eq!(got, expected);
    assert!(
        c.stats().retries > 0,
        "some requests failed and were retried"
    );
    assert_eq!(c.stats().requests, c.stats().pages + c.stats().retries);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_names_the_request_id() {
    let emu = start(None).await;
    emu.running.reset_stats();
    emu.running.set_faults(FaultConfig {
        fail_rate: 1.0,
        ..Default::default()
    });
    let c = client_with(
        &emu.base,
        SECRET,
        RetryConfig::fast(4, Duration::from_millis(1)),
        4,
    );
    let e = c.list_all::<User>("/users").await.unwrap_err();
    assert_eq!(
        emu.running.stats().total,
        4,
        "exactly max_attempts requests"
    );
    assert_eq!(c.request_count(), 4);
    let text = e.to_string();
    assert!(
        matches!(
            &e,
            ClientError::Http {
                status: 503,
                attempts: 4,
                ..
            } | ClientError::Network {
                ambiguous: false,
                attempts: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("request-id "), "{text}");
    assert!(text.contains("gave up after 4 attempts"), "{text}");
    // Graph's request-id when an answer arrived; a connection dropped before any header leaves only the
    // client-request-id the client sent, which Graph logs too.
    let req = e.request().unwrap();
    match &e {
        ClientError::Http { .. } => assert!(req.request_id.is_some(), "{e:?}"),
        _ => assert!(!req.client_request_id.is_empty(), "{e:?}"),
    }

    // A server that is not there at all: connection refused, retried, then a clear error.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client_with(
        &format!("http://127.0.0.1:{port}/v1.0"),
        SECRET,
        RetryConfig::fast(3, Duration::from_millis(1)),
        1,
    );
    let e = c.get_json::<User>("/users/x").await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("cannot connect") && text.contains("client-request-id"),
        "{text}"
    );
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert!(!e.is_ambiguous());
}

#[tokio::test]
async fn no_token_is_401_and_a_token_without_permissions_explains_what_to_grant() {
    let emu = start(None).await;
    let e = client(&emu.base, "")
        .list_all::<User>("/users")
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("401") && text.contains("--auth"), "{text}");
    assert!(text.contains("InvalidAuthenticationToken"), "{text}");

    let c = client(&emu.base, "emulator:noperm");
    let e = c
        .list_all::<UnifiedRoleManagementPolicy>(POLICIES)
        .await
        .unwrap_err();
    let ClientError::Forbidden { needed, req, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*needed, "RoleManagementPolicy.Read.Directory");
    assert!(req.request_id.is_some());
    let text = e.to_string();
    for p in [
        "403",
        "Authorization_RequestDenied",
        "RoleEligibilitySchedule.Read.Directory",
        "RoleAssignmentSchedule.ReadWrite.Directory",
        "GroupMember.Read.All",
        "Directory.Read.All",
    ] {
        assert!(text.contains(p), "{p} missing from: {text}");
    }
    let e = c
        .post_json::<_, serde_json::Value>(
            "/roleManagement/directory/roleEligibilityScheduleRequests",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::Forbidden {
                needed: "RoleEligibilitySchedule.ReadWrite.Directory",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(c.stats().retries, 0, "401 and 403 are not retried");
}

// ---------------------------------------------------------------------------------------------------------------
// A local server that answers badly on purpose.

/// Headers and the start of a body, then the connection breaks.
fn cut_off() -> axum::response::Response {
    let stream = futures_util::stream::unfold(0, |n| async move {
        match n {
            0 => Some((Ok(axum::body::Bytes::from_static(b"{\"id\": ")), 1)),
            1 => {
                // Let the headers and the first bytes go out before the connection breaks.
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((Err(std::io::Error::other("cut")), 2))
            }
            _ => None,
        }
    });
    axum::response::Response::builder()
        .status(201)
        .header("request-id", "cut-rid")
        .body(axum::body::Body::from_stream(stream))
        .unwrap()
}

#[tokio::test]
async fn malformed_answers_are_decode_errors_not_panics() {
    let server = bad_server(handler(|_, pq, _| {
        let path = pq.split('?').next().unwrap_or("");
        match path {
            "/v1.0/notjson" => answer(200, "this is not JSON"),
            "/v1.0/truncated" => answer(200, r#"{"value": [{"id": "a"}, "#),
            "/v1.0/wrongshape" => answer(200, r#"{"value": "users"}"#),
            "/v1.0/wrongitem" => answer(200, r#"{"value": [{"id": 42}]}"#),
            "/v1.0/loop" => answer(200, r#"{"value": [], "@odata.nextLink": "PLACEHOLDER"}"#),
            "/v1.0/elsewhere" => answer(
                200,
                r#"{"value": [], "@odata.nextLink": "https://attacker.example/v1.0/users"}"#,
            ),
            "/v1.0/badlink" => answer(200, r#"{"value": [], "@odata.nextLink": "::"}"#),
            "/v1.0/html" => answer(500, "<html><body>oops</body></html>"),
            "/v1.0/empty" => answer(204, ""),
            "/v1.0/$batch" => answer(
                200,
                r#"{"responses": [{"id": "someone-else", "status": 200}]}"#,
            ),
            "/v1.0/hugeid" => answer(
                400,
                &format!(
                    r#"{{"error":{{"code":"{}","message":"x"}}}}"#,
                    "c".repeat(10_000)
                ),
            ),
            _ => answer(404, "null"),
        }
    }))
    .await;
    let c = client(&server.base, SECRET);
    for path in [
        "/notjson",
        "/truncated",
        "/wrongshape",
        "/wrongitem",
        "/elsewhere",
        "/badlink",
    ] {
        let e = c.list_all::<User>(path).await.unwrap_err();
        assert!(matches!(e, ClientError::Decode { .. }), "{path}: {e:?}");
        assert!(e.to_string().contains("bad-server-rid"), "{e}");
    }
    let e = c.list_all::<User>("/elsewhere").await.unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");
    let e = c.get_json::<serde_json::Value>("/html").await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    let e = c.get_json::<User>("/empty").await.unwrap_err();
    assert!(matches!(e, ClientError::Decode { .. }), "{e:?}");
    c.get_json::<()>("/empty").await.unwrap();
    let e = c.get_json::<User>("/hugeid").await.unwrap_err();
    assert!(e.to_string().len() < 2_000, "error codes are clipped");
    let item = BatchRequestItem {
        id: "1".into(),
        method: "GET".into(),
        url: "/users/a".into(),
        headers: None,
        body: None,
        depends_on: None,
    };
    let e = c.batch(vec![item]).await.unwrap_err();
    assert!(e.to_string().contains("no response for request '1'"), "{e}");
    assert_eq!(c.stats().retries, 0, "none of these is worth retrying");
    assert!(
        c.get_json::<User>("https://attacker.example/v1.0/users")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_next_link_that_repeats_a_page_stops_the_listing() {
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let b = base.clone();
    let server = bad_server(handler(move |_, _, _| {
        let link = format!("{}/loop?$skiptoken=1", b.get().unwrap());
        answer(
            200,
            &format!(r#"{{"value": [{{"id": "a"}}], "@odata.nextLink": "{link}"}}"#),
        )
    }))
    .await;
    base.set(server.base.clone()).unwrap();
    let c = client(&server.base, SECRET);
    let e = c.list_all::<User>("/loop").await.unwrap_err();
    assert!(e.to_string().contains("repeats"), "{e}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_ambiguous_and_not_sent_again() {
    let server = bad_server(handler(|method, _, _| {
        if method == "GET" {
            answer(504, "")
        } else {
            cut_off()
        }
    }))
    .await;
    let c = client(&server.base, SECRET);
    let e = c
        .post_json::<_, serde_json::Value>(
            "/roleManagement/directory/roleAssignmentScheduleRequests",
            &serde_json::json!({"action": "adminAssign"}),
        )
        .await
        .unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    assert!(
        e.to_string().contains("may or may not have taken effect"),
        "{e}"
    );
    assert!(e.to_string().contains("cut-rid"), "{e}");
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        1,
        "a write is sent once"
    );
    let e = c
        .patch_json::<_, ()>(
            "/policies/roleManagementPolicies/p/rules/r",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert!(e.is_ambiguous());
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    // A read that times out at the gateway is retried.
    let e = c.get_json::<User>("/users/a").await.unwrap_err();
    assert_eq!(e.status(), Some(504));
    assert_eq!(server.hits.load(Ordering::SeqCst), 2 + 6);
}

#[tokio::test]
async fn throttled_batch_items_are_sent_again_and_concurrency_is_bounded() {
    // Every id ending in 7 is throttled (429, Retry-After: 0) the first time it is asked.
    let seen = Arc::new(std::sync::Mutex::new(
        std::collections::HashSet::<String>::new(),
    ));
    let server = bad_server(handler(move |method, pq, body| {
        let Ok(batch) = serde_json::from_slice::<pimctl::graph::BatchRequest>(body) else {
            return answer(400, "");
        };
        assert!(method == "POST" && pq == "/v1.0/$batch" && batch.requests.len() <= 20);
        let mut seen = seen.lock().unwrap();
        let responses: Vec<_> = batch
            .requests
            .iter()
            .rev()
            .map(|r| {
                if r.id.ends_with('7') && seen.insert(r.id.clone()) {
                    serde_json::json!({"id": r.id, "status": 429, "headers": {"Retry-After": "0"}})
                } else {
                    serde_json::json!({"id": r.id, "status": 200, "body": {"id": r.id}})
                }
            })
            .collect();
        answer(
            200,
            &serde_json::json!({"responses": responses}).to_string(),
        )
    }))
    .await;
    let c = client_with(
        &server.base,
        SECRET,
        RetryConfig::fast(6, Duration::from_millis(1)),
        2,
    );
    let requests: Vec<BatchRequestItem> = (0..45)
        .map(|i| BatchRequestItem {
            id: i.to_string(),
            method: "GET".into(),
            url: format!("/users/{i}"),
            headers: None,
            body: None,
            depends_on: None,
        })
        .collect();
    let answers = c.batch(requests.clone()).await.unwrap();
    assert_eq!(answers.len(), 45);
    for (req, resp) in requests.iter().zip(&answers) {
        assert_eq!(resp.id, req.id);
        assert_eq!(resp.status, 200, "{resp:?}");
        let u: User = decode_batch_item(req, resp).unwrap();
        assert_eq!(u.id, req.id);
    }
    assert_eq!(
        c.stats().batches,
        5,
        "the two chunks with throttled items sent them again"
    );
    assert!(server.max_in_flight.load(Ordering::SeqCst) <= 2);
}
