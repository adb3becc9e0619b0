//! `/identityGovernance/accessReviews/definitions` (digest §8): create, get, list with `$top`, `$skip`,
//! `$select`, `$orderby` and the documented `$filter=contains(scope/microsoft.graph.accessReviewQueryScope/query,
//! '...')`, full update with `PUT`, delete, the instances the clock has made, and their decisions.

use super::{
    Cx, Req, Route, json_body, list, page_size, parse_query, single, to_json, with_context,
};
use crate::emulator::http::{ApiError, ApiResult, GraphResponse};
use crate::emulator::query::{self, QueryOptions, QuerySpec};
use crate::emulator::reviews;
use crate::emulator::state::State;
use crate::graph::review::AccessReviewScheduleDefinition;
use serde_json::{Map, Value};

const SET: &str = "identityGovernance/accessReviews/definitions";

/// The structural properties of a definition, for `$select`.
const PROPS: &[&str] = &[
    "id",
    "displayName",
    "createdDateTime",
    "lastModifiedDateTime",
    "status",
    "descriptionForAdmins",
    "descriptionForReviewers",
    "instanceEnumerationScope",
    "createdBy",
    "scope",
    "reviewers",
    "fallbackReviewers",
    "settings",
    "additionalNotificationRecipients",
    "stageSettings",
];

/// The only `$filter` the definitions list takes (digest §8): not on the other scope types.
const SCOPE_QUERY: &str = "scope/microsoft.graph.accessReviewQueryScope/query";

const INSTANCE_PROPS: &[&str] = &["id", "startDateTime", "endDateTime", "status", "scope"];

fn instance_spec(collection: bool) -> QuerySpec {
    QuerySpec {
        collection,
        filter: &["status", "id"],
        isof: false,
        props: INSTANCE_PROPS,
        nav: &[],
        type_name: "accessReviewInstance",
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("The access review definition '{id}' does not exist."),
    )
}

fn instance_not_found(iid: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound",
        format!("The access review instance '{iid}' does not exist."),
    )
}

const DECISION_PROPS: &[&str] = &[
    "id",
    "accessReviewId",
    "decision",
    "recommendation",
    "justification",
    "reviewedDateTime",
    "reviewedBy",
    "appliedDateTime",
    "appliedBy",
    "applyResult",
    "principalLink",
    "resourceLink",
    "principal",
    "resource",
];

fn decision_spec() -> QuerySpec {
    QuerySpec {
        collection: true,
        filter: &["decision", "applyResult", "recommendation"],
        isof: false,
        props: DECISION_PROPS,
        nav: &[],
        type_name: "accessReviewInstanceDecisionItem",
    }
}

fn find(st: &State, id: &str) -> ApiResult<usize> {
    st.access_reviews
        .iter()
        .position(|d| d.id.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(id)))
        .ok_or_else(|| not_found(id))
}

/// A definition as served: its status as of `now`.
fn render(def: &AccessReviewScheduleDefinition, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut d = def.clone();
    d.status =
        crate::graph::review::Nullable::Value(reviews::definition_status(def, now).to_string());
    to_json(&d)
}

