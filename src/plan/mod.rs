//! Plan: a pure function of (desired, live).
//!
//! [`build`] compares the desired state with the live state and returns a [`Plan`]: every change keyed by natural
//! keys (role + rule, or role + scope + principal + kind), with its reason, its posture effect and the exact Graph
//! operations that carry it out; information that is not a change (activations, protected principals kept,
//! unmanaged settings and roles, assignments about to expire); and errors that make the plan unusable (a principal
//! that does not exist, an assignment the tenant would refuse).
//!
//! No IO, no clock, no randomness: the same inputs give the same plan, byte for byte.

mod assignments;
mod dates;
mod fields;
pub mod fingerprint;
mod found_azure;
mod groups;
mod posture;
mod reports;
mod reviews;
mod rules;
pub mod wire;
pub mod wire_arm;

use crate::model::{
    AssignmentKind, DesiredState, LiveState, Origin, PrincipalKind, RoleKey, RuleId, TargetKey,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use dates::{ends_apart, same_instant, when};
pub use posture::{Effect, Posture};

/// The version of the saved-plan and `--format json` layout (docs/plan-format.md).
pub const FORMAT_VERSION: u32 = 4;

/// Options of a plan that are not part of either state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Assignments ending within this window are reported.
    pub expiring_within: chrono::Duration,
    /// The lint profile that decides which changes newly fail a rule (and so weaken posture).
    pub lint: crate::lint::Options,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            expiring_within: chrono::Duration::days(30),
            lint: crate::lint::Options::default(),
        }
    }
}

/// A plan: what would change, why, and what it was built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// A short digest of what the plan would do and what it read (its changes, fingerprints and declaration): two
    /// plans with the same id are the same plan. Apply names it in the justification it sends.
    #[serde(default)]
    pub id: String,
    /// The pimctl version that made the plan.
    pub tool_version: String,
    /// When the tenant was read; every date comparison in the plan uses this instant.
    pub read_at: DateTime<Utc>,
    /// The tenant the plan was made for: apply refuses the plan in any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<crate::model::Tenant>,
    /// The service roots the tenant was read from (Graph; ARM when Azure resource roles were read).
    pub endpoints: crate::model::Endpoints,
    /// `sha256:<hex>` of the desired state (every declared setting, assignment and origin).
    pub desired_digest: String,
    /// The policy files read.
    pub files: Vec<String>,
    /// The changes, in the order apply carries them out: a protected principal's assignment that only the current
    /// policy allows, then policy rules (an assignment may need the new policy), then creates, conversions and
    /// updates, then removals; by target name, then natural key, within each.
    pub changes: Vec<Change>,
    /// What is worth knowing but is not a change.
    pub notes: Vec<Note>,
    /// Why the plan cannot be applied. A plan with errors has no changes.
    pub errors: Vec<PlanError>,
    pub summary: Summary,
    /// `object → sha256` of every live object the plan read and would touch (`absent` for one it would create).
    /// Apply reads them again and refuses a plan whose objects changed.
    #[serde(with = "fingerprint::entries")]
    pub fingerprints: BTreeMap<fingerprint::ObjectId, String>,
    /// The object ids of the protected principals: apply refuses any removal of them, whatever the plan file says.
    #[serde(default)]
    pub protected: Vec<String>,
}

impl Plan {
    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
    /// Whether some pending change weakens posture.
    pub fn has_weakening(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.posture.effect == Effect::Weakens)
    }
    /// Whether the tenant differs from the declaration in a way that weakens posture.
    pub fn has_weakening_drift(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.drift_posture.effect == Effect::Weakens)
    }
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Update one policy rule (`PATCH .../rules/{ruleId}`).
    UpdateRule,
    /// Create an assignment (`adminAssign`).
    Create,
    /// Change an assignment's dates (`adminExtend` inside PIM's expiring window when it lengthens, else
    /// `adminUpdate`).
    Update,
    /// Replace an assignment by one of the other kind: the new one is created before the old one is removed.
    Convert,
    /// Remove an assignment (`adminRemove`).
    Remove,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::UpdateRule => "update_rule",
            Action::Create => "create",
            Action::Update => "update",
            Action::Convert => "convert",
            Action::Remove => "remove",
        }
    }
    /// The Terraform-style sign.
    pub fn sign(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Remove => "-",
            Action::UpdateRule | Action::Update => "~",
            Action::Convert => "-/+",
        }
    }
}

