//! `cargo bench --bench scale [-- SECTION...]`: the measurements of BENCHMARKS.md, on tenants from
//! `pimctl::emulator::generate`. Sections (all by default): `requests`, `latency`, `estate-latency`, `apply`,
//! `apply-mixed`, `l`, `xl`, `xl-estate`, `validate`, `fleet`, `redeploy` (in `scale/redeploy.rs`).
//! Each prints Markdown rows; results go to BENCHMARKS.md by hand, with the machine they were measured on.
//!
//! Under `cargo test --all-targets` this binary only checks that it builds: it measures when run with `--bench`.
//! `--xl-child DIR` is internal: the XL measurement runs in a fresh process so that its peak RSS is its own. The
//! binary counts heap allocations (a counting global allocator), for the XL rows.

use pimctl::apply::{self, ApplyOptions, Outcome};
use pimctl::emulator::faults::FaultConfig;
use pimctl::emulator::generate::{self, Drift, Generated, Layout, Options, Shape, Size};
use pimctl::emulator::{Emulator, EmulatorConfig, RunningEmulator, TenantSource};
use pimctl::graph::client::{ArmClient, ClientStats, GraphClient, GraphConfig, StaticToken};
use pimctl::language::{self, LoadOptions};
use pimctl::model::{DesiredState, LiveState, PrincipalRef, Resolution};
use pimctl::plan::{self, Plan, PlanOptions};
use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[path = "scale/apply_mixed.rs"]
mod apply_mixed;
#[path = "scale/redeploy.rs"]
mod redeploy;
#[path = "scale/xl_estate.rs"]
mod xl_estate;

const SECTIONS: [&str; 11] = [
    "requests",
    "latency",
    "estate-latency",
    "apply",
    "apply-mixed",
    "l",
    "xl",
    "xl-estate",
    "validate",
    "fleet",
    "redeploy",
];

