//! The one input every rule reads: a [`View`] of the posture, built from the declaration, from the tenant as read,
//! or from the tenant as the declaration would leave it (what `apply` would make of it).
//!
//! A rule never asks which half it is looking at, except through [`Half`] to word a message; it sees roles with
//! their policy settings, assignments with their principals, and the protected (break-glass) principals.

pub use super::groups::{Grant, GroupFacts};
use crate::catalog;
use crate::model::{
    AccessReview, AssignmentKind, DesiredState, LiveIndex, LivePrincipal, LiveState, Origin,
    PolicySettings, PrincipalKind, PrincipalRef, ReviewActivity, RoleKey, RoleRef, SettingOrigins,
    TargetKey, TargetRef,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Which posture a view describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Half {
    /// The YAML alone.
    Declared,
    /// The tenant as read.
    Live,
    /// The tenant after the declaration is applied (used to tell whether the YAML would fix a live finding).
    After,
}

/// A principal as far as the view knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalView {
    pub kind: PrincipalKind,
    /// How people know it: UPN, display name, or the name as declared.
    pub label: String,
    /// The object id, when the tenant said.
    pub id: Option<String>,
    /// The name as declared, when declared.
    pub declared: Option<PrincipalRef>,
    pub user_type: Option<String>,
    pub synced: Option<bool>,
    /// A group's members, when read (role-assignable groups cannot nest groups, so members are users and service
    /// principals).
    pub members: Option<Vec<PrincipalView>>,
}

impl PrincipalView {
    fn from_declared(p: &PrincipalRef) -> Self {
        Self {
            kind: p.kind,
            label: p.name.clone(),
            id: p.is_object_id().then(|| p.name.to_lowercase()),
            declared: Some(p.clone()),
            user_type: None,
            synced: None,
            members: None,
        }
    }

    fn from_live(p: &LivePrincipal, members: Option<Vec<PrincipalView>>) -> Self {
        Self {
            kind: p.kind,
            label: p.label().to_string(),
            id: Some(p.id.to_lowercase()),
            declared: None,
            user_type: p.user_type.clone(),
            synced: p.on_premises_sync_enabled,
            members,
        }
    }

    /// The identity used to compare findings across views: the object id when known, else kind and name.
    pub fn key(&self) -> String {
        self.key_str().into_owned()
    }

    /// [`PrincipalView::key`], borrowed when it is the object id (it is, once the tenant resolved the principal):
    /// the views compare keys per assignment.
    fn key_str(&self) -> std::borrow::Cow<'_, str> {
        match &self.id {
            Some(id) => std::borrow::Cow::Borrowed(id),
            None => format!("{}:{}", self.kind, self.label.to_lowercase()).into(),
        }
    }

    /// The user principal name, for users named by one.
    pub fn upn(&self) -> Option<&str> {
        (self.kind == PrincipalKind::User && self.label.contains('@')).then_some(&self.label)
    }

    /// Whether a declared principal names this one (by declared name, label or object id).
    pub fn answers_to(&self, p: &PrincipalRef) -> bool {
        p.kind == self.kind
            && (self.declared.as_ref() == Some(p)
                || p.name.eq_ignore_ascii_case(&self.label)
                || self
                    .id
                    .as_deref()
                    .is_some_and(|id| p.name.eq_ignore_ascii_case(id)))
    }
}

/// One assignment.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub principal: PrincipalView,
    pub kind: AssignmentKind,
    /// `None`: permanent.
    pub until: Option<DateTime<Utc>>,
    /// Made outside PIM (no PIM start time), live only.
    pub outside_pim: bool,
    /// Where it is declared, when it is.
    pub origin: Option<Origin>,
}

/// One target: a directory role, or a group's member or owner block (then [`RoleView::group`] says which group and
/// what it grants).
#[derive(Debug, Clone)]
pub struct RoleView {
    /// The role definition for a directory role; `member` or `owner` for a group block.
    pub key: RoleKey,
    /// The target: what findings are keyed by.
    pub target: TargetKey,
    pub name: String,
    pub template_id: Option<String>,
    /// Microsoft's PRIVILEGED label.
    pub privileged: bool,
    /// Whether the declaration manages the role.
    pub declared: bool,
    pub policy: PolicySettings,
    pub assignments: Vec<AssignmentView>,
    /// Activations in effect (live only).
    pub activations: usize,
    pub access_review: Option<AccessReview>,
    /// The role's declaration, and where each of its settings was written.
    pub origin: Option<Origin>,
    pub origins: SettingOrigins,
    /// For a group block: the group and the directory roles it holds.
    pub group: Option<GroupFacts>,
}

