//! Sections `l`, `xl` and `xl-estate` (BENCHMARKS.md items 4 and 2b, issue #17 items 4 and 6): CPU time and peak RSS of
//! `plan::build` and of apply's stale check, planning from a snapshot of the live state in a fresh process.
//!
//! The tenant (XL: 100,000 directory-role assignments; XL-estate: ten times L, 143,000 assignments on directory
//! roles, PIM groups and Azure roles) is read once through Graph and ARM from the in-process emulator at page size
//! 1,000 (not measured), planned, and the plan checked against the generated drift surface by surface. The
//! `LiveState` is written as a JSON snapshot; then `--xl-child DIR` (in `scale.rs`) does what `pimctl plan` does after
//! the network, in its order, and what `apply PLAN.json` does before any write, reporting each step's wall and CPU
//! time (`getrusage`) and peak RSS (`VmHWM`), its own because it is a fresh process.

use super::*;

/// `SCALE_KEEP_XL=1` keeps the snapshot and the policies, to profile `--xl-child DIR` alone.
pub async fn from_snapshot(size: Size) {
    println!(
        "\n## 4. {size}: planning from a live snapshot, no network (a fresh process), load average {}\n",
        load_average()
    );
    let g = generate::generate(&Options::size(size)).expect("generate");
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = std::env::var_os("SCALE_KEEP_XL").is_some();
    let started = Instant::now();
    let t = start(&g, Some(1000), FaultConfig::default()).await;
    let seeded = started.elapsed();
    let (live, p, read, _, client, arm) = read_and_plan(&t).await;
    let _ = t.em.shutdown().await;
    eprintln!(
        "{size}: seeded in {}, read in {} ({} Graph + {} ARM requests at page size 1000), {} changes",
        ms(seeded),
        ms(read),
        client.request_count(),
        arm.request_count(),
        p.changes.len()
    );
    // The plan is the generated drift, surface by surface.
    assert_eq!(generate::found_by_part(&p), g.expected_by_part);
    assert_eq!(p.changes.len(), g.expected.changes());
    g.write_policies(&dir.path().join("policies"))
        .expect("policies");
    let snapshot = serde_json::to_vec(&Snapshot::from(live.clone())).expect("snapshot");
    std::fs::write(dir.path().join("live.json"), &snapshot).expect("snapshot");
    std::fs::write(dir.path().join("read_at"), live.read_at.to_rfc3339()).expect("read_at");
    let changes = p.changes.len();
    drop((live, p));
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--xl-child")
        .arg(dir.path())
        .output()
        .expect("the child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "Inputs: {} assignments declared in {} files, a live snapshot of {:.1} MB (JSON).\n",
        size.shape().assignments() - g.expected.removes,
        g.policies.len(),
        snapshot.len() as f64 / 1e6
    );
    println!("| step | wall | CPU (user + sys) | peak RSS after it |");
    println!("|---|---:|---:|---:|");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if keep {
        eprintln!("kept {}", dir.keep().display());
    }
    println!(
        "\n{} (the plan read over HTTP had {} changes)",
        String::from_utf8_lossy(&out.stderr).trim(),
        changes
    );
}

/// The 1-, 5- and 15-minute load averages, from /proc/loadavg: the machine is shared, so every figure says how busy
/// it was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
