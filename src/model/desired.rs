//! The desired state: what the YAML declares, merged across files and templates, validated.

use super::{GroupAccess, PolicySettings, PrincipalRef, TargetKey};
use crate::duration::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where each setting of one target was written, by setting path (`activation.max_duration`).
pub type SettingOrigins = std::sync::Arc<BTreeMap<String, Origin>>;

/// Where something was declared: file, YAML path, line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct Origin {
    pub file: PathBuf,
    pub path: String,
    pub line: u32,
    pub column: u32,
}

thread_local! {
    /// Set on this thread while [`without_origins`] runs.
    static WITHOUT_ORIGINS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (a serialization of a declaration) with every [`Origin`] serialized blank (no file, no path, line and
/// column 0) and [`DesiredState::files`] empty, as they would be in a copy of the declaration with its origins
/// blanked: what the declaration's digest reads (`plan::fingerprint::desired`), without copying the declaration.
pub fn without_origins<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            WITHOUT_ORIGINS.with(|w| w.set(self.0));
        }
    }
    let _restore = Restore(WITHOUT_ORIGINS.with(|w| w.replace(true)));
    f()
}

fn origins_blank() -> bool {
    WITHOUT_ORIGINS.with(std::cell::Cell::get)
}

/// As `#[derive(Serialize)]` would, field for field, unless [`without_origins`] blanks it.
impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let blank = origins_blank();
        let mut st = s.serialize_struct("Origin", 4)?;
        if blank {
            st.serialize_field("file", "")?;
            st.serialize_field("path", "")?;
            st.serialize_field("line", &0u32)?;
            st.serialize_field("column", &0u32)?;
        } else {
            st.serialize_field("file", &self.file)?;
            st.serialize_field("path", &self.path)?;
            st.serialize_field("line", &self.line)?;
            st.serialize_field("column", &self.column)?;
        }
        st.end()
    }
}

/// [`DesiredState::files`], empty under [`without_origins`].
fn serialize_files<S: serde::Serializer>(files: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    if origins_blank() {
        <[PathBuf]>::serialize(&[], s)
    } else {
        files.serialize(s)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{} ({})",
            self.file.display(),
            self.line,
            self.column,
            self.path
        )
    }
}

/// Which role a declaration is about.
///
/// The natural key of a role is its role definition id: for built-in roles the template id (which Graph uses as the
/// definition id), for custom roles the object id when given. A custom role declared only by name is keyed by its
/// lower-cased name until plan resolves it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RoleRef {
    BuiltIn {
        template_id: String,
        display_name: String,
    },
    CustomById {
        id: String,
    },
    CustomByName {
        display_name: String,
    },
}

impl RoleRef {
    /// The natural key (lower-case).
    pub fn key(&self) -> RoleKey {
        RoleKey(match self {
            RoleRef::BuiltIn { template_id, .. } => template_id.to_lowercase(),
            RoleRef::CustomById { id } => id.to_lowercase(),
            RoleRef::CustomByName { display_name } => {
                format!("name:{}", display_name.to_lowercase())
            }
        })
    }
    pub fn is_custom(&self) -> bool {
        !matches!(self, RoleRef::BuiltIn { .. })
    }
    /// A display name for messages.
    pub fn label(&self) -> &str {
        match self {
            RoleRef::BuiltIn { display_name, .. } => display_name,
            RoleRef::CustomById { id } => id,
            RoleRef::CustomByName { display_name } => display_name,
        }
    }
}

/// The natural key of a role: its role definition id, lower-cased (or `name:<name>` for an unresolved custom role).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoleKey(pub String);

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Eligible or active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    Eligible,
    Active,
}

impl AssignmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::Eligible => "eligible",
            AssignmentKind::Active => "active",
        }
    }
}

impl fmt::Display for AssignmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The directory scope of the whole tenant: the scope of every declared directory-role target.
pub const TENANT_SCOPE: &str = "/";

/// The natural key of an assignment: target + principal + kind. Never a schedule id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AssignmentKey {
    pub target: TargetKey,
    pub principal: PrincipalRef,
    pub kind: AssignmentKind,
}

/// One declared assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredAssignment {
    pub principal: PrincipalRef,
    /// End of the assignment; `None` is permanent.
    pub until: Option<DateTime<Utc>>,
    /// An Azure role assignment's ABAC condition (`condition` and `conditionVersion`); Azure roles only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<AbacCondition>,
    pub origin: Origin,
}

/// An ABAC condition on an Azure role assignment, as ARM writes it: the expression and its version (`2.0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AbacCondition {
    pub condition: String,
    pub version: String,
}

/// How often a review recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CadenceUnit {
    Week,
    Month,
}

/// `every:` of an access review: an interval of weeks or months (Graph's `weekly` / `absoluteMonthly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadence {
    pub interval: u32,
    pub unit: CadenceUnit,
}

