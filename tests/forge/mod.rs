//! A small fake of the two REST APIs `pimctl comment` speaks, on loopback, started by the test: GitHub's issues
//! and issue comments, and Azure DevOps' pull-request threads. It keeps what was posted, logs every request
//! (method and path with query), and refuses what the real services refuse: a wrong token (401), no User-Agent
//! (GitHub: 403), a body over 65,536 characters (GitHub: 422 "body is too long"), an unknown issue or pull
//! request (404), a missing `api-version` (Azure DevOps: 400). It serves at most `page_cap` items per page, as a
//! server may serve fewer than `per_page` asks, so that paging is exercised with a handful of comments.
#![allow(dead_code)]

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "ghs_fake-token-that-must-never-be-printed";
pub const GITHUB_LIMIT: usize = 65_536;

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub state: String,
    pub state_reason: Option<String>,
    pub pull_request: bool,
}

#[derive(Debug, Clone)]
pub struct Thread {
    pub id: u64,
    pub status: String,
    /// (id, parent, content)
    pub comments: Vec<(u64, u64, String)>,
}

#[derive(Debug, Default)]
pub struct Fake {
    pub comments: BTreeMap<u64, Comment>,
    pub issues: BTreeMap<u64, Issue>,
    pub threads: BTreeMap<u64, Thread>,
    pub next_id: u64,
    /// `METHOD /path?query`, in order.
    pub requests: Vec<String>,
    /// Statuses to answer instead of serving, for the next requests (with `Retry-After: 0`); 0 serves.
    pub faults: VecDeque<u16>,
    pub page_cap: usize,
}

pub type Shared = Arc<Mutex<Fake>>;

pub struct Server {
    pub url: String,
    pub state: Shared,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _thread: std::thread::JoinHandle<()>,
}

impl Server {
    /// Starts the fake on a free loopback port, on its own runtime thread.
    pub fn start() -> Server {
        let state: Shared = Arc::new(Mutex::new(Fake {
            next_id: 1000,
            page_cap: 3,
            ..Fake::default()
        }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let app_state = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router(app_state))
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the fake API starts");
        Server {
            url: format!("http://{addr}"),
            state,
            _shutdown: tx,
            _thread: thread,
        }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Fake) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// The requests logged so far, and clears the log.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().requests)
    }

    /// Adds a pull request (an issue with `pull_request`) or an issue.
    pub fn add_issue(&self, number: u64, pull_request: bool, labels: &[&str], body: &str) {
        self.with(|f| {
            f.issues.insert(
                number,
                Issue {
                    number,
                    title: format!("#{number}"),
                    body: body.to_string(),
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                    state: "open".into(),
                    state_reason: None,
                    pull_request,
                },
            )
        });
    }

    pub fn add_comment(&self, issue: u64, user: &str, body: &str) -> u64 {
        self.with(|f| {
            f.next_id += 1;
            let id = f.next_id;
            f.comments.insert(
                id,
                Comment {
                    id,
                    issue,
                    body: body.to_string(),
                    user: user.to_string(),
                },
            );
            id
        })
    }

    pub fn comments_on(&self, issue: u64) -> Vec<Comment> {
        self.with(|f| {
            f.comments
                .values()
                .filter(|c| c.issue == issue)
                .cloned()
                .collect()
        })
    }
}

fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/issues/{n}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            patch(update_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .route("/repos/{owner}/{repo}/issues/{n}", patch(update_issue))
        .route(
            "/{org}/{project}/_apis/git/repositories/{repo}/pullRequests/{pr}/threads",
            get(list_threads).post(create_thread),
        )
        .route(
            "/{org}/{project}/_apis/git/repositories/{repo}/pullRequests/{pr}/threads/{tid}",
            patch(update_thread),
        )
        .route(
            "/{org}/{project}/_apis/git/repositories/{repo}/pullRequests/{pr}/threads/{tid}/comments/{cid}",
            patch(update_thread_comment),
        )
        .with_state(state)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

/// Logs the request, answers a queued fault, and checks what GitHub checks of every request.
fn admit(
    state: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    github: bool,
) -> Option<Response> {
    let mut f = state.lock().unwrap();
    f.requests.push(format!("{method} {uri}"));
    if let Some(status) = f.faults.pop_front().filter(|s| *s != 0) {
        let mut r = error(StatusCode::from_u16(status).unwrap(), "fault");
        r.headers_mut().insert("retry-after", "0".parse().unwrap());
        return Some(r);
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {TOKEN}")) {
        return Some(error(StatusCode::UNAUTHORIZED, "Bad credentials"));
    }
    if github {
        if headers.get("user-agent").is_none() {
            return Some(error(
                StatusCode::FORBIDDEN,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
            ));
        }
        if headers
            .get("x-github-api-version")
            .is_some_and(|v| v != "2022-11-28")
        {
            return Some(error(StatusCode::BAD_REQUEST, "unsupported API version"));
        }
    } else if !uri.query().unwrap_or_default().contains("api-version=7.1") {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "No api-version was supplied for the request.",
        ));
    }
    None
}

