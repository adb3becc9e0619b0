//! The rule registry: one file per rule, each exporting its [`Rule`](super::Rule) as `RULE`.
//!
//! Ids follow `pim-baselines.md` §6.1 where it proposes one (`PIM-020` → `PIM020`); they are stable and never
//! reused. `docs/rules.md` is generated from this list (`pimctl lint --rules-markdown`), and a test keeps it current.

use super::{RoleView, Rule, View};
use crate::catalog::well_known::{GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR};
use crate::model::{
    AssignmentKind, NotificationEvent, NotificationSettings, PrincipalRef, Recipient, Requirement,
};

pub mod pim001_lint_config;
mod pim010_global_admin_count;
mod pim012_cloud_only_admins;
mod pim013_guest_admins;
mod pim016_service_principals;
mod pim019_unmanaged_roles;
mod pim020_permanent_active;
mod pim021_outside_pim;
mod pim024_group_tier0_controls;
mod pim025_group_permanent_owner;
mod pim026_group_owners_hold_roles;
mod pim027_password_reset_escalation;
mod pim030_approval_required;
mod pim031_approver_present;
mod pim032_self_approval;
mod pim033_two_approvers;
mod pim034_activation_mfa;
mod pim035_activation_justification;
mod pim037_activation_duration;
mod pim040_assignment_alerts;
mod pim041_ga_activation_alert;
mod pim042_activation_alerts;
mod pim060_break_glass;
mod pim070_access_reviews;
mod pim099_licence;
mod pim110_azure_permanent_owner;
mod pim111_azure_owner_activation;
mod pim112_azure_management_group_eligibility;

/// Every rule, in id order.
pub static ALL: &[&Rule] = &[
    &pim001_lint_config::RULE,
    &pim010_global_admin_count::RULE,
    &pim012_cloud_only_admins::RULE,
    &pim013_guest_admins::RULE,
    &pim016_service_principals::RULE,
    &pim019_unmanaged_roles::RULE,
    &pim020_permanent_active::RULE,
    &pim021_outside_pim::RULE,
    &pim024_group_tier0_controls::RULE,
    &pim025_group_permanent_owner::RULE,
    &pim026_group_owners_hold_roles::RULE,
    &pim027_password_reset_escalation::RULE,
    &pim030_approval_required::RULE,
    &pim031_approver_present::RULE,
    &pim032_self_approval::RULE,
    &pim033_two_approvers::RULE,
    &pim034_activation_mfa::RULE,
    &pim035_activation_justification::RULE,
    &pim037_activation_duration::RULE,
    &pim040_assignment_alerts::RULE,
    &pim041_ga_activation_alert::RULE,
    &pim042_activation_alerts::RULE,
    &pim060_break_glass::RULE,
    &pim070_access_reviews::RULE,
    &pim099_licence::RULE,
    &pim110_azure_permanent_owner::RULE,
    &pim111_azure_owner_activation::RULE,
    &pim112_azure_management_group_eligibility::RULE,
];

pub(crate) const GA: &str = GLOBAL_ADMINISTRATOR;
pub(crate) const PRA: &str = PRIVILEGED_ROLE_ADMINISTRATOR;
const SECURITY_ADMINISTRATOR: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";

/// CISA SCuBA's highly privileged roles (`ScubaConfigDefaults.json › privilegedRoles`), by template id.
pub(crate) const CISA_ROLES: &[&str] = &[
    GA,
    PRA,
    "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
    "29232cdf-9323-42fd-ade2-1d097af3e4de", // Exchange Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", // SharePoint Administrator
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", // Hybrid Identity Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", // Application Administrator
    "158c047a-c907-4556-b7ef-446551a6b5f7", // Cloud Application Administrator
];

/// The roles CIS 5.3.3 wants access reviews of.
pub(crate) const CIS_REVIEWED_ROLES: &[&str] = &[
    GA,
    "29232cdf-9323-42fd-ade2-1d097af3e4de", // Exchange Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", // SharePoint Administrator
    "69091246-20e8-4a56-aa4d-066075b2a7a8", // Teams Administrator
    SECURITY_ADMINISTRATOR,
];

/// Microsoft's SecOps baseline roles (approval, MFA, at most 8 hours).
#[cfg(test)]
const SECOPS_ROLES: &[&str] = &[GA, PRA, SECURITY_ADMINISTRATOR];

fn in_set(role: &RoleView, set: &[&str]) -> bool {
    set.iter().any(|t| role.is(t))
}

/// Tier 0 (`pim-baselines.md` §4.3, [`crate::catalog::TIER0`], which holds the SecOps baseline roles); a group block
/// when its group holds a tier-0 role.
pub(crate) fn is_tier0(role: &RoleView) -> bool {
    role.template_id
        .as_deref()
        .is_some_and(crate::catalog::is_tier0)
        || role.group.as_ref().is_some_and(|g| g.tier0())
}