impl Cadence {
    /// The shortest length of one period, in days (a month is 28 days at its shortest).
    pub fn min_days(self) -> u64 {
        match self.unit {
            CadenceUnit::Week => 7 * u64::from(self.interval),
            CadenceUnit::Month => 28 * u64::from(self.interval),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            CadenceUnit::Week => "week",
            CadenceUnit::Month => "month",
        };
        let plural = if self.interval == 1 { "" } else { "s" };
        write!(f, "{} {unit}{plural}", self.interval)
    }
}

/// Who reviews.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reviewer {
    Principal(PrincipalRef),
    /// Each member reviews their own access.
    SelfReview,
    /// Each member's manager.
    Managers,
}

/// What happens to members nobody reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultDecision {
    None,
    Approve,
    Deny,
    Recommendation,
}

/// Which assignments of a target a review covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewedAssignments {
    Eligible,
    Active,
    Both,
}

impl ReviewedAssignments {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewedAssignments::Eligible => "eligible",
            ReviewedAssignments::Active => "active",
            ReviewedAssignments::Both => "both",
        }
    }
    /// Whether assignments of `kind` are reviewed.
    pub fn covers(self, kind: AssignmentKind) -> bool {
        matches!(
            (self, kind),
            (ReviewedAssignments::Both, _)
                | (ReviewedAssignments::Eligible, AssignmentKind::Eligible)
                | (ReviewedAssignments::Active, AssignmentKind::Active)
        )
    }
}

/// A declared access review of a target's members: one review definition whose scope is exactly the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReview {
    pub every: Cadence,
    pub duration: Duration,
    /// Which assignments are reviewed (a group's review covers its members: `both`).
    pub assignments: ReviewedAssignments,
    pub reviewers: Vec<Reviewer>,
    /// Who reviews a member that has no manager (`managers` reviews only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback_reviewers: Vec<PrincipalRef>,
    pub default_decision: DefaultDecision,
    pub auto_apply: bool,
    /// Reviewers must justify an approval.
    pub justification: bool,
    /// Reviewers see Microsoft's recommendations.
    pub recommendations: bool,
    /// Reviewers are emailed when a review starts.
    pub mail: bool,
    /// Reviewers are reminded before it ends.
    pub reminders: bool,
    pub origin: Origin,
}

impl AccessReview {
    /// Whether members nobody reviewed may lose their access with nobody acting: a default decision that can be
    /// "deny" (`deny`, or `recommendation`, which recommends denying an account that has not signed in lately, as a
    /// break-glass account rarely has), applied automatically.
    pub fn removes_unreviewed(&self) -> bool {
        self.auto_apply
            && matches!(
                self.default_decision,
                DefaultDecision::Deny | DefaultDecision::Recommendation
            )
    }
}

/// What a declaration names as its target, before plan resolves it against the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "surface", rename_all = "snake_case")]
pub enum TargetRef {
    /// A directory role, tenant-wide.
    DirectoryRole(RoleRef),
    /// A group's members or owners (PIM for Groups). `group` is the name the YAML declares: an object id
    /// (lower-cased) or a display name, which plan resolves (see [`TargetKey::group_declared`]).
    Group { group: String, access: GroupAccess },
    /// An Azure role at an ARM scope. `scope` is the scope's canonical path as declared (names keep their case), or
    /// its readable spelling (`subscription:Contoso Prod/resourceGroups/app-rg`) until the tenant resolves it;
    /// `role` is a built-in role (its role definition GUID in `template_id`) or a custom role by GUID or name.
    AzureRole { scope: String, role: RoleRef },
}

impl TargetRef {
    /// The target's natural key.
    pub fn key(&self) -> TargetKey {
        match self {
            TargetRef::DirectoryRole(r) => TargetKey::directory_role(r.key()),
            TargetRef::Group { group, access } => TargetKey::group_declared(group, *access),
            TargetRef::AzureRole { scope, role } => match crate::graph::arm::ArmScope::parse(scope)
            {
                Ok(s) => TargetKey::azure_role(&s, role.key()),
                // A scope named by display name: its readable key, until the tenant resolves it.
                Err(_) if let Some(Ok(n)) = crate::graph::arm::NamedScope::parse(scope) => {
                    TargetKey {
                        surface: super::Surface::AzureRole,
                        scope: n.key(),
                        role: role.key(),
                    }
                }
                // Lowering only builds parsed scopes; a state read from elsewhere keeps its text.
                Err(_) => TargetKey {
                    surface: super::Surface::AzureRole,
                    scope: scope.to_ascii_lowercase(),
                    role: role.key(),
                },
            },
        }
    }
    /// A display name for messages (for a group, the group as declared).
    pub fn label(&self) -> &str {
        match self {
            TargetRef::DirectoryRole(r) => r.label(),
            TargetRef::Group { group, .. } => group,
            TargetRef::AzureRole { role, .. } => role.label(),
        }
    }
    /// The role, for a directory-role target.
    pub fn role(&self) -> Option<&RoleRef> {
        match self {
            TargetRef::DirectoryRole(r) => Some(r),
            TargetRef::Group { .. } | TargetRef::AzureRole { .. } => None,
        }
    }
    /// What diagnostics call the target: the role's name, or `<group> (member)` / `<group> (owner)`.
    pub fn describe(&self) -> String {
        match self {
            TargetRef::DirectoryRole(r) => r.label().to_string(),
            TargetRef::Group { group, access } => format!("{group} ({})", access.as_str()),
            TargetRef::AzureRole { scope, role } => format!("{} @ {scope}", role.label()),
        }
    }
}

