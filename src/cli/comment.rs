//! `pimctl comment FILE`: posts a saved plan (or any Markdown) where a pipeline's readers see it. On a pull
//! request, one comment per command and policy path, edited on every push (GitHub issue comments; Azure DevOps
//! pull-request threads). With `--to drift-issue`, one GitHub issue that drift opens, the next drift updates and a
//! clean run closes.
//!
//! Exit codes: 0 posted (or nothing to change), 1 not posted (bad input, missing configuration, the API refused).

use super::plan::fail;
use crate::graph::client::auth::BearerToken;
use crate::pipeline::github::{Drift, GitHub};
use crate::pipeline::{self, BODY_LIMIT, Marker, Outcome, PostError, azure::AzureDevOps, http};
use crate::plan::Plan;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// The pull request's comment (GitHub) or thread (Azure DevOps).
    PullRequest,
    /// The GitHub issue that tracks drift: opened on drift, updated, closed when the tenant is back in line.
    DriftIssue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// GitHub when GITHUB_ACTIONS is `true`, Azure DevOps when TF_BUILD is `True`.
    Auto,
    Github,
    AzureDevops,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved by `plan --out` or `drift --out` (posted as the Markdown `--format markdown` prints), or a
    /// Markdown file (`.md`), posted as it is.
    pub file: PathBuf,
    /// Where to post.
    #[arg(long, value_enum, default_value_t = To::PullRequest)]
    pub to: To,
    /// Which service's API to speak.
    #[arg(long, value_enum, default_value_t = Platform::Auto)]
    pub platform: Platform,
    /// The command the output came from; with --key, it names the comment pimctl edits on the next push.
    #[arg(long, default_value = "plan", value_name = "NAME")]
    pub command: String,
    /// Tells apart the comments of several policy directories on one pull request. Default: the directory of the
    /// plan's policy files.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Where the whole output is kept (the plan artifact), linked when the comment is cut to fit. Default: the
    /// run's page.
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
    /// The pull request. Default: the event's (GITHUB_EVENT_PATH) or SYSTEM_PULLREQUEST_PULLREQUESTID.
    #[arg(long, value_name = "NUMBER")]
    pub pull_request: Option<u64>,
    /// The label that, with the hidden marker, finds the drift issue again.
    #[arg(long, default_value = "pimctl-drift", value_name = "LABEL")]
    pub label: String,
}

/// What is posted: a plan, or Markdown as it is.
enum Input {
    Plan(Box<Plan>),
    Markdown(String),
}

