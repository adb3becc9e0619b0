//! ARM routing: `{scope}/providers/Microsoft.Authorization/{collection}[/{name}[/cancel]]?api-version=2020-10-01`.
//!
//! Answers use ARM's envelope, `nextLink` paging (`$skipToken`, only as found in a `nextLink`) and `CloudError`
//! bodies. Lists of schedules, instances and requests take `$filter` as ARM does: none (at, above and below the
//! scope), `atScope()` (at and above), `principalId eq '{id}'` and `assignedTo('{id}')` (that principal, at, above
//! and below), `asTarget()` (the signed-in user). Assignments held above the listed scope come with
//! `memberType: Inherited` and the scope that holds them.

use super::super::http::{ApiError, ApiResult, GraphResponse};
use super::super::state::{Caller, Level, State};
use super::super::{DEFAULT_PAGE_SIZE, Shared, Stats};
use super::*;
use crate::emulator::cache::Rendering;
use axum::body::Bytes;
use serde_json::{Value, json};

/// The api-version of the PIM resources, and those also served for role definitions (whose published example is
/// 2022-04-01).
const ROLE_DEFINITION_VERSIONS: &[&str] = &[API_VERSION, "2022-04-01"];

/// Whether a path is ARM's (served here) rather than Graph's.
pub fn is_arm_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.starts_with("/subscriptions/") || p.starts_with("/providers/") || p == "/subscriptions"
}

/// The two tenancy lists that turn display names into scopes (`graph::arm::tenancy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tenancy {
    /// `GET /subscriptions` (Microsoft.Resources): flat items, `nextLink`.
    Subscriptions,
    /// `GET /providers/Microsoft.Management/managementGroups`: envelopes, `@nextLink`.
    ManagementGroups,
}

impl Tenancy {
    fn of(path: &str) -> Option<Self> {
        match path.trim_end_matches('/').to_ascii_lowercase().as_str() {
            "/subscriptions" => Some(Tenancy::Subscriptions),
            "/providers/microsoft.management/managementgroups" => Some(Tenancy::ManagementGroups),
            _ => None,
        }
    }
    fn route(self) -> &'static str {
        match self {
            Tenancy::Subscriptions => "/subscriptions",
            Tenancy::ManagementGroups => "/providers/Microsoft.Management/managementGroups",
        }
    }
    /// The api-versions served: the one pimctl sends, and older published ones.
    fn versions(self) -> &'static [&'static str] {
        match self {
            Tenancy::Subscriptions => &[
                crate::graph::arm::tenancy::SUBSCRIPTIONS_API_VERSION,
                "2021-01-01",
                "2020-01-01",
            ],
            Tenancy::ManagementGroups => &[
                crate::graph::arm::tenancy::MANAGEMENT_GROUPS_API_VERSION,
                "2021-04-01",
                "2020-05-01",
            ],
        }
    }
    fn type_name(self) -> &'static str {
        match self {
            Tenancy::Subscriptions => "subscriptions",
            Tenancy::ManagementGroups => "managementGroups",
        }
    }
    fn next_link(self) -> &'static str {
        match self {
            Tenancy::Subscriptions => "nextLink",
            Tenancy::ManagementGroups => "@nextLink",
        }
    }
}

/// Serves the subscriptions or management groups list, every object the tenant has, paged.
fn tenancy(
    st: &State,
    shared: &Shared,
    which: Tenancy,
    method: &str,
    path: &str,
    query: &str,
) -> ApiResult<GraphResponse> {
    if method != "GET" {
        return Err(method_not_allowed(method));
    }
    let q = query_for(query, which.versions(), which.type_name(), true)?;
    if q.filter.is_some() {
        return Err(ApiError::new(
            400,
            "InvalidQueryParameter",
            format!(
                "The query parameter '$filter' is not supported on {}.",
                which.type_name()
            ),
        ));
    }
    let items: Vec<Value> = match which {
        Tenancy::Subscriptions => st
            .arm
            .subscriptions
            .iter()
            .map(|s| {
                json!({
                    "id": format!("/subscriptions/{}", s.id),
                    "authorizationSource": "RoleBased",
                    "managedByTenants": [],
                    "subscriptionId": s.id,
                    "tenantId": st.tenant_id,
                    "displayName": s.display_name,
                    "state": "Enabled",
                    "subscriptionPolicies": {
                        "locationPlacementId": "Public_2014-09-01",
                        "quotaId": "PayAsYouGo_2014-09-01",
                        "spendingLimit": "Off"
                    }
                })
            })
            .collect(),
        Tenancy::ManagementGroups => st
            .arm
            .management_groups
            .iter()
            .map(|m| {
                json!({
                    "id": format!("/providers/Microsoft.Management/managementGroups/{}", m.name),
                    "type": "Microsoft.Management/managementGroups",
                    "name": m.name,
                    "properties": {"tenantId": st.tenant_id, "displayName": m.display_name}
                })
            })
            .collect(),
    };
    Ok(page_as(shared, path, &q, items, which.next_link()))
}

/// The resources served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coll {
    RoleDefinitions,
    Policies,
    PolicyAssignments,
    Requests(Level),
    Schedules(Level),
    Instances(Level),
}

