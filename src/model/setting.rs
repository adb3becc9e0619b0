//! The settings of a policy, by name: one variant per setting the language declares, so that everything that judges
//! or shows a setting (posture, the renderers, the unmanaged-setting report) matches on a closed set and a new
//! setting cannot slip through as "neutral" unnoticed.
//!
//! A setting's name is its path in the policy language (`activation.max_duration`,
//! `activation.approval.stages[1].approvers`, `notifications.activated.admin.recipients`): that is how plans show
//! and save it.

use super::{AssignmentKind, NotificationEvent, Recipient, RuleId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Which approval stage a stage setting belongs to: the single-stage form (`activation.approval.approvers`) or
/// a stage of a multi-stage approval (`activation.approval.stages[i]`, 0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Single,
    Index(usize),
}

/// One managed setting of an access review (`access_review.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReviewSetting {
    Assignments,
    Every,
    Duration,
    Reviewers,
    FallbackReviewers,
    DefaultDecision,
    AutoApply,
    Justification,
    Recommendations,
    Mail,
    Reminders,
}

impl ReviewSetting {
    pub const ALL: [ReviewSetting; 11] = [
        ReviewSetting::Assignments,
        ReviewSetting::Every,
        ReviewSetting::Duration,
        ReviewSetting::Reviewers,
        ReviewSetting::FallbackReviewers,
        ReviewSetting::DefaultDecision,
        ReviewSetting::AutoApply,
        ReviewSetting::Justification,
        ReviewSetting::Recommendations,
        ReviewSetting::Mail,
        ReviewSetting::Reminders,
    ];
    /// The key under `access_review:`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewSetting::Assignments => "assignments",
            ReviewSetting::Every => "every",
            ReviewSetting::Duration => "duration",
            ReviewSetting::Reviewers => "reviewers",
            ReviewSetting::FallbackReviewers => "fallback_reviewers",
            ReviewSetting::DefaultDecision => "default_decision",
            ReviewSetting::AutoApply => "auto_apply",
            ReviewSetting::Justification => "justification",
            ReviewSetting::Recommendations => "recommendations",
            ReviewSetting::Mail => "notifications.mail",
            ReviewSetting::Reminders => "notifications.reminders",
        }
    }
}

/// One setting of a policy, or of a target's access review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// `activation.max_duration`
    ActivationMaxDuration,
    /// `activation.require`
    ActivationRequire,
    /// `activation.authentication_context`
    AuthenticationContext,
    /// `activation.approval.required`
    ApprovalRequired,
    /// `activation.approval.for_extension`
    ApprovalForExtension,
    /// `activation.approval.requestor_justification`
    RequestorJustification,
    /// `activation.approval.stages`: the number of stages (multi-stage only).
    ApprovalStages,
    /// `…approvers`
    Approvers(Stage),
    /// `…stage_timeout`
    StageTimeout(Stage),
    /// `…approver_justification`
    ApproverJustification(Stage),
    /// `…escalation_after`
    EscalationAfter(Stage),
    /// `…escalation_approvers`
    EscalationApprovers(Stage),
    /// `{eligible|active}_assignment.allow_permanent`
    AllowPermanent(AssignmentKind),
    /// `{eligible|active}_assignment.max_duration`
    AssignmentMaxDuration(AssignmentKind),
    /// `{eligible|active}_assignment.require`
    AssignmentRequire(AssignmentKind),
    /// `notifications.{event}.{recipient}.recipients`
    Recipients(NotificationEvent, Recipient),
    /// `notifications.{event}.{recipient}.default_recipients`
    DefaultRecipients(NotificationEvent, Recipient),
    /// `notifications.{event}.{recipient}.critical_only`
    CriticalOnly(NotificationEvent, Recipient),
    /// `access_review.{setting}`: not a policy rule, the target's review definition.
    Review(ReviewSetting),
}

