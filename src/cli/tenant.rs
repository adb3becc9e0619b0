//! The options of every command that reads a tenant (`plan`, `drift`): Microsoft Graph, or the in-process emulator.

use crate::emulator::{Emulator, EmulatorConfig, RunningEmulator, TenantSource};
use crate::graph::client::{ArmClient, GraphArgs, GraphClient, GraphConfig, StaticToken};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Read an in-process emulator instead of Microsoft Graph, seeded from TENANT_FILE (default: tenant.yaml beside
    /// the policies; import has none, so give it). Nothing is persisted unless --emulator-state is given.
    #[arg(long, value_name = "TENANT_FILE", num_args = 0..=1, require_equals = false)]
    pub emulator: Option<Option<PathBuf>>,
    /// With --emulator: load the emulator's tenant from FILE when it exists, and save it there.
    #[arg(long, value_name = "FILE", requires = "emulator")]
    pub emulator_state: Option<PathBuf>,
    /// The plan's clock (RFC 3339): end dates and expiry are judged against it. Defaults to now, or to the
    /// emulator's clock.
    #[arg(long, env = "PIMCTL_NOW", value_parser = super::validate::parse_now)]
    pub now: Option<DateTime<Utc>>,
}

/// A tenant to read: a client, the plan's clock, and the emulator behind it when there is one.
pub struct Tenant {
    pub client: GraphClient,
    /// Azure Resource Manager, for `azure_roles:`: the embedded emulator's root under `--emulator`. Building it may
    /// fail (no ARM token for `--auth token`); that is an error only for a declaration with Azure roles.
    pub arm: Result<ArmClient, String>,
    pub now: DateTime<Utc>,
    pub emulator: Option<RunningEmulator>,
}

impl Tenant {
    /// Reads the live state for these declarations, with a spinner on a terminal and the request count logged.
    pub async fn read(
        &self,
        desired: &[&crate::model::DesiredState],
    ) -> Result<crate::model::LiveState, crate::graph::client::ClientError> {
        // Azure resource roles, when any is declared: through ARM, read beside Graph.
        let declares_azure = crate::observe::azure::declares_azure(desired);
        let arm = match &self.arm {
            Ok(arm) if declares_azure => Some(arm),
            _ => None,
        };
        let spinner = super::progress::Spinner::start("reading the tenant", &self.client, arm);
        let mut live = crate::observe::read_with_azure(&self.client, arm, desired, self.now).await;
        spinner.finish();
        // No ARM client for a declaration with Azure roles: Graph's error first, as when Graph was read alone.
        if let (true, Err(e), Ok(_)) = (declares_azure, &self.arm, &live) {
            live = Err(crate::graph::client::ClientError::Invalid(format!(
                "cannot reach Azure Resource Manager for the declared Azure roles: {e}"
            )));
        }
        let stats = self.client.stats();
        tracing::info!(
            "read the tenant in {} requests ({} pages, {} retries)",
            stats.requests,
            stats.pages,
            stats.retries
        );
        if let Some(arm) = arm {
            let stats = arm.stats();
            tracing::info!(
                "and Azure Resource Manager in {} requests ({} pages, {} retries)",
                stats.requests,
                stats.pages,
                stats.retries
            );
        }
        live
    }

    /// Stops the emulator, saving its state when asked to.
    pub async fn close(self) {
        if let Some(e) = self.emulator
            && let Err(err) = e.shutdown().await
        {
            eprintln!("warning: the emulator did not stop cleanly: {err}");
        }
    }
}

/// The seed file `--emulator` uses when none is given: `tenant.yaml` (or `.yml`) in the policy directory, or
/// beside the policy file.
pub fn default_tenant_file(policies: &Path) -> PathBuf {
    let dir = if policies.is_dir() {
        policies.to_path_buf()
    } else {
        policies
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    let yml = dir.join("tenant.yml");
    if !dir.join("tenant.yaml").exists() && yml.exists() {
        return yml;
    }
    dir.join("tenant.yaml")
}

impl TenantArgs {
    /// Connects: starts the emulator when asked, else builds a Graph client with the chosen credential.
    pub async fn connect(&self, policies: &Path) -> Result<Tenant, String> {
        let Some(seed) = &self.emulator else {
            let client = self.graph.client().map_err(|e| e.to_string())?;
            return Ok(Tenant {
                client,
                arm: self.graph.arm_client().map_err(|e| e.to_string()),
                now: self.now.unwrap_or_else(Utc::now),
                emulator: None,
            });
        };
        if seed.is_none() && !policies.exists() {
            // The tenant file would be looked for beside policies that are not there: say what is missing.
            return Err(format!(
                "{}: no such policy file or directory",
                policies.display()
            ));
        }
        // `plan --emulator examples/contoso`: --emulator's value is optional, so the policy directory was taken as
        // the tenant file. Say how to write it.
        if let Some(dir) = seed.as_ref().filter(|d| d.is_dir()) {
            let command = std::env::args()
                .skip(1)
                .find(|a| !a.starts_with('-'))
                .unwrap_or_else(|| "plan".into());
            return Err(format!(
                "--emulator takes a tenant file, and {dir} is a directory; to read the policies in it against the \
                 tenant.yaml beside them, write the path first: pimctl {command} {dir} --emulator",
                dir = dir.display()
            ));
        }
        let seed = seed
            .clone()
            .unwrap_or_else(|| default_tenant_file(policies));
        // A state file that could not be saved would lose what the command did (an apply's writes) at exit.
        if let Some(state) = &self.emulator_state {
            let dir = state.parent().filter(|d| !d.as_os_str().is_empty());
            if state.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
                return Err(format!(
                    "{}: --emulator-state needs a file in an existing directory",
                    state.display()
                ));
            }
        }
        let state_exists = self.emulator_state.as_ref().is_some_and(|s| s.exists());
        if !state_exists && !seed.exists() {
            return Err(format!(
                "{}: no such tenant file for --emulator (give one: --emulator FILE)",
                seed.display()
            ));
        }
        let mut config = EmulatorConfig::new(TenantSource::SeedFile(seed));
        config.state_file = self.emulator_state.clone();
        let emulator = Emulator::start(config)
            .await
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let mut gc = GraphConfig::new(
            emulator.base_url(),
            Arc::new(StaticToken::new(emulator.access_token())),
        );
        self.graph.configure(&mut gc);
        let client = GraphClient::new(gc).map_err(|e| e.to_string())?;
        // ARM is served on the same port, at the root (`/subscriptions/...`, `/providers/...`).
        let mut ac = GraphConfig::new(emulator.arm_url(), Arc::new(StaticToken::new("emulator")));
        self.graph.configure_arm(&mut ac);
        let arm = ArmClient::new(ac).map_err(|e| e.to_string());
        let now = self.now.unwrap_or_else(|| emulator.with_state(|s| s.now()));
        Ok(Tenant {
            client,
            arm,
            now,
            emulator: Some(emulator),
        })
    }
}