/// The natural key of a change: the object it leaves (its target, and the rule or the assignment within it; for a
/// conversion, the assignment of the new kind). Never a policy id or a schedule id.
pub type ChangeKey = fingerprint::ObjectId;

/// A principal as a plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalInfo {
    pub id: String,
    pub kind: PrincipalKind,
    /// UPN for users, display name for groups and service principals; the id when the tenant did not say.
    pub label: String,
}

/// One setting of a rule, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The setting; saved as the policy language names it (`activation.approval.required`).
    pub field: crate::model::Setting,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl FieldChange {
    /// The same settings changed back: what a drift did, for `drift_posture`.
    pub(crate) fn reversed(changed: &[FieldChange]) -> Vec<FieldChange> {
        changed
            .iter()
            .map(|c| FieldChange {
                field: c.field,
                before: c.after.clone(),
                after: c.before.clone(),
            })
            .collect()
    }

    /// A change's `before` and `after`: `{setting: value}` of each side.
    pub(crate) fn sides(changed: &[FieldChange]) -> (serde_json::Value, serde_json::Value) {
        let side = |pick: fn(&FieldChange) -> &serde_json::Value| {
            serde_json::Value::Object(
                changed
                    .iter()
                    .map(|c| (c.field.to_string(), pick(c).clone()))
                    .collect(),
            )
        };
        (side(|c| &c.before), side(|c| &c.after))
    }
}

/// Whether a change undoes a change made to the tenant by hand, or carries out a change of the declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The declaration did not change; the tenant did (the change is also planned against the base declaration).
    Drift,
    /// The declaration changed (the change is not planned against the base declaration).
    Declared,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    pub key: ChangeKey,
    /// The target's display name (a directory role's name).
    pub role_name: String,
    /// For assignment changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalInfo>,
    /// The managed fields, or the assignment's kind and dates, as they are (`null` when absent).
    pub before: serde_json::Value,
    /// As they will be (`null` when removed).
    pub after: serde_json::Value,
    /// Field by field, for rule updates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Why: "declared but missing", "not declared in a managed role", "end date differs", ...
    pub reason: String,
    /// The effect of carrying the change out.
    pub posture: Posture,
    /// The effect the difference has now: the change reversed. When the tenant was changed by hand, this is how
    /// the drift moved posture (`pimctl drift --fail-on weakening` reads it).
    pub drift_posture: Posture,
    /// Set when the plan was compared with a base declaration (`--base`); see [`mark_causes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// Where the declaration behind the change is (none for a removal of something undeclared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The Graph operations that carry the change out, in order. Apply sends exactly these.
    pub operations: Vec<Operation>,
}

/// One Graph write: the exact request (method, path, body) and what it means, whatever the surface. Apply sends the
/// request as it is (adding only the justification and ticket it is given) and reads the meaning to check it,
/// confirm it and name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub meaning: Meaning,
    pub method: Method,
    /// Relative to the Graph root.
    pub path: String,
    pub body: serde_json::Value,
}

