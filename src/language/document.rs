//! The surface of the language: one YAML file, as written. These types are the single source of both decoding and
//! the JSON Schema (`pimctl schema`); doc comments become the schema's descriptions.
//!
//! Values that need parsing (durations, dates, names) stay strings here and are checked in `lower`, where each
//! problem gets its own code and position.

use super::de::{Entries, Sp};
use crate::model::PrincipalKind;
use schemars::JsonSchema;
use serde::Deserialize;

type List<T> = Sp<Vec<Sp<T>>>;

/// One pimctl policy file. A directory of files merges into one desired state.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pimctl policy file (pimctl/v1)")]
pub struct Document {
    /// The language version. Always `pimctl/v1`.
    #[schemars(required, extend("const" = "pimctl/v1"))]
    pub version: Option<Sp<String>>,
    /// Break-glass principals: pimctl never removes or downgrades their assignments.
    pub protected: Option<List<PrincipalEntry>>,
    /// Named, reusable policy settings. Roles apply one with `template:`; templates build on each other with
    /// `extends:`. Built-in templates: `builtin:tier0`, `builtin:tier1`, `builtin:tier2`.
    pub templates: Option<Sp<Entries<Template>>>,
    /// Managed Entra roles, by display name or role template id (case-insensitive). Roles not declared are not
    /// managed.
    pub directory_roles: Option<Sp<Entries<RoleDecl>>>,
    /// PIM for Groups: the members and owners of groups, by the group's display name or object id
    /// (case-insensitive). A group declared by name is found in the tenant at plan time. Groups not declared are not
    /// managed.
    pub groups: Option<Sp<Entries<GroupDecl>>>,
    /// Azure resource roles (PIM for Azure resources), keyed by ARM scope: a management group
    /// (`/providers/Microsoft.Management/managementGroups/{name}`), a subscription (`/subscriptions/{id}`), a resource
    /// group (`/subscriptions/{id}/resourceGroups/{name}`) or a resource below one; or by display name, resolved
    /// against the tenant when it is read: `subscription:Contoso Prod`, `management_group:Contoso`,
    /// `subscription:Contoso Prod/resourceGroups/{name}[/providers/...]`. Under each scope, Azure roles by
    /// name (`Owner`, `Key Vault Administrator`, case-insensitive) or role definition id (either spelling); a custom
    /// role by its GUID, or by name with `custom: true`. Each role takes the same keys as a directory role. Scopes
    /// and roles not declared are not managed.
    pub azure_roles: Option<Sp<Entries<Entries<RoleDecl>>>>,
    /// Settings of `pimctl lint`: rules switched off, and exceptions for a principal or a role. Every entry needs a
    /// reason and an end date; an expired entry is an error. Entries from several files add up.
    pub lint: Option<Sp<LintDecl>>,
}

/// The `lint:` block.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintDecl {
    /// Rules switched off for the whole declaration.
    pub disable: Option<List<WaiverDecl>>,
    /// Findings waived for one principal, one role, or one principal in one role.
    pub exceptions: Option<List<WaiverDecl>>,
}

/// A rule switched off (under `disable`) or an exception (under `exceptions`, which also names a `role`, a
/// principal, or both).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverDecl {
    /// The rule id, e.g. `PIM020` (`pimctl lint --explain PIM020`).
    #[schemars(with = "Option<String>", extend("pattern" = r"^PIM[0-9]{3}$"))]
    pub rule: Option<Sp<String>>,
    /// Several rule ids at once, instead of `rule`.
    pub rules: Option<List<String>>,
    /// A role, by display name or template id.
    pub role: Option<Sp<String>>,
    /// A user, by user principal name or object id.
    pub user: Option<Sp<String>>,
    /// A group, by display name or object id.
    pub group: Option<Sp<String>>,
    /// A service principal, by display name, appId or object id.
    pub service_principal: Option<Sp<String>>,
    /// Why the rule does not apply here (required).
    pub reason: Option<Sp<String>>,
    /// When the waiver ends (required): a date (the end of that day, UTC) or an RFC 3339 timestamp. After it, the
    /// waiver no longer applies and `pimctl lint` reports it as an error.
    pub until: Option<Sp<String>>,
}

