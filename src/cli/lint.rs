//! `pimctl lint [PATH]`: cited security rules over the declaration and, with `--live`, the tenant as it is.
//!
//! Exit codes: 0 no finding at or above `--fail-level`, 1 some, 2 pimctl itself failed (an invalid declaration, a
//! tenant that cannot be read, an unknown `--explain` id). Unlike `plan`, where 2 means "changes pending".

use super::EXIT_TOOL_FAILURE;
use super::tenant::TenantArgs;
use crate::language::{self, LoadOptions};
use crate::lint::{self, LiveInput, Notifications, Options, Profile, Severity};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A policy file, or a directory searched recursively for *.yaml and *.yml.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Also judge the tenant as it is (read as `plan` reads it), and say for each finding whether the declaration
    /// would fix it. Implied by --emulator.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Whose thresholds apply where the baselines disagree.
    #[arg(long, value_enum, default_value_t = Profile::Cisa)]
    pub profile: Profile,
    /// Whether default recipients count as an alert (lenient) or an additional recipient is required (strict).
    #[arg(long, value_enum, default_value_t = Notifications::Strict)]
    pub notifications: Notifications,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// With --format sarif: the repository's root, which result paths are made relative to (as GitHub code
    /// scanning expects). Default: GITHUB_WORKSPACE when set, else git's top level for PATH, else the working
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    /// Exit 1 when some finding is at this severity or above.
    #[arg(long, value_enum, default_value_t = Severity::Error)]
    pub fail_level: Severity,
    /// Print a rule's id, title, severity, baselines, rationale and fix (every rule, without an id), and exit.
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub explain: Option<String>,
    /// Print docs/rules.md, generated from the rule registry, and exit.
    #[arg(long, hide = true)]
    pub rules_markdown: bool,
}

pub fn run(args: Args) -> ExitCode {
    if args.rules_markdown {
        return emit(&lint::docs::markdown(), ExitCode::SUCCESS);
    }
    if let Some(id) = &args.explain {
        if id.is_empty() {
            return emit(&lint::docs::list(), ExitCode::SUCCESS);
        }
        return match lint::rule(id) {
            Some(r) => emit(&lint::docs::explain(&r.meta), ExitCode::SUCCESS),
            None => fail(format!(
                "no rule `{id}`; `pimctl lint --explain` lists them"
            )),
        };
    }
    let options = Options {
        profile: args.profile,
        notifications: args.notifications,
    };
    let live = args.live || args.tenant.emulator.is_some();
    let outcome = if live {
        lint_live(&args, options)
    } else {
        let now = args.tenant.now.unwrap_or_else(chrono::Utc::now);
        load(&args, now)
            .map(|(desired, sources)| (lint::lint(&desired, None, now, options), desired, sources))
    };
    let (report, desired, sources) = match outcome {
        Ok(x) => x,
        Err(code) => return code,
    };
    let out = match args.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            lint::format::text(&report, &sources, color)
        }
        Format::Json => lint::format::json(&report),
        Format::Sarif => lint::format::sarif(
            &report,
            desired.files.first().map(PathBuf::as_path),
            sarif_root(&args).as_ref(),
        ),
    };
    let code = if report.fails(args.fail_level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    emit(&out, code)
}

/// The root SARIF paths are relative to: `--sarif-root`, `GITHUB_WORKSPACE`, git's top level, the working
/// directory; `None` (paths as typed) only when the working directory itself cannot be read.
fn sarif_root(args: &Args) -> Option<lint::format::SarifRoot> {
    let cwd = std::env::current_dir().ok()?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let typed = args
        .sarif_root
        .clone()
        .or_else(|| {
            std::env::var_os("GITHUB_WORKSPACE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| git_top_level(&args.path));
    let root = match typed {
        Some(r) => {
            let r = cwd.join(r);
            r.canonicalize().unwrap_or(r)
        }
        None => cwd.clone(),
    };
    Some(lint::format::SarifRoot { root, cwd })
}

/// `git rev-parse --show-toplevel` in the directory of `path`; `None` outside a repository or without git.
fn git_top_level(path: &std::path::Path) -> Option<PathBuf> {
    let dir = match path.parent() {
        _ if path.is_dir() => path,
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let top = String::from_utf8(out.stdout).ok()?;
    let top = top.trim_end_matches(['\n', '\r']);
    (out.status.success() && !top.is_empty()).then(|| PathBuf::from(top))
}

type Sources = BTreeMap<PathBuf, String>;

/// The tenant's subscriptions, for PIM099 (`$select` of what it reads).
const SUBSCRIBED_SKUS: &str =
    "/subscribedSkus?$select=id,skuPartNumber,capabilityStatus,consumedUnits,servicePlans";

fn lint_live(
    args: &Args,
    options: Options,
) -> Result<(lint::Report, crate::model::DesiredState, Sources), ExitCode> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| fail(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let tenant = args.tenant.connect(&args.path).await.map_err(fail)?;
        let outcome = async {
            let (desired, sources) = load(args, tenant.now)?;
            let mut state = tenant
                .read(&[&desired])
                .await
                .map_err(|e| fail(e.to_string()))?;
            let activity =
                match crate::observe::reviews::read_activity(&tenant.client, &mut state).await {
                    Ok(a) => a,
                    // No AccessReview.Read.All: PIM070 judges the declaration alone, as before the tenant was read.
                    Err(e) if e.status() == Some(403) => {
                        eprintln!("warning: {e}\nPIM070 judges the declared access reviews only.");
                        state.reviews.clear();
                        state.reviews_read = false;
                        vec![]
                    }
                    Err(e) => return Err(fail(e.to_string())),
                };
            let extra = lint::licence::groups_to_count(&desired, &state);
            let members = crate::observe::read_members(&tenant.client, &state, &extra)
                .await
                .map_err(|e| fail(e.to_string()))?;
            // One request; a refusal (no LicenseAssignment.Read.All) is PIM099's warning, not a failed lint.
            let skus = tenant
                .client
                .list_all::<crate::graph::SubscribedSku>(SUBSCRIBED_SKUS)
                .await
                .map_err(|e| e.to_string());
            let licences = lint::licence::facts(
                &desired,
                &state,
                &members,
                skus.as_deref().map_err(String::clone),
            );
            let report = lint::lint(
                &desired,
                Some(LiveInput {
                    state: &state,
                    members: &members,
                    licences: Some(&licences),
                    review_activity: &activity,
                }),
                state.read_at,
                options,
            );
            Ok((report, desired, sources))
        }
        .await;
        tenant.close().await;
        outcome
    })
}

/// Loads the declaration; its diagnostics go to stderr, and errors stop the run.
fn load(
    args: &Args,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(crate::model::DesiredState, Sources), ExitCode> {
    let loaded = language::load(&args.path, &LoadOptions { now });
    let diags = &loaded.diagnostics;
    if diags.has_errors() || diags.warning_count() > 0 {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        eprint!("{}", diags.render_text(color));
    }
    if diags.has_errors() {
        return Err(fail(format!(
            "the declaration in {} has errors; fix them (`pimctl validate`) before linting",
            args.path.display()
        )));
    }
    let sources = loaded
        .state
        .files
        .iter()
        .filter_map(|f| Some((f.clone(), diags.source(f)?.to_string())))
        .collect();
    Ok((loaded.state, sources))
}

fn emit(text: &str, code: ExitCode) -> ExitCode {
    match super::write_stdout(text) {
        Ok(()) => code,
        Err(c) => c,
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_TOOL_FAILURE)
}