/// The HTTP method of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Patch,
    Post,
    /// Graph's access review updates, and ARM's schedule requests (`PUT` to a name the plan chose).
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// What a write does, in the engine's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Meaning {
    /// Replace one rule of the target's policy with the body (the whole rule).
    PatchRule { target: TargetKey, rule: RuleId },
    /// A schedule request for an assignment of `kind` of the principal to the target.
    Assignment {
        target: TargetKey,
        /// The principal's object id, lower-cased.
        principal: String,
        kind: AssignmentKind,
        action: crate::graph::ScheduleRequestAction,
        /// The end the request asks for (`None`: permanent, or a removal).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<DateTime<Utc>>,
    },
    /// A write of the target's access review definition.
    Review {
        target: TargetKey,
        write: ReviewWrite,
    },
}

/// What a review write does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReviewWrite {
    /// `POST` a new definition.
    Create,
    /// `PUT` the whole definition.
    Update { id: String },
    /// `DELETE` the definition.
    Delete { id: String },
}

impl Meaning {
    /// The target the write is about.
    pub fn target(&self) -> &TargetKey {
        match self {
            Meaning::PatchRule { target, .. }
            | Meaning::Assignment { target, .. }
            | Meaning::Review { target, .. } => target,
        }
    }
    /// The live object the write changes, as the plan's fingerprints name it.
    pub fn object(&self) -> fingerprint::ObjectId {
        match self {
            Meaning::PatchRule { target, rule } => fingerprint::ObjectId::Rule {
                target: target.clone(),
                rule: *rule,
            },
            Meaning::Assignment {
                target,
                principal,
                kind,
                ..
            } => fingerprint::ObjectId::assignment(target, principal, *kind),
            Meaning::Review { target, .. } => fingerprint::ObjectId::Review {
                target: target.clone(),
            },
        }
    }
}

/// Information that is not a change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Note {
    pub kind: NoteKind,
    pub severity: NoteSeverity,
    /// The target the note is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetKey>,
    pub role_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A protected principal the declaration would remove or downgrade, kept as it is.
    KeptProtected,
    /// A just-in-time activation in effect: not drift.
    Activation,
    /// A setting the declaration does not manage, whose live value differs from Microsoft's default.
    UnmanagedSetting,
    /// A role not declared that holds permanent active assignments, or any assignment to a privileged role.
    UnmanagedRole,
    /// An assignment ending within `--expiring-within`.
    Expiring,
    /// An assignment the plan does not manage (inherited, through a group, or scoped below the tenant).
    NotManaged,
    /// A declared target whose policy the tenant returned but pimctl could not read: left as it is, the rest planned.
    Unreadable,
    /// An access review of a managed target that the declaration does not manage: reported, never deleted.
    UnmanagedReview,
    /// An ABAC condition an Azure role assignment holds that the declaration does not write: kept, never dropped.
    KeptCondition,
    /// A scope a fan-out (`below:`) reached whose policy is still Microsoft's untouched one: a new scope, planned to
    /// the declared policy.
    FanOut,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::KeptProtected => "kept_protected",
            NoteKind::Activation => "activation",
            NoteKind::UnmanagedSetting => "unmanaged_setting",
            NoteKind::UnmanagedRole => "unmanaged_role",
            NoteKind::Expiring => "expiring",
            NoteKind::NotManaged => "not_managed",
            NoteKind::Unreadable => "unreadable",
            NoteKind::UnmanagedReview => "unmanaged_review",
            NoteKind::KeptCondition => "kept_condition",
            NoteKind::FanOut => "fan_out",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteSeverity {
    Warning,
    Info,
}