impl Setting {
    /// The policy rule that holds the setting (none for a review's).
    pub fn rule(self) -> Option<RuleId> {
        use Setting::*;
        Some(match self {
            ActivationMaxDuration => RuleId::ExpirationEndUserAssignment,
            ActivationRequire => RuleId::EnablementEndUserAssignment,
            AuthenticationContext => RuleId::AuthenticationContextEndUserAssignment,
            ApprovalRequired
            | ApprovalForExtension
            | RequestorJustification
            | ApprovalStages
            | Approvers(_)
            | StageTimeout(_)
            | ApproverJustification(_)
            | EscalationAfter(_)
            | EscalationApprovers(_) => RuleId::ApprovalEndUserAssignment,
            AllowPermanent(AssignmentKind::Eligible)
            | AssignmentMaxDuration(AssignmentKind::Eligible) => RuleId::ExpirationAdminEligibility,
            AllowPermanent(AssignmentKind::Active)
            | AssignmentMaxDuration(AssignmentKind::Active) => RuleId::ExpirationAdminAssignment,
            AssignmentRequire(AssignmentKind::Eligible) => RuleId::EnablementAdminEligibility,
            AssignmentRequire(AssignmentKind::Active) => RuleId::EnablementAdminAssignment,
            Recipients(e, r) | DefaultRecipients(e, r) | CriticalOnly(e, r) => {
                RuleId::notification(e, r)
            }
            Review(_) => return None,
        })
    }

    /// Whether the setting's value is a list of people (approvers, notification recipients), which reads best
    /// item by item.
    pub fn lists_people(self) -> bool {
        matches!(
            self,
            Setting::Approvers(_)
                | Setting::EscalationApprovers(_)
                | Setting::Recipients(..)
                | Setting::Review(ReviewSetting::Reviewers | ReviewSetting::FallbackReviewers)
        )
    }

