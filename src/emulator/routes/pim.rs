//! Schedule requests, schedules and instances of both surfaces: `/roleManagement/directory/...` (directory roles,
//! with their role definitions) and `/identityGovernance/privilegedAccess/group/...` (PIM for Groups). The
//! surfaces differ in names, properties and navigation properties; the serving is one.

use super::{
    Cx, Req, Route, json_body, list, object_json, page_size, parse_query, principal_json, single,
    to_json, with_context,
};
use crate::emulator::http::{ApiError, ApiResult, GraphResponse};
use crate::emulator::query::{self, ExpandItem, Literal, QueryOptions, QuerySpec};
use crate::emulator::state::{Caller, Level, RequestRec, Schedule, State, Surface};
use crate::graph::{AssignmentType, NewGroupScheduleRequest, NewScheduleRequest};
use serde_json::Value;

const ROLE_PROPS: &[&str] = &[
    "id",
    "description",
    "displayName",
    "isBuiltIn",
    "isEnabled",
    "resourceScopes",
    "templateId",
    "version",
    "rolePermissions",
    "inheritsPermissionsFrom",
];

fn role_spec(collection: bool) -> QuerySpec {
    QuerySpec {
        collection,
        filter: &["id", "displayName", "isBuiltIn", "templateId"],
        isof: false,
        props: ROLE_PROPS,
        nav: &[],
        type_name: "unifiedRoleDefinition",
    }
}

const SET_ROLES: &str = "roleManagement/directory/roleDefinitions";

pub(super) fn role_definitions(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let none = |_: &mut Value, _: &ExpandItem| {};
    match route {
        Route::RoleDefinitions => {
            let q = parse_query(req, &role_spec(true))?;
            let items = st.roles.iter().map(|r| (to_json(r), None)).collect();
            Ok(list(cx, &q, SET_ROLES, items, None, None, &none))
        }
        Route::RoleDefinition(id) => {
            let q = parse_query(req, &role_spec(false))?;
            let r = st
                .role(id)
                .ok_or_else(|| ApiError::not_found("role definition", id))?;
            Ok(single(cx, &q, SET_ROLES, to_json(r), None, &none))
        }
        _ => unreachable!(),
    }
}

fn set_name(surface: Surface, kind: &str, level: Level) -> String {
    match (surface, level) {
        (Surface::DirectoryRole, Level::Eligibility) => {
            format!("roleManagement/directory/roleEligibility{kind}")
        }
        (Surface::DirectoryRole, Level::Assignment) => {
            format!("roleManagement/directory/roleAssignment{kind}")
        }
        (Surface::Group, Level::Eligibility) => {
            format!("identityGovernance/privilegedAccess/group/eligibility{kind}")
        }
        (Surface::Group, Level::Assignment) => {
            format!("identityGovernance/privilegedAccess/group/assignment{kind}")
        }
    }
}

fn type_name(surface: Surface, kind: &str, level: Level) -> String {
    let l = match level {
        Level::Eligibility => "Eligibility",
        Level::Assignment => "Assignment",
    };
    match surface {
        Surface::DirectoryRole => format!("unifiedRole{l}{kind}"),
        Surface::Group => format!("privilegedAccessGroup{l}{kind}"),
    }
}

/// PIM for Groups lists of schedules and instances need `$filter` with `groupId eq` or `principalId eq`
/// (digest §7, §11.3; Microsoft's pages: "This method requires the $filter (eq) query parameter to scope the
/// request to a principalId or a groupId", and an unfiltered list fails: microsoft-graph-docs-contrib#1103).
fn scoped(q: &QueryOptions) -> bool {
    let mut eqs: Vec<(&str, &Literal)> = vec![];
    if let Some(f) = &q.filter {
        query::required_eq(f, &mut eqs);
    }
    eqs.iter()
        .any(|(k, _)| *k == "groupId" || *k == "principalId")
}

fn require_group_scope(surface: Surface, q: &QueryOptions) -> ApiResult<()> {
    if surface == Surface::DirectoryRole || scoped(q) {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "The $filter query parameter is required, with groupId eq or principalId eq, for example $filter=groupId eq '{groupId}'.",
    ))
}

