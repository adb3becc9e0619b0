//! Valid policy files load into the expected desired state: template chains merged key by key, overrides, approval
//! stages, notifications, access reviews, assignments and their end dates.

use chrono::{DateTime, TimeZone, Utc};
use pimctl::catalog::{self, well_known};
use pimctl::duration::Duration;
use pimctl::language::{self, LoadOptions, Loaded};
use pimctl::model::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

fn options() -> LoadOptions {
    LoadOptions { now: now() }
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Loads and insists on zero diagnostics (errors or warnings), showing them otherwise.
fn load_clean(path: &Path) -> DesiredState {
    let Loaded { state, diagnostics } = language::load(path, &options());
    assert!(
        diagnostics.items().is_empty(),
        "{} should load without diagnostics:\n{}",
        path.display(),
        diagnostics.render_text(false)
    );
    state
}

fn load_str_clean(text: &str) -> DesiredState {
    let Loaded { state, diagnostics } = language::load_str("inline.yaml", text, &options());
    assert!(
        diagnostics.items().is_empty(),
        "should load without diagnostics:\n{}",
        diagnostics.render_text(false)
    );
    state
}

fn builtin_key(name: &str) -> RoleKey {
    RoleKey(catalog::lookup(name).unwrap().template_id.to_lowercase())
}

fn role<'a>(state: &'a DesiredState, name: &str) -> &'a DesiredTarget {
    let key = TargetKey::directory_role(builtin_key(name));
    state
        .targets
        .get(&key)
        .unwrap_or_else(|| panic!("no role {name} ({key}) in {:?}", state.targets.keys()))
}

fn user(n: &str) -> PrincipalRef {
    PrincipalRef::new(PrincipalKind::User, n)
}
fn group(n: &str) -> PrincipalRef {
    PrincipalRef::new(PrincipalKind::Group, n)
}

fn reqs(r: &[Requirement]) -> Option<BTreeSet<Requirement>> {
    Some(r.iter().copied().collect())
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn principals(list: &Option<Vec<DesiredAssignment>>) -> Vec<(PrincipalRef, Option<DateTime<Utc>>)> {
    list.as_ref()
        .expect("managed")
        .iter()
        .map(|a| (a.principal.clone(), a.until))
        .collect()
}

fn merged() -> DesiredState {
    load_clean(&repo("tests/valid/merged"))
}

#[test]
fn a_directory_merges_its_files_and_skips_seeds_and_hidden_files() {
    let state = merged();
    let names: Vec<String> = state
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["roles.yaml", "templates.yaml"]);
    assert_eq!(state.targets.len(), 8);
    assert_eq!(
        state
            .protected
            .iter()
            .map(|p| p.principal.clone())
            .collect::<Vec<_>>(),
        [user("bg-01@contoso.onmicrosoft.com"), group("Break-Glass")]
    );
    let p = &state.protected[1].origin;
    assert_eq!((p.line, p.column, p.path.as_str()), (5, 5, "protected[1]"));
    assert!(p.file.ends_with("tests/valid/merged/roles.yaml"));
}