impl WaiverDecl {
    pub fn principal_fields(&self) -> PrincipalFields<'_> {
        principal_fields(&self.user, &self.group, &self.service_principal)
    }
}

/// A principal: exactly one of `user`, `group` or `service_principal`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    /// A user, by user principal name or object id.
    pub user: Option<Sp<String>>,
    /// A group, by display name or object id.
    pub group: Option<Sp<String>>,
    /// A service principal, by display name, appId or object id.
    pub service_principal: Option<Sp<String>>,
    /// A note for reviewers; pimctl ignores it.
    pub note: Option<Sp<String>>,
}

/// The principal fields of an entry, by kind, for the exactly-one-of check.
pub type PrincipalFields<'a> = [(PrincipalKind, &'a Option<Sp<String>>); 3];

fn principal_fields<'a>(
    user: &'a Option<Sp<String>>,
    group: &'a Option<Sp<String>>,
    service_principal: &'a Option<Sp<String>>,
) -> PrincipalFields<'a> {
    [
        (PrincipalKind::User, user),
        (PrincipalKind::Group, group),
        (PrincipalKind::ServicePrincipal, service_principal),
    ]
}

impl PrincipalEntry {
    pub fn principal_fields(&self) -> PrincipalFields<'_> {
        principal_fields(&self.user, &self.group, &self.service_principal)
    }
}

impl AssignmentEntry {
    pub fn principal_fields(&self) -> PrincipalFields<'_> {
        principal_fields(&self.user, &self.group, &self.service_principal)
    }
}

/// An eligible or active assignment: a principal, and optionally its end.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentEntry {
    /// A user, by user principal name or object id.
    pub user: Option<Sp<String>>,
    /// A group, by display name or object id (role-assignable groups).
    pub group: Option<Sp<String>>,
    /// A service principal, by display name, appId or object id. Active, time-bound assignments only.
    pub service_principal: Option<Sp<String>>,
    /// When the assignment ends: a date (`2027-06-30`, the end of that day, UTC) or an RFC 3339 timestamp.
    /// Absent: permanent.
    pub until: Option<Sp<String>>,
    /// Azure roles only: an ABAC condition on the assignment (ARM's `condition`), with `condition_version`.
    pub condition: Option<Sp<String>>,
    /// The version of `condition` (`2.0`, the only one ARM accepts); required with a condition.
    pub condition_version: Option<Sp<String>>,
    /// A note for reviewers (why this person holds the role); pimctl ignores it.
    pub note: Option<Sp<String>>,
}

/// Settings shared by templates and roles.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Another template this one builds on; its settings apply first.
    pub extends: Option<Sp<String>>,
    /// What the template is for.
    pub description: Option<Sp<String>>,
    /// Settings a role using this template must give itself, as dotted paths (e.g.
    /// `notifications.activated.admin.recipients`).
    pub must_set: Option<List<String>>,
    pub activation: Option<Sp<ActivationDecl>>,
    pub eligible_assignment: Option<Sp<AssignmentDecl>>,
    pub active_assignment: Option<Sp<AssignmentDecl>>,
    pub notifications: Option<Sp<NotificationsDecl>>,
    pub access_review: Option<Sp<ReviewDecl>>,
}