    /// Every name [`Setting::parse`] accepts is one of these shapes; this lists one of each, for tests.
    #[cfg(test)]
    fn samples() -> Vec<Setting> {
        use Setting::*;
        let mut all = vec![
            ActivationMaxDuration,
            ActivationRequire,
            AuthenticationContext,
            ApprovalRequired,
            ApprovalForExtension,
            RequestorJustification,
            ApprovalStages,
        ];
        for stage in [Stage::Single, Stage::Index(0), Stage::Index(2)] {
            all.extend([
                Approvers(stage),
                StageTimeout(stage),
                ApproverJustification(stage),
                EscalationAfter(stage),
                EscalationApprovers(stage),
            ]);
        }
        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            all.extend([
                AllowPermanent(kind),
                AssignmentMaxDuration(kind),
                AssignmentRequire(kind),
            ]);
        }
        for e in NotificationEvent::ALL {
            for r in Recipient::ALL {
                all.extend([
                    Recipients(e, r),
                    DefaultRecipients(e, r),
                    CriticalOnly(e, r),
                ]);
            }
        }
        all.extend(ReviewSetting::ALL.map(Review));
        all
    }

    /// Reads a setting's name (as [`fmt::Display`] writes it).
    pub fn parse(s: &str) -> Option<Setting> {
        use Setting::*;
        let simple = match s {
            "activation.max_duration" => Some(ActivationMaxDuration),
            "activation.require" => Some(ActivationRequire),
            "activation.authentication_context" => Some(AuthenticationContext),
            "activation.approval.required" => Some(ApprovalRequired),
            "activation.approval.for_extension" => Some(ApprovalForExtension),
            "activation.approval.requestor_justification" => Some(RequestorJustification),
            "activation.approval.stages" => Some(ApprovalStages),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        if let Some(leaf) = s.strip_prefix("access_review.") {
            return ReviewSetting::ALL
                .into_iter()
                .find(|r| r.as_str() == leaf)
                .map(Review);
        }
        if let Some(rest) = s.strip_prefix("activation.approval.") {
            let (stage, leaf) = match rest.strip_prefix("stages[") {
                Some(r) => {
                    let (i, leaf) = r.split_once("].")?;
                    (Stage::Index(i.parse().ok()?), leaf)
                }
                None => (Stage::Single, rest),
            };
            return match leaf {
                "approvers" => Some(Approvers(stage)),
                "stage_timeout" => Some(StageTimeout(stage)),
                "approver_justification" => Some(ApproverJustification(stage)),
                "escalation_after" => Some(EscalationAfter(stage)),
                "escalation_approvers" => Some(EscalationApprovers(stage)),
                _ => None,
            };
        }
        for kind in [AssignmentKind::Eligible, AssignmentKind::Active] {
            if let Some(leaf) = s
                .strip_prefix(kind.as_str())
                .and_then(|r| r.strip_prefix("_assignment."))
            {
                return match leaf {
                    "allow_permanent" => Some(AllowPermanent(kind)),
                    "max_duration" => Some(AssignmentMaxDuration(kind)),
                    "require" => Some(AssignmentRequire(kind)),
                    _ => None,
                };
            }
        }
        let mut parts = s.strip_prefix("notifications.")?.split('.');
        let event = parts.next()?;
        let event = NotificationEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == event)?;
        let recipient = parts.next()?;
        let recipient = Recipient::ALL
            .into_iter()
            .find(|r| r.as_str() == recipient)?;
        let setting = match parts.next()? {
            "recipients" => Recipients(event, recipient),
            "default_recipients" => DefaultRecipients(event, recipient),
            "critical_only" => CriticalOnly(event, recipient),
            _ => return None,
        };
        parts.next().is_none().then_some(setting)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Setting::*;
        let stage = |f: &mut fmt::Formatter<'_>, stage: Stage, leaf: &str| match stage {
            Stage::Single => write!(f, "activation.approval.{leaf}"),
            Stage::Index(i) => write!(f, "activation.approval.stages[{i}].{leaf}"),
        };
        let notification =
            |f: &mut fmt::Formatter<'_>, e: NotificationEvent, r: Recipient, leaf| {
                write!(f, "notifications.{}.{}.{leaf}", e.as_str(), r.as_str())
            };
        match *self {
            ActivationMaxDuration => f.write_str("activation.max_duration"),
            ActivationRequire => f.write_str("activation.require"),
            AuthenticationContext => f.write_str("activation.authentication_context"),
            ApprovalRequired => f.write_str("activation.approval.required"),
            ApprovalForExtension => f.write_str("activation.approval.for_extension"),
            RequestorJustification => f.write_str("activation.approval.requestor_justification"),
            ApprovalStages => f.write_str("activation.approval.stages"),
            Approvers(s) => stage(f, s, "approvers"),
            StageTimeout(s) => stage(f, s, "stage_timeout"),
            ApproverJustification(s) => stage(f, s, "approver_justification"),
            EscalationAfter(s) => stage(f, s, "escalation_after"),
            EscalationApprovers(s) => stage(f, s, "escalation_approvers"),
            AllowPermanent(k) => write!(f, "{k}_assignment.allow_permanent"),
            AssignmentMaxDuration(k) => write!(f, "{k}_assignment.max_duration"),
            AssignmentRequire(k) => write!(f, "{k}_assignment.require"),
            Recipients(e, r) => notification(f, e, r, "recipients"),
            DefaultRecipients(e, r) => notification(f, e, r, "default_recipients"),
            CriticalOnly(e, r) => notification(f, e, r, "critical_only"),
            Review(r) => write!(f, "access_review.{}", r.as_str()),
        }
    }
}

impl PartialEq<str> for Setting {
    fn eq(&self, other: &str) -> bool {
        Setting::parse(other) == Some(*self)
    }
}

impl PartialEq<&str> for Setting {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Serialize for Setting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Setting::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown policy setting `{s}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reads_back_from_its_name() {
        for s in Setting::samples() {
            let name = s.to_string();
            assert_eq!(Setting::parse(&name), Some(s), "{name}");
            assert_eq!(
                serde_json::from_value::<Setting>(serde_json::json!(name)).unwrap(),
                s
            );
        }
        assert_eq!(
            Setting::Approvers(Stage::Index(1)).to_string(),
            "activation.approval.stages[1].approvers"
        );
        assert_eq!(
            Setting::Recipients(NotificationEvent::Activated, Recipient::Admin).to_string(),
            "notifications.activated.admin.recipients"
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in [
            "activation.maximum",
            "activation.approval.stages[x].approvers",
            "activation.approval.stages[1]approvers",
            "notifications.activated.admin",
            "notifications.activated.admin.recipients.extra",
            "notifications.opened.admin.recipients",
            "owner_assignment.require",
            "",
        ] {
            assert_eq!(Setting::parse(bad), None, "{bad}");
        }
        assert!(serde_json::from_value::<Setting>(serde_json::json!("activation.nope")).is_err());
    }
}
