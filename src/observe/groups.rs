//! PIM for Groups: the declared groups resolved, then each one's PIM state read, all in `$batch`.
//!
//! 1. [`resolve`]: every group the declaration names, by display name (`displayName in (...)`) or object id
//!    (`id in (...)`), 15 values to a clause and 20 clauses to a `$batch`, selecting `isAssignableToRole`. A name
//!    no group has is `Missing`, one several groups share is `Ambiguous` (the plan lists them with their ids).
//! 2. [`read`]: for every group found, [`LISTS`] sub-requests (Graph has no list across groups: a schedule or
//!    instance list must be filtered on `groupId`, a policy list on `scopeId`, with `eq` only; digest §2, §7),
//!    20 to a `$batch`, the chunks concurrent: the group's two policies with their rules, its eligibility
//!    schedules and assignment schedules with the principal expanded, and its assignment instances (the
//!    activations in effect). A sub-request's `@odata.nextLink` is followed. Nothing is read per assignment.
//!
//! Request ceiling: ⌈declared groups / 300⌉ lookup batches (one when all fit) + ⌈found groups × 4 / 20⌉ batches,
//! plus the pages a nextLink adds.

use super::principals::{all_pages, encode_query, in_filter_url};
use super::read::{add_policies, record, schedule};
use crate::graph::client::{ClientError, GraphClient};
use crate::graph::{
    AccessId, AssignmentType, BatchRequestItem, Group, GroupAssignmentSchedule,
    GroupAssignmentScheduleInstance, GroupEligibilitySchedule, MAX_FILTER_IN_VALUES,
};
use crate::model::{
    AssignmentKind, DesiredState, GROUP_NAME_PREFIX, GroupAccess, GroupResolution, LiveActivation,
    LiveGroup, LiveState, Surface, TargetKey,
};
use std::collections::{BTreeMap, BTreeSet};

/// The lists read per group.
pub const LISTS: usize = 4;

const GROUP_SELECT: &str = "id,displayName,isAssignableToRole";
const PRINCIPAL: &str = "$expand=principal($select=id,displayName,userPrincipalName,appId,userType,onPremisesSyncEnabled)";
const PIM: &str = "/identityGovernance/privilegedAccess/group";

/// The scopes of the declared group targets (`name:<lower-cased name>` or a lower-cased id), in order.
pub fn declared_groups(desired: &[&DesiredState]) -> BTreeSet<String> {
    desired
        .iter()
        .flat_map(|d| d.targets.keys())
        .filter(|k| k.surface == Surface::Group)
        .map(|k| k.scope.clone())
        .collect()
}

/// Looks up every declared group, in one `$batch` per 300 (none when nothing declares a group).
pub async fn resolve(
    client: &GraphClient,
    desired: &[&DesiredState],
) -> Result<BTreeMap<String, GroupResolution>, ClientError> {
    resolve_scopes(client, declared_groups(desired)).await
}

