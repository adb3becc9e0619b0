//! PIM for Groups in the lint [`View`]: each declared or read group block (a group's `member` or `owner` target) is a
//! [`RoleView`] with [`GroupFacts`]: which group, and which directory roles the group holds. A group is as
//! privileged as the roles it grants, so rules judge a group block by them ([`GroupFacts::tier0`]), and a role's
//! holders include the members and owners of the groups that hold it ([`View::holders`]).
//!
//! Only role-assignable groups can hold directory roles, and the owners of a role-assignable group can change its
//! membership: its owners hold what its members hold.

use super::view::{AssignmentView, PrincipalView, RoleView, View};
use crate::model::{
    AssignmentKind, DesiredState, GroupAccess, LiveIndex, LiveState, PrincipalKind, RoleKey,
    Surface, TargetKey, TargetRef, is_guid,
};
use std::collections::{BTreeMap, BTreeSet};

/// The group behind a group block.
#[derive(Debug, Clone)]
pub struct GroupFacts {
    pub access: GroupAccess,
    /// How people know the group: its display name, else the name or id it is declared by.
    pub name: String,
    /// Its object id, lower-cased, when known.
    pub id: Option<String>,
    /// The directory roles the group holds (eligible or active), as the view has them.
    pub grants: Vec<Grant>,
}

/// A directory role a group holds.
#[derive(Debug, Clone)]
pub struct Grant {
    pub role: RoleKey,
    pub role_name: String,
    pub kind: AssignmentKind,
    /// `None`: permanent.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub tier0: bool,
    pub sensitive: bool,
}

impl GroupFacts {
    /// Whether the group holds a tier-0 role.
    pub fn tier0(&self) -> bool {
        self.grants.iter().any(|g| g.tier0)
    }
    /// Whether the group holds a privileged role (Microsoft's label, or one of CISA's).
    pub fn sensitive(&self) -> bool {
        self.grants.iter().any(|g| g.sensitive || g.tier0)
    }
    /// The names of the tier-0 roles it holds, for messages (`Global Administrator, User Administrator`).
    pub fn tier0_roles(&self) -> String {
        let mut names: Vec<&str> = self
            .grants
            .iter()
            .filter(|g| g.tier0)
            .map(|g| g.role_name.as_str())
            .collect();
        names.dedup();
        names.join(", ")
    }

    /// Whether an assignment's principal is this group: by object id, else by the name it is declared or known by.
    pub fn is(&self, p: &PrincipalView) -> bool {
        if p.kind != PrincipalKind::Group {
            return false;
        }
        if let (Some(a), Some(b)) = (&self.id, &p.id) {
            return a.eq_ignore_ascii_case(b);
        }
        let named = |n: &str| {
            n.eq_ignore_ascii_case(&self.name)
                || self
                    .id
                    .as_deref()
                    .is_some_and(|id| n.eq_ignore_ascii_case(id))
        };
        named(&p.label) || p.declared.as_ref().is_some_and(|d| named(&d.name))
    }
}

/// The facts a declaration alone gives about a group target.
pub(super) fn declared_facts(target: &TargetRef) -> Option<GroupFacts> {
    match target {
        TargetRef::DirectoryRole(_) | TargetRef::AzureRole { .. } => None,
        TargetRef::Group { group, access } => Some(GroupFacts {
            access: *access,
            name: group.clone(),
            id: is_guid(group).then(|| group.to_lowercase()),
            grants: Vec::new(),
        }),
    }
}

/// The live key of a declared group target: the group's id (declared, or the one the tenant resolved its name to).
pub fn resolve(target: &TargetKey, live: &LiveState) -> Option<TargetKey> {
    if target.surface != Surface::Group {
        return None;
    }
    let access = match target.role.0.as_str() {
        "owner" => GroupAccess::Owner,
        _ => GroupAccess::Member,
    };
    if target.unresolved_group_name().is_none() {
        return Some(target.clone());
    }
    // The group the tenant resolved the declared name to (`observe::groups::resolve`).
    let group = live.group(&target.scope)?;
    Some(TargetKey::group(&group.id, access))
}

