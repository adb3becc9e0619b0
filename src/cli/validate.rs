//! `pimctl validate [PATH]`: check policy files offline.

use crate::language::{self, LoadOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A policy file, or a directory searched recursively for *.yaml and *.yml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// The time that end dates are checked against (RFC 3339). Defaults to now; set it for reproducible runs.
    #[arg(long, env = "PIMCTL_NOW", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

pub(crate) fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))
}

pub fn run(args: Args) -> ExitCode {
    let options = LoadOptions {
        now: args.now.unwrap_or_else(chrono::Utc::now),
    };
    let loaded = language::load(&args.path, &options);
    let diags = &loaded.diagnostics;
    let out = match args.format {
        Format::Json => diags.render_json(),
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut text = diags.render_text(color);
            if !diags.has_errors() {
                let roles = loaded.state.targets.len();
                let assignments = loaded.state.assignments().len();
                text = format!(
                    "{text}checked {} file{}: {roles} role{}, {assignments} assignment{}, {} protected principal{}\n",
                    loaded.state.files.len(),
                    plural(loaded.state.files.len()),
                    plural(roles),
                    plural(assignments),
                    loaded.state.protected.len(),
                    plural(loaded.state.protected.len()),
                );
            }
            text
        }
    };
    if let Err(code) = super::write_stdout(&out) {
        return code;
    }
    let failed = diags.has_errors() || (args.deny_warnings && diags.warning_count() > 0);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
