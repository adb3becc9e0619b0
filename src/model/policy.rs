//! Role management policy settings, as the desired state declares them.
//!
//! Every field is optional: `None` means "not managed; the tenant keeps what it has". Templates and role overrides
//! merge key by key ([`PolicySettings::merge_over`]); lists are replaced whole, never concatenated.

use super::PrincipalRef;
use crate::duration::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub use crate::graph::rule_id::{RuleId, RuleKind};

/// The model's names for Graph's notification rules.
impl RuleId {
    /// The notification rule for an event and a recipient.
    pub fn notification(event: NotificationEvent, recipient: Recipient) -> RuleId {
        use NotificationEvent as E;
        use Recipient as R;
        match (event, recipient) {
            (E::EligibleAssigned, R::Admin) => RuleId::NotificationAdminAdminEligibility,
            (E::EligibleAssigned, R::Requestor) => RuleId::NotificationRequestorAdminEligibility,
            (E::EligibleAssigned, R::Approver) => RuleId::NotificationApproverAdminEligibility,
            (E::ActiveAssigned, R::Admin) => RuleId::NotificationAdminAdminAssignment,
            (E::ActiveAssigned, R::Requestor) => RuleId::NotificationRequestorAdminAssignment,
            (E::ActiveAssigned, R::Approver) => RuleId::NotificationApproverAdminAssignment,
            (E::Activated, R::Admin) => RuleId::NotificationAdminEndUserAssignment,
            (E::Activated, R::Requestor) => RuleId::NotificationRequestorEndUserAssignment,
            (E::Activated, R::Approver) => RuleId::NotificationApproverEndUserAssignment,
        }
    }
}

/// What a person must provide (`Enablement_*` rules' `enabledRules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Mfa,
    Justification,
    Ticket,
}

impl Requirement {
    /// The `enabledRules` value Graph uses.
    pub fn graph_name(self) -> &'static str {
        match self {
            Requirement::Mfa => "MultiFactorAuthentication",
            Requirement::Justification => "Justification",
            Requirement::Ticket => "Ticketing",
        }
    }
    pub fn from_graph_name(s: &str) -> Option<Self> {
        [
            Requirement::Mfa,
            Requirement::Justification,
            Requirement::Ticket,
        ]
        .into_iter()
        .find(|r| r.graph_name().eq_ignore_ascii_case(s))
    }
}

/// When a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationEvent {
    /// A member is assigned as eligible (`*_Admin_Eligibility`).
    EligibleAssigned,
    /// A member is assigned as active (`*_Admin_Assignment`).
    ActiveAssigned,
    /// An eligible member activates (`*_EndUser_Assignment`).
    Activated,
}

impl NotificationEvent {
    pub const ALL: [NotificationEvent; 3] = [
        NotificationEvent::EligibleAssigned,
        NotificationEvent::ActiveAssigned,
        NotificationEvent::Activated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::EligibleAssigned => "eligible_assigned",
            NotificationEvent::ActiveAssigned => "active_assigned",
            NotificationEvent::Activated => "activated",
        }
    }
}

/// Who receives a notification (`recipientType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Admin,
    Requestor,
    Approver,
}

impl Recipient {
    pub const ALL: [Recipient; 3] = [Recipient::Admin, Recipient::Requestor, Recipient::Approver];
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Admin => "admin",
            Recipient::Requestor => "requestor",
            Recipient::Approver => "approver",
        }
    }
}

/// The declared policy of one role. `None` anywhere means "unmanaged".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySettings {
    pub activation: ActivationSettings,
    pub eligible_assignment: AssignmentSettings,
    pub active_assignment: AssignmentSettings,
    /// Keyed by (event, recipient): one entry per notification rule that is managed.
    #[serde(with = "notification_entries")]
    pub notifications:
        std::collections::BTreeMap<(NotificationEvent, Recipient), NotificationSettings>,
}

/// JSON objects need string keys: the notification map travels as a list of `{event, recipient, settings}`.
mod notification_entries {
    use super::{NotificationEvent, NotificationSettings, Recipient};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    struct Entry {
        event: NotificationEvent,
        recipient: Recipient,
        settings: NotificationSettings,
    }

    type Map = BTreeMap<(NotificationEvent, Recipient), NotificationSettings>;

