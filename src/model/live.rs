//! The live state: what the tenant holds, as read by `observe`, in the same natural keys as the desired state.
//!
//! Object ids (policy ids, schedule ids) are kept only to act on and to fingerprint; nothing is keyed by them.

use super::{AssignmentKind, PolicySettings, PrincipalKind, PrincipalRef, RoleKey, TargetKey};
use crate::graph::policy::PolicyRule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A directory object that holds or approves a role, as far as the tenant named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePrincipal {
    pub id: String,
    pub kind: PrincipalKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Users only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Service principals only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Users only: `Member` or `Guest`, when the tenant said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Users only: `true` when synchronized from on-premises, when the tenant said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_sync_enabled: Option<bool>,
}

impl LivePrincipal {
    /// How people know it: a user's UPN, else the display name, else the object id.
    pub fn label(&self) -> &str {
        self.user_principal_name
            .as_deref()
            .or(self.display_name.as_deref())
            .unwrap_or(&self.id)
    }

    /// Whether a declared principal names this object (by object id, UPN, display name or appId, as its kind allows).
    pub fn answers_to(&self, p: &PrincipalRef) -> bool {
        if p.kind != self.kind {
            return false;
        }
        let eq = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&p.name))
        };
        p.name.eq_ignore_ascii_case(&self.id)
            || match self.kind {
                PrincipalKind::User => eq(&self.user_principal_name),
                PrincipalKind::Group => eq(&self.display_name),
                PrincipalKind::ServicePrincipal => eq(&self.app_id) || eq(&self.display_name),
            }
    }
}

/// What a declared principal turned out to be in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// Exactly one object: its id.
    Found { id: String },
    /// No such object.
    Missing,
    /// Several objects answer to the name (group and service principal display names are not unique).
    Ambiguous { candidates: Vec<LivePrincipal> },
}

/// A group that a declared group target names, as the tenant has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveGroup {
    /// The object id as Graph spells it.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `isAssignableToRole`: only such a group can hold a Microsoft Entra role, and only Global and Privileged Role
    /// Administrators (and its owners) can change its membership outside PIM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_assignable_to_role: Option<bool>,
}

impl LiveGroup {
    /// Its display name, else its id.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }
}

/// What a declared group (by display name or object id) turned out to be in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GroupResolution {
    Found {
        group: LiveGroup,
    },
    /// No group has that name or id.
    Missing,
    /// Several groups share the display name.
    Ambiguous {
        candidates: Vec<LiveGroup>,
    },
}

/// A subscription or management group as its list names it: its display name and id (a subscription's GUID, a
/// management group's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmNamed {
    pub display_name: String,
    pub id: String,
}

/// What a subscription or management group declared by display name turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ScopeResolution {
    Found {
        object: ArmNamed,
    },
    /// Nothing the caller can read has that display name.
    Missing,
    /// Several share it.
    Ambiguous {
        candidates: Vec<ArmNamed>,
    },
}

/// A custom Azure role as ARM's role definition list gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCustomRole {
    /// The role definition GUID, lower-case.
    pub id: String,
    pub name: String,
    /// ARM paths, as the role definition lists them.
    pub assignable_scopes: Vec<String>,
}

/// What a custom Azure role declared by name turned out to be at its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CustomRoleResolution {
    Found {
        role: ArmCustomRole,
    },
    /// No custom role the caller can read has that name.
    Missing,
    /// Several custom roles have it.
    Ambiguous {
        candidates: Vec<ArmCustomRole>,
    },
    /// One custom role has it, and it is not assignable at the declared scope.
    NotAssignable {
        role: ArmCustomRole,
    },
}

/// The key of a custom role declared by name at a scope in [`LiveState::azure_custom_roles`].
pub fn custom_role_key(scope: &crate::graph::arm::ArmScope, role: &RoleKey) -> String {
    format!("{} {}", scope.key(), role.0)
}

