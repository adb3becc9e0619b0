//! Routing: one Graph request in, one Graph response out. Used by the HTTP server and by `$batch`.

mod directory;
mod pim;
mod policies;
mod reviews;

use super::http::{ApiError, ApiResult, GraphResponse};
use super::query::{self, ExpandItem, QueryOptions, QuerySpec};
use super::state::{Caller, Level, State, Surface};
use super::{Shared, Stats};
use crate::graph::batch::MAX_BATCH_REQUESTS;
use crate::graph::{BatchRequest, BatchResponse, BatchResponseItem};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One request, after the server has read it and authenticated the caller.
pub struct Req<'a> {
    /// Upper-case HTTP method.
    pub method: &'a str,
    /// The path below `/v1.0`, e.g. `/users/abc`.
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
    pub caller: Caller,
}

/// The resources served, with their parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Route {
    RoleDefinitions,
    RoleDefinition(String),
    Requests(Surface, Level),
    Request(Surface, Level, String),
    RequestCancel(Surface, Level, String),
    RequestsMine(Surface, Level),
    Schedules(Surface, Level),
    Schedule(Surface, Level, String),
    SchedulesMine(Surface, Level),
    Instances(Surface, Level),
    Instance(Surface, Level, String),
    InstancesMine(Surface, Level),
    Policies,
    Policy(String),
    PolicyRules(String),
    PolicyRule(String, String),
    PolicyAssignments,
    PolicyAssignment(String),
    Users,
    User(String),
    Groups,
    Group(String),
    GroupMembers(String),
    GroupOwners(String),
    ServicePrincipals,
    ServicePrincipal(String),
    SubscribedSkus,
    SubscribedSku(String),
    Organization,
    ReviewDefinitions,
    ReviewDefinition(String),
    ReviewInstances(String),
    ReviewInstance(String, String),
    ReviewDecisions(String, String),
    Batch,
}

const GET: &[&str] = &["GET"];
const GET_POST: &[&str] = &["GET", "POST"];
const POST: &[&str] = &["POST"];
const GET_PATCH: &[&str] = &["GET", "PATCH"];

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

fn is_mine(seg: &str) -> bool {
    seg.starts_with("filterByCurrentUser(")
}