/// Declares a target block: the keys every surface's block has (a template, a description, the five settings keys
/// and the two lists), with the surface's own keys after `template`. One list of keys for every surface, so a key
/// added here reaches directory roles, Azure roles and groups alike, and `lower::target` reads any block by the same
/// names.
macro_rules! target_block {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$own_meta:meta])* pub $own:ident: $own_ty:ty,)*
        }
        $(#[$description:meta])*
        description;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The template to apply (a name under `templates:`, or `builtin:tier0` / `builtin:tier1` / `builtin:tier2`).
            pub template: Option<Sp<String>>,
            $($(#[$own_meta])* pub $own: $own_ty,)*
            $(#[$description])*
            pub description: Option<Sp<String>>,
            /// Overrides the template's activation settings, key by key.
            pub activation: Option<Sp<ActivationDecl>>,
            /// Overrides the template's eligible-assignment settings, key by key.
            pub eligible_assignment: Option<Sp<AssignmentDecl>>,
            /// Overrides the template's active-assignment settings, key by key.
            pub active_assignment: Option<Sp<AssignmentDecl>>,
            /// Overrides the template's notification settings, key by key.
            pub notifications: Option<Sp<NotificationsDecl>>,
            /// Overrides the template's access review, key by key.
            pub access_review: Option<Sp<ReviewDecl>>,
            /// Who is eligible. Authoritative when present (`[]` means nobody); unmanaged when absent.
            pub eligible: Option<List<AssignmentEntry>>,
            /// Who is active. Authoritative when present (`[]` means nobody); unmanaged when absent.
            pub active: Option<List<AssignmentEntry>>,
        }
    };
}

target_block! {
    /// One managed role: its policy settings, who holds it, and its review.
    pub struct RoleDecl {
        /// A custom role declared by display name: skips the built-in catalogue check. A custom role may also be
        /// declared by its object id, without this flag.
        pub custom: Option<Sp<bool>>,
        /// Azure roles only: also apply this role's policy to every scope of this kind below its scope that exists
        /// when the plan runs (fan-out). The `eligible` and `active` lists stay at this scope (ARM inherits
        /// assignments).
        pub below: Option<Sp<BelowName>>,
    }
    /// What the role is for, in this tenant.
    description;
}

/// The scopes below its own an Azure role's policy fans out to (`below:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BelowName {
    /// At a subscription, its resource groups; at a management group, those of every subscription below it.
    ResourceGroups,
    /// At a management group, every subscription below it, at any depth.
    Subscriptions,
    /// Every management group, subscription and resource group below.
    All,
}

/// One managed group: its membership and its ownership, each with its own policy and holders.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDecl {
    /// Who may be, or is, a member of the group, and the policy of that membership.
    pub member: Option<Sp<GroupAccessDecl>>,
    /// Who may be, or is, an owner of the group, and the policy of that ownership.
    pub owner: Option<Sp<GroupAccessDecl>>,
}

target_block! {
    /// A group's membership or ownership: the same settings, template and lists as a directory role (groups have the
    /// same 17 policy rules), without `custom`, which only roles have.
    pub struct GroupAccessDecl {}
    /// What this membership or ownership is for.
    description;
}

/// What an eligible member goes through to activate (rules `Expiration_EndUser_Assignment`,
/// `Enablement_EndUser_Assignment`, `AuthenticationContext_EndUser_Assignment`, `Approval_EndUser_Assignment`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationDecl {
    /// Longest activation, 30 minutes to 24 hours: `30m`, `1h`, `8h` or ISO 8601 (`PT8H`).
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub max_duration: Option<Sp<String>>,
    /// What the member must provide: `mfa`, `justification`, `ticket`.
    pub require: Option<List<RequirementName>>,
    /// A Conditional Access authentication context (`c1` to `c99`) required on activation, or `off`.
    pub authentication_context: Option<Sp<String>>,
    /// Approval of activation requests.
    pub approval: Option<Sp<ApprovalDecl>>,
}

