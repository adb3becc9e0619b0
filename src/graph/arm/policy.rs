//! `roleManagementPolicies` and `roleManagementPolicyAssignments` on ARM, with the 17 rules polymorphic on
//! `ruleType` (digest §9).
//!
//! The rules carry the same ids and settings as Graph's, so [`ArmPolicyRule::to_graph`] and
//! [`ArmPolicyRule::from_graph`] convert between the two: whatever reads or builds Graph rules (the planner's
//! `observe::rules`, the emulator's checks) serves Azure roles too. What only ARM has (`targetObjects`,
//! `exceptionMembers`, an approver's `isBackup`) is kept from the ARM rule a conversion starts from.

use super::{ArmObjectRef, ArmPrincipal, nullable};
use crate::duration::Duration;
use crate::graph::policy as g;
use crate::graph::polymorphic::Polymorphic;
use crate::model::{RuleId, RuleKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

graph_enum! {
    /// `target.operations` on ARM: written `All`.
    ArmRuleOperation {
        All = "All",
        Activate = "Activate",
        Deactivate = "Deactivate",
        Assign = "Assign",
        Update = "Update",
        Remove = "Remove",
        Extend = "Extend",
        Renew = "Renew",
    }
}

graph_enum! {
    /// `enabledRules` values.
    EnabledRule {
        MultiFactorAuthentication = "MultiFactorAuthentication",
        Justification = "Justification",
        Ticketing = "Ticketing",
    }
}

graph_enum! {
    /// An approver's `userType`.
    UserType {
        User = "User",
        Group = "Group",
    }
}

graph_enum! {
    /// `notificationType`: only email.
    NotificationDeliveryMechanism {
        Email = "Email",
    }
}

/// `roleManagementPolicy.properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleManagementPolicyProperties {
    /// The scope the policy belongs to (`/subscriptions/{id}`, ...).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_organization_default: Option<bool>,
    #[serde(default)]
    pub last_modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_modified_by: Option<ArmPrincipal>,
    #[serde(default)]
    pub rules: Option<Vec<ArmPolicyRule>>,
    /// Read-only: the rules in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_rules: Option<Vec<ArmPolicyRule>>,
    /// Read-only: `{"scope": {id, displayName, type}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_properties: Option<PolicyProperties>,
}

/// What a reader of a policy's rules takes of `roleManagementPolicy.properties`: `rules`, each decoded, and nothing
/// else built (the other properties are skipped as they are read). `effectiveRules` repeats the rules as in force,
/// as many again, and a plan reads every role's policy at every declared scope: decoding them too was half the work
/// of reading ARM's policy lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRules {
    #[serde(default)]
    pub rules: Option<Vec<ArmPolicyRule>>,
}

/// `policyProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyProperties {
    #[serde(default)]
    pub scope: Option<ArmObjectRef>,
}

/// The body of `PATCH .../roleManagementPolicies/{name}`: `{"properties": {"rules": [...]}}`. A partial list is
/// allowed; each rule is sent whole, with its `ruleType` and complete `target` (digest §11.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyPatch {
    pub properties: PolicyPatchProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyPatchProperties {
    pub rules: Vec<ArmPolicyRule>,
}

/// `roleManagementPolicyAssignment.properties`: which policy governs a role at a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAssignmentProperties {
    #[serde(default)]
    pub scope: Option<String>,
    /// The full role definition id.
    #[serde(default)]
    pub role_definition_id: Option<String>,
    /// The full policy id.
    #[serde(default)]
    pub policy_id: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_assignment_properties: Option<PolicyAssignmentExpanded>,
}

/// `policyAssignmentProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAssignmentExpanded {
    #[serde(default)]
    pub scope: Option<ArmObjectRef>,
    #[serde(default)]
    pub role_definition: Option<ArmObjectRef>,
    #[serde(default)]
    pub policy: Option<PolicyRef>,
}

/// `policyAssignmentProperties.policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub last_modified_by: Option<ArmPrincipal>,
    #[serde(default)]
    pub last_modified_date_time: Option<DateTime<Utc>>,
}