const REQUEST_PROPS: &[&str] = &[
    "id",
    "status",
    "createdDateTime",
    "completedDateTime",
    "approvalId",
    "customData",
    "action",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "isValidationOnly",
    "targetScheduleId",
    "justification",
    "createdBy",
    "scheduleInfo",
    "ticketInfo",
];

const GROUP_REQUEST_PROPS: &[&str] = &[
    "id",
    "status",
    "createdDateTime",
    "completedDateTime",
    "approvalId",
    "customData",
    "createdBy",
    "action",
    "isValidationOnly",
    "justification",
    "scheduleInfo",
    "ticketInfo",
    "accessId",
    "principalId",
    "groupId",
    "targetScheduleId",
];

fn request_spec(surface: Surface, level: Level, collection: bool) -> QuerySpec {
    match surface {
        Surface::DirectoryRole => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "roleDefinitionId",
                "status",
                "action",
                "directoryScopeId",
                "targetScheduleId",
            ],
            isof: true,
            props: REQUEST_PROPS,
            nav: match level {
                Level::Eligibility => &["principal", "roleDefinition", "targetSchedule"],
                Level::Assignment => &[
                    "principal",
                    "roleDefinition",
                    "targetSchedule",
                    "activatedUsing",
                ],
            },
            type_name: match level {
                Level::Eligibility => "unifiedRoleEligibilityScheduleRequest",
                Level::Assignment => "unifiedRoleAssignmentScheduleRequest",
            },
        },
        Surface::Group => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "groupId",
                "accessId",
                "status",
                "action",
                "targetScheduleId",
            ],
            isof: true,
            props: GROUP_REQUEST_PROPS,
            nav: match level {
                Level::Eligibility => &["principal", "group", "targetSchedule"],
                Level::Assignment => &["principal", "group", "targetSchedule", "activatedUsing"],
            },
            type_name: match level {
                Level::Eligibility => "privilegedAccessGroupEligibilityScheduleRequest",
                Level::Assignment => "privilegedAccessGroupAssignmentScheduleRequest",
            },
        },
    }
}

fn schedule_json(st: &State, s: &Schedule) -> Value {
    match (s.surface, s.level) {
        (Surface::DirectoryRole, Level::Eligibility) => to_json(&st.render_eligibility_schedule(s)),
        (Surface::DirectoryRole, Level::Assignment) => to_json(&st.render_assignment_schedule(s)),
        (Surface::Group, Level::Eligibility) => to_json(&st.render_group_eligibility_schedule(s)),
        (Surface::Group, Level::Assignment) => to_json(&st.render_group_assignment_schedule(s)),
    }
}

fn instance_json(st: &State, s: &Schedule) -> Value {
    match (s.surface, s.level) {
        (Surface::DirectoryRole, Level::Eligibility) => to_json(&st.render_eligibility_instance(s)),
        (Surface::DirectoryRole, Level::Assignment) => to_json(&st.render_assignment_instance(s)),
        (Surface::Group, Level::Eligibility) => to_json(&st.render_group_eligibility_instance(s)),
        (Surface::Group, Level::Assignment) => to_json(&st.render_group_assignment_instance(s)),
    }
}

fn request_json(st: &State, r: &RequestRec) -> Value {
    match r.surface {
        Surface::DirectoryRole => to_json(&r.request),
        Surface::Group => to_json(&st.render_group_request(&r.request)),
    }
}

/// Expands the navigation properties common to requests, schedules and instances.
fn expand_common(st: &State, v: &mut Value, e: &ExpandItem) -> bool {
    let get = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match e.name.as_str() {
        "principal" => {
            let pid = get("principalId");
            v["principal"] = principal_json(st, &pid, e.select.as_deref());
        }
        "roleDefinition" => {
            // Nested navigation properties are not expanded inside an expansion.
            let mut r = st
                .role(&get("roleDefinitionId"))
                .map(to_json)
                .unwrap_or(Value::Null);
            if let Value::Object(m) = &mut r {
                m.remove("inheritsPermissionsFrom");
            }
            v["roleDefinition"] = r;
        }
        "group" => {
            let g = st.group(&get("groupId")).map(|g| to_json(&g.group));
            let mut g = g.unwrap_or(Value::Null);
            if let Some(sel) = &e.select {
                query::apply_select(&mut g, sel, &[]);
            }
            v["group"] = g;
        }
        _ => return false,
    }
    true
}

