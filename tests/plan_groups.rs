//! PIM for Groups planned like directory roles, over real HTTP against the emulator: a declared group is found by
//! name or id, its two policies and its schedules are read in `$batch`, and the engine plans them (rule changes on
//! `member` and `owner`, eligible and active assignments, protected principals, activations as notes) with no code
//! of its own for groups.

mod planning;
use pimctl::plan::{Action, ChangeKey, NoteKind, PlanErrorCode};
use planning::*;

const SEED: &str = r##"
tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: admin@contoso.com, display_name: Admin}
  - {upn: alice@contoso.com, display_name: Alice}
  - {upn: bob@contoso.com, display_name: Bob}
  - {upn: carol@contoso.com, display_name: Carol}
  - {upn: dave@contoso.com, display_name: Dave}
  - {upn: bg-01@contoso.com, display_name: Break Glass 01}
groups:
  - {name: Approvers, members: [admin@contoso.com]}
  - name: Tier0-Operators
    role_assignable: true
    pim:
      policies:
        member:
          Expiration_EndUser_Assignment: {maximumDuration: PT2H}
          AuthenticationContext_EndUser_Assignment: {isEnabled: true, claimValue: c1}
        owner:
          Expiration_Admin_Assignment: {isExpirationRequired: false}
      eligible:
        - {access: member, user: alice@contoso.com, until: 2027-06-01T23:59:59Z}
        - {access: member, user: bob@contoso.com, until: 2027-06-01T23:59:59Z}
        - {access: owner, user: bob@contoso.com, until: 2027-06-01T23:59:59Z}
      active:
        - {access: owner, user: carol@contoso.com}
        - {access: member, user: bg-01@contoso.com}
      activations:
        - {access: owner, user: bob@contoso.com, duration: PT2H, justification: rotate keys}
  - {name: Helpdesk-Team, pim: {}}
  - {name: Shared-Name, id: 5a4e0001-0000-4000-8000-000000000001}
  - {name: shared-name, id: 5a4e0001-0000-4000-8000-000000000002}
eligible:
  - {role: Global Administrator, group: Tier0-Operators, until: 2027-06-01T23:59:59Z}
"##;

const DECLARED: &str = r#"
version: pimctl/v1
protected:
  - user: bg-01@contoso.com
groups:
  tier0-operators:
    member:
      activation:
        max_duration: 1h
        authentication_context: "off"
      eligible:
        - {user: alice@contoso.com, until: 2027-06-01}
        - {user: dave@contoso.com, until: 2027-06-01}
      active: []
    owner:
      activation:
        authentication_context: c2
      eligible:
        - {user: bob@contoso.com, until: 2027-06-01}
      active: []
"#;

/// The object id of Tier0-Operators, as the emulator spells it.
fn tier0_operators(em: &pimctl::emulator::RunningEmulator) -> String {
    em.with_state(|s| {
        s.groups
            .iter()
            .find(|g| g.group.display_name.as_deref() == Some("Tier0-Operators"))
            .map(|g| g.group.id.clone())
    })
    .expect("Tier0-Operators is in the seed")
}

fn key_of(c: &pimctl::plan::Change) -> (String, String) {
    let t = c.key.target();
    (t.scope.clone(), t.role.0.clone())
}

