//! Shared by the plan tests: an emulator seeded from a tenant file, a client on it, and a plan of a declaration.
#![allow(dead_code)]

pub mod generate;

use pimctl::emulator::faults::FaultConfig;
use pimctl::emulator::{Emulator, EmulatorConfig, RunningEmulator, TenantSource};
use pimctl::graph::client::{GraphClient, GraphConfig, RetryConfig, StaticToken};
use pimctl::language::{self, LoadOptions};
use pimctl::model::DesiredState;
use pimctl::observe::read_tenant;
use pimctl::plan::{self, Plan, PlanOptions};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const CONTOSO: &str = "examples/contoso";
pub const CONTOSO_TENANT: &str = "examples/contoso/tenant.yaml";
/// The Contoso directory with nothing assigned and Microsoft's policies.
pub const FRESH: &str = "tests/fixtures/tenants/fresh.yaml";

/// How to run the emulator.
#[derive(Default, Clone)]
pub struct Setup {
    pub page_size: Option<usize>,
    pub faults: FaultConfig,
}

pub async fn emulator(seed: TenantSource, setup: &Setup) -> RunningEmulator {
    let mut config = EmulatorConfig::new(seed);
    config.page_size = setup.page_size;
    config.faults = setup.faults;
    config.rng_seed = 7;
    Emulator::start(config).await.expect("the emulator starts")
}

/// An emulator seeded from YAML text.
pub async fn emulator_from_yaml(seed: &str, setup: &Setup) -> RunningEmulator {
    let seed = pimctl::emulator::seed::Seed::from_yaml(seed, "seed").expect("a valid seed");
    emulator(
        TenantSource::Seed {
            seed: Box::new(seed),
            origin: "seed".into(),
        },
        setup,
    )
    .await
}

/// The fresh tenant's seed with `extra` (more top-level sections) after it.
pub fn fresh_with(extra: &str) -> String {
    format!("{}\n{extra}", std::fs::read_to_string(FRESH).unwrap())
}

pub async fn emulator_from_file(seed: &str, setup: &Setup) -> RunningEmulator {
    emulator(TenantSource::SeedFile(seed.into()), setup).await
}

pub fn client(em: &RunningEmulator) -> GraphClient {
    let mut config = GraphConfig::new(em.base_url(), Arc::new(StaticToken::new(em.access_token())));
    config.retry = RetryConfig::fast(12, Duration::from_millis(5));
    GraphClient::new(config).expect("a client")
}

/// Loads a declaration that must be valid.
pub fn desired(path: impl AsRef<Path>, em: &RunningEmulator) -> DesiredState {
    let now = em.with_state(|s| s.now());
    language::load(path.as_ref(), &LoadOptions { now })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)))
}

/// Loads a declaration from YAML text (written to a temporary directory as `policies.yaml`).
pub fn desired_yaml(yaml: &str, em: &RunningEmulator) -> (tempfile::TempDir, DesiredState) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policies.yaml"), yaml).unwrap();
    let d = desired(dir.path(), em);
    (dir, d)
}

/// Reads the tenant and plans `desired` against it.
pub async fn plan_against(em: &RunningEmulator, desired: &DesiredState) -> Plan {
    let client = client(em);
    let now = em.with_state(|s| s.now());
    let live = read_tenant(&client, &[desired], now)
        .await
        .expect("the tenant reads");
    plan::build(desired, &live, &PlanOptions::default())
}

/// The plan of the Contoso declaration against the Contoso tenant.
pub async fn contoso_plan(setup: &Setup) -> Plan {
    let em = emulator_from_file(CONTOSO_TENANT, setup).await;
    let d = desired(CONTOSO, &em);
    plan_against(&em, &d).await
}

/// One line per change: `action role principal` — for compact assertions.
pub fn lines(p: &Plan) -> Vec<String> {
    p.changes
        .iter()
        .map(|c| {
            let who = c
                .principal
                .as_ref()
                .map(|p| p.label.clone())
                .unwrap_or_else(|| match &c.key {
                    pimctl::plan::ChangeKey::Rule { rule, .. } => rule.to_string(),
                    _ => String::new(),
                });
            format!("{} {} {}", c.action.as_str(), c.role_name, who)
        })
        .collect()
}

/// A plan as JSON without what differs between two reads of the same tenant (the clock's milliseconds and the
/// emulator's port).
pub fn comparable(p: &Plan) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap();
    v.as_object_mut().unwrap().remove("read_at");
    v.as_object_mut().unwrap().remove("endpoints");
    v
}