fn mine(caller: &Caller) -> ApiResult<&str> {
    match caller {
        Caller::User { id, .. } => Ok(id),
        Caller::App => Err(ApiError::bad_request(
            "filterByCurrentUser needs a signed-in user; call with the bearer token 'emulator:user:<objectId>'.",
        )),
    }
}

pub(super) fn requests(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let now = st.now();
    let (surface, level) = match route {
        Route::Requests(s, l)
        | Route::Request(s, l, _)
        | Route::RequestCancel(s, l, _)
        | Route::RequestsMine(s, l) => (*s, *l),
        _ => unreachable!(),
    };
    let set = set_name(surface, "ScheduleRequests", level);
    if let Route::RequestCancel(_, _, id) = route {
        st.cancel(surface, level, id, now)?;
        return Ok(GraphResponse::no_content());
    }
    if req.method == "POST" {
        if !req.query.is_empty() {
            parse_query(req, &request_spec(surface, level, false))?;
        }
        let r = match surface {
            Surface::DirectoryRole => {
                let body: NewScheduleRequest = json_body(req.body)?;
                to_json(&st.submit(level, body, &req.caller, now)?)
            }
            Surface::Group => {
                let body: NewGroupScheduleRequest = json_body(req.body)?;
                to_json(&st.submit_group(level, body, &req.caller, now)?)
            }
        };
        let ctx = format!("{}/$metadata#{set}/$entity", cx.root);
        return Ok(GraphResponse::created(with_context(ctx, r)));
    }
    let st_ref: &State = st;
    let expand = |v: &mut Value, e: &ExpandItem| {
        if expand_common(st_ref, v, e) {
            return;
        }
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let rec = st_ref.requests.iter().find(|r| r.request.id == id);
        match e.name.as_str() {
            "targetSchedule" => {
                let t = rec.and_then(|r| r.request.target_schedule_id.clone());
                v["targetSchedule"] = t
                    .and_then(|t| st_ref.schedules.iter().find(|s| s.id == t))
                    .map(|s| schedule_json(st_ref, s))
                    .unwrap_or(Value::Null);
            }
            "activatedUsing" => {
                let e_id = rec.and_then(|r: &RequestRec| {
                    r.eligibility_schedule_id.clone().or_else(|| {
                        let t = r.request.target_schedule_id.as_ref()?;
                        st_ref
                            .schedules
                            .iter()
                            .find(|s| &s.id == t)?
                            .activated_using
                            .clone()
                    })
                });
                v["activatedUsing"] = e_id
                    .and_then(|e| st_ref.schedules.iter().find(|s| s.id == e))
                    .map(|s| schedule_json(st_ref, s))
                    .unwrap_or(Value::Null);
            }
            _ => {}
        }
    };
    let collect = |who: Option<&str>| -> Vec<(Value, Option<&'static str>)> {
        st_ref
            .requests
            .iter()
            .filter(|r| r.surface == surface && r.level == level)
            .filter(|r| who.is_none_or(|w| r.request.principal_id.eq_ignore_ascii_case(w)))
            .map(|r| {
                (
                    request_json(st_ref, r),
                    st_ref.principal_type(&r.request.principal_id),
                )
            })
            .collect()
    };
    match route {
        Route::Requests(..) => {
            let q = parse_query(req, &request_spec(surface, level, true))?;
            // A PIM for Groups request list not scoped to a group or principal answers an application with
            // nothing, and a signed-in user with their own requests (Microsoft's list pages: "app-only callers must
            // filter by principalId or groupId"; field reports microsoft-graph-docs-contrib#8628, #8885).
            let who = match (surface == Surface::Group && !scoped(&q), &req.caller) {
                (false, _) => None,
                (true, Caller::User { id, .. }) => Some(id.as_str()),
                (true, Caller::App) => {
                    return Ok(list(cx, &q, &set, vec![], None, None, &expand));
                }
            };
            Ok(list(cx, &q, &set, collect(who), None, None, &expand))
        }
        Route::RequestsMine(..) => {
            let who = mine(&req.caller)?;
            let q = parse_query(req, &request_spec(surface, level, true))?;
            let t = type_name(surface, "ScheduleRequest", level);
            Ok(list(
                cx,
                &q,
                &set,
                collect(Some(who)),
                None,
                Some(&t),
                &expand,
            ))
        }
        Route::Request(_, _, id) => {
            let q = parse_query(req, &request_spec(surface, level, false))?;
            let r = st_ref
                .requests
                .iter()
                .find(|r| {
                    r.surface == surface
                        && r.level == level
                        && r.request.id.eq_ignore_ascii_case(id)
                })
                .ok_or_else(|| ApiError::not_found("request", id))?;
            Ok(single(cx, &q, &set, request_json(st_ref, r), None, &expand))
        }
        _ => unreachable!(),
    }
}