#[tokio::test]
async fn a_declared_group_is_planned_like_a_directory_role() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let (_dir, desired) = desired_yaml(DECLARED, &em);
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let gid = tier0_operators(&em).to_lowercase();
    // Every change is keyed by the group's id (the name was resolved), with member or owner.
    let mut got: Vec<(String, String, String, String)> = plan
        .changes
        .iter()
        .map(|c| {
            let (scope, role) = key_of(c);
            assert_eq!(scope, gid, "{:?}", c.key);
            assert_eq!(c.key.target().surface, pimctl::model::Surface::Group);
            assert_eq!(c.role_name, "Tier0-Operators");
            let what = match &c.key {
                ChangeKey::Rule { rule, .. } => rule.to_string(),
                ChangeKey::Assignment { kind, .. } => format!(
                    "{kind} {}",
                    c.principal.as_ref().map_or("?", |p| p.label.as_str())
                ),
                ChangeKey::Review { .. } => "access review".to_string(),
                ChangeKey::ScopesBelow { .. } => "scopes below".to_string(),
            };
            (c.action.as_str().to_string(), role, what, String::new())
        })
        .collect();
    got.sort();
    let want =
        |a: &str, r: &str, w: &str| (a.to_string(), r.to_string(), w.to_string(), String::new());
    assert_eq!(
        got,
        vec![
            want("create", "member", "eligible dave@contoso.com"),
            want("remove", "member", "eligible bob@contoso.com"),
            want("remove", "owner", "active carol@contoso.com"),
            want(
                "update_rule",
                "member",
                "AuthenticationContext_EndUser_Assignment"
            ),
            want("update_rule", "member", "Expiration_EndUser_Assignment"),
            want(
                "update_rule",
                "owner",
                "AuthenticationContext_EndUser_Assignment"
            ),
        ],
        "{:#?}",
        lines(&plan)
    );
    // Authentication context cleared on member, set on owner: each PATCHes its own policy.
    let auth = |role: &str| {
        plan.changes
            .iter()
            .find(|c| {
                key_of(c).1 == role
                    && matches!(&c.key, ChangeKey::Rule { rule, .. }
                        if rule.as_str() == "AuthenticationContext_EndUser_Assignment")
            })
            .unwrap()
    };
    let (member, owner) = (auth("member"), auth("owner"));
    assert_eq!(member.operations[0].body["isEnabled"], false);
    assert_eq!(owner.operations[0].body["isEnabled"], true);
    assert_eq!(owner.operations[0].body["claimValue"], "c2");
    assert_ne!(member.operations[0].path, owner.operations[0].path);
    for c in [member, owner] {
        assert!(
            c.operations[0]
                .path
                .starts_with(&format!("/policies/roleManagementPolicies/Group_{gid}")),
            "{}",
            c.operations[0].path
        );
    }
    // Assignments go through the group requests, with accessId.
    let create = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Create)
        .unwrap();
    assert_eq!(
        create.operations[0].path,
        "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests"
    );
    assert_eq!(create.operations[0].body["accessId"], "member");
    assert_eq!(create.operations[0].body["groupId"], gid.as_str());
    // The group holds Global Administrator: its changes are judged as tier 0 (a permanent owner removed
    // strengthens).
    let carol = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Remove && key_of(c).1 == "owner")
        .unwrap();
    assert_eq!(carol.posture.effect, pimctl::plan::Effect::Strengthens);
    // The protected principal stays, and the activation in progress is a note, not drift.
    let note = |k: NoteKind| plan.notes.iter().filter(move |n| n.kind == k);
    let kept: Vec<_> = note(NoteKind::KeptProtected).collect();
    assert_eq!(kept.len(), 1, "{:?}", plan.notes);
    assert_eq!(kept[0].principal.as_deref(), Some("bg-01@contoso.com"));
    assert_eq!(kept[0].target.as_ref().unwrap().role.0, "member");
    let act: Vec<_> = note(NoteKind::Activation).collect();
    assert_eq!(act.len(), 1, "{:?}", plan.notes);
    assert_eq!(act[0].principal.as_deref(), Some("bob@contoso.com"));
    assert_eq!(act[0].target.as_ref().unwrap().role.0, "owner");
    assert!(plan.changes.iter().all(|c| {
        c.principal
            .as_ref()
            .is_none_or(|p| p.label != "bg-01@contoso.com")
    }));
    // The old warning is gone: a group is read, not skipped.
    assert_eq!(note(NoteKind::NotManaged).count(), 0, "{:?}", plan.notes);
    // Every object the plan would touch is fingerprinted under the group target.
    assert_eq!(plan.fingerprints.len(), plan.changes.len());
    assert!(plan.fingerprints.keys().all(|o| o.target().scope == gid));
}

#[tokio::test]
async fn a_group_declared_by_id_plans_the_same_as_by_name() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let (_d1, by_name) = desired_yaml(DECLARED, &em);
    let gid = tier0_operators(&em);
    let (_d2, by_id) = desired_yaml(
        &DECLARED.replace("tier0-operators:", &format!("{gid}:")),
        &em,
    );
    let a = plan_against(&em, &by_name).await;
    let b = plan_against(&em, &by_id).await;
    assert!(b.errors.is_empty(), "{:?}", b.errors);
    let same = |p: &pimctl::plan::Plan| -> Vec<serde_json::Value> {
        p.changes
            .iter()
            .map(|c| serde_json::json!([c.key, c.action, c.after, c.fields, c.operations[0].path]))
            .collect()
    };
    assert_eq!(a.changes.len(), 6);
    assert_eq!(same(&a), same(&b));
}