impl RoleView {
    /// Whether the role is the built-in role with this template id.
    pub fn is(&self, template_id: &str) -> bool {
        self.template_id
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(template_id))
    }

    /// Where a setting was written: the setting, else its nearest written parent, else the role's `template:`,
    /// else the role itself.
    pub fn origin_of(&self, setting: &str) -> Option<&Origin> {
        let mut path = setting;
        loop {
            if let Some(o) = self.origins.get(path) {
                return Some(o);
            }
            match path.rfind('.') {
                Some(i) => path = &path[..i],
                None => break,
            }
        }
        self.origins.get("template").or(self.origin.as_ref())
    }

    pub fn assignments(&self, kind: AssignmentKind) -> impl Iterator<Item = &AssignmentView> {
        self.assignments.iter().filter(move |a| a.kind == kind)
    }
}

/// A protected (break-glass) principal.
#[derive(Debug, Clone)]
pub struct ProtectedView {
    pub principal: PrincipalView,
    pub origin: Origin,
}

/// The posture a rule reads.
#[derive(Debug, Clone)]
pub struct View {
    pub half: Half,
    pub roles: BTreeMap<RoleKey, RoleView>,
    /// Group blocks (PIM for Groups), by target: declared ones by their declared key, live ones by group id.
    pub groups: BTreeMap<TargetKey, RoleView>,
    /// Azure resource roles, by target (a role at an ARM scope): declared ones, and on the tenant's halves those read
    /// through ARM (the declared scopes' policies, and the assignments held at them or in their subscriptions).
    pub azure: BTreeMap<TargetKey, RoleView>,
    pub protected: Vec<ProtectedView>,
    /// "Now": the load's clock, or the tenant's read time.
    pub now: DateTime<Utc>,
    /// The licence PIM depends on (PIM099), on the tenant's halves when the subscriptions were read.
    pub licences: Option<super::licence::LicenceFacts>,
    /// On the tenant's halves, when its access reviews were read: the targets that have one (whether or not the
    /// language can say what it does, so `access_review` may be `None` for them). `None`: not known.
    pub reviewed: Option<std::collections::BTreeSet<TargetKey>>,
    /// On the tenant's halves: what each review's last ended instance held (PIM070), when it was read.
    pub review_activity: Vec<ReviewActivity>,
}

impl View {
    /// The role with this template id, if the view has it.
    pub fn role(&self, template_id: &str) -> Option<&RoleView> {
        self.roles.get(&RoleKey(template_id.to_lowercase()))
    }

    pub fn is_protected(&self, p: &PrincipalView) -> bool {
        let key = p.key_str();
        self.protected.iter().any(|x| {
            x.principal.key_str() == key
                || p.declared
                    .as_ref()
                    .is_some_and(|d| x.principal.answers_to(d))
        })
    }
}

fn template_id(role: &RoleRef) -> Option<String> {
    match role {
        RoleRef::BuiltIn { template_id, .. } => Some(template_id.to_lowercase()),
        _ => None,
    }
}

fn privileged(template_id: Option<&str>) -> bool {
    template_id
        .and_then(catalog::by_template_id)
        .is_some_and(|r| r.is_privileged)
}