/// A role definition in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRole {
    /// The role definition id (for built-in roles, the template id), lower-cased: the role's natural key.
    pub key: RoleKey,
    /// The id exactly as Graph spells it, for requests.
    pub id: String,
    pub display_name: String,
    pub is_built_in: bool,
    /// Microsoft's PRIVILEGED label (from the catalogue; custom roles count as not privileged).
    pub is_privileged: bool,
}

/// A target's management policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePolicy {
    pub id: String,
    /// The rules exactly as read: the base of every update.
    pub rules: Vec<PolicyRule>,
    /// The rules read into the model.
    pub settings: PolicySettings,
}

/// An assignment schedule (eligible or active) made by an administrator. Activations are not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAssignment {
    pub target: TargetKey,
    pub principal_id: String,
    pub kind: AssignmentKind,
    /// The schedule id, to act on and to fingerprint; never a key.
    pub schedule_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// `None`: permanent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// `Direct`, `Group` or `Inherited`; only direct assignments are managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_type: Option<String>,
    /// An Azure role assignment's ABAC condition as ARM holds it (`condition`, `conditionVersion`): compared with
    /// the declared one, and carried into every write that would otherwise drop it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<super::AbacCondition>,
}

/// A just-in-time activation in effect: an eligible member holds the role until `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveActivation {
    pub target: TargetKey,
    pub principal_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
}

/// An access review definition of a target, as read (`identityGovernance/accessReviews/definitions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveReview {
    /// What its scope reviews.
    pub target: TargetKey,
    /// The definition id, to act on and to fingerprint; never a key.
    pub id: String,
    pub definition: crate::graph::review::AccessReviewScheduleDefinition,
}

/// What the last ended instance of a live review held: whether anyone answered it (`lint --live`, PIM070). A plan
/// never reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewActivity {
    /// What the review reviews.
    pub target: TargetKey,
    /// The definition's id and display name.
    pub definition: String,
    pub name: String,
    /// The instance's id, and when it ended.
    pub instance: String,
    pub ended: DateTime<Utc>,
    /// Its decision items: one per principal it reviewed.
    pub decisions: usize,
    /// Those a reviewer decided: neither `NotReviewed` nor the default decision the service applied itself.
    pub answered: usize,
}

impl ReviewActivity {
    /// Someone was to be reviewed and nobody answered.
    pub fn unanswered(&self) -> bool {
        self.decisions > 0 && self.answered == 0
    }
}

