//! `/users`, `/groups` (and members and owners), `/servicePrincipals` and `/subscribedSkus`.

use super::{Cx, Req, Route, list, parse_query, principal_json, single, to_json};
use crate::emulator::http::{ApiError, ApiResult, GraphResponse};
use crate::emulator::query::{ExpandItem, QuerySpec};
use crate::emulator::state::State;
use crate::graph::{AccessId, User};
use serde_json::Value;

const GROUP_PROPS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "onPremisesSyncEnabled",
];
const SKU_PROPS: &[&str] = &[
    "accountName",
    "accountId",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "id",
    "prepaidUnits",
    "servicePlans",
    "skuId",
    "skuPartNumber",
    "subscriptionIds",
];
const SP_PROPS: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "appDisplayName",
    "servicePrincipalType",
    "accountEnabled",
];

fn spec(route: &Route) -> QuerySpec {
    let collection = matches!(
        route,
        Route::Users
            | Route::Groups
            | Route::ServicePrincipals
            | Route::GroupMembers(_)
            | Route::GroupOwners(_)
            | Route::SubscribedSkus
            | Route::Organization
    );
    match route {
        Route::Users | Route::User(_) => QuerySpec {
            collection,
            filter: &[
                "id",
                "userPrincipalName",
                "displayName",
                "mail",
                "userType",
                "accountEnabled",
            ],
            isof: false,
            props: crate::graph::User::PROPERTIES,
            nav: &[],
            type_name: "user",
        },
        Route::Groups | Route::Group(_) => QuerySpec {
            collection,
            filter: &[
                "id",
                "displayName",
                "isAssignableToRole",
                "mailNickname",
                "securityEnabled",
            ],
            isof: false,
            props: GROUP_PROPS,
            nav: &["members"],
            type_name: "group",
        },
        Route::GroupMembers(_) | Route::GroupOwners(_) => QuerySpec {
            collection,
            filter: &[],
            isof: false,
            props: &[
                "id",
                "displayName",
                "userPrincipalName",
                "appId",
                "userType",
                "onPremisesSyncEnabled",
            ],
            nav: &[],
            type_name: "directoryObject",
        },
        // `$select` only; "It does not support `$filter`" (the List subscribedSkus page).
        Route::SubscribedSkus | Route::SubscribedSku(_) => QuerySpec {
            collection,
            filter: &[],
            isof: false,
            props: SKU_PROPS,
            nav: &[],
            type_name: "subscribedSku",
        },
        // `$select` only, like every organization query pimctl makes.
        Route::Organization => QuerySpec {
            collection,
            filter: &[],
            isof: false,
            props: &["id", "displayName"],
            nav: &[],
            type_name: "organization",
        },
        _ => QuerySpec {
            collection,
            filter: &["id", "appId", "displayName", "servicePrincipalType"],
            isof: false,
            props: SP_PROPS,
            nav: &[],
            type_name: "servicePrincipal",
        },
    }
}

/// A group's members or owners now, PIM's active ones included ([`State::group_holders`]); `select` (of
/// `GET /groups/{id}/members?$select=...`) may name user properties outside the default projection (`userType`,
/// `onPremisesSyncEnabled`), as Graph allows.
fn members_json(st: &State, gid: &str, access: AccessId, select: Option<&[String]>) -> Vec<Value> {
    st.group_holders(gid, access, st.now())
        .iter()
        .map(|m| principal_json(st, m, select))
        .filter(|v| !v.is_null())
        .collect()
}

pub(super) fn handle(
    st: &mut State,
    cx: &Cx,
    route: &Route,
    req: &Req,
) -> ApiResult<GraphResponse> {
    let st: &State = st;
    let q = parse_query(req, &spec(route))?;
    let none = |_: &mut Value, _: &ExpandItem| {};
    let expand_members = |v: &mut Value, e: &ExpandItem| {
        if e.name == "members" {
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            v["members"] = Value::Array(members_json(st, &id, AccessId::Member, None));
        }
    };
    let def_user: Option<&[&str]> = Some(User::DEFAULT_PROPERTIES);
    match route {
        Route::Users => {
            let items = st.users.iter().map(|u| (to_json(u), None)).collect();
            Ok(list(cx, &q, "users", items, def_user, None, &none))
        }
        Route::User(id) => {
            let u = st
                .user(id)
                .ok_or_else(|| ApiError::directory_not_found(id))?;
            Ok(single(cx, &q, "users", to_json(u), def_user, &none))
        }
        Route::Groups => {
            let items = st
                .groups
                .iter()
                .map(|g| (to_json(&g.group), None))
                .collect();
            Ok(list(cx, &q, "groups", items, None, None, &expand_members))
        }
        Route::Group(id) => {
            let g = st
                .group(id)
                .ok_or_else(|| ApiError::directory_not_found(id))?;
            Ok(single(
                cx,
                &q,
                "groups",
                to_json(&g.group),
                None,
                &expand_members,
            ))
        }
        Route::GroupMembers(id) | Route::GroupOwners(id) => {
            st.group(id)
                .ok_or_else(|| ApiError::directory_not_found(id))?;
            let access = match route {
                Route::GroupOwners(_) => AccessId::Owner,
                _ => AccessId::Member,
            };
            let items = members_json(st, id, access, q.select.as_deref())
                .into_iter()
                .map(|v| (v, None))
                .collect();
            Ok(list(cx, &q, "directoryObjects", items, None, None, &none))
        }
        Route::ServicePrincipals => {
            let items = st
                .service_principals
                .iter()
                .map(|p| (to_json(p), None))
                .collect();
            Ok(list(cx, &q, "servicePrincipals", items, None, None, &none))
        }
        Route::ServicePrincipal(id) => {
            let p = st
                .service_principal(id)
                .ok_or_else(|| ApiError::directory_not_found(id))?;
            Ok(single(cx, &q, "servicePrincipals", to_json(p), None, &none))
        }
        Route::SubscribedSkus => {
            let items = st
                .subscribed_skus
                .iter()
                .map(|k| (to_json(k), None))
                .collect();
            Ok(list(cx, &q, "subscribedSkus", items, None, None, &none))
        }
        // The tenant's one organization: its id, and its name (the seed's `tenant.name`, else its domain).
        Route::Organization => {
            let org = crate::graph::Organization {
                id: st.tenant_id.clone(),
                display_name: Some(st.tenant_name.clone().unwrap_or_else(|| st.domain.clone())),
            };
            Ok(list(
                cx,
                &q,
                "organization",
                vec![(to_json(&org), None)],
                None,
                None,
                &none,
            ))
        }
        Route::SubscribedSku(id) => {
            let k = st
                .subscribed_skus
                .iter()
                .find(|k| k.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| ApiError::directory_not_found(id))?;
            Ok(single(cx, &q, "subscribedSkus", to_json(k), None, &none))
        }
        _ => Err(ApiError::bad_request("unsupported")),
    }
}
