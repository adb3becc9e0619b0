//! The members of the groups that hold roles, for `lint` (Global Administrators are counted person by person, and
//! synchronized or guest members are found): one `GET /groups/{id}/members` per group, 20 to a `$batch`. Nothing is
//! read per role. Role-assignable groups cannot contain groups, so `members` is the full membership.

use super::principals::all_pages;
use crate::graph::client::{ClientError, GraphClient};
use crate::graph::{BatchRequestItem, DirectoryObject};
use crate::model::{LivePrincipal, LiveState, PrincipalKind};
use std::collections::BTreeMap;

const SELECT: &str = "id,displayName,userPrincipalName,appId,userType,onPremisesSyncEnabled";

/// Members by lower-cased group id, for every group that holds a role directly.
pub async fn read_group_members(
    client: &GraphClient,
    live: &LiveState,
) -> Result<BTreeMap<String, Vec<LivePrincipal>>, ClientError> {
    read_members(client, live, &[]).await
}

/// [`read_group_members`], and the direct members of `extra` groups (by object id: approver and reviewer groups, which
/// may hold no role, for the licence count), in the same `$batch`es.
pub async fn read_members(
    client: &GraphClient,
    live: &LiveState,
    extra: &[String],
) -> Result<BTreeMap<String, Vec<LivePrincipal>>, ClientError> {
    let mut groups: Vec<String> = live
        .assignments
        .iter()
        .filter(|a| {
            live.principal(&a.principal_id)
                .is_some_and(|p| p.kind == PrincipalKind::Group)
        })
        .map(|a| a.principal_id.to_lowercase())
        .chain(extra.iter().map(|g| g.to_lowercase()))
        .collect();
    groups.sort();
    groups.dedup();
    if groups.is_empty() {
        return Ok(BTreeMap::new());
    }
    let requests: Vec<BatchRequestItem> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| BatchRequestItem {
            id: i.to_string(),
            method: "GET".into(),
            url: format!("/groups/{g}/members?$select={SELECT}"),
            headers: None,
            body: None,
            depends_on: None,
        })
        .collect();
    let answers = client.batch(requests.clone()).await?;
    let mut out = BTreeMap::new();
    for ((group, request), answer) in groups.iter().zip(&requests).zip(&answers) {
        let members: Vec<DirectoryObject> = all_pages(client, request, answer).await?;
        out.insert(
            group.clone(),
            members.iter().map(super::read::live_principal).collect(),
        );
    }
    Ok(out)
}
