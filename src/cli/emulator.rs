//! `pimctl emulator`: serve the tenant emulator (a local Microsoft Graph for PIM) until Ctrl-C or SIGTERM.

use crate::emulator::faults::FaultConfig;
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
    /// Share of requests, 0 to 1, that fail: 503, a dropped connection, or an answer lost after the request was
    /// carried out, a third each.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Seed of the fault RNG, for reproducible failures.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed_rng: u64,
}

pub fn run(args: Args) -> ExitCode {
    let fail = |m: String| {
        eprintln!("pimctl emulator: {m}");
        ExitCode::from(super::EXIT_TOOL_FAILURE)
    };
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return fail("--fail-rate must be between 0 and 1".into());
    }
    if args.throttle.is_some_and(|t| t.is_nan() || t <= 0.0) {
        return fail("--throttle must be a positive number of requests per second".into());
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
            fail_rate: args.fail_rate,
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
