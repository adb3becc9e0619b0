//! Resolving declared principals (assignees, approvers, break-glass accounts) to object ids, in bulk.
//!
//! A principal that a schedule already named (`$expand=principal`) costs nothing. The rest are looked up with
//! `$filter=<property> in (...)` (15 values per clause, Graph's limit), 20 lookups to a `$batch`. Live approver ids
//! that nothing named are looked up the same way, so that plans show names rather than GUIDs.

use crate::graph::client::{ClientError, GraphClient, decode_batch_item};
use crate::graph::{BatchRequestItem, Group, MAX_FILTER_IN_VALUES, Page, ServicePrincipal, User};
use crate::model::{
    DesiredState, LivePrincipal, LiveState, PrincipalKind, PrincipalRef, Resolution, is_guid,
};
use std::collections::{BTreeMap, BTreeSet};

/// What a user lookup selects: the names, and what `lint` judges (guest, synchronized from on-premises).
const USER_SELECT: &str = "id,displayName,userPrincipalName,userType,onPremisesSyncEnabled";

/// Every principal the desired state names: protected accounts, assignees and approvers.
pub fn declared_principals(desired: &DesiredState) -> BTreeSet<PrincipalRef> {
    let mut out: BTreeSet<PrincipalRef> = desired
        .protected
        .iter()
        .map(|p| p.principal.clone())
        .collect();
    for (_, a) in desired.assignments() {
        out.insert(a.principal.clone());
    }
    for role in desired.targets.values() {
        if let Some(rv) = &role.access_review {
            out.extend(rv.reviewers.iter().filter_map(|r| match r {
                crate::model::Reviewer::Principal(p) => Some(p.clone()),
                _ => None,
            }));
            out.extend(rv.fallback_reviewers.iter().cloned());
        }
        for stage in role.policy.activation.approval.stages.iter().flatten() {
            for p in stage.approvers.iter().chain(&stage.escalation_approvers) {
                out.extend(p.iter().cloned());
            }
        }
    }
    out
}

/// Object ids that live policies name as approvers.
pub(crate) fn live_approver_ids(live: &LiveState) -> BTreeSet<PrincipalRef> {
    let mut out = BTreeSet::new();
    for p in live.policies.values() {
        for stage in p.settings.activation.approval.stages.iter().flatten() {
            for a in stage.approvers.iter().chain(&stage.escalation_approvers) {
                out.extend(a.iter().cloned());
            }
        }
    }
    out
}

/// Which collection and property a lookup filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lookup {
    UserId,
    UserUpn,
    GroupId,
    GroupName,
    SpId,
    SpAppId,
    SpName,
}

impl Lookup {
    fn for_ref(p: &PrincipalRef) -> &'static [Lookup] {
        let guid = is_guid(&p.name);
        match (p.kind, guid) {
            (PrincipalKind::User, true) => &[Lookup::UserId],
            (PrincipalKind::User, false) => &[Lookup::UserUpn],
            (PrincipalKind::Group, true) => &[Lookup::GroupId],
            (PrincipalKind::Group, false) => &[Lookup::GroupName],
            // A GUID may be the object id or the application id.
            (PrincipalKind::ServicePrincipal, true) => &[Lookup::SpId, Lookup::SpAppId],
            (PrincipalKind::ServicePrincipal, false) => &[Lookup::SpName],
        }
    }
    fn path(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Lookup::UserId => ("users", "id", USER_SELECT),
            Lookup::UserUpn => ("users", "userPrincipalName", USER_SELECT),
            Lookup::GroupId => ("groups", "id", "id,displayName"),
            Lookup::GroupName => ("groups", "displayName", "id,displayName"),
            Lookup::SpId => ("servicePrincipals", "id", "id,appId,displayName"),
            Lookup::SpAppId => ("servicePrincipals", "appId", "id,appId,displayName"),
            Lookup::SpName => ("servicePrincipals", "displayName", "id,appId,displayName"),
        }
    }
    fn url(self, names: &[String]) -> String {
        let (collection, property, select) = self.path();
        in_filter_url(collection, property, select, names)
    }
}

/// `/{collection}?$filter={property} in ('a','b')&$select={select}`: values quoted (`'` doubled) and the filter
/// percent-encoded. At most [`MAX_FILTER_IN_VALUES`] values, Graph's limit; the caller chunks.
pub(crate) fn in_filter_url(
    collection: &str,
    property: &str,
    select: &str,
    values: &[String],
) -> String {
    let values: Vec<String> = values
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect();
    let filter = format!("{property} in ({})", values.join(","));
    format!(
        "/{collection}?$filter={}&$select={select}",
        encode_query(&filter)
    )
}