/// `target` of an ARM rule. ARM writes every key, `null` where unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmRuleTarget {
    #[serde(default)]
    pub caller: Option<g::RuleCaller>,
    #[serde(default)]
    pub operations: Option<Vec<ArmRuleOperation>>,
    #[serde(default)]
    pub level: Option<g::RuleLevel>,
    #[serde(default)]
    pub target_objects: Option<Vec<String>>,
    #[serde(default)]
    pub inheritable_settings: Option<Vec<String>>,
    #[serde(default)]
    pub enforced_settings: Option<Vec<String>>,
}

impl ArmRuleTarget {
    /// The complete target of a rule id, as ARM writes it for an untouched policy.
    pub fn for_rule(id: RuleId) -> Self {
        Self {
            caller: g::RuleCaller::parse(id.caller()),
            operations: Some(vec![ArmRuleOperation::All]),
            level: g::RuleLevel::parse(id.level()),
            target_objects: None,
            inheritable_settings: None,
            enforced_settings: None,
        }
    }
}

/// An approver: `{id, description, isBackup, userType}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSet {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_backup: Option<bool>,
    #[serde(default)]
    pub user_type: Option<UserType>,
}

/// `RoleManagementPolicyExpirationRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmExpirationRule {
    #[serde(default)]
    pub is_expiration_required: Option<bool>,
    #[serde(default)]
    pub maximum_duration: Option<Duration>,
    /// Sometimes absent, sometimes `null` in ARM's answers; kept as read.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub exception_members: Option<Option<Vec<UserSet>>>,
    pub id: String,
    #[serde(default)]
    pub target: Option<ArmRuleTarget>,
}

/// `RoleManagementPolicyEnablementRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmEnablementRule {
    #[serde(default)]
    pub enabled_rules: Option<Vec<EnabledRule>>,
    pub id: String,
    #[serde(default)]
    pub target: Option<ArmRuleTarget>,
}

/// `RoleManagementPolicyAuthenticationContextRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmAuthenticationContextRule {
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub claim_value: Option<String>,
    pub id: String,
    #[serde(default)]
    pub target: Option<ArmRuleTarget>,
}

/// `RoleManagementPolicyApprovalRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmApprovalRule {
    #[serde(default)]
    pub setting: Option<ArmApprovalSettings>,
    pub id: String,
    #[serde(default)]
    pub target: Option<ArmRuleTarget>,
}

/// `approvalSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmApprovalSettings {
    #[serde(default)]
    pub is_approval_required: Option<bool>,
    #[serde(default)]
    pub is_approval_required_for_extension: Option<bool>,
    #[serde(default)]
    pub is_requestor_justification_required: Option<bool>,
    #[serde(default)]
    pub approval_mode: Option<g::ApprovalMode>,
    #[serde(default)]
    pub approval_stages: Option<Vec<ArmApprovalStage>>,
}

/// `approvalStage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmApprovalStage {
    #[serde(default)]
    pub approval_stage_time_out_in_days: Option<i32>,
    #[serde(default)]
    pub is_approver_justification_required: Option<bool>,
    #[serde(default)]
    pub escalation_time_in_minutes: Option<i32>,
    #[serde(default)]
    pub primary_approvers: Option<Vec<UserSet>>,
    #[serde(default)]
    pub is_escalation_enabled: Option<bool>,
    #[serde(default)]
    pub escalation_approvers: Option<Vec<UserSet>>,
}

/// `RoleManagementPolicyNotificationRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmNotificationRule {
    #[serde(default)]
    pub notification_type: Option<NotificationDeliveryMechanism>,
    #[serde(default)]
    pub recipient_type: Option<g::RecipientType>,
    #[serde(default)]
    pub is_default_recipients_enabled: Option<bool>,
    #[serde(default)]
    pub notification_level: Option<g::NotificationLevel>,
    #[serde(default)]
    pub notification_recipients: Option<Vec<String>>,
    pub id: String,
    #[serde(default)]
    pub target: Option<ArmRuleTarget>,
}

/// A rule of an ARM policy, polymorphic on `ruleType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmPolicyRule {
    Expiration(ArmExpirationRule),
    Enablement(ArmEnablementRule),
    AuthenticationContext(ArmAuthenticationContextRule),
    Approval(ArmApprovalRule),
    Notification(ArmNotificationRule),
}