/// Counts heap allocations (and reallocations), for the XL rows; otherwise the system allocator.
struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--xl-child") {
        xl_child(Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--fleet-child") {
        std::process::exit(fleet_child(&args[i + 1..]));
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
    if run("estate-latency") {
        estate_latency().await;
    }
    if run("apply") {
        apply_throughput().await;
    }
    if run("apply-mixed") {
        apply_mixed::apply_mixed().await;
    }
    if run("l") {
        xl_estate::from_snapshot(Size::L).await;
    }
    if run("xl") {
        xl_estate::from_snapshot(Size::XL).await;
    }
    if run("xl-estate") {
        xl_estate::from_snapshot(Size::XLEstate).await;
    }
    if run("validate") {
        validate();
    }
    if run("fleet") {
        fleet().await;
    }
    if run("redeploy") {
        redeploy::redeploy().await;
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

/// A client with the emulator's token, which names the tenant: as `pimctl plan --emulator`, no `/organization` read.
fn client(em: &RunningEmulator) -> GraphClient {
    GraphClient::new(GraphConfig::new(
        em.base_url(),
        Arc::new(StaticToken::new(em.access_token())),
    ))
    .expect("client")
}

/// An ARM client with `pimctl`'s default slots (`--arm-max-concurrency`).
fn arm_client(url: String) -> ArmClient {
    let mut config = GraphConfig::new(url, Arc::new(StaticToken::new("emulator")));
    config.max_concurrency = usize::from(pimctl::graph::client::DEFAULT_ARM_MAX_CONCURRENCY);
    ArmClient::new(config).expect("ARM client")
}

/// Reads what `pimctl plan` reads for these declarations: Graph, and ARM beside it when Azure roles are declared.
async fn read_all(
    client: &GraphClient,
    arm: &ArmClient,
    desired: &[&DesiredState],
    now: chrono::DateTime<chrono::Utc>,
) -> LiveState {
    pimctl::observe::read_with_azure(client, Some(arm), desired, now)
        .await
        .expect("read")
}

/// Reads the tenant and plans: the live state, the plan, the read's and the build's wall time, and the clients.
async fn read_and_plan(
    t: &Tenant,
) -> (LiveState, Plan, Duration, Duration, GraphClient, ArmClient) {
    let client = client(&t.em);
    let arm = arm_client(t.em.arm_url());
    let now = t.em.with_state(|s| s.now());
    let started = Instant::now();
    let live = read_all(&client, &arm, &[&t.desired], now).await;
    let read = started.elapsed();
    let started = Instant::now();
    let p = plan::build(&t.desired, &live, &PlanOptions::default());
    let build = started.elapsed();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    (live, p, read, build, client, arm)
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

/// The Graph and ARM clients' counters after one operation, and its changes (plan) or files (import).
async fn count(op: Operation, t: &Tenant, shape: &Shape) -> (ClientStats, ClientStats, usize) {
    match op {
        Operation::Plan => {
            let (_, p, _, _, client, arm) = read_and_plan(t).await;
            (client.stats(), arm.stats(), p.changes.len())
        }
        // What `pimctl import` does: the read (with `--azure` every declared scope, `--groups` every PIM group), the
        // reviews with their reviewers, group discovery, the name check, the files (not written).
        Operation::Import => {
            let client = client(&t.em);
            let arm = arm_client(t.em.arm_url());
            let now = t.em.with_state(|s| s.now());
            let azure: Vec<_> = pimctl::observe::azure::declared_scopes(&[&t.desired])
                .into_values()
                .collect();
            let scopes = pimctl::observe::azure::reading(&azure);
            let mut live = read_all(&client, &arm, &[&scopes], now).await;
            pimctl::observe::reviews::read_with_reviewers(&client, &mut live)
                .await
                .expect("reviews");
            let named: Vec<String> = (0..shape.pim_groups.groups)
                .map(generate::pim_group_name)
                .collect();
            let groups = pimctl::observe::discover_groups(&client, &mut live, &named)
                .await
                .expect("groups");
            let mut ambiguous = pimctl::observe::ambiguous_names(&client, &live)
                .await
                .expect("names");
            ambiguous.extend(groups.ambiguous.iter().cloned());
            let options = pimctl::import::Options {
                groups_named: groups.named(),
                azure,
                ..Default::default()
            };
            let imported = pimctl::import::import(&live, &ambiguous, &options).expect("import");
            (client.stats(), arm.stats(), imported.files.len())
        }
    }
}

async fn requests() {
    println!(
        "\n## 1. Requests per operation (default drift: 2 % of assignments and reviews, 10 policies)\n"
    );
    println!(
        "| tenant | operation | page size | requests | Graph list pages | Graph `$batch` | ARM | changes (expected), or files |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for size in [Size::S, Size::M, Size::LDir, Size::L] {
        let g = generate::generate(&Options::size(size)).expect("generate");
        for page in [None, Some(1000)] {
            let t = start(&g, page, FaultConfig::default()).await;
            for op in Operation::ALL {
                t.em.reset_stats();
                let (graph, arm, changes) = count(op, &t, &size.shape()).await;
                let changes = match op {
                    Operation::Plan => format!("{changes} ({})", g.expected.changes()),
                    Operation::Import => format!("{changes} files"),
                };
                println!(
                    "| {size} | {} | {} | {} | {} | {} | {} | {changes} |",
                    op.name(),
                    page.unwrap_or(pimctl::emulator::DEFAULT_PAGE_SIZE),
                    graph.requests + arm.requests,
                    graph.requests - graph.batches,
                    graph.batches,
                    arm.requests,
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
                let (_, _, read, build, client, _) = read_and_plan(&t).await;
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

// -- 2b. wall time of a plan of the estate (L), the emulator in its own process -------------------------------------

/// An emulator in another process (`pimctl emulator --seed`), so that its CPU is not the measuring process's.
struct External {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    root: String,
    http: reqwest::Client,
}

impl External {
    fn start(seed: &Path, page_size: Option<usize>) -> External {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pimctl"));
        cmd.args(["emulator", "--port", "0", "--seed"]).arg(seed);
        if let Some(p) = page_size {
            cmd.args(["--page-size", &p.to_string()]);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the emulator starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the emulator says where it listens");
        let url = line.trim().rsplit(' ').next().unwrap_or_default();
        External {
            child,
            root: url.trim_end_matches("/v1.0").to_string(),
            http: reqwest::Client::new(),
        }
    }
    async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let mut r = self
            .http
            .request(method, format!("{}/_emulator/{path}", self.root));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("control request");
        resp.json().await.unwrap_or(serde_json::Value::Null)
    }
    async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let v = self.control(reqwest::Method::GET, "clock", None).await;
        serde_json::from_value(v["now"].clone()).expect("the emulator's clock")
    }
}

impl Drop for External {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl External {
    /// CPU time (user + system) the emulator's process has used so far, from `/proc/PID/stat`.
    fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command's name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and the state.
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        Duration::from_micros(ticks * 1_000_000 / hz)
    }
}

/// The machine's load average over the last minute, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// L's plan (read through Graph and ARM, then `plan::build`) against an emulator in its own process, at 0, 10 and
/// 50 ms of latency, read as `pimctl plan` reads: once the tenant is named, Graph's lists, the groups (lookup, then
/// their `$batch`es), the reviews and ARM's lists all at once, then the principals' lookup. The token names no
/// tenant, so the read starts with `/organization`.
///
/// The longest chain of dependent requests: the tenant's name; then the longest of the longest directory list, the
/// group lookup and one round of group `$batch`es, the review pages and the longest ARM list; then the principals'
/// `$batch`, if any. Slots bound it too: Graph's requests share `--max-concurrency` (4), ARM's
/// `--arm-max-concurrency` (16), so the rounds column is the larger, per client, of its chain and its requests ÷
/// its slots. CPU is measured apart from the wall: the bench's own (the client's read and `plan::build`, from
/// `getrusage`) and the emulator's (from `/proc`), robust to the other load on the machine.
async fn estate_latency() {
    const RUNS: usize = 3;
    println!(
        "\n## 2b. L (the estate) plan wall time under emulated latency, emulator in its own process (median of {RUNS})\n"
    );
    println!(
        "| page size | latency | slots (Graph, ARM) | requests (Graph + ARM) | longest chain | rounds | read + plan | target (chain + 3) × latency | read + plan − rounds × latency | `plan::build` | CPU: pimctl, emulator | load |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let g = generate::generate(&Options::size(Size::L)).expect("generate");
    let shape = Size::L.shape();
    let dir = tempfile::tempdir().expect("tempdir");
    g.write_to(dir.path()).expect("write");
    // The defaults at every latency; at 50 ms also ARM at Graph's 4 slots (as before it had its own) and Graph at 8.
    let configs = |latency: u64| {
        let mut c = vec![(4u64, 16u64)];
        if latency == 50 {
            c.extend([(4, 4), (8, 16)]);
        }
        c
    };
    for page in [None, Some(1000)] {
        let em = External::start(&dir.path().join("tenant.yaml"), page);
        let desired = load(&dir.path().join("policies"), em.now().await);
        let size = page.unwrap_or(pimctl::emulator::DEFAULT_PAGE_SIZE);
        for latency_ms in [0u64, 10, 50] {
            em.control(
                reqwest::Method::POST,
                "faults",
                Some(serde_json::json!({"latencyMs": latency_ms})),
            )
            .await;
            for (graph_slots, arm_slots) in configs(latency_ms) {
                let (mut walls, mut builds, mut cpus, mut em_cpus) =
                    (vec![], vec![], vec![], vec![]);
                let (mut graph, mut arm_stats) = (ClientStats::default(), ClientStats::default());
                for _ in 0..RUNS {
                    let mut config = GraphConfig::new(
                        format!("{}/v1.0", em.root),
                        Arc::new(StaticToken::new("emulator")),
                    );
                    config.max_concurrency = graph_slots as usize;
                    let client = GraphClient::new(config).expect("client");
                    let mut config =
                        GraphConfig::new(em.root.clone(), Arc::new(StaticToken::new("emulator")));
                    config.max_concurrency = arm_slots as usize;
                    let arm = ArmClient::new(config).expect("ARM client");
                    let now = em.now().await;
                    let (cpu0, _) = usage();
                    let em0 = em.cpu();
                    let started = Instant::now();
                    let live = read_all(&client, &arm, &[&desired], now).await;
                    let b = Instant::now();
                    let p = plan::build(&desired, &live, &PlanOptions::default());
                    builds.push(b.elapsed());
                    walls.push(started.elapsed());
                    cpus.push(usage().0 - cpu0);
                    em_cpus.push(em.cpu() - em0);
                    assert!(p.errors.is_empty(), "{:?}", p.errors);
                    assert_eq!(p.changes.len(), g.expected.changes());
                    (graph, arm_stats) = (client.stats(), arm.stats());
                }
                let pages = |n: usize| n.div_ceil(size).max(1) as u64;
                let lookups = g.lookups.clauses().div_ceil(20) as u64;
                let arm_chain = pages(shape.azure.eligible.div_ceil(shape.azure.subscriptions));
                let group_chain = if shape.pim_groups.groups > 0 { 2 } else { 0 };
                let longest = pages(shape.eligible)
                    .max(group_chain)
                    .max(pages(shape.reviews))
                    .max(arm_chain);
                let chain = 1 + longest + lookups.min(1);
                // Graph: the tenant's name, then everything but the principals' lookup in its slots, then that.
                let graph_rounds = 1
                    + pages(shape.eligible)
                        .max(group_chain)
                        .max((graph.requests - 1 - lookups).div_ceil(graph_slots))
                    + lookups.div_ceil(graph_slots);
                let arm_rounds = 1 + arm_chain.max(arm_stats.requests.div_ceil(arm_slots));
                let rounds = graph_rounds.max(arm_rounds);
                let wall = median(walls);
                let target = if latency_ms == 0 {
                    "—".to_string()
                } else {
                    ms(Duration::from_millis((chain + 3) * latency_ms))
                };
                println!(
                    "| {size} | {latency_ms} ms | {graph_slots}, {arm_slots} | {} + {} | {chain} | {rounds} | {} | {target} | {} | {} | {}, {} | {} |",
                    graph.requests,
                    arm_stats.requests,
                    ms(wall),
                    ms(wall.saturating_sub(Duration::from_millis(rounds * latency_ms))),
                    ms(median(builds)),
                    ms(median(cpus)),
                    ms(median(em_cpus)),
                    load_average(),
                );
            }
        }
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
        let (_, p, _, _, _, _) = read_and_plan(&t).await;
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

// -- 4. XL and XL-estate: the snapshot and the child process (the parent is `scale/xl_estate.rs`) -------------------

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
    // What `apply PLAN.json` does before any write: re-fingerprint every object the plan recorded against a fresh
    // read (here, the same live state: nothing is stale).
    let a0 = allocations();
    let t = Instant::now();
    let stale = apply::stale_objects(&p, &live);
    let (cpu4, rss4) = usage();
    let allocated = allocations() - a0;
    row(
        &format!(
            "**apply's stale check** ({} recorded objects, {allocated} allocations)",
            p.fingerprints.len()
        ),
        t.elapsed(),
        cpu4 - cpu3,
        rss4,
    );
    assert!(stale.is_empty());
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

// -- 6. many tenants: a fleet of plans, one process per tenant ------------------------------------------------------

/// What one `pimctl plan` process cost, as its spawner (`--fleet-child`) measured it with `wait4`.
struct PlanRun {
    wall: Duration,
    cpu: Duration,
    peak_rss: u64,
    /// Graph requests, from the plan's `-v` line "read the tenant in N requests".
    requests: u64,
    changes: usize,
}

/// A managed-service provider's fleet: 100 generated tenants of size S, then of size M, each a different tenant (the
/// drift drawn with `--seed-rng` 0 to 99) served by its own emulator process, all started before the clock starts.
/// Then `pimctl plan` runs once per tenant as its own process, N at a time, as a CI matrix would: its own token,
/// its own `--max-concurrency 4`, nothing shared. At 0 ms and at 50 ms of latency (each emulator's). Each plan
/// process is spawned by a small `--fleet-child` process so that its peak RSS (`ru_maxrss` from `wait4`) is its
/// own: Linux carries the spawning process's peak over `fork` and `exec`.
async fn fleet() {
    const TENANTS: usize = 100;
    println!(
        "\n## 6. Many tenants: {TENANTS} plans, one `pimctl plan` process per tenant, N at a time\n"
    );
    println!(
        "| size | latency | at once | total wall | plans/s | plan wall (median, max) | requests per tenant | plan CPU (median) | plan peak RSS (median, max) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for size in [Size::S, Size::M] {
        let root = tempfile::tempdir().expect("tempdir");
        let mut expected = vec![];
        for i in 0..TENANTS {
            let mut o = Options::size(size);
            o.rng_seed = i as u64;
            let g = generate::generate(&o).expect("generate");
            g.write_to(&root.path().join(format!("t{i:03}")))
                .expect("write");
            expected.push(g.expected.changes());
        }
        // Every generated tenant has the same id, so one token (the emulator's, which names the tenant, as a real
        // token does) serves them all.
        let token = {
            let g = generate::generate(&Options::size(size)).expect("generate");
            let t = start(&g, None, FaultConfig::default()).await;
            t.em.access_token()
        };
        let ems: Vec<External> = (0..TENANTS)
            .map(|i| External::start(&root.path().join(format!("t{i:03}/tenant.yaml")), None))
            .collect();
        for latency_ms in [0u64, 50] {
            for em in &ems {
                em.control(
                    reqwest::Method::POST,
                    "faults",
                    Some(serde_json::json!({"latencyMs": latency_ms})),
                )
                .await;
            }
            for at_once in [1usize, 4, 16] {
                let next = std::sync::atomic::AtomicUsize::new(0);
                let runs = std::sync::Mutex::new(Vec::with_capacity(TENANTS));
                let started = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..at_once {
                        s.spawn(|| {
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                if i >= TENANTS {
                                    break;
                                }
                                let run = plan_process(
                                    &root.path().join(format!("t{i:03}/policies")),
                                    &ems[i].root,
                                    &token,
                                );
                                assert_eq!(run.changes, expected[i], "tenant {i}'s plan");
                                runs.lock().expect("runs").push(run);
                            }
                        });
                    }
                });
                let total = started.elapsed();
                let runs = runs.into_inner().expect("runs");
                let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
                let max_wall = walls.iter().max().copied().unwrap_or_default();
                let (rq_min, rq_max) = (
                    runs.iter().map(|r| r.requests).min().unwrap_or(0),
                    runs.iter().map(|r| r.requests).max().unwrap_or(0),
                );
                let requests = if rq_min == rq_max {
                    rq_min.to_string()
                } else {
                    format!("{rq_min}–{rq_max}")
                };
                let mut rss: Vec<u64> = runs.iter().map(|r| r.peak_rss).collect();
                rss.sort_unstable();
                let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
                println!(
                    "| {} | {latency_ms} ms | {at_once} | {} | {:.1} | {}, {} | {requests} | {} | {}, {} |",
                    size.name(),
                    ms(total),
                    TENANTS as f64 / total.as_secs_f64(),
                    ms(median(walls)),
                    ms(max_wall),
                    ms(median(runs.iter().map(|r| r.cpu).collect())),
                    mb(rss[rss.len() / 2]),
                    mb(rss[rss.len() - 1]),
                );
            }
        }
    }
}

/// `pimctl plan DIR` against an emulator in another process, as a pipeline step would run it against its tenant,
/// spawned through `--fleet-child` (see [`fleet`]).
fn plan_process(policies: &Path, root: &str, token: &str) -> PlanRun {
    let started = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--fleet-child")
        .arg(env!("CARGO_BIN_EXE_pimctl"))
        .args(["plan", "-v", "--format", "json", "--auth", "token", "--now"])
        .arg(generate::NOW)
        .arg("--graph-url")
        .arg(format!("{root}/v1.0"))
        .arg("--arm-url")
        .arg(root)
        .arg(policies)
        .env("PIMCTL_ACCESS_TOKEN", token)
        .env_remove("RUST_LOG")
        .output()
        .expect("the plan runs");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let number_after = |prefix: &str| -> u64 {
        stderr
            .lines()
            .find_map(|l| l.split_once(prefix).map(|(_, rest)| rest))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` in: {stderr}"))
    };
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    PlanRun {
        wall,
        cpu: Duration::from_micros(number_after("fleet-child: cpu_us ")),
        peak_rss: number_after("fleet-child: maxrss_kb ") * 1024,
        requests: number_after("read the tenant in "),
        changes: plan["changes"].as_array().map_or(0, Vec::len),
    }
}

/// `--fleet-child PROGRAM ARGS...`: runs PROGRAM, passes its stdout and stderr through, then reports its CPU time and
/// peak RSS from `wait4` on stderr. A process of its own, so that the peak reported is PROGRAM's, not the bench's.
/// Exits with PROGRAM's exit code; a plan with changes (exit 0 without `--detailed-exitcode`) exits 0.
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which `Child::wait` cannot replace: it gives no rusage
fn fleet_child(args: &[String]) -> i32 {
    let child = std::process::Command::new(&args[0])
        .args(&args[1..])
        .spawn()
        .expect("the program starts");
    let mut status = 0;
    // SAFETY: wait4 fills the rusage it is given; a zeroed rusage is a valid value to pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut u) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    eprintln!("fleet-child: cpu_us {}", tv(u.ru_utime) + tv(u.ru_stime));
    eprintln!("fleet-child: maxrss_kb {}", u.ru_maxrss);
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    }
}