const SCHEDULE_PROPS_E: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "createdUsing",
    "createdDateTime",
    "modifiedDateTime",
    "status",
    "memberType",
    "scheduleInfo",
];
const SCHEDULE_PROPS_A: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "createdUsing",
    "createdDateTime",
    "modifiedDateTime",
    "status",
    "assignmentType",
    "memberType",
    "scheduleInfo",
];

const GROUP_SCHEDULE_PROPS_E: &[&str] = &[
    "id",
    "scheduleInfo",
    "createdUsing",
    "createdDateTime",
    "modifiedDateTime",
    "status",
    "memberType",
    "accessId",
    "principalId",
    "groupId",
];
const GROUP_SCHEDULE_PROPS_A: &[&str] = &[
    "id",
    "scheduleInfo",
    "createdDateTime",
    "modifiedDateTime",
    "createdUsing",
    "status",
    "accessId",
    "principalId",
    "groupId",
    "memberType",
    "assignmentType",
];

fn schedule_spec(surface: Surface, level: Level, collection: bool) -> QuerySpec {
    match (surface, level) {
        (Surface::Group, Level::Eligibility) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "groupId",
                "accessId",
                "memberType",
                "status",
                "createdUsing",
            ],
            isof: true,
            props: GROUP_SCHEDULE_PROPS_E,
            nav: &["principal", "group"],
            type_name: "privilegedAccessGroupEligibilitySchedule",
        },
        (Surface::Group, Level::Assignment) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "groupId",
                "accessId",
                "memberType",
                "status",
                "createdUsing",
                "assignmentType",
            ],
            isof: true,
            props: GROUP_SCHEDULE_PROPS_A,
            nav: &["principal", "group", "activatedUsing"],
            type_name: "privilegedAccessGroupAssignmentSchedule",
        },
        (Surface::DirectoryRole, Level::Eligibility) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "roleDefinitionId",
                "directoryScopeId",
                "memberType",
                "status",
            ],
            isof: true,
            props: SCHEDULE_PROPS_E,
            nav: &["principal", "roleDefinition"],
            type_name: "unifiedRoleEligibilitySchedule",
        },
        (Surface::DirectoryRole, Level::Assignment) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "roleDefinitionId",
                "directoryScopeId",
                "memberType",
                "status",
                "assignmentType",
            ],
            isof: true,
            props: SCHEDULE_PROPS_A,
            nav: &["principal", "roleDefinition", "activatedUsing"],
            type_name: "unifiedRoleAssignmentSchedule",
        },
    }
}

pub(super) fn schedules(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let (surface, level, shape) = match route {
        Route::Schedules(s, l) => (*s, *l, Shape::List),
        Route::SchedulesMine(s, l) => (*s, *l, Shape::Mine),
        Route::Schedule(s, l, id) => (*s, *l, Shape::One(id.as_str())),
        _ => unreachable!(),
    };
    serve(st, cx, req, &SCHEDULES, (surface, level), shape)
}

const INSTANCE_PROPS_E: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "memberType",
    "roleEligibilityScheduleId",
];
const INSTANCE_PROPS_A: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "assignmentType",
    "memberType",
    "roleAssignmentOriginId",
    "roleAssignmentScheduleId",
];

