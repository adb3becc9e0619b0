//! Section `apply-mixed` (BENCHMARKS.md item 3b, issue #17 item 3): apply of 1,000 mixed changes (directory roles,
//! PIM groups, Azure roles) with Graph and ARM each throttled by its own token bucket, as the two services throttle
//! independently (`--throttle` and `--arm-throttle`).
//!
//! Each service's throughput is measured over its own window (its first write's answer to its last's) and over the
//! whole apply, against its throttle rate.

use super::*;
use pimctl::apply::ApplyReport;
use pimctl::emulator::generate::{AzureEstate, Part, PimGroups};

const GRAPH_RPS: f64 = 50.0;
const ARM_RPS: f64 = 20.0;

/// 1,000 eligible assignments, all declared and none held: 400 on 40 directory roles, 300 on 30 PIM groups' member
/// and owner blocks, 300 on 5 Azure roles at 6 scopes (3 subscriptions, a resource group each). No policy is
/// declared, so every change is one write: a `POST` to Graph or a `PUT` to ARM.
fn mixed() -> Generated {
    let g = generate::generate(&Options {
        shape: Shape {
            roles: 40,
            eligible: 400,
            users: 1_000,
            policies: false,
            pim_groups: PimGroups {
                groups: 30,
                eligible: 300,
                ..Default::default()
            },
            azure: AzureEstate {
                subscriptions: 3,
                resource_groups: 1,
                roles_per_scope: 5,
                eligible: 300,
                active: 0,
            },
            ..Default::default()
        },
        drift: Drift {
            missing: 1_000,
            ..Default::default()
        },
        layout: Layout::FilePerRole,
        rng_seed: 0,
    })
    .expect("generate");
    assert_eq!(g.expected.creates, 1_000);
    g
}

/// One service's writes in an apply: how many were applied, and when the first and the last answer came, from the
/// start of the apply.
struct Window {
    applied: usize,
    /// Failed or skipped.
    failed: usize,
    first: f64,
    last: f64,
}

fn window(
    report: &ApplyReport,
    p: &Plan,
    arm: bool,
    started: chrono::DateTime<chrono::Utc>,
) -> Window {
    let mut w = Window {
        applied: 0,
        failed: 0,
        first: f64::MAX,
        last: 0.0,
    };
    for r in &report.changes {
        let azure = Part::of(&p.changes[r.index].key) == Part::Azure;
        if azure != arm {
            continue;
        }
        if matches!(r.outcome, Outcome::Failed | Outcome::Skipped) {
            w.failed += 1;
        }
        if r.outcome != Outcome::Applied {
            continue;
        }
        w.applied += 1;
        for s in r.sent.iter().filter(|s| s.status == "ok") {
            let at = (s.at - started).num_microseconds().unwrap_or(0) as f64 / 1e6;
            w.first = w.first.min(at);
            w.last = w.last.max(at);
        }
    }
    w
}

pub async fn apply_mixed() {
    println!(
        "\n## 3b. Apply: 1,000 mixed creations (400 directory roles, 300 groups, 300 Azure), Graph throttled at \
         {GRAPH_RPS} requests/s and ARM at {ARM_RPS}, each its own bucket; load average {}\n",
        super::xl_estate::load_average()
    );
    println!(
        "| apply concurrency | wall | service | writes | window (from the apply's start) | writes/s in its window | ÷ throttle | sustained (after the 1 s burst) ÷ throttle | over the whole apply ÷ throttle | 429 answers | failed |"
    );
    println!("|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|");
    let g = mixed();
    for concurrency in [4, 16] {
        let t = start(&g, None, FaultConfig::default()).await;
        let (_, p, _, _, _, _) = read_and_plan(&t).await;
        assert_eq!(generate::found_by_part(&p), g.expected_by_part);
        // Both buckets start full: one second's worth of requests goes through at once.
        t.em.set_faults(FaultConfig {
            throttle_rps: Some(GRAPH_RPS),
            arm_throttle_rps: Some(ARM_RPS),
            ..Default::default()
        });
        t.em.reset_stats();
        let client = client(&t.em);
        let arm = arm_client(t.em.arm_url());
        let options = ApplyOptions {
            concurrency,
            arm: Some(arm.clone()),
            ..Default::default()
        };
        let started_at = chrono::Utc::now();
        let started = Instant::now();
        let report = apply::apply(&client, &p, &options, &mut |_| {}).await;
        let wall = started.elapsed().as_secs_f64();
        assert_eq!(report.changes.len(), 1_000);
        for (name, is_arm, rps, throttled) in [
            ("Graph", false, GRAPH_RPS, client.stats().retries),
            ("ARM", true, ARM_RPS, arm.stats().retries),
        ] {
            let w = window(&report, &p, is_arm, started_at);
            let span = (w.last - w.first).max(f64::EPSILON);
            // The first answer opens the window: the writes after it, over it.
            let rate = (w.applied as f64 - 1.0) / span;
            let sustained = (w.applied as f64 - rps) / span;
            println!(
                "| {concurrency} | {wall:.1} s | {name} | {} | {:.1}–{:.1} s | {rate:.1} | {:.0} % | {:.0} % | {:.0} % | {throttled} | {} |",
                w.applied,
                w.first,
                w.last,
                100.0 * rate / rps,
                100.0 * sustained / rps,
                100.0 * w.applied as f64 / wall / rps,
                w.failed,
            );
        }
        let _ = t.em.shutdown().await;
    }
}