/// Matches a path to a route, its template (for statistics) and the methods it allows.
pub(crate) fn match_route(path: &str) -> Option<(Route, &'static str, &'static [&'static str])> {
    use Route as R;
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    // The six schedule collections of a surface, named as in the URL.
    let level_of = |surface: Surface, c: &str| -> Option<(Level, &'static str)> {
        let names: [&'static str; 6] = match surface {
            Surface::DirectoryRole => [
                "roleEligibilityScheduleRequests",
                "roleAssignmentScheduleRequests",
                "roleEligibilitySchedules",
                "roleAssignmentSchedules",
                "roleEligibilityScheduleInstances",
                "roleAssignmentScheduleInstances",
            ],
            Surface::Group => [
                "eligibilityScheduleRequests",
                "assignmentScheduleRequests",
                "eligibilitySchedules",
                "assignmentSchedules",
                "eligibilityScheduleInstances",
                "assignmentScheduleInstances",
            ],
        };
        let i = names.iter().position(|n| *n == c)?;
        let level = if i % 2 == 0 {
            Level::Eligibility
        } else {
            Level::Assignment
        };
        Some((level, names[i]))
    };
    macro_rules! t {
        ($($lit:literal),*) => { concat!("/v1.0" $(, "/", $lit)*) };
    }
    Some(match s.as_slice() {
        ["$batch"] => (R::Batch, t!("$batch"), POST),
        ["roleManagement", "directory", "roleDefinitions"] => (
            R::RoleDefinitions,
            t!("roleManagement", "directory", "roleDefinitions"),
            GET,
        ),
        ["roleManagement", "directory", "roleDefinitions", id] => (
            R::RoleDefinition(id.to_string()),
            t!("roleManagement", "directory", "roleDefinitions", "{id}"),
            GET,
        ),
        ["roleManagement", "directory", coll, rest @ ..] => schedule_route(
            Surface::DirectoryRole,
            level_of(Surface::DirectoryRole, coll)?,
            rest,
        )?,
        [
            "identityGovernance",
            "privilegedAccess",
            "group",
            coll,
            rest @ ..,
        ] => schedule_route(Surface::Group, level_of(Surface::Group, coll)?, rest)?,
        ["policies", "roleManagementPolicies"] => {
            (R::Policies, t!("policies", "roleManagementPolicies"), GET)
        }
        ["policies", "roleManagementPolicies", id] => (
            R::Policy(id.to_string()),
            t!("policies", "roleManagementPolicies", "{id}"),
            GET_PATCH,
        ),
        ["policies", "roleManagementPolicies", id, "rules"] => (
            R::PolicyRules(id.to_string()),
            t!("policies", "roleManagementPolicies", "{id}", "rules"),
            GET,
        ),
        ["policies", "roleManagementPolicies", id, "rules", rid] => (
            R::PolicyRule(id.to_string(), rid.to_string()),
            t!(
                "policies",
                "roleManagementPolicies",
                "{id}",
                "rules",
                "{ruleId}"
            ),
            GET_PATCH,
        ),
        ["policies", "roleManagementPolicyAssignments"] => (
            R::PolicyAssignments,
            t!("policies", "roleManagementPolicyAssignments"),
            GET,
        ),
        ["policies", "roleManagementPolicyAssignments", id] => (
            R::PolicyAssignment(id.to_string()),
            t!("policies", "roleManagementPolicyAssignments", "{id}"),
            GET,
        ),
        ["users"] => (R::Users, t!("users"), GET),
        ["users", id] => (R::User(id.to_string()), t!("users", "{id}"), GET),
        ["groups"] => (R::Groups, t!("groups"), GET),
        ["groups", id] => (R::Group(id.to_string()), t!("groups", "{id}"), GET),
        ["groups", id, "members"] => (
            R::GroupMembers(id.to_string()),
            t!("groups", "{id}", "members"),
            GET,
        ),
        ["groups", id, "owners"] => (
            R::GroupOwners(id.to_string()),
            t!("groups", "{id}", "owners"),
            GET,
        ),
        [
            "identityGovernance",
            "accessReviews",
            "definitions",
            rest @ ..,
        ] => {
            const GET_PUT_DELETE: &[&str] = &["GET", "PUT", "DELETE"];
            macro_rules! ar {
                ($($lit:literal),*) => { t!("identityGovernance", "accessReviews", "definitions" $(, $lit)*) };
            }
            match rest {
                [] => (R::ReviewDefinitions, ar!(), GET_POST),
                [id] => (
                    R::ReviewDefinition(id.to_string()),
                    ar!("{id}"),
                    GET_PUT_DELETE,
                ),
                [id, "instances"] => (
                    R::ReviewInstances(id.to_string()),
                    ar!("{id}", "instances"),
                    GET,
                ),
                [id, "instances", iid] => (
                    R::ReviewInstance(id.to_string(), iid.to_string()),
                    ar!("{id}", "instances", "{instanceId}"),
                    GET,
                ),
                [id, "instances", iid, "decisions"] => (
                    R::ReviewDecisions(id.to_string(), iid.to_string()),
                    ar!("{id}", "instances", "{instanceId}", "decisions"),
                    GET,
                ),
                _ => return None,
            }
        }
        ["servicePrincipals"] => (R::ServicePrincipals, t!("servicePrincipals"), GET),
        ["subscribedSkus"] => (R::SubscribedSkus, t!("subscribedSkus"), GET),
        ["organization"] => (R::Organization, t!("organization"), GET),
        ["subscribedSkus", id] => (
            R::SubscribedSku(id.to_string()),
            t!("subscribedSkus", "{id}"),
            GET,
        ),
        ["servicePrincipals", id] => (
            R::ServicePrincipal(id.to_string()),
            t!("servicePrincipals", "{id}"),
            GET,
        ),
        _ => return None,
    })
}

/// The route of one of a surface's six schedule collections (`name`), below it `rest`.
fn schedule_route(
    surface: Surface,
    (level, name): (Level, &'static str),
    rest: &[&str],
) -> Option<(Route, &'static str, &'static [&'static str])> {
    use Route as R;
    let kind = if name.ends_with("Requests") {
        0
    } else if name.ends_with("Instances") {
        2
    } else {
        1
    };
    let tpl = |suffix: &str| -> &'static str { template(surface, name, suffix) };
    let (s, l) = (surface, level);
    Some(match (kind, rest) {
        (0, []) => (R::Requests(s, l), tpl(""), GET_POST),
        (0, [m]) if is_mine(m) => (
            R::RequestsMine(s, l),
            tpl("/filterByCurrentUser(on='principal')"),
            GET,
        ),
        (0, [id]) => (R::Request(s, l, id.to_string()), tpl("/{id}"), GET),
        (0, [id, "cancel"]) => (
            R::RequestCancel(s, l, id.to_string()),
            tpl("/{id}/cancel"),
            POST,
        ),
        (1, []) => (R::Schedules(s, l), tpl(""), GET),
        (1, [m]) if is_mine(m) => (
            R::SchedulesMine(s, l),
            tpl("/filterByCurrentUser(on='principal')"),
            GET,
        ),
        (1, [id]) => (R::Schedule(s, l, id.to_string()), tpl("/{id}"), GET),
        (2, []) => (R::Instances(s, l), tpl(""), GET),
        (2, [m]) if is_mine(m) => (
            R::InstancesMine(s, l),
            tpl("/filterByCurrentUser(on='principal')"),
            GET,
        ),
        (2, [id]) => (R::Instance(s, l, id.to_string()), tpl("/{id}"), GET),
        _ => return None,
    })
}

/// Templates of the twelve schedule collections (static strings, for statistics keys).
fn template(surface: Surface, name: &str, suffix: &str) -> &'static str {
    macro_rules! all {
        ($prefix:literal: $($n:literal),*) => {
            match (name, suffix) {
                $(
                    ($n, "") => concat!($prefix, $n),
                    ($n, "/{id}") => concat!($prefix, $n, "/{id}"),
                    ($n, "/{id}/cancel") => concat!($prefix, $n, "/{id}/cancel"),
                    ($n, _) => concat!($prefix, $n, "/filterByCurrentUser(on='principal')"),
                )*
                _ => concat!($prefix, "?"),
            }
        };
    }
    match surface {
        Surface::DirectoryRole => all!(
            "/v1.0/roleManagement/directory/":
            "roleEligibilityScheduleRequests",
            "roleAssignmentScheduleRequests",
            "roleEligibilitySchedules",
            "roleAssignmentSchedules",
            "roleEligibilityScheduleInstances",
            "roleAssignmentScheduleInstances"
        ),
        Surface::Group => all!(
            "/v1.0/identityGovernance/privilegedAccess/group/":
            "eligibilityScheduleRequests",
            "assignmentScheduleRequests",
            "eligibilitySchedules",
            "assignmentSchedules",
            "eligibilityScheduleInstances",
            "assignmentScheduleInstances"
        ),
    }
}

/// The statistics key of a request: `GET /v1.0/users/{id}`.
pub fn stats_key(method: &str, path: &str) -> String {
    match match_route(path) {
        Some((_, tpl, _)) => format!("{method} {tpl}"),
        None => format!("{method} (unknown route)"),
    }
}

/// Serves one request. Writes are applied to the shared state.
pub fn dispatch(shared: &Shared, req: &Req) -> GraphResponse {
    let Some((route, _, allowed)) = match_route(req.path) else {
        return err_response(
            shared,
            ApiError::new(
                404,
                "BadRequest",
                format!(
                    "Resource not found for the segment '{}'.",
                    req.path
                        .trim_matches('/')
                        .split('/')
                        .next_back()
                        .unwrap_or_default()
                ),
            ),
        );
    };
    if !allowed.contains(&req.method) {
        let mut r = err_response(
            shared,
            ApiError::new(
                405,
                "Request_BadRequest",
                format!(
                    "The HTTP method '{}' is not allowed for the requested resource; allowed: {}.",
                    req.method,
                    allowed.join(", ")
                ),
            ),
        );
        r.headers.push(("Allow".into(), allowed.join(", ")));
        return r;
    }
    if route == Route::Batch {
        return batch(shared, req);
    }
    let result = {
        let mut st = shared.lock_state(req.method != "GET");
        let now = st.now();
        st.tick(now);
        let cx = Cx {
            root: &shared.root,
            path: req.path,
            page_size: shared.page_size,
        };
        handle(&mut st, &cx, &route, req)
    };
    match result {
        Ok(r) => r,
        Err(e) => err_response(shared, e),
    }
}

fn err_response(shared: &Shared, e: ApiError) -> GraphResponse {
    let now = shared
        .state
        .lock()
        .map(|s| s.now())
        .unwrap_or_else(|_| chrono::Utc::now());
    // The server fills in the real request id; see `finish`.
    e.into_response("{request-id}", "{client-request-id}", now)
}

/// What handlers need besides the state.
pub(crate) struct Cx<'a> {
    pub root: &'a str,
    pub path: &'a str,
    pub page_size: Option<usize>,
}

fn handle(st: &mut State, cx: &Cx, route: &Route, req: &Req) -> ApiResult<GraphResponse> {
    use Route as R;
    let m = req.method;
    match route {
        R::RoleDefinitions | R::RoleDefinition(_) => pim::role_definitions(st, cx, route, req),
        R::Requests(..) | R::Request(..) | R::RequestCancel(..) | R::RequestsMine(..) => {
            pim::requests(st, cx, route, req)
        }
        R::Schedules(..) | R::Schedule(..) | R::SchedulesMine(..) => {
            pim::schedules(st, cx, route, req)
        }
        R::Instances(..) | R::Instance(..) | R::InstancesMine(..) => {
            pim::instances(st, cx, route, req)
        }
        R::Policies
        | R::Policy(_)
        | R::PolicyRules(_)
        | R::PolicyRule(..)
        | R::PolicyAssignments
        | R::PolicyAssignment(_) => policies::handle(st, cx, route, req),
        R::Users
        | R::User(_)
        | R::Groups
        | R::Group(_)
        | R::GroupMembers(_)
        | R::GroupOwners(_)
        | R::ServicePrincipals
        | R::ServicePrincipal(_)
        | R::SubscribedSkus
        | R::SubscribedSku(_)
        | R::Organization => directory::handle(st, cx, route, req),
        R::ReviewDefinitions
        | R::ReviewDefinition(_)
        | R::ReviewInstances(_)
        | R::ReviewInstance(..)
        | R::ReviewDecisions(..) => reviews::handle(st, cx, route, req),
        R::Batch => Err(ApiError::bad_request(format!(
            "{m} $batch cannot be nested."
        ))),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers for handlers

/// Parses a JSON body, or answers 400 in Graph's words.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Empty Payload. JSON content expected.",
        ));
    }
    serde_json::from_slice(body).map_err(ApiError::bad_body)
}