/// Everything a plan is computed from on the tenant side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    /// When the tenant was read (the tenant's clock when it said, else the local one): the plan's "now".
    pub read_at: DateTime<Utc>,
    /// Where it was read from (the Graph root).
    pub source: String,
    /// The Azure Resource Manager root Azure resource roles were read from, when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_source: Option<String>,
    /// The tenant that was read (`observe::tenant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<super::Tenant>,
    /// Who read it, from the access token's claims; `None` when the token does not say (an opaque token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<super::Caller>,
    /// Role definitions by natural key.
    pub roles: BTreeMap<RoleKey, LiveRole>,
    /// Policies by the target they govern.
    #[serde(with = "super::target::by_target")]
    pub policies: BTreeMap<TargetKey, LivePolicy>,
    /// Targets whose policy the tenant returned but pimctl could not read (an unknown rule type, a duration it cannot
    /// parse), with the reason: reported, and left alone.
    #[serde(default, with = "super::target::by_target")]
    pub unreadable: BTreeMap<TargetKey, String>,
    /// Admin-made assignment schedules, sorted by (target, principal, kind).
    pub assignments: Vec<LiveAssignment>,
    /// Activations in effect, sorted.
    pub activations: Vec<LiveActivation>,
    /// Directory objects seen (expanded on schedules or looked up), by lower-cased object id.
    pub principals: BTreeMap<String, LivePrincipal>,
    /// What each declared principal (assignee, approver or reviewer) resolved to.
    pub resolved: BTreeMap<PrincipalRef, Resolution>,
    /// What each declared group resolved to, by the scope its targets are declared with (a lower-cased object id,
    /// or `name:<lower-cased display name>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, GroupResolution>,
    /// The access review definitions of PIM targets, sorted by (target, id); read only when some target declares
    /// `access_review` (see `reviews_read`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<LiveReview>,
    /// Whether the review definitions were read (a plan judges reviews only then).
    #[serde(default)]
    pub reviews_read: bool,
    /// The Azure scopes found below the scopes that fan out (`below:`), by key, each with the scope above it; listed
    /// by `observe::fanout`, reached by `model::fanout`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub azure_below: BTreeMap<String, super::fanout::ScopeBelow>,
    /// What each subscription or management group declared by display name resolved to, by its readable key
    /// (`subscription:contoso prod`, `management_group:contoso`: [`crate::graph::arm::NamedScope::root_key`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub azure_names: BTreeMap<String, ScopeResolution>,
    /// What each custom Azure role declared by name resolved to, by [`custom_role_key`] (its scope, resolved, and
    /// its `name:` key); and each role declared by id that is not built-in and has no policy at its scope (its key
    /// the role definition id).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub azure_custom_roles: BTreeMap<String, CustomRoleResolution>,
    /// The names of the custom Azure roles governed at each scope read, by [`custom_role_key`] (scope and role
    /// definition id): ARM's policy assignments name their role (`policyAssignmentProperties.roleDefinition`), so
    /// `import` writes custom roles by name at no request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub azure_custom_names: BTreeMap<String, String>,
}

impl LiveState {
    /// The object a principal id names, when the tenant said.
    pub fn principal(&self, id: &str) -> Option<&LivePrincipal> {
        // Ids are read lower-cased already: look up as given first, and lower-case only an id that needs it.
        self.principals.get(id).or_else(|| {
            id.chars()
                .any(char::is_uppercase)
                .then(|| self.principals.get(&id.to_lowercase()))
                .flatten()
        })
    }

    /// A principal id's label for people: UPN or display name when known, else the id.
    pub fn label<'a>(&'a self, id: &'a str) -> &'a str {
        self.principal(id).map_or(id, LivePrincipal::label)
    }

    /// The ARM scope of an Azure-role target: its path, or, for a scope declared by display name, the scope the
    /// tenant resolved the name to (none while it is missing or ambiguous).
    pub fn arm_scope_of(&self, key: &TargetKey) -> Option<crate::graph::arm::ArmScope> {
        if let Some(s) = key.arm_scope() {
            return Some(s);
        }
        if key.surface != super::Surface::AzureRole {
            return None;
        }
        let named = crate::graph::arm::NamedScope::parse(&key.scope)?.ok()?;
        match self.azure_names.get(&named.root_key())? {
            ScopeResolution::Found { object } => named.resolve(&object.id).ok(),
            _ => None,
        }
    }

    /// The target an Azure-role target stands for in the tenant: its scope as [`LiveState::arm_scope_of`] finds it,
    /// and a custom role declared by name as its role definition id (none while either is unresolved, or while a
    /// role declared by id was found missing or not assignable at the scope).
    pub fn arm_target_of(&self, key: &TargetKey) -> Option<TargetKey> {
        let scope = self.arm_scope_of(key)?;
        let by_name = key.role.0.starts_with("name:");
        if !by_name && self.azure_custom_roles.is_empty() {
            return Some(TargetKey::azure_role(&scope, key.role.clone()));
        }
        match self
            .azure_custom_roles
            .get(&custom_role_key(&scope, &key.role))
        {
            Some(CustomRoleResolution::Found { role }) => {
                Some(TargetKey::azure_role(&scope, RoleKey(role.id.clone())))
            }
            None if !by_name => Some(TargetKey::azure_role(&scope, key.role.clone())),
            _ => None,
        }
    }

