//! The tenant emulator: a local, faithful Microsoft Graph v1.0 for PIM on Microsoft Entra roles and for Groups.
//!
//! It serves real HTTP on 127.0.0.1, follows Graph's wire formats field for field (see [`crate::graph`]) and
//! behaves like the service, errors included. Start it in-process with [`Emulator::start`], or from the command
//! line with `pimctl emulator --seed FILE`. Users' documentation: `docs/emulator.md`.
//!
//! Modules: [`seed`] (the YAML tenant), [`state`] (the tenant and its lifecycle), [`rules`] (rule updates),
//! [`query`] (OData options), [`faults`] (latency, throttling, failures), [`control`] (`/_emulator/*`), and the
//! private `routes` (one file per group of resources).

pub mod arm;
pub mod cache;
pub mod control;
pub mod enforce;
pub mod faults;
pub mod generate;
pub mod http;
pub mod ids;
pub mod query;
pub mod reviews;
mod routes;
pub mod rules;
pub mod seed;
pub mod state;

use axum::body::{Body, Bytes};
use axum::response::Response;
use faults::{Fault, FaultConfig, Faults};
use http::{ApiError, GraphResponse, throttled_body};
use seed::{Seed, SeedError};
use serde::{Deserialize, Serialize};
use state::{Caller, State};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The page size where Microsoft states none (the PIM lists), and Graph's default for users, groups and
/// service principals.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The application id in [`RunningEmulator::access_token`]'s token.
pub const EMULATOR_APP_ID: &str = "00000000-0000-4000-8000-00000000e1a7";

/// Where the tenant comes from.
#[derive(Debug, Clone)]
pub enum TenantSource {
    /// A parsed seed; `origin` names it in error messages.
    Seed { seed: Box<Seed>, origin: String },
    /// A seed file.
    SeedFile(PathBuf),
    /// A tenant built by the caller.
    State(Box<State>),
}

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub tenant: TenantSource,
    /// Loaded instead of the seed when it exists; written after every write and on shutdown.
    pub state_file: Option<PathBuf>,
    /// 0 (the default) picks a free port.
    pub port: u16,
    /// The server's page size; `None` gives 100 or `$top`.
    pub page_size: Option<usize>,
    pub faults: FaultConfig,
    /// Seeds the fault RNG.
    pub rng_seed: u64,
}

impl EmulatorConfig {
    pub fn new(tenant: TenantSource) -> Self {
        Self {
            tenant,
            state_file: None,
            port: 0,
            page_size: None,
            faults: FaultConfig::default(),
            rng_seed: 0,
        }
    }
    /// From YAML seed text.
    pub fn from_seed_yaml(text: &str) -> Result<Self, EmulatorError> {
        let seed = Seed::from_yaml(text, "<seed>")?;
        Ok(Self::new(TenantSource::Seed {
            seed: Box::new(seed),
            origin: "<seed>".into(),
        }))
    }
    /// From a seed file.
    pub fn from_seed_file(path: impl Into<PathBuf>) -> Self {
        Self::new(TenantSource::SeedFile(path.into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("{path}: cannot {action} the state file: {message}")]
    StateFile {
        path: String,
        /// `read` or `save`.
        action: &'static str,
        message: String,
    },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(String),
}

/// Requests counted per `METHOD /v1.0/route/{template}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub total: u64,
    pub routes: BTreeMap<String, u64>,
    /// Of those, answered 429 by the faults (the token bucket or the throttle rate).
    #[serde(default)]
    pub throttled: u64,
}

/// What the request handlers share.
pub struct Shared {
    /// Locked through [`Shared::lock_state`], which keeps [`Shared::renderings`] true.
    state: Mutex<State>,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Faults>,
    /// `http://127.0.0.1:PORT/v1.0`.
    pub root: String,
    pub page_size: Option<usize>,
    pub state_file: Option<PathBuf>,
    /// The JSON text of objects that only a write changes ([`cache`]).
    pub renderings: cache::Renderings,
}

impl Shared {
    /// The tenant, locked. To change it (`write`), every kept rendering is dropped first, under the same lock, so
    /// no read after the change is answered from a rendering the change made stale ([`cache`]).
    pub fn lock_state(&self, write: bool) -> std::sync::MutexGuard<'_, State> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if write {
            self.renderings.clear();
        }
        st
    }
}

