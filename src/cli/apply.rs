//! `pimctl apply [PLAN.json | PATH]`: carry out a reviewed plan, or plan and apply after confirmation.

use super::plan::{EXIT_ERROR, fail, load, write_file};
use super::tenant::TenantArgs;
use crate::apply::{self, ApplyOptions, ApplyReport, ChangeRecord, Outcome};
use crate::model::DesiredState;
use crate::plan::{self, FORMAT_VERSION, Plan, PlanOptions, fingerprint};
use crate::render::{self, Format};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan (`pimctl plan --out plan.json`) to apply exactly, or a policy file or directory to plan and
    /// apply after confirmation.
    #[arg(default_value = ".")]
    pub target: PathBuf,
    /// With a saved plan: the policies it was made from; apply refuses the plan if they changed since. Without it,
    /// the policy files the plan recorded are read (paths as recorded, from the working directory).
    #[arg(long, value_name = "PATH")]
    pub policies: Option<PathBuf>,
    /// UNSAFE: apply a saved plan without the policies it was made from. Only the plan file's own `protected`
    /// list then guards the break-glass accounts, so an edited plan file can remove them. The audit record says so.
    #[arg(long, conflicts_with = "policies")]
    pub no_policy_check: bool,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Apply without asking (required without a terminal when planning from policies).
    #[arg(long)]
    pub auto_approve: bool,
    /// The justification sent with every assignment request (default: "pimctl apply <plan id>: <reason>").
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,
    /// The ticket system sent with every assignment request (with --ticket-number).
    #[arg(long, value_name = "NAME", requires = "ticket_number")]
    pub ticket_system: Option<String>,
    /// The ticket number sent with every assignment request (with --ticket-system).
    #[arg(long, value_name = "ID", requires = "ticket_system")]
    pub ticket_number: Option<String>,
    /// Write a JSON audit record of every change: what was sent, the result, the request id and the time.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// Whether the target is a saved plan rather than policies: a `.json` that is not a directory (policies are YAML),
/// so that a mistyped plan name is reported as a missing plan.
fn is_saved_plan(target: &Path) -> bool {
    !target.is_dir()
        && target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

pub fn run(args: Args) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    // An audit record that cannot be written is found out before the tenant is touched, not after.
    if let Some(log) = &args.log
        && let Err(e) = crate::files::check_writable(log)
    {
        return fail(format!(
            "cannot write the audit record to {}: {e}; nothing was applied",
            log.display()
        ));
    }
    rt.block_on(async {
        let saved = if is_saved_plan(&args.target) {
            match read_plan(&args.target) {
                Ok(p) => Some(p),
                Err(code) => return code,
            }
        } else {
            None
        };
        let policies = match (&saved, &args.policies) {
            // `--policies` only goes with a saved plan: planning from PATH while checking OTHER would apply one
            // declaration and verify another.
            (None, Some(p)) if args.target.as_path() != p.as_path() => {
                return fail(format!(
                    "--policies {} goes with a saved plan (apply PLAN.json --policies DIR); to plan and apply \
                     policies, give them as the path: pimctl apply {}",
                    p.display(),
                    p.display()
                ));
            }
            (_, Some(p)) => p.clone(),
            (Some(p), None) => p
                .files
                .first()
                .and_then(|f| Path::new(f).parent())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            (None, None) => args.target.clone(),
        };
        if let (Some(p), None, false) = (&saved, &args.policies, args.no_policy_check)
            && let Err(code) = recorded_files(p)
        {
            return code;
        }
        let tenant = match args.tenant.connect(&policies).await {
            Ok(t) => t,
            Err(m) => return fail(m),
        };
        let code = run_on(&args, saved, &policies, &tenant).await;
        tenant.close().await;
        code
    })
}