/// Microsoft's PRIVILEGED label, or one of CISA's highly privileged roles; a group block when its group holds one.
pub(crate) fn is_sensitive(role: &RoleView) -> bool {
    role.privileged
        || in_set(role, CISA_ROLES)
        || role.group.as_ref().is_some_and(|g| g.sensitive())
}

/// The roles of a set that the view has, in the set's order.
pub(crate) fn roles_in<'a>(view: &'a View, set: &'a [&str]) -> impl Iterator<Item = &'a RoleView> {
    set.iter().filter_map(|t| view.role(t))
}

/// How a holder holds a role, for messages: nothing when assigned directly, else ` (through group X)` or
/// ` (as an owner of group X)`.
pub(crate) fn via(v: &crate::lint::groups::Via) -> String {
    use crate::lint::groups::Via;
    match v {
        Via::Direct | Via::Unexpanded => String::new(),
        Via::Member { group } => format!(" (through group {group})"),
        Via::Owner { group } => format!(" (as an owner of group {group})"),
    }
}

/// The `member` blocks of the groups that hold a role of a set (ScubaGear judges a role's alerts on the member
/// policies of the groups that hold it, too).
pub(crate) fn member_blocks_holding<'a>(
    view: &'a View,
    set: &'a [&str],
) -> impl Iterator<Item = &'a RoleView> {
    view.groups.values().filter(move |b| {
        b.group.as_ref().is_some_and(|g| {
            g.access == crate::model::GroupAccess::Member
                && g.grants
                    .iter()
                    .any(|x| set.iter().any(|t| x.role.0.eq_ignore_ascii_case(t)))
        })
    })
}

/// Every primary approver named in the role's approval stages.
pub(crate) fn approvers(role: &RoleView) -> Vec<&PrincipalRef> {
    let mut out: Vec<&PrincipalRef> = role
        .policy
        .activation
        .approval
        .stages
        .iter()
        .flatten()
        .flat_map(|s| s.approvers.iter().flatten())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a notification rule reaches someone under the chosen reading; `None` when the setting is not managed.
pub(crate) fn notified(role: &RoleView, event: NotificationEvent, lenient: bool) -> Option<bool> {
    let n: &NotificationSettings = role.policy.notifications.get(&(event, Recipient::Admin))?;
    let extra = n.recipients.as_ref().map(|r| !r.is_empty());
    let defaults = n.default_recipients;
    match (extra, lenient) {
        (Some(true), _) => Some(true),
        (_, true) if defaults == Some(true) => Some(true),
        (None, false) => None,
        (None, true) if defaults.is_none() => None,
        _ => Some(false),
    }
}

/// The setting path of the admin notification of an event.
pub(crate) fn notification_path(event: NotificationEvent) -> String {
    format!("notifications.{}.admin.recipients", event.as_str())
}

/// One finding per role whose admin alert on activation reaches nobody under the chosen reading.
pub(crate) fn check_activation_alerts<'a>(
    cx: &super::Cx,
    roles: impl Iterator<Item = &'a RoleView>,
    out: &mut Vec<super::Finding>,
) {
    let event = NotificationEvent::Activated;
    let lenient = cx.options.notifications == super::Notifications::Lenient;
    for role in roles {
        let ok = notified(role, event, lenient);
        if ok == Some(true) {
            continue;
        }
        let path = notification_path(event);
        let what = if ok.is_none() {
            "does not declare who is alerted"
        } else {
            "alerts no additional recipient"
        };
        out.push(
            cx.finding(format!("{} {what} on activation ({path})", role.name))
                .role(role)
                .at(role.origin_of(&path))
                .help(format!("set `{path}` to a monitored mailbox")),
        );
    }
}

/// The role's active assignments that are permanent (no `until`) and held by no protected principal: standing
/// privilege, judged by PIM020 (roles, group members), PIM025 (group owners) and PIM110 (Azure Owner and User Access
/// Administrator).
pub(crate) fn standing<'a>(
    cx: &'a super::Cx,
    role: &'a RoleView,
) -> impl Iterator<Item = &'a super::view::AssignmentView> + 'a {
    role.assignments(AssignmentKind::Active)
        .filter(|a| a.until.is_none() && !cx.view.is_protected(&a.principal))
}

/// One finding per standing assignment of the roles (`standing`): "X is permanently active in R" (PIM020, PIM110).
pub(crate) fn check_permanent_active<'a>(
    cx: &super::Cx,
    roles: impl Iterator<Item = &'a RoleView>,
    out: &mut Vec<super::Finding>,
) {
    for role in roles {
        for a in standing(cx, role) {
            out.push(
                cx.finding(format!(
                    "{} is permanently active in {}",
                    a.principal.label, role.name
                ))
                .role(role)
                .principal(&a.principal)
                .at(a.origin.as_ref())
                .help("make it eligible, or give it an `until`"),
            );
        }
    }
}