/// A query option's value, percent-encoded for a `$batch` sub-request's URL.
pub(crate) fn encode_query(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Characters escaped in a query value.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b',');

/// Fills `live.resolved` for every declared principal, looking up in bulk what the schedules did not name.
pub async fn resolve(
    client: &GraphClient,
    desired: &[&DesiredState],
    live: &mut LiveState,
) -> Result<(), ClientError> {
    let declared: BTreeSet<PrincipalRef> = desired
        .iter()
        .flat_map(|d| declared_principals(d))
        .collect();
    let mut wanted: BTreeMap<Lookup, BTreeSet<String>> = BTreeMap::new();
    let names = Names::of(live);
    let live_reviewers = super::reviews::live_reviewer_ids(live);
    for p in declared
        .iter()
        .chain(&live_approver_ids(live))
        .chain(&live_reviewers)
    {
        if names.matches(p).is_empty() {
            for l in Lookup::for_ref(p) {
                wanted.entry(*l).or_default().insert(p.name.to_lowercase());
            }
        }
    }
    let mut requests = vec![];
    for (lookup, names) in &wanted {
        let names: Vec<String> = names.iter().cloned().collect();
        for chunk in names.chunks(MAX_FILTER_IN_VALUES) {
            requests.push((
                *lookup,
                BatchRequestItem {
                    id: (requests.len() + 1).to_string(),
                    method: "GET".into(),
                    url: lookup.url(chunk),
                    headers: None,
                    body: None,
                    depends_on: None,
                },
            ));
        }
    }
    if !requests.is_empty() {
        tracing::info!(
            "looking up {} principals in {} $batch sub-requests",
            wanted.values().map(BTreeSet::len).sum::<usize>(),
            requests.len()
        );
        let items: Vec<BatchRequestItem> = requests.iter().map(|(_, r)| r.clone()).collect();
        let answers = client.batch(items).await?;
        for ((lookup, request), answer) in requests.iter().zip(&answers) {
            for p in found(client, *lookup, request, answer).await? {
                live.principals.insert(p.id.to_lowercase(), p);
            }
        }
    }
    let names = Names::of(live);
    let mut resolved = BTreeMap::new();
    for p in declared {
        let m = names.matches(&p);
        let r = match m.as_slice() {
            [] => Resolution::Missing,
            [one] => Resolution::Found { id: one.id.clone() },
            _ => Resolution::Ambiguous {
                candidates: m.into_iter().cloned().collect(),
            },
        };
        resolved.insert(p, r);
    }
    live.resolved = resolved;
    Ok(())
}

/// The display names of approver and reviewer groups that no schedule named, that more than one group in the directory
/// has.
///
/// `import` names principals so that a `plan` finds them again. A group a schedule named is matched among the
/// objects the read saw; an approver group that holds no role is looked up by name, and a display name is not
/// unique in Entra, so import asks first (one `$batch`, only when there are such groups) and writes the object id
/// for those that are ambiguous.
pub async fn ambiguous_names(
    client: &GraphClient,
    live: &LiveState,
) -> Result<BTreeSet<PrincipalRef>, ClientError> {
    let held: BTreeSet<String> = live
        .assignments
        .iter()
        .map(|a| a.principal_id.to_lowercase())
        .chain(
            live.activations
                .iter()
                .map(|a| a.principal_id.to_lowercase()),
        )
        .collect();
    let names: BTreeSet<String> = live_approver_ids(live)
        .iter()
        .chain(&super::reviews::live_reviewer_ids(live))
        .filter(|p| p.kind == PrincipalKind::Group && !held.contains(&p.name.to_lowercase()))
        .filter_map(|p| live.principal(&p.name)?.display_name.clone())
        .map(|n| n.to_lowercase())
        .collect();
    let mut out = BTreeSet::new();
    if names.is_empty() {
        return Ok(out);
    }
    let names: Vec<String> = names.into_iter().collect();
    let requests: Vec<BatchRequestItem> = names
        .chunks(MAX_FILTER_IN_VALUES)
        .enumerate()
        .map(|(i, chunk)| BatchRequestItem {
            id: (i + 1).to_string(),
            method: "GET".into(),
            url: Lookup::GroupName.url(chunk),
            headers: None,
            body: None,
            depends_on: None,
        })
        .collect();
    let answers = client.batch(requests.clone()).await?;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (request, answer) in requests.iter().zip(&answers) {
        for g in found(client, Lookup::GroupName, request, answer).await? {
            if let Some(n) = g.display_name {
                *count.entry(n.to_lowercase()).or_insert(0) += 1;
            }
        }
    }
    for (name, n) in count {
        if n > 1 {
            out.insert(PrincipalRef::new(PrincipalKind::Group, name));
        }
    }
    Ok(out)
}

