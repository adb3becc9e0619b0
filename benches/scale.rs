//! `cargo bench --bench scale [-- SECTION...]`: the measurements of BENCHMARKS.md, on tenants from
//! `pimctl::emulator::generate`. Sections (all by default): `requests`, `latency`, `apply`, `xl`, `validate`.
//! Each prints Markdown rows; results go to BENCHMARKS.md by hand, with the machine they were measured on.
//!
//! Under `cargo test --all-targets` this binary only checks that it builds: it measures when run with `--bench`.
//! `--xl-child DIR` is internal: the XL measurement runs in a fresh process so that its peak RSS is its own.

use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::emulator::faults::FaultConfig;
use pimctl::emulator::generate::{self, Drift, Generated, Layout, Options, Shape, Size};
use pimctl::emulator::{Emulator, EmulatorConfig, RunningEmulator, TenantSource};
use pimctl::graph::client::{GraphClient, GraphConfig, StaticToken};
use pimctl::language::{self, LoadOptions};
use pimctl::model::{DesiredState, LiveState, PrincipalRef, Resolution};
use pimctl::observe::read_tenant;
use pimctl::plan::{self, Plan, PlanOptions};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECTIONS: [&str; 5] = ["requests", "latency", "apply", "xl", "validate"];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--xl-child") {
        xl_child(Path::new(&args[i + 1]));
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let chosen: Vec<&str> = SECTIONS
        .into_iter()
        .filter(|s| args.iter().any(|a| a == s))
        .collect();
    let run = |s: &str| chosen.is_empty() || chosen.contains(&s);
    if run("requests") {
        requests().await;
    }
    if run("latency") {
        latency().await;
    }
    if run("apply") {
        apply_throughput().await;
    }
    if run("xl") {
        xl().await;
    }
    if run("validate") {
        validate();
    }
}

// -- shared ---------------------------------------------------------------------------------------------------------

struct Tenant {
    em: RunningEmulator,
    desired: DesiredState,
    _dir: tempfile::TempDir,
}