const KINDS: [RuleKind; 5] = [
    RuleKind::Expiration,
    RuleKind::Enablement,
    RuleKind::AuthenticationContext,
    RuleKind::Approval,
    RuleKind::Notification,
];

impl ArmPolicyRule {
    /// The `ruleType` of a rule kind (`RoleManagementPolicyExpirationRule`).
    pub fn rule_type(kind: RuleKind) -> &'static str {
        match kind {
            RuleKind::Expiration => "RoleManagementPolicyExpirationRule",
            RuleKind::Enablement => "RoleManagementPolicyEnablementRule",
            RuleKind::AuthenticationContext => "RoleManagementPolicyAuthenticationContextRule",
            RuleKind::Approval => "RoleManagementPolicyApprovalRule",
            RuleKind::Notification => "RoleManagementPolicyNotificationRule",
        }
    }

    /// The kind a `ruleType` names, in any case.
    pub fn kind_of_rule_type(rule_type: &str) -> Option<RuleKind> {
        KINDS
            .into_iter()
            .find(|k| Self::rule_type(*k).eq_ignore_ascii_case(rule_type.trim()))
    }

    pub fn id(&self) -> &str {
        match self {
            ArmPolicyRule::Expiration(r) => &r.id,
            ArmPolicyRule::Enablement(r) => &r.id,
            ArmPolicyRule::AuthenticationContext(r) => &r.id,
            ArmPolicyRule::Approval(r) => &r.id,
            ArmPolicyRule::Notification(r) => &r.id,
        }
    }

    pub fn kind(&self) -> RuleKind {
        match self {
            ArmPolicyRule::Expiration(_) => RuleKind::Expiration,
            ArmPolicyRule::Enablement(_) => RuleKind::Enablement,
            ArmPolicyRule::AuthenticationContext(_) => RuleKind::AuthenticationContext,
            ArmPolicyRule::Approval(_) => RuleKind::Approval,
            ArmPolicyRule::Notification(_) => RuleKind::Notification,
        }
    }

    pub fn target(&self) -> Option<&ArmRuleTarget> {
        match self {
            ArmPolicyRule::Expiration(r) => r.target.as_ref(),
            ArmPolicyRule::Enablement(r) => r.target.as_ref(),
            ArmPolicyRule::AuthenticationContext(r) => r.target.as_ref(),
            ArmPolicyRule::Approval(r) => r.target.as_ref(),
            ArmPolicyRule::Notification(r) => r.target.as_ref(),
        }
    }

    /// Reads a rule of `kind` from JSON (its `ruleType` already checked).
    pub fn from_value(kind: RuleKind, v: serde_json::Value) -> Result<Self, serde_json::Error> {
        <Self as Polymorphic>::of_kind(kind, v)
    }

    /// The same rule as Graph writes it (`@odata.type`, approvers as `singleUser` / `groupMembers`). Drops what
    /// Graph has no field for: `targetObjects`, `exceptionMembers`, `isBackup`.
    pub fn to_graph(&self) -> g::PolicyRule {
        let target = |t: &Option<ArmRuleTarget>| t.as_ref().map(target_to_graph);
        match self {
            ArmPolicyRule::Expiration(r) => g::PolicyRule::Expiration(g::ExpirationRule {
                id: r.id.clone(),
                is_expiration_required: r.is_expiration_required,
                maximum_duration: r.maximum_duration,
                target: target(&r.target),
            }),
            ArmPolicyRule::Enablement(r) => g::PolicyRule::Enablement(g::EnablementRule {
                id: r.id.clone(),
                enabled_rules: r
                    .enabled_rules
                    .as_ref()
                    .map(|v| v.iter().map(|e| e.as_str().to_string()).collect()),
                target: target(&r.target),
            }),
            ArmPolicyRule::AuthenticationContext(r) => {
                g::PolicyRule::AuthenticationContext(g::AuthenticationContextRule {
                    id: r.id.clone(),
                    is_enabled: r.is_enabled,
                    claim_value: r.claim_value.clone(),
                    target: target(&r.target),
                })
            }
            ArmPolicyRule::Approval(r) => g::PolicyRule::Approval(g::ApprovalRule {
                id: r.id.clone(),
                target: target(&r.target),
                setting: r.setting.as_ref().map(|s| g::ApprovalSettings {
                    is_approval_required: s.is_approval_required,
                    is_approval_required_for_extension: s.is_approval_required_for_extension,
                    is_requestor_justification_required: s.is_requestor_justification_required,
                    approval_mode: s.approval_mode,
                    approval_stages: s
                        .approval_stages
                        .iter()
                        .flatten()
                        .map(|st| g::UnifiedApprovalStage {
                            approval_stage_time_out_in_days: st.approval_stage_time_out_in_days,
                            is_approver_justification_required: st
                                .is_approver_justification_required,
                            escalation_time_in_minutes: st.escalation_time_in_minutes,
                            is_escalation_enabled: st.is_escalation_enabled,
                            primary_approvers: subjects(&st.primary_approvers),
                            escalation_approvers: subjects(&st.escalation_approvers),
                        })
                        .collect(),
                }),
            }),
            ArmPolicyRule::Notification(r) => g::PolicyRule::Notification(g::NotificationRule {
                id: r.id.clone(),
                notification_type: r.notification_type.map(|t| t.as_str().to_string()),
                recipient_type: r.recipient_type,
                notification_level: r.notification_level,
                is_default_recipients_enabled: r.is_default_recipients_enabled,
                notification_recipients: r.notification_recipients.clone(),
                target: target(&r.target),
            }),
        }
    }

    /// A Graph rule as ARM writes it. `base`, the ARM rule it replaces, supplies what Graph has no field for
    /// (`targetObjects`, `exceptionMembers`, approvers' `isBackup`); without one they are `null` / false.
    /// `None` for an `enabledRules` value or approver type ARM does not know.
    pub fn from_graph(rule: &g::PolicyRule, base: Option<&ArmPolicyRule>) -> Option<Self> {
        let base_target = base.and_then(|b| b.target());
        let target = |t: &Option<g::RuleTarget>| {
            t.as_ref().map(|t| {
                let mut out = ArmRuleTarget {
                    caller: t.caller,
                    operations: t.operations.as_ref().map(|o| {
                        o.iter()
                            .filter_map(|x| ArmRuleOperation::parse(x.as_str()))
                            .collect()
                    }),
                    level: t.level,
                    target_objects: base_target.and_then(|b| b.target_objects.clone()),
                    inheritable_settings: base_target.and_then(|b| b.inheritable_settings.clone()),
                    enforced_settings: base_target.and_then(|b| b.enforced_settings.clone()),
                };
                if base_target.is_none() {
                    out.inheritable_settings =
                        t.inheritable_settings.clone().filter(|v| !v.is_empty());
                    out.enforced_settings = t.enforced_settings.clone().filter(|v| !v.is_empty());
                }
                out
            })
        };
        let backups: Vec<&UserSet> = match base {
            Some(ArmPolicyRule::Approval(a)) => a
                .setting
                .iter()
                .flat_map(|s| s.approval_stages.iter().flatten())
                .flat_map(|st| {
                    st.primary_approvers
                        .iter()
                        .chain(&st.escalation_approvers)
                        .flatten()
                })
                .filter(|u| u.is_backup == Some(true))
                .collect(),
            _ => vec![],
        };
        Some(match rule {
            g::PolicyRule::Expiration(r) => ArmPolicyRule::Expiration(ArmExpirationRule {
                is_expiration_required: r.is_expiration_required,
                maximum_duration: r.maximum_duration,
                exception_members: match base {
                    Some(ArmPolicyRule::Expiration(b)) => b.exception_members.clone(),
                    _ => None,
                },
                id: r.id.clone(),
                target: target(&r.target),
            }),
            g::PolicyRule::Enablement(r) => ArmPolicyRule::Enablement(ArmEnablementRule {
                enabled_rules: match &r.enabled_rules {
                    Some(v) => Some(
                        v.iter()
                            .map(|s| EnabledRule::parse(s))
                            .collect::<Option<Vec<_>>>()?,
                    ),
                    None => None,
                },
                id: r.id.clone(),
                target: target(&r.target),
            }),
            g::PolicyRule::AuthenticationContext(r) => {
                ArmPolicyRule::AuthenticationContext(ArmAuthenticationContextRule {
                    is_enabled: r.is_enabled,
                    claim_value: r.claim_value.clone(),
                    id: r.id.clone(),
                    target: target(&r.target),
                })
            }
            g::PolicyRule::Approval(r) => ArmPolicyRule::Approval(ArmApprovalRule {
                setting: match &r.setting {
                    None => None,
                    Some(s) => Some(ArmApprovalSettings {
                        is_approval_required: s.is_approval_required,
                        is_approval_required_for_extension: s.is_approval_required_for_extension,
                        is_requestor_justification_required: s.is_requestor_justification_required,
                        approval_mode: s.approval_mode,
                        approval_stages: Some(
                            s.approval_stages
                                .iter()
                                .map(|st| {
                                    Some(ArmApprovalStage {
                                        approval_stage_time_out_in_days: st
                                            .approval_stage_time_out_in_days,
                                        is_approver_justification_required: st
                                            .is_approver_justification_required,
                                        escalation_time_in_minutes: st.escalation_time_in_minutes,
                                        primary_approvers: user_sets(
                                            &st.primary_approvers,
                                            &backups,
                                        )?,
                                        is_escalation_enabled: st.is_escalation_enabled,
                                        escalation_approvers: user_sets(
                                            &st.escalation_approvers,
                                            &backups,
                                        )?,
                                    })
                                })
                                .collect::<Option<Vec<_>>>()?,
                        ),
                    }),
                },
                id: r.id.clone(),
                target: target(&r.target),
            }),
            g::PolicyRule::Notification(r) => ArmPolicyRule::Notification(ArmNotificationRule {
                notification_type: match &r.notification_type {
                    Some(t) => Some(NotificationDeliveryMechanism::parse(t)?),
                    None => None,
                },
                recipient_type: r.recipient_type,
                is_default_recipients_enabled: r.is_default_recipients_enabled,
                notification_level: r.notification_level,
                notification_recipients: r.notification_recipients.clone(),
                id: r.id.clone(),
                target: target(&r.target),
            }),
        })
    }
}