#[test]
fn builtin_tier0_with_shorthand_approvers_merges_stage_by_stage() {
    let state = merged();
    let ga = role(&state, "Global Administrator");
    assert_eq!(
        *ga.target.role().unwrap(),
        RoleRef::BuiltIn {
            template_id: well_known::GLOBAL_ADMINISTRATOR.into(),
            display_name: "Global Administrator".into()
        }
    );
    assert_eq!(ga.templates, ["builtin:tier0"]);
    let a = &ga.policy.activation;
    assert_eq!(a.max_duration, Some(Duration::from_hours(2)));
    assert_eq!(
        a.require,
        reqs(&[
            Requirement::Mfa,
            Requirement::Justification,
            Requirement::Ticket
        ])
    );
    assert_eq!(a.authentication_context, None, "unmanaged");
    assert_eq!(a.approval.required, Some(true));
    assert_eq!(a.approval.requestor_justification, Some(true));
    assert_eq!(a.approval.for_extension, None);
    // The role's one-stage shorthand merges over the template's one stage, key by key.
    assert_eq!(
        a.approval.stages,
        Some(vec![ApprovalStage {
            approvers: Some(vec![group("T0-Approvers")]),
            timeout_days: Some(1),
            approver_justification: Some(true),
            escalation_after_minutes: None,
            escalation_approvers: None,
        }])
    );
    let p = &ga.policy;
    assert_eq!(p.eligible_assignment.allow_permanent, Some(false));
    assert_eq!(
        p.eligible_assignment.max_duration,
        Some(Duration::from_days(365))
    );
    assert_eq!(p.eligible_assignment.require, None);
    assert_eq!(p.active_assignment.allow_permanent, Some(false));
    assert_eq!(
        p.active_assignment.max_duration,
        Some(Duration::from_days(1))
    );
    assert_eq!(
        p.active_assignment.require,
        reqs(&[Requirement::Mfa, Requirement::Justification])
    );
    // Notifications: the template's flags, the role's recipients.
    assert_eq!(p.notifications.len(), 3);
    assert_eq!(
        p.notifications[&(NotificationEvent::Activated, Recipient::Admin)],
        NotificationSettings {
            recipients: Some(vec!["secops@contoso.com".into()]),
            default_recipients: Some(true),
            critical_only: Some(false),
        }
    );
    assert_eq!(
        p.notifications[&(NotificationEvent::EligibleAssigned, Recipient::Admin)],
        NotificationSettings {
            recipients: None,
            default_recipients: Some(true),
            critical_only: Some(false),
        }
    );
    assert!(
        !p.notifications
            .contains_key(&(NotificationEvent::Activated, Recipient::Approver))
    );
    assert_eq!(ga.access_review, None);
}

#[test]
fn until_dates_end_the_day_utc_and_timestamps_keep_their_offset() {
    let state = merged();
    let ga = role(&state, "Global Administrator");
    assert_eq!(
        principals(&ga.eligible),
        [
            (
                user("alice.admin@contoso.com"),
                Some(utc(2027, 6, 30, 23, 59, 59))
            ),
            (
                user("carol.iam@contoso.com"),
                Some(utc(2027, 1, 15, 16, 30, 0))
            ),
        ]
    );
    let o = &ga.eligible.as_ref().unwrap()[1].origin;
    assert_eq!(
        (o.line, o.column, o.path.as_str()),
        (
            18,
            9,
            "directory_roles.\"Global Administrator\".eligible[1]"
        )
    );
}

#[test]
fn protected_principals_are_exempt_from_allow_permanent_false() {
    let state = merged();
    let ga = role(&state, "Global Administrator");
    assert_eq!(ga.policy.active_assignment.allow_permanent, Some(false));
    assert_eq!(
        principals(&ga.active),
        [(user("bg-01@contoso.onmicrosoft.com"), None)]
    );

    // The same entry without `protected:` is an error.
    let text = "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    template: builtin:tier1\n    active:\n      - user: bg-01@contoso.onmicrosoft.com\n";
    let loaded = language::load_str("inline.yaml", text, &options());
    let codes: Vec<_> = loaded.diagnostics.items().iter().map(|d| d.code).collect();
    assert_eq!(codes, [language::Code::PermanentNotAllowed]);
    let protected = format!("{text}protected:\n  - user: BG-01@contoso.onmicrosoft.com\n");
    let state = load_str_clean(&protected);
    assert_eq!(
        principals(&role(&state, "Global Reader").active),
        [(user("bg-01@contoso.onmicrosoft.com"), None)]
    );
}

