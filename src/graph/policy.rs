//! Role management policies, their 17 rules, and policy assignments (`/policies/roleManagementPolicies`,
//! `/policies/roleManagementPolicyAssignments`).

use super::common::Identity;
use super::polymorphic::Polymorphic;
use super::rule_id::{RuleId, RuleKind};
use super::{read_tagged, serialize_tagged};
use crate::duration::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

graph_enum! {
    /// `unifiedRoleManagementPolicyRuleTargetOperations`. Graph writes `all` (2022) or `All` (2024).
    RuleTargetOperation {
        All = "all",
        Activate = "activate",
        Deactivate = "deactivate",
        Assign = "assign",
        Update = "update",
        Remove = "remove",
        Extend = "extend",
        Renew = "renew",
        UnknownFutureValue = "unknownFutureValue",
    }
}

graph_enum! {
    /// `target.caller`.
    RuleCaller {
        None = "None",
        Admin = "Admin",
        EndUser = "EndUser",
    }
}

graph_enum! {
    /// `target.level`.
    RuleLevel {
        Eligibility = "Eligibility",
        Assignment = "Assignment",
    }
}

graph_enum! {
    /// `notificationLevel`.
    NotificationLevel {
        None = "None",
        Critical = "Critical",
        All = "All",
    }
}

graph_enum! {
    /// `recipientType` of a notification rule.
    RecipientType {
        Requestor = "Requestor",
        Approver = "Approver",
        Admin = "Admin",
    }
}

graph_enum! {
    /// `approvalSettings.approvalMode`.
    ApprovalMode {
        SingleStage = "SingleStage",
        Serial = "Serial",
        Parallel = "Parallel",
        NoApproval = "NoApproval",
    }
}

/// `unifiedRoleManagementPolicy`. `rules` and `effectiveRules` are navigation properties: present only when
/// expanded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleManagementPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub is_organization_default: Option<bool>,
    #[serde(default)]
    pub scope_id: String,
    #[serde(default)]
    pub scope_type: String,
    #[serde(default)]
    pub last_modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_modified_by: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<PolicyRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_rules: Option<Vec<PolicyRule>>,
}

/// `unifiedRoleManagementPolicyAssignment`: which policy applies to which role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedRoleManagementPolicyAssignment {
    /// `{policyId}_{roleDefinitionId}`.
    pub id: String,
    pub policy_id: String,
    pub scope_id: String,
    pub scope_type: String,
    #[serde(default)]
    pub role_definition_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<UnifiedRoleManagementPolicy>,
}

/// `unifiedRoleManagementPolicyRuleTarget`. The parts are optional so that an incomplete target can be read
/// (and rejected with a clear message); Graph always writes all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<RuleCaller>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<RuleTargetOperation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<RuleLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inheritable_settings: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforced_settings: Option<Vec<String>>,
}

impl RuleTarget {
    /// The complete target of a rule id, as Graph writes it for an untouched policy.
    pub fn for_rule(id: RuleId) -> Self {
        Self {
            caller: RuleCaller::parse(id.caller()),
            operations: Some(vec![RuleTargetOperation::All]),
            level: RuleLevel::parse(id.level()),
            inheritable_settings: Some(vec![]),
            enforced_settings: Some(vec![]),
        }
    }
}

/// `unifiedRoleManagementPolicyExpirationRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpirationRule {
    pub id: String,
    #[serde(default)]
    pub is_expiration_required: Option<bool>,
    #[serde(default)]
    pub maximum_duration: Option<Duration>,
    #[serde(default)]
    pub target: Option<RuleTarget>,
}

/// `unifiedRoleManagementPolicyEnablementRule`. `enabledRules` values: `MultiFactorAuthentication`,
/// `Justification`, `Ticketing` (see [`crate::model::Requirement`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnablementRule {
    pub id: String,
    #[serde(default)]
    pub enabled_rules: Option<Vec<String>>,
    #[serde(default)]
    pub target: Option<RuleTarget>,
}

/// `unifiedRoleManagementPolicyAuthenticationContextRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationContextRule {
    pub id: String,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub claim_value: Option<String>,
    #[serde(default)]
    pub target: Option<RuleTarget>,
}

/// `unifiedRoleManagementPolicyApprovalRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRule {
    pub id: String,
    #[serde(default)]
    pub target: Option<RuleTarget>,
    #[serde(default)]
    pub setting: Option<ApprovalSettings>,
}