    /// The group a declared group scope (`name:…` or an id) resolved to, when exactly one.
    /// A live group target's scope (an object id) finds the group too.
    pub fn group(&self, scope: &str) -> Option<&LiveGroup> {
        fn found(r: &GroupResolution) -> Option<&LiveGroup> {
            match r {
                GroupResolution::Found { group } => Some(group),
                _ => None,
            }
        }
        match self.groups.get(scope) {
            Some(r) => found(r),
            None => self
                .groups
                .values()
                .filter_map(found)
                .find(|g| g.id.eq_ignore_ascii_case(scope)),
        }
    }

    /// The object id a declared principal resolved to.
    pub fn id_of(&self, p: &PrincipalRef) -> Option<&str> {
        match self.resolved.get(p) {
            Some(Resolution::Found { id }) => Some(id),
            _ => None,
        }
    }

    /// Takes in what another reader read beside this one (a surface read concurrently): its objects are added, and
    /// what it says of a principal fills in only a principal this state does not know (Graph's lists expand the
    /// same fields of a principal, whichever names it). Call [`LiveState::normalize`] after the last.
    pub fn absorb(&mut self, part: LiveState) {
        let LiveState {
            read_at: _,
            source: _,
            arm_source,
            tenant: _,
            caller: _,
            roles,
            policies,
            unreadable,
            assignments,
            activations,
            principals,
            resolved,
            groups,
            reviews,
            reviews_read,
            azure_below,
            azure_names,
            azure_custom_roles,
            azure_custom_names,
        } = part;
        self.arm_source = self.arm_source.take().or(arm_source);
        self.roles.extend(roles);
        self.policies.extend(policies);
        self.unreadable.extend(unreadable);
        self.assignments.extend(assignments);
        self.activations.extend(activations);
        for (id, p) in principals {
            self.principals.entry(id).or_insert(p);
        }
        self.resolved.extend(resolved);
        self.groups.extend(groups);
        self.reviews.extend(reviews);
        self.reviews_read |= reviews_read;
        self.azure_below.extend(azure_below);
        self.azure_names.extend(azure_names);
        self.azure_custom_roles.extend(azure_custom_roles);
        self.azure_custom_names.extend(azure_custom_names);
    }

    /// Puts the collections in their canonical order (observe calls it; tests that build states may too).
    pub fn normalize(&mut self) {
        self.assignments.sort_by(|a, b| {
            (
                &a.target,
                a.principal_id.to_lowercase(),
                a.kind,
                &a.schedule_id,
            )
                .cmp(&(
                    &b.target,
                    b.principal_id.to_lowercase(),
                    b.kind,
                    &b.schedule_id,
                ))
        });
        self.activations.sort_by(|a, b| {
            (&a.target, a.principal_id.to_lowercase(), a.start).cmp(&(
                &b.target,
                b.principal_id.to_lowercase(),
                b.start,
            ))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_answer_to_the_names_their_kind_allows() {
        let sp = LivePrincipal {
            id: "11111111-1111-1111-1111-111111111111".into(),
            kind: PrincipalKind::ServicePrincipal,
            display_name: Some("Contoso Provisioning".into()),
            user_principal_name: None,
            app_id: Some("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()),
            user_type: None,
            on_premises_sync_enabled: None,
        };
        let by = |k, n: &str| sp.answers_to(&PrincipalRef::new(k, n));
        assert!(by(PrincipalKind::ServicePrincipal, "contoso provisioning"));
        assert!(by(
            PrincipalKind::ServicePrincipal,
            "7A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
        ));
        assert!(by(
            PrincipalKind::ServicePrincipal,
            "11111111-1111-1111-1111-111111111111"
        ));
        assert!(!by(PrincipalKind::Group, "Contoso Provisioning"));
        assert_eq!(sp.label(), "Contoso Provisioning");
    }
}