#[test]
fn a_three_level_chain_merges_nearest_first_with_role_overrides_key_by_key() {
    let state = merged();
    let ex = role(&state, "Exchange Administrator");
    assert_eq!(
        ex.templates,
        ["workload-strict", "workload", "builtin:tier1"]
    );
    let a = &ex.policy.activation;
    // Role over workload-strict over workload over builtin:tier1.
    assert_eq!(a.max_duration, Some(Duration::from_hours(3)));
    assert_eq!(
        a.require,
        reqs(&[Requirement::Mfa, Requirement::Justification])
    );
    assert_eq!(a.authentication_context, Some(Some("c2".into())));
    assert_eq!(
        a.approval.required,
        Some(true),
        "workload-strict over tier1"
    );
    assert_eq!(
        a.approval.stages,
        Some(vec![ApprovalStage {
            approvers: Some(vec![group("Workload-Approvers")]),
            timeout_days: Some(2),
            approver_justification: None,
            escalation_after_minutes: Some(Some(240)),
            escalation_approvers: Some(vec![user("carol.iam@contoso.com")]),
        }])
    );
    assert_eq!(
        ex.policy.eligible_assignment.max_duration,
        Some(Duration::from_days(365))
    );
    assert_eq!(
        ex.policy.active_assignment.max_duration,
        Some(Duration::from_days(15))
    );
    // One key of a notification overridden; the others from the template.
    assert_eq!(
        ex.policy.notifications[&(NotificationEvent::Activated, Recipient::Admin)],
        NotificationSettings {
            recipients: Some(vec!["secops@contoso.com".into()]),
            default_recipients: None,
            critical_only: Some(false),
        }
    );
    assert_eq!(
        principals(&ex.eligible),
        [(group("Exchange-Admins"), Some(utc(2027, 3, 31, 23, 59, 59)))]
    );
    assert_eq!(ex.active, None, "absent: unmanaged");

    // The access review: `every` and reviewers from workload, duration and decision from workload-strict.
    let r = ex.access_review.as_ref().expect("a review");
    assert_eq!(
        r.every,
        Cadence {
            interval: 3,
            unit: CadenceUnit::Month
        }
    );
    assert_eq!(r.duration, Duration::from_days(5));
    assert_eq!(r.reviewers, [Reviewer::Principal(group("Workload-Owners"))]);
    assert_eq!(r.default_decision, DefaultDecision::Deny);
    assert!(!r.auto_apply);
}

#[test]
fn access_review_defaults_and_overrides() {
    let state = merged();
    let sp = role(&state, "SharePoint Administrator");
    assert_eq!(sp.templates, ["workload", "builtin:tier1"]);
    let r = sp.access_review.as_ref().expect("a review");
    assert_eq!(
        r.every,
        Cadence {
            interval: 2,
            unit: CadenceUnit::Week
        }
    );
    assert_eq!(r.duration, Duration::from_days(4));
    assert_eq!(r.reviewers, [Reviewer::Principal(group("Workload-Owners"))]);
    assert_eq!(r.default_decision, DefaultDecision::None, "default");
    assert!(!r.auto_apply, "default");
    assert!(r.origin.file.ends_with("roles.yaml"), "{:?}", r.origin);
    assert_eq!((sp.eligible.as_ref(), sp.active.as_ref()), (None, None));

    // Defaults: three days, no decision, no auto-apply; `managers` reviewers with fallbacks; named cadences.
    let state = load_str_clean(
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    access_review:\n      every: semiannually\n      reviewers: [{managers: true}, {user: ivan.audit@contoso.com}]\n      fallback_reviewers: [{group: Auditors}]\n      auto_apply: true\n",
    );
    let r = role(&state, "Global Reader").access_review.clone().unwrap();
    assert_eq!(
        r.every,
        Cadence {
            interval: 6,
            unit: CadenceUnit::Month
        }
    );
    assert_eq!(r.duration, Duration::from_days(3));
    assert_eq!(
        r.reviewers,
        [
            Reviewer::Managers,
            Reviewer::Principal(user("ivan.audit@contoso.com"))
        ]
    );
    assert_eq!(r.fallback_reviewers, [group("Auditors")]);
    assert_eq!(r.default_decision, DefaultDecision::None);
    assert!(r.auto_apply);
    assert_eq!(r.assignments, ReviewedAssignments::Both, "default");
    assert!(
        r.justification && r.recommendations && r.mail && r.reminders,
        "defaults"
    );
}