/// Puts `@odata.context` first in an object.
pub(crate) fn with_context(context: String, v: Value) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(m) = v {
        for (k, v) in m {
            if k != "@odata.context" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

pub(crate) fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// A list response: filter, page, then expand and select the page.
#[allow(clippy::too_many_arguments)]
pub(crate) fn list(
    cx: &Cx,
    q: &QueryOptions,
    entity_set: &str,
    items: Vec<(Value, Option<&'static str>)>,
    default_select: Option<&[&str]>,
    mine_type: Option<&str>,
    expand: &dyn Fn(&mut Value, &ExpandItem),
) -> GraphResponse {
    let filtered: Vec<Value> = items
        .into_iter()
        .filter(|(v, pt)| q.filter.as_ref().is_none_or(|f| query::eval(f, v, *pt)))
        .map(|(v, _)| v)
        .collect();
    let size = page_size(cx, q);
    let (mut page, next) = query::page(filtered, q.skip, size);
    for v in &mut page {
        project(v, q, default_select, expand);
        if let Some(t) = mine_type {
            *v = with_type_first(v.take(), t);
        }
    }
    let context = match mine_type {
        Some(t) => format!("{}/$metadata#Collection({t})", cx.root),
        None => format!(
            "{}/$metadata#{entity_set}{}",
            cx.root,
            query::projection(q.select.as_deref(), &q.expand)
        ),
    };
    let mut body = Map::new();
    body.insert("@odata.context".into(), context.into());
    if let Some(n) = next {
        body.insert(
            "@odata.nextLink".into(),
            query::next_link(cx.root, cx.path, &q.raw, n).into(),
        );
    }
    body.insert("value".into(), Value::Array(page));
    GraphResponse::ok(Value::Object(body))
}

/// The items one page holds: `$top`, the server's page size, or the default, whichever is smallest.
pub(crate) fn page_size(cx: &Cx, q: &QueryOptions) -> usize {
    match (q.top, cx.page_size) {
        (Some(t), Some(p)) => t.min(p),
        (Some(t), None) => t,
        (None, Some(p)) => p,
        (None, None) => super::DEFAULT_PAGE_SIZE,
    }
    .max(1)
}

fn with_type_first(v: Value, type_name: &str) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.type".into(),
        crate::graph::odata_type(type_name).into(),
    );
    if let Value::Object(m) = v {
        out.extend(m);
    }
    Value::Object(out)
}

/// Applies `$expand`, then `$select` (or the default projection) to one entity.
pub(crate) fn project(
    v: &mut Value,
    q: &QueryOptions,
    default_select: Option<&[&str]>,
    expand: &dyn Fn(&mut Value, &ExpandItem),
) {
    for e in &q.expand {
        expand(v, e);
    }
    let keep: Vec<&str> = q.expand.iter().map(|e| e.name.as_str()).collect();
    match (&q.select, default_select) {
        (Some(sel), _) => query::apply_select(v, sel, &keep),
        (None, Some(def)) => {
            let sel: Vec<String> = def.iter().map(|s| s.to_string()).collect();
            query::apply_select(v, &sel, &keep)
        }
        (None, None) => {}
    }
}

/// A single-entity response.
pub(crate) fn single(
    cx: &Cx,
    q: &QueryOptions,
    entity_set: &str,
    mut v: Value,
    default_select: Option<&[&str]>,
    expand: &dyn Fn(&mut Value, &ExpandItem),
) -> GraphResponse {
    project(&mut v, q, default_select, expand);
    let ctx = format!(
        "{}/$metadata#{entity_set}{}/$entity",
        cx.root,
        query::projection(q.select.as_deref(), &q.expand)
    );
    GraphResponse::ok(with_context(ctx, v))
}

pub(crate) fn parse_query(req: &Req, spec: &QuerySpec) -> ApiResult<QueryOptions> {
    query::parse(req.query, spec)
}

/// A directory object as `principal`: Graph's default projection, or the nested `$select`.
pub(crate) fn principal_json(st: &State, id: &str, select: Option<&[String]>) -> Value {
    object_json(st.principal(id).as_ref(), select)
}

/// A directory object as `principal` (see [`principal_json`]), when it has been looked up already.
pub(crate) fn object_json(
    p: Option<&crate::graph::DirectoryObject>,
    select: Option<&[String]>,
) -> Value {
    let Some(p) = p else {
        return Value::Null;
    };
    let mut v = to_json(p);
    let default: Option<&[&str]> = match p {
        crate::graph::DirectoryObject::User(_) => Some(crate::graph::User::DEFAULT_PROPERTIES),
        _ => None,
    };
    match (select, default) {
        (Some(sel), _) => query::apply_select(&mut v, sel, &[]),
        (None, Some(def)) => {
            let sel: Vec<String> = def.iter().map(|s| s.to_string()).collect();
            query::apply_select(&mut v, &sel, &[])
        }
        _ => {}
    }
    v
}

// ---------------------------------------------------------------------------------------------------------------
// $batch

fn batch(shared: &Shared, req: &Req) -> GraphResponse {
    let parsed: ApiResult<BatchRequest> = json_body(req.body);
    let b = match parsed {
        Ok(b) => b,
        Err(e) => return err_response(shared, e),
    };
    if b.requests.is_empty() || b.requests.len() > MAX_BATCH_REQUESTS {
        return err_response(
            shared,
            ApiError::bad_request(format!(
                "Invalid batch payload: a batch holds between 1 and {MAX_BATCH_REQUESTS} requests; this one has {}.",
                b.requests.len()
            )),
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    for r in &b.requests {
        if !ids.insert(r.id.clone()) {
            return err_response(
                shared,
                ApiError::bad_request(format!(
                    "Invalid batch payload: the id '{}' is used twice.",
                    r.id
                )),
            );
        }
        for d in r.depends_on.iter().flatten() {
            if !b.requests.iter().any(|x| &x.id == d) {
                return err_response(
                    shared,
                    ApiError::bad_request(format!(
                        "Invalid batch payload: request '{}' depends on an unknown id '{d}'.",
                        r.id
                    )),
                );
            }
        }
    }
    let mut statuses: BTreeMap<String, u16> = BTreeMap::new();
    let mut responses = vec![];
    for item in &b.requests {
        let method = item.method.to_ascii_uppercase();
        let failed_dep = item
            .depends_on
            .iter()
            .flatten()
            .find(|d| statuses.get(*d).is_none_or(|s| *s >= 400));
        let resp = if let Some(d) = failed_dep {
            err_response(
                shared,
                ApiError::new(
                    424,
                    "FailedDependency",
                    format!("The request it depends on ('{d}') failed."),
                ),
            )
        } else {
            let url = item.url.trim();
            let url = url
                .strip_prefix("https://graph.microsoft.com")
                .unwrap_or(url)
                .trim_start_matches('/');
            let url = url.strip_prefix("v1.0/").unwrap_or(url);
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            let path = format!("/{path}");
            let body = item
                .body
                .as_ref()
                .map(|b| serde_json::to_vec(b).unwrap_or_default())
                .unwrap_or_default();
            count(&shared.stats, &method, &path);
            if match_route(&path).is_some_and(|(r, _, _)| r == Route::Batch) {
                err_response(
                    shared,
                    ApiError::bad_request("A $batch cannot contain a $batch."),
                )
            } else {
                let sub = Req {
                    method: &method,
                    path: &path,
                    query,
                    body: &body,
                    caller: req.caller.clone(),
                };
                dispatch(shared, &sub)
            }
        };
        statuses.insert(item.id.clone(), resp.status);
        let mut headers: BTreeMap<String, String> = resp.headers.into_iter().collect();
        if resp.body.is_some() {
            headers.insert("Content-Type".into(), "application/json".into());
        }
        responses.push(BatchResponseItem {
            id: item.id.clone(),
            status: resp.status,
            headers: (!headers.is_empty()).then_some(headers),
            body: resp.body,
        });
    }
    GraphResponse::ok(json!(BatchResponse { responses }))
}

/// Counts a request under its route template.
pub fn count(stats: &std::sync::Mutex<Stats>, method: &str, path: &str) {
    let key = stats_key(method, path);
    let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
    s.total += 1;
    *s.routes.entry(key).or_insert(0) += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_have_templates() {
        assert_eq!(
            stats_key("GET", "/roleManagement/directory/roleEligibilitySchedules"),
            "GET /v1.0/roleManagement/directory/roleEligibilitySchedules"
        );
        assert_eq!(
            stats_key(
                "POST",
                "/roleManagement/directory/roleAssignmentScheduleRequests/abc/cancel"
            ),
            "POST /v1.0/roleManagement/directory/roleAssignmentScheduleRequests/{id}/cancel"
        );
        assert_eq!(
            stats_key("PATCH", "/policies/roleManagementPolicies/p/rules/r"),
            "PATCH /v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}"
        );
        assert_eq!(stats_key("GET", "/nope"), "GET (unknown route)");
        assert!(matches!(
            match_route(
                "/roleManagement/directory/roleAssignmentScheduleInstances/filterByCurrentUser(on='principal')"
            ),
            Some((
                Route::InstancesMine(Surface::DirectoryRole, Level::Assignment),
                _,
                _
            ))
        ));
        assert_eq!(
            stats_key(
                "GET",
                "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
            ),
            "GET /v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
        );
        assert_eq!(
            stats_key(
                "POST",
                "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests/x/cancel"
            ),
            "POST /v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests/{id}/cancel"
        );
        assert!(matches!(
            match_route("/identityGovernance/privilegedAccess/group/assignmentSchedules/abc"),
            Some((Route::Schedule(Surface::Group, Level::Assignment, _), _, _))
        ));
    }
}