    pub fn serialize<S: Serializer>(map: &Map, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<Entry> = map
            .iter()
            .map(|((event, recipient), settings)| Entry {
                event: *event,
                recipient: *recipient,
                settings: settings.clone(),
            })
            .collect();
        entries.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        Ok(Vec::<Entry>::deserialize(d)?
            .into_iter()
            .map(|e| ((e.event, e.recipient), e.settings))
            .collect())
    }
}

/// Rules 1–4: what an eligible member goes through to activate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationSettings {
    /// `Expiration_EndUser_Assignment.maximumDuration`.
    pub max_duration: Option<Duration>,
    /// `Enablement_EndUser_Assignment.enabledRules`.
    pub require: Option<BTreeSet<Requirement>>,
    /// `AuthenticationContext_EndUser_Assignment`: `Some(None)` switches it off, `Some(Some("c1"))` requires `c1`.
    pub authentication_context: Option<Option<String>>,
    /// `Approval_EndUser_Assignment.setting`.
    pub approval: ApprovalSettings,
}

/// Rule 4, key by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalSettings {
    /// `isApprovalRequired`.
    pub required: Option<bool>,
    /// `isApprovalRequiredForExtension`.
    pub for_extension: Option<bool>,
    /// `isRequestorJustificationRequired`.
    pub requestor_justification: Option<bool>,
    /// `approvalStages`; one stage is `SingleStage`, several are `Serial`.
    pub stages: Option<Vec<ApprovalStage>>,
}

/// One approval stage. `None` fields are unmanaged, as everywhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStage {
    /// `primaryApprovers` (users and groups only).
    pub approvers: Option<Vec<PrincipalRef>>,
    /// `approvalStageTimeOutInDays`.
    pub timeout_days: Option<u32>,
    /// `isApproverJustificationRequired`.
    pub approver_justification: Option<bool>,
    /// `isEscalationEnabled` and `escalationTimeInMinutes`: `Some(None)` switches escalation off.
    pub escalation_after_minutes: Option<Option<u32>>,
    /// `escalationApprovers`.
    pub escalation_approvers: Option<Vec<PrincipalRef>>,
}

impl ApprovalStage {
    fn merge_over(&self, base: &Self) -> Self {
        Self {
            approvers: pick(&self.approvers, &base.approvers),
            timeout_days: pick(&self.timeout_days, &base.timeout_days),
            approver_justification: pick(
                &self.approver_justification,
                &base.approver_justification,
            ),
            escalation_after_minutes: pick(
                &self.escalation_after_minutes,
                &base.escalation_after_minutes,
            ),
            escalation_approvers: pick(&self.escalation_approvers, &base.escalation_approvers),
        }
    }

    /// Whether the stage names at least one primary approver.
    pub fn has_approvers(&self) -> bool {
        self.approvers.as_ref().is_some_and(|a| !a.is_empty())
    }
}

/// Stages merge stage by stage when both sides have as many; otherwise the nearer side replaces the list.
fn merge_stages(
    over: &Option<Vec<ApprovalStage>>,
    base: &Option<Vec<ApprovalStage>>,
) -> Option<Vec<ApprovalStage>> {
    match (over, base) {
        (Some(o), Some(b)) if o.len() == b.len() => {
            Some(o.iter().zip(b).map(|(o, b)| o.merge_over(b)).collect())
        }
        _ => pick(over, base),
    }
}

/// Rules 5–8 (eligible) or the active counterparts: how long an admin may assign for, and what they must give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSettings {
    /// `!isExpirationRequired`.
    pub allow_permanent: Option<bool>,
    /// `maximumDuration`.
    pub max_duration: Option<Duration>,
    /// `Enablement_Admin_*.enabledRules`.
    pub require: Option<BTreeSet<Requirement>>,
}

/// One notification rule (9–17).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// `notificationRecipients`.
    pub recipients: Option<Vec<String>>,
    /// `isDefaultRecipientsEnabled`.
    pub default_recipients: Option<bool>,
    /// `notificationLevel`: `Critical` when true, `All` when false.
    pub critical_only: Option<bool>,
}

fn pick<T: Clone>(over: &Option<T>, base: &Option<T>) -> Option<T> {
    over.clone().or_else(|| base.clone())
}