#[test]
fn access_review_keys_and_none() {
    let text = "version: pimctl/v1
templates:
  reviewed:
    access_review:
      every: monthly
      reviewers: [{self: true}]
directory_roles:
  Global Reader:
    template: reviewed
    access_review: none
  Security Reader:
    template: reviewed
    access_review:
      assignments: eligible
      justification: false
      recommendations: false
      notifications: {mail: false, reminders: true}
  Reports Reader:
    template: reviewed
groups:
  PIM-Ops:
    member:
      template: reviewed
      access_review:
        every: quarterly
        reviewers: [{group: Ops-Leads}]
";
    let state = load_str_clean(text);
    let gr = role(&state, "Global Reader");
    assert_eq!(gr.access_review, None);
    let none = gr
        .no_access_review
        .as_ref()
        .expect("`none` is kept, with where");
    assert_eq!(none.line, 10);
    let sr = role(&state, "Security Reader")
        .access_review
        .clone()
        .unwrap();
    assert_eq!(sr.assignments, ReviewedAssignments::Eligible);
    assert_eq!(sr.reviewers, [Reviewer::SelfReview], "from the template");
    assert!(!sr.justification && !sr.recommendations && !sr.mail && sr.reminders);
    let rr = role(&state, "Reports Reader");
    assert!(rr.access_review.is_some() && rr.no_access_review.is_none());
    let g = state
        .targets
        .values()
        .find(|t| matches!(t.target, TargetRef::Group { .. }))
        .unwrap();
    let gr = g.access_review.as_ref().unwrap();
    assert_eq!(gr.reviewers, [Reviewer::Principal(group("Ops-Leads"))]);
    assert_eq!(gr.every.interval, 3);
}

#[test]
fn an_explicit_single_stage_merges_over_the_templates_stage_key_by_key() {
    let state = merged();
    let pra = role(&state, "Privileged Role Administrator");
    assert_eq!(pra.templates, ["control", "builtin:tier0"]);
    let ap = &pra.policy.activation.approval;
    assert_eq!(ap.required, Some(true));
    assert_eq!(
        ap.stages,
        // builtin:tier0's stage gives the timeout; `control`'s stage gives approvers and turns justification off.
        Some(vec![ApprovalStage {
            approvers: Some(vec![
                group("T0-First"),
                user("olivia.ciso@contoso.com"),
                group("T0-Second")
            ]),
            timeout_days: Some(1),
            approver_justification: Some(false),
            ..Default::default()
        }])
    );
    // Recipients keep their order; a repeat differing only in case is dropped.
    assert_eq!(
        pra.policy.notifications[&(NotificationEvent::Activated, Recipient::Admin)].recipients,
        Some(vec![
            "secops@contoso.com".to_string(),
            "soc@contoso.com".to_string()
        ])
    );
    assert_eq!(pra.eligible, Some(vec![]), "`[]` manages: nobody");
    assert_eq!(pra.active, None, "absent: unmanaged");
}

