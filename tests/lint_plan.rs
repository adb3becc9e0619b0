//! Plan and lint together: a planned change that makes a lint rule newly fail weakens posture, with the rule's id;
//! one that breaks no rule keeps its own judgement.

mod planning;

use pimctl::plan::{ChangeKey, Effect};
use planning::{Setup, desired_yaml, emulator_from_yaml, fresh_with, plan_against};

/// The change to a principal's assignment, by label.
fn change_for<'a>(plan: &'a pimctl::plan::Plan, label: &str) -> &'a pimctl::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.principal.as_ref().is_some_and(|p| p.label == label))
        .unwrap_or_else(|| panic!("no change for {label}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronized_account_given_a_privileged_role_weakens_with_the_rule_id() {
    let em = emulator_from_yaml(&fresh_with(""), &Setup::default()).await;
    let (_dir, d) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      - user: ivan.audit@contoso.com\n      - user: bg-01@contoso.onmicrosoft.com\n",
        &em,
    );
    let plan = plan_against(&em, &d).await;
    let ivan = change_for(&plan, "ivan.audit@contoso.com");
    assert_eq!(ivan.posture.effect, Effect::Weakens, "{:?}", ivan.posture);
    assert_eq!(ivan.posture.lint, vec!["PIM012".to_string()]);
    assert!(
        ivan.posture
            .why
            .contains("newly fails PIM012 (cloud-only-admins)"),
        "{}",
        ivan.posture.why
    );
    assert!(ivan.posture.baselines.iter().any(|b| b == "MS.AAD.7.3v1"));
    // A cloud-only account in the same role breaks no rule.
    let bg = change_for(&plan, "bg-01@contoso.onmicrosoft.com");
    assert!(bg.posture.lint.is_empty(), "{:?}", bg.posture);
    assert_ne!(bg.posture.effect, Effect::Weakens, "{:?}", bg.posture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_update_that_drops_activation_alerts_is_blamed_for_the_rule_it_breaks() {
    // The tenant alerts secops on User Administrator activations; the declaration removes the recipient.
    let seed = fresh_with(
        "policies:\n  User Administrator:\n    Notification_Admin_EndUser_Assignment: {notificationRecipients: [secops@contoso.com]}\n    Expiration_EndUser_Assignment: {isExpirationRequired: true, maximumDuration: PT8H}\n",
    );
    let em = emulator_from_yaml(&seed, &Setup::default()).await;
    let (_dir, d) = desired_yaml(
        "version: pimctl/v1\ndirectory_roles:\n  User Administrator:\n    activation:\n      max_duration: 4h\n    notifications:\n      activated:\n        admin: {recipients: []}\n",
        &em,
    );
    let plan = plan_against(&em, &d).await;
    let rule = |id: pimctl::model::RuleId| {
        plan.changes
            .iter()
            .find(|c| matches!(&c.key, ChangeKey::Rule { rule, .. } if *rule == id))
            .unwrap_or_else(|| panic!("no change of {id}"))
    };
    let alerts = rule(pimctl::model::RuleId::NotificationAdminEndUserAssignment);
    assert_eq!(alerts.posture.effect, Effect::Weakens);
    assert_eq!(alerts.posture.lint, vec!["PIM042".to_string()]);
    // Shortening the activation breaks nothing: it is not blamed.
    let expiry = rule(pimctl::model::RuleId::ExpirationEndUserAssignment);
    assert!(expiry.posture.lint.is_empty(), "{:?}", expiry.posture);
    assert_eq!(expiry.posture.effect, Effect::Strengthens);
}
