//! [`LiveIndex`]: the tenant's assignments and activations by target, built once per plan (or lint) in one pass over
//! each list, and shared by everything that asks "what does the tenant hold on this target": the planner's
//! assignment diff, the lint views (the tenant as read and as the plan would leave it), the ABAC conditions carried
//! into ARM writes, and the Azure posture across scopes. Each of them used to scan every live assignment once per
//! target or per change: on XL-estate (143,000 assignments, 1,730 targets) that was most of `plan::build`'s time
//! (BENCHMARKS.md §4b).

use super::{AssignmentKind, LiveAssignment, LiveState, TargetKey};
use std::collections::BTreeMap;

/// The live assignments and activations of each target, by its natural key. A target's assignments keep the order of
/// [`LiveState::assignments`], with their positions in it, so a lookup finds what a scan of the whole list would find
/// first.
#[derive(Debug)]
pub struct LiveIndex<'a> {
    all: &'a [LiveAssignment],
    assignments: BTreeMap<&'a TargetKey, Vec<usize>>,
    activations: BTreeMap<&'a TargetKey, usize>,
}

impl<'a> LiveIndex<'a> {
    pub fn new(live: &'a LiveState) -> Self {
        let mut assignments: BTreeMap<&TargetKey, Vec<usize>> = BTreeMap::new();
        for (i, a) in live.assignments.iter().enumerate() {
            assignments.entry(&a.target).or_default().push(i);
        }
        let mut activations: BTreeMap<&TargetKey, usize> = BTreeMap::new();
        for a in &live.activations {
            *activations.entry(&a.target).or_default() += 1;
        }
        Self {
            all: &live.assignments,
            assignments,
            activations,
        }
    }

    /// The targets that hold at least one assignment, in key order.
    pub fn targets(&self) -> impl Iterator<Item = &'a TargetKey> + '_ {
        self.assignments.keys().copied()
    }

    /// A target's assignments, in the tenant's order.
    pub fn assignments(&self, target: &TargetKey) -> impl Iterator<Item = &'a LiveAssignment> + '_ {
        self.positioned(target).map(|(_, a)| a)
    }

    /// A target's assignments with their positions in [`LiveState::assignments`], in that order.
    pub fn positioned(
        &self,
        target: &TargetKey,
    ) -> impl Iterator<Item = (usize, &'a LiveAssignment)> + '_ {
        let all = self.all;
        self.assignments
            .get(target)
            .into_iter()
            .flatten()
            .map(move |&i| (i, &all[i]))
    }

    /// The first of a principal's direct assignments (not inherited, not through a group's membership) of a target
    /// of this kind, with its position, as a scan of the whole list would find it.
    pub fn direct(
        &self,
        target: &TargetKey,
        principal_id: &str,
        kind: AssignmentKind,
    ) -> Option<(usize, &'a LiveAssignment)> {
        self.positioned(target).find(|(_, a)| {
            a.kind == kind && a.principal_id.eq_ignore_ascii_case(principal_id) && a.is_direct()
        })
    }

    /// The number of activations in effect on a target.
    pub fn activations(&self, target: &TargetKey) -> usize {
        self.activations.get(target).copied().unwrap_or(0)
    }
}

impl LiveAssignment {
    /// Held directly: no member type read, or `Direct` (not `Inherited` from a scope above, not `Group` membership).
    pub fn is_direct(&self) -> bool {
        self.member_type
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("Direct"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveActivation, RoleKey};

    fn held(
        role: &str,
        principal: &str,
        kind: AssignmentKind,
        member: Option<&str>,
    ) -> LiveAssignment {
        LiveAssignment {
            target: TargetKey::directory_role(RoleKey(role.into())),
            principal_id: principal.into(),
            kind,
            schedule_id: format!("{role}-{principal}-{kind}"),
            start: None,
            end: None,
            member_type: member.map(str::to_string),
            condition: None,
        }
    }

    #[test]
    fn a_lookup_finds_what_a_scan_of_the_tenant_finds_first() {
        use AssignmentKind::{Active, Eligible};
        let r1 = TargetKey::directory_role(RoleKey("r1".into()));
        let r3 = TargetKey::directory_role(RoleKey("r3".into()));
        let live = LiveState {
            assignments: vec![
                held("r1", "p", Eligible, Some("Group")),
                held("r2", "p", Eligible, None),
                held("r1", "P", Eligible, Some("direct")),
                held("r1", "p", Eligible, None),
                held("r1", "q", Active, None),
            ],
            activations: vec![
                LiveActivation {
                    target: r1.clone(),
                    principal_id: "q".into(),
                    start: None,
                    end: None,
                };
                2
            ],
            ..LiveState::default()
        };
        let index = LiveIndex::new(&live);
        assert_eq!(
            index.positioned(&r1).map(|(i, _)| i).collect::<Vec<_>>(),
            [0, 2, 3, 4]
        );
        let (i, a) = index.direct(&r1, "p", Eligible).unwrap();
        assert_eq!((i, a.principal_id.as_str()), (2, "P"));
        assert!(index.direct(&r1, "p", Active).is_none());
        assert_eq!(index.direct(&r1, "Q", Active).unwrap().0, 4);
        assert_eq!(index.assignments(&r3).count(), 0);
        assert_eq!((index.activations(&r1), index.activations(&r3)), (2, 0));
        assert_eq!(index.targets().count(), 2);
    }
}
