//! Access tokens for Microsoft Graph, through azure_identity (never hand-written OAuth), or a token obtained
//! elsewhere (`PIMCTL_ACCESS_TOKEN`).
//!
//! Token values live in [`BearerToken`], whose `Debug` and `Display` print `<redacted>`; they are never logged.

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientMethodOptions, ClientOptions};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzurePipelinesCredential,
    AzurePipelinesCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The environment variable holding a token for `--auth token` (and the first choice of `--auth auto`).
pub const ACCESS_TOKEN_ENV: &str = "PIMCTL_ACCESS_TOKEN";

/// An access token. Its `Debug` and `Display` never show the value; only [`BearerToken::expose`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl fmt::Display for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why no token could be had. Messages name the method and what to set; they never hold a token or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--auth {method}: {message}")]
pub struct AuthError {
    /// The `--auth` method (`azure-cli`, `auto`, ...).
    pub method: String,
    pub message: String,
}

impl AuthError {
    pub fn new(method: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            message: message.into(),
        }
    }
}

/// The future [`TokenSource::token`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<BearerToken, AuthError>> + Send + 'a>>;

/// Something that gives access tokens for Graph. Implementations cache as they see fit (azure_identity's
/// credentials cache until shortly before expiry), so the client asks before every request.
pub trait TokenSource: Send + Sync + fmt::Debug {
    fn token(&self) -> TokenFuture<'_>;
    /// How the token is obtained (`azure-cli`, `auto (workload-identity)`), for messages.
    fn describe(&self) -> String;
}

/// A fixed token: `--auth token` with `PIMCTL_ACCESS_TOKEN`, and the emulator.
pub struct StaticToken(BearerToken);

impl StaticToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(BearerToken::new(token))
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
    fn describe(&self) -> String {
        "token".into()
    }
}

/// An azure_identity credential asked for one scope (`https://graph.microsoft.com/.default`).
pub struct CredentialSource {
    method: &'static str,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    /// Bounds one token request, retries included (`TokenLimits::bound`; shorter for managed identity probing
    /// under `auto`).
    timeout: Option<Duration>,
}

impl CredentialSource {
    pub fn new(
        method: &'static str,
        credential: Arc<dyn TokenCredential>,
        scope: impl Into<String>,
    ) -> Self {
        Self {
            method,
            credential,
            scope: scope.into(),
            timeout: None,
        }
    }
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialSource")
            .field("method", &self.method)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSource for CredentialSource {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let scopes = [self.scope.as_str()];
            let get = self.credential.get_token(&scopes, None);
            let result = match self.timeout {
                Some(t) => tokio::time::timeout(t, get).await.map_err(|_| {
                    AuthError::new(
                        self.method,
                        format!(
                            "no token within {} s (--max-retry-wait, and the request in flight)",
                            t.as_secs()
                        ),
                    )
                })?,
                None => get.await,
            };
            result
                .map(|t| BearerToken::new(t.token.secret().to_string()))
                .map_err(|e| AuthError::new(self.method, e.to_string()))
        })
    }
    fn describe(&self) -> String {
        self.method.into()
    }
}

/// Tries its sources in order at the first token request and keeps the first that gives one.
#[derive(Debug)]
pub struct ChainedSource {
    sources: Vec<Arc<dyn TokenSource>>,
    chosen: OnceLock<usize>,
}

impl ChainedSource {
    pub fn new(sources: Vec<Arc<dyn TokenSource>>) -> Self {
        Self {
            sources,
            chosen: OnceLock::new(),
        }
    }
}