/// The live principals by every name they answer to: (kind, lower-cased id, UPN, display name or appId).
struct Names<'a>(BTreeMap<(PrincipalKind, String), Vec<&'a LivePrincipal>>);

impl<'a> Names<'a> {
    fn of(live: &'a LiveState) -> Self {
        let mut map: BTreeMap<(PrincipalKind, String), Vec<&'a LivePrincipal>> = BTreeMap::new();
        for lp in live.principals.values() {
            let names = [
                Some(&lp.id),
                lp.user_principal_name.as_ref(),
                lp.display_name.as_ref(),
                lp.app_id.as_ref(),
            ];
            let mut seen = BTreeSet::new();
            for n in names.into_iter().flatten() {
                let key = (lp.kind, n.to_lowercase());
                if seen.insert(key.clone()) {
                    map.entry(key).or_default().push(lp);
                }
            }
        }
        Names(map)
    }
    /// The objects a declared principal names (checked with [`LivePrincipal::answers_to`], which knows which names
    /// each kind answers to).
    fn matches(&self, p: &PrincipalRef) -> Vec<&'a LivePrincipal> {
        self.0
            .get(&(p.kind, p.name.to_lowercase()))
            .map(|v| v.iter().copied().filter(|lp| lp.answers_to(p)).collect())
            .unwrap_or_default()
    }
}

/// Every item a lookup answered: its page in the batch, and the pages after it when the server's page was smaller
/// than the `in` list (Graph's is not, but nothing promises it).
pub(crate) async fn all_pages<T: serde::de::DeserializeOwned>(
    client: &GraphClient,
    request: &BatchRequestItem,
    answer: &crate::graph::RawBatchResponseItem,
) -> Result<Vec<T>, ClientError> {
    let page: Page<T> = decode_batch_item(request, answer)?;
    let mut items = page.value;
    if let Some(next) = page.next_link {
        items.extend(client.list_all::<T>(&next).await?);
    }
    Ok(items)
}

async fn found(
    client: &GraphClient,
    lookup: Lookup,
    request: &BatchRequestItem,
    answer: &crate::graph::RawBatchResponseItem,
) -> Result<Vec<LivePrincipal>, ClientError> {
    Ok(match lookup {
        Lookup::UserId | Lookup::UserUpn => all_pages::<User>(client, request, answer)
            .await?
            .into_iter()
            .map(|u| LivePrincipal {
                id: u.id,
                kind: PrincipalKind::User,
                display_name: u.display_name,
                user_principal_name: u.user_principal_name,
                app_id: None,
                user_type: u.user_type.clone(),
                on_premises_sync_enabled: u.on_premises_sync_enabled,
            })
            .collect(),
        Lookup::GroupId | Lookup::GroupName => all_pages::<Group>(client, request, answer)
            .await?
            .into_iter()
            .map(|g| LivePrincipal {
                id: g.id,
                kind: PrincipalKind::Group,
                display_name: g.display_name,
                user_principal_name: None,
                app_id: None,
                user_type: None,
                on_premises_sync_enabled: None,
            })
            .collect(),
        Lookup::SpId | Lookup::SpAppId | Lookup::SpName => {
            all_pages::<ServicePrincipal>(client, request, answer)
                .await?
                .into_iter()
                .map(|s| LivePrincipal {
                    id: s.id,
                    kind: PrincipalKind::ServicePrincipal,
                    display_name: s.display_name,
                    user_principal_name: None,
                    app_id: s.app_id,
                    user_type: None,
                    on_premises_sync_enabled: None,
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_urls_quote_escape_and_encode() {
        let url = Lookup::UserUpn.url(&["o'brien@contoso.com".into(), "a@contoso.com".into()]);
        assert_eq!(
            url,
            "/users?$filter=userPrincipalName%20in%20%28%27o%27%27brien@contoso.com%27,%27a@contoso.com%27%29&$select=id,displayName,userPrincipalName,userType,onPremisesSyncEnabled"
        );
        let decoded: Vec<(String, String)> =
            serde_urlencoded::from_str(url.split_once('?').unwrap().1).unwrap();
        assert_eq!(
            decoded[0].1,
            "userPrincipalName in ('o''brien@contoso.com','a@contoso.com')"
        );
    }
}