/// `unifiedRoleManagementPolicyNotificationRule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRule {
    pub id: String,
    /// Always `Email`.
    #[serde(default)]
    pub notification_type: Option<String>,
    #[serde(default)]
    pub recipient_type: Option<RecipientType>,
    #[serde(default)]
    pub notification_level: Option<NotificationLevel>,
    #[serde(default)]
    pub is_default_recipients_enabled: Option<bool>,
    /// Email addresses.
    #[serde(default)]
    pub notification_recipients: Option<Vec<String>>,
    #[serde(default)]
    pub target: Option<RuleTarget>,
}

/// `approvalSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSettings {
    #[serde(default)]
    pub is_approval_required: Option<bool>,
    #[serde(default)]
    pub is_approval_required_for_extension: Option<bool>,
    #[serde(default)]
    pub is_requestor_justification_required: Option<bool>,
    #[serde(default)]
    pub approval_mode: Option<ApprovalMode>,
    #[serde(default)]
    pub approval_stages: Vec<UnifiedApprovalStage>,
}

/// `unifiedApprovalStage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnifiedApprovalStage {
    #[serde(default)]
    pub approval_stage_time_out_in_days: Option<i32>,
    #[serde(default)]
    pub is_approver_justification_required: Option<bool>,
    #[serde(default)]
    pub escalation_time_in_minutes: Option<i32>,
    #[serde(default)]
    pub is_escalation_enabled: Option<bool>,
    #[serde(default)]
    pub primary_approvers: Vec<SubjectSet>,
    #[serde(default)]
    pub escalation_approvers: Vec<SubjectSet>,
}

/// `subjectSet`, polymorphic on `@odata.type`: approvers are single users or members of a group. Other derived
/// types are kept as they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectSet {
    SingleUser {
        user_id: Option<String>,
        description: Option<String>,
    },
    GroupMembers {
        group_id: Option<String>,
        description: Option<String>,
    },
    /// Any other `subjectSet` (requestorManager, ...), with its `@odata.type` name and raw body.
    Other {
        type_name: String,
        body: serde_json::Value,
    },
}

impl Serialize for SubjectSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde_json::json;
        let with_desc = |mut v: serde_json::Value, d: &Option<String>| {
            if let Some(d) = d {
                v["description"] = json!(d);
            }
            v
        };
        match self {
            SubjectSet::SingleUser {
                user_id,
                description,
            } => serialize_tagged(
                s,
                "singleUser",
                &with_desc(json!({ "userId": user_id }), description),
            ),
            SubjectSet::GroupMembers {
                group_id,
                description,
            } => serialize_tagged(
                s,
                "groupMembers",
                &with_desc(json!({ "groupId": group_id }), description),
            ),
            SubjectSet::Other { type_name, body } => serialize_tagged(s, type_name, body),
        }
    }
}

impl<'de> Deserialize<'de> for SubjectSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (tag, v) = read_tagged(d)?;
        let str_of = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let tag = tag.ok_or_else(|| D::Error::custom("a subjectSet needs `@odata.type`"))?;
        Ok(match tag.to_ascii_lowercase().as_str() {
            // One published group example writes a singleUser with `id` instead of `userId`; accept both.
            "singleuser" => SubjectSet::SingleUser {
                user_id: str_of("userId").or_else(|| str_of("id")),
                description: str_of("description"),
            },
            "groupmembers" => SubjectSet::GroupMembers {
                group_id: str_of("groupId").or_else(|| str_of("id")),
                description: str_of("description"),
            },
            _ => SubjectSet::Other {
                type_name: tag,
                body: v,
            },
        })
    }
}

/// `unifiedRoleManagementPolicyRule`, polymorphic on `@odata.type` (required on input, with or without `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyRule {
    Expiration(ExpirationRule),
    Enablement(EnablementRule),
    AuthenticationContext(AuthenticationContextRule),
    Approval(ApprovalRule),
    Notification(NotificationRule),
}

impl PolicyRule {
    pub fn id(&self) -> &str {
        match self {
            PolicyRule::Expiration(r) => &r.id,
            PolicyRule::Enablement(r) => &r.id,
            PolicyRule::AuthenticationContext(r) => &r.id,
            PolicyRule::Approval(r) => &r.id,
            PolicyRule::Notification(r) => &r.id,
        }
    }

    pub fn kind(&self) -> RuleKind {
        match self {
            PolicyRule::Expiration(_) => RuleKind::Expiration,
            PolicyRule::Enablement(_) => RuleKind::Enablement,
            PolicyRule::AuthenticationContext(_) => RuleKind::AuthenticationContext,
            PolicyRule::Approval(_) => RuleKind::Approval,
            PolicyRule::Notification(_) => RuleKind::Notification,
        }
    }