#[test]
fn roles_by_name_template_id_object_id_and_custom_flag() {
    let state = merged();
    // A built-in role by its display name in any case.
    let gr = role(&state, "Global Reader");
    assert_eq!(gr.target.label(), "Global Reader");
    assert_eq!(gr.templates, ["builtin:tier2"]);
    assert_eq!(
        gr.policy.activation.max_duration,
        Some(Duration::from_hours(8))
    );
    assert_eq!(gr.policy.eligible_assignment.allow_permanent, None);
    assert_eq!(
        principals(&gr.eligible),
        [(user("ivan.audit@contoso.com"), None)]
    );
    assert_eq!(gr.origin.path, "directory_roles.\"global reader\"");

    // A built-in role by its template id.
    let sr = role(&state, "Security Reader");
    assert_eq!(
        *sr.target.role().unwrap(),
        RoleRef::BuiltIn {
            template_id: "5d6b6bb7-de71-4623-b4af-96380a352509".into(),
            display_name: "Security Reader".into()
        }
    );
    assert!(sr.policy.is_empty());
    assert_eq!(
        (sr.eligible.as_ref(), sr.active.clone()),
        (None, Some(vec![]))
    );

    // A custom role by object id, without `custom: true`.
    let id = RoleKey("11111111-2222-4333-8444-555555555555".into());
    let custom = &state.targets[&TargetKey::directory_role(id)];
    assert!(custom.target.role().unwrap().is_custom());
    assert_eq!(
        *custom.target.role().unwrap(),
        RoleRef::CustomById {
            id: "11111111-2222-4333-8444-555555555555".into()
        }
    );
    assert_eq!(
        principals(&custom.active),
        [(
            PrincipalRef::new(PrincipalKind::ServicePrincipal, "Contoso Provisioning"),
            Some(utc(2027, 1, 31, 23, 59, 59))
        )]
    );

    // A custom role by display name, with `custom: true`.
    let by_name =
        &state.targets[&TargetKey::directory_role(RoleKey("name:contoso auditor".into()))];
    assert_eq!(
        *by_name.target.role().unwrap(),
        RoleRef::CustomByName {
            display_name: "Contoso Auditor".into()
        }
    );
    assert!(by_name.policy.is_empty());
    assert_eq!(
        (by_name.eligible.as_ref(), by_name.active.as_ref()),
        (None, None)
    );
    assert!(by_name.templates.is_empty());
}

#[test]
fn assignment_keys_are_natural_and_sorted() {
    let state = merged();
    let keys: Vec<_> = state.assignments().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 6);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.iter().all(|k| k.target.scope == TENANT_SCOPE));
    let ga = builtin_key("Global Administrator");
    assert_eq!(
        keys.iter()
            .filter(|k| k.target.role == ga)
            .map(|k| (k.kind, k.principal.name.as_str()))
            .collect::<Vec<_>>(),
        // Role, scope, principal, then kind.
        [
            (AssignmentKind::Eligible, "alice.admin@contoso.com"),
            (AssignmentKind::Active, "bg-01@contoso.onmicrosoft.com"),
            (AssignmentKind::Eligible, "carol.iam@contoso.com"),
        ]
    );
}

#[test]
fn past_entries_are_ignored_with_a_warning_and_the_rest_is_kept() {
    let loaded = language::load_str(
        "inline.yaml",
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      - user: old@contoso.com\n        until: 2026-11-20\n      - user: today@contoso.com\n        until: 2026-11-21\n",
        &options(),
    );
    assert!(!loaded.diagnostics.has_errors());
    assert_eq!(loaded.diagnostics.warning_count(), 1);
    let state = loaded.ok().expect("warnings only");
    assert_eq!(
        principals(&role(&state, "Global Reader").eligible),
        [(
            user("today@contoso.com"),
            Some(utc(2026, 11, 21, 23, 59, 59))
        )]
    );
}

#[test]
fn the_contoso_example_loads_without_diagnostics() {
    let state = load_clean(&repo("examples/contoso"));
    assert_eq!(state.files.len(), 8);
    // 12 directory roles, the member and owner blocks of 2 groups, and 5 Azure roles (azure.yaml).
    assert_eq!(state.targets.len(), 21);
    assert_eq!(state.assignments().len(), 37);
    assert_eq!(state.protected.len(), 2);
    // A group block takes a template as a role does: Tier0-Operators' members activate under tier 0.
    let members = group_target(&state, "Tier0-Operators", GroupAccess::Member);
    assert_eq!(members.templates, ["tier0", "builtin:tier0"]);
    assert_eq!(
        members.policy.activation.max_duration,
        Some(Duration::from_hours(1))
    );
    let ga = role(&state, "Global Administrator");
    assert_eq!(ga.templates, ["tier0", "builtin:tier0"]);
    assert_eq!(
        ga.policy.activation.max_duration,
        Some(Duration::from_minutes(30))
    );
    assert_eq!(
        ga.policy.activation.authentication_context,
        Some(Some("c1".into()))
    );
}