/// The declaration alone.
pub fn declared(desired: &DesiredState, now: DateTime<Utc>) -> View {
    let mut roles = BTreeMap::new();
    let mut groups = BTreeMap::new();
    let mut azure = BTreeMap::new();
    for (target, r) in &desired.targets {
        let tid = r.target.role().and_then(template_id);
        let mut assignments = Vec::new();
        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            for a in r.assignments(kind).unwrap_or_default() {
                assignments.push(AssignmentView {
                    principal: PrincipalView::from_declared(&a.principal),
                    kind,
                    until: a.until,
                    outside_pim: false,
                    origin: Some(a.origin.clone()),
                });
            }
        }
        let view = RoleView {
            key: target.role.clone(),
            target: target.clone(),
            name: r.target.describe(),
            privileged: privileged(tid.as_deref()),
            template_id: tid,
            declared: true,
            policy: r.policy.clone(),
            assignments,
            activations: 0,
            access_review: r.access_review.clone(),
            origin: Some(r.origin.clone()),
            origins: desired
                .setting_origins
                .get(target)
                .cloned()
                .unwrap_or_default(),
            group: super::groups::declared_facts(&r.target),
        };
        match r.target {
            TargetRef::DirectoryRole(_) => roles.insert(target.role.clone(), view),
            TargetRef::Group { .. } => groups.insert(target.clone(), view),
            TargetRef::AzureRole { .. } => azure.insert(
                target.clone(),
                RoleView {
                    privileged: azure_privileged(&target.role),
                    ..view
                },
            ),
        };
    }
    let mut view = View {
        half: Half::Declared,
        licences: None,
        reviewed: None,
        review_activity: vec![],
        roles,
        groups,
        azure,
        protected: desired
            .protected
            .iter()
            .map(|p| ProtectedView {
                principal: PrincipalView::from_declared(&p.principal),
                origin: p.origin.clone(),
            })
            .collect(),
        now,
    };
    super::groups::link_grants(&mut view);
    view
}

/// The tenant's group members read for the linter, by lower-cased group id.
pub type Members = BTreeMap<String, Vec<LivePrincipal>>;

struct Lookup<'a> {
    live: &'a LiveState,
    members: &'a Members,
}

impl Lookup<'_> {
    fn by_id(&self, id: &str) -> PrincipalView {
        let group = self.members.get(id).or_else(|| {
            id.chars()
                .any(char::is_uppercase)
                .then(|| self.members.get(&id.to_lowercase()))
                .flatten()
        });
        let members = group.map(|ms| {
            ms.iter()
                .map(|m| PrincipalView::from_live(m, None))
                .collect()
        });
        match self.live.principal(id) {
            Some(p) => PrincipalView::from_live(p, members),
            None => PrincipalView {
                kind: PrincipalKind::User,
                label: id.to_string(),
                id: Some(id.to_lowercase()),
                declared: None,
                user_type: None,
                synced: None,
                members,
            },
        }
    }

    /// A declared principal, as the tenant knows it when it resolved.
    fn declared(&self, p: &PrincipalRef) -> PrincipalView {
        match self.live.id_of(p) {
            Some(id) => {
                let mut v = self.by_id(id);
                v.declared = Some(p.clone());
                v
            }
            None => PrincipalView::from_declared(p),
        }
    }
}

/// The tenant as read. Roles the declaration manages carry its origins, so live findings point at the YAML that
/// governs them.
pub fn live(
    desired: &DesiredState,
    live: &LiveState,
    index: &LiveIndex<'_>,
    members: &Members,
) -> View {
    let look = Lookup { live, members };
    // The activations of each role, whatever the scope, in one pass (a large tenant has thousands).
    let mut activations: BTreeMap<&RoleKey, usize> = BTreeMap::new();
    for a in &live.activations {
        if let Some(role) = a.target.role_definition() {
            *activations.entry(role).or_default() += 1;
        }
    }
    let mut roles = BTreeMap::new();
    for (key, r) in &live.roles {
        let tid = r.is_built_in.then(|| r.id.to_lowercase());
        let target = TargetKey::directory_role(key.clone());
        let d = desired.targets.get(&target);
        let assignments = index
            .assignments(&target)
            .filter(|a| a.is_direct())
            .map(|a| AssignmentView {
                principal: look.by_id(&a.principal_id),
                kind: a.kind,
                until: a.end,
                outside_pim: a.kind == AssignmentKind::Active && a.start.is_none(),
                origin: None,
            })
            .collect();
        roles.insert(
            key.clone(),
            RoleView {
                key: key.clone(),
                target: target.clone(),
                name: r.display_name.clone(),
                privileged: r.is_privileged,
                template_id: tid,
                declared: d.is_some(),
                policy: live
                    .policies
                    .get(&target)
                    .map(|p| p.settings.clone())
                    .unwrap_or_default(),
                assignments,
                activations: activations.get(key).copied().unwrap_or(0),
                access_review: None,
                origin: d.map(|d| d.origin.clone()),
                origins: desired
                    .setting_origins
                    .get(&target)
                    .cloned()
                    .unwrap_or_default(),
                group: None,
            },
        );
    }
    let mut view = View {
        half: Half::Live,
        licences: None,
        reviewed: live
            .reviews_read
            .then(|| live.reviews.iter().map(|r| r.target.clone()).collect()),
        review_activity: vec![],
        roles,
        groups: BTreeMap::new(),
        azure: live_azure(desired, live, index, &look),
        protected: protected(desired, &look),
        now: live.read_at,
    };
    view.groups = super::groups::live_blocks(desired, live, index, &|id| look.by_id(id));
    // Each target's review as the language would declare it (the first the language can say exactly).
    for role in view.roles.values_mut().chain(view.groups.values_mut()) {
        role.access_review = live
            .reviews
            .iter()
            .filter(|r| r.target == role.target)
            .find_map(|r| crate::observe::reviews::observed_review(&r.definition).ok());
    }
    super::groups::link_grants(&mut view);
    view
}