    pub fn target(&self) -> Option<&RuleTarget> {
        match self {
            PolicyRule::Expiration(r) => r.target.as_ref(),
            PolicyRule::Enablement(r) => r.target.as_ref(),
            PolicyRule::AuthenticationContext(r) => r.target.as_ref(),
            PolicyRule::Approval(r) => r.target.as_ref(),
            PolicyRule::Notification(r) => r.target.as_ref(),
        }
    }

    /// The type name of a rule kind (`unifiedRoleManagementPolicyExpirationRule`).
    pub fn type_name(kind: RuleKind) -> &'static str {
        kind.odata_type()
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.")
    }

    /// The rule kind an `@odata.type` names, with or without `#` and namespace.
    pub fn kind_of_type(odata_type: &str) -> Option<RuleKind> {
        let name = super::odata_type_name(odata_type);
        [
            RuleKind::Expiration,
            RuleKind::Enablement,
            RuleKind::AuthenticationContext,
            RuleKind::Approval,
            RuleKind::Notification,
        ]
        .into_iter()
        .find(|k| Self::type_name(*k).eq_ignore_ascii_case(name))
    }

    /// Reads a rule from JSON whose `@odata.type` names `kind`.
    pub fn from_value(kind: RuleKind, v: serde_json::Value) -> Result<Self, serde_json::Error> {
        <Self as Polymorphic>::of_kind(kind, v)
    }
}

/// Polymorphic on `@odata.type`, which Graph writes first: a rule is read in one pass, straight into its kind's
/// type, with no `serde_json::Value` built of it.
impl Polymorphic for PolicyRule {
    const TAG: &'static str = "@odata.type";
    type Kind = RuleKind;

    fn kind_of(tag: Option<&serde_json::Value>) -> Result<RuleKind, String> {
        let Some(tag) = super::odata_tag(tag)? else {
            return Err("a policy rule needs its derived `@odata.type`, for example #microsoft.graph.unifiedRoleManagementPolicyExpirationRule".into());
        };
        Self::kind_of_type(tag)
            .ok_or_else(|| format!("`{tag}` is not a unifiedRoleManagementPolicyRule type"))
    }

    fn of_kind<'de, D: Deserializer<'de>>(kind: RuleKind, d: D) -> Result<Self, D::Error> {
        rule_of_kind!(PolicyRule, kind, d)
    }
}

impl Serialize for PolicyRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let name = Self::type_name(self.kind());
        match self {
            PolicyRule::Expiration(r) => serialize_tagged(s, name, r),
            PolicyRule::Enablement(r) => serialize_tagged(s, name, r),
            PolicyRule::AuthenticationContext(r) => serialize_tagged(s, name, r),
            PolicyRule::Approval(r) => serialize_tagged(s, name, r),
            PolicyRule::Notification(r) => serialize_tagged(s, name, r),
        }
    }
}

impl<'de> Deserialize<'de> for PolicyRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::polymorphic::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_with_hash_and_read_without() {
        let input = r#"{"@odata.type":"microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            "id":"Expiration_EndUser_Assignment","isExpirationRequired":true,"maximumDuration":"PT1H45M",
            "target":{"@odata.type":"microsoft.graph.unifiedRoleManagementPolicyRuleTarget","caller":"EndUser",
            "operations":["All"],"level":"Assignment","inheritableSettings":[],"enforcedSettings":[]}}"#;
        let r: PolicyRule = serde_json::from_str(input).unwrap();
        assert_eq!(r.kind(), RuleKind::Expiration);
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(
            out["@odata.type"],
            "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"
        );
        assert_eq!(out["target"]["operations"][0], "all");
        assert_eq!(out["maximumDuration"], "PT1H45M");
        assert_eq!(
            serde_json::to_string(&out).unwrap().find("@odata.type"),
            Some(2)
        );
        assert!(serde_json::from_str::<PolicyRule>(r#"{"id":"x"}"#).is_err());
    }

    #[test]
    fn approvers_are_polymorphic() {
        let a: Vec<SubjectSet> = serde_json::from_str(
            r##"[{"@odata.type":"#microsoft.graph.singleUser","userId":"u1"},
                {"@odata.type":"microsoft.graph.groupMembers","groupId":"g1"},
                {"@odata.type":"#microsoft.graph.singleUser","id":"u2","isBackup":false}]"##,
        )
        .unwrap();
        assert_eq!(
            a[2],
            SubjectSet::SingleUser {
                user_id: Some("u2".into()),
                description: None
            }
        );
        let out = serde_json::to_value(&a).unwrap();
        assert_eq!(out[1]["@odata.type"], "#microsoft.graph.groupMembers");
        assert_eq!(out[1]["groupId"], "g1");
    }
}