/// Approval of activations. `approvers` and its siblings describe a single stage; `stages` describes several.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecl {
    /// Whether activation needs approval.
    pub required: Option<Sp<bool>>,
    /// Who approves (users and groups), for a single stage.
    pub approvers: Option<List<ApproverEntry>>,
    /// Days an approver has before the request expires (whole days, e.g. `1d`).
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub stage_timeout: Option<Sp<String>>,
    /// Whether approvers must give a justification.
    pub approver_justification: Option<Sp<bool>>,
    /// Escalate to `escalation_approvers` after this long without a decision.
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub escalation_after: Option<Sp<String>>,
    /// Who receives escalated requests.
    pub escalation_approvers: Option<List<ApproverEntry>>,
    /// Several stages, approved in order. Use instead of `approvers`.
    pub stages: Option<List<StageDecl>>,
    /// Whether extending an activation also needs approval.
    pub for_extension: Option<Sp<bool>>,
    /// Whether the requestor must give a justification to the approvers.
    pub requestor_justification: Option<Sp<bool>>,
}

/// One approval stage.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageDecl {
    pub approvers: Option<List<ApproverEntry>>,
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub timeout: Option<Sp<String>>,
    pub approver_justification: Option<Sp<bool>>,
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub escalation_after: Option<Sp<String>>,
    pub escalation_approvers: Option<List<ApproverEntry>>,
}

/// An approver: exactly one of `user` or `group`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproverEntry {
    pub user: Option<Sp<String>>,
    pub group: Option<Sp<String>>,
}

/// How an administrator may assign the role (rules `Expiration_Admin_*` and `Enablement_Admin_*`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDecl {
    /// Whether assignments may be permanent. When false, each needs an end within `max_duration`.
    pub allow_permanent: Option<Sp<bool>>,
    /// Longest assignment when an end is required: `15d`, `180d`, `365d` or ISO 8601 (`P365D`).
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub max_duration: Option<Sp<String>>,
    /// What the assigning administrator must provide: `mfa`, `justification`.
    pub require: Option<List<RequirementName>>,
}

/// The nine notification rules: three events, three recipients each.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsDecl {
    /// When a member is assigned as eligible (`Notification_*_Admin_Eligibility`).
    pub eligible_assigned: Option<Sp<NotificationTargets>>,
    /// When a member is assigned as active (`Notification_*_Admin_Assignment`).
    pub active_assigned: Option<Sp<NotificationTargets>>,
    /// When an eligible member activates (`Notification_*_EndUser_Assignment`).
    pub activated: Option<Sp<NotificationTargets>>,
}

/// Who is notified of one event.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationTargets {
    /// Role administrators (the "role assignment alert" / "role activation alert").
    pub admin: Option<Sp<NotificationDecl>>,
    /// The assignee or activating member.
    pub requestor: Option<Sp<NotificationDecl>>,
    /// Approvers.
    pub approver: Option<Sp<NotificationDecl>>,
}

/// One notification rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationDecl {
    /// Additional recipients (email addresses).
    pub recipients: Option<List<String>>,
    /// Whether the default recipients are notified too.
    pub default_recipients: Option<Sp<bool>>,
    /// Whether to send only critical emails.
    pub critical_only: Option<Sp<bool>>,
}

/// `access_review:`: a recurring review of the target's members, or `none` (no review: plan removes the one the
/// target has).
#[derive(Debug)]
pub enum ReviewDecl {
    None,
    Review(Box<AccessReviewDecl>),
}

/// The keys of [`AccessReviewDecl`], for unknown-key reports (a test checks them against the schema).
pub const ACCESS_REVIEW_KEYS: &[&str] = &[
    "every",
    "duration",
    "assignments",
    "reviewers",
    "fallback_reviewers",
    "default_decision",
    "auto_apply",
    "justification",
    "recommendations",
    "notifications",
];

impl<'de> Deserialize<'de> for ReviewDecl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ReviewDecl;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an access review, or `none`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ReviewDecl, E> {
                if v == "none" {
                    Ok(ReviewDecl::None)
                } else {
                    Err(E::custom(format!(
                        "expected an access review or `none`, found `{v}`"
                    )))
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ReviewDecl, A::Error> {
                AccessReviewDecl::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|r| ReviewDecl::Review(Box::new(r)))
            }
        }
        d.deserialize_struct(super::de::OR_NONE_NAME, ACCESS_REVIEW_KEYS, V)
    }
}