/// The emulator.
pub struct Emulator;

/// A running emulator. Dropping it stops the server (without saving; call [`RunningEmulator::shutdown`]).
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), std::io::Error>>>,
}

fn load_state(path: &Path) -> Result<Option<State>, EmulatorError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| EmulatorError::StateFile {
                    path: path.display().to_string(),
                    action: "read",
                    message: e.to_string(),
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EmulatorError::StateFile {
            path: path.display().to_string(),
            action: "read",
            message: e.to_string(),
        }),
    }
}

/// Writes the tenant to the state file (atomically: a temporary file, then a rename).
pub fn save_state(shared: &Shared) -> std::io::Result<()> {
    let Some(path) = &shared.state_file else {
        return Ok(());
    };
    let bytes = {
        let st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        serde_json::to_vec(&*st).map_err(std::io::Error::other)?
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl Emulator {
    /// Builds the tenant, binds 127.0.0.1 and serves in the background of the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
        let loaded = match &config.state_file {
            Some(p) => load_state(p)?,
            None => None,
        };
        let state = match (loaded, config.tenant) {
            (Some(s), _) => s,
            (None, TenantSource::State(s)) => *s,
            (None, TenantSource::Seed { seed, origin }) => seed.build(&origin)?,
            (None, TenantSource::SeedFile(p)) => {
                Seed::from_file(&p)?.build(&p.display().to_string())?
            }
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| EmulatorError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                port: config.port,
                source,
            })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(Faults::new(config.faults, config.rng_seed)),
            root: format!("http://{addr}/v1.0"),
            page_size: config.page_size.filter(|p| *p > 0),
            state_file: config.state_file.clone(),
            renderings: cache::Renderings::default(),
        });
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(RunningEmulator {
            addr,
            shared,
            stop: Some(tx),
            task: Some(task),
        })
    }
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT/v1.0`: the Graph root to point a client at.
    pub fn base_url(&self) -> String {
        self.shared.root.clone()
    }
    /// `http://127.0.0.1:PORT`: the Azure Resource Manager endpoint (same port, at the root).
    pub fn arm_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `http://127.0.0.1:PORT/_emulator`.
    pub fn control_url(&self) -> String {
        format!("http://{}/_emulator", self.addr)
    }
    /// An access token for this tenant, shaped as Entra issues them (a JWT, unsigned: `alg: none`) for an
    /// application, `pimctl emulator`: its `tid` is the tenant's id, so a client learns the tenant from it as from a
    /// real token, with no request. The emulator refuses a JWT for any other tenant.
    pub fn access_token(&self) -> String {
        let (tid, sp) = self.with_state(|s| {
            (
                s.tenant_id.clone(),
                ids::det_uuid(&[&s.tenant_id, "emulator-app"]),
            )
        });
        crate::graph::client::claims::unsigned_jwt(&serde_json::json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{tid}/"),
            "tid": tid,
            "oid": sp,
            "appid": EMULATOR_APP_ID,
            "app_displayname": "pimctl emulator",
            "idtyp": "app",
            "ver": "1.0",
        }))
    }
    pub fn stats(&self) -> Stats {
        self.shared
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    pub fn reset_stats(&self) {
        *self.shared.stats.lock().unwrap_or_else(|p| p.into_inner()) = Stats::default();
    }
    /// How many renderings the emulator keeps ([`cache`]), and their bytes.
    pub fn renderings(&self) -> (usize, usize) {
        self.shared.renderings.size()
    }
    pub fn set_faults(&self, f: FaultConfig) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set(f);
    }
    /// Reads or changes the tenant directly (the clock too: `s.clock.advance(...)`).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut st = self.shared.lock_state(true);
        f(&mut st)
    }
    /// Stops serving, waits for the server to finish, and saves the state file if there is one.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(EmulatorError::Serve(e.to_string())),
                Err(e) => return Err(EmulatorError::Serve(e.to_string())),
            }
        }
        save_state(&self.shared).map_err(|e| EmulatorError::StateFile {
            action: "save",
            path: self
                .shared
                .state_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            message: e.to_string(),
        })
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Bodies larger than this are refused.
const MAX_BODY: usize = 4 << 20;

