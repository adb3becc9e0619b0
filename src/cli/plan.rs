//! `pimctl plan [PATH]`: read the tenant, compare it with the declaration, and show what apply would change.

use super::tenant::TenantArgs;
use crate::duration::Duration;
use crate::language::{self, LoadOptions};
use crate::model::DesiredState;
use crate::plan::{self, Plan, PlanOptions};
use crate::render::{self, Format};
use chrono::{DateTime, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code: the plan could not be made, or has errors.
pub const EXIT_ERROR: u8 = 1;
/// Exit code of `--detailed-exitcode` and `drift`: changes pending.
pub const EXIT_CHANGES: u8 = 2;

/// What `plan` and `drift` share.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// A policy file, or a directory searched recursively for *.yaml and *.yml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also save the plan (JSON, with the fingerprints apply checks) to FILE.
    #[arg(long, value_name = "FILE", value_parser = parse_out)]
    pub out: Option<PathBuf>,
    /// Report assignments that end within this window, in days or hours (30d, 48h; weeks are not accepted).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_window)]
    pub expiring_within: Duration,
    /// The `pimctl lint` profile: a change that makes one of its rules newly fail weakens posture.
    #[arg(long, value_enum, default_value_t = crate::lint::Profile::Cisa)]
    pub lint_profile: crate::lint::Profile,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The declaration before this change (e.g. the target branch's policies): changes planned against it too
    /// are drift (the tenant changed by hand), the others come from this change.
    #[arg(long, value_name = "PATH")]
    pub base: Option<PathBuf>,
    /// Exit 0 when there are no changes, 1 on error, 2 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

fn parse_window(s: &str) -> Result<Duration, String> {
    Duration::parse(s).map_err(|e| e.to_string())
}

pub fn run(args: Args) -> ExitCode {
    let base = args.base.clone();
    let outcome = make_plan(&args.common, |now| match &base {
        Some(b) => load(b, now, "base declaration").map(Some),
        None => Ok(None),
    });
    let plan = match outcome {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Err(code) = emit(&args.common, &plan) {
        return code;
    }
    if !plan.errors.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    }
}

/// Loads the declaration, reads the tenant and builds the plan. `base` loads a base declaration (or none) once the
/// plan's clock is known. Problems are reported on stderr; the error is the exit code.
pub(crate) fn make_plan(
    args: &CommonArgs,
    base: impl FnOnce(DateTime<Utc>) -> Result<Option<DesiredState>, ExitCode>,
) -> Result<Plan, ExitCode> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| fail(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let tenant = args
            .tenant
            .connect(&args.path)
            .await
            .map_err(fail)?;
        let outcome = async {
            let desired = load_for(&args.path, tenant.now, args.format)?;
            let base = base(tenant.now)?;
            let mut states = vec![&desired];
            states.extend(base.as_ref());
            let live = tenant.read(&states).await.map_err(|e| fail(e.to_string()))?;
            let options = PlanOptions {
                expiring_within: args.expiring_within.to_chrono(),
                lint: crate::lint::Options {
                    profile: args.lint_profile,
                    ..Default::default()
                },
            };
            let mut p = plan::build(&desired, &live, &options);
            if let Some(base) = &base {
                let b = plan::build(base, &live, &options);
                if b.errors.is_empty() {
                    plan::mark_causes(&mut p, &b);
                } else {
                    eprintln!(
                        "warning: the base declaration does not plan cleanly ({} errors); drift is not told apart from this change",
                        b.errors.len()
                    );
                }
            }
            Ok(p)
        }
        .await;
        tenant.close().await;
        outcome
    })
}

/// Loads and validates a declaration; diagnostics go to stderr.
pub(crate) fn load(path: &Path, now: DateTime<Utc>, what: &str) -> Result<DesiredState, ExitCode> {
    checked(
        language::load(path, &LoadOptions { now }),
        &path.display().to_string(),
        what,
    )
}

/// The state of a load that has no errors; otherwise the diagnostics on stderr and a failure (warnings are shown
/// either way). `place` names what was read in the message.
/// [`load`] for `plan` and `drift`: when the declaration has errors and the output is Markdown or JSON, the errors go
/// to stdout too, in that format, so that a pipeline step posting the output posts why there is no plan.
fn load_for(path: &Path, now: DateTime<Utc>, format: Format) -> Result<DesiredState, ExitCode> {
    let loaded = language::load(path, &LoadOptions { now });
    if loaded.diagnostics.has_errors() {
        let place = path.display().to_string();
        let out = match format {
            Format::Text => None,
            Format::Json => Some(format!("{}\n", loaded.diagnostics.render_json())),
            Format::Markdown => Some(render::markdown::declaration_errors(
                &place,
                loaded.diagnostics.error_count(),
                &loaded.diagnostics.render_text(false),
            )),
        };
        if let Some(out) = out {
            let _ = super::write_stdout(&out);
        }
    }
    checked(loaded, &path.display().to_string(), "declaration")
}

pub(crate) fn checked(
    loaded: language::Loaded,
    place: &str,
    what: &str,
) -> Result<DesiredState, ExitCode> {
    let diags = &loaded.diagnostics;
    if diags.has_errors() || diags.warning_count() > 0 {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        eprint!("{}", diags.render_text(color));
    }
    if diags.has_errors() {
        eprintln!("error: the {what} in {place} has errors; nothing was read from the tenant");
        return Err(ExitCode::from(EXIT_ERROR));
    }
    Ok(loaded.state)
}

/// Writes the plan to stdout in the chosen format, and saves it when asked.
pub(crate) fn emit(args: &CommonArgs, plan: &Plan) -> Result<(), ExitCode> {
    if let Some(out) = &args.out {
        let json = render::render(plan, Format::Json, false);
        write_file(out, &json)
            .map_err(|e| fail(format!("cannot save the plan to {}: {e}", out.display())))?;
        eprintln!("Saved the plan to {}.", out.display());
    }
    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    // A failed write exits 1 here, not validate's 2: for plan and drift, 2 means changes pending.
    super::write_stdout(&render::render(plan, args.format, color))
        .map_err(|_| ExitCode::from(EXIT_ERROR))
}

/// Writes a file whole or not at all (a temporary file beside it, flushed, then a rename).
pub(crate) use crate::files::write_file;

pub(crate) fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}

/// `--out FILE`: a file, never `-` (the plan already goes to stdout in the chosen format).
fn parse_out(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        return Err("--out takes a file; for the plan as JSON on stdout, use --format json".into());
    }
    Ok(PathBuf::from(s))
}