fn target_to_graph(t: &ArmRuleTarget) -> g::RuleTarget {
    g::RuleTarget {
        caller: t.caller,
        operations: t.operations.as_ref().map(|o| {
            o.iter()
                .filter_map(|x| g::RuleTargetOperation::parse(x.as_str()))
                .collect()
        }),
        level: t.level,
        inheritable_settings: Some(t.inheritable_settings.clone().unwrap_or_default()),
        enforced_settings: Some(t.enforced_settings.clone().unwrap_or_default()),
    }
}

fn subjects(users: &Option<Vec<UserSet>>) -> Vec<g::SubjectSet> {
    users
        .iter()
        .flatten()
        .map(|u| match u.user_type {
            Some(UserType::Group) => g::SubjectSet::GroupMembers {
                group_id: u.id.clone(),
                description: u.description.clone(),
            },
            _ => g::SubjectSet::SingleUser {
                user_id: u.id.clone(),
                description: u.description.clone(),
            },
        })
        .collect()
}

/// Graph approvers as ARM user sets; `None` when one is of a type ARM does not know. An empty list is `null`, as
/// ARM writes an unset approver list.
fn user_sets(subjects: &[g::SubjectSet], backups: &[&UserSet]) -> Option<Option<Vec<UserSet>>> {
    if subjects.is_empty() {
        return Some(None);
    }
    let is_backup = |id: &Option<String>| {
        Some(backups.iter().any(|b| {
            b.id.as_deref()
                .zip(id.as_deref())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        }))
    };
    let out = subjects
        .iter()
        .map(|s| match s {
            g::SubjectSet::SingleUser {
                user_id,
                description,
            } => Some(UserSet {
                id: user_id.clone(),
                description: description.clone(),
                is_backup: is_backup(user_id),
                user_type: Some(UserType::User),
            }),
            g::SubjectSet::GroupMembers {
                group_id,
                description,
            } => Some(UserSet {
                id: group_id.clone(),
                description: description.clone(),
                is_backup: is_backup(group_id),
                user_type: Some(UserType::Group),
            }),
            g::SubjectSet::Other { .. } => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Some(out))
}

impl Serialize for ArmPolicyRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let v = match self {
            ArmPolicyRule::Expiration(r) => serde_json::to_value(r),
            ArmPolicyRule::Enablement(r) => serde_json::to_value(r),
            ArmPolicyRule::AuthenticationContext(r) => serde_json::to_value(r),
            ArmPolicyRule::Approval(r) => serde_json::to_value(r),
            ArmPolicyRule::Notification(r) => serde_json::to_value(r),
        }
        .map_err(S::Error::custom)?;
        // ARM's order: the rule's settings, then `id`, `ruleType`, `target`.
        let mut out = serde_json::Map::new();
        if let serde_json::Value::Object(m) = v {
            for (k, v) in m {
                if k == "target" {
                    out.insert("ruleType".into(), Self::rule_type(self.kind()).into());
                }
                out.insert(k, v);
            }
        }
        if !out.contains_key("ruleType") {
            out.insert("ruleType".into(), Self::rule_type(self.kind()).into());
        }
        out.serialize(s)
    }
}

