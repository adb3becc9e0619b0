//! The ARM client over real HTTP: against the emulator's ARM side (api-version on every request, `nextLink`
//! paging, ARM throttling, `CloudError` answers) and against a local server that answers badly on purpose (a
//! `nextLink` to another host, a 403). Retries use millisecond delays; nothing depends on timing.

mod common;
use common::bad_server::{answer, bad_server, handler};
use common::*;
use pimctl::emulator::EmulatorConfig;
use pimctl::emulator::faults::FaultConfig;
use pimctl::graph::arm::{
    ArmResource, EligibilityScheduleProperties, RoleManagementPolicyProperties,
};
use pimctl::graph::client::{
    ArmClient, ClientError, GraphConfig, RetryConfig, StaticToken, arm_scope,
};
use std::sync::Arc;
use std::time::Duration;

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const SECRET: &str = "pimctl-arm-test-token-51c2";

fn seed() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
  - {{upn: bob@contoso.com, display_name: Bob}}
azure:
  management_groups:
    - {{name: contoso, display_name: Contoso}}
  subscriptions:
    - {{display_name: Prod, id: {SUB}, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: app-rg}}
  eligible:
    - {{scope: /providers/Microsoft.Management/managementGroups/contoso, role: Reader, user: bob@contoso.com, duration: P90D}}
    - {{scope: Prod, role: Contributor, user: alice@contoso.com, duration: P90D}}
    - {{scope: Prod, role: Reader, user: alice@contoso.com, duration: P90D}}
    - {{scope: /subscriptions/{SUB}/resourceGroups/app-rg, role: Owner, user: bob@contoso.com, duration: P90D}}
"#
    )
}

async fn emu(page_size: Option<usize>) -> Emu {
    let mut c = EmulatorConfig::from_seed_yaml(&seed()).unwrap();
    c.page_size = page_size;
    start_with(c).await
}

fn arm_client(url: &str, retry: RetryConfig) -> ArmClient {
    let mut c = GraphConfig::new(url, Arc::new(StaticToken::new(SECRET)));
    c.retry = retry;
    ArmClient::new(c).expect("the client builds")
}

fn fast() -> RetryConfig {
    RetryConfig::fast(6, Duration::from_millis(5))
}

type Eligibility = ArmResource<EligibilityScheduleProperties>;

fn eligibilities() -> String {
    format!(
        "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleEligibilitySchedules?$filter=atScope()"
    )
}

#[tokio::test]
async fn every_request_carries_the_api_version_and_every_page_is_read_once() {
    let e = emu(Some(1)).await;
    let c = arm_client(&e.running.arm_url(), fast());
    e.running.reset_stats();
    let got: Vec<Eligibility> = c.list_all(&eligibilities()).await.unwrap();
    // atScope(): the subscription's two and the management group's one (inherited); not the resource group's.
    assert_eq!(got.len(), 3);
    let mut scopes: Vec<String> = got
        .iter()
        .map(|s| s.properties.common.scope.clone().unwrap_or_default())
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            "/providers/Microsoft.Management/managementGroups/contoso".to_string(),
            format!("/subscriptions/{SUB}"),
            format!("/subscriptions/{SUB}"),
        ]
    );
    assert_eq!(c.stats().pages, 3);
    assert_eq!(c.stats().requests, 3);
    assert_eq!(
        e.running.stats().routes.get(
            "GET /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleEligibilitySchedules"
        ),
        Some(&3)
    );
    // A single resource: the api-version is added to a path that has none.
    let policies: Vec<ArmResource<RoleManagementPolicyProperties>> = c
        .list_all(&format!(
            "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleManagementPolicies"
        ))
        .await
        .unwrap();
    assert!(!policies.is_empty());
    let one: ArmResource<RoleManagementPolicyProperties> = c
        .get_json(&format!(
            "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleManagementPolicies/{}",
            policies[0].name
        ))
        .await
        .unwrap();
    assert_eq!(one.name, policies[0].name);
    assert_eq!(c.stats().retries, 0);
}

