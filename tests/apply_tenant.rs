//! A plan records the tenant it was made for and the endpoints it read (#18 item 1): apply refuses it in another
//! tenant before any write (and before the stale check, whose "the tenant changed" would mislead), the audit record
//! names the tenant and who applied, and no token appears in any output. The tenant comes from the token's `tid`
//! claim (no request), else from `GET /organization` (one request).

mod cli;
mod planning;

use cli::{command, out};
use pimctl::graph::client::{ClientError, GraphClient, GraphConfig, RetryConfig, StaticToken};
use planning::{CONTOSO, CONTOSO_TENANT, Setup, emulator_from_file};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const CONTOSO_ID: &str = "4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a";
const OTHER_ID: &str = "0badc0de-0f9e-4d8c-8b7a-6f5e4d3c2b1a";

fn run(cwd: &Path, args: &[&str]) -> std::process::Output {
    command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("pimctl runs")
}

/// A copy of Contoso in a scratch directory, and a tenant file for the same directory under another tenant id.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("contoso");
    std::fs::create_dir(&dir).unwrap();
    for f in std::fs::read_dir(CONTOSO).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let seed = std::fs::read_to_string(CONTOSO_TENANT).unwrap();
    assert!(seed.contains(CONTOSO_ID));
    std::fs::write(
        tmp.path().join("other.yaml"),
        seed.replace(CONTOSO_ID, OTHER_ID),
    )
    .unwrap();
    tmp
}

/// The schedule requests the emulator's saved tenant holds: what apply wrote.
fn requests(state: &Path) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    serde_json::json!([v["requests"], v["schedules"], v["policies"]])
}

#[test]
fn a_plan_for_one_tenant_is_refused_in_another_before_any_write() {
    let tmp = scratch();
    let cwd = tmp.path();
    let o = run(
        cwd,
        &[
            "plan",
            "contoso",
            "--emulator",
            "contoso/tenant.yaml",
            "--out",
            "plan.json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The text header names the tenant; the plan file records it and the endpoints.
    assert!(
        out(&o).contains(&format!("against tenant {CONTOSO_ID} at http://127.0.0.1:")),
        "{}",
        out(&o)
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cwd.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["format_version"], 4);
    assert_eq!(plan["tenant"]["id"], CONTOSO_ID);
    assert!(
        plan["endpoints"]["graph"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0")
    );
    // The plan creates and removes: in another tenant, every object it recorded is "changed", and the stale check
    // would say so. The tenant check comes first, and says what is wrong.
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"create") && actions.contains(&"remove"),
        "{actions:?}"
    );

    let state = cwd.join("other.json");
    let other = ["--emulator", "other.yaml", "--emulator-state", "other.json"];
    let o = run(cwd, &[&["plan", "contoso"][..], &other[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let before = requests(&state);

    let o = run(
        cwd,
        &[
            &["apply", "plan.json", "--log", "audit.json"][..],
            &other[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!(
            "error: this plan was made for tenant {CONTOSO_ID}, and this is tenant {OTHER_ID}; nothing was applied"
        )),
        "{text}"
    );
    assert!(!text.contains("the tenant changed"), "{text}");
    assert!(
        !cwd.join("audit.json").exists(),
        "nothing applied, nothing to record"
    );
    assert_eq!(
        requests(&state),
        before,
        "no write reached the other tenant"
    );
}

#[test]
fn the_audit_record_names_the_tenant_and_who_applied_and_no_output_holds_the_token() {
    let tmp = scratch();
    let cwd = tmp.path();
    let tenant = [
        "--emulator",
        "contoso/tenant.yaml",
        "--emulator-state",
        "t.json",
    ];
    let o = run(
        cwd,
        &[
            &[
                "plan",
                "contoso",
                "--out",
                "plan.json",
                "--format",
                "markdown",
            ][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let markdown = out(&o);
    assert!(
        markdown.contains(&format!(
            "Tenant `{CONTOSO_ID}`, read 2026-11-21 09:00 UTC from http://127.0.0.1:"
        )),
        "{markdown}"
    );
    let o = run(
        cwd,
        &[
            &["apply", "plan.json", "--log", "audit.json"][..],
            &tenant[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let applied = out(&o);
    assert!(
        applied.contains(&format!("to tenant {CONTOSO_ID} at http://127.0.0.1:"))
            && applied.contains("as app pimctl emulator (app "),
        "{applied}"
    );
    let audit_text = std::fs::read_to_string(cwd.join("audit.json")).unwrap();
    let audit: serde_json::Value = serde_json::from_str(&audit_text).unwrap();
    assert_eq!(audit["tenant"]["id"], CONTOSO_ID);
    assert_eq!(audit["identity"]["kind"], "app");
    assert_eq!(audit["identity"]["name"], "pimctl emulator");
    assert_eq!(
        audit["identity"]["app_id"],
        pimctl::emulator::EMULATOR_APP_ID
    );
    assert!(audit["identity"]["object_id"].is_string());

    // The token the in-process emulator handed out: the same for the same tenant.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let token = rt.block_on(async {
        emulator_from_file(CONTOSO_TENANT, &Setup::default())
            .await
            .access_token()
    });
    let payload = token.split('.').nth(1).unwrap();
    let plan_text = std::fs::read_to_string(cwd.join("plan.json")).unwrap();
    for (what, text) in [
        ("the plan's Markdown", &markdown),
        ("apply's output", &applied),
        ("the audit record", &audit_text),
        ("the plan file", &plan_text),
    ] {
        assert!(!text.contains(payload), "{what} holds the token");
    }
}

fn opaque_client(base: &str, token: &str) -> GraphClient {
    let mut c = GraphConfig::new(base, Arc::new(StaticToken::new(token)));
    c.retry = RetryConfig::fast(3, Duration::from_millis(5));
    GraphClient::new(c).unwrap()
}

#[tokio::test]
async fn a_token_that_names_no_tenant_costs_one_request_to_organization() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    // From the token: no request.
    let c = planning::client(&em);
    let (tenant, caller) = pimctl::observe::tenant::identify(&c).await.unwrap();
    assert_eq!(tenant.id, CONTOSO_ID);
    assert_eq!(caller.unwrap().name.as_deref(), Some("pimctl emulator"));
    assert_eq!(c.request_count(), 0);
    // From Graph: `GET /organization`, once; the organization's name comes with it, the caller stays unknown.
    let c = opaque_client(&em.base_url(), "emulator");
    let (tenant, caller) = pimctl::observe::tenant::identify(&c).await.unwrap();
    assert_eq!(tenant.id, CONTOSO_ID);
    assert_eq!(tenant.name.as_deref(), Some("contoso.com"));
    assert_eq!(caller, None);
    assert_eq!(c.request_count(), 1);
    let stats = em.stats();
    assert_eq!(
        stats.routes.get("GET /v1.0/organization").copied(),
        Some(1),
        "{:?}",
        stats.routes
    );
}

#[tokio::test]
async fn the_emulator_refuses_a_token_issued_for_another_tenant() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let token = em.access_token();
    let forged = pimctl::graph::client::claims::unsigned_jwt(&serde_json::json!({
        "tid": OTHER_ID, "oid": "1", "appid": "2", "idtyp": "app"
    }));
    assert_ne!(token, forged);
    let c = opaque_client(&em.base_url(), &forged);
    let e = c
        .list_all::<serde_json::Value>("/organization?$select=id,displayName")
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains(forged.split('.').nth(1).unwrap()));
}