/// Polymorphic on `ruleType`, which ARM writes after a rule's settings: a rule is read in one pass, only its settings
/// kept (as `serde_json::Value`s) until `ruleType` names its kind, the rest (`target`) read straight into its type.
impl Polymorphic for ArmPolicyRule {
    const TAG: &'static str = "ruleType";
    type Kind = RuleKind;

    fn kind_of(tag: Option<&serde_json::Value>) -> Result<RuleKind, String> {
        let Some(serde_json::Value::String(rule_type)) = tag else {
            return Err(
                "a policy rule needs its `ruleType`, for example RoleManagementPolicyExpirationRule"
                    .into(),
            );
        };
        Self::kind_of_rule_type(rule_type)
            .ok_or_else(|| format!("`{rule_type}` is not a role management policy rule type"))
    }

    fn of_kind<'de, D: Deserializer<'de>>(kind: RuleKind, d: D) -> Result<Self, D::Error> {
        rule_of_kind!(ArmPolicyRule, kind, d)
    }
}

impl<'de> Deserialize<'de> for ArmPolicyRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::graph::polymorphic::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_read_rule_type_in_any_case_and_write_it_before_target() {
        let r: ArmPolicyRule = serde_json::from_value(json!({
            "id": "Expiration_EndUser_Assignment", "ruleType": "rolemanagementpolicyexpirationrule",
            "isExpirationRequired": true, "maximumDuration": "PT4H",
            "target": {"caller": "enduser", "operations": ["all"], "level": "assignment"}, "extra": 1}))
        .unwrap();
        assert_eq!(r.kind(), RuleKind::Expiration);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.find("\"ruleType\"").unwrap() < text.find("\"target\"").unwrap());
        assert!(text.contains("\"operations\":[\"All\"]"));
        assert!(!text.contains("exceptionMembers"));
        assert!(serde_json::from_value::<ArmPolicyRule>(json!({"id": "x"})).is_err());
    }

    #[test]
    fn graph_conversion_keeps_settings_and_arm_only_fields() {
        let arm: ArmPolicyRule = serde_json::from_value(json!({
            "setting": {"isApprovalRequired": true, "approvalMode": "SingleStage", "approvalStages": [{
                "approvalStageTimeOutInDays": 1, "primaryApprovers": [
                    {"id": "g1", "description": "G", "isBackup": false, "userType": "Group"},
                    {"id": "u1", "description": "U", "isBackup": true, "userType": "User"}],
                "escalationApprovers": null}]},
            "id": "Approval_EndUser_Assignment", "ruleType": "RoleManagementPolicyApprovalRule",
            "target": {"caller": "EndUser", "operations": ["All"], "level": "Assignment", "targetObjects": ["t"]}}))
        .unwrap();
        let graph = arm.to_graph();
        let g::PolicyRule::Approval(a) = &graph else {
            panic!()
        };
        let approvers = &a.setting.as_ref().unwrap().approval_stages[0].primary_approvers;
        assert!(
            matches!(&approvers[0], g::SubjectSet::GroupMembers { group_id: Some(id), .. } if id == "g1")
        );
        let back = ArmPolicyRule::from_graph(&graph, Some(&arm)).unwrap();
        assert_eq!(back, arm);
    }
}
