//! `/roleManagement/directory/...`: role definitions, schedule requests, schedules and instances.

use super::{
    Cx, Req, Route, json_body, list, object_json, page_size, parse_query, principal_json, single,
    to_json, with_context,
};
use crate::emulator::http::{ApiError, ApiResult, GraphResponse};
use crate::emulator::query::{ExpandItem, QueryOptions, QuerySpec};
use crate::emulator::state::{Caller, Level, RequestRec, Schedule, State};
use crate::graph::{AssignmentType, NewScheduleRequest};
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

fn set_name(kind: &str, level: Level) -> String {
    let l = match level {
        Level::Eligibility => "Eligibility",
        Level::Assignment => "Assignment",
    };
    format!("roleManagement/directory/role{l}{kind}")
}

fn type_name(kind: &str, level: Level) -> String {
    let l = match level {
        Level::Eligibility => "Eligibility",
        Level::Assignment => "Assignment",
    };
    format!("unifiedRole{l}{kind}")
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

fn request_spec(level: Level, collection: bool) -> QuerySpec {
    QuerySpec {
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
    }
}

fn schedule_json(st: &State, s: &Schedule) -> Value {
    match s.level {
        Level::Eligibility => to_json(&st.render_eligibility_schedule(s)),
        Level::Assignment => to_json(&st.render_assignment_schedule(s)),
    }
}

fn instance_json(st: &State, s: &Schedule) -> Value {
    match s.level {
        Level::Eligibility => to_json(&st.render_eligibility_instance(s)),
        Level::Assignment => to_json(&st.render_assignment_instance(s)),
    }
}

/// Expands the navigation properties common to requests, schedules and instances.
fn expand_common(st: &State, v: &mut Value, e: &ExpandItem) -> bool {
    let pid = v
        .get("principalId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let rid = v
        .get("roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match e.name.as_str() {
        "principal" => v["principal"] = principal_json(st, &pid, e.select.as_deref()),
        "roleDefinition" => {
            // Nested navigation properties are not expanded inside an expansion.
            let mut r = st.role(&rid).map(to_json).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut r {
                m.remove("inheritsPermissionsFrom");
            }
            v["roleDefinition"] = r;
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
    let level = match route {
        Route::Requests(l)
        | Route::Request(l, _)
        | Route::RequestCancel(l, _)
        | Route::RequestsMine(l) => *l,
        _ => unreachable!(),
    };
    let set = set_name("ScheduleRequests", level);
    if let Route::RequestCancel(_, id) = route {
        st.cancel(level, id, now)?;
        return Ok(GraphResponse::no_content());
    }
    if req.method == "POST" {
        if !req.query.is_empty() {
            parse_query(req, &request_spec(level, false))?;
        }
        let body: NewScheduleRequest = json_body(req.body)?;
        let r = st.submit(level, body, &req.caller, now)?;
        let ctx = format!("{}/$metadata#{set}/$entity", cx.root);
        return Ok(GraphResponse::created(with_context(ctx, to_json(&r))));
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
            .filter(|r| r.level == level)
            .filter(|r| who.is_none_or(|w| r.request.principal_id.eq_ignore_ascii_case(w)))
            .map(|r| {
                (
                    to_json(&r.request),
                    st_ref.principal_type(&r.request.principal_id),
                )
            })
            .collect()
    };
    match route {
        Route::Requests(_) => {
            let q = parse_query(req, &request_spec(level, true))?;
            Ok(list(cx, &q, &set, collect(None), None, None, &expand))
        }
        Route::RequestsMine(_) => {
            let who = mine(&req.caller)?;
            let q = parse_query(req, &request_spec(level, true))?;
            let t = type_name("ScheduleRequest", level);
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
        Route::Request(_, id) => {
            let q = parse_query(req, &request_spec(level, false))?;
            let r = st_ref
                .requests
                .iter()
                .find(|r| r.level == level && r.request.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| ApiError::not_found("request", id))?;
            Ok(single(cx, &q, &set, to_json(&r.request), None, &expand))
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

fn schedule_spec(level: Level, collection: bool) -> QuerySpec {
    match level {
        Level::Eligibility => QuerySpec {
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
        Level::Assignment => QuerySpec {
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
    let (level, shape) = match route {
        Route::Schedules(l) => (*l, Shape::List),
        Route::SchedulesMine(l) => (*l, Shape::Mine),
        Route::Schedule(l, id) => (*l, Shape::One(id.as_str())),
        _ => unreachable!(),
    };
    serve(st, cx, req, &SCHEDULES, level, shape)
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

fn instance_spec(level: Level, collection: bool) -> QuerySpec {
    match level {
        Level::Eligibility => QuerySpec {
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
        Level::Assignment => QuerySpec {
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
    let (level, shape) = match route {
        Route::Instances(l) => (*l, Shape::List),
        Route::InstancesMine(l) => (*l, Shape::Mine),
        Route::Instance(l, id) => (*l, Shape::One(id.as_str())),
        _ => unreachable!(),
    };
    serve(st, cx, req, &INSTANCES, level, shape)
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
    spec: fn(Level, bool) -> QuerySpec,
    /// Which schedules the view shows at a given time.
    shows: fn(&Schedule, chrono::DateTime<chrono::Utc>) -> bool,
    json: fn(&State, &Schedule) -> Value,
    id: fn(&Schedule) -> String,
    not_found: &'static str,
    /// The property of an item that names the schedule whose `activatedUsing` is expanded.
    schedule_key: &'static str,
}

const SCHEDULES: View = View {
    set: "Schedules",
    type_suffix: "Schedule",
    spec: schedule_spec,
    shows: |s, now| s.live(now),
    json: schedule_json,
    id: |s| s.id.clone(),
    not_found: "schedule",
    schedule_key: "id",
};

const INSTANCES: View = View {
    set: "ScheduleInstances",
    type_suffix: "ScheduleInstance",
    spec: instance_spec,
    shows: |s, now| s.active(now),
    json: instance_json,
    id: Schedule::instance_id,
    not_found: "schedule instance",
    schedule_key: "roleAssignmentScheduleId",
};

fn serve(
    st: &mut State,
    cx: &Cx,
    req: &Req,
    view: &View,
    level: Level,
    shape: Shape<'_>,
) -> ApiResult<GraphResponse> {
    let now = st.now();
    let st: &State = st;
    let set = set_name(view.set, level);
    let shown = || {
        st.schedules
            .iter()
            .filter(move |s| s.level == level && (view.shows)(s, now))
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
                .get(view.schedule_key)
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
            let q = parse_query(req, &(view.spec)(level, true))?;
            Ok(list(cx, &q, &set, collect(None, &q), None, None, &expand))
        }
        Shape::Mine => {
            let who = mine(&req.caller)?;
            let q = parse_query(req, &(view.spec)(level, true))?;
            let t = type_name(view.type_suffix, level);
            Ok(list(
                cx,
                &q,
                &set,
                collect(Some(who), &q),
                None,
                Some(&t),
                &expand,
            ))
        }
        Shape::One(id) => {
            let q = parse_query(req, &(view.spec)(level, false))?;
            let s = shown()
                .find(|s| (view.id)(s).eq_ignore_ascii_case(id))
                .ok_or_else(|| ApiError::not_found(view.not_found, id))?;
            Ok(single(cx, &q, &set, (view.json)(st, s), None, &expand))
        }
    }
}