pub fn run(args: Args) -> ExitCode {
    let input = match read_input(&args.file) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let platform = match resolve_platform(args.platform) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let key = args.key.clone().unwrap_or_else(|| match &input {
        Input::Plan(p) => policy_dir(&p.files),
        Input::Markdown(_) => "default".to_string(),
    });
    let marker = Marker::new(&args.command, key);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let posted = rt.block_on(post(&args, platform, &input, &marker));
    match posted {
        Ok(outcome) => {
            eprintln!("pimctl comment: {outcome}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("the comment was not posted: {e}")),
    }
}

async fn post(
    args: &Args,
    platform: Platform,
    input: &Input,
    marker: &Marker,
) -> Result<Outcome, PostError> {
    let run = run_url(platform);
    let link = args.link.clone().or_else(|| run.clone());
    let markdown = match input {
        Input::Plan(p) => crate::render::markdown::render(p),
        Input::Markdown(m) => m.clone(),
    };
    let footer = footer(input, run.as_deref());
    match (platform, args.to) {
        (Platform::Github, To::PullRequest) => {
            let gh = github()?;
            let pr = match args.pull_request {
                Some(n) => n,
                None => github_pull_request()?,
            };
            let body = pipeline::compose(marker, &markdown, &footer, link.as_deref(), BODY_LIMIT);
            gh.upsert_comment(pr, marker, &body.text).await
        }
        (Platform::Github, To::DriftIssue) => {
            let Input::Plan(plan) = input else {
                return Err(PostError::Config(
                    "--to drift-issue needs a plan saved by `pimctl drift --out`".into(),
                ));
            };
            let drift = drift_issue(plan, marker, &markdown, &footer, link.as_deref(), run.as_deref());
            github()?.sync_drift_issue(marker, &args.label, &drift).await
        }
        (Platform::AzureDevops, To::PullRequest) => {
            let pr = match args.pull_request {
                Some(n) => n,
                None => number_var("SYSTEM_PULLREQUEST_PULLREQUESTID")?,
            };
            let ado = AzureDevOps::new(
                &var("SYSTEM_COLLECTIONURI")?,
                &var("SYSTEM_TEAMPROJECT")?,
                &var("BUILD_REPOSITORY_ID")?,
                pr,
                BearerToken::new(var("SYSTEM_ACCESSTOKEN").map_err(|_| {
                    PostError::Config(
                        "SYSTEM_ACCESSTOKEN is not set: map it into the step (env: SYSTEM_ACCESSTOKEN: \
                         $(System.AccessToken))"
                            .into(),
                    )
                })?),
                http::default_retry(),
            )?;
            let active = match input {
                Input::Plan(p) => p.has_changes() || !p.errors.is_empty(),
                Input::Markdown(_) => true,
            };
            let body = pipeline::compose(marker, &markdown, &footer, link.as_deref(), BODY_LIMIT);
            ado.upsert_thread(marker, &body.text, active).await
        }
        (Platform::AzureDevops, To::DriftIssue) => Err(PostError::Config(
            "the drift issue is a GitHub issue; on Azure DevOps the drift job's failure and its summary report drift"
                .into(),
        )),
        (Platform::Auto, _) => Err(PostError::Config("no platform".into())),
    }
}

/// The drift issue's content: its title and body on drift, the closing comment when the tenant is back in line.
fn drift_issue(
    plan: &Plan,
    marker: &Marker,
    markdown: &str,
    footer: &str,
    link: Option<&str>,
    run: Option<&str>,
) -> Drift {
    if !plan.errors.is_empty() {
        return Drift::Unknown;
    }
    let read = plan.read_at.format("%Y-%m-%d %H:%M UTC");
    if !plan.has_changes() {
        let run = run.map(|r| format!(" ([run]({r}))")).unwrap_or_default();
        return Drift::Clean {
            comment: format!(
                "The tenant matches the declaration in `{}` again (read {read}){run}. Closing.",
                marker.key
            ),
        };
    }
    let n = plan.changes.len();
    let title = format!(
        "pimctl drift: the tenant differs from {} ({n} {})",
        marker.key,
        if n == 1 { "change" } else { "changes" }
    );
    let intro = format!(
        "The tenant was changed outside pimctl: reading it at {read}, `pimctl drift` found what follows. \
         Applying the declaration in `{}` undoes it; if the change was meant, declare it in a pull request. \
         pimctl updates this issue on every drift check and closes it when the tenant is back in line.\n\n",
        marker.key
    );
    let body = pipeline::compose(
        marker,
        &format!("{intro}{markdown}"),
        footer,
        link,
        BODY_LIMIT,
    );
    Drift::Found {
        title,
        body: body.text,
    }
}

fn footer(input: &Input, run: Option<&str>) -> String {
    let mut parts = vec![format!("pimctl {}", env!("CARGO_PKG_VERSION"))];
    if let Input::Plan(p) = input {
        parts.push(format!(
            "tenant read {}",
            p.read_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(r) = run {
        parts.push(format!("[run]({r})"));
    }
    format!("<sub>{}</sub>", parts.join(" · "))
}

fn read_input(path: &Path) -> Result<Input, ExitCode> {
    let is_markdown = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    if is_markdown {
        return std::fs::read_to_string(path)
            .map(Input::Markdown)
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display())));
    }
    super::apply::read_plan(path).map(|p| Input::Plan(Box::new(p)))
}

/// The directory that holds every policy file of the plan (`policies` for `policies/a.yaml` and
/// `policies/sub/b.yaml`), `.` when they share none.
fn policy_dir(files: &[String]) -> String {
    let dirs: Vec<Vec<&str>> = files
        .iter()
        .map(|f| {
            let mut parts: Vec<&str> = f
                .split(['/', '\\'])
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
            parts.pop();
            parts
        })
        .collect();
    let Some(first) = dirs.first() else {
        return ".".to_string();
    };
    let common = first
        .iter()
        .enumerate()
        .take_while(|(i, p)| dirs.iter().all(|d| d.get(*i) == Some(p)))
        .map(|(_, p)| *p)
        .collect::<Vec<_>>()
        .join("/");
    if common.is_empty() {
        ".".to_string()
    } else {
        common
    }
}

fn resolve_platform(p: Platform) -> Result<Platform, String> {
    match p {
        Platform::Auto if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => {
            Ok(Platform::Github)
        }
        Platform::Auto
            if std::env::var("TF_BUILD").is_ok_and(|v| v.eq_ignore_ascii_case("true")) =>
        {
            Ok(Platform::AzureDevops)
        }
        Platform::Auto => Err(
            "not in GitHub Actions (GITHUB_ACTIONS) or Azure Pipelines (TF_BUILD): pass --platform"
                .to_string(),
        ),
        other => Ok(other),
    }
}

fn var(name: &str) -> Result<String, PostError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| PostError::Config(format!("{name} is not set")))
}