impl Coll {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "roledefinitions" => Coll::RoleDefinitions,
            "rolemanagementpolicies" => Coll::Policies,
            "rolemanagementpolicyassignments" => Coll::PolicyAssignments,
            "roleeligibilityschedulerequests" => Coll::Requests(Level::Eligibility),
            "roleassignmentschedulerequests" => Coll::Requests(Level::Assignment),
            "roleeligibilityschedules" => Coll::Schedules(Level::Eligibility),
            "roleassignmentschedules" => Coll::Schedules(Level::Assignment),
            "roleeligibilityscheduleinstances" => Coll::Instances(Level::Eligibility),
            "roleassignmentscheduleinstances" => Coll::Instances(Level::Assignment),
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Coll::RoleDefinitions => "roleDefinitions",
            Coll::Policies => "roleManagementPolicies",
            Coll::PolicyAssignments => "roleManagementPolicyAssignments",
            Coll::Requests(Level::Eligibility) => "roleEligibilityScheduleRequests",
            Coll::Requests(Level::Assignment) => "roleAssignmentScheduleRequests",
            Coll::Schedules(Level::Eligibility) => "roleEligibilitySchedules",
            Coll::Schedules(Level::Assignment) => "roleAssignmentSchedules",
            Coll::Instances(Level::Eligibility) => "roleEligibilityScheduleInstances",
            Coll::Instances(Level::Assignment) => "roleAssignmentScheduleInstances",
        }
    }
    /// The capitalised collection name ARM writes in ids and `type`s of these objects.
    fn type_name(self) -> &'static str {
        match self {
            Coll::RoleDefinitions => "roleDefinitions",
            Coll::Policies => "RoleManagementPolicies",
            Coll::PolicyAssignments => "RoleManagementPolicyAssignment",
            Coll::Requests(Level::Eligibility) => "RoleEligibilityScheduleRequests",
            Coll::Requests(Level::Assignment) => "RoleAssignmentScheduleRequests",
            Coll::Schedules(Level::Eligibility) => "RoleEligibilitySchedules",
            Coll::Schedules(Level::Assignment) => "RoleAssignmentSchedules",
            Coll::Instances(Level::Eligibility) => "RoleEligibilityScheduleInstances",
            Coll::Instances(Level::Assignment) => "RoleAssignmentScheduleInstances",
        }
    }
}

/// A parsed ARM path. `scope` is `None` at tenant level (`/providers/Microsoft.Authorization/roleDefinitions`).
struct Target {
    scope: Option<ArmScope>,
    coll: Coll,
    name: Option<String>,
    action: Option<String>,
}

const MARKER: &str = "/providers/microsoft.authorization/";

