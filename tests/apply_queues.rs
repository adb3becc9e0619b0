//! apply's queues (70993c2): Graph's targets and Azure Resource Manager's run with slots of their own, so an Azure
//! role waiting out ARM's `Retry-After` never holds the slot a directory role or group needs. Asserted by the order
//! in which changes end and by request counts, never by timing: ARM answers every request 429 until every Graph
//! change has ended, so if an Azure role held Graph's only slot, nothing would move until ARM's retries ran out.

mod planning;

use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::emulator::faults::FaultConfig;
use pimctl::graph::client::RetryConfig;
use pimctl::model::Surface;
use pimctl::plan::{self, PlanOptions};
use planning::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

#[tokio::test]
async fn graph_changes_end_while_arm_waits_out_its_retry_after_at_one_slot_each() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let desired = desired(CONTOSO, &em);
    let client = client(&em);
    let live = read_live(&em, &desired).await;
    let p = plan::build(&desired, &live, &PlanOptions::default());
    let is_arm = |i: usize| p.changes[i].key.target().surface == Surface::AzureRole;
    // The plan's first target is an Azure role (Contributor at app-rg sorts before the directory roles): with one
    // slot shared by both services it would take that slot first, and keep it while ARM throttles.
    assert!(is_arm(0), "{:#?}", lines(&p));
    let graph_changes = (0..p.changes.len()).filter(|i| !is_arm(*i)).count();
    let arm_changes = p.changes.len() - graph_changes;
    assert_eq!((graph_changes, arm_changes), (7, 8), "{:#?}", lines(&p));

    // Every ARM request throttled (seeded rate 1: whatever the machine's speed) until the faults change.
    em.set_faults(FaultConfig {
        arm_throttle_rate: 1.0,
        ..Default::default()
    });
    em.reset_stats();
    let options = ApplyOptions {
        // Waits out throttling for as long as the test holds ARM back (2,000 attempts, each wait cut to 10 ms):
        // only a bound, so that a regression fails (its Azure changes give up) instead of hanging.
        arm: Some(arm_client_with(
            &em,
            RetryConfig::fast(2_000, Duration::from_millis(10)),
        )),
        concurrency: 1,
        ..Default::default()
    };
    let graph_done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let mut ended: Vec<usize> = vec![];
    let mut throttled_when_released = 0;
    let run = async {
        let report = apply::apply(&client, &p, &options, &mut |r| {
            if !is_arm(r.index) {
                graph_done.fetch_add(1, Ordering::SeqCst);
            }
            ended.push(r.index);
        })
        .await;
        finished.store(true, Ordering::SeqCst);
        report
    };
    // ARM is let go on an event: every Graph change has ended, and ARM has been answered 429 at least once (its
    // queue was waiting out Retry-After meanwhile). Polled, never timed.
    let release = async {
        while !finished.load(Ordering::SeqCst) {
            let throttled = em.stats().throttled;
            if graph_done.load(Ordering::SeqCst) == graph_changes && throttled > 0 {
                throttled_when_released = throttled;
                em.set_faults(FaultConfig::default());
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (report, ()) = tokio::join!(run, release);

    assert!(!report.failed(), "{report:#?}");
    assert!(
        report.changes.iter().all(|c| c.outcome == Outcome::Applied),
        "{report:#?}"
    );
    // Graph's seven changes ended first, all of them while ARM was held back; then ARM's eight.
    assert!(throttled_when_released > 0, "ARM was released");
    assert_eq!(ended.len(), p.changes.len());
    assert!(
        ended[..graph_changes].iter().all(|i| !is_arm(*i))
            && ended[graph_changes..].iter().all(|i| is_arm(*i)),
        "{ended:?}"
    );
    // Graph never waited: no request of its was retried. Every 429 the emulator sent was ARM's, and the ARM client
    // retried each exactly once; each change sent one write, all answered.
    assert_eq!(client.stats().retries, 0);
    let arm = options.arm.as_ref().unwrap().stats();
    assert_eq!(arm.retries, em.stats().throttled, "{:#?}", em.stats());
    let sent: Vec<_> = report.changes.iter().flat_map(|c| &c.sent).collect();
    assert_eq!(sent.len(), 15, "{sent:#?}");
    assert!(sent.iter().all(|s| s.status == "ok"), "{sent:#?}");

    // The tenant converged.
    let again = plan::build(
        &desired,
        &read_live(&em, &desired).await,
        &PlanOptions::default(),
    );
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));
}