/// Why a plan cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlanError {
    pub code: PlanErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanErrorCode {
    /// A declared principal does not exist in the tenant.
    PrincipalNotFound,
    /// A declared group or service principal name matches several objects.
    PrincipalAmbiguous,
    /// A declared custom role does not exist in the tenant.
    RoleNotFound,
    /// A declared role has no management policy in the tenant.
    PolicyNotFound,
    /// The tenant would refuse an assignment under the policy as it will stand after this plan.
    PolicyConflict,
    /// A declared group (by display name or object id) does not exist in the tenant.
    GroupNotFound,
    /// A declared group's display name matches several groups.
    GroupAmbiguous,
    /// Two declarations (by name and by id) name the same group.
    GroupDeclaredTwice,
    /// A declared group is not role-assignable, and the declaration needs one (a tier-0 template, or a directory
    /// role it is declared to hold).
    GroupNotRoleAssignable,
    /// An access review that removes members nobody reviewed would reach a protected principal.
    ReviewRemovesProtected,
    /// A subscription or management group declared by display name is not one the caller can read.
    AzureScopeNotFound,
    /// Several subscriptions (or management groups) share a declared display name.
    AzureScopeAmbiguous,
    /// Two spellings (a display name and a path, or two names) resolve to the same Azure scope.
    AzureScopeDeclaredTwice,
    /// Several custom Azure roles share a declared role name.
    AzureRoleAmbiguous,
    /// A custom Azure role declared by name is not assignable at the scope it is declared at.
    AzureRoleNotAssignable,
}

impl PlanErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanErrorCode::PrincipalNotFound => "principal_not_found",
            PlanErrorCode::PrincipalAmbiguous => "principal_ambiguous",
            PlanErrorCode::RoleNotFound => "role_not_found",
            PlanErrorCode::PolicyNotFound => "policy_not_found",
            PlanErrorCode::PolicyConflict => "policy_conflict",
            PlanErrorCode::GroupNotFound => "group_not_found",
            PlanErrorCode::GroupAmbiguous => "group_ambiguous",
            PlanErrorCode::GroupDeclaredTwice => "group_declared_twice",
            PlanErrorCode::GroupNotRoleAssignable => "group_not_role_assignable",
            PlanErrorCode::ReviewRemovesProtected => "review_removes_protected",
            PlanErrorCode::AzureScopeNotFound => "azure_scope_not_found",
            PlanErrorCode::AzureScopeAmbiguous => "azure_scope_ambiguous",
            PlanErrorCode::AzureScopeDeclaredTwice => "azure_scope_declared_twice",
            PlanErrorCode::AzureRoleAmbiguous => "azure_role_ambiguous",
            PlanErrorCode::AzureRoleNotAssignable => "azure_role_not_assignable",
        }
    }
}

/// Counts, for the summary line and table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub rule_updates: usize,
    pub creates: usize,
    pub updates: usize,
    pub conversions: usize,
    pub removes: usize,
    pub weakens: usize,
    pub strengthens: usize,
    pub neutral: usize,
    /// Only when causes were marked (`--base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<usize>,
    /// Only in `drift`'s report: how the drift moved posture (each change's `drift_posture`), the direction a drift
    /// report counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_posture: Option<DriftPosture>,
    pub warnings: usize,
    pub errors: usize,
}

/// How the drift moved posture: the changes whose `drift_posture` weakens, strengthens or is neutral.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftPosture {
    pub weakened: usize,
    pub strengthened: usize,
    pub neutral: usize,
}

impl Summary {
    fn of(changes: &[Change], notes: &[Note], errors: &[PlanError]) -> Summary {
        let count = |a: Action| changes.iter().filter(|c| c.action == a).count();
        let effect = |e: Effect| changes.iter().filter(|c| c.posture.effect == e).count();
        let marked = changes.iter().any(|c| c.cause.is_some());
        let cause =
            |k: Cause| marked.then(|| changes.iter().filter(|c| c.cause == Some(k)).count());
        Summary {
            rule_updates: count(Action::UpdateRule),
            creates: count(Action::Create),
            updates: count(Action::Update),
            conversions: count(Action::Convert),
            removes: count(Action::Remove),
            weakens: effect(Effect::Weakens),
            strengthens: effect(Effect::Strengthens),
            neutral: effect(Effect::Neutral),
            drift: cause(Cause::Drift),
            declared: cause(Cause::Declared),
            drift_posture: None,
            warnings: notes
                .iter()
                .filter(|n| n.severity == NoteSeverity::Warning)
                .count(),
            errors: errors.len(),
        }
    }
}