fn parse_path(path: &str) -> ApiResult<Target> {
    let lower = path.to_ascii_lowercase();
    let Some(at) = lower.rfind(MARKER) else {
        return Err(ApiError::new(
            404,
            "NotFound",
            format!(
                "The path '{path}' is not served: the emulator serves Microsoft.Authorization below a scope."
            ),
        ));
    };
    let scope_text = &path[..at];
    let rest: Vec<String> = path[at + MARKER.len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let scope = if scope_text.is_empty() {
        None
    } else {
        Some(
            ArmScope::parse(scope_text)
                .map_err(|e| ApiError::new(400, "InvalidScope", e.to_string()))?,
        )
    };
    let coll_name = rest.first().cloned().unwrap_or_default();
    let coll = Coll::parse(&coll_name).ok_or_else(|| {
        ApiError::new(
            400,
            "InvalidResourceType",
            format!(
                "The resource type '{coll_name}' could not be found in the namespace 'Microsoft.Authorization' for api version '{API_VERSION}'."
            ),
        )
    })?;
    if rest.len() > 3 {
        return Err(ApiError::new(
            404,
            "NotFound",
            format!("The path '{path}' is not served."),
        ));
    }
    Ok(Target {
        scope,
        coll,
        name: rest.get(1).cloned(),
        action: rest.get(2).cloned(),
    })
}

/// The statistics key of an ARM request: `GET /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/
/// roleEligibilitySchedules`, the scope generalised by kind.
pub fn stats_key(method: &str, path: &str) -> String {
    if let Some(key) = super::hierarchy::stats_key(method, path) {
        return key;
    }
    if let Some(t) = Tenancy::of(path) {
        return format!("{method} {}", t.route());
    }
    let Ok(t) = parse_path(path) else {
        return format!("{method} (unknown route)");
    };
    let scope = match &t.scope {
        None => "",
        Some(ArmScope::ManagementGroup(_)) => {
            "/providers/Microsoft.Management/managementGroups/{managementGroupId}"
        }
        Some(ArmScope::Subscription(_)) => "/subscriptions/{subscriptionId}",
        Some(ArmScope::ResourceGroup { .. }) => {
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
        }
        Some(ArmScope::Resource { .. }) => "/{resourceId}",
    };
    let name = if t.name.is_some() { "/{name}" } else { "" };
    let action = t
        .action
        .as_deref()
        .map(|a| format!("/{a}"))
        .unwrap_or_default();
    format!(
        "{method} {scope}/providers/Microsoft.Authorization/{}{name}{action}",
        t.coll.name()
    )
}

/// Counts a request under its route template.
pub fn count(stats: &std::sync::Mutex<Stats>, method: &str, path: &str) {
    let key = stats_key(method, path);
    let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
    s.total += 1;
    *s.routes.entry(key).or_insert(0) += 1;
}

/// An error as ARM writes it.
pub fn cloud_error(e: &ApiError) -> GraphResponse {
    let mut r =
        GraphResponse::with_status(e.status, json!(CloudError::new(&e.code, e.message.clone())));
    if let Some(s) = e.retry_after {
        r.headers.push(("Retry-After".into(), s.to_string()));
    }
    r
}

/// The query options ARM takes here.
pub(super) struct Query {
    pub(super) raw: Vec<(String, String)>,
    pub(super) filter: Option<String>,
    pub(super) skip: usize,
}

fn parse_query(q: &str, coll: Coll) -> ApiResult<Query> {
    let allowed: &[&str] = if coll == Coll::RoleDefinitions {
        ROLE_DEFINITION_VERSIONS
    } else {
        &[API_VERSION]
    };
    query_for(q, allowed, coll.name(), true)
}

/// A list's query: `api-version` (required, one of `allowed`), `$skipToken` (only as a `nextLink` writes it) and,
/// where the list takes one, `$filter`; anything else is refused as ARM refuses it.
pub(super) fn query_for(
    q: &str,
    allowed: &[&str],
    kind: &str,
    takes_filter: bool,
) -> ApiResult<Query> {
    let mut raw = vec![];
    let mut version = None;
    let mut filter = None;
    let mut skip = 0;
    let url = reqwest::Url::parse(&format!("http://arm.invalid/?{q}")).map_err(|_| {
        ApiError::new(
            400,
            "InvalidQueryParameter",
            "The query string is not valid.",
        )
    })?;
    for (k, v) in url.query_pairs() {
        let (k, v) = (k.into_owned(), v.into_owned());
        match k.to_ascii_lowercase().as_str() {
            "api-version" => version = Some(v.clone()),
            "$filter" if takes_filter => filter = Some(v.clone()),
            "$skiptoken" => {
                skip = v.parse().map_err(|_| {
                    ApiError::new(
                        400,
                        "InvalidSkipToken",
                        "The $skipToken is not valid; use the nextLink unchanged.",
                    )
                })?
            }
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidQueryParameter",
                    format!("The query parameter '{k}' is not supported here."),
                ));
            }
        }
        raw.push((k, v));
    }
    match version {
        None => Err(ApiError::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::new(
            400,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'global' and API version '{v}' for type '{kind}'. The supported api-versions are '{}'.",
                allowed.join(", ")
            ),
        )),
        Some(_) => Ok(Query { raw, filter, skip }),
    }
}

/// One `$filter` of a list.
#[derive(Debug, Default)]
struct ListFilter {
    at_scope: bool,
    principal: Option<String>,
    as_target: bool,
    role_definition: Option<String>,
    role_name: Option<String>,
    /// Role definitions: `type eq 'CustomRole'` (true) or `'BuiltInRole'` (false).
    custom: Option<bool>,
}