fn number_var(name: &str) -> Result<u64, PostError> {
    let v = var(name)?;
    v.trim()
        .parse()
        .map_err(|_| PostError::Config(format!("{name} is not a pull request number: `{v}`")))
}

fn github() -> Result<GitHub, PostError> {
    let token = var("GITHUB_TOKEN")
        .or_else(|_| var("GH_TOKEN"))
        .map_err(|_| {
            PostError::Config(
                "GITHUB_TOKEN is not set: pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step".into(),
            )
        })?;
    let api = std::env::var("GITHUB_API_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "https://api.github.com".to_string());
    GitHub::new(
        &api,
        &var("GITHUB_REPOSITORY")?,
        BearerToken::new(token),
        http::default_retry(),
    )
}

/// The pull request of the event that started the run: `pull_request.number` (pull_request and
/// pull_request_target events), else `issue.number` when the issue is a pull request (issue_comment).
fn github_pull_request() -> Result<u64, PostError> {
    let path = var("GITHUB_EVENT_PATH").map_err(|_| {
        PostError::Config(
            "no pull request: pass --pull-request, or run on a pull_request event".into(),
        )
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| PostError::Config(format!("cannot read GITHUB_EVENT_PATH {path}: {e}")))?;
    let event: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| PostError::Config(format!("GITHUB_EVENT_PATH {path} is not JSON: {e}")))?;
    event["pull_request"]["number"]
        .as_u64()
        .or_else(|| {
            event["issue"]["pull_request"]
                .is_object()
                .then(|| event["issue"]["number"].as_u64())
                .flatten()
        })
        .ok_or_else(|| {
            PostError::Config(
                "the event is not about a pull request (no pull_request.number): pass --pull-request".into(),
            )
        })
}

/// The page of the run, where its artifacts are listed.
fn run_url(platform: Platform) -> Option<String> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    match platform {
        Platform::Github => Some(format!(
            "{}/{}/actions/runs/{}",
            get("GITHUB_SERVER_URL")?.trim_end_matches('/'),
            get("GITHUB_REPOSITORY")?,
            get("GITHUB_RUN_ID")?
        )),
        Platform::AzureDevops => Some(format!(
            "{}/{}/_build/results?buildId={}&view=artifacts",
            get("SYSTEM_COLLECTIONURI")?.trim_end_matches('/'),
            percent_encoding::utf8_percent_encode(
                &get("SYSTEM_TEAMPROJECT")?,
                percent_encoding::NON_ALPHANUMERIC
            ),
            get("BUILD_BUILDID")?
        )),
        Platform::Auto => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_directory_the_policy_files_share() {
        let f = |v: &[&str]| policy_dir(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(f(&["policies/a.yaml", "policies/sub/b.yaml"]), "policies");
        assert_eq!(f(&["./infra/pim/a.yaml"]), "infra/pim");
        assert_eq!(f(&["a.yaml", "x/b.yaml"]), ".");
        assert_eq!(f(&[]), ".");
    }
}
