//! The command line: one thin file per subcommand. Each parses its arguments, calls the library, renders, and maps
//! the outcome to an exit code.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod apply;
pub mod comment;
pub mod drift;
pub mod emulator;
pub mod import;
pub mod lint;
pub mod plan;
mod progress;
pub mod schema;
pub mod tenant;
pub mod validate;

/// Exit code when the tool itself failed (as opposed to finding problems in the input).
pub const EXIT_TOOL_FAILURE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "pimctl",
    version,
    about = "Privileged Identity Management as code for Microsoft Entra",
    long_about = "pimctl keeps a Microsoft Entra tenant's privileged access exactly as declared in YAML: \
                  role management policies, eligible and active assignments, and access reviews."
)]
pub struct Cli {
    /// More logging on stderr (-v: info, -vv: debug, -vvv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policy files offline: syntax, keys, types, templates, roles and assignment rules.
    Validate(validate::Args),
    /// Print the JSON Schema of the policy language, for editors (yaml-language-server).
    Schema(schema::Args),
    /// Read the tenant, compare it with the declaration, and show what apply would change.
    Plan(plan::Args),
    /// Plan for scheduled jobs: exit 2 when the tenant drifted from the declaration.
    Drift(drift::Args),
    /// Carry out a saved plan exactly (refusing it if the tenant changed), or plan and apply after confirmation.
    Apply(apply::Args),
    /// Read the tenant and write its current posture as policy files, ready to review and plan.
    Import(import::Args),
    /// Check the declaration, and with --live the tenant, against cited CISA, CIS and Microsoft baselines.
    Lint(lint::Args),
    /// Post a saved plan (or Markdown) as the pull request's comment, edited in place on every push, or as the
    /// drift issue (GitHub Actions, Azure Pipelines).
    Comment(comment::Args),
    /// Serve a local emulator of the Microsoft Graph endpoints pimctl uses, seeded from a YAML tenant.
    Emulator(emulator::Args),
}

/// Whether a command line that does not parse belongs to a command whose exit code 1 means "problems found"
/// (`validate`, `lint`), so that its usage error exits 2 ("pimctl itself failed") instead. The subcommand is the
/// first argument that is not an option (the only global option, `-v`, takes no value).
pub fn usage_error_is_tool_failure(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter()
        .find(|a| !a.starts_with('-'))
        .is_some_and(|c| c == "validate" || c == "lint")
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    init_tracing(cli.verbose);
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Drift(args) => drift::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Import(args) => import::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Comment(args) => comment::run(args),
    }
}

/// Writes the requested output to stdout. A closed pipe (`pimctl schema | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<(), ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write output: {e}");
            Err(ExitCode::from(EXIT_TOOL_FAILURE))
        }
        _ => Ok(()),
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person: logs captured from a pipe (CI, a file) carry no escape codes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