fn parse_filter(f: Option<&str>, coll: Coll) -> ApiResult<ListFilter> {
    let mut out = ListFilter::default();
    let Some(f) = f else { return Ok(out) };
    let bad = || {
        ApiError::new(
            400,
            "InvalidFilterInQueryString",
            format!("The $filter '{f}' is not supported on {}.", coll.name()),
        )
    };
    let unquote = |s: &str| s.trim().trim_matches('\'').to_string();
    for term in f.split(" and ") {
        let t = term.trim();
        let lower = t.to_ascii_lowercase();
        let schedule_like = matches!(
            coll,
            Coll::Requests(_) | Coll::Schedules(_) | Coll::Instances(_)
        );
        if lower == "atscope()" && schedule_like {
            out.at_scope = true;
        } else if lower == "astarget()" && schedule_like {
            out.as_target = true;
        } else if let Some(v) = lower
            .strip_prefix("principalid eq ")
            .filter(|_| schedule_like)
        {
            out.principal = Some(unquote(&t[t.len() - v.len()..]));
        } else if lower.starts_with("assignedto(") && lower.ends_with(')') && schedule_like {
            out.principal = Some(unquote(&t["assignedTo(".len()..t.len() - 1]));
        } else if let Some(v) = lower
            .strip_prefix("roledefinitionid eq ")
            .filter(|_| coll == Coll::PolicyAssignments)
        {
            out.role_definition =
                Some(role_definition_guid(&unquote(&t[t.len() - v.len()..])).ok_or_else(bad)?);
        } else if let Some(v) = lower
            .strip_prefix("rolename eq ")
            .filter(|_| coll == Coll::RoleDefinitions)
        {
            out.role_name = Some(unquote(&t[t.len() - v.len()..]));
        } else if let Some(v) = lower
            .strip_prefix("type eq ")
            .filter(|_| coll == Coll::RoleDefinitions)
        {
            out.custom = Some(match unquote(v).as_str() {
                "customrole" => true,
                "builtinrole" => false,
                _ => return Err(bad()),
            });
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

/// Serves one ARM request (already counted, faulted and authenticated).
pub fn dispatch(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    caller: &Caller,
) -> GraphResponse {
    let mut st = shared.lock_state(method != "GET");
    // The scopes below a scope (Microsoft.Resources, Microsoft.Management), for fan-out declarations.
    if let Some(r) = super::hierarchy::handle(&st, shared, method, path, query) {
        return r.unwrap_or_else(|e| cloud_error(&e));
    }
    // The subscriptions and management groups, for scopes declared by display name.
    if let Some(which) = Tenancy::of(path) {
        return tenancy(&st, shared, which, method, path, query)
            .unwrap_or_else(|e| cloud_error(&e));
    }
    let now = st.now();
    match handle(&mut st, shared, method, path, query, body, caller, now) {
        Ok(r) => r,
        Err(e) => cloud_error(&e),
    }
}

#[allow(clippy::too_many_arguments)]
fn handle(
    st: &mut State,
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    caller: &Caller,
    now: Dt,
) -> ApiResult<GraphResponse> {
    let t = parse_path(path)?;
    let q = parse_query(query, t.coll)?;
    let allowed: &[&str] = match (t.coll, &t.name, &t.action) {
        (_, None, None) => &["GET"],
        (Coll::Policies, Some(_), None) => &["GET", "PATCH"],
        (Coll::Requests(_), Some(_), None) => &["GET", "PUT"],
        (Coll::Requests(_), Some(_), Some(a)) if a.eq_ignore_ascii_case("cancel") => &["POST"],
        (_, Some(_), None) => &["GET"],
        _ => {
            return Err(ApiError::new(
                404,
                "NotFound",
                format!("The path '{path}' is not served."),
            ));
        }
    };
    if !allowed.contains(&method) {
        return Err(method_not_allowed(method));
    }
    let scope = match &t.scope {
        Some(s) => {
            st.arm.check_scope(s)?;
            s.clone()
        }
        None if t.coll == Coll::RoleDefinitions => {
            // Tenant level: built-in roles only, as anywhere.
            return role_definitions(st, None, &t, &q, shared);
        }
        None => {
            return Err(ApiError::new(
                400,
                "InvalidScope",
                format!("{} needs a scope.", t.coll.name()),
            ));
        }
    };
    let filter = parse_filter(q.filter.as_deref(), t.coll)?;
    let page = |items: Vec<Value>| page(shared, path, &q, items);
    match t.coll {
        Coll::RoleDefinitions => role_definitions(st, Some(&scope), &t, &q, shared),
        Coll::Policies => {
            let roles = st.arm.roles_at(&scope);
            match &t.name {
                None => Ok(page_text(shared, path, &q, roles.len(), |i| {
                    policy_text(shared, st, &scope, &roles[i].guid)
                })),
                Some(name) => {
                    let role = roles
                        .iter()
                        .find(|r| policy_name(st, &scope, &r.guid).eq_ignore_ascii_case(name))
                        .map(|r| r.guid.clone());
                    let not_found = |status| {
                        ApiError::new(
                            status,
                            "InputPolicyNotFound",
                            format!(
                                "The policy '{name}' was not found at scope '{}'.",
                                scope.path()
                            ),
                        )
                    };
                    if method == "PATCH" {
                        let role = role.ok_or_else(|| not_found(400))?;
                        let v: Value = serde_json::from_slice(body).map_err(|e| {
                            ApiError::new(400, "InvalidRequestContent", format!("The request content was invalid and could not be deserialized: {e}"))
                        })?;
                        patch_policy(st, &scope, &role, &v, caller, now)?;
                        Ok(GraphResponse::ok(policy_json(st, &scope, &role)))
                    } else {
                        let role = role.ok_or_else(|| not_found(404))?;
                        Ok(GraphResponse::ok(policy_json(st, &scope, &role)))
                    }
                }
            }
        }
        Coll::PolicyAssignments => {
            let roles = st.arm.roles_at(&scope);
            match &t.name {
                None => Ok(page(
                    roles
                        .iter()
                        .filter(|r| {
                            filter
                                .role_definition
                                .as_deref()
                                .is_none_or(|g| r.guid.eq_ignore_ascii_case(g))
                        })
                        .map(|r| policy_assignment_json(st, &scope, &r.guid))
                        .collect(),
                )),
                Some(name) => roles
                    .iter()
                    .find(|r| {
                        format!("{}_{}", policy_name(st, &scope, &r.guid), r.guid)
                            .eq_ignore_ascii_case(name)
                    })
                    .map(|r| GraphResponse::ok(policy_assignment_json(st, &scope, &r.guid)))
                    .ok_or_else(|| {
                        ApiError::new(
                            404,
                            "RoleManagementPolicyAssignmentNotFound",
                            format!("The policy assignment '{name}' was not found."),
                        )
                    }),
            }
        }
        Coll::Requests(level) => match (&t.name, &t.action) {
            (Some(name), None) if method == "PUT" => {
                let b: NewArmRequest = serde_json::from_slice(body).map_err(|e| {
                    ApiError::new(
                        400,
                        "InvalidRequestContent",
                        format!(
                            "The request content was invalid and could not be deserialized: {e}"
                        ),
                    )
                })?;
                let (status, rec) = submit(st, level, &scope, name, b.properties, caller, now)?;
                Ok(GraphResponse::with_status(status, request_json(&rec)))
            }
            (Some(name), Some(_)) => {
                let i = st
                    .arm
                    .requests
                    .iter()
                    .position(|r| r.level == level && r.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| request_not_found(name))?;
                let r = &mut st.arm.requests[i];
                if r.answer.status != Some(ArmStatus::PendingApproval)
                    && r.answer.status != Some(ArmStatus::PendingAdminDecision)
                {
                    return Err(ApiError::new(
                        400,
                        "RequestCannotBeCancelled",
                        "Only a request that is pending can be canceled.",
                    ));
                }
                r.answer.status = Some(ArmStatus::Canceled);
                Ok(GraphResponse::ok(Value::Null).tap_empty())
            }
            (Some(name), None) => st
                .arm
                .requests
                .iter()
                .find(|r| r.level == level && r.name.eq_ignore_ascii_case(name))
                .map(|r| GraphResponse::ok(request_json(r)))
                .ok_or_else(|| request_not_found(name)),
            (None, _) => {
                let items = st
                    .arm
                    .requests
                    .iter()
                    .filter(|r| r.level == level)
                    .filter(|r| {
                        ArmScope::parse(&r.scope).is_ok_and(|s| {
                            visible(
                                st,
                                &s,
                                &scope,
                                &filter,
                                r.answer.principal_id.as_deref().unwrap_or_default(),
                                caller,
                            )
                        })
                    })
                    .map(request_json)
                    .collect();
                Ok(page(items))
            }
        },
        Coll::Schedules(level) | Coll::Instances(level) => {
            let instances = matches!(t.coll, Coll::Instances(_));
            let mut items = vec![];
            for s in st
                .arm
                .schedules
                .iter()
                .filter(|s| s.level == level && s.live(now))
            {
                if instances && !s.active(now) {
                    continue;
                }
                let Ok(held) = ArmScope::parse(&s.scope) else {
                    continue;
                };
                if !visible(st, &held, &scope, &filter, &s.principal_id, caller) {
                    continue;
                }
                let inherited = st.arm.relation(&held, &scope) == Relation::Above;
                let v = if instances {
                    instance_json(st, s, &held, inherited)
                } else {
                    schedule_json(st, s, &held, inherited)
                };
                items.push(v);
            }
            match &t.name {
                None => Ok(page(items)),
                Some(name) => items
                    .into_iter()
                    .find(|v| {
                        v["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                    .map(GraphResponse::ok)
                    .ok_or_else(|| {
                        ApiError::new(
                            404,
                            "RoleAssignmentScheduleNotFound",
                            format!("The {} '{name}' was not found.", t.coll.name()),
                        )
                    }),
            }
        }
    }
}

trait TapEmpty {
    fn tap_empty(self) -> Self;
}
impl TapEmpty for GraphResponse {
    /// `cancel` answers 200 with no body.
    fn tap_empty(mut self) -> Self {
        self.body = None;
        self
    }
}

/// ARM's answer to a method the resource does not serve.
pub(super) fn method_not_allowed(method: &str) -> ApiError {
    ApiError::new(
        405,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{method}'."),
    )
}

fn request_not_found(name: &str) -> ApiError {
    ApiError::new(
        404,
        "RoleAssignmentScheduleRequestNotFound",
        format!("The request '{name}' was not found."),
    )
}

/// Whether an object at `held` for `principal` belongs to the list at `at` under `f`.
fn visible(
    st: &State,
    held: &ArmScope,
    at: &ArmScope,
    f: &ListFilter,
    principal: &str,
    caller: &Caller,
) -> bool {
    let rel = st.arm.relation(held, at);
    let in_range = if f.at_scope {
        matches!(rel, Relation::At | Relation::Above)
    } else {
        rel != Relation::Unrelated
    };
    let who = f
        .principal
        .as_deref()
        .is_none_or(|p| p.eq_ignore_ascii_case(principal));
    let me = !f.as_target
        || matches!(caller, Caller::User { id, .. } if id.eq_ignore_ascii_case(principal));
    in_range && who && me
}

pub(super) fn page(shared: &Shared, path: &str, q: &Query, items: Vec<Value>) -> GraphResponse {
    page_as(shared, path, q, items, "nextLink")
}

/// A page of `items`, the link to the next one under `link` (`nextLink`; Microsoft.Management's `@nextLink`).
fn page_as(shared: &Shared, path: &str, q: &Query, items: Vec<Value>, link: &str) -> GraphResponse {
    let total = items.len();
    let value: Vec<Value> = items
        .into_iter()
        .skip(q.skip)
        .take(page_size(shared))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("value".into(), Value::Array(value));
    match next_link(shared, path, q, total) {
        Some(next) => {
            body.insert(link.into(), next.into());
        }
        // Microsoft.Management writes the last page's link as null (ListManagementGroups.json).
        None if link == "@nextLink" => {
            body.insert(link.into(), Value::Null);
        }
        None => {}
    }
    GraphResponse::ok(Value::Object(body))
}

/// The page of a list of `total` items written as JSON text, `item(i)` the text of the `i`th: the bytes
/// [`page`] writes of the same items, rendering only those on the page.
fn page_text(
    shared: &Shared,
    path: &str,
    q: &Query,
    total: usize,
    item: impl Fn(usize) -> Rendering,
) -> GraphResponse {
    let on_page = q.skip.min(total)..(q.skip.saturating_add(page_size(shared))).min(total);
    let items: Vec<Rendering> = on_page.map(item).collect();
    let len: usize = items.iter().flatten().map(Bytes::len).sum();
    let mut body = Vec::with_capacity(len + items.len() + 256);
    body.extend_from_slice(b"{\"value\":[");
    for (i, parts) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        parts.iter().for_each(|p| body.extend_from_slice(p));
    }
    body.push(b']');
    if let Some(next) = next_link(shared, path, q, total) {
        body.extend_from_slice(b",\"nextLink\":");
        body.extend_from_slice(&serde_json::to_vec(&next).unwrap_or_default());
    }
    body.push(b'}');
    GraphResponse::ok_text(Bytes::from(body))
}

fn page_size(shared: &Shared) -> usize {
    shared.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1)
}

/// The link to the page after `q`'s of a list of `total` items, if there is one.
fn next_link(shared: &Shared, path: &str, q: &Query, total: usize) -> Option<String> {
    let size = page_size(shared);
    (q.skip + size < total).then(|| {
        let host = shared.root.trim_end_matches("/v1.0");
        let mut next = reqwest::Url::parse(&format!("{host}{path}"))
            .unwrap_or_else(|_| reqwest::Url::parse("http://127.0.0.1/").expect("a valid URL"));
        {
            let mut pairs = next.query_pairs_mut();
            for (k, v) in q
                .raw
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("$skipToken"))
            {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("$skipToken", &(q.skip + size).to_string());
        }
        next.to_string()
    })
}

fn envelope<P: serde::Serialize>(properties: P, name: String, id: String, kind: String) -> Value {
    json!(resource(properties, name, id, kind))
}

fn resource<P>(properties: P, name: String, id: String, kind: String) -> ArmResource<P> {
    ArmResource {
        properties,
        name,
        id,
        kind,
    }
}

fn role_definitions(
    st: &State,
    scope: Option<&ArmScope>,
    t: &Target,
    q: &Query,
    shared: &Shared,
) -> ApiResult<GraphResponse> {
    let filter = parse_filter(q.filter.as_deref(), Coll::RoleDefinitions)?;
    let roles: Vec<RoleInfo> = match scope {
        Some(s) => st.arm.roles_at(s),
        // At tenant level, custom roles only when asked for by type: then every one of the tenant.
        None if filter.custom == Some(true) => {
            st.arm.custom_roles.iter().map(RoleInfo::of).collect()
        }
        None => crate::azure_catalog::builtin_roles()
            .iter()
            .filter_map(|b| {
                st.arm.role_at(
                    &ArmScope::ManagementGroup(String::new()),
                    &b.role_definition_id,
                )
            })
            .collect(),
    };
    let json_of = |r: &RoleInfo| {
        let id = match scope {
            Some(s) => role_definition_id(s, &r.guid),
            None => resource_id("", "roleDefinitions", &r.guid),
        };
        envelope(
            RoleDefinitionProperties {
                role_name: Some(r.name.clone()),
                kind: Some(
                    if r.built_in {
                        "BuiltInRole"
                    } else {
                        "CustomRole"
                    }
                    .into(),
                ),
                description: r.description.clone(),
                assignable_scopes: r.assignable_scopes.clone(),
                permissions: vec![Permission {
                    actions: r.actions.clone(),
                    ..Permission::default()
                }],
            },
            r.guid.clone(),
            id,
            "Microsoft.Authorization/roleDefinitions".into(),
        )
    };
    match &t.name {
        Some(name) => {
            let guid = role_definition_guid(name).unwrap_or_default();
            roles
                .iter()
                .find(|r| r.guid.eq_ignore_ascii_case(&guid))
                .map(|r| GraphResponse::ok(json_of(r)))
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "RoleDefinitionDoesNotExist",
                        format!("The specified role definition with ID '{name}' does not exist."),
                    )
                })
        }
        None => {
            let items = roles
                .iter()
                .filter(|r| {
                    filter
                        .role_name
                        .as_deref()
                        .is_none_or(|n| r.name.eq_ignore_ascii_case(n))
                        && filter.custom.is_none_or(|c| c != r.built_in)
                })
                .map(json_of)
                .collect();
            let path = match scope {
                Some(s) => format!("{}/providers/{PROVIDER}/roleDefinitions", s.path()),
                None => format!("/providers/{PROVIDER}/roleDefinitions"),
            };
            Ok(page(shared, &path, q, items))
        }
    }
}

fn modified_by(st: &State, rec: Option<&ArmPolicyRec>) -> Option<ArmPrincipal> {
    let by = rec?.modified_by.clone()?;
    let p = st.principal(&by);
    Some(ArmPrincipal {
        id: Some(by),
        display_name: Some(match &p {
            Some(DirectoryObject::User(u)) => u.display_name.clone().unwrap_or_default(),
            _ => "pimctl emulator admin".into(),
        }),
        email: None,
        kind: Some(match p {
            Some(DirectoryObject::User(_)) => "User".into(),
            _ => "ServicePrincipal".into(),
        }),
    })
}

/// A policy as ARM answers it: all 17 rules and `effectiveRules` (the same: ARM does not inherit settings).
pub fn policy_json(st: &State, scope: &ArmScope, role: &str) -> Value {
    json!(policy_resource(st, scope, role))
}

/// [`policy_json`]'s text, from the renderings kept until the next write ([`crate::emulator::cache`]): written
/// straight from the wire types, which give the same text as their JSON tree. Its rules, written twice (`rules`
/// and `effectiveRules`) and the same at most scopes, are one part kept once.
fn policy_text(shared: &Shared, st: &State, scope: &ArmScope, role: &str) -> Rendering {
    const RULES: &[u8] = br#""rules":[],"effectiveRules":[]"#;
    let key = crate::emulator::cache::Key::arm_policy(&scope.path(), role);
    shared.renderings.get_or_render(key, || {
        let mut policy = policy_resource(st, scope, role);
        let rules = policy.properties.rules.replace(vec![]).unwrap_or_default();
        policy.properties.effective_rules = Some(vec![]);
        let skeleton = serde_json::to_vec(&policy).unwrap_or_default();
        // Only the properties' keys can read so: a string's quotes are escaped.
        let Some(at) = skeleton.windows(RULES.len()).position(|w| w == RULES) else {
            return vec![Bytes::from(
                serde_json::to_vec(&policy_json(st, scope, role)).unwrap_or_default(),
            )];
        };
        let rules = shared
            .renderings
            .shared(serde_json::to_vec(&rules).unwrap_or_default());
        let head = br#""rules":"#.len();
        vec![
            Bytes::copy_from_slice(&skeleton[..at + head]),
            rules.clone(),
            Bytes::from_static(br#","effectiveRules":"#),
            rules,
            Bytes::copy_from_slice(&skeleton[at + RULES.len()..]),
        ]
    })
}

fn policy_resource(
    st: &State,
    scope: &ArmScope,
    role: &str,
) -> ArmResource<RoleManagementPolicyProperties> {
    let rec = st.arm.policy_rec(scope, role);
    let rules = st.arm.rules(scope, role);
    let name = policy_name(st, scope, role);
    resource(
        RoleManagementPolicyProperties {
            scope: Some(scope.path()),
            display_name: None,
            description: None,
            is_organization_default: Some(false),
            last_modified_date_time: rec.and_then(|r| r.modified),
            last_modified_by: modified_by(st, rec),
            rules: Some(rules.clone()),
            effective_rules: Some(rules),
            policy_properties: Some(PolicyProperties {
                scope: Some(ArmObjectRef {
                    id: Some(scope.path()),
                    display_name: Some(st.arm.display_name(scope)),
                    kind: Some(scope.type_name()),
                }),
            }),
        },
        name.clone(),
        resource_id(&scope.path(), "roleManagementPolicies", &name),
        "Microsoft.Authorization/RoleManagementPolicies".into(),
    )
}

fn policy_assignment_json(st: &State, scope: &ArmScope, role: &str) -> Value {
    let rec = st.arm.policy_rec(scope, role);
    let pname = policy_name(st, scope, role);
    let policy_id = resource_id(&scope.path(), "roleManagementPolicies", &pname);
    let name = format!("{pname}_{role}");
    let e = expanded(st, scope, role, "");
    envelope(
        PolicyAssignmentProperties {
            scope: Some(scope.path()),
            role_definition_id: Some(role_definition_id(scope, role)),
            policy_id: Some(policy_id.clone()),
            policy_assignment_properties: Some(PolicyAssignmentExpanded {
                scope: e.scope,
                role_definition: e.role_definition,
                policy: Some(PolicyRef {
                    id: Some(policy_id),
                    last_modified_by: modified_by(st, rec),
                    last_modified_date_time: rec.and_then(|r| r.modified),
                }),
            }),
        },
        name.clone(),
        resource_id(&scope.path(), "roleManagementPolicyAssignments", &name),
        "Microsoft.Authorization/RoleManagementPolicyAssignment".into(),
    )
}

fn request_json(r: &ArmRequestRec) -> Value {
    let coll = Coll::Requests(r.level);
    let id = resource_id(&r.scope, coll.type_name(), &r.name);
    let kind = format!("Microsoft.Authorization/{}", coll.type_name());
    match r.level {
        Level::Eligibility => envelope(
            EligibilityRequestProperties {
                target_role_eligibility_schedule_id: r.target_schedule.clone(),
                target_role_eligibility_schedule_instance_id: None,
                common: r.answer.clone(),
            },
            r.name.clone(),
            id,
            kind,
        ),
        Level::Assignment => envelope(
            AssignmentRequestProperties {
                target_role_assignment_schedule_id: r.target_schedule.clone(),
                target_role_assignment_schedule_instance_id: None,
                common: r.answer.clone(),
                linked_role_eligibility_schedule_id: r
                    .body
                    .linked_role_eligibility_schedule_id
                    .clone(),
            },
            r.name.clone(),
            id,
            kind,
        ),
    }
}

fn common(st: &State, s: &ArmSchedule, held: &ArmScope, inherited: bool) -> ScheduleCommon {
    ScheduleCommon {
        scope: Some(held.path()),
        role_definition_id: Some(role_definition_id(held, &s.role)),
        principal_id: Some(s.principal_id.clone()),
        principal_type: st.principal(&s.principal_id).map(|p| principal_type(&p)),
        status: Some(ArmStatus::Provisioned),
        start_date_time: Some(s.start),
        end_date_time: s.end,
        member_type: Some(if inherited {
            ArmMemberType::Inherited
        } else {
            ArmMemberType::Direct
        }),
        created_on: Some(s.created),
        condition: s.condition.clone(),
        condition_version: s.condition_version.clone(),
        expanded_properties: Some(expanded(st, held, &s.role, &s.principal_id)),
    }
}

fn schedule_json(st: &State, s: &ArmSchedule, held: &ArmScope, inherited: bool) -> Value {
    let coll = Coll::Schedules(s.level);
    let request_id = s
        .request
        .as_ref()
        .map(|r| resource_id(&held.path(), Coll::Requests(s.level).type_name(), r));
    let id = resource_id(&held.path(), coll.type_name(), &s.name);
    let kind = format!("Microsoft.Authorization/{}", coll.type_name());
    match s.level {
        Level::Eligibility => envelope(
            EligibilityScheduleProperties {
                role_eligibility_schedule_request_id: request_id,
                common: common(st, s, held, inherited),
                updated_on: Some(s.updated),
            },
            s.name.clone(),
            id,
            kind,
        ),
        Level::Assignment => envelope(
            AssignmentScheduleProperties {
                role_assignment_schedule_request_id: request_id,
                linked_role_eligibility_schedule_id: s.linked_eligibility.clone(),
                assignment_type: s.assignment_type,
                common: common(st, s, held, inherited),
                updated_on: Some(s.updated),
            },
            s.name.clone(),
            id,
            kind,
        ),
    }
}

/// The instance of a schedule in effect: its name is derived from the schedule's.
pub fn instance_name(st: &State, schedule: &str) -> String {
    super::super::ids::det_uuid(&[&st.tenant_id, "arm-instance", schedule])
}

fn instance_json(st: &State, s: &ArmSchedule, held: &ArmScope, inherited: bool) -> Value {
    let coll = Coll::Instances(s.level);
    let name = instance_name(st, &s.name);
    let schedule_id = resource_id(&held.path(), Coll::Schedules(s.level).type_name(), &s.name);
    let id = resource_id(&held.path(), coll.type_name(), &name);
    let kind = format!("Microsoft.Authorization/{}", coll.type_name());
    match s.level {
        Level::Eligibility => envelope(
            EligibilityInstanceProperties {
                role_eligibility_schedule_id: Some(schedule_id),
                common: common(st, s, held, inherited),
            },
            name,
            id,
            kind,
        ),
        Level::Assignment => envelope(
            AssignmentInstanceProperties {
                origin_role_assignment_id: Some(resource_id(
                    &held.path(),
                    "roleAssignments",
                    &super::super::ids::det_uuid(&[&st.tenant_id, "arm-role-assignment", &s.name]),
                )),
                linked_role_eligibility_schedule_id: s.linked_eligibility.clone(),
                linked_role_eligibility_schedule_instance_id: s
                    .linked_eligibility
                    .as_ref()
                    .map(|e| instance_name(st, e)),
                assignment_type: s.assignment_type,
                role_assignment_schedule_id: Some(schedule_id),
                common: common(st, s, held, inherited),
            },
            name,
            id,
            kind,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_paths_have_templates_by_scope_kind() {
        let sub = "/subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f";
        assert_eq!(
            stats_key(
                "GET",
                &format!("{sub}/providers/Microsoft.Authorization/roleEligibilitySchedules")
            ),
            "GET /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleEligibilitySchedules"
        );
        assert_eq!(
            stats_key(
                "PUT",
                &format!(
                    "{sub}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/x"
                )
            ),
            "PUT /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}"
        );
        assert!(is_arm_path(sub) && !is_arm_path("/v1.0/users"));
        assert!(
            parse_filter(
                Some("atScope() and principalId eq 'abc'"),
                Coll::Schedules(Level::Assignment)
            )
            .is_ok()
        );
        assert!(
            parse_filter(
                Some("roleName eq 'Owner'"),
                Coll::Schedules(Level::Assignment)
            )
            .is_err()
        );
    }
}