fn too_long(body: &str) -> Option<Response> {
    (body.chars().count() > GITHUB_LIMIT).then(|| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({
                "message": "Validation Failed",
                "errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
                            "message": "body is too long (maximum is 65536 characters)"}],
            })),
        )
            .into_response()
    })
}

/// One page of `items` by `page` and `per_page` (capped), with a `Link: rel="next"` header when more remain.
fn paged(
    items: Vec<Value>,
    q: &HashMap<String, String>,
    uri: &Uri,
    host: &str,
    cap: usize,
) -> Response {
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .min(cap);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let start = (page - 1) * per_page;
    let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut resp = axum::Json(Value::Array(slice)).into_response();
    if start + per_page < items.len() {
        let mut pairs: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("page".into(), (page + 1).to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap();
        let next = format!("<{host}{}?{query}>; rel=\"next\"", uri.path());
        resp.headers_mut().insert("link", next.parse().unwrap());
    }
    resp
}

fn host(headers: &HeaderMap) -> String {
    format!(
        "http://{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
    )
}

fn comment_json(c: &Comment, h: &str) -> Value {
    json!({"id": c.id, "body": c.body, "user": {"login": c.user},
           "html_url": format!("{h}/o/r/issues/{}#issuecomment-{}", c.issue, c.id)})
}

fn issue_json(i: &Issue, h: &str) -> Value {
    let mut v = json!({"number": i.number, "title": i.title, "body": i.body, "state": i.state,
        "state_reason": i.state_reason, "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
        "html_url": format!("{h}/o/r/issues/{}", i.number)});
    if i.pull_request {
        v["pull_request"] = json!({"url": format!("{h}/o/r/pulls/{}", i.number)});
    }
    v
}

async fn list_comments(
    State(s): State<Shared>,
    Path((_, _, n)): Path<(String, String, u64)>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    let f = s.lock().unwrap();
    if !f.issues.contains_key(&n) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let h = host(&headers);
    let items = f
        .comments
        .values()
        .filter(|c| c.issue == n)
        .map(|c| comment_json(c, &h))
        .collect();
    paged(items, &q, &uri, &h, f.page_cap)
}

async fn create_comment(
    State(s): State<Shared>,
    Path((_, _, n)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    let Some(text) = body["body"].as_str() else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request.");
    };
    if let Some(r) = too_long(text) {
        return r;
    }
    let mut f = s.lock().unwrap();
    if !f.issues.contains_key(&n) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    f.next_id += 1;
    let c = Comment {
        id: f.next_id,
        issue: n,
        body: text.to_string(),
        user: "github-actions[bot]".into(),
    };
    f.comments.insert(c.id, c.clone());
    (
        StatusCode::CREATED,
        axum::Json(comment_json(&c, &host(&headers))),
    )
        .into_response()
}

async fn update_comment(
    State(s): State<Shared>,
    Path((_, _, id)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    let Some(text) = body["body"].as_str() else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request.");
    };
    if let Some(r) = too_long(text) {
        return r;
    }
    let mut f = s.lock().unwrap();
    let Some(c) = f.comments.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    c.body = text.to_string();
    let c = c.clone();
    axum::Json(comment_json(&c, &host(&headers))).into_response()
}

async fn list_issues(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    let f = s.lock().unwrap();
    let state = q.get("state").map(String::as_str).unwrap_or("open");
    let labels: Vec<&str> = q
        .get("labels")
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    let h = host(&headers);
    // GitHub lists the newest first.
    let items = f
        .issues
        .values()
        .rev()
        .filter(|i| state == "all" || i.state == state)
        .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
        .map(|i| issue_json(i, &h))
        .collect();
    paged(items, &q, &uri, &h, f.page_cap)
}

async fn create_issue(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    let (Some(title), Some(text)) = (body["title"].as_str(), body["body"].as_str()) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request.");
    };
    if let Some(r) = too_long(text) {
        return r;
    }
    let mut f = s.lock().unwrap();
    let number = f.issues.keys().max().copied().unwrap_or(0) + 1;
    let i = Issue {
        number,
        title: title.to_string(),
        body: text.to_string(),
        labels: body["labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        state: "open".into(),
        state_reason: None,
        pull_request: false,
    };
    f.issues.insert(number, i.clone());
    (
        StatusCode::CREATED,
        axum::Json(issue_json(&i, &host(&headers))),
    )
        .into_response()
}

async fn update_issue(
    State(s): State<Shared>,
    Path((_, _, n)): Path<(String, String, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, true) {
        return r;
    }
    if let Some(r) = body["body"].as_str().and_then(too_long) {
        return r;
    }
    let mut f = s.lock().unwrap();
    let Some(i) = f.issues.get_mut(&n) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    if let Some(t) = body["title"].as_str() {
        i.title = t.to_string();
    }
    if let Some(b) = body["body"].as_str() {
        i.body = b.to_string();
    }
    match body["state"].as_str() {
        Some(st @ ("open" | "closed")) => i.state = st.to_string(),
        Some(_) => return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
        None => {}
    }
    if let Some(r) = body["state_reason"].as_str() {
        i.state_reason = Some(r.to_string());
    }
    let i = i.clone();
    axum::Json(issue_json(&i, &host(&headers))).into_response()
}

fn thread_json(t: &Thread) -> Value {
    json!({"id": t.id, "status": t.status, "comments": t.comments.iter().map(|(id, parent, content)| json!({
        "id": id, "parentCommentId": parent, "content": content, "commentType": "text", "isDeleted": false,
    })).collect::<Vec<_>>()})
}

fn status_name(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(
            match n.as_u64()? {
                1 => "active",
                2 => "fixed",
                3 => "wontFix",
                4 => "closed",
                5 => "byDesign",
                6 => "pending",
                _ => return None,
            }
            .to_string(),
        ),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

type PrPath = (String, String, String, u64);

async fn list_threads(
    State(s): State<Shared>,
    Path(_): Path<PrPath>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, false) {
        return r;
    }
    let f = s.lock().unwrap();
    let value: Vec<Value> = f.threads.values().map(thread_json).collect();
    axum::Json(json!({"value": value, "count": value.len()})).into_response()
}

async fn create_thread(
    State(s): State<Shared>,
    Path(_): Path<PrPath>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, false) {
        return r;
    }
    let Some(first) = body["comments"].get(0) else {
        return error(StatusCode::BAD_REQUEST, "A thread needs a comment.");
    };
    let (Some(content), Some(0)) = (first["content"].as_str(), first["parentCommentId"].as_u64())
    else {
        return error(StatusCode::BAD_REQUEST, "Invalid comment.");
    };
    let Some(status) = status_name(&body["status"]) else {
        return error(StatusCode::BAD_REQUEST, "Invalid status.");
    };
    let mut f = s.lock().unwrap();
    f.next_id += 1;
    let t = Thread {
        id: f.next_id,
        status,
        comments: vec![(1, 0, content.to_string())],
    };
    f.threads.insert(t.id, t.clone());
    axum::Json(thread_json(&t)).into_response()
}