impl TokenSource for ChainedSource {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            if let Some(i) = self.chosen.get() {
                return self.sources[*i].token().await;
            }
            let mut failures = vec![];
            for (i, s) in self.sources.iter().enumerate() {
                match s.token().await {
                    Ok(t) => {
                        let _ = self.chosen.set(i);
                        tracing::debug!(method = %s.describe(), "auth: using this credential");
                        return Ok(t);
                    }
                    Err(e) => failures.push(e.to_string()),
                }
            }
            Err(AuthError::new(
                "auto",
                format!(
                    "no credential gave a token. Set {ACCESS_TOKEN_ENV}, configure workload identity, Azure \
                     Pipelines or a client secret (AZURE_CLIENT_ID, AZURE_TENANT_ID, ...), or run `az login`. \
                     Tried: {}",
                    failures.join("; ")
                ),
            ))
        })
    }
    fn describe(&self) -> String {
        match self.chosen.get() {
            Some(i) => format!("auto ({})", self.sources[*i].describe()),
            None => format!(
                "auto ({})",
                self.sources
                    .iter()
                    .map(|s| s.describe())
                    .collect::<Vec<_>>()
                    .join(", then ")
            ),
        }
    }
}

/// How pimctl gets its token (`--auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// The first method whose configuration is present, in the order above (README, "Authentication").
    #[default]
    Auto,
    /// Federated credentials: Kubernetes (AZURE_FEDERATED_TOKEN_FILE) or GitHub Actions OIDC.
    WorkloadIdentity,
    /// An Azure Pipelines service connection with workload identity federation.
    AzurePipelines,
    /// The managed identity of the Azure host (VM, App Service, Functions, Container Apps, ...).
    ManagedIdentity,
    /// AZURE_CLIENT_ID + AZURE_CLIENT_SECRET + tenant.
    ClientSecret,
    /// AZURE_CLIENT_ID + AZURE_CLIENT_CERTIFICATE_PATH (PKCS#12) + tenant.
    ClientCertificate,
    /// The account signed in to the Azure CLI (`az login`).
    AzureCli,
    /// A token obtained elsewhere, from PIMCTL_ACCESS_TOKEN (also for the emulator).
    Token,
}