/// The tenant once the declaration is applied: declared settings over the live ones, declared assignment kinds
/// replacing the live ones, the rest as read. Plan's own semantics, without its operations.
pub fn after(
    desired: &DesiredState,
    live_state: &LiveState,
    index: &LiveIndex<'_>,
    members: &Members,
) -> View {
    applied(
        desired,
        live(desired, live_state, index, members),
        live_state,
        members,
    )
}

/// [`after`], from the view of the tenant as read ([`live`]'s, of the same state and members), which it consumes: a
/// caller done with that view saves building it again, and holding two (BENCHMARKS.md §4b).
pub fn applied(
    desired: &DesiredState,
    mut view: View,
    live_state: &LiveState,
    members: &Members,
) -> View {
    let look = Lookup {
        live: live_state,
        members,
    };
    view.half = Half::After;
    for (target, d) in &desired.targets {
        let tid = d.target.role().and_then(template_id);
        // Where the target sits in the view: a role by its definition, a group block by the group's id once the
        // tenant resolved it (else by its declared key).
        let live_key = match d.target {
            TargetRef::DirectoryRole(_) => None,
            TargetRef::Group { .. } => {
                Some(super::groups::resolve(target, live_state).unwrap_or_else(|| target.clone()))
            }
            // An Azure scope or custom role declared by name sits where the tenant resolved it.
            TargetRef::AzureRole { .. } => Some(
                live_state
                    .arm_target_of(target)
                    .unwrap_or_else(|| target.clone()),
            ),
        };
        let azure = matches!(d.target, TargetRef::AzureRole { .. });
        // Taken out, changed and put back under the same key.
        let base = match &live_key {
            None => view.roles.remove(&target.role),
            Some(k) if azure => view.azure.remove(k),
            Some(k) => view.groups.remove(k),
        };
        let mut role = base.unwrap_or_else(|| RoleView {
            key: target.role.clone(),
            target: live_key.clone().unwrap_or_else(|| target.clone()),
            name: d.target.describe(),
            privileged: privileged(tid.as_deref()),
            template_id: tid,
            declared: true,
            policy: PolicySettings::default(),
            assignments: Vec::new(),
            activations: 0,
            access_review: None,
            origin: Some(d.origin.clone()),
            origins: desired
                .setting_origins
                .get(target)
                .cloned()
                .unwrap_or_default(),
            group: super::groups::declared_facts(&d.target),
        });
        if azure {
            role.privileged = azure_privileged(&target.role);
            role.name = d.target.describe();
        }
        role.declared = true;
        role.origin = Some(d.origin.clone());
        if let Some(o) = desired.setting_origins.get(target) {
            role.origins = o.clone();
        }
        role.policy = d.policy.merge_over(&role.policy);
        // A declared review replaces the tenant's; `access_review: none` removes it; saying nothing leaves it.
        if d.access_review.is_some() || d.no_access_review.is_some() {
            role.access_review = d.access_review.clone();
            if let Some(reviewed) = &mut view.reviewed {
                if d.access_review.is_some() {
                    reviewed.insert(role.target.clone());
                } else {
                    reviewed.remove(&role.target);
                }
            }
        }
        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            let Some(list) = d.assignments(kind) else {
                continue;
            };
            // Made outside PIM, by principal: an assignment that exists already is left as it is (plan changes at
            // most its end date).
            let outside: BTreeMap<std::borrow::Cow<'_, str>, bool> = role
                .assignments
                .iter()
                .filter(|a| a.kind == kind)
                .map(|a| (a.principal.key_str(), a.outside_pim))
                .collect();
            let declared: Vec<AssignmentView> = list
                .iter()
                .map(|a| {
                    let principal = look.declared(&a.principal);
                    AssignmentView {
                        outside_pim: outside.get(&principal.key_str()).copied().unwrap_or(false),
                        principal,
                        kind,
                        until: a.until,
                        origin: Some(a.origin.clone()),
                    }
                })
                .collect();
            drop(outside);
            let declared_keys: std::collections::BTreeSet<std::borrow::Cow<'_, str>> =
                declared.iter().map(|a| a.principal.key_str()).collect();
            // Protected principals are never removed or downgraded: their live assignments stay, unless declared.
            role.assignments.retain(|a| {
                a.kind != kind
                    || (view.is_protected(&a.principal)
                        && !declared_keys.contains(&a.principal.key_str()))
            });
            drop(declared_keys);
            role.assignments.extend(declared);
        }
        match live_key {
            None => view.roles.insert(target.role.clone(), role),
            Some(k) if azure => view.azure.insert(k, role),
            Some(k) => view.groups.insert(k, role),
        };
    }
    super::groups::link_grants(&mut view);
    view
}