/// Computes the plan that brings `live` to `desired`.
pub fn build(desired: &DesiredState, live: &LiveState, options: &PlanOptions) -> Plan {
    // Fan-out declarations (`below:`) reach the scopes the tenant holds below them: from here on, each is an ordinary
    // declared target. The plan's digest stays the declaration's.
    let declared = desired;
    let expanded = crate::model::fanout::expand(desired, live);
    let desired = expanded.as_ref().unwrap_or(desired);
    // What the tenant holds, by target: built once, read by the assignment diff, the conditions carried into ARM
    // writes, the lint views and the Azure posture (each used to scan every live assignment per target or change).
    let index = crate::model::LiveIndex::new(live);
    let mut cx = Context {
        desired,
        live,
        index: &index,
        options,
        changes: vec![],
        notes: vec![],
        errors: vec![],
        fingerprints: BTreeMap::new(),
        early: std::collections::BTreeSet::new(),
        group_roles: groups::roles_of_groups(desired, live),
        found: BTreeMap::new(),
    };
    // Every pass asks how each declared target was found: once each (a pure function of the state).
    cx.found = desired
        .targets
        .keys()
        .map(|k| (k.clone(), cx.find(k)))
        .collect();
    cx.check_targets();
    cx.check_groups();
    cx.check_azure_scopes();
    cx.check_azure_roles();
    cx.check_principals();
    rules::plan_rules(&mut cx);
    assignments::plan_assignments(&mut cx);
    reviews::plan_reviews(&mut cx);
    reports::report(&mut cx);

    let Context {
        mut changes,
        mut notes,
        mut errors,
        mut fingerprints,
        early,
        ..
    } = cx;
    errors.sort();
    errors.dedup();
    if !errors.is_empty() {
        changes.clear();
        fingerprints.clear();
    }
    // What each fan-out reached, so that apply refuses the plan when a scope below was created or deleted since.
    if !changes.is_empty() {
        for (target, fan) in &declared.fan_outs {
            fingerprints.insert(
                fingerprint::ObjectId::ScopesBelow {
                    target: target.clone(),
                    below: fan.below,
                },
                fingerprint::scopes_below(live, &target.scope, fan.below),
            );
        }
    }
    let phase = |c: &Change| {
        if early.contains(&c.key) {
            0
        } else {
            match c.action {
                Action::UpdateRule => 1,
                Action::Create | Action::Convert | Action::Update => 2,
                Action::Remove => 3,
            }
        }
    };
    // Within a phase, by the target's name as people read it (then the natural key): not by role definition GUID.
    changes.sort_by_cached_key(|c| (phase(c), c.role_name.to_lowercase(), c.key.clone()));
    wire_arm::add_conditions(&mut changes, desired, live, &index);
    wire_arm::name_requests(&mut changes, live.read_at);
    if !changes.is_empty() {
        let newly = crate::lint::newly_failing(desired, live, &index, options.lint);
        posture::mark_lint(&mut changes, &newly);
        found_azure::mark_broader_scopes(&mut changes, &index);
    }
    notes.sort();
    notes.dedup();
    let summary = Summary::of(&changes, &notes, &errors);
    let desired_digest = fingerprint::desired(declared);
    let id = fingerprint::of(&(&desired_digest, &changes, &errors, &Saved(&fingerprints)))
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect();
    Plan {
        format_version: FORMAT_VERSION,
        id,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        read_at: live.read_at,
        tenant: live.tenant.clone(),
        endpoints: crate::model::Endpoints {
            graph: live.source.clone(),
            arm: live.arm_source.clone(),
        },
        desired_digest,
        files: desired
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        changes,
        notes,
        errors,
        summary,
        fingerprints,
        protected: {
            let mut ids: Vec<String> = desired
                .protected
                .iter()
                .filter_map(|p| live.id_of(&p.principal))
                .map(str::to_lowercase)
                .collect();
            ids.sort();
            ids.dedup();
            ids
        },
    }
}

