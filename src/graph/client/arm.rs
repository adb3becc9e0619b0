//! The Azure Resource Manager client: the Graph client's transport (reqwest on tokio, bounded retries honouring
//! `Retry-After`, `--timeout`, response caps, bounded concurrency) spoken in ARM's dialect: `api-version=2020-10-01`
//! on every request, `nextLink` paging (same host only), `CloudError` answers, `x-ms-request-id`, and the
//! `x-ms-ratelimit-remaining-*` headers logged at debug. The token is for ARM's audience
//! (`https://management.azure.com/.default`, or the national cloud's host).

use super::{ClientError, ClientStats, Dialect, GraphClient, GraphConfig, RequestInfo};
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Azure Resource Manager in the public cloud.
pub const DEFAULT_ARM_URL: &str = "https://management.azure.com";

/// The token scope for an ARM endpoint: its scheme, host and port, then `/.default`
/// (`https://management.azure.com/.default`, `https://management.usgovcloudapi.net/.default`, ...).
pub fn arm_scope(arm_url: &str) -> Result<String, super::AuthError> {
    super::auth::graph_scope(arm_url)
}

/// An ARM client. Cloning is cheap and shares the connection pool, limits and counters.
#[derive(Clone, Debug)]
pub struct ArmClient {
    core: GraphClient,
}

impl ArmClient {
    /// Checks an ARM endpoint as [`ArmClient::new`] does: http(s) with a host, http only on loopback, no query.
    pub fn check_url(arm_url: &str) -> Result<(), ClientError> {
        super::parse_base_url(arm_url, Dialect::Arm).map(|_| ())
    }

    /// A client for `config.base_url`, ARM's endpoint (`https://management.azure.com`, or the emulator's root).
    pub fn new(config: GraphConfig) -> Result<Self, ClientError> {
        Ok(Self {
            core: GraphClient::with_dialect(config, Dialect::Arm)?,
        })
    }

    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    pub fn stats(&self) -> ClientStats {
        self.core.stats()
    }

    pub fn request_count(&self) -> u64 {
        self.core.request_count()
    }

    /// `GET` one resource (`/subscriptions/{id}/providers/Microsoft.Authorization/roleManagementPolicies/{name}`).
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.core.get_json(path).await
    }

    /// `GET` a list and every page after it (`nextLink`, same host only).
    pub async fn list_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ClientError> {
        self.core.list_all(path).await
    }

    /// `PUT` a body (a schedule request to the name pimctl chose: resending it is the same request).
    pub async fn put_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.core.put_json(path, body).await
    }

    /// `PATCH` a body (a policy's changed rules).
    pub async fn patch_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.core.patch_json(path, body).await
    }
}

/// Logs what ARM says is left of the caller's request budget (`x-ms-ratelimit-remaining-subscription-reads`,
/// `-writes`, `-tenant-reads`, ...), at debug.
pub(super) fn log_rate_limits(req: &RequestInfo, headers: &HeaderMap) {
    for (name, value) in headers {
        let n = name.as_str();
        if let Some(which) = n.strip_prefix("x-ms-ratelimit-remaining-") {
            tracing::debug!(
                method = %req.method,
                path = %req.path,
                remaining = value.to_str().unwrap_or("?"),
                limit = which,
                "arm rate limit"
            );
        }
    }
}