fn protected(desired: &DesiredState, look: &Lookup) -> Vec<ProtectedView> {
    desired
        .protected
        .iter()
        .map(|p| ProtectedView {
            principal: look.declared(&p.principal),
            origin: p.origin.clone(),
        })
        .collect()
}

/// Whether an Azure role is privileged: Microsoft's "privileged" category of the built-in Azure roles.
fn azure_privileged(role: &RoleKey) -> bool {
    crate::azure_catalog::lookup(&role.0).is_some_and(|b| b.privileged)
}

/// The Azure roles as read: each target that has a policy read at a declared scope, or a direct assignment held at
/// its scope (an assignment held above a declared scope is recorded where it is held, and its inherited copies are
/// left out). Declared targets carry the YAML's name and origins.
fn live_azure(
    desired: &DesiredState,
    live: &LiveState,
    index: &LiveIndex<'_>,
    look: &Lookup<'_>,
) -> BTreeMap<TargetKey, RoleView> {
    use crate::model::Surface;
    let mut out: BTreeMap<TargetKey, RoleView> = BTreeMap::new();
    let blank = |target: &TargetKey| {
        let d = desired.targets.get(target);
        // An undeclared target is named from the catalogue and its scope (most of the tenant's are undeclared).
        let named = || {
            let role = crate::azure_catalog::lookup(&target.role.0)
                .map_or_else(|| target.role.0.clone(), |b| b.display_name.clone());
            let scope = target
                .arm_scope()
                .map_or_else(|| target.scope.clone(), |s| s.path());
            format!("{role} @ {scope}")
        };
        RoleView {
            key: target.role.clone(),
            target: target.clone(),
            name: d.map_or_else(named, |d| d.target.describe()),
            template_id: d.and_then(|d| d.target.role().and_then(template_id)),
            privileged: azure_privileged(&target.role),
            declared: d.is_some(),
            policy: live
                .policies
                .get(target)
                .map(|p| p.settings.clone())
                .unwrap_or_default(),
            assignments: Vec::new(),
            activations: 0,
            access_review: None,
            origin: d.map(|d| d.origin.clone()),
            origins: desired
                .setting_origins
                .get(target)
                .cloned()
                .unwrap_or_default(),
            group: None,
        }
    };
    for target in live
        .policies
        .keys()
        .filter(|t| t.surface == Surface::AzureRole)
    {
        out.insert(target.clone(), blank(target));
    }
    for target in index.targets().filter(|t| t.surface == Surface::AzureRole) {
        for a in index.assignments(target).filter(|a| {
            !a.member_type
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("Inherited"))
        }) {
            out.entry(target.clone())
                .or_insert_with(|| blank(target))
                .assignments
                .push(AssignmentView {
                    principal: look.by_id(&a.principal_id),
                    kind: a.kind,
                    until: a.end,
                    outside_pim: a.kind == AssignmentKind::Active && a.start.is_none(),
                    origin: None,
                });
        }
    }
    for (target, r) in &mut out {
        r.activations = index.activations(target);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveAssignment, LiveRole, Resolution};

    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

    fn user(id: &str, upn: &str) -> LivePrincipal {
        LivePrincipal {
            id: id.into(),
            kind: PrincipalKind::User,
            display_name: None,
            user_principal_name: Some(upn.into()),
            app_id: None,
            user_type: Some("Member".into()),
            on_premises_sync_enabled: None,
        }
    }

    fn active(id: &str) -> LiveAssignment {
        LiveAssignment {
            target: TargetKey::directory_role(RoleKey(GA.into())),
            principal_id: id.into(),
            kind: AssignmentKind::Active,
            schedule_id: format!("s-{id}"),
            start: None,
            end: None,
            member_type: Some("Direct".into()),
            condition: None,
        }
    }

    #[test]
    fn the_after_view_replaces_declared_kinds_but_keeps_protected_principals() {
        let text = "version: pimctl/v1\nprotected:\n  - user: bg@contoso.onmicrosoft.com\ndirectory_roles:\n  Global Administrator:\n    active:\n      - user: alice@contoso.com\n        until: 2027-01-01\n";
        let d = crate::language::load_str("t.yaml", text, &Default::default())
            .ok()
            .unwrap();
        let mut live = LiveState::default();
        live.roles.insert(
            RoleKey(GA.into()),
            LiveRole {
                key: RoleKey(GA.into()),
                id: GA.into(),
                display_name: "Global Administrator".into(),
                is_built_in: true,
                is_privileged: true,
            },
        );
        for (id, upn) in [
            ("b", "bg@contoso.onmicrosoft.com"),
            ("y", "yusuf@contoso.com"),
            ("a", "alice@contoso.com"),
        ] {
            live.principals.insert(id.into(), user(id, upn));
            live.resolved.insert(
                PrincipalRef::new(PrincipalKind::User, upn),
                Resolution::Found { id: id.into() },
            );
        }
        live.assignments = vec![active("b"), active("y")];
        let members = Members::new();
        let before = super::live(&d, &live, &LiveIndex::new(&live), &members);
        let ga = before.role(GA).unwrap();
        let ids = |r: &RoleView| {
            let mut v: Vec<String> = r.assignments.iter().map(|a| a.principal.key()).collect();
            v.sort();
            v
        };
        assert_eq!(ids(ga), ["b", "y"]);
        assert!(
            ga.assignments.iter().all(|a| a.outside_pim),
            "no start: made outside PIM"
        );
        let after = super::after(&d, &live, &LiveIndex::new(&live), &members);
        let ga = after.role(GA).unwrap();
        // Yusuf is removed, Alice created (with her end date), the protected account kept.
        assert_eq!(ids(ga), ["a", "b"]);
        let alice = ga
            .assignments
            .iter()
            .find(|a| a.principal.key() == "a")
            .unwrap();
        assert!(alice.until.is_some() && !alice.outside_pim && alice.origin.is_some());
        assert!(
            after.is_protected(
                &ga.assignments
                    .iter()
                    .find(|a| a.principal.key() == "b")
                    .unwrap()
                    .principal
            )
        );
    }

    #[test]
    fn a_setting_is_located_at_itself_else_its_parent_else_the_template_key() {
        let text = "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    template: builtin:tier2\n    activation:\n      max_duration: 1h\n";
        let loaded = crate::language::load_str("t.yaml", text, &Default::default());
        let v = declared(&loaded.state, chrono::Utc::now());
        let ga = v.role(GA).unwrap();
        let line = |s: &str| ga.origin_of(s).map(|o| o.line);
        assert_eq!(line("activation.max_duration"), Some(6));
        assert_eq!(
            line("activation.require"),
            Some(5),
            "the role's `activation:`"
        );
        assert_eq!(
            line("notifications.activated.admin.recipients"),
            Some(4),
            "`template:`"
        );
    }
}
