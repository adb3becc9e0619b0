//! Section `redeploy` (issue #17, item 5): the redeploy scenario at scale. L's estate with no drift; one resource
//! group in each of its 20 subscriptions (`rg-1`) torn down and deployed again at once through the emulator's
//! `/_emulator/azure` lifecycle, which deletes their customised policies and assignments; then a plan (requests and
//! wall time: read and `plan::build`) and an apply of it (requests and wall time), and a plan after it, which must
//! be empty. At 0 and 50 ms of emulated latency, the emulator in the bench's process. `tests/azure_redeploy.rs`
//! asserts the restore and the request counts on a smaller estate.

use super::{
    ApplyOptions, FaultConfig, Options, Outcome, Size, apply, generate, ms, read_and_plan, start,
};
use std::time::Instant;

pub async fn redeploy() {
    println!("\n## Redeploy: 20 resource groups of L re-created at once, then plan and apply\n");
    println!(
        "| latency | plan: requests (Graph + ARM) | plan: changes (creates + rule updates) | plan: read + build | apply: requests (Graph + ARM) | apply: wall | applied, failed | plan after | load |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let g = generate::generate(&Options {
        drift: generate::Drift::default(),
        ..Options::size(Size::L)
    })
    .expect("generate");
    for latency_ms in [0, 50] {
        let t = start(&g, None, FaultConfig::default()).await;
        let (_, p, _, _, _, _) = read_and_plan(&t).await;
        assert!(p.changes.is_empty(), "L without drift plans nothing");
        let groups: Vec<(String, String)> = t.em.with_state(|s| {
            s.arm
                .subscriptions
                .iter()
                .map(|sub| (sub.id.clone(), "rg-1".to_string()))
                .collect()
        });
        assert_eq!(groups.len(), 20);
        let http = reqwest::Client::new();
        let control = t.em.control_url();
        futures_util::future::join_all(groups.iter().map(|(sub, rg)| {
            let (http, url) = (
                &http,
                format!("{control}/azure/subscriptions/{sub}/resourceGroups/{rg}"),
            );
            async move {
                assert_eq!(
                    http.delete(&url).send().await.expect("delete").status(),
                    204
                );
                assert_eq!(http.put(&url).send().await.expect("create").status(), 201);
            }
        }))
        .await;
        t.em.set_faults(FaultConfig {
            latency_ms,
            ..FaultConfig::default()
        });

        let started = Instant::now();
        let (_, p, _, _, client, arm) = read_and_plan(&t).await;
        let plan_wall = started.elapsed();
        let (plan_graph, plan_arm) = (client.stats().requests, arm.stats().requests);
        use pimctl::plan::Action;
        let count = |a: Action| p.changes.iter().filter(|c| c.action == a).count();
        assert_eq!(
            count(Action::Create) + count(Action::UpdateRule),
            p.changes.len()
        );

        let client = super::client(&t.em);
        let arm = super::arm_client(t.em.arm_url());
        let options = ApplyOptions {
            arm: Some(arm.clone()),
            ..Default::default()
        };
        let started = Instant::now();
        let report = apply::apply(&client, &p, &options, &mut |_| {}).await;
        let apply_wall = started.elapsed();

        t.em.set_faults(FaultConfig::default());
        let (_, after, _, _, _, _) = read_and_plan(&t).await;
        println!(
            "| {latency_ms} ms | {plan_graph} + {plan_arm} | {} ({} + {}) | {} | {} + {} | {} | {}, {} | {} changes | {} |",
            p.changes.len(),
            count(Action::Create),
            count(Action::UpdateRule),
            ms(plan_wall),
            client.stats().requests,
            arm.stats().requests,
            ms(apply_wall),
            report.count(Outcome::Applied),
            report.count(Outcome::Failed),
            after.changes.len(),
            super::load_average(),
        );
        assert!(after.changes.is_empty(), "the redeploy is restored");
    }
}
