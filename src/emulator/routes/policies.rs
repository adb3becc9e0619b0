//! `/policies/roleManagementPolicies` and `/policies/roleManagementPolicyAssignments`.

use super::{Cx, Req, Route, json_body, list, parse_query, single, to_json, with_context};
use crate::emulator::http::{ApiError, ApiResult, GraphResponse};
use crate::emulator::query::{self, ExpandItem, Literal, QueryOptions, QuerySpec};
use crate::emulator::rules::PatchMode;
use crate::emulator::state::{PolicyRec, State};
use crate::graph::UnifiedRoleManagementPolicyAssignment;
use serde_json::Value;
use std::borrow::Cow;

const POLICY_PROPS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "isOrganizationDefault",
    "scopeId",
    "scopeType",
    "lastModifiedDateTime",
    "lastModifiedBy",
];

fn policy_spec(collection: bool) -> QuerySpec {
    QuerySpec {
        collection,
        filter: &["scopeId", "scopeType", "isOrganizationDefault", "id"],
        isof: false,
        props: POLICY_PROPS,
        nav: &["rules", "effectiveRules"],
        type_name: "unifiedRoleManagementPolicy",
    }
}

const ASSIGNMENT_PROPS: &[&str] = &["id", "policyId", "scopeId", "scopeType", "roleDefinitionId"];

fn assignment_spec(collection: bool) -> QuerySpec {
    QuerySpec {
        collection,
        filter: &["scopeId", "scopeType", "roleDefinitionId", "policyId", "id"],
        isof: false,
        props: ASSIGNMENT_PROPS,
        nav: &["policy"],
        type_name: "unifiedRoleManagementPolicyAssignment",
    }
}

const RULE_PROPS: &[&str] = &["id", "target"];

const SET_POLICIES: &str = "policies/roleManagementPolicies";
const SET_ASSIGNMENTS: &str = "policies/roleManagementPolicyAssignments";

/// The two list calls need `$filter` with `scopeId eq` and `scopeType eq` (digest §2, §11.3).
fn require_scope_filter(q: &QueryOptions) -> ApiResult<()> {
    let mut eqs: Vec<(&str, &Literal)> = vec![];
    if let Some(f) = &q.filter {
        query::required_eq(f, &mut eqs);
    }
    let has = |p: &str| eqs.iter().any(|(k, _)| *k == p);
    if has("scopeId") && has("scopeType") {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "The $filter query parameter is required, with scopeId eq and scopeType eq, for example $filter=scopeId eq '/' and scopeType eq 'DirectoryRole' (or, for a group, scopeId eq '{groupId}' and scopeType eq 'Group').",
        ))
    }
}

/// The policies a list may show: the stored ones, and the untouched policies of the groups not yet onboarded that
/// the filter names (`scopeId eq '{groupId}'`): a list call works on any group (digest §2).
/// Only the policies of the scope the filter requires are rendered: a group's list need not render every policy
/// of the tenant (the filter is still applied to what is rendered).
fn candidates<'a>(st: &'a State, q: &QueryOptions) -> Vec<Cow<'a, PolicyRec>> {
    let mut eqs: Vec<(&str, &Literal)> = vec![];
    if let Some(f) = &q.filter {
        query::required_eq(f, &mut eqs);
    }
    let scope = eqs.iter().find_map(|(k, v)| match (*k, v) {
        ("scopeId", Literal::Str(s)) => Some(s.as_str()),
        _ => None,
    });
    let mut out: Vec<Cow<'a, PolicyRec>> = st
        .policies
        .iter()
        .filter(|p| scope.is_none_or(|s| p.policy.scope_id.eq_ignore_ascii_case(s)))
        .map(Cow::Borrowed)
        .collect();
    for (k, v) in eqs {
        if let (true, Literal::Str(gid)) = (k == "scopeId", v)
            && !st.group_onboarded(gid)
        {
            out.extend(st.group_policies(gid));
        }
    }
    out
}