/// The fingerprints as a plan saves them (what its id digests).
struct Saved<'a>(&'a BTreeMap<fingerprint::ObjectId, String>);

impl Serialize for Saved<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fingerprint::entries::serialize(self.0, s)
    }
}

/// Marks each change of `plan` as drift when `base` (the plan of the base declaration against the same tenant)
/// has the same change, and as declared otherwise.
pub fn mark_causes(plan: &mut Plan, base: &Plan) {
    let same = |c: &Change| {
        base.changes
            .iter()
            .any(|b| b.key == c.key && b.action == c.action && b.after == c.after)
    };
    for c in &mut plan.changes {
        c.cause = Some(if same(c) {
            Cause::Drift
        } else {
            Cause::Declared
        });
    }
    plan.summary = Summary::of(&plan.changes, &plan.notes, &plan.errors);
}

/// Marks every change as drift (`pimctl drift`: the declaration is the reviewed truth).
pub fn mark_all_drift(plan: &mut Plan) {
    for c in &mut plan.changes {
        c.cause = Some(Cause::Drift);
    }
    plan.summary = Summary::of(&plan.changes, &plan.notes, &plan.errors);
    let moved = |e: Effect| {
        plan.changes
            .iter()
            .filter(|c| c.drift_posture.effect == e)
            .count()
    };
    plan.summary.drift_posture = Some(DriftPosture {
        weakened: moved(Effect::Weakens),
        strengthened: moved(Effect::Strengthens),
        neutral: moved(Effect::Neutral),
    });
}

/// The planner's working state.
pub(crate) struct Context<'a> {
    pub desired: &'a DesiredState,
    pub live: &'a LiveState,
    /// The live assignments and activations by target.
    pub index: &'a crate::model::LiveIndex<'a>,
    pub options: &'a PlanOptions,
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
    pub errors: Vec<PlanError>,
    pub fingerprints: BTreeMap<fingerprint::ObjectId, String>,
    /// Assignments that only the policy as it stands allows: they go before the policy updates.
    pub early: std::collections::BTreeSet<ChangeKey>,
    /// The directory roles each group (by lower-cased id) holds or is declared to hold (only when groups are
    /// declared): a group target is as privileged as the roles its members get.
    pub group_roles: BTreeMap<String, std::collections::BTreeSet<RoleKey>>,
    /// [`Context::found`] of each declared target, computed once.
    found: BTreeMap<TargetKey, Option<Found>>,
}

/// A declared target as found in the tenant: what the engine needs to know of it, whatever its surface.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The target's key in the tenant (a custom role declared by name, by its id).
    pub key: TargetKey,
    pub name: String,
    /// Microsoft's PRIVILEGED label.
    pub privileged: bool,
    pub tier0: bool,
    pub is_global_admin: bool,
    /// The role definition id as Graph spells it, for requests.
    pub role_id: String,
}