/// Looks up groups by scope (`name:<lower-cased display name>` or a lower-cased object id), as [`resolve`] does for
/// the declared ones: one `$batch` per 300.
pub async fn resolve_scopes(
    client: &GraphClient,
    scopes: BTreeSet<String>,
) -> Result<BTreeMap<String, GroupResolution>, ClientError> {
    if scopes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut names = vec![];
    let mut ids = vec![];
    for s in &scopes {
        match s.strip_prefix(GROUP_NAME_PREFIX) {
            Some(name) => names.push(name.to_string()),
            None => ids.push(s.clone()),
        }
    }
    let mut requests = vec![];
    for (property, values) in [("displayName", &names), ("id", &ids)] {
        for chunk in values.chunks(MAX_FILTER_IN_VALUES) {
            requests.push(BatchRequestItem {
                id: (requests.len() + 1).to_string(),
                method: "GET".into(),
                url: in_filter_url("groups", property, GROUP_SELECT, chunk),
                headers: None,
                body: None,
                depends_on: None,
            });
        }
    }
    tracing::info!(
        "looking up {} declared groups in {} $batch sub-requests",
        scopes.len(),
        requests.len()
    );
    let answers = client.batch(requests.clone()).await?;
    let mut seen: Vec<LiveGroup> = vec![];
    for (request, answer) in requests.iter().zip(&answers) {
        for g in all_pages::<Group>(client, request, answer).await? {
            seen.push(LiveGroup {
                id: g.id,
                display_name: g.display_name,
                is_assignable_to_role: g.is_assignable_to_role,
            });
        }
    }
    seen.sort_by_key(|g| g.id.to_lowercase());
    seen.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    let mut out = BTreeMap::new();
    for scope in scopes {
        let matches: Vec<&LiveGroup> = match scope.strip_prefix(GROUP_NAME_PREFIX) {
            Some(name) => seen
                .iter()
                .filter(|g| {
                    g.display_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .collect(),
            None => seen
                .iter()
                .filter(|g| g.id.eq_ignore_ascii_case(&scope))
                .collect(),
        };
        let r = match matches.as_slice() {
            [] => GroupResolution::Missing,
            [one] => GroupResolution::Found {
                group: (*one).clone(),
            },
            _ => GroupResolution::Ambiguous {
                candidates: matches.into_iter().cloned().collect(),
            },
        };
        out.insert(scope, r);
    }
    Ok(out)
}

/// One list of one group.
#[derive(Debug, Clone, Copy)]
enum List {
    Policies,
    Eligible,
    Assigned,
    Instances,
}

impl List {
    const ALL: [List; LISTS] = [
        List::Policies,
        List::Eligible,
        List::Assigned,
        List::Instances,
    ];

    fn url(self, group: &str) -> String {
        let g = group.replace('\'', "''");
        let by_group = encode_query(&format!("groupId eq '{g}'"));
        match self {
            List::Policies => format!(
                "/policies/roleManagementPolicyAssignments?$filter={}&$expand=policy($expand=rules)",
                encode_query(&format!("scopeId eq '{g}' and scopeType eq 'Group'"))
            ),
            List::Eligible => format!("{PIM}/eligibilitySchedules?$filter={by_group}&{PRINCIPAL}"),
            List::Assigned => format!("{PIM}/assignmentSchedules?$filter={by_group}&{PRINCIPAL}"),
            List::Instances => format!("{PIM}/assignmentScheduleInstances?$filter={by_group}"),
        }
    }
}

/// Reads the PIM state of every group `live.groups` found into `live`: policies (or `unreadable`), admin-made
/// schedules as assignments, and activations.
pub async fn read(client: &GraphClient, live: &mut LiveState) -> Result<(), ClientError> {
    let groups: BTreeSet<String> = live
        .groups
        .values()
        .filter_map(|r| match r {
            GroupResolution::Found { group } => Some(group.id.clone()),
            _ => None,
        })
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let mut requests: Vec<(List, BatchRequestItem)> = vec![];
    for g in &groups {
        for list in List::ALL {
            requests.push((
                list,
                BatchRequestItem {
                    id: (requests.len() + 1).to_string(),
                    method: "GET".into(),
                    url: list.url(g),
                    headers: None,
                    body: None,
                    depends_on: None,
                },
            ));
        }
    }
    tracing::info!(
        "reading {} groups' PIM state in {} $batch sub-requests",
        groups.len(),
        requests.len()
    );
    let items: Vec<BatchRequestItem> = requests.iter().map(|(_, r)| r.clone()).collect();
    let answers = client.batch(items).await?;
    for ((list, request), answer) in requests.iter().zip(&answers) {
        take(client, live, *list, request, answer).await?;
    }
    Ok(())
}

/// Reads one answer (and its further pages) into `live`.
async fn take(
    client: &GraphClient,
    live: &mut LiveState,
    list: List,
    request: &BatchRequestItem,
    answer: &crate::graph::RawBatchResponseItem,
) -> Result<(), ClientError> {
    match list {
        List::Policies => {
            let items =
                all_pages::<Box<serde_json::value::RawValue>>(client, request, answer).await?;
            add_policies(live, items);
        }
        List::Eligible => {
            for s in all_pages::<GroupEligibilitySchedule>(client, request, answer).await? {
                let target = access(s.access_id).map(|a| TargetKey::group(&s.group_id, a));
                let principal = s.principal.as_ref();
                let schedule = target.map(|t| schedule!(s, t));
                record(live, AssignmentKind::Eligible, principal, None, schedule);
            }
        }
        List::Assigned => {
            for s in all_pages::<GroupAssignmentSchedule>(client, request, answer).await? {
                let target = access(s.access_id).map(|a| TargetKey::group(&s.group_id, a));
                let principal = s.principal.as_ref();
                let assignment_type = s.assignment_type;
                let schedule = target.map(|t| schedule!(s, t));
                record(
                    live,
                    AssignmentKind::Active,
                    principal,
                    assignment_type,
                    schedule,
                );
            }
        }
        List::Instances => {
            for i in all_pages::<GroupAssignmentScheduleInstance>(client, request, answer).await? {
                if i.assignment_type != Some(AssignmentType::Activated) {
                    continue;
                }
                let Some(access) = access(i.access_id) else {
                    continue;
                };
                live.activations.push(LiveActivation {
                    target: TargetKey::group(&i.group_id, access),
                    principal_id: i.principal_id,
                    start: i.start_date_time,
                    end: i.end_date_time,
                });
            }
        }
    }
    Ok(())
}

fn access(a: AccessId) -> Option<GroupAccess> {
    match a {
        AccessId::Member => Some(GroupAccess::Member),
        AccessId::Owner => Some(GroupAccess::Owner),
        AccessId::UnknownFutureValue => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_lists_are_filtered_with_eq_and_encoded() {
        let g = "0d3f5c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
        let urls: Vec<String> = List::ALL.iter().map(|l| l.url(g)).collect();
        assert_eq!(
            urls[0],
            format!(
                "/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20%27{g}%27%20and%20scopeType%20eq%20%27Group%27&$expand=policy($expand=rules)"
            )
        );
        assert!(urls[1].starts_with(&format!(
            "{PIM}/eligibilitySchedules?$filter=groupId%20eq%20%27{g}%27&$expand=principal("
        )));
        assert!(urls[3].ends_with(&format!("$filter=groupId%20eq%20%27{g}%27")));
    }
}