impl PolicySettings {
    /// `self` over `base`, key by key: every setting `self` has wins, the rest comes from `base`.
    pub fn merge_over(&self, base: &PolicySettings) -> PolicySettings {
        let mut notifications = base.notifications.clone();
        for (k, v) in &self.notifications {
            let merged = match base.notifications.get(k) {
                Some(b) => v.merge_over(b),
                None => v.clone(),
            };
            notifications.insert(*k, merged);
        }
        PolicySettings {
            activation: self.activation.merge_over(&base.activation),
            eligible_assignment: self
                .eligible_assignment
                .merge_over(&base.eligible_assignment),
            active_assignment: self.active_assignment.merge_over(&base.active_assignment),
            notifications,
        }
    }

    /// Whether any setting is managed.
    pub fn is_empty(&self) -> bool {
        *self == PolicySettings::default()
    }
}

impl ActivationSettings {
    fn merge_over(&self, base: &Self) -> Self {
        Self {
            max_duration: pick(&self.max_duration, &base.max_duration),
            require: pick(&self.require, &base.require),
            authentication_context: pick(
                &self.authentication_context,
                &base.authentication_context,
            ),
            approval: ApprovalSettings {
                required: pick(&self.approval.required, &base.approval.required),
                for_extension: pick(&self.approval.for_extension, &base.approval.for_extension),
                requestor_justification: pick(
                    &self.approval.requestor_justification,
                    &base.approval.requestor_justification,
                ),
                stages: merge_stages(&self.approval.stages, &base.approval.stages),
            },
        }
    }
}

impl AssignmentSettings {
    fn merge_over(&self, base: &Self) -> Self {
        Self {
            allow_permanent: pick(&self.allow_permanent, &base.allow_permanent),
            max_duration: pick(&self.max_duration, &base.max_duration),
            require: pick(&self.require, &base.require),
        }
    }
}

impl NotificationSettings {
    fn merge_over(&self, base: &Self) -> Self {
        Self {
            recipients: pick(&self.recipients, &base.recipients),
            default_recipients: pick(&self.default_recipients, &base.default_recipients),
            critical_only: pick(&self.critical_only, &base.critical_only),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_round_trip_and_classify() {
        for r in RuleId::ALL {
            assert_eq!(RuleId::parse(r.as_str()), Some(r));
        }
        assert_eq!(RuleId::ApprovalEndUserAssignment.caller(), "EndUser");
        assert_eq!(RuleId::ExpirationAdminEligibility.level(), "Eligibility");
        assert_eq!(
            RuleId::NotificationApproverEndUserAssignment.recipient_type(),
            Some("Approver")
        );
        assert_eq!(RuleId::EnablementAdminAssignment.recipient_type(), None);
        let notif: Vec<_> = RuleId::ALL
            .into_iter()
            .filter(|r| r.kind() == RuleKind::Notification)
            .collect();
        assert_eq!(notif.len(), 9);
        for e in NotificationEvent::ALL {
            for r in Recipient::ALL {
                let id = RuleId::notification(e, r);
                assert_eq!(id.kind(), RuleKind::Notification);
                assert_eq!(id.recipient_type().unwrap().to_lowercase(), r.as_str());
            }
        }
    }

    #[test]
    fn settings_with_notifications_round_trip_through_json() {
        let mut s = PolicySettings::default();
        s.notifications.insert(
            (NotificationEvent::Activated, Recipient::Admin),
            NotificationSettings {
                recipients: Some(vec!["secops@contoso.com".into()]),
                ..Default::default()
            },
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<PolicySettings>(&json).unwrap(), s);
    }

    #[test]
    fn merge_is_key_by_key() {
        let mut base = PolicySettings::default();
        base.activation.max_duration = Some(Duration::from_hours(2));
        base.activation.approval.required = Some(true);
        let mut over = PolicySettings::default();
        over.activation.max_duration = Some(Duration::from_minutes(30));
        let m = over.merge_over(&base);
        assert_eq!(m.activation.max_duration, Some(Duration::from_minutes(30)));
        assert_eq!(m.activation.approval.required, Some(true));
        assert_eq!(m.active_assignment.allow_permanent, None);
    }
}
