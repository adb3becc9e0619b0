//! Plans that must not be made, and tenants that misbehave: a clear error naming the YAML location or the request,
//! nothing planned, and no panic.

mod planning;
use pimctl::emulator::TenantSource;
use pimctl::emulator::faults::FaultConfig;
use pimctl::emulator::seed::Seed;
use pimctl::graph::Group;
use pimctl::graph::client::{GraphClient, GraphConfig, RetryConfig, StaticToken};
use pimctl::observe::read_tenant;
use pimctl::plan::PlanErrorCode;
use planning::*;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn an_ambiguous_group_name_lists_the_candidates_with_their_ids() {
    let mut state = Seed::from_file(FRESH.as_ref())
        .unwrap()
        .build("fresh")
        .unwrap();
    let twin = pimctl::emulator::state::GroupRec {
        group: Group {
            id: "99999999-9999-4999-8999-999999999999".into(),
            display_name: Some("Helpdesk-Team".into()),
            ..state.groups[2].group.clone()
        },
        members: vec![],
        owners: vec![],
    };
    let original = state
        .groups
        .iter()
        .find(|g| g.group.display_name.as_deref() == Some("Helpdesk-Team"))
        .unwrap()
        .group
        .id
        .clone();
    state.groups.push(twin);
    let em = emulator(TenantSource::State(Box::new(state)), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Helpdesk Administrator:\n    eligible:\n      - group: Helpdesk-Team\n",
        &em,
    );
    let plan = plan_against(&em, &desired).await;
    assert!(plan.changes.is_empty());
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    let e = &plan.errors[0];
    assert_eq!(e.code, PlanErrorCode::PrincipalAmbiguous);
    assert!(
        e.message
            .contains("group 'Helpdesk-Team' matches 2 objects"),
        "{}",
        e.message
    );
    assert!(e.message.contains(&original), "{}", e.message);
    assert!(
        e.message.contains("99999999-9999-4999-8999-999999999999"),
        "{}",
        e.message
    );
    assert_eq!(e.origin.as_ref().unwrap().line, 5);
}

#[tokio::test]
async fn a_missing_custom_role_and_a_missing_approver_are_plan_errors() {
    let em = emulator_from_file(FRESH, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(
        "version: pimctl/v1
directory_roles:
  Contoso Auditor:
    custom: true
    eligible: []
  Global Administrator:
    activation:
      approval:
        required: true
        approvers:
          - user: nobody@contoso.com
",
        &em,
    );
    let plan = plan_against(&em, &desired).await;
    assert!(plan.changes.is_empty(), "no plan is produced");
    let codes: Vec<_> = plan.errors.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            PlanErrorCode::PrincipalNotFound,
            PlanErrorCode::RoleNotFound
        ],
        "{:?}",
        plan.errors
    );
    assert!(
        plan.errors[1]
            .message
            .contains("'Contoso Auditor' does not exist")
    );
    assert_eq!(plan.errors[1].origin.as_ref().unwrap().line, 3);
    assert!(plan.errors[0].message.contains("nobody@contoso.com"));
}

#[tokio::test]
async fn server_errors_after_retries_name_the_request() {
    let em = emulator_from_file(
        CONTOSO_TENANT,
        &Setup {
            faults: FaultConfig {
                fail_rate: 1.0,
                ..FaultConfig::default()
            },
            ..Setup::default()
        },
    )
    .await;
    let d = desired(CONTOSO, &em);
    let mut config = GraphConfig::new(em.base_url(), Arc::new(StaticToken::new("emulator")));
    config.retry = RetryConfig::fast(3, Duration::from_millis(2));
    let client = GraphClient::new(config).unwrap();
    let err = read_tenant(&client, &[&d], em.with_state(|s| s.now()))
        .await
        .expect_err("every request fails");
    let text = err.to_string();
    assert!(text.contains("/v1.0/"), "names the request: {text}");
    assert!(
        text.contains("503") || text.to_lowercase().contains("connection"),
        "says what went wrong: {text}"
    );
}

/// A server that answers every request with the same body.
async fn answering(body: &'static str) -> String {
    use axum::Router;
    let app = Router::new().fallback(move || async move {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/v1.0")
}

#[tokio::test]
async fn malformed_answers_are_errors_not_panics() {
    for body in [
        "not json",
        "{}",
        r#"{"value": 5}"#,
        r#"{"value": [{"id": 5}]}"#,
        r#"{"value": [], "@odata.nextLink": "http://elsewhere.example/v1.0/x"}"#,
        r##"{"value": [{"id": "p", "principalId": "x", "roleDefinitionId": "r", "principal": {"@odata.type": "#microsoft.graph.device"}, "assignmentType": "Sideways"}]}"##,
    ] {
        let url = answering(body).await;
        let mut config = GraphConfig::new(url, Arc::new(StaticToken::new("t")));
        config.retry = RetryConfig::fast(2, Duration::from_millis(1));
        let client = GraphClient::new(config).unwrap();
        let now = chrono::Utc::now();
        let result = read_tenant(&client, &[&Default::default()], now).await;
        let err = result.expect_err(body);
        assert!(!err.to_string().is_empty());
    }
}