async fn update_thread(
    State(s): State<Shared>,
    Path((_, _, _, _, tid)): Path<(String, String, String, u64, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, false) {
        return r;
    }
    let mut f = s.lock().unwrap();
    let Some(t) = f.threads.get_mut(&tid) else {
        return error(StatusCode::NOT_FOUND, "The thread was not found.");
    };
    match status_name(&body["status"]) {
        Some(st) => t.status = st,
        None => return error(StatusCode::BAD_REQUEST, "Invalid status."),
    }
    let t = t.clone();
    axum::Json(thread_json(&t)).into_response()
}

async fn update_thread_comment(
    State(s): State<Shared>,
    Path((_, _, _, _, tid, cid)): Path<(String, String, String, u64, u64, u64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = admit(&s, &method, &uri, &headers, false) {
        return r;
    }
    let Some(content) = body["content"].as_str() else {
        return error(StatusCode::BAD_REQUEST, "Invalid comment.");
    };
    let mut f = s.lock().unwrap();
    let Some(c) = f
        .threads
        .get_mut(&tid)
        .and_then(|t| t.comments.iter_mut().find(|c| c.0 == cid))
    else {
        return error(StatusCode::NOT_FOUND, "The comment was not found.");
    };
    c.2 = content.to_string();
    axum::Json(json!({"id": cid, "content": content})).into_response()
}