fn expand_rules(_st: &State, v: &mut Value, p: &PolicyRec, root: &str, e: &ExpandItem) {
    let mut rules = to_json(&p.rules);
    if let (Some(sel), Value::Array(items)) = (&e.select, &mut rules) {
        for r in items {
            query::apply_select(r, sel, &[]);
        }
    }
    let proj = query::projection(e.select.as_deref(), &[]);
    if let Value::Object(m) = v {
        m.insert(
            format!("{}@odata.context", e.name),
            format!(
                "{root}/$metadata#policies/roleManagementPolicies('{}')/{}{proj}",
                p.policy.id, e.name
            )
            .into(),
        );
        m.insert(e.name.clone(), rules);
    }
}

fn assignment_of(p: &PolicyRec) -> UnifiedRoleManagementPolicyAssignment {
    UnifiedRoleManagementPolicyAssignment {
        id: format!("{}_{}", p.policy.id, p.role_definition_id),
        policy_id: p.policy.id.clone(),
        scope_id: p.policy.scope_id.clone(),
        scope_type: p.policy.scope_type.clone(),
        role_definition_id: Some(p.role_definition_id.clone()),
        policy: None,
    }
}

pub(super) fn handle(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let now = st.now();
    let root = cx.root;
    match (route, req.method) {
        (Route::PolicyRule(pid, rid), "PATCH") => {
            let body: Value = json_body(req.body)?;
            st.patch_rule(pid, rid, &body, &req.caller, now)?;
            return Ok(GraphResponse::no_content());
        }
        (Route::Policy(pid), "PATCH") => {
            let body: Value = json_body(req.body)?;
            let Value::Object(m) = &body else {
                return Err(ApiError::bad_body("The body must be a JSON object."));
            };
            if let Some(k) = m.keys().find(|k| *k != "rules" && !k.starts_with('@')) {
                return Err(ApiError::bad_request(format!(
                    "The property '{k}' of a role management policy is read-only; only its rules can be updated."
                )));
            }
            let Some(Value::Array(rules)) = m.get("rules") else {
                return Err(ApiError::bad_request(
                    "The body must hold rules, an array of policy rules.",
                ));
            };
            let mut patches = vec![];
            for r in rules {
                let id = r
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::bad_request("Every rule in rules needs its id."))?;
                patches.push((id, r));
            }
            // A group's first policy update onboards it: the answer is the policy under its new id.
            let id = st.patch_rules(pid, &patches, PatchMode::Api, &req.caller, now)?;
            let p = st
                .policy(&id)
                .ok_or_else(|| ApiError::not_found("policy", pid))?;
            let ctx = format!("{root}/$metadata#{SET_POLICIES}/$entity");
            return Ok(GraphResponse::ok(with_context(ctx, to_json(&p.policy))));
        }
        _ => {}
    }
    let st: &State = st;
    let expand_policy = |v: &mut Value, e: &ExpandItem| {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(p) = st.any_policy(&id) {
            expand_rules(st, v, &p, root, e);
        }
    };
    match route {
        Route::Policies => {
            let q = parse_query(req, &policy_spec(true))?;
            require_scope_filter(&q)?;
            let items = candidates(st, &q)
                .iter()
                .map(|p| (to_json(&p.policy), None))
                .collect();
            Ok(list(
                cx,
                &q,
                SET_POLICIES,
                items,
                None,
                None,
                &expand_policy,
            ))
        }
        Route::Policy(pid) => {
            let q = parse_query(req, &policy_spec(false))?;
            let p = st
                .any_policy(pid)
                .ok_or_else(|| ApiError::not_found("policy", pid))?;
            Ok(single(
                cx,
                &q,
                SET_POLICIES,
                to_json(&p.policy),
                None,
                &expand_policy,
            ))
        }
        Route::PolicyRules(pid) => {
            let spec = QuerySpec {
                collection: true,
                filter: &["id"],
                isof: false,
                props: RULE_PROPS,
                nav: &[],
                type_name: "unifiedRoleManagementPolicyRule",
            };
            let q = parse_query(req, &spec)?;
            let p = st
                .any_policy(pid)
                .ok_or_else(|| ApiError::not_found("policy", pid))?;
            let items = p.rules.iter().map(|r| (to_json(r), None)).collect();
            let set = format!("policies/roleManagementPolicies('{}')/rules", p.policy.id);
            Ok(list(cx, &q, &set, items, None, None, &|_, _| {}))
        }
        Route::PolicyRule(pid, rid) => {
            let spec = QuerySpec {
                collection: false,
                filter: &[],
                isof: false,
                props: RULE_PROPS,
                nav: &[],
                type_name: "unifiedRoleManagementPolicyRule",
            };
            let q = parse_query(req, &spec)?;
            let p = st
                .any_policy(pid)
                .ok_or_else(|| ApiError::not_found("policy", pid))?;
            let r = p
                .rules
                .iter()
                .find(|r| r.id().eq_ignore_ascii_case(rid))
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "ResourceNotFound",
                        format!("The policy rule id {rid} is invalid."),
                    )
                })?;
            let set = format!("policies/roleManagementPolicies('{}')/rules", p.policy.id);
            Ok(single(cx, &q, &set, to_json(r), None, &|_, _| {}))
        }
        Route::PolicyAssignments | Route::PolicyAssignment(_) => {
            let expand = |v: &mut Value, e: &ExpandItem| {
                let pid = v
                    .get("policyId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let Some(p) = st.any_policy(&pid) else {
                    v["policy"] = Value::Null;
                    return;
                };
                let mut pv = to_json(&p.policy);
                for inner in &e.expand {
                    if inner.name == "rules" || inner.name == "effectiveRules" {
                        expand_rules(st, &mut pv, &p, root, inner);
                    }
                }
                if let Some(sel) = &e.select {
                    let keep: Vec<&str> = e.expand.iter().map(|x| x.name.as_str()).collect();
                    query::apply_select(&mut pv, sel, &keep);
                }
                v["policy"] = pv;
            };
            let check_nested = |q: &QueryOptions| -> ApiResult<()> {
                for e in &q.expand {
                    for inner in &e.expand {
                        if inner.name != "rules" && inner.name != "effectiveRules" {
                            return Err(ApiError::bad_request(format!(
                                "Parsing OData Select and Expand failed: Could not find a property named '{}' on type 'microsoft.graph.unifiedRoleManagementPolicy'.",
                                inner.name
                            )));
                        }
                    }
                }
                Ok(())
            };
            if let Route::PolicyAssignment(id) = route {
                let q = parse_query(req, &assignment_spec(false))?;
                check_nested(&q)?;
                // A group's untouched policies answer under their own ids until it is onboarded.
                let group_id = id
                    .strip_prefix("Group_")
                    .and_then(|r| r.split('_').next())
                    .unwrap_or_default();
                let untouched = match st.group_onboarded(group_id) {
                    true => vec![],
                    false => st.group_policies(group_id),
                };
                let a = st
                    .policies
                    .iter()
                    .chain(untouched.iter().map(|p| p.as_ref()))
                    .map(assignment_of)
                    .find(|a| a.id.eq_ignore_ascii_case(id))
                    .ok_or_else(|| ApiError::not_found("policy assignment", id))?;
                return Ok(single(cx, &q, SET_ASSIGNMENTS, to_json(&a), None, &expand));
            }
            let q = parse_query(req, &assignment_spec(true))?;
            require_scope_filter(&q)?;
            check_nested(&q)?;
            let items = candidates(st, &q)
                .iter()
                .map(|p| (to_json(&assignment_of(p)), None))
                .collect();
            Ok(list(cx, &q, SET_ASSIGNMENTS, items, None, None, &expand))
        }
        _ => Err(ApiError::bad_request("unsupported")),
    }
}