/// The finding when activating the role does not require approval, `None` when it does: whether approval is
/// unmanaged or refused, at `activation.approval.required` (PIM030 on directory roles, PIM111 on Azure Owner).
pub(crate) fn approval_not_required(cx: &super::Cx, role: &RoleView) -> Option<super::Finding> {
    let required = role.policy.activation.approval.required;
    if required == Some(true) {
        return None;
    }
    let message = match required {
        None => format!(
            "{} does not declare whether activation needs approval",
            role.name
        ),
        _ => format!("activating {} does not require approval", role.name),
    };
    Some(
        cx.finding(message)
            .role(role)
            .at(role.origin_of("activation.approval.required"))
            .help("set `activation.approval.required: true` and name approvers"),
    )
}

/// The finding when activating the role requires neither MFA nor an authentication context, `None` when it
/// requires either: whether they are unmanaged or off, at `activation.require` (PIM034 on any target, PIM111 on
/// Azure Owner).
pub(crate) fn activation_without_mfa(cx: &super::Cx, role: &RoleView) -> Option<super::Finding> {
    let a = &role.policy.activation;
    let mfa = a.require.as_ref().map(|r| r.contains(&Requirement::Mfa));
    let context = a.authentication_context.as_ref().map(Option::is_some);
    if mfa == Some(true) || context == Some(true) {
        return None;
    }
    let message = if mfa.is_none() && context.is_none() {
        format!(
            "{} does not declare MFA or an authentication context on activation",
            role.name
        )
    } else {
        format!(
            "activating {} requires neither MFA nor an authentication context",
            role.name
        )
    };
    Some(
        cx.finding(message)
            .role(role)
            .at(role.origin_of("activation.require"))
            .help("add `mfa` to `activation.require`, or set `activation.authentication_context`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::view;
    use crate::model::{DesiredState, NotificationSettings};

    fn role_with(n: Option<NotificationSettings>) -> RoleView {
        let mut d = DesiredState::default();
        let text = "version: pimctl/v1\ndirectory_roles:\n  Global Administrator: {}\n";
        let loaded = crate::language::load_str("t.yaml", text, &Default::default());
        d.targets = loaded.state.targets;
        let mut v = view::declared(&d, chrono::Utc::now());
        let mut r = v.roles.pop_first().unwrap().1;
        if let Some(n) = n {
            r.policy
                .notifications
                .insert((NotificationEvent::Activated, Recipient::Admin), n);
        }
        r
    }

    #[test]
    fn strict_wants_a_recipient_and_lenient_accepts_the_defaults() {
        let n = |recipients: Option<Vec<&str>>, defaults: Option<bool>| {
            Some(NotificationSettings {
                recipients: recipients.map(|r| r.into_iter().map(String::from).collect()),
                default_recipients: defaults,
                critical_only: None,
            })
        };
        let cases = [
            (None, None, None),
            (n(None, None), None, None),
            (n(Some(vec![]), Some(true)), Some(false), Some(true)),
            (n(None, Some(true)), None, Some(true)),
            (n(Some(vec!["a@b.c"]), Some(false)), Some(true), Some(true)),
            (n(Some(vec![]), Some(false)), Some(false), Some(false)),
        ];
        for (settings, strict, lenient) in cases {
            let r = role_with(settings.clone());
            assert_eq!(
                notified(&r, NotificationEvent::Activated, false),
                strict,
                "{settings:?}"
            );
            assert_eq!(
                notified(&r, NotificationEvent::Activated, true),
                lenient,
                "{settings:?}"
            );
        }
    }

    #[test]
    fn role_sets_are_built_in_roles() {
        for id in CISA_ROLES
            .iter()
            .chain(CIS_REVIEWED_ROLES)
            .chain(SECOPS_ROLES)
        {
            assert!(crate::catalog::by_template_id(id).is_some(), "{id}");
        }
        // Tier 0 is defined once, in the catalogue, and holds the SecOps baseline roles.
        for id in SECOPS_ROLES {
            assert!(crate::catalog::is_tier0(id), "{id}");
        }
        assert_eq!(CISA_ROLES.len(), 8);
    }

    #[test]
    fn rule_ids_are_unique_and_sorted_and_every_rule_explains_itself() {
        let ids: Vec<&str> = ALL.iter().map(|r| r.meta.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for r in ALL {
            assert!(
                r.meta.id.len() == 6 && r.meta.id.starts_with("PIM"),
                "{}",
                r.meta.id
            );
            assert!(
                !r.meta.rationale.is_empty() && !r.meta.fix.is_empty(),
                "{}",
                r.meta.id
            );
            assert!(
                r.meta.id == "PIM001" || !r.meta.baselines.is_empty(),
                "{}",
                r.meta.id
            );
        }
    }
}
