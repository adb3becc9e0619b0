//! The scopes below a scope, as ARM lists them (`graph::arm::hierarchy`): a subscription's resource groups
//! (`GET /subscriptions/{id}/resourcegroups`, api-version `2021-04-01`) and a management group's descendants at any
//! depth (`GET /providers/Microsoft.Management/managementGroups/{id}/descendants`, api-version `2020-05-01`), both
//! paged with `nextLink`. They follow the tenant's lifecycle: a resource group created through `/_emulator/azure`
//! is listed, a deleted one is not.

use super::super::http::{ApiError, ApiResult, GraphResponse};
use super::super::{Shared, state::State};
use super::routes::{Query, method_not_allowed, page};
use crate::graph::arm::ArmScope;
use crate::graph::arm::hierarchy::*;
use serde_json::{Value, json};

/// The location the emulator gives every resource group (it keeps none).
pub const LOCATION: &str = "westeurope";

/// Which list a path asks for.
enum List {
    ResourceGroups(String),
    Descendants(String),
}

fn parse(path: &str) -> Option<List> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["subscriptions", sub, rgs] if rgs.eq_ignore_ascii_case("resourcegroups") => {
            Some(List::ResourceGroups((*sub).to_string()))
        }
        [providers, ns, mgs, name, d]
            if providers.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.Management")
                && mgs.eq_ignore_ascii_case("managementGroups")
                && d.eq_ignore_ascii_case("descendants") =>
        {
            Some(List::Descendants((*name).to_string()))
        }
        _ => None,
    }
}

/// The statistics key of these lists, when the path is one.
pub fn stats_key(method: &str, path: &str) -> Option<String> {
    Some(match parse(path)? {
        List::ResourceGroups(_) => {
            format!("{method} /subscriptions/{{subscriptionId}}/resourcegroups")
        }
        List::Descendants(_) => format!(
            "{method} /providers/Microsoft.Management/managementGroups/{{groupId}}/descendants"
        ),
    })
}

/// Serves the request when its path is one of these lists (`None`: not one).
pub fn handle(
    st: &State,
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
) -> Option<ApiResult<GraphResponse>> {
    let list = parse(path)?;
    Some(serve(st, shared, method, path, query, &list))
}

fn serve(
    st: &State,
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    list: &List,
) -> ApiResult<GraphResponse> {
    if method != "GET" {
        return Err(method_not_allowed(method));
    }
    let (version, kind) = match list {
        List::ResourceGroups(_) => (RESOURCE_GROUPS_API_VERSION, "resourceGroups"),
        List::Descendants(_) => (DESCENDANTS_API_VERSION, "managementGroups/descendants"),
    };
    let q = query_of(query, version, kind)?;
    let items = match list {
        List::ResourceGroups(sub) => {
            let scope = ArmScope::parse(&format!("/subscriptions/{sub}"))
                .map_err(|e| ApiError::new(400, "InvalidSubscriptionId", e.to_string()))?;
            st.arm.check_scope(&scope)?;
            let sub = scope.subscription_id().unwrap_or_default().to_string();
            st.arm
                .resource_groups
                .iter()
                .filter(|r| r.subscription.eq_ignore_ascii_case(&sub))
                .map(|r| {
                    json!(ArmResourceGroup {
                        id: format!("/subscriptions/{sub}/resourceGroups/{}", r.name),
                        name: r.name.clone(),
                        kind: Some(RESOURCE_GROUP_TYPE.into()),
                        location: Some(LOCATION.into()),
                        properties: Some(ResourceGroupProperties {
                            provisioning_state: Some("Succeeded".into()),
                        }),
                        managed_by: None,
                    })
                })
                .collect::<Vec<Value>>()
        }
        List::Descendants(name) => {
            let group = ArmScope::ManagementGroup(name.clone());
            st.arm.check_scope(&group)?;
            let below = |s: &ArmScope| st.arm.ancestors(s).iter().any(|a| a.key() == group.key());
            let parent = |p: &Option<String>| {
                Some(DescendantParent {
                    id: format!(
                        "/providers/Microsoft.Management/managementGroups/{}",
                        p.as_deref().unwrap_or_default()
                    ),
                })
            };
            let groups = st
                .arm
                .management_groups
                .iter()
                .filter(|m| below(&ArmScope::ManagementGroup(m.name.clone())))
                .map(|m| Descendant {
                    id: format!(
                        "/providers/Microsoft.Management/managementGroups/{}",
                        m.name
                    ),
                    kind: MANAGEMENT_GROUP_TYPE.into(),
                    name: m.name.clone(),
                    properties: DescendantProperties {
                        display_name: Some(m.display_name.clone()),
                        parent: parent(&m.parent),
                    },
                });
            let subscriptions = st
                .arm
                .subscriptions
                .iter()
                .filter(|s| below(&ArmScope::Subscription(s.id.clone())))
                .map(|s| Descendant {
                    id: format!("/subscriptions/{}", s.id),
                    kind: SUBSCRIPTION_TYPE.into(),
                    name: s.id.clone(),
                    properties: DescendantProperties {
                        display_name: Some(s.display_name.clone()),
                        parent: parent(&s.management_group),
                    },
                });
            groups.chain(subscriptions).map(|d| json!(d)).collect()
        }
    };
    Ok(page(shared, path, &q, items))
}

/// `api-version` (required, the list's own) and `$skiptoken` (only as a `nextLink` writes it); nothing else.
fn query_of(query: &str, version: &str, kind: &str) -> ApiResult<Query> {
    super::routes::query_for(query, &[version], kind, false)
}
