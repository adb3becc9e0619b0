//! `pimctl drift [PATH]`: `plan` for scheduled jobs. Every pending change is drift (the declaration is the reviewed
//! truth); exits 2 when there is drift, or with `--fail-on weakening` only when the drift weakened posture.

use super::plan::{CommonArgs, EXIT_CHANGES, EXIT_ERROR, emit, make_plan};
use crate::plan;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any drift.
    Any,
    /// Only drift that weakens posture (approval switched off, a new permanent Global Administrator, ...).
    Weakening,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Which drift makes the command exit 2.
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
}

pub fn run(args: Args) -> ExitCode {
    let mut p = match make_plan(&args.common, |_| Ok(None)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    plan::mark_all_drift(&mut p);
    if let Err(code) = emit(&args.common, &p) {
        return code;
    }
    let failing = match args.fail_on {
        FailOn::Any => p.has_changes(),
        FailOn::Weakening => p.has_weakening_drift(),
    };
    if !p.errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if failing {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    }
}
