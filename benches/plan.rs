//! `cargo bench --bench plan`: reading a generated tenant from the emulator and planning against it, in wall time
//! and requests. Results go to BENCHMARKS.md by hand, with the machine they were measured on.
//!
//! Under `cargo test --all-targets` this binary only checks that it builds: it measures when run with `--bench`.

#[path = "../tests/planning/generate.rs"]
mod generate;

use pimctl::emulator::{Emulator, EmulatorConfig, TenantSource};
use pimctl::graph::client::{GraphClient, GraphConfig, StaticToken};
use pimctl::language::{self, LoadOptions};
use pimctl::observe::read_tenant;
use pimctl::plan::{self, PlanOptions};
use std::sync::Arc;
use std::time::Instant;

/// (name, roles, eligible, active, activations)
const TENANTS: &[(&str, usize, usize, usize, usize)] = &[
    ("S", 10, 50, 10, 5),
    ("M", 40, 500, 100, 50),
    ("L-dir", 130, 5_000, 1_000, 500),
];
const RUNS: usize = 5;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "| tenant | seed | load YAML | read (median of {RUNS}) | requests | plan::build (median) | changes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &(name, roles, eligible, active, activations) in TENANTS {
        let (seed, policies) = generate::generated(roles, eligible, active, activations);
        let t = Instant::now();
        let seed = pimctl::emulator::seed::Seed::from_yaml(&seed, name).expect("seed");
        let em = Emulator::start(EmulatorConfig::new(TenantSource::Seed {
            seed: Box::new(seed),
            origin: name.into(),
        }))
        .await
        .expect("emulator");
        let seeded = t.elapsed();
        let now = em.with_state(|s| s.now());
        let t = Instant::now();
        let desired = language::load_str("policies.yaml", &policies, &LoadOptions { now })
            .ok()
            .unwrap_or_else(|d| panic!("{}", d.render_text(false)));
        let loaded = t.elapsed();
        let mut reads = vec![];
        let mut builds = vec![];
        let mut requests = 0;
        let mut changes = 0;
        for _ in 0..RUNS {
            let client = GraphClient::new(GraphConfig::new(
                em.base_url(),
                Arc::new(StaticToken::new("emulator")),
            ))
            .expect("client");
            let t = Instant::now();
            let live = read_tenant(&client, &[&desired], now).await.expect("read");
            reads.push(t.elapsed());
            requests = client.request_count();
            let t = Instant::now();
            let p = plan::build(&desired, &live, &PlanOptions::default());
            builds.push(t.elapsed());
            changes = p.changes.len();
        }
        reads.sort();
        builds.sort();
        println!(
            "| {name} | {:.2?} | {:.2?} | {:.2?} | {requests} | {:.2?} | {changes} |",
            seeded,
            loaded,
            reads[RUNS / 2],
            builds[RUNS / 2]
        );
        let _ = em.shutdown().await;
    }
}