/// One declared target: its policy and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredTarget {
    pub target: TargetRef,
    /// The template chain applied, nearest first (for messages).
    pub templates: Vec<String>,
    /// Merged settings: template chain, then the role's own overrides.
    pub policy: PolicySettings,
    /// `None`: unmanaged. `Some(vec![])`: nobody.
    pub eligible: Option<Vec<DesiredAssignment>>,
    pub active: Option<Vec<DesiredAssignment>>,
    pub access_review: Option<AccessReview>,
    /// `access_review: none`: the target has no review (plan removes the one it has). Where it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_access_review: Option<Origin>,
    pub origin: Origin,
}

impl DesiredTarget {
    /// A target that manages nothing: what a read needs to cover a target no declaration names (a saved plan's
    /// groups and Azure roles under `apply --no-policy-check`, the Azure scopes `import --azure` reads).
    pub fn unmanaged(target: TargetRef) -> Self {
        Self {
            target,
            templates: vec![],
            policy: Default::default(),
            eligible: None,
            active: None,
            access_review: None,
            no_access_review: None,
            origin: Origin {
                file: "<read>".into(),
                path: String::new(),
                line: 0,
                column: 0,
            },
        }
    }
}

impl DesiredTarget {
    /// The declared assignments of one kind, if that kind is managed.
    pub fn assignments(&self, kind: AssignmentKind) -> Option<&[DesiredAssignment]> {
        match kind {
            AssignmentKind::Eligible => self.eligible.as_deref(),
            AssignmentKind::Active => self.active.as_deref(),
        }
    }
}

/// A break-glass principal: never removed or downgraded by pimctl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protected {
    pub principal: PrincipalRef,
    pub origin: Origin,
}

/// The whole desired state, merged from every file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    pub protected: Vec<Protected>,
    /// Declared targets by natural key (directory roles, groups' members and owners). Targets not here are
    /// unmanaged.
    #[serde(with = "super::target::by_target")]
    pub targets: BTreeMap<TargetKey, DesiredTarget>,
    /// The files read, in the order they were merged.
    #[serde(serialize_with = "serialize_files")]
    pub files: Vec<PathBuf>,
    /// The `lint:` block (empty when no file has one).
    #[serde(default, skip_serializing_if = "LintConfig::is_empty")]
    pub lint: LintConfig,
    /// Where each role's settings were written, by role and setting path (`activation.max_duration`): the role's
    /// own key, else the nearest template in a user's file that set it. Settings from the built-in templates have
    /// none (the role's `template` key stands for them). Metadata for messages: not part of the state's digest.
    /// Shared, not copied, by the lint views that carry a target's origins (one per target and view).
    #[serde(skip)]
    pub setting_origins: BTreeMap<TargetKey, SettingOrigins>,
    /// Azure roles declared with `below:` (fan-out, docs/language.md §7b.1), by target: what they reach below their
    /// scope.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "super::target::by_target"
    )]
    pub fan_outs: BTreeMap<TargetKey, super::fanout::FanOut>,
    /// The targets a fan-out reached (`model::fanout::expand`), each with the target of its declaration: made when
    /// planning, from what the tenant holds, never declared in a file.
    #[serde(skip)]
    pub fanned: BTreeMap<TargetKey, TargetKey>,
}

impl DesiredState {
    pub fn is_protected(&self, p: &PrincipalRef) -> bool {
        self.protected.iter().any(|x| &x.principal == p)
    }

    /// Every declared assignment with its natural key, in key order.
    pub fn assignments(&self) -> Vec<(AssignmentKey, &DesiredAssignment)> {
        let mut out = Vec::new();
        for (key, target) in &self.targets {
            for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
                for a in target.assignments(kind).unwrap_or_default() {
                    out.push((
                        AssignmentKey {
                            target: key.clone(),
                            principal: a.principal.clone(),
                            kind,
                        },
                        a,
                    ));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// The `lint:` block, merged from every file: rules switched off, and exceptions for a principal or a role. Each
/// entry carries a reason and an end date; the linter turns an expired one into an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<LintWaiver>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<LintWaiver>,
}

impl LintConfig {
    pub fn is_empty(&self) -> bool {
        self.disable.is_empty() && self.exceptions.is_empty()
    }
}

/// One `disable` entry (no role, no principal: the rule is off) or `exceptions` entry (a role, a principal, or
/// both: the rule's findings about them are waived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintWaiver {
    /// Rule ids as written (`PIM020`); the linter checks that they exist.
    pub rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalRef>,
    pub reason: String,
    /// The end of the waiver (a date means the end of that day, UTC).
    pub until: DateTime<Utc>,
    pub origin: Origin,
}