fn header<'a>(req: &'a axum::extract::Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads the caller from `Authorization`. Tokens are never logged.
fn authenticate(shared: &Shared, auth: Option<&str>) -> Result<Caller, ApiError> {
    let unauthenticated = |m: &str| ApiError::new(401, "InvalidAuthenticationToken", m);
    let token = match auth.map(str::trim) {
        None | Some("") => return Err(unauthenticated("Access token is empty.")),
        Some(a) => {
            let (scheme, rest) = a.split_once(' ').unwrap_or((a, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(unauthenticated("Access token validation failure."));
            }
            rest.trim()
        }
    };
    if token.is_empty() {
        return Err(unauthenticated("Access token is empty."));
    }
    // A JWT names its tenant: one issued for another tenant is refused, as Entra-issued tokens are by a tenant
    // they were not issued for. Anything else is a test token.
    if let Some(claims) = crate::graph::client::TokenClaims::read(token)
        && let Some(tid) = claims.tid.as_deref()
    {
        let st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if !tid.eq_ignore_ascii_case(&st.tenant_id) {
            return Err(unauthenticated(
                "Access token validation failure. The token was issued for another tenant.",
            ));
        }
        return Ok(Caller::App);
    }
    if token == "emulator:noperm" {
        return Err(ApiError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    if let Some(rest) = token.strip_prefix("emulator:user:") {
        let (id, mfa) = match rest.strip_suffix(":nomfa") {
            Some(id) => (id, false),
            None => (rest, true),
        };
        let st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let user = st.user(id).ok_or_else(|| {
            unauthenticated("Access token validation failure. The user does not exist.")
        })?;
        return Ok(Caller::User {
            id: user.id.clone(),
            mfa,
        });
    }
    Ok(Caller::App)
}

fn fill_ids(v: &mut serde_json::Value, rid: &str, crid: &str) {
    match v {
        serde_json::Value::String(s) if s == "{request-id}" => *s = rid.to_string(),
        serde_json::Value::String(s) if s == "{client-request-id}" => *s = crid.to_string(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fill_ids(x, rid, crid)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| fill_ids(x, rid, crid)),
        _ => {}
    }
}

fn finish(mut r: GraphResponse, rid: &str, crid: &str) -> Response {
    let mut b = Response::builder()
        .status(r.status)
        .header("request-id", rid)
        .header("client-request-id", crid);
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let json = |b: axum::http::response::Builder| {
        b.header(
            "Content-Type",
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        )
    };
    // A body written as text holds no id to fill in: only error bodies do.
    let body = match (r.text.take(), r.body.as_mut()) {
        (Some(text), _) => {
            b = json(b);
            Body::from(text)
        }
        (None, Some(v)) => {
            fill_ids(v, rid, crid);
            b = json(b);
            Body::from(serde_json::to_vec(v).unwrap_or_default())
        }
        (None, None) => Body::empty(),
    };
    b.body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

async fn serve(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    req: axum::extract::Request,
) -> Response {
    let rid = uuid::Uuid::new_v4().to_string();
    let crid = header(&req, "client-request-id")
        .filter(|c| c.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| rid.clone());
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let auth = header(&req, "authorization").map(str::to_string);
    let now = || clock(&shared);
    let body: Bytes = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(
                413,
                "RequestEntityTooLarge",
                "The request body is too large.",
            );
            return finish(e.into_response(&rid, &crid, now()), &rid, &crid);
        }
    };
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let (resp, changed) = control::handle(&shared, &method, &path, &body);
        if changed {
            persist(&shared);
        }
        return finish(resp, &rid, &crid);
    }
    // ARM (`/subscriptions/...`, `/providers/...`) or Graph (`/v1.0/...`).
    let arm = arm::routes::is_arm_path(&path);
    let sub = if arm {
        arm::routes::count(&shared.stats, &method, &path);
        path.as_str()
    } else {
        let Some(sub) = path
            .strip_prefix("/v1.0")
            .filter(|s| s.is_empty() || s.starts_with('/'))
        else {
            let e = ApiError::new(
                404,
                "BadRequest",
                format!("Invalid version: the emulator serves /v1.0 only, not '{path}'."),
            );
            return finish(e.into_response(&rid, &crid, now()), &rid, &crid);
        };
        routes::count(&shared.stats, &method, sub);
        sub
    };
    let (latency, fault) = {
        let mut f = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        (f.config.latency_ms, f.decide(arm))
    };
    if matches!(fault, Fault::Throttled(_)) {
        shared
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .throttled += 1;
    }
    // The latency is the least time an answer takes, the emulator's own work included, as Graph's service time is
    // part of its round trip: a page that takes 4 ms to render under 50 ms of latency still answers in 50 ms.
    let started = tokio::time::Instant::now();
    let answer = Answer {
        shared: &shared,
        rid: &rid,
        crid: &crid,
        method: &method,
        path: &path,
        sub,
        query: &query,
        body: &body,
        auth: auth.as_deref(),
        arm,
    };
    let resp = answer.respond(fault);
    if latency > 0 {
        let latency = std::time::Duration::from_millis(latency.min(60_000));
        tokio::time::sleep_until(started + latency).await;
    }
    resp
}

/// One Graph or ARM request, past counting and fault drawing.
struct Answer<'a> {
    shared: &'a Shared,
    rid: &'a str,
    crid: &'a str,
    method: &'a str,
    path: &'a str,
    sub: &'a str,
    query: &'a str,
    body: &'a Bytes,
    auth: Option<&'a str>,
    /// An ARM request: ARM's error bodies and rate-limit headers.
    arm: bool,
}