async fn start(g: &Generated, page_size: Option<usize>, faults: FaultConfig) -> Tenant {
    let seed = pimctl::emulator::seed::Seed::from_yaml(&g.seed, "generated").expect("seed");
    let mut config = EmulatorConfig::new(TenantSource::Seed {
        seed: Box::new(seed),
        origin: "generated".into(),
    });
    config.page_size = page_size;
    config.faults = faults;
    let em = Emulator::start(config).await.expect("emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    g.write_policies(dir.path()).expect("policies");
    let now = em.with_state(|s| s.now());
    let desired = load(dir.path(), now);
    Tenant {
        em,
        desired,
        _dir: dir,
    }
}

fn load(path: &Path, now: chrono::DateTime<chrono::Utc>) -> DesiredState {
    language::load(path, &LoadOptions { now })
        .ok()
        .unwrap_or_else(|d| panic!("{}", d.render_text(false)))
}

fn client(em: &RunningEmulator) -> GraphClient {
    GraphClient::new(GraphConfig::new(
        em.base_url(),
        Arc::new(StaticToken::new("emulator")),
    ))
    .expect("client")
}

/// Reads the tenant and plans: the live state, the plan, the read's and the build's wall time, and the client.
async fn read_and_plan(t: &Tenant) -> (LiveState, Plan, Duration, Duration, GraphClient) {
    let client = client(&t.em);
    let now = t.em.with_state(|s| s.now());
    let started = Instant::now();
    let live = read_tenant(&client, &[&t.desired], now)
        .await
        .expect("read");
    let read = started.elapsed();
    let started = Instant::now();
    let p = plan::build(&t.desired, &live, &PlanOptions::default());
    let build = started.elapsed();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    (live, p, read, build, client)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// The longest chain of pages: the most requests any one list route took.
fn longest_chain(em: &RunningEmulator) -> u64 {
    em.stats()
        .routes
        .iter()
        .filter(|(r, _)| r.starts_with("GET") && !is_lookup(r))
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
}

fn is_lookup(route: &str) -> bool {
    [
        "GET /v1.0/users",
        "GET /v1.0/groups",
        "GET /v1.0/servicePrincipals",
    ]
    .iter()
    .any(|p| route.starts_with(p))
}

// -- 1. requests per plan and per import ----------------------------------------------------------------------------

/// What is counted: a plan of the generated declaration, and an import of the same tenant.
#[derive(Clone, Copy)]
enum Operation {
    Plan,
    Import,
}

impl Operation {
    const ALL: [Operation; 2] = [Operation::Plan, Operation::Import];
    fn name(self) -> &'static str {
        match self {
            Operation::Plan => "plan",
            Operation::Import => "import",
        }
    }
}

/// (HTTP requests, of which `$batch`, list pages, changes): the client's counters after one operation.
async fn count(op: Operation, t: &Tenant) -> (u64, u64, u64, usize) {
    match op {
        Operation::Plan => {
            let (_, p, _, _, client) = read_and_plan(t).await;
            let s = client.stats();
            (s.requests, s.batches, s.pages, p.changes.len())
        }
        // What `pimctl import` does: the bulk read with no declaration, the name check, the files (not written).
        // "Changes" is the number of files.
        Operation::Import => {
            let client = client(&t.em);
            let now = t.em.with_state(|s| s.now());
            let live = read_tenant(&client, &[], now).await.expect("read");
            let ambiguous = pimctl::observe::ambiguous_names(&client, &live)
                .await
                .expect("names");
            let imported =
                pimctl::import::import(&live, &ambiguous, &Default::default()).expect("import");
            let s = client.stats();
            (s.requests, s.batches, s.pages, imported.files.len())
        }
    }
}

async fn requests() {
    println!("\n## 1. Requests per operation (default drift: 2 % of assignments, 10 policies)\n");
    println!(
        "| tenant | operation | page size | requests | of which `$batch` | list pages | ceiling (pages + 10) | changes (expected) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for size in [Size::S, Size::M, Size::LDir] {
        let g = generate::generate(&Options::size(size)).expect("generate");
        for page in [None, Some(1000)] {
            let t = start(&g, page, FaultConfig::default()).await;
            for op in Operation::ALL {
                t.em.reset_stats();
                let (requests, batches, pages, changes) = count(op, &t).await;
                let changes = match op {
                    Operation::Plan => format!("{changes} ({})", g.expected.changes()),
                    Operation::Import => format!("{changes} files"),
                };
                println!(
                    "| {size} | {} | {} | {requests} | {batches} | {pages} | {} | {changes} |",
                    op.name(),
                    page.unwrap_or(pimctl::emulator::DEFAULT_PAGE_SIZE),
                    pages + 10,
                );
            }
            let _ = t.em.shutdown().await;
        }
    }
}

// -- 2. wall time of an L-dir plan under latency --------------------------------------------------------------------

async fn latency() {
    const RUNS: usize = 3;
    println!(
        "\n## 2. L-dir plan wall time under emulated latency (read + plan::build, median of {RUNS})\n"
    );
    println!(
        "| page size | latency | requests | longest page chain | read + plan | target (chain + 3) × latency | read + plan − chain × latency | plan::build |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let g = generate::generate(&Options::size(Size::LDir)).expect("generate");
    for page in [None, Some(1000)] {
        let t = start(&g, page, FaultConfig::default()).await;
        for latency_ms in [0, 10, 50] {
            t.em.set_faults(FaultConfig {
                latency_ms,
                ..Default::default()
            });
            let mut walls = vec![];
            let mut builds = vec![];
            let (mut requests, mut chain) = (0, 0);
            for _ in 0..RUNS {
                t.em.reset_stats();
                let (_, _, read, build, client) = read_and_plan(&t).await;
                walls.push(read + build);
                builds.push(build);
                requests = client.request_count();
                chain = longest_chain(&t.em);
            }
            let target = if latency_ms == 0 {
                "—".to_string()
            } else {
                ms(Duration::from_millis((chain + 3) * latency_ms))
            };
            let wall = median(walls);
            let beyond = wall.saturating_sub(Duration::from_millis(chain * latency_ms));
            println!(
                "| {} | {latency_ms} ms | {requests} | {chain} | {} | {target} | {} | {} |",
                page.unwrap_or(pimctl::emulator::DEFAULT_PAGE_SIZE),
                ms(wall),
                ms(beyond),
                ms(median(builds))
            );
        }
        let _ = t.em.shutdown().await;
    }
}

// -- 3. apply throughput under throttling ---------------------------------------------------------------------------

async fn apply_throughput() {
    const CHANGES: usize = 1_000;
    const RPS: f64 = 50.0;
    println!(
        "\n## 3. Apply: {CHANGES} assignment creations, emulator throttled at {RPS} requests/s\n"
    );
    println!(
        "| apply concurrency | wall time | writes/s | ÷ throttle | sustained (after the 1 s burst) ÷ throttle | 429 answers | applied | failed |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let g = generate::generate(&Options {
        shape: Shape {
            roles: 50,
            eligible: CHANGES,
            active: 0,
            activations: 0,
            users: CHANGES,
            groups: 0,
            service_principals: 0,
            policies: false,
            ..Default::default()
        },
        drift: Drift {
            missing: CHANGES,
            ..Default::default()
        },
        layout: Layout::FilePerRole,
        rng_seed: 0,
    })
    .expect("generate");
    for concurrency in [4, 16] {
        let t = start(&g, None, FaultConfig::default()).await;
        let (_, p, _, _, _) = read_and_plan(&t).await;
        assert_eq!(p.changes.len(), CHANGES);
        // The bucket starts full: one second's worth of requests goes through at once.
        t.em.set_faults(FaultConfig {
            throttle_rps: Some(RPS),
            ..Default::default()
        });
        t.em.reset_stats();
        let client = client(&t.em);
        let options = ApplyOptions {
            concurrency,
            ..Default::default()
        };
        let started = Instant::now();
        let report = apply::apply(&client, &p, &options, &mut |_| {}).await;
        let wall = started.elapsed().as_secs_f64();
        let applied = report.count(Outcome::Applied);
        let failed = report.count(Outcome::Failed) + report.count(Outcome::Skipped);
        let rate = applied as f64 / wall;
        let sustained = (applied as f64 - RPS) / wall;
        println!(
            "| {concurrency} | {wall:.1} s | {rate:.1} | {:.0} % | {:.0} % | {} | {applied} | {failed} |",
            100.0 * rate / RPS,
            100.0 * sustained / RPS,
            client.stats().retries,
        );
        let _ = t.em.shutdown().await;
    }
}

// -- 4. XL: CPU time and peak RSS of planning from a live snapshot --------------------------------------------------

async fn xl() {
    println!("\n## 4. XL: planning from a live snapshot, no network (a fresh process)\n");
    let g = generate::generate(&Options::size(Size::XL)).expect("generate");
    let dir = tempfile::tempdir().expect("tempdir");
    // SCALE_KEEP_XL=1 keeps the snapshot and the policies, to profile `--xl-child DIR` alone.
    let keep = std::env::var_os("SCALE_KEEP_XL").is_some();
    let started = Instant::now();
    let t = start(&g, Some(1000), FaultConfig::default()).await;
    let seeded = started.elapsed();
    let (live, p, read, _, client) = read_and_plan(&t).await;
    let _ = t.em.shutdown().await;
    eprintln!(
        "XL: seeded in {}, read in {} ({} requests at page size 1000), {} changes",
        ms(seeded),
        ms(read),
        client.request_count(),
        p.changes.len()
    );
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
        Size::XL.shape().assignments() - g.expected.removes,
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

/// A `LiveState` as JSON: its `resolved` map is keyed by a struct, which JSON keys cannot be, so it travels as pairs.
#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    live: LiveState,
    resolved: Vec<(PrincipalRef, Resolution)>,
}

impl From<LiveState> for Snapshot {
    fn from(mut live: LiveState) -> Self {
        let resolved = std::mem::take(&mut live.resolved).into_iter().collect();
        Snapshot { live, resolved }
    }
}

impl From<Snapshot> for LiveState {
    fn from(s: Snapshot) -> Self {
        let mut live = s.live;
        live.resolved = s.resolved.into_iter().collect();
        live
    }
}

/// CPU time (user + system) so far, from `getrusage`, and peak RSS so far, from `VmHWM` in /proc/self/status
/// (`ru_maxrss` would not do: Linux carries the parent's peak over `fork` and `exec`).
fn usage() -> (Duration, u64) {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value to pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let hwm_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    (tv(u.ru_utime) + tv(u.ru_stime), hwm_kb * 1024)
}

fn xl_child(dir: &Path) {
    let row = |step: &str, wall: Duration, cpu: Duration, rss: u64| {
        println!(
            "| {step} | {} | {} | {:.0} MB |",
            ms(wall),
            ms(cpu),
            rss as f64 / 1e6
        );
    };
    let (cpu0, rss0) = usage();
    row("process start", Duration::ZERO, cpu0, rss0);
    // In the order `pimctl plan` follows: the declaration is loaded and checked before the tenant is read.
    let t = Instant::now();
    let read_at = std::fs::read_to_string(dir.join("read_at")).expect("read_at");
    let read_at = chrono::DateTime::parse_from_rfc3339(read_at.trim())
        .expect("read_at")
        .to_utc();
    let desired = load(&dir.join("policies"), read_at);
    let (cpu1, rss1) = usage();
    row(
        "load the declaration (YAML)",
        t.elapsed(),
        cpu1 - cpu0,
        rss1,
    );
    // Streamed, as pages are: the snapshot's bytes are never all in memory at once.
    let t = Instant::now();
    let file = std::fs::File::open(dir.join("live.json")).expect("snapshot");
    let live: LiveState = serde_json::from_reader::<_, Snapshot>(std::io::BufReader::new(file))
        .expect("snapshot")
        .into();
    let (cpu2, rss2) = usage();
    row(
        "read the live snapshot (JSON)",
        t.elapsed(),
        cpu2 - cpu1,
        rss2,
    );
    let t = Instant::now();
    let p = plan::build(&desired, &live, &PlanOptions::default());
    let (cpu3, rss3) = usage();
    row("**plan::build**", t.elapsed(), cpu3 - cpu2, rss3);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    eprintln!("XL plan: {} changes", p.changes.len());
}

// -- 5. validate a directory of 500 files ---------------------------------------------------------------------------

fn validate() {
    const RUNS: usize = 5;
    println!("\n## 5. validate: a directory of 500 files (median of {RUNS})\n");
    // 499 roles (the built-in ones, then custom roles), one file each, and the templates: 500 files.
    let mut shape = Size::LDir.shape();
    shape.roles = 499;
    let g = generate::generate(&Options {
        shape: shape.clone(),
        drift: Drift::default(),
        layout: Layout::FilePerRole,
        rng_seed: 0,
    })
    .expect("generate");
    assert_eq!(g.policies.len(), 500);
    let dir = tempfile::tempdir().expect("tempdir");
    g.write_policies(dir.path()).expect("policies");
    let bytes: usize = g.policies.iter().map(|(_, t)| t.len()).sum();
    let now = chrono::Utc::now();
    let in_process = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let d = load(dir.path(), now);
                assert_eq!(d.targets.len(), 499);
                t.elapsed()
            })
            .collect(),
    );
    let command = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_pimctl"))
                    .arg("validate")
                    .arg(dir.path())
                    .output()
                    .expect("pimctl validate runs");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stdout)
                );
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "| files | roles | assignments | size | `language::load` | `pimctl validate DIR` (process) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | 499 | {} | {:.1} MB | {} | {} |",
        g.policies.len(),
        shape.assignments(),
        bytes as f64 / 1e6,
        ms(in_process),
        ms(command)
    );
}