pub(super) fn handle(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let now = st.now();
    match (route, req.method) {
        (Route::ReviewDefinitions, "GET") => list_definitions(st, cx, req),
        (Route::ReviewDefinitions, _) => {
            let body: AccessReviewScheduleDefinition = json_body(req.body)?;
            reviews::validate(&body, st)?;
            let id = st.next_id("accessReviewDefinition");
            let by = reviews::creator(st, &req.caller);
            let def = reviews::normalise(&body, &id, now, now, by);
            let out = render(&def, now);
            st.access_reviews.push(def);
            Ok(GraphResponse::created(with_context(
                format!("{}/$metadata#{SET}/$entity", cx.root),
                out,
            )))
        }
        (Route::ReviewDefinition(id), "GET") => {
            let q = parse_query(req, &definition_spec(false))?;
            let i = find(st, id)?;
            let v = render(&st.access_reviews[i], now);
            Ok(single(cx, &q, SET, v, None, &|_, _| {}))
        }
        (Route::ReviewDefinition(id), "PUT") => {
            let i = find(st, id)?;
            let body: AccessReviewScheduleDefinition = json_body(req.body)?;
            reviews::validate(&body, st)?;
            let old = &st.access_reviews[i];
            reviews::check_update(old, &body)?;
            let created = old.created_date_time.value().copied().unwrap_or(now);
            let by = old.created_by.value().cloned().unwrap_or_default();
            let stored_id = old.id.clone().unwrap_or_else(|| id.clone());
            st.access_reviews[i] = reviews::normalise(&body, &stored_id, created, now, by);
            Ok(GraphResponse::no_content())
        }
        (Route::ReviewDefinition(id), _) => {
            let i = find(st, id)?;
            if let Some(gone) = st.access_reviews.remove(i).id {
                st.review_answers.remove(&gone);
            }
            Ok(GraphResponse::no_content())
        }
        (Route::ReviewInstances(id), _) => {
            let q = parse_query(req, &instance_spec(true))?;
            let i = find(st, id)?;
            let def = &st.access_reviews[i];
            let def_id = def.id.clone().unwrap_or_default();
            // Newest first.
            let items: Vec<(Value, Option<&'static str>)> = reviews::occurrences(def, now)
                .iter()
                .rev()
                .map(|o| (to_json(&reviews::instance(def, o, now)), None))
                .collect();
            Ok(list(
                cx,
                &q,
                &format!("{SET}('{def_id}')/instances"),
                items,
                None,
                None,
                &|_, _| {},
            ))
        }
        (Route::ReviewInstance(id, iid), _) => {
            let q = parse_query(req, &instance_spec(false))?;
            let i = find(st, id)?;
            let def = &st.access_reviews[i];
            let def_id = def.id.clone().unwrap_or_default();
            let inst = reviews::occurrences(def, now)
                .iter()
                .map(|o| reviews::instance(def, o, now))
                .find(|x| x.id.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(iid)))
                .ok_or_else(|| instance_not_found(iid))?;
            Ok(single(
                cx,
                &q,
                &format!("{SET}('{def_id}')/instances"),
                to_json(&inst),
                None,
                &|_, _| {},
            ))
        }
        (Route::ReviewDecisions(id, iid), _) => {
            let q = parse_query(req, &decision_spec())?;
            let i = find(st, id)?;
            let def = &st.access_reviews[i];
            let def_id = def.id.clone().unwrap_or_default();
            let occ = reviews::occurrences(def, now)
                .into_iter()
                .find(|o| {
                    reviews::instance(def, o, now)
                        .id
                        .is_some_and(|x| x.eq_ignore_ascii_case(iid))
                })
                .ok_or_else(|| instance_not_found(iid))?;
            let items: Vec<(Value, Option<&'static str>)> = reviews::decisions(st, def, &occ, now)
                .iter()
                .map(|d| (to_json(d), None))
                .collect();
            Ok(list(
                cx,
                &q,
                &format!("{SET}('{def_id}')/instances('{iid}')/decisions"),
                items,
                None,
                None,
                &|_, _| {},
            ))
        }
        _ => Err(ApiError::bad_request("Unsupported access review request.")),
    }
}

fn definition_spec(collection: bool) -> QuerySpec {
    QuerySpec {
        collection,
        filter: &[],
        isof: false,
        props: PROPS,
        nav: &[],
        type_name: "accessReviewScheduleDefinition",
    }
}

/// `contains(scope/microsoft.graph.accessReviewQueryScope/query, 'text')`, the documented filter; anything else
/// is refused.
fn parse_contains(f: &str) -> ApiResult<String> {
    let refuse = || {
        ApiError::bad_request(format!(
            "Invalid filter clause: '{f}' is not supported. The access review definitions list supports only $filter=contains({SCOPE_QUERY}, '{{text}}')."
        ))
    };
    let inner = f
        .trim()
        .strip_prefix("contains(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(refuse)?;
    let (prop, arg) = inner.split_once(',').ok_or_else(refuse)?;
    if prop.trim() != SCOPE_QUERY {
        return Err(refuse());
    }
    let arg = arg.trim();
    let text = arg
        .strip_prefix('\'')
        .and_then(|a| a.strip_suffix('\''))
        .filter(|t| !t.is_empty() || arg.len() == 2)
        .ok_or_else(refuse)?;
    // Inside the literal, a quote is written twice.
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return Err(refuse());
        }
        out.push(c);
    }
    Ok(out)
}