#[tokio::test]
async fn arm_throttling_is_waited_out_and_the_lists_are_complete() {
    let e = emu(Some(1)).await;
    let expected: Vec<Eligibility> = arm_client(&e.running.arm_url(), fast())
        .list_all(&eligibilities())
        .await
        .unwrap();
    e.running.reset_stats();
    // Half the requests answered 429, drawn from the emulator's seeded RNG: the same requests are throttled however
    // fast this machine sends (a token bucket throttles nothing when a loaded machine sends slower than its rate).
    e.running.set_faults(FaultConfig {
        throttle_rate: 0.5,
        ..Default::default()
    });
    let c = arm_client(
        &e.running.arm_url(),
        RetryConfig::fast(60, Duration::from_millis(20)),
    );
    let mut got = vec![];
    for _ in 0..3 {
        got = c.list_all::<Eligibility>(&eligibilities()).await.unwrap();
    }
    assert_eq!(got, expected);
    let throttled = e.running.stats().throttled;
    assert!(throttled > 0, "ARM throttled some requests");
    // Every 429 was waited out and sent again, once, and nothing else was.
    assert_eq!(c.stats().retries, throttled);
    assert_eq!(c.stats().requests, c.stats().pages + throttled);
    assert_eq!(e.running.stats().total, c.stats().requests);
}

#[tokio::test]
async fn cloud_errors_become_client_errors_with_their_code() {
    let e = emu(None).await;
    let c = arm_client(&e.running.arm_url(), fast());
    let err = c
        .patch_json::<_, serde_json::Value>(
            &format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleManagementPolicies/not-a-policy"
            ),
            &serde_json::json!({"properties": {"rules": []}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("InputPolicyNotFound"));
    let text = err.to_string();
    assert!(text.contains("PATCH /subscriptions/"), "{text}");
    assert!(
        err.request().unwrap().request_id.is_some(),
        "ARM's x-ms-request-id is kept: {err:?}"
    );
    assert!(!text.contains(SECRET));
    let err = c
        .list_all::<Eligibility>(
            "/subscriptions/bbbbbbbb-0000-4000-8000-000000000009/providers/Microsoft.Authorization/roleEligibilitySchedules",
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(404), Some("SubscriptionNotFound"))
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed_and_403_names_the_azure_action() {
    let bad = bad_server(handler(|_, pq, _| {
        if pq.contains("roleEligibilitySchedules") {
            assert!(pq.contains("api-version=2020-10-01"), "{pq}");
            answer(
                200,
                r#"{"value":[],"nextLink":"https://evil.example/subscriptions/x?api-version=2020-10-01"}"#,
            )
        } else {
            answer(
                403,
                r#"{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization to perform action."}}"#,
            )
        }
    }))
    .await;
    let root = bad.base.trim_end_matches("/v1.0").to_string();
    let c = arm_client(&root, fast());
    let err = c
        .list_all::<Eligibility>(&eligibilities())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, ClientError::Decode { .. })
            && text.contains("nextLink points to another host"),
        "{text}"
    );
    let err = c
        .put_json::<_, serde_json::Value>(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/0b5e4a38-3f7c-4c8e-9d1a-2b3c4d5e6f70"),
            &serde_json::json!({"properties": {}}),
        )
        .await
        .unwrap_err();
    let ClientError::ArmForbidden { needed, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        *needed,
        "Microsoft.Authorization/roleEligibilityScheduleRequests/write"
    );
    assert_eq!(err.code(), Some("AuthorizationFailed"));
    // The message names ARM's actions, not Graph's permissions, and the documented custom roles.
    let text = err.to_string();
    assert!(
        text.contains("Microsoft.Authorization/roleManagementPolicies/read")
            && text.contains("Microsoft.Authorization/roleManagementPolicies/write")
            && text.contains("\"pimctl plan\", \"pimctl apply\"")
            && !text.contains("RoleManagement.Read.Directory"),
        "{text}"
    );
    // The lists that resolve display names need their own provider's read.
    let err = c
        .list_all::<serde_json::Value>("/subscriptions?api-version=2022-12-01")
        .await
        .unwrap_err();
    let ClientError::ArmForbidden { needed, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*needed, "Microsoft.Resources/subscriptions/read");
}

#[test]
fn arm_urls_are_checked_and_national_clouds_get_their_own_token_scope() {
    assert!(ArmClient::check_url("https://management.azure.com").is_ok());
    assert!(ArmClient::check_url("http://127.0.0.1:4000").is_ok());
    let e = ArmClient::check_url("http://management.azure.com").unwrap_err();
    assert!(e.to_string().contains("--arm-url"), "{e}");
    assert!(ArmClient::check_url("https://management.azure.com/?x=1").is_err());
    assert_eq!(
        arm_scope("https://management.azure.com").unwrap(),
        "https://management.azure.com/.default"
    );
    assert_eq!(
        arm_scope("https://management.usgovcloudapi.net/").unwrap(),
        "https://management.usgovcloudapi.net/.default"
    );
    assert_eq!(
        arm_scope("https://management.chinacloudapi.cn").unwrap(),
        "https://management.chinacloudapi.cn/.default"
    );
}