const GROUP_INSTANCE_PROPS_E: &[&str] = &[
    "id",
    "startDateTime",
    "endDateTime",
    "accessId",
    "principalId",
    "groupId",
    "memberType",
    "eligibilityScheduleId",
];
const GROUP_INSTANCE_PROPS_A: &[&str] = &[
    "id",
    "startDateTime",
    "endDateTime",
    "accessId",
    "principalId",
    "groupId",
    "memberType",
    "assignmentType",
    "assignmentScheduleId",
];

fn instance_spec(surface: Surface, level: Level, collection: bool) -> QuerySpec {
    match (surface, level) {
        (Surface::Group, Level::Eligibility) => QuerySpec {
            collection,
            filter: &["id", "principalId", "groupId", "accessId", "memberType"],
            isof: true,
            props: GROUP_INSTANCE_PROPS_E,
            nav: &["principal", "group"],
            type_name: "privilegedAccessGroupEligibilityScheduleInstance",
        },
        (Surface::Group, Level::Assignment) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "groupId",
                "accessId",
                "memberType",
                "assignmentType",
                "assignmentScheduleId",
            ],
            isof: true,
            props: GROUP_INSTANCE_PROPS_A,
            nav: &["principal", "group", "activatedUsing"],
            type_name: "privilegedAccessGroupAssignmentScheduleInstance",
        },
        (Surface::DirectoryRole, Level::Eligibility) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "roleDefinitionId",
                "directoryScopeId",
                "memberType",
                "roleEligibilityScheduleId",
            ],
            isof: true,
            props: INSTANCE_PROPS_E,
            nav: &["principal", "roleDefinition"],
            type_name: "unifiedRoleEligibilityScheduleInstance",
        },
        (Surface::DirectoryRole, Level::Assignment) => QuerySpec {
            collection,
            filter: &[
                "id",
                "principalId",
                "roleDefinitionId",
                "directoryScopeId",
                "memberType",
                "assignmentType",
                "roleAssignmentScheduleId",
                "roleAssignmentOriginId",
            ],
            isof: true,
            props: INSTANCE_PROPS_A,
            nav: &["principal", "roleDefinition", "activatedUsing"],
            type_name: "unifiedRoleAssignmentScheduleInstance",
        },
    }
}

pub(super) fn instances(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let (surface, level, shape) = match route {
        Route::Instances(s, l) => (*s, *l, Shape::List),
        Route::InstancesMine(s, l) => (*s, *l, Shape::Mine),
        Route::Instance(s, l, id) => (*s, *l, Shape::One(id.as_str())),
        _ => unreachable!(),
    };
    serve(st, cx, req, &INSTANCES, (surface, level), shape)
}

/// Which of a view's three routes was asked for.
enum Shape<'a> {
    List,
    Mine,
    One(&'a str),
}

/// Schedules and instances are two views of the same schedules; this says how each one is served.
struct View {
    /// Entity set suffix (`Schedules`, `ScheduleInstances`) and type suffix (`Schedule`, `ScheduleInstance`).
    set: &'static str,
    type_suffix: &'static str,
    spec: fn(Surface, Level, bool) -> QuerySpec,
    /// Which schedules the view shows at a given time.
    shows: fn(&Schedule, chrono::DateTime<chrono::Utc>) -> bool,
    json: fn(&State, &Schedule) -> Value,
    id: fn(&Schedule) -> String,
    not_found: &'static str,
    /// The property of an item that names the schedule whose `activatedUsing` is expanded, per surface.
    schedule_key: fn(Surface) -> &'static str,
}

const SCHEDULES: View = View {
    set: "Schedules",
    type_suffix: "Schedule",
    spec: schedule_spec,
    shows: |s, now| s.live(now),
    json: schedule_json,
    id: |s| s.id.clone(),
    not_found: "schedule",
    schedule_key: |_| "id",
};

const INSTANCES: View = View {
    set: "ScheduleInstances",
    type_suffix: "ScheduleInstance",
    spec: instance_spec,
    shows: |s, now| s.active(now),
    json: instance_json,
    id: Schedule::instance_id,
    not_found: "schedule instance",
    schedule_key: |s| match s {
        Surface::DirectoryRole => "roleAssignmentScheduleId",
        Surface::Group => "assignmentScheduleId",
    },
};