impl JsonSchema for ReviewDecl {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ReviewDecl".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let review = generator.subschema_for::<AccessReviewDecl>();
        schemars::json_schema!({
            "description": "A recurring access review of the target's members, or `none`: no review (plan removes \
                            the target's review).",
            "oneOf": [{"const": "none"}, review]
        })
    }
}

/// A recurring access review of the target's eligible and active members.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessReviewDecl {
    /// How often: `1 week`, `2 weeks`, `1 month`, `3 months`, or `weekly`, `monthly`, `quarterly`,
    /// `semiannually`, `annually`.
    pub every: Option<Sp<String>>,
    /// How long each review stays open, in whole days (`4d`). Default: `3d`.
    #[schemars(with = "Option<String>", extend("pattern" = DURATION_PATTERN))]
    pub duration: Option<Sp<String>>,
    /// Which assignments of a directory role are reviewed: `eligible`, `active` or `both`. Default: `both`. A
    /// group's review covers its members (`both`).
    pub assignments: Option<Sp<ReviewedAssignmentsName>>,
    /// Who reviews: users, groups, `self: true` or `managers: true`.
    pub reviewers: Option<List<ReviewerEntry>>,
    /// Who reviews when a member has no manager (`managers: true` reviews only): users and groups.
    pub fallback_reviewers: Option<List<ApproverEntry>>,
    /// What happens to members nobody reviewed. Default: `none`.
    pub default_decision: Option<Sp<DefaultDecisionName>>,
    /// Whether decisions are applied automatically at the end. Default: false.
    pub auto_apply: Option<Sp<bool>>,
    /// Whether reviewers must justify an approval. Default: true.
    pub justification: Option<Sp<bool>>,
    /// Whether reviewers see Microsoft's recommendations (from sign-in activity). Default: true.
    pub recommendations: Option<Sp<bool>>,
    /// The review's emails to reviewers.
    pub notifications: Option<Sp<ReviewNotificationsDecl>>,
}

/// The emails of an access review.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewNotificationsDecl {
    /// Whether reviewers are emailed when a review starts. Default: true.
    pub mail: Option<Sp<bool>>,
    /// Whether reviewers are reminded before it ends. Default: true.
    pub reminders: Option<Sp<bool>>,
}

/// Which assignments of a role a review covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewedAssignmentsName {
    Eligible,
    Active,
    Both,
}

/// A reviewer: exactly one of `user`, `group`, `self` or `managers`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerEntry {
    pub user: Option<Sp<String>>,
    pub group: Option<Sp<String>>,
    /// Members review their own access.
    #[serde(rename = "self")]
    pub self_review: Option<Sp<bool>>,
    /// Each member's manager reviews.
    pub managers: Option<Sp<bool>>,
}

/// A requirement on activation or assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequirementName {
    /// Multi-factor authentication (`MultiFactorAuthentication`).
    Mfa,
    /// A justification (`Justification`).
    Justification,
    /// A ticket number and system (`Ticketing`).
    Ticket,
}

/// What happens to members nobody reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefaultDecisionName {
    None,
    Approve,
    Deny,
    Recommendation,
}

/// Short (`30m`, `8h`, `90d`, `1h30m`) or ISO 8601 (`PT8H`, `P90D`) durations.
const DURATION_PATTERN: &str =
    r"^([0-9]+[dDhHmsS])+$|^[Pp]([0-9]+[Dd])?([Tt]([0-9]+[Hh])?([0-9]+[Mm])?([0-9]+[Ss])?)?$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_review_keys_are_the_schemas() {
        let schema = schemars::schema_for!(AccessReviewDecl);
        let mut keys: Vec<&str> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        let mut listed = ACCESS_REVIEW_KEYS.to_vec();
        listed.sort();
        assert_eq!(keys, listed);
    }
}
