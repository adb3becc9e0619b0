//! The 17 rules of every role management policy, as Graph names them (digest §2.1): wire facts, so they live with
//! the wire types. The model re-exports them and names notification rules by its own event and recipient.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The 17 rules of every role management policy (digest §2.1). Ids are fixed; rules can't be created or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleId {
    #[serde(rename = "Expiration_EndUser_Assignment")]
    ExpirationEndUserAssignment,
    #[serde(rename = "Enablement_EndUser_Assignment")]
    EnablementEndUserAssignment,
    #[serde(rename = "AuthenticationContext_EndUser_Assignment")]
    AuthenticationContextEndUserAssignment,
    #[serde(rename = "Approval_EndUser_Assignment")]
    ApprovalEndUserAssignment,
    #[serde(rename = "Expiration_Admin_Eligibility")]
    ExpirationAdminEligibility,
    #[serde(rename = "Expiration_Admin_Assignment")]
    ExpirationAdminAssignment,
    #[serde(rename = "Enablement_Admin_Assignment")]
    EnablementAdminAssignment,
    #[serde(rename = "Enablement_Admin_Eligibility")]
    EnablementAdminEligibility,
    #[serde(rename = "Notification_Admin_Admin_Eligibility")]
    NotificationAdminAdminEligibility,
    #[serde(rename = "Notification_Requestor_Admin_Eligibility")]
    NotificationRequestorAdminEligibility,
    #[serde(rename = "Notification_Approver_Admin_Eligibility")]
    NotificationApproverAdminEligibility,
    #[serde(rename = "Notification_Admin_Admin_Assignment")]
    NotificationAdminAdminAssignment,
    #[serde(rename = "Notification_Requestor_Admin_Assignment")]
    NotificationRequestorAdminAssignment,
    #[serde(rename = "Notification_Approver_Admin_Assignment")]
    NotificationApproverAdminAssignment,
    #[serde(rename = "Notification_Admin_EndUser_Assignment")]
    NotificationAdminEndUserAssignment,
    #[serde(rename = "Notification_Requestor_EndUser_Assignment")]
    NotificationRequestorEndUserAssignment,
    #[serde(rename = "Notification_Approver_EndUser_Assignment")]
    NotificationApproverEndUserAssignment,
}

/// The derived type of a rule, as its `@odata.type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    Expiration,
    Enablement,
    AuthenticationContext,
    Approval,
    Notification,
}

impl RuleKind {
    /// `@odata.type`, with the leading `#` that responses carry.
    pub fn odata_type(self) -> &'static str {
        match self {
            RuleKind::Expiration => "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
            RuleKind::Enablement => "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
            RuleKind::AuthenticationContext => {
                "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule"
            }
            RuleKind::Approval => "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
            RuleKind::Notification => {
                "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule"
            }
        }
    }
}

impl RuleId {
    pub const ALL: [RuleId; 17] = [
        RuleId::ExpirationEndUserAssignment,
        RuleId::EnablementEndUserAssignment,
        RuleId::AuthenticationContextEndUserAssignment,
        RuleId::ApprovalEndUserAssignment,
        RuleId::ExpirationAdminEligibility,
        RuleId::ExpirationAdminAssignment,
        RuleId::EnablementAdminAssignment,
        RuleId::EnablementAdminEligibility,
        RuleId::NotificationAdminAdminEligibility,
        RuleId::NotificationRequestorAdminEligibility,
        RuleId::NotificationApproverAdminEligibility,
        RuleId::NotificationAdminAdminAssignment,
        RuleId::NotificationRequestorAdminAssignment,
        RuleId::NotificationApproverAdminAssignment,
        RuleId::NotificationAdminEndUserAssignment,
        RuleId::NotificationRequestorEndUserAssignment,
        RuleId::NotificationApproverEndUserAssignment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::ExpirationEndUserAssignment => "Expiration_EndUser_Assignment",
            RuleId::EnablementEndUserAssignment => "Enablement_EndUser_Assignment",
            RuleId::AuthenticationContextEndUserAssignment => {
                "AuthenticationContext_EndUser_Assignment"
            }
            RuleId::ApprovalEndUserAssignment => "Approval_EndUser_Assignment",
            RuleId::ExpirationAdminEligibility => "Expiration_Admin_Eligibility",
            RuleId::ExpirationAdminAssignment => "Expiration_Admin_Assignment",
            RuleId::EnablementAdminAssignment => "Enablement_Admin_Assignment",
            RuleId::EnablementAdminEligibility => "Enablement_Admin_Eligibility",
            RuleId::NotificationAdminAdminEligibility => "Notification_Admin_Admin_Eligibility",
            RuleId::NotificationRequestorAdminEligibility => {
                "Notification_Requestor_Admin_Eligibility"
            }
            RuleId::NotificationApproverAdminEligibility => {
                "Notification_Approver_Admin_Eligibility"
            }
            RuleId::NotificationAdminAdminAssignment => "Notification_Admin_Admin_Assignment",
            RuleId::NotificationRequestorAdminAssignment => {
                "Notification_Requestor_Admin_Assignment"
            }
            RuleId::NotificationApproverAdminAssignment => "Notification_Approver_Admin_Assignment",
            RuleId::NotificationAdminEndUserAssignment => "Notification_Admin_EndUser_Assignment",
            RuleId::NotificationRequestorEndUserAssignment => {
                "Notification_Requestor_EndUser_Assignment"
            }
            RuleId::NotificationApproverEndUserAssignment => {
                "Notification_Approver_EndUser_Assignment"
            }
        }
    }

    /// Parses a rule id exactly as Graph spells it.
    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn kind(self) -> RuleKind {
        let s = self.as_str();
        if s.starts_with("Expiration_") {
            RuleKind::Expiration
        } else if s.starts_with("Enablement_") {
            RuleKind::Enablement
        } else if s.starts_with("AuthenticationContext_") {
            RuleKind::AuthenticationContext
        } else if s.starts_with("Approval_") {
            RuleKind::Approval
        } else {
            RuleKind::Notification
        }
    }

    /// `target.caller`: `Admin` or `EndUser`.
    pub fn caller(self) -> &'static str {
        if self.as_str().contains("_EndUser_") {
            "EndUser"
        } else {
            "Admin"
        }
    }

    /// `target.level`: `Eligibility` or `Assignment`.
    pub fn level(self) -> &'static str {
        if self.as_str().ends_with("_Eligibility") {
            "Eligibility"
        } else {
            "Assignment"
        }
    }

    /// For notification rules, `recipientType`: `Admin`, `Requestor` or `Approver`.
    pub fn recipient_type(self) -> Option<&'static str> {
        let s = self.as_str();
        let rest = s.strip_prefix("Notification_")?;
        Some(&rest[..rest.find('_')?])
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