fn serve(
    st: &mut State,
    cx: &Cx,
    req: &Req,
    view: &View,
    (surface, level): (Surface, Level),
    shape: Shape<'_>,
) -> ApiResult<GraphResponse> {
    let now = st.now();
    let st: &State = st;
    let set = set_name(surface, view.set, level);
    // What the filter requires (`groupId eq`, `principalId eq`) narrows the schedules before any is rendered; the
    // filter itself is still applied to what is rendered. A group's list renders its own schedules, not the tenant's.
    let who = match shape {
        Shape::Mine => Some(mine(&req.caller)?),
        _ => None,
    };
    let q = parse_query(
        req,
        &(view.spec)(surface, level, !matches!(shape, Shape::One(_))),
    )?;
    let mut eqs: Vec<(&str, &Literal)> = vec![];
    if let (Some(f), false) = (&q.filter, matches!(shape, Shape::One(_))) {
        query::required_eq(f, &mut eqs);
    }
    let required = |prop: &str| {
        eqs.iter().find_map(|(k, v)| match v {
            Literal::Str(s) if *k == prop => Some(s.clone()),
            _ => None,
        })
    };
    let group = required("groupId").filter(|_| surface == Surface::Group);
    let principal = required("principalId");
    let shown = || {
        let (group, principal) = (group.as_deref(), principal.as_deref());
        st.schedules.iter().filter(move |s| {
            s.surface == surface
                && s.level == level
                && (view.shows)(s, now)
                && group.is_none_or(|g| s.directory_scope_id.eq_ignore_ascii_case(g))
                && principal.is_none_or(|p| s.principal_id.eq_ignore_ascii_case(p))
        })
    };
    let index = st.principal_index();
    let expand = |v: &mut Value, e: &ExpandItem| {
        if e.name == "principal" {
            let pid = v
                .get("principalId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase();
            let object = index.get(&pid).map(|o| o.to_object());
            v["principal"] = object_json(object.as_ref(), e.select.as_deref());
            return;
        }
        if expand_common(st, v, e) {
            return;
        }
        if e.name == "activatedUsing" {
            let sid = v
                .get((view.schedule_key)(surface))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            v["activatedUsing"] = st
                .schedules
                .iter()
                .find(|s| s.id == sid && s.assignment_type == Some(AssignmentType::Activated))
                .and_then(|s| s.activated_using.clone())
                .and_then(|e| st.schedules.iter().find(|s| s.id == e))
                .map(|s| (view.json)(st, s))
                .unwrap_or(Value::Null);
        }
    };
    // Without a `$filter`, only the page's items are rendered (the others are placeholders `list` skips): a list of
    // many pages costs one render per item, not one per item per page.
    let collect = |who: Option<&str>, q: &QueryOptions| -> Vec<(Value, Option<&'static str>)> {
        let window = match q.filter {
            None => q.skip..q.skip.saturating_add(page_size(cx, q)),
            Some(_) => 0..usize::MAX,
        };
        shown()
            .filter(|s| who.is_none_or(|w| s.principal_id.eq_ignore_ascii_case(w)))
            .enumerate()
            .map(|(i, s)| {
                if !window.contains(&i) {
                    return (Value::Null, None);
                }
                let t = index
                    .get(&s.principal_id.to_lowercase())
                    .map(|o| o.type_name());
                ((view.json)(st, s), t)
            })
            .collect()
    };
    match shape {
        Shape::List => {
            require_group_scope(surface, &q)?;
            Ok(list(cx, &q, &set, collect(None, &q), None, None, &expand))
        }
        Shape::Mine => {
            let t = type_name(surface, view.type_suffix, level);
            Ok(list(
                cx,
                &q,
                &set,
                collect(who, &q),
                None,
                Some(&t),
                &expand,
            ))
        }
        Shape::One(id) => {
            let s = shown()
                .find(|s| (view.id)(s).eq_ignore_ascii_case(id))
                .ok_or_else(|| ApiError::not_found(view.not_found, id))?;
            Ok(single(cx, &q, &set, (view.json)(st, s), None, &expand))
        }
    }
}