/// What differs between Graph's answers and ARM's: the bodies of the emulator's own refusals (a drawn fault, a
/// caller refused), the routes, and what every answer carries. [`Answer::respond`] is the one order both follow.
enum Dialect {
    Graph,
    /// `CloudError` bodies, ARM's throttling answer, and the rate-limit header named here on every answer, with
    /// the requests left this hour (`Faults::arm_remaining`, which counts this request).
    Arm {
        header: &'static str,
        remaining: u64,
    },
}

impl Answer<'_> {
    /// A drawn fault answers first (throttled, unavailable, dropped); then the caller is authenticated, the route
    /// answers, a successful write is saved, and a lost answer is dropped after it was carried out.
    fn respond(&self, fault: Fault) -> Response {
        let Answer {
            shared,
            rid,
            method,
            path,
            sub,
            query,
            body,
            auth,
            arm,
            ..
        } = *self;
        let write = method != "GET";
        let dialect = if arm {
            Dialect::Arm {
                header: if write {
                    "x-ms-ratelimit-remaining-subscription-writes"
                } else {
                    "x-ms-ratelimit-remaining-subscription-reads"
                },
                remaining: shared
                    .faults
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .arm_remaining(write),
            }
        } else {
            Dialect::Graph
        };
        match fault {
            Fault::None | Fault::LoseAnswer => {}
            Fault::Throttled(secs) => return self.throttled(&dialect, secs),
            Fault::Unavailable(secs) => return self.unavailable(&dialect, secs),
            Fault::Drop => return dropped(rid),
        }
        let caller = match authenticate(shared, auth) {
            Ok(c) => c,
            Err(e) => return self.refused(&dialect, e),
        };
        let resp = match dialect {
            Dialect::Graph => {
                tracing::debug!(%method, %path, "graph request");
                let r = routes::Req {
                    method,
                    path: sub,
                    query,
                    body,
                    caller,
                };
                routes::dispatch(shared, &r)
            }
            Dialect::Arm { .. } => {
                tracing::debug!(%method, %path, "arm request");
                arm::routes::dispatch(shared, method, path, query, body, &caller)
            }
        };
        if write && resp.status < 300 {
            persist(shared);
        }
        if fault == Fault::LoseAnswer {
            return dropped(rid);
        }
        self.finish(&dialect, resp)
    }

    /// The answer as sent: ids, and on ARM the rate-limit header and `x-ms-request-id`.
    fn finish(&self, dialect: &Dialect, mut r: GraphResponse) -> Response {
        if let Dialect::Arm { header, remaining } = *dialect {
            r.headers.push((header.into(), remaining.to_string()));
            r.headers
                .push(("x-ms-request-id".into(), self.rid.to_string()));
        }
        finish(r, self.rid, self.crid)
    }

    /// An error in the dialect's body: Graph's `{"error": …}` with its inner error and date, or ARM's `CloudError`.
    fn error(&self, dialect: &Dialect, e: ApiError) -> Response {
        let r = match dialect {
            Dialect::Graph => e.into_response(self.rid, self.crid, clock(self.shared)),
            Dialect::Arm { .. } => arm::routes::cloud_error(&e),
        };
        self.finish(dialect, r)
    }

    /// A throttled answer with `Retry-After`: Graph's `TooManyRequests`, or ARM's `SubscriptionRequestsThrottled`
    /// with no request left.
    fn throttled(&self, dialect: &Dialect, secs: u64) -> Response {
        match *dialect {
            Dialect::Graph => {
                let mut r =
                    GraphResponse::with_status(429, throttled_body(self.rid, clock(self.shared)));
                r.headers.push(("Retry-After".into(), secs.to_string()));
                self.finish(dialect, r)
            }
            Dialect::Arm { header, .. } => {
                let kind = if self.method != "GET" {
                    "write"
                } else {
                    "read"
                };
                let mut e = ApiError::new(
                    429,
                    "SubscriptionRequestsThrottled",
                    format!(
                        "Number of '{kind}' requests for subscription actually exceeded the limit. Please try again after '{secs}' seconds."
                    ),
                );
                e.retry_after = Some(secs);
                self.error(
                    &Dialect::Arm {
                        header,
                        remaining: 0,
                    },
                    e,
                )
            }
        }
    }

    /// A 503 with `Retry-After`, in the dialect's code.
    fn unavailable(&self, dialect: &Dialect, secs: u64) -> Response {
        let code = match dialect {
            Dialect::Graph => "serviceNotAvailable",
            Dialect::Arm { .. } => "ServiceUnavailable",
        };
        let mut e = ApiError::new(
            503,
            code,
            "The service is temporarily unavailable. Please retry after a short delay.",
        );
        e.retry_after = Some(secs);
        self.error(dialect, e)
    }

    /// A caller refused: Graph's error as [`authenticate`] made it; on ARM, `AuthenticationFailed` (401) or
    /// `AuthorizationFailed` (403) naming the scope.
    fn refused(&self, dialect: &Dialect, e: ApiError) -> Response {
        let e = match (dialect, e.status) {
            (Dialect::Graph, _) => e,
            (Dialect::Arm { .. }, 401) => ApiError::new(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing or invalid.",
            ),
            (Dialect::Arm { .. }, _) => ApiError::new(
                403,
                "AuthorizationFailed",
                format!(
                    "The client does not have authorization to perform action 'Microsoft.Authorization/*' over scope '{}' or the scope is invalid.",
                    self.path
                ),
            ),
        };
        self.error(dialect, e)
    }
}

/// The emulator's clock, for the dates in Graph's error bodies.
fn clock(shared: &Shared) -> chrono::DateTime<chrono::Utc> {
    shared
        .state
        .lock()
        .map(|s| s.now())
        .unwrap_or_else(|_| chrono::Utc::now())
}

/// An answer that breaks off: a status line, then a body that fails, as when a connection is reset mid-answer.
fn dropped(rid: &str) -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("injected fault: dropped connection"))
    });
    Response::builder()
        .status(200)
        .header("request-id", rid)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn persist(shared: &Shared) {
    if let Err(e) = save_state(shared) {
        tracing::warn!("cannot save the emulator state: {e}");
    }
}