#[tokio::test]
async fn groups_that_cannot_be_found_or_used_are_plan_errors_at_their_line() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let gid = tier0_operators(&em);
    let text = format!(
        r#"
version: pimctl/v1
groups:
  No-Such-Group:
    member: {{eligible: []}}
  00000000-0000-4000-8000-000000000001:
    owner: {{eligible: []}}
  Shared-Name:
    member: {{eligible: []}}
  Tier0-Operators:
    member: {{eligible: []}}
  {gid}:
    owner: {{eligible: []}}
  Helpdesk-Team:
    member:
      template: builtin:tier0
      activation:
        approval: {{approvers: [{{user: admin@contoso.com}}]}}
      notifications:
        activated: {{admin: {{recipients: [secops@contoso.com]}}}}
"#
    );
    let (_dir, desired) = desired_yaml(&text, &em);
    let plan = plan_against(&em, &desired).await;
    assert!(plan.changes.is_empty());
    assert!(plan.fingerprints.is_empty());
    let errors: Vec<(PlanErrorCode, &str, u32)> = plan
        .errors
        .iter()
        .map(|e| (e.code, e.message.as_str(), e.origin.as_ref().unwrap().line))
        .collect();
    let find = |code: PlanErrorCode| -> Vec<&(PlanErrorCode, &str, u32)> {
        errors.iter().filter(|e| e.0 == code).collect()
    };
    let missing = find(PlanErrorCode::GroupNotFound);
    assert_eq!(missing.len(), 2, "{errors:#?}");
    assert!(
        missing
            .iter()
            .any(|e| e.1.contains("'No-Such-Group'") && e.2 == 5)
    );
    assert!(
        missing
            .iter()
            .any(|e| e.1.contains("00000000-0000-4000-8000-000000000001") && e.2 == 7)
    );
    let ambiguous = find(PlanErrorCode::GroupAmbiguous);
    assert_eq!(ambiguous.len(), 1, "{errors:#?}");
    assert!(
        ambiguous[0].1.contains("matches 2 groups"),
        "{}",
        ambiguous[0].1
    );
    assert_eq!(ambiguous[0].2, 9);
    let ids: Vec<String> = em.with_state(|s| {
        s.groups
            .iter()
            .filter(|g| {
                g.group
                    .display_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case("shared-name"))
            })
            .map(|g| g.group.id.clone())
            .collect()
    });
    assert!(
        ids.iter().all(|id| ambiguous[0].1.contains(id.as_str())),
        "{}",
        ambiguous[0].1
    );
    let twice = find(PlanErrorCode::GroupDeclaredTwice);
    assert_eq!(twice.len(), 1, "{errors:#?}");
    assert!(twice[0].1.contains(&gid), "{}", twice[0].1);
    let assignable = find(PlanErrorCode::GroupNotRoleAssignable);
    assert_eq!(assignable.len(), 1, "{errors:#?}");
    assert!(
        assignable[0].1.contains("'Helpdesk-Team'") && assignable[0].1.contains("builtin:tier0")
    );
    assert_eq!(assignable[0].2, 16);
    assert_eq!(plan.errors.len(), 5, "{errors:#?}");
}

#[tokio::test]
async fn a_group_declared_to_hold_a_directory_role_must_be_role_assignable() {
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let text = r#"
version: pimctl/v1
directory_roles:
  Helpdesk Administrator:
    eligible:
      - {group: Helpdesk-Team}
groups:
  Helpdesk-Team:
    member: {eligible: []}
"#;
    let (_dir, desired) = desired_yaml(text, &em);
    let plan = plan_against(&em, &desired).await;
    let e: Vec<_> = plan
        .errors
        .iter()
        .filter(|e| e.code == PlanErrorCode::GroupNotRoleAssignable)
        .collect();
    assert_eq!(e.len(), 1, "{:?}", plan.errors);
    assert!(
        e[0].message.contains("Helpdesk Administrator"),
        "{}",
        e[0].message
    );
    assert!(
        e[0].message.contains("tenant would refuse"),
        "{}",
        e[0].message
    );
}

/// Text, Markdown and JSON name a group's changes under the group, with `member` / `owner` visible.
#[tokio::test]
async fn group_changes_render_under_the_group_with_member_or_owner() {
    use pimctl::render::{Format, render};
    let em = emulator_from_yaml(SEED, &Setup::default()).await;
    let (dir, desired) = desired_yaml(DECLARED, &em);
    let plan = plan_against(&em, &desired).await;
    let stable = |s: String| {
        s.replace(&dir.path().display().to_string(), "<dir>")
            .replace(&em.base_url(), "<emulator>")
    };
    let text = stable(render(&plan, Format::Text, false));
    assert!(text.contains("Group Tier0-Operators · member\n"), "{text}");
    assert!(text.contains("Group Tier0-Operators · owner\n"), "{text}");
    insta::assert_snapshot!("groups-plan-txt", text);
    let md = stable(render(&plan, Format::Markdown, false));
    assert!(md.contains("| Group Tier0-Operators · owner |"), "{md}");
    insta::assert_snapshot!("groups-plan-md", md);
    // The plan's id digests the declaration's paths, and the clock runs between the emulator's start and the read.
    let mut json: serde_json::Value =
        serde_json::from_str(&stable(render(&plan, Format::Json, false))).unwrap();
    json["id"] = "<id>".into();
    json["read_at"] = "<read_at>".into();
    insta::assert_snapshot!(
        "groups-plan-json",
        serde_json::to_string_pretty(&json).unwrap()
    );
}