impl Context<'_> {
    /// A declared target as found in the tenant, when it can be planned: one whose policy could not be read is
    /// left alone (reported by `reports`).
    pub fn plannable(&self, key: &TargetKey) -> Option<Found> {
        self.found(key)
            .filter(|f| !self.live.unreadable.contains_key(&f.key))
    }

    /// A declared target as found in the tenant.
    pub fn found(&self, key: &TargetKey) -> Option<Found> {
        match self.found.get(key) {
            Some(found) => found.clone(),
            None => self.find(key),
        }
    }

    fn find(&self, key: &TargetKey) -> Option<Found> {
        match key.surface {
            crate::model::Surface::DirectoryRole => {
                let r = self.live_role(&key.role)?;
                Some(Found {
                    key: TargetKey::directory_role_at(r.key.clone(), &key.scope),
                    name: r.display_name.clone(),
                    privileged: r.is_privileged,
                    tier0: crate::catalog::is_tier0(&r.key.0),
                    is_global_admin: r.key.0 == crate::catalog::well_known::GLOBAL_ADMINISTRATOR,
                    role_id: r.id.clone(),
                })
            }
            crate::model::Surface::Group => self.found_group(key),
            crate::model::Surface::AzureRole => self.found_azure(key),
        }
    }

    /// The live role a declared role key names (custom roles declared by name are found by display name).
    pub fn live_role(&self, key: &RoleKey) -> Option<&crate::model::LiveRole> {
        if let Some(r) = self.live.roles.get(key) {
            return Some(r);
        }
        let name = key.0.strip_prefix("name:")?;
        let mut found = self
            .live
            .roles
            .values()
            .filter(|r| !r.is_built_in && r.display_name.eq_ignore_ascii_case(name));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// A target's display name: the tenant's, else the declared one, else the key.
    pub fn target_name(&self, key: &TargetKey) -> String {
        if let Some(f) = self.found(key) {
            return f.name;
        }
        if let Some(d) = self.desired.targets.get(key) {
            return d.target.label().to_string();
        }
        crate::catalog::by_template_id(&key.role.0)
            .map(|r| r.display_name.clone())
            .unwrap_or_else(|| key.role.0.clone())
    }

    /// How a principal id shows in a plan.
    pub fn principal_info(&self, id: &str) -> PrincipalInfo {
        match self.live.principal(id) {
            Some(p) => PrincipalInfo {
                id: p.id.clone(),
                kind: p.kind,
                label: p.label().to_string(),
            },
            None => PrincipalInfo {
                id: id.to_string(),
                kind: PrincipalKind::User,
                label: id.to_string(),
            },
        }
    }

    fn check_targets(&mut self) {
        for (key, role) in &self.desired.targets {
            let custom = role.target.role().is_some_and(|r| r.is_custom());
            // An Azure scope or role not found (by name, or by an id neither built-in nor custom at the scope) has
            // its own error (`check_azure_scopes`, `check_azure_roles`).
            if key.surface == crate::model::Surface::AzureRole && self.found(key).is_none() {
                continue;
            }
            match self.found(key) {
                None if custom => self.errors.push(PlanError {
                    code: PlanErrorCode::RoleNotFound,
                    message: format!(
                        "the custom role '{}' does not exist in the tenant",
                        role.target.label()
                    ),
                    origin: Some(role.origin.clone()),
                    help: Some(
                        "create the role definition first, or check the name or id".to_string(),
                    ),
                }),
                Some(live)
                    if !role.policy.is_empty()
                        && !self.live.policies.contains_key(&live.key)
                        && !self.live.unreadable.contains_key(&live.key) =>
                {
                    self.errors.push(PlanError {
                        code: PlanErrorCode::PolicyNotFound,
                        message: format!(
                            "the tenant has no role management policy for '{}'",
                            live.name
                        ),
                        origin: Some(role.origin.clone()),
                        help: Some(found_azure::policy_not_found_help(key.surface)),
                    })
                }
                _ => {}
            }
        }
    }

    fn check_principals(&mut self) {
        use crate::model::Resolution;
        let mut origins: BTreeMap<&crate::model::PrincipalRef, &Origin> = BTreeMap::new();
        for p in &self.desired.protected {
            origins.entry(&p.principal).or_insert(&p.origin);
        }
        // Each principal's first assignment in `DesiredState::assignments`' order (target, principal, kind): targets
        // in key order, and in a target the eligible list before the active one, each in its order (the sort
        // was stable). Without keying and sorting every assignment.
        for target in self.desired.targets.values() {
            for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
                for a in target.assignments(kind).unwrap_or_default() {
                    origins.entry(&a.principal).or_insert(&a.origin);
                }
            }
        }
        for role in self.desired.targets.values() {
            if let Some(rv) = &role.access_review {
                for p in rv.reviewers.iter().filter_map(|r| match r {
                    crate::model::Reviewer::Principal(p) => Some(p),
                    _ => None,
                }) {
                    origins.entry(p).or_insert(&rv.origin);
                }
                for p in &rv.fallback_reviewers {
                    origins.entry(p).or_insert(&rv.origin);
                }
            }
            for st in role.policy.activation.approval.stages.iter().flatten() {
                for p in st
                    .approvers
                    .iter()
                    .chain(&st.escalation_approvers)
                    .flatten()
                {
                    origins.entry(p).or_insert(&role.origin);
                }
            }
        }
        for (p, origin) in origins {
            match self.live.resolved.get(p) {
                Some(Resolution::Found { .. }) => {}
                Some(Resolution::Ambiguous { candidates }) => {
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|c| format!("{} ({})", c.label(), c.id))
                        .collect();
                    self.errors.push(PlanError {
                        code: PlanErrorCode::PrincipalAmbiguous,
                        message: format!(
                            "{} '{}' matches {} objects: {}",
                            p.kind,
                            p.name,
                            candidates.len(),
                            list.join(", ")
                        ),
                        origin: Some(origin.clone()),
                        help: Some("name it by object id instead".to_string()),
                    });
                }
                Some(Resolution::Missing) | None => self.errors.push(PlanError {
                    code: PlanErrorCode::PrincipalNotFound,
                    message: format!("{} '{}' does not exist in the tenant", p.kind, p.name),
                    origin: Some(origin.clone()),
                    help: Some(match p.kind {
                        PrincipalKind::User => "check the user principal name".to_string(),
                        PrincipalKind::Group => "check the group's display name".to_string(),
                        PrincipalKind::ServicePrincipal => {
                            "check the service principal's display name or appId".to_string()
                        }
                    }),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LivePolicy, LiveRole, RoleKey, TargetKey};

    #[test]
    fn a_target_whose_policy_is_unreadable_is_left_alone_and_the_rest_is_planned() {
        let text = "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    activation:\n      \
                    max_duration: 1h\n  Security Administrator:\n    activation:\n      max_duration: 1h\n";
        let loaded = crate::language::load_str("t.yaml", text, &Default::default());
        assert!(!loaded.diagnostics.has_errors());
        let desired = loaded.state;
        let mut live = LiveState::default();
        for key in desired.targets.keys() {
            let role = key.role.clone();
            let name = crate::catalog::by_template_id(&role.0)
                .unwrap()
                .display_name
                .clone();
            live.roles.insert(
                role.clone(),
                LiveRole {
                    key: role.clone(),
                    id: role.0.clone(),
                    display_name: name,
                    is_built_in: true,
                    is_privileged: true,
                },
            );
        }
        let ga = TargetKey::directory_role(RoleKey(
            crate::catalog::well_known::GLOBAL_ADMINISTRATOR.into(),
        ));
        let other = desired.targets.keys().find(|k| **k != ga).unwrap().clone();
        let rules = crate::graph::defaults::default_rules();
        live.policies.insert(
            other.clone(),
            LivePolicy {
                id: "p-other".into(),
                settings: crate::observe::rules::observed_settings(&rules),
                rules,
            },
        );
        live.unreadable.insert(
            ga.clone(),
            "its policy could not be read: unknown rule type".into(),
        );
        let plan = build(&desired, &live, &PlanOptions::default());
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert!(!plan.changes.is_empty());
        assert!(plan.changes.iter().all(|c| c.key.target() == &other));
        assert!(plan.fingerprints.keys().all(|o| o.target() == &other));
        let note = plan
            .notes
            .iter()
            .find(|n| n.kind == NoteKind::Unreadable)
            .expect("the unreadable target is reported");
        assert_eq!(note.target.as_ref(), Some(&ga));
        assert_eq!(note.severity, NoteSeverity::Warning);
        assert!(
            note.message.contains("unknown rule type"),
            "{}",
            note.message
        );
        assert!(note.origin.is_some());
    }
}