/// The group blocks the tenant read (their policies and assignments), keyed by group id and access.
pub(super) fn live_blocks(
    desired: &DesiredState,
    live: &LiveState,
    index: &LiveIndex<'_>,
    principal: &dyn Fn(&str) -> PrincipalView,
) -> BTreeMap<TargetKey, RoleView> {
    let keys: BTreeSet<&TargetKey> = live
        .policies
        .keys()
        .chain(index.targets())
        .filter(|k| k.surface == Surface::Group)
        .collect();
    // The declaration of each live block.
    let declared: BTreeMap<TargetKey, (&TargetKey, &crate::model::DesiredTarget)> = desired
        .targets
        .iter()
        .filter_map(|(k, d)| Some((resolve(k, live)?, (k, d))))
        .collect();
    let mut out = BTreeMap::new();
    for key in keys {
        let access = if key.role.0 == "owner" {
            GroupAccess::Owner
        } else {
            GroupAccess::Member
        };
        let d = declared.get(key);
        let name = live
            .group(&key.scope)
            .and_then(|g| g.display_name.clone())
            .or_else(|| {
                live.principal(&key.scope)
                    .and_then(|p| p.display_name.clone())
            })
            .or_else(|| {
                d.and_then(|(_, d)| match &d.target {
                    TargetRef::Group { group, .. } => Some(group.clone()),
                    TargetRef::DirectoryRole(_) | TargetRef::AzureRole { .. } => None,
                })
            })
            .unwrap_or_else(|| key.scope.clone());
        let assignments = index
            .assignments(key)
            .filter(|a| a.is_direct())
            .map(|a| AssignmentView {
                principal: principal(&a.principal_id),
                kind: a.kind,
                until: a.end,
                outside_pim: false,
                origin: None,
            })
            .collect();
        out.insert(
            key.clone(),
            RoleView {
                key: key.role.clone(),
                target: key.clone(),
                name: format!("{name} ({})", access.as_str()),
                template_id: None,
                privileged: false,
                declared: d.is_some(),
                policy: live
                    .policies
                    .get(key)
                    .map(|p| p.settings.clone())
                    .unwrap_or_default(),
                assignments,
                activations: index.activations(key),
                access_review: None,
                origin: d.map(|(_, d)| d.origin.clone()),
                origins: d
                    .and_then(|(k, _)| desired.setting_origins.get(*k))
                    .cloned()
                    .unwrap_or_default(),
                group: Some(GroupFacts {
                    access,
                    name,
                    id: Some(key.scope.clone()),
                    grants: Vec::new(),
                }),
            },
        );
    }
    out
}

/// Records on each group block the directory roles its group holds in the view.
pub(super) fn link_grants(view: &mut View) {
    let held: Vec<(&PrincipalView, Grant)> = view
        .roles
        .values()
        .flat_map(|r| {
            r.assignments
                .iter()
                .filter(|a| a.principal.kind == PrincipalKind::Group)
                .map(move |a| {
                    (
                        &a.principal,
                        Grant {
                            role: r.key.clone(),
                            role_name: r.name.clone(),
                            kind: a.kind,
                            until: a.until,
                            tier0: super::rules::is_tier0(r),
                            sensitive: super::rules::is_sensitive(r),
                        },
                    )
                })
        })
        .collect();
    let mut grants: BTreeMap<TargetKey, Vec<Grant>> = BTreeMap::new();
    for (key, block) in &view.groups {
        let Some(facts) = &block.group else { continue };
        grants.insert(
            key.clone(),
            held.iter()
                .filter(|(p, _)| facts.is(p))
                .map(|(_, g)| g.clone())
                .collect(),
        );
    }
    for (key, g) in grants {
        if let Some(facts) = view.groups.get_mut(&key).and_then(|b| b.group.as_mut()) {
            facts.grants = g;
        }
    }
}

/// How someone holds a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Assigned to them.
    Direct,
    /// A member of the assigned group (read from the tenant, or eligible or active in its member block).
    Member { group: String },
    /// An owner of the assigned group, who can make themselves a member.
    Owner { group: String },
    /// The group itself, whose members are unknown (the declaration alone, no member block).
    Unexpanded,
}

/// Someone who holds a role through an assignment.
#[derive(Debug, Clone)]
pub struct Holder<'a> {
    pub principal: &'a PrincipalView,
    pub via: Via,
}

impl View {
    /// Every target: directory roles, then group blocks.
    pub fn targets(&self) -> impl Iterator<Item = &RoleView> {
        self.roles.values().chain(self.groups.values())
    }

    /// The group blocks of the group an assignment's principal is (none for a user or service principal).
    pub fn blocks_of<'a>(
        &'a self,
        p: &'a PrincipalView,
    ) -> impl Iterator<Item = &'a RoleView> + 'a {
        self.groups
            .values()
            .filter(move |b| b.group.as_ref().is_some_and(|f| f.is(p)))
    }

    /// The people who hold a role through one of its assignments: its principal, or, for a group, the members read
    /// from the tenant, the eligible and active members of its member block, and the eligible and active owners of
    /// its owner block (each once, as a member before as an owner). A group whose members are unknown holds it
    /// itself ([`Via::Unexpanded`]).
    pub fn holders<'a>(&'a self, a: &'a AssignmentView) -> Vec<Holder<'a>> {
        if a.principal.kind != PrincipalKind::Group {
            return vec![Holder {
                principal: &a.principal,
                via: Via::Direct,
            }];
        }
        let group = a.principal.label.clone();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut push = |p: &'a PrincipalView, via: Via| {
            if seen.insert(p.key()) {
                out.push(Holder { principal: p, via });
            }
        };
        let mut known = a.principal.members.is_some();
        for m in a.principal.members.iter().flatten() {
            push(
                m,
                Via::Member {
                    group: group.clone(),
                },
            );
        }
        let mut blocks: Vec<&RoleView> = self.blocks_of(&a.principal).collect();
        // Members first, so that someone who is both is counted as a member.
        blocks.sort_by_key(|b| b.group.as_ref().map(|f| f.access));
        for b in blocks {
            let Some(f) = &b.group else { continue };
            if f.access == GroupAccess::Member {
                known = true;
            }
            for x in &b.assignments {
                let via = match f.access {
                    GroupAccess::Member => Via::Member {
                        group: group.clone(),
                    },
                    GroupAccess::Owner => Via::Owner {
                        group: group.clone(),
                    },
                };
                push(&x.principal, via);
            }
        }
        if !known {
            push(&a.principal, Via::Unexpanded);
        }
        out
    }
}
