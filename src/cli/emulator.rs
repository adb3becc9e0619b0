//! `pimctl emulator`: serve the tenant emulator (a local Microsoft Graph for PIM) until Ctrl-C or SIGTERM; or, with
//! `--generate SIZE --out DIR`, write a generated tenant's seed and policy directory and exit.

use crate::emulator::faults::FaultConfig;
use crate::emulator::generate::{self, Size};
use crate::emulator::{Emulator, EmulatorConfig, TenantSource};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant to serve: a YAML seed file (see docs/emulator.md). Not needed when --state names an existing file.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Load the tenant from FILE if it exists (instead of the seed); save it there after every write and on exit.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Items per page of every list (default: 100, or $top).
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
    /// Delay added to every Graph request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Requests per second allowed (token bucket); beyond it, 429 with Retry-After.
    #[arg(long, value_name = "RPS")]
    pub throttle: Option<f64>,
    /// Requests per second Azure Resource Manager lets through, in a token bucket of its own (burst of one second);
    /// beyond it, ARM's 429 with `Retry-After`. Without it, ARM's requests share --throttle's bucket with Graph.
    #[arg(long, value_name = "RPS")]
    pub arm_throttle: Option<f64>,
    /// Share of requests, 0 to 1, that fail: 503, a dropped connection, or an answer lost after the request was
    /// carried out, a third each.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of requests, 0 to 1, answered 429 with Retry-After, drawn from the seeded RNG (reproducible throttling,
    /// whatever the machine's speed).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Seed of the fault RNG, for reproducible failures (and of the drift `--generate` draws).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed_rng: u64,
    /// Write a generated tenant instead of serving one: S, M, L-dir, L, XL or XL-estate (see BENCHMARKS.md). Needs
    /// --out.
    #[arg(long, value_name = "SIZE", requires = "out", conflicts_with_all = ["seed", "state"])]
    pub generate: Option<Size>,
    /// Where --generate writes: DIR/tenant.yaml (the seed) and DIR/policies/ (the declaration).
    #[arg(long, value_name = "DIR", requires = "generate")]
    pub out: Option<PathBuf>,
    /// With --generate: the share of assignments, in percent, that differ between the seed and the policies.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = 2.0,
        requires = "generate"
    )]
    pub drift: f64,
    /// With --generate: how many targets' policies (roles, group blocks, Azure roles) differ between the seed and the
    /// policies.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "generate")]
    pub drift_policies: usize,
}

fn write_generated(args: &Args, size: Size, out: &std::path::Path) -> Result<String, String> {
    if !(0.0..=100.0).contains(&args.drift) {
        return Err("--drift must be a percentage between 0 and 100".into());
    }
    let shape = size.shape();
    let options = generate::Options {
        drift: generate::Drift::share(&shape, args.drift / 100.0, args.drift_policies),
        shape,
        layout: generate::Layout::FilePerRole,
        rng_seed: args.seed_rng,
    };
    let g = generate::generate(&options).map_err(|e| e.to_string())?;
    g.write_to(out)
        .map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
    let s = &options.shape;
    let e = g.expected;
    let mut estate = String::new();
    if s.pim_groups.groups > 0 {
        estate.push_str(&format!(
            ", {} PIM groups ({} eligible, {} active, {} activations)",
            s.pim_groups.groups,
            s.pim_groups.eligible,
            s.pim_groups.active,
            s.pim_groups.activations
        ));
    }
    if s.azure.scopes() > 0 {
        estate.push_str(&format!(
            ", {} Azure scopes in {} subscriptions ({} eligible, {} active)",
            s.azure.scopes(),
            s.azure.subscriptions,
            s.azure.eligible,
            s.azure.active
        ));
    }
    if s.reviews > 0 {
        estate.push_str(&format!(", {} access reviews", s.reviews));
    }
    Ok(format!(
        "wrote {size} to {dir}: tenant.yaml ({} roles, {} eligible, {} active, {} activations, {} principals{estate}) \
         and policies/ ({} files)\nexpected plan: {} to create, {} to remove, {} to update, {} rule updates\n\
         next: `pimctl plan {policies} --emulator {seed}` shows that plan",
        s.roles,
        s.eligible,
        s.active,
        s.activations,
        s.principals(),
        g.policies.len(),
        e.creates,
        e.removes,
        e.updates,
        e.rule_updates,
        dir = out.display(),
        policies = out.join("policies").display(),
        seed = out.join("tenant.yaml").display(),
    ))
}

pub fn run(args: Args) -> ExitCode {
    // As every command whose 1 means nothing but failure: `error:`, exit 1.
    let fail = |m: String| {
        eprintln!("error: {m}");
        ExitCode::from(super::plan::EXIT_ERROR)
    };
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return fail("--fail-rate must be between 0 and 1".into());
    }
    if !(0.0..=1.0).contains(&args.throttle_rate) {
        return fail("--throttle-rate must be between 0 and 1".into());
    }
    if args.throttle.is_some_and(|t| t.is_nan() || t <= 0.0) {
        return fail("--throttle must be a positive number of requests per second".into());
    }
    if args.arm_throttle.is_some_and(|t| t.is_nan() || t <= 0.0) {
        return fail("--arm-throttle must be a positive number of requests per second".into());
    }
    if let (Some(size), Some(out)) = (args.generate, &args.out) {
        return match write_generated(&args, size, out) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(m) => fail(m),
        };
    }
    let tenant = match (&args.seed, &args.state) {
        (Some(s), _) => TenantSource::SeedFile(s.clone()),
        (None, Some(st)) if st.exists() => TenantSource::SeedFile(st.clone()),
        _ => {
            return fail("give --seed FILE (or --state FILE naming an existing state file)".into());
        }
    };
    let config = EmulatorConfig {
        tenant,
        state_file: args.state.clone(),
        port: args.port,
        page_size: args.page_size,
        faults: FaultConfig {
            latency_ms: args.latency_ms,
            throttle_rps: args.throttle,
            arm_throttle_rps: args.arm_throttle,
            fail_rate: args.fail_rate,
            throttle_rate: args.throttle_rate,
            // ARM's seeded throttle rate is for tests, through `POST /_emulator/faults`.
            ..FaultConfig::default()
        },
        rng_seed: args.seed_rng,
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    rt.block_on(async move {
        let running = match Emulator::start(config).await {
            Ok(r) => r,
            Err(e) => return fail(e.to_string()),
        };
        println!("pimctl emulator listening on {}", running.base_url());
        wait_for_signal().await;
        match running.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e.to_string()),
        }
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
