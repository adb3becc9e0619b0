//! Shared by the plan tests: an emulator seeded from a tenant file, a client on it, and a plan of a declaration.
#![allow(dead_code)]

pub mod generate;

use pimctl::apply::ApplyOptions;
use pimctl::emulator::faults::FaultConfig;
use pimctl::emulator::{Emulator, EmulatorConfig, RunningEmulator, TenantSource};
use pimctl::graph::client::{ArmClient, GraphClient, GraphConfig, RetryConfig, StaticToken};
use pimctl::language::{self, LoadOptions};
use pimctl::model::{DesiredState, LiveState};
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

/// An Azure Resource Manager client on the emulator's ARM root (the same port).
pub fn arm_client(em: &RunningEmulator) -> ArmClient {
    // ARM's lists are read all at once (up to the client's slots), beside Graph's: under a throttled emulator they
    // wait for its bucket to refill, so their waits are longer than the Graph client's.
    arm_client_with(em, RetryConfig::fast(12, Duration::from_millis(50)))
}

/// An ARM client on the emulator's ARM root that retries as told.
pub fn arm_client_with(em: &RunningEmulator, retry: RetryConfig) -> ArmClient {
    let mut config = GraphConfig::new(em.arm_url(), Arc::new(StaticToken::new(em.access_token())));
    config.retry = retry;
    ArmClient::new(config).expect("an ARM client")
}

/// Reads the tenant as `plan` does: Graph, and Azure resource roles through ARM beside it when the declaration has
/// some.
pub async fn read_live(em: &RunningEmulator, desired: &DesiredState) -> LiveState {
    try_read_live(em, desired).await.expect("the tenant reads")
}

/// [`read_live`], for reads that may fail (under faults).
pub async fn try_read_live(
    em: &RunningEmulator,
    desired: &DesiredState,
) -> Result<LiveState, pimctl::graph::client::ClientError> {
    try_read_live_with(em, &arm_client(em), desired).await
}

/// [`read_live`] through a given ARM client, whose statistics the caller keeps.
pub async fn read_live_with(
    em: &RunningEmulator,
    arm: &ArmClient,
    desired: &DesiredState,
) -> LiveState {
    try_read_live_with(em, arm, desired)
        .await
        .expect("the tenant reads")
}

async fn try_read_live_with(
    em: &RunningEmulator,
    arm: &ArmClient,
    desired: &DesiredState,
) -> Result<LiveState, pimctl::graph::client::ClientError> {
    let now = em.with_state(|s| s.now());
    pimctl::observe::read_with_azure(&client(em), Some(arm), &[desired], now).await
}

/// The requests the emulator served on the routes `route` selects (its statistics' keys: `METHOD /path`).
pub fn requests_on(em: &RunningEmulator, route: impl Fn(&str) -> bool) -> u64 {
    em.stats()
        .routes
        .iter()
        .filter(|(k, _)| route(k))
        .map(|(_, n)| *n)
        .sum()
}

/// The writes (`PUT`, `PATCH`) the emulator served: 0 for a plan refused before anything was sent.
pub fn writes(em: &RunningEmulator) -> u64 {
    requests_on(em, |k| k.starts_with("PUT ") || k.starts_with("PATCH "))
}

/// Apply's options with the emulator's ARM client, for declarations with Azure roles.
pub fn apply_options(em: &RunningEmulator) -> ApplyOptions {
    ApplyOptions {
        arm: Some(arm_client(em)),
        ..Default::default()
    }
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
    let live = read_live(em, desired).await;
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
/// emulator's port, and what derives from the clock: the names of ARM schedule requests, and so the plan's id).
pub fn comparable(p: &Plan) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("read_at");
    o.remove("endpoints");
    o.remove("id");
    for c in o["changes"].as_array_mut().unwrap() {
        for op in c["operations"].as_array_mut().unwrap() {
            let path = op["path"].as_str().unwrap_or_default();
            if op["method"] == "PUT" && path.contains("/providers/Microsoft.Authorization/") {
                let (collection, _) = path.rsplit_once('/').unwrap();
                op["path"] = format!("{collection}/{{name}}").into();
            }
        }
    }
    v
}

/// One ARM schedule the emulator holds, as a test compares them: who holds which role where, of which kind, until
/// when, on which ABAC condition (not its name or start, which a new request gives anew). Ids and paths lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArmHeld {
    pub scope: String,
    pub role: String,
    pub principal: String,
    /// `Eligibility` or `Assignment`.
    pub level: String,
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
}

impl ArmHeld {
    /// What makes a schedule one: a second with the same key is a duplicate.
    pub fn key(&self) -> (&str, &str, &str, &str) {
        (&self.scope, &self.role, &self.principal, &self.level)
    }
}

/// Every ARM schedule the emulator holds.
pub fn arm_schedules(em: &RunningEmulator) -> Vec<ArmHeld> {
    em.with_state(|s| {
        s.arm
            .schedules
            .iter()
            .map(|x| ArmHeld {
                scope: x.scope.to_lowercase(),
                role: x.role.to_lowercase(),
                principal: x.principal_id.to_lowercase(),
                level: format!("{:?}", x.level),
                end: x.end,
                condition: x.condition.clone(),
                condition_version: x.condition_version.clone(),
            })
            .collect()
    })
}

/// One ARM schedule request the emulator carried out: its name, and what it did (scope, level, request type,
/// principal, role definition id; lower-cased). Two with the same `what` are a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArmCarriedOut {
    pub name: String,
    pub what: (String, String, String, String, String),
}

/// Every ARM schedule request the emulator carried out.
pub fn arm_carried_out(em: &RunningEmulator) -> Vec<ArmCarriedOut> {
    em.with_state(|s| {
        s.arm
            .requests
            .iter()
            .map(|r| ArmCarriedOut {
                name: r.name.clone(),
                what: (
                    r.scope.to_lowercase(),
                    format!("{:?}", r.level),
                    format!("{:?}", r.body.request_type),
                    r.answer
                        .principal_id
                        .clone()
                        .unwrap_or_default()
                        .to_lowercase(),
                    r.answer
                        .role_definition_id
                        .clone()
                        .unwrap_or_default()
                        .to_lowercase(),
                ),
            })
            .collect()
    })
}