async fn run_on(
    args: &Args,
    saved: Option<Plan>,
    policies: &Path,
    tenant: &super::tenant::Tenant,
) -> ExitCode {
    // The declaration: required to plan; with a saved plan, the one it was made from (`--policies`, else the files
    // the plan recorded), so that a hand-edited plan is never more powerful than its declaration.
    let (desired, policy_check) = match (&saved, &args.policies) {
        (Some(_), None) if args.no_policy_check => {
            eprintln!(
                "warning: --no-policy-check: the plan is not checked against its policies; only the plan file's own \
                 `protected` list guards the break-glass accounts"
            );
            (None, "skipped (--no-policy-check, unsafe)".to_string())
        }
        (Some(p), None) => match recorded_policies(p, tenant.now) {
            Ok(d) => (
                Some(d),
                format!("the {} policy files the plan recorded", p.files.len()),
            ),
            Err(code) => return code,
        },
        _ => match load(policies, tenant.now, "declaration") {
            Ok(d) => (Some(d), format!("the policies in {}", policies.display())),
            Err(code) => return code,
        },
    };
    if let (Some(p), Some(d)) = (&saved, &desired)
        && fingerprint::desired(d) != p.desired_digest
    {
        return fail(format!(
            "{} changed since this plan was made (its digest no longer matches); make a new plan",
            policy_check
        ));
    }
    // Without a declaration, the tenant is read for what the plan writes (its groups are read only when named).
    let scope = match (&desired, &saved) {
        (None, Some(p)) => apply::plan_scope(p),
        _ => DesiredState::default(),
    };
    let states = [desired.as_ref().unwrap_or(&scope)];
    let mut live = match tenant.read(&states).await {
        Ok(l) => l,
        Err(e) => return fail(e.to_string()),
    };

    let plan = match saved {
        Some(p) => p,
        None => {
            let Some(d) = &desired else {
                return fail("no declaration to plan from".into());
            };
            let p = plan::build(d, &live, &PlanOptions::default());
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            if super::write_stdout(&render::render(&p, Format::Text, color)).is_err() {
                return ExitCode::from(EXIT_ERROR);
            }
            if !p.errors.is_empty() {
                return ExitCode::from(EXIT_ERROR);
            }
            if !p.has_changes() {
                return ExitCode::SUCCESS;
            }
            if let Err(code) = confirm(args.auto_approve, p.changes.len(), &live) {
                return code;
            }
            p
        }
    };
    // A plan that writes access reviews is checked against the reviews as they are, even when no declaration was
    // read that would have asked for them (`--no-policy-check`).
    if !live.reviews_read
        && plan
            .fingerprints
            .keys()
            .any(|o| matches!(o, fingerprint::ObjectId::Review { .. }))
        && let Err(e) = crate::observe::reviews::read(&tenant.client, &mut live).await
    {
        return fail(e.to_string());
    }
    if let Err(refusal) = apply::preflight(&plan, &live, desired.as_ref()) {
        eprintln!("{refusal}");
        return ExitCode::from(EXIT_ERROR);
    }
    eprintln!(
        "Applying plan {} to {} as {}.",
        plan.id,
        tenant_line(&live),
        caller_line(&live)
    );

    let options = ApplyOptions {
        justification: args.justification.clone(),
        ticket: args.ticket_system.clone().zip(args.ticket_number.clone()),
        concurrency: usize::from(args.tenant.graph.max_concurrency),
        arm: tenant.arm.as_ref().ok().cloned(),
    };
    let total = plan.changes.len();
    let bar = super::progress::ChangeBar::start(total, &tenant.client);
    let mut failed = 0;
    let report = apply::apply(&tenant.client, &plan, &options, &mut |r| {
        failed += usize::from(r.outcome == Outcome::Failed);
        bar.line(r.index, &record_line(r, total), failed);
    })
    .await;
    bar.finish();
    let mut report = report;
    report.policy_check = policy_check;
    report.tenant = live.tenant.clone();
    report.identity = live.caller.clone();
    let mut log_lost = false;
    if let Some(log) = &args.log {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = write_file(log, &format!("{text}\n")) {
            eprintln!(
                "error: cannot write the audit record to {}: {e}",
                log.display()
            );
            log_lost = true;
        }
    }
    let summary = summary(&report);
    let _ = super::write_stdout(&format!("{summary}\n"));
    if report.failed() || log_lost {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// The declaration a saved plan was made from, read from the files it recorded (as given to `plan`, so relative to
/// the directory it ran in). A plan that recorded none, or whose files are not all here, is refused: without them
/// nothing but the plan file itself says who is protected.
fn recorded_policies(
    plan: &Plan,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DesiredState, ExitCode> {
    let files = recorded_files(plan)?;
    super::plan::checked(
        crate::language::load_files(&files, &crate::language::LoadOptions { now }),
        "the files the plan recorded",
        "declaration",
    )
}

/// The policy files a saved plan recorded, when they are all here (checked before the tenant is read).
fn recorded_files(plan: &Plan) -> Result<Vec<PathBuf>, ExitCode> {
    let files: Vec<PathBuf> = plan.files.iter().map(PathBuf::from).collect();
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !f.is_file())
        .map(|f| f.display().to_string())
        .collect();
    if files.is_empty() || !missing.is_empty() {
        let which = if files.is_empty() {
            "the plan records no policy file".to_string()
        } else {
            format!(
                "cannot find the policy files the plan was made from: {}",
                missing.join(", ")
            )
        };
        return Err(fail(format!(
            "{which}; nothing was applied. Run apply from the directory where the plan was made, or pass \
             --policies DIR (the policies it was made from); --no-policy-check skips the check (unsafe: only the \
             plan file's own `protected` list then guards the break-glass accounts)"
        )));
    }
    Ok(files)
}

pub(crate) fn read_plan(path: &Path) -> Result<Plan, ExitCode> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let version: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| fail(format!("{} is not a plan file: {e}", path.display())))?;
    if version.get("format_version").is_none() {
        return Err(fail(format!(
            "{} is not a plan file (it has no `format_version`); save one with `pimctl plan --out`",
            path.display()
        )));
    }
    if version.get("format_version").and_then(|v| v.as_u64()) != Some(u64::from(FORMAT_VERSION)) {
        return Err(fail(format!(
            "{} has plan format {}, and this pimctl reads format {FORMAT_VERSION}; make a new plan",
            path.display(),
            version
                .get("format_version")
                .unwrap_or(&serde_json::Value::Null)
        )));
    }
    let plan: Plan = serde_json::from_value(version)
        .map_err(|e| fail(format!("{} is not a valid plan file: {e}", path.display())))?;
    if plan.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(fail(format!(
            "{} was made by pimctl {}, and this is pimctl {}; make a new plan with this version",
            path.display(),
            plan.tool_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(plan)
}

/// `tenant 4d3c… (Contoso) at https://graph.microsoft.com/v1.0`.
fn tenant_line(live: &crate::model::LiveState) -> String {
    match &live.tenant {
        Some(t) => format!("tenant {t} at {}", live.source),
        None => live.source.clone(),
    }
}

/// Who is signed in, as the token says; never the token.
fn caller_line(live: &crate::model::LiveState) -> String {
    live.caller
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "a caller the token does not name".into())
}

/// Asks for `yes` on a terminal; without one, only `--auto-approve` goes on.
fn confirm(
    auto_approve: bool,
    changes: usize,
    live: &crate::model::LiveState,
) -> Result<(), ExitCode> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            "no terminal to confirm on: review the plan and pass --auto-approve, or apply a saved plan".into(),
        ));
    }
    eprint!(
        "\nApply these {changes} changes to {}, signed in as {}? Only 'yes' is accepted: ",
        tenant_line(live),
        caller_line(live)
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        eprintln!("Apply cancelled; nothing was sent.");
        Err(ExitCode::from(EXIT_ERROR))
    }
}

/// The line of one finished change: `[3/7] create Global Administrator alice@contoso.com: applied`.
fn record_line(r: &ChangeRecord, total: usize) -> String {
    let outcome = match r.outcome {
        Outcome::Applied => "applied",
        Outcome::AlreadyInState => "already in state",
        Outcome::Failed => "FAILED",
        Outcome::Skipped => "skipped",
    };
    let who = r
        .principal
        .as_deref()
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    let mut line = format!(
        "[{}/{total}] {} {}{who}: {outcome}",
        r.index + 1,
        r.action,
        r.role_name
    );
    if let Some(e) = &r.error {
        line.push_str(&format!(" ({e})"));
    }
    line
}

fn summary(r: &ApplyReport) -> String {
    format!(
        "Apply {}: {} applied, {} already in state, {} failed, {} skipped.",
        if r.failed() { "incomplete" } else { "complete" },
        r.count(Outcome::Applied),
        r.count(Outcome::AlreadyInState),
        r.count(Outcome::Failed),
        r.count(Outcome::Skipped)
    )
}