impl AuthMethod {
    /// The name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::WorkloadIdentity => "workload-identity",
            Self::AzurePipelines => "azure-pipelines",
            Self::ManagedIdentity => "managed-identity",
            Self::ClientSecret => "client-secret",
            Self::ClientCertificate => "client-certificate",
            Self::AzureCli => "azure-cli",
            Self::Token => "token",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The token scope for a Graph root: `https://graph.microsoft.com/.default` for the public cloud,
/// `https://graph.microsoft.us/.default`, `https://microsoftgraph.chinacloudapi.cn/.default`, ... for national
/// clouds (the scheme, host and port of the URL, then `/.default`).
pub fn graph_scope(graph_url: &str) -> Result<String, AuthError> {
    let url = reqwest::Url::parse(graph_url)
        .map_err(|e| AuthError::new("auto", format!("--graph-url '{graph_url}': {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| AuthError::new("auto", format!("--graph-url '{graph_url}' has no host")))?;
    Ok(match url.port() {
        Some(p) => format!("{}://{host}:{p}/.default", url.scheme()),
        None => format!("{}://{host}/.default", url.scheme()),
    })
}

/// The Entra authority for a Graph or ARM host: Azure Government for `graph.microsoft.us`, `dod-graph.microsoft.us`
/// and `management.usgovcloudapi.net`,
/// Azure China for `microsoftgraph.chinacloudapi.cn` and `management.chinacloudapi.cn`; otherwise `None` (the public cloud, or
/// `AZURE_AUTHORITY_HOST` when set).
pub fn cloud_for(graph_url: &str) -> Option<CloudConfiguration> {
    let host = reqwest::Url::parse(graph_url)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    if host == "graph.microsoft.us"
        || host == "dod-graph.microsoft.us"
        || host == "management.usgovcloudapi.net"
    {
        Some(CloudConfiguration::AzureGovernment)
    } else if host == "microsoftgraph.chinacloudapi.cn" || host == "management.chinacloudapi.cn" {
        Some(CloudConfiguration::AzureChina)
    } else {
        None
    }
}

/// How long and how often the sign-in (token) requests of azure_identity credentials may try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimits {
    /// Retries after the first request (`--max-retries`). Default 5.
    pub max_retries: u32,
    /// `--max-retry-wait`: the longest the credential keeps retrying. A token request that has not succeeded
    /// within this, plus [`TokenLimits::REQUEST_TIMEOUT`] for the request in flight, is given up (a `Retry-After`
    /// beyond it cannot make pimctl wait longer). Default 120 s.
    pub max_wait: Duration,
}

impl TokenLimits {
    /// One sign-in request, from connecting to the last byte.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    /// The longest one token request may take, retries included.
    pub fn bound(&self) -> Duration {
        self.max_wait + Self::REQUEST_TIMEOUT
    }
}

impl Default for TokenLimits {
    fn default() -> Self {
        Self {
            max_retries: 5,
            max_wait: Duration::from_secs(120),
        }
    }
}

/// The token source for `--auth`, reading the process environment. See [`credential_from_env`].
pub fn credential_for(
    method: AuthMethod,
    tenant: Option<&str>,
    graph_url: &str,
) -> Result<Arc<dyn TokenSource>, AuthError> {
    credential_with_limits(method, tenant, graph_url, TokenLimits::default())
}

/// [`credential_for`], with the sign-in requests bounded by `limits`.
pub fn credential_with_limits(
    method: AuthMethod,
    tenant: Option<&str>,
    graph_url: &str,
    limits: TokenLimits,
) -> Result<Arc<dyn TokenSource>, AuthError> {
    credential_from_env_with_limits(method, tenant, graph_url, limits, &|k| {
        std::env::var(k).ok().filter(|v| !v.trim().is_empty())
    })
}

/// The token source for `--auth`, with the environment given as a function (so tests need not change the
/// process environment). `tenant` is `--tenant`; `AZURE_TENANT_ID` is used when it is `None`.
///
/// Variables, per method:
/// * `token`: `PIMCTL_ACCESS_TOKEN`.
/// * `workload-identity`: `AZURE_CLIENT_ID`, the tenant, and either `AZURE_FEDERATED_TOKEN_FILE` (AKS, or any
///   file holding a federated token) or GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_URL` and
///   `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (the job needs `permissions: id-token: write`).
/// * `azure-pipelines`: `SYSTEM_OIDCREQUESTURI` (set by Azure Pipelines), `SYSTEM_ACCESSTOKEN` (map it into the
///   step's environment), `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`, `AZURESUBSCRIPTION_CLIENT_ID` (or
///   `AZURE_CLIENT_ID`) and `AZURESUBSCRIPTION_TENANT_ID` (or the tenant) — the AzureCLI@2 task sets the
///   `AZURESUBSCRIPTION_*` ones.
/// * `client-secret`: `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, the tenant.
/// * `client-certificate`: `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH` (PKCS#12),
///   `AZURE_CLIENT_CERTIFICATE_PASSWORD` (optional), the tenant. Needs pimctl built with the
///   `client-certificate` feature (OpenSSL).
/// * `managed-identity`: `AZURE_CLIENT_ID` selects a user-assigned identity; otherwise the system-assigned one.
/// * `azure-cli`: the tenant is optional (`az account get-access-token --tenant`).
///
/// `auto` takes, in this order:
/// 1. `token` when `PIMCTL_ACCESS_TOKEN` is set: the most explicit choice, made for this run;
/// 2. `workload-identity` when a federated token file or GitHub's OIDC variables are present: secretless, and
///    what CI and AKS set up on purpose;
/// 3. `azure-pipelines` when `SYSTEM_OIDCREQUESTURI` and a service connection id are present (same reason);
/// 4. `client-secret` when `AZURE_CLIENT_SECRET` is set, then 5. `client-certificate` when
///    `AZURE_CLIENT_CERTIFICATE_PATH` is set: configured on purpose, but long-lived secrets, so after federation;
/// 6. otherwise, at the first request, `managed-identity` (the host's own identity; the instance metadata
///    service is given 5 seconds to answer), then `azure-cli` (a person at a workstation).
///
/// Configured methods (1 to 5) are chosen from the environment alone and never fall through to another, so a
/// broken CI configuration fails loudly instead of silently using a different identity. This follows the order
/// of azure_identity's `DefaultAzureCredential` in the other Azure SDKs (environment, workload identity, managed
/// identity, developer tools), with the explicit token first.
pub fn credential_from_env(
    method: AuthMethod,
    tenant: Option<&str>,
    graph_url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn TokenSource>, AuthError> {
    credential_from_env_with_limits(method, tenant, graph_url, TokenLimits::default(), env)
}

/// [`credential_from_env`], with the sign-in requests bounded by `limits`.
pub fn credential_from_env_with_limits(
    method: AuthMethod,
    tenant: Option<&str>,
    graph_url: &str,
    limits: TokenLimits,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn TokenSource>, AuthError> {
    let cx = Cx {
        limits,
        method,
        tenant: tenant
            .map(str::to_string)
            .filter(|t| !t.trim().is_empty())
            .or_else(|| env("AZURE_TENANT_ID")),
        scope: graph_scope(graph_url)?,
        cloud: cloud_for(graph_url),
        env,
    };
    match method {
        AuthMethod::Auto => auto(&cx),
        AuthMethod::Token => token(&cx),
        AuthMethod::WorkloadIdentity => workload_identity(&cx),
        AuthMethod::AzurePipelines => azure_pipelines(&cx),
        AuthMethod::ClientSecret => client_secret(&cx),
        AuthMethod::ClientCertificate => client_certificate(&cx),
        AuthMethod::ManagedIdentity => managed_identity(&cx, None),
        AuthMethod::AzureCli => azure_cli(&cx),
    }
}

struct Cx<'a> {
    limits: TokenLimits,
    method: AuthMethod,
    tenant: Option<String>,
    scope: String,
    cloud: Option<CloudConfiguration>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Cx<'_> {
    fn var(&self, k: &str) -> Option<String> {
        (self.env)(k)
    }
    fn err(&self, m: &'static str, message: impl Into<String>) -> AuthError {
        let name = if self.method == AuthMethod::Auto {
            format!("auto ({m})")
        } else {
            m.to_string()
        };
        AuthError::new(name, message)
    }
    fn require(&self, m: &'static str, k: &str) -> Result<String, AuthError> {
        self.var(k)
            .ok_or_else(|| self.err(m, format!("{k} is not set")))
    }
    fn tenant(&self, m: &'static str) -> Result<String, AuthError> {
        self.tenant
            .clone()
            .ok_or_else(|| self.err(m, "no tenant: pass --tenant or set AZURE_TENANT_ID"))
    }
    /// azure_identity's pipeline: `--max-retries` retries at most, for at most `--max-retry-wait`, each request
    /// bounded in time (azure_core's defaults are 8 retries over a minute, and no request timeout).
    fn client_options(&self) -> ClientOptions {
        use azure_core::http::{ExponentialRetryOptions, RetryOptions, Transport};
        let to_time = |d: Duration| {
            azure_core::time::Duration::milliseconds(
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            )
        };
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: self.limits.max_retries,
            max_total_elapsed: to_time(self.limits.max_wait),
            ..Default::default()
        });
        let transport = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(TokenLimits::REQUEST_TIMEOUT)
            .build()
            .ok()
            .map(|c| Transport::new(Arc::new(c)));
        ClientOptions {
            cloud: self.cloud.clone().map(Arc::new),
            retry,
            transport,
            ..Default::default()
        }
    }
    fn source(
        &self,
        m: &'static str,
        c: azure_core::Result<Arc<impl TokenCredential + 'static>>,
    ) -> Result<Arc<dyn TokenSource>, AuthError> {
        let c = c.map_err(|e| self.err(m, e.to_string()))?;
        let mut s = CredentialSource::new(m, c, self.scope.clone());
        s.timeout = Some(self.limits.bound());
        Ok(Arc::new(s))
    }
}

fn auto(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    if cx.var(ACCESS_TOKEN_ENV).is_some() {
        return token(cx);
    }
    if cx.var("AZURE_FEDERATED_TOKEN_FILE").is_some()
        || (cx.var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() && cx.var("AZURE_CLIENT_ID").is_some())
    {
        return workload_identity(cx);
    }
    if cx.var("SYSTEM_OIDCREQUESTURI").is_some()
        && cx.var("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID").is_some()
    {
        return azure_pipelines(cx);
    }
    if cx.var("AZURE_CLIENT_SECRET").is_some() {
        return client_secret(cx);
    }
    if cx.var("AZURE_CLIENT_CERTIFICATE_PATH").is_some() {
        return client_certificate(cx);
    }
    let mut chain = vec![];
    // The instance metadata service cannot be detected from the environment: give it a few seconds. The
    // other managed identity endpoints announce themselves (IDENTITY_ENDPOINT, MSI_ENDPOINT).
    let announced = cx.var("IDENTITY_ENDPOINT").is_some() || cx.var("MSI_ENDPOINT").is_some();
    let probe = (!announced).then_some(Duration::from_secs(5));
    match managed_identity(cx, probe) {
        Ok(s) => chain.push(s),
        Err(e) => tracing::debug!("auth: managed identity unavailable: {e}"),
    }
    chain.push(azure_cli(cx)?);
    Ok(Arc::new(ChainedSource::new(chain)))
}

fn token(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    let t = cx.require("token", ACCESS_TOKEN_ENV)?;
    let t = t.trim();
    let t = t
        .strip_prefix("Bearer ")
        .or_else(|| t.strip_prefix("bearer "))
        .unwrap_or(t);
    Ok(Arc::new(StaticToken::new(t.trim())))
}

const WORKLOAD: &str = "workload-identity";

fn workload_identity(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    let client_id = cx.require(WORKLOAD, "AZURE_CLIENT_ID")?;
    let tenant = cx.tenant(WORKLOAD)?;
    let credential_options = ClientAssertionCredentialOptions {
        client_options: cx.client_options(),
    };
    if let Some(file) = cx.var("AZURE_FEDERATED_TOKEN_FILE") {
        let c = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
            credential_options,
            client_id: Some(client_id),
            tenant_id: Some(tenant),
            token_file_path: Some(file.into()),
        }));
        return cx.source(WORKLOAD, c);
    }
    match (
        cx.var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        cx.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        (Some(url), Some(request_token)) => {
            let assertion = GitHubOidc {
                url,
                request_token: BearerToken::new(request_token),
                http: reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(TokenLimits::REQUEST_TIMEOUT)
                    .build()
                    .map_err(|e| cx.err(WORKLOAD, format!("cannot build the HTTP client: {e}")))?,
            };
            let c = ClientAssertionCredential::new(
                tenant,
                client_id,
                assertion,
                Some(credential_options),
            );
            cx.source(WORKLOAD, c)
        }
        (Some(_), None) => Err(cx.err(
            WORKLOAD,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set: give the job `permissions: id-token: write`",
        )),
        _ => Err(cx.err(
            WORKLOAD,
            "neither AZURE_FEDERATED_TOKEN_FILE (Kubernetes) nor ACTIONS_ID_TOKEN_REQUEST_URL (GitHub Actions \
             with `permissions: id-token: write`) is set",
        )),
    }
}