#[test]
fn the_shipped_policies_load_without_diagnostics() {
    let state = load_clean(&repo("policies"));
    assert!(state.targets.is_empty());
    assert_eq!(state.files.len(), 1);
    // Loading the embedded copy twice is not a duplicate definition: the user's copy replaces it.
    let state = load_clean(&repo("policies/builtin-tiers.yaml"));
    assert!(state.targets.is_empty());
}

fn group_target<'a>(
    state: &'a DesiredState,
    group: &str,
    access: GroupAccess,
) -> &'a DesiredTarget {
    let key = TargetKey::group_declared(group, access);
    state
        .targets
        .get(&key)
        .unwrap_or_else(|| panic!("no group target {key} in {:?}", state.targets.keys()))
}

#[test]
fn groups_lower_member_and_owner_into_group_targets_with_exactly_their_settings() {
    let state = load_clean(&repo("tests/valid/groups"));
    let keys: Vec<String> = state.targets.keys().map(ToString::to_string).collect();
    assert_eq!(
        keys,
        [
            "group:0d3f5c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6:owner",
            "group:name:tier0-operators:member",
            "group:name:tier0-operators:owner",
        ]
    );

    // Member: builtin:tier0 merged under the block's own keys; auth context set.
    let member = group_target(&state, "tier0-operators", GroupAccess::Member);
    assert_eq!(
        member.target,
        TargetRef::Group {
            group: "Tier0-Operators".into(),
            access: GroupAccess::Member
        }
    );
    assert_eq!(member.templates, ["builtin:tier0"]);
    let a = &member.policy.activation;
    assert_eq!(a.authentication_context, Some(Some("c1".to_string())));
    assert_eq!(a.max_duration, Some(Duration::from_secs(2 * 3600)));
    assert_eq!(
        a.require,
        reqs(&[
            Requirement::Mfa,
            Requirement::Justification,
            Requirement::Ticket
        ])
    );
    assert_eq!(a.approval.required, Some(true));
    let stages = a.approval.stages.as_ref().expect("one stage");
    assert_eq!(stages.len(), 1);
    assert_eq!(stages[0].approvers, Some(vec![group("PIM Approvers")]));
    assert_eq!(
        member.policy.eligible_assignment.allow_permanent,
        Some(false)
    );
    assert_eq!(
        member.policy.eligible_assignment.max_duration,
        Some(Duration::from_days(365))
    );
    assert_eq!(
        member
            .policy
            .notifications
            .get(&(NotificationEvent::Activated, Recipient::Admin))
            .and_then(|n| n.recipients.clone()),
        Some(vec!["pim-alerts@contoso.com".to_string()])
    );
    assert_eq!(
        principals(&member.eligible),
        [(
            user("alice@contoso.com"),
            Some(utc(2027, 6, 30, 23, 59, 59))
        )]
    );
    // The protected break-glass member stays permanent although tier 0 requires an end date.
    assert_eq!(
        principals(&member.active),
        [(user("breakglass@contoso.onmicrosoft.com"), None)]
    );

    // Owner: builtin:tier1, auth context explicitly cleared, nobody active, eligibility unmanaged.
    let owner = group_target(&state, "Tier0-Operators", GroupAccess::Owner);
    assert_eq!(owner.templates, ["builtin:tier1"]);
    assert_eq!(owner.policy.activation.authentication_context, Some(None));
    assert_eq!(
        owner.policy.activation.max_duration,
        Some(Duration::from_secs(4 * 3600))
    );
    assert_eq!(owner.policy.activation.approval.required, Some(false));
    assert_eq!(owner.active, Some(vec![]));
    assert_eq!(owner.eligible, None);
    assert!(owner.policy.notifications.is_empty());

    // By id, no template: exactly the declared keys and nothing else.
    let by_id = group_target(
        &state,
        "0d3f5c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        GroupAccess::Owner,
    );
    let mut expected = PolicySettings::default();
    expected.activation.max_duration = Some(Duration::from_secs(3600));
    expected.activation.require = reqs(&[Requirement::Mfa]);
    expected.activation.authentication_context = Some(Some("c7".to_string()));
    assert_eq!(by_id.policy, expected);
    assert_eq!(
        principals(&by_id.eligible),
        [(user("bob@contoso.com"), None)]
    );
    assert_eq!(by_id.active, None);
    assert!(by_id.templates.is_empty());
}

