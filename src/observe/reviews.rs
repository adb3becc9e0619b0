//! Reading the tenant's access review definitions (`identityGovernance/accessReviews/definitions`): one list,
//! every page, each definition keyed by the target its scope reviews ([`pim_scope::target_of`]). Reviews of
//! anything else (applications, access packages, guests, a role's service principals) are left out: pimctl never
//! touches them. Read only when some declared target says `access_review` (or `none`), so that a declaration
//! without reviews costs no request.

use crate::graph::client::{ClientError, GraphClient};
use crate::graph::review::pim_scope::{self, ReviewedTarget};
use crate::graph::review::{AccessReviewScheduleDefinition, ReviewerTarget, reviewer_target};
use crate::model::{
    DesiredState, GroupAccess, LiveReview, LiveState, PrincipalKind, PrincipalRef, RoleKey,
    TargetKey,
};
use std::collections::BTreeSet;

/// The definitions, listed once; no `$top`: Graph pages them (100 by default) and pimctl follows every page.
pub(crate) const DEFINITIONS: &str = "/identityGovernance/accessReviews/definitions";

/// Whether any of the declarations manages a review (declares one, or `access_review: none`).
pub fn wanted(desired: &[&DesiredState]) -> bool {
    desired.iter().any(|d| {
        d.targets
            .values()
            .any(|t| t.access_review.is_some() || t.no_access_review.is_some())
    })
}

/// Lists the definitions and keeps those of PIM targets in `live.reviews`.
pub async fn read(client: &GraphClient, live: &mut LiveState) -> Result<(), ClientError> {
    let definitions: Vec<AccessReviewScheduleDefinition> = client.list_all(DEFINITIONS).await?;
    live.reviews = keyed(definitions);
    live.reviews_read = true;
    Ok(())
}

/// The definitions that review a PIM target, with their target, sorted by (target, id).
pub fn keyed(definitions: Vec<AccessReviewScheduleDefinition>) -> Vec<LiveReview> {
    let mut out: Vec<LiveReview> = definitions
        .into_iter()
        .filter_map(|d| {
            let id = d.id.clone()?;
            let target = target_of(&d)?;
            Some(LiveReview {
                target,
                id,
                definition: d,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.target, &a.id).cmp(&(&b.target, &b.id)));
    out
}

/// The target a definition reviews: a directory role's users (and groups), or a group's members. A review of a
/// role's service principals is not a review pimctl writes, so not one of its targets.
pub fn target_of(d: &AccessReviewScheduleDefinition) -> Option<TargetKey> {
    match pim_scope::target_of(d.scope.value()?)? {
        ReviewedTarget::Role {
            role_id,
            principal_types,
            ..
        } => (!principal_types.contains(&"servicePrincipal"))
            .then(|| TargetKey::directory_role(RoleKey(role_id.to_lowercase()))),
        ReviewedTarget::GroupMembers(id) => Some(TargetKey::group(&id, GroupAccess::Member)),
    }
}

/// The users and groups live reviews name as reviewers (by object id), so that plans show their names.
pub(crate) fn live_reviewer_ids(live: &LiveState) -> BTreeSet<PrincipalRef> {
    live.reviews
        .iter()
        .flat_map(|r| {
            let d = &r.definition;
            d.reviewers.iter().chain(&d.fallback_reviewers).flatten()
        })
        .filter_map(|s| match reviewer_target(s)? {
            ReviewerTarget::User(id) => Some(PrincipalRef::new(PrincipalKind::User, &id)),
            ReviewerTarget::Group(id) => Some(PrincipalRef::new(PrincipalKind::Group, &id)),
            ReviewerTarget::Managers | ReviewerTarget::Owners => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::review::AccessReviewScope;

    fn def(id: &str, scope: AccessReviewScope) -> AccessReviewScheduleDefinition {
        AccessReviewScheduleDefinition {
            id: Some(id.into()),
            scope: crate::graph::review::Nullable::Value(scope),
            ..Default::default()
        }
    }

    #[test]
    fn definitions_are_keyed_by_the_target_they_review_and_others_are_left_out() {
        let role = "62E90394-69F5-4237-9190-012177145E10";
        let sp_review = pim_scope::eligible_users(role)
            .replace("microsoft.graph.user", "microsoft.graph.servicePrincipal");
        let read = keyed(vec![
            def("d3", pim_scope::all_members(role)),
            def(
                "d1",
                AccessReviewScope::query(pim_scope::eligible_users(role)),
            ),
            def(
                "d2",
                AccessReviewScope::query("/groups/G1/transitiveMembers"),
            ),
            def("app", AccessReviewScope::query("/servicePrincipals/x")),
            def("guests", AccessReviewScope::query("/users")),
            def("sp", AccessReviewScope::query(sp_review)),
        ]);
        let got: Vec<(String, &str)> = read
            .iter()
            .map(|r| (r.target.to_string(), r.id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("62e90394-69f5-4237-9190-012177145e10".to_string(), "d1"),
                ("62e90394-69f5-4237-9190-012177145e10".to_string(), "d3"),
                ("group:g1:member".to_string(), "d2"),
            ]
        );
    }
}