/// The list: `$filter` first, then `$orderby`, then the page (`$skip`, then `$top` or the page size), then
/// `$select`. `@odata.nextLink` carries `$skip`, as Graph's paging of this list does.
fn list_definitions(st: &State, cx: &Cx, req: &Req) -> ApiResult<GraphResponse> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query)
        .map_err(|e| ApiError::bad_request(format!("The query string is malformed: {e}")))?;
    let mut filter = None;
    let mut skip = 0usize;
    let mut top = None;
    let mut select = None;
    let mut order: Option<(String, bool)> = None;
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in &pairs {
        let key = k.trim().to_ascii_lowercase();
        if !key.starts_with('$') {
            continue;
        }
        if !seen.insert(key.clone()) {
            return Err(ApiError::bad_request(format!(
                "Query option '{key}' was specified more than once, but it must be specified at most once."
            )));
        }
        match key.as_str() {
            "$filter" => filter = Some(parse_contains(v)?),
            "$skip" => {
                skip = v.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!("Invalid value '{v}' for query option $skip."))
                })?
            }
            "$top" => top = Some(query::parse_top(v)?),
            "$select" => {
                select = Some(query::parse_select(
                    v,
                    PROPS,
                    &[],
                    "accessReviewScheduleDefinition",
                )?)
            }
            "$orderby" => {
                let mut it = v.split_whitespace();
                let prop = it.next().unwrap_or_default();
                let dir = it.next().unwrap_or("asc").to_ascii_lowercase();
                if !["displayName", "createdDateTime", "lastModifiedDateTime"].contains(&prop)
                    || !["asc", "desc"].contains(&dir.as_str())
                    || it.next().is_some()
                {
                    return Err(ApiError::bad_request(format!(
                        "The $orderby '{v}' is not supported; order by displayName, createdDateTime or lastModifiedDateTime, asc or desc."
                    )));
                }
                order = Some((prop.to_string(), dir == "desc"));
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Query option '{k}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."
                )));
            }
        }
    }
    let now = st.now();
    let mut defs: Vec<&AccessReviewScheduleDefinition> = st
        .access_reviews
        .iter()
        .filter(|d| match &filter {
            None => true,
            Some(text) => d
                .query_scope_query()
                .is_some_and(|q| q.to_lowercase().contains(&text.to_lowercase())),
        })
        .collect();
    if let Some((prop, desc)) = &order {
        let key = |d: &AccessReviewScheduleDefinition| -> String {
            match prop.as_str() {
                "displayName" => d
                    .display_name
                    .value()
                    .cloned()
                    .unwrap_or_default()
                    .to_lowercase(),
                "createdDateTime" => d
                    .created_date_time
                    .value()
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                _ => d
                    .last_modified_date_time
                    .value()
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
            }
        };
        defs.sort_by_key(|d| key(d));
        if *desc {
            defs.reverse();
        }
    }
    let size = page_size(
        cx,
        &QueryOptions {
            top,
            ..Default::default()
        },
    );
    let total = defs.len();
    let mut page: Vec<Value> = defs
        .into_iter()
        .skip(skip)
        .take(size)
        .map(|d| render(d, now))
        .collect();
    if let Some(sel) = &select {
        page.iter_mut()
            .for_each(|v| query::apply_select(v, sel, &[]));
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        format!(
            "{}/$metadata#{SET}{}",
            cx.root,
            query::projection(select.as_deref(), &[])
        )
        .into(),
    );
    let next = skip.saturating_add(size);
    if next < total {
        let mut rest: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| !k.trim().eq_ignore_ascii_case("$skip"))
            .cloned()
            .collect();
        rest.push(("$skip".into(), next.to_string()));
        let qs = serde_urlencoded::to_string(&rest).unwrap_or_default();
        body.insert(
            "@odata.nextLink".into(),
            format!("{}{}?{qs}", cx.root, cx.path).into(),
        );
    }
    body.insert("value".into(), Value::Array(page));
    Ok(GraphResponse::ok(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_filter_is_read_and_others_refused() {
        assert_eq!(
            parse_contains(
                "contains(scope/microsoft.graph.accessReviewQueryScope/query, '/groups/x')"
            )
            .unwrap(),
            "/groups/x"
        );
        assert_eq!(
            parse_contains("contains(scope/microsoft.graph.accessReviewQueryScope/query,'it''s')")
                .unwrap(),
            "it's"
        );
        for bad in [
            "contains(scope/microsoft.graph.principalResourceMembershipsScope/principalScopes, 'x')",
            "contains(scope/microsoft.graph.accessReviewInactiveUsersQueryScope/query, 'x')",
            "displayName eq 'x'",
            "contains(scope/microsoft.graph.accessReviewQueryScope/query, x)",
            "contains(scope/microsoft.graph.accessReviewQueryScope/query, 'a'b')",
        ] {
            let e = parse_contains(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
            assert!(e.message.starts_with("Invalid filter clause"), "{bad}");
        }
    }
}