#[test]
fn auth_context_can_be_set_and_cleared_on_both_member_and_owner() {
    for (member, owner, want_member, want_owner) in [
        ("c2", "off", Some(Some("c2")), Some(None)),
        ("off", "c9", Some(None), Some(Some("c9"))),
    ] {
        let text = format!(
            "version: pimctl/v1\ngroups:\n  Ops:\n    member:\n      activation:\n        authentication_context: \"{member}\"\n    owner:\n      activation:\n        authentication_context: \"{owner}\"\n"
        );
        let state = load_str_clean(&text);
        for (access, want) in [
            (GroupAccess::Member, want_member),
            (GroupAccess::Owner, want_owner),
        ] {
            let t = group_target(&state, "ops", access);
            assert_eq!(
                t.policy.activation.authentication_context,
                want.map(|w| w.map(str::to_string)),
                "{access:?} with member {member}, owner {owner}"
            );
            let mut only = PolicySettings::default();
            only.activation.authentication_context =
                t.policy.activation.authentication_context.clone();
            assert_eq!(t.policy, only, "nothing but the auth context is declared");
        }
    }
}

/// `builtin:tier0-reviewed` is `builtin:tier0` with its review: monthly, 4 days, the eligible assignments (so a
/// break-glass account, permanently active, is never reviewed away), deny and auto-apply. Its reviewers are the
/// role's to name (`must_set`); `builtin:tier0` itself declares no review, so its users are not broken by it.
#[test]
fn the_reviewed_tier0_template_reviews_eligibility_and_leaves_the_reviewers_to_the_role() {
    let head = "version: pimctl/v1\nprotected:\n  - user: bg-01@contoso.onmicrosoft.com\ndirectory_roles:\n  Global Administrator:\n    template: builtin:tier0-reviewed\n    activation:\n      approval:\n        approvers: [{group: PIM-Tier0-Approvers}]\n    notifications:\n      activated: {admin: {recipients: [secops@contoso.com]}}\n    active:\n      - user: bg-01@contoso.onmicrosoft.com\n";
    let state = load_str_clean(&format!(
        "{head}    access_review:\n      reviewers: [{{group: Tier0-Owners}}]\n"
    ));
    let rv = role(&state, "Global Administrator")
        .access_review
        .as_ref()
        .unwrap();
    assert_eq!(rv.every.to_string(), "1 month");
    assert_eq!(rv.duration.whole_days(), Some(4));
    assert_eq!(rv.assignments, ReviewedAssignments::Eligible);
    assert_eq!(
        (rv.default_decision, rv.auto_apply),
        (DefaultDecision::Deny, true)
    );
    assert_eq!(
        rv.reviewers,
        [Reviewer::Principal(PrincipalRef::new(
            PrincipalKind::Group,
            "Tier0-Owners"
        ))]
    );
    // Without reviewers, the role is told to name them.
    let Loaded { diagnostics, .. } = language::load_str("inline.yaml", head, &options());
    let text = diagnostics.render_text(false);
    assert!(
        text.contains("error[E0162]: `Global Administrator` must set `access_review.reviewers`"),
        "{text}"
    );
    // And plain builtin:tier0 still declares no review.
    let state = load_str_clean(&head.replace("builtin:tier0-reviewed", "builtin:tier0"));
    assert!(role(&state, "Global Administrator").access_review.is_none());
}