/// GitHub Actions' OIDC token, audience `api://AzureADTokenExchange`, as the client assertion that
/// azure_identity exchanges for an Entra token.
struct GitHubOidc {
    url: String,
    request_token: BearerToken,
    http: reqwest::Client,
}

impl fmt::Debug for GitHubOidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GitHubOidc")
    }
}

#[async_trait::async_trait]
impl ClientAssertion for GitHubOidc {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        use azure_core::error::ErrorKind;
        let fail = |m: String| azure_core::Error::with_message(ErrorKind::Credential, m);
        let mut url = reqwest::Url::parse(&self.url)
            .map_err(|e| fail(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("audience", "api://AzureADTokenExchange");
        let resp = self
            .http
            .get(url)
            .bearer_auth(self.request_token.expose())
            .send()
            .await
            .map_err(|e| fail(format!("cannot reach GitHub's OIDC endpoint: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("GitHub's OIDC endpoint answered {status}")));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            value: String,
        }
        let a: Answer = resp
            .json()
            .await
            .map_err(|e| fail(format!("GitHub's OIDC answer is unreadable: {e}")))?;
        Ok(a.value)
    }
}

const PIPELINES: &str = "azure-pipelines";

fn azure_pipelines(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    cx.require(PIPELINES, "SYSTEM_OIDCREQUESTURI")?;
    let connection = cx.require(PIPELINES, "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID")?;
    let client_id = cx
        .var("AZURESUBSCRIPTION_CLIENT_ID")
        .or_else(|| cx.var("AZURE_CLIENT_ID"))
        .ok_or_else(|| {
            cx.err(
                PIPELINES,
                "neither AZURESUBSCRIPTION_CLIENT_ID nor AZURE_CLIENT_ID is set",
            )
        })?;
    let tenant = match cx.var("AZURESUBSCRIPTION_TENANT_ID") {
        Some(t) if cx.tenant.is_none() => t,
        _ => cx.tenant(PIPELINES)?,
    };
    let system_token = cx.var("SYSTEM_ACCESSTOKEN").ok_or_else(|| {
        cx.err(
            PIPELINES,
            "SYSTEM_ACCESSTOKEN is not set: map it into the step (`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`)",
        )
    })?;
    let c = AzurePipelinesCredential::new(
        tenant,
        client_id,
        &connection,
        Secret::new(system_token),
        Some(AzurePipelinesCredentialOptions {
            credential_options: ClientAssertionCredentialOptions {
                client_options: cx.client_options(),
            },
        }),
    );
    cx.source(PIPELINES, c)
}

fn client_secret(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    const M: &str = "client-secret";
    let client_id = cx.require(M, "AZURE_CLIENT_ID")?;
    let secret = cx.require(M, "AZURE_CLIENT_SECRET")?;
    let tenant = cx.tenant(M)?;
    let c = ClientSecretCredential::new(
        &tenant,
        client_id,
        Secret::new(secret),
        Some(ClientSecretCredentialOptions {
            client_options: cx.client_options(),
        }),
    );
    cx.source(M, c)
}

const CERTIFICATE: &str = "client-certificate";

#[cfg(feature = "client-certificate")]
fn client_certificate(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    use azure_core::credentials::SecretBytes;
    use azure_identity::{ClientCertificateCredential, ClientCertificateCredentialOptions};
    let client_id = cx.require(CERTIFICATE, "AZURE_CLIENT_ID")?;
    let path = cx.require(CERTIFICATE, "AZURE_CLIENT_CERTIFICATE_PATH")?;
    let tenant = cx.tenant(CERTIFICATE)?;
    let bytes = std::fs::read(&path).map_err(|e| cx.err(CERTIFICATE, format!("{path}: {e}")))?;
    let c = ClientCertificateCredential::new(
        tenant,
        client_id,
        SecretBytes::new(bytes),
        Some(ClientCertificateCredentialOptions {
            client_options: cx.client_options(),
            password: cx.var("AZURE_CLIENT_CERTIFICATE_PASSWORD").map(Secret::new),
        }),
    );
    cx.source(CERTIFICATE, c)
}

#[cfg(not(feature = "client-certificate"))]
fn client_certificate(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    Err(cx.err(
        CERTIFICATE,
        "this pimctl was not built with client-certificate support (it needs OpenSSL): rebuild with \
         `cargo install pimctl --features client-certificate`, or use workload identity or a client secret",
    ))
}

fn managed_identity(cx: &Cx, timeout: Option<Duration>) -> Result<Arc<dyn TokenSource>, AuthError> {
    const M: &str = "managed-identity";
    let c = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        user_assigned_id: cx.var("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
        client_options: cx.client_options(),
    }))
    .map_err(|e| cx.err(M, e.to_string()))?;
    let mut s = CredentialSource::new(M, c, cx.scope.clone());
    s.timeout = Some(timeout.map_or(cx.limits.bound(), |t| t.min(cx.limits.bound())));
    Ok(Arc::new(s))
}

fn azure_cli(cx: &Cx) -> Result<Arc<dyn TokenSource>, AuthError> {
    let c = AzureCliCredential::new(Some(AzureCliCredentialOptions {
        tenant_id: cx.tenant.clone(),
        ..Default::default()
    }));
    cx.source("azure-cli", c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const GRAPH: &str = "https://graph.microsoft.com/v1.0";
    const TENANT: &str = "11111111-2222-3333-4444-555555555555";
    const CLIENT: &str = "22222222-3333-4444-5555-666666666666";

    fn pick(method: AuthMethod, vars: &[(&str, &str)]) -> Result<String, AuthError> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        credential_from_env(method, None, GRAPH, &|k| map.get(k).cloned()).map(|s| s.describe())
    }

    #[test]
    fn scopes_and_clouds_follow_the_graph_url() {
        assert_eq!(
            graph_scope(GRAPH).unwrap(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            graph_scope("https://graph.microsoft.us/v1.0").unwrap(),
            "https://graph.microsoft.us/.default"
        );
        assert_eq!(
            graph_scope("http://127.0.0.1:4000/v1.0").unwrap(),
            "http://127.0.0.1:4000/.default"
        );
        assert!(graph_scope("not a url").is_err());
        assert_eq!(
            cloud_for("https://dod-graph.microsoft.us/v1.0"),
            Some(CloudConfiguration::AzureGovernment)
        );
        assert_eq!(
            cloud_for("https://microsoftgraph.chinacloudapi.cn/v1.0"),
            Some(CloudConfiguration::AzureChina)
        );
        assert_eq!(cloud_for(GRAPH), None);
        // ARM's national endpoints (`--arm-url`) sign in at their cloud's authority too.
        assert_eq!(
            cloud_for("https://management.usgovcloudapi.net"),
            Some(CloudConfiguration::AzureGovernment)
        );
        assert_eq!(
            cloud_for("https://management.chinacloudapi.cn/"),
            Some(CloudConfiguration::AzureChina)
        );
        assert_eq!(cloud_for("https://management.azure.com"), None);
    }

    #[test]
    fn auto_takes_the_documented_order() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "federated").unwrap();
        let path = file.path().to_str().unwrap();
        let all = [
            (ACCESS_TOKEN_ENV, "t"),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT),
            ("AZURE_FEDERATED_TOKEN_FILE", path),
            ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x/oidc"),
            ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "sc"),
            ("SYSTEM_ACCESSTOKEN", "s"),
            ("AZURE_CLIENT_SECRET", "secret"),
        ];
        let auto = |skip: usize| pick(AuthMethod::Auto, &all[skip..]).unwrap();
        assert_eq!(auto(0), "token");
        assert_eq!(auto(1), "workload-identity");
        let without_federation: Vec<_> = all[1..]
            .iter()
            .filter(|(k, _)| *k != "AZURE_FEDERATED_TOKEN_FILE")
            .copied()
            .collect();
        // azure_identity reads SYSTEM_OIDCREQUESTURI from the process environment itself, so here the choice
        // shows in the error.
        let chosen = match pick(AuthMethod::Auto, &without_federation) {
            Ok(d) => d,
            Err(e) => e.method,
        };
        assert!(chosen.contains("azure-pipelines"), "{chosen}");
        assert_eq!(
            pick(
                AuthMethod::Auto,
                &[
                    ("AZURE_TENANT_ID", TENANT),
                    ("AZURE_CLIENT_ID", CLIENT),
                    ("AZURE_CLIENT_SECRET", "secret")
                ]
            )
            .unwrap(),
            "client-secret"
        );
        assert_eq!(
            pick(AuthMethod::Auto, &[]).unwrap(),
            "auto (managed-identity, then azure-cli)"
        );
        assert_eq!(
            pick(
                AuthMethod::Auto,
                &[
                    (
                        "ACTIONS_ID_TOKEN_REQUEST_URL",
                        "https://token.actions.example/x?a=1"
                    ),
                    ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "r"),
                    ("AZURE_CLIENT_ID", CLIENT),
                    ("AZURE_TENANT_ID", TENANT),
                ]
            )
            .unwrap(),
            "workload-identity"
        );
    }

    #[test]
    fn missing_configuration_names_what_to_set() {
        let e = pick(AuthMethod::Token, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--auth token: PIMCTL_ACCESS_TOKEN is not set"
        );
        let e = pick(AuthMethod::ClientSecret, &[("AZURE_CLIENT_ID", CLIENT)]).unwrap_err();
        assert!(e.to_string().contains("AZURE_CLIENT_SECRET"), "{e}");
        let e = pick(
            AuthMethod::ClientSecret,
            &[("AZURE_CLIENT_ID", CLIENT), ("AZURE_CLIENT_SECRET", "s")],
        )
        .unwrap_err();
        assert!(e.to_string().contains("--tenant"), "{e}");
        let e = pick(
            AuthMethod::WorkloadIdentity,
            &[("AZURE_CLIENT_ID", CLIENT), ("AZURE_TENANT_ID", TENANT)],
        )
        .unwrap_err();
        assert!(e.to_string().contains("AZURE_FEDERATED_TOKEN_FILE"), "{e}");
        let e = pick(
            AuthMethod::AzurePipelines,
            &[
                ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x/oidc"),
                ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "sc"),
                ("AZURE_CLIENT_ID", CLIENT),
                ("AZURE_TENANT_ID", TENANT),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("SYSTEM_ACCESSTOKEN"), "{e}");
        #[cfg(not(feature = "client-certificate"))]
        {
            let e = pick(AuthMethod::ClientCertificate, &[]).unwrap_err();
            assert!(
                e.to_string()
                    .contains("not built with client-certificate support"),
                "{e}"
            );
        }
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let secret = "s3cr3t-value";
        let t = BearerToken::new(secret);
        assert!(!format!("{t:?} {t}").contains(secret));
        let s = StaticToken::new(secret);
        assert!(!format!("{s:?}").contains(secret));
        let vars = [
            ("AZURE_CLIENT_ID", CLIENT),
            ("AZURE_CLIENT_SECRET", secret),
            ("AZURE_TENANT_ID", TENANT),
        ];
        let map: BTreeMap<_, _> = vars.iter().map(|(k, v)| (*k, *v)).collect();
        let src = credential_from_env(AuthMethod::ClientSecret, None, GRAPH, &|k| {
            map.get(k).map(|v| v.to_string())
        })
        .unwrap();
        assert!(!format!("{src:?}").contains(secret));
    }

    #[tokio::test]
    async fn a_static_token_is_given_without_its_bearer_prefix() {
        let s = credential_from_env(AuthMethod::Token, None, GRAPH, &|k| {
            (k == ACCESS_TOKEN_ENV).then(|| "Bearer abc ".to_string())
        })
        .unwrap();
        assert_eq!(s.token().await.unwrap().expose(), "abc");
    }
}
