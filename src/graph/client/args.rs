//! The command-line options of every command that talks to Graph (`#[command(flatten)]` them).

use super::{
    ArmClient, AuthMethod, ClientError, DEFAULT_ARM_URL, DEFAULT_GRAPH_URL, GraphClient,
    GraphConfig, RetryConfig, TokenLimits, credential_from_env_with_limits, credential_with_limits,
};
use std::time::Duration;

/// `--arm-max-concurrency`'s default. ARM's read limits are its own, not Graph's: a token bucket per subscription,
/// caller and kind of operation (250 reads, refilled at 25 a second). So ARM's lists are read beside Graph's, in
/// slots of their own: 16 keep a plan of 120 scopes in 20 subscriptions to a few rounds, and a plan that reads more
/// than a bucket's worth from one subscription meets ARM's 429, whose `Retry-After` the client honours (bounded by
/// `--max-retry-wait` and `--max-retries`).
pub const DEFAULT_ARM_MAX_CONCURRENCY: u16 = 16;

/// `--graph-url`, `--arm-url`, `--auth`, `--tenant`, `--max-concurrency`, `--arm-max-concurrency`, `--max-retries`,
/// `--max-retry-wait`, `--timeout`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct GraphArgs {
    /// Microsoft Graph's version root: a national cloud's, or the emulator's.
    #[arg(long, env = "PIMCTL_GRAPH_URL", default_value = DEFAULT_GRAPH_URL, value_name = "URL")]
    pub graph_url: String,
    /// Azure Resource Manager's endpoint, for `azure_roles:` (a national cloud's: the token is asked for this
    /// host's `/.default`).
    #[arg(long, env = "PIMCTL_ARM_URL", default_value = DEFAULT_ARM_URL, value_name = "URL")]
    pub arm_url: String,
    /// How to get an access token (auto: token, workload-identity, azure-pipelines, client-secret,
    /// client-certificate, then managed-identity and azure-cli).
    #[arg(long, value_enum, default_value_t = AuthMethod::Auto, value_name = "METHOD")]
    pub auth: AuthMethod,
    /// The Entra tenant (id or domain); default AZURE_TENANT_ID.
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,
    /// Graph requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub max_concurrency: u16,
    /// Azure Resource Manager requests in flight at once while the tenant is read, beside Graph's (apply writes
    /// --max-concurrency roles at a time on each service). ARM limits reads per subscription and caller (250,
    /// refilled at 25 a second), apart from Graph; a plan reads two lists per declared Azure scope and three per
    /// subscription.
    #[arg(long, default_value_t = DEFAULT_ARM_MAX_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub arm_max_concurrency: u16,
    /// Retries of a throttled or failed request before giving up.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(0..=20), value_name = "N")]
    pub max_retries: u16,
    /// The longest wait a server may ask for (Retry-After) before pimctl gives up instead (30s, 2m, 120s).
    /// Also bounds how long sign-in requests keep retrying.
    #[arg(long, default_value = "120s", value_parser = parse_wait, value_name = "DURATION")]
    pub max_retry_wait: Duration,
    /// Give up the whole command after this long (10m, 1h); a write in flight then is reported as uncertain.
    /// Default: no limit beyond the per-request and retry bounds.
    #[arg(long, value_parser = parse_wait, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// The ARM access token for `--auth token`.
pub const ARM_ACCESS_TOKEN_ENV: &str = "PIMCTL_ARM_ACCESS_TOKEN";

fn parse_wait(s: &str) -> Result<Duration, String> {
    crate::duration::Duration::parse(s)
        .map(|d| Duration::from_secs(d.as_secs()))
        .map_err(|e| e.to_string())
}

impl GraphArgs {
    /// The client these options describe, with its token source.
    pub fn client(&self) -> Result<GraphClient, ClientError> {
        // The URL is checked before any credential is built: no sign-in for a Graph that will be refused.
        GraphClient::check_url(&self.graph_url)?;
        let limits = TokenLimits {
            max_retries: u32::from(self.max_retries),
            max_wait: self.max_retry_wait,
        };
        let auth =
            credential_with_limits(self.auth, self.tenant.as_deref(), &self.graph_url, limits)?;
        let mut config = GraphConfig::new(self.graph_url.clone(), auth);
        self.configure(&mut config);
        GraphClient::new(config)
    }

    /// The Azure Resource Manager client these options describe: the same credential method, asked for ARM's
    /// audience. With `--auth token` (or `auto` with a token set), the ARM token is `PIMCTL_ARM_ACCESS_TOKEN`.
    pub fn arm_client(&self) -> Result<ArmClient, ClientError> {
        ArmClient::check_url(&self.arm_url)?;
        let limits = TokenLimits {
            max_retries: u32::from(self.max_retries),
            max_wait: self.max_retry_wait,
        };
        let env = |k: &str| {
            let k = if k == super::auth::ACCESS_TOKEN_ENV {
                ARM_ACCESS_TOKEN_ENV
            } else {
                k
            };
            std::env::var(k).ok().filter(|v| !v.trim().is_empty())
        };
        let auth = credential_from_env_with_limits(
            self.auth,
            self.tenant.as_deref(),
            &self.arm_url,
            limits,
            &env,
        )
        // The same method, for ARM: name ARM and its own token variable, not Graph's.
        .map_err(|e| {
            ClientError::Invalid(format!(
                "cannot authenticate to Azure Resource Manager: {}",
                super::AuthError::new(
                    e.method,
                    e.message
                        .replace(super::auth::ACCESS_TOKEN_ENV, ARM_ACCESS_TOKEN_ENV)
                )
            ))
        })?;
        let mut config = GraphConfig::new(self.arm_url.clone(), auth);
        self.configure_arm(&mut config);
        ArmClient::new(config)
    }

    /// Applies the limits (concurrency, retries, waits, `--timeout`) to a client's configuration: the Graph
    /// client's, or the in-process emulator's.
    pub fn configure(&self, config: &mut GraphConfig) {
        config.max_concurrency = usize::from(self.max_concurrency);
        config.retry = RetryConfig {
            max_attempts: u32::from(self.max_retries) + 1,
            max_retry_after: self.max_retry_wait,
            ..RetryConfig::default()
        };
        config.command_timeout = self.timeout;
    }

    /// As [`GraphArgs::configure`], for an ARM client: its own number of requests in flight.
    pub fn configure_arm(&self, config: &mut GraphConfig) {
        self.configure(config);
        config.max_concurrency = usize::from(self.arm_max_concurrency);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        graph: GraphArgs,
    }

    #[test]
    fn options_parse_with_their_defaults() {
        let a = Cli::try_parse_from(["pimctl", "--auth", "azure-cli", "--tenant", "contoso.com"])
            .unwrap()
            .graph;
        assert_eq!(a.auth, AuthMethod::AzureCli);
        assert_eq!(a.tenant.as_deref(), Some("contoso.com"));
        assert_eq!((a.max_concurrency, a.max_retries), (4, 5));
        assert_eq!(a.arm_max_concurrency, 16);
        assert!(Cli::try_parse_from(["pimctl", "--auth", "kerberos"]).is_err());
        assert!(Cli::try_parse_from(["pimctl", "--max-concurrency", "0"]).is_err());
        let a = Cli::try_parse_from([
            "pimctl",
            "--graph-url",
            "http://127.0.0.1:9/v1.0",
            "--auth",
            "workload-identity",
        ])
        .unwrap()
        .graph;
        assert_eq!(a.graph_url, "http://127.0.0.1:9/v1.0");
        assert_eq!(a.auth, AuthMethod::WorkloadIdentity);
    }
}
