//! Whatever the tenant holds, `import` then `plan` against it gives zero changes, and the imported files load with
//! no diagnostic. Random tenants (rule values, approvers, assignments of users, groups and service principals,
//! end dates, expired assignments and activations) in the emulator, over real HTTP; and random Azure estates imported
//! with `--azure` (below).

mod importing;
mod planning;

use importing::round_trip;
use pimctl::import::Options;
use planning::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write;

const ROLES: [&str; 4] = [
    "Global Administrator",
    "Security Administrator",
    "Exchange Administrator",
    "Helpdesk Administrator",
];
const USERS: [&str; 6] = [
    "alice.admin@contoso.com",
    "bob.secops@contoso.com",
    "carol.iam@contoso.com",
    "dave.helpdesk@contoso.com",
    "erin.exchange@contoso.com",
    "bg-01@contoso.onmicrosoft.com",
];
/// Holders: the users, two role-assignable groups, a service principal.
const GROUPS: [&str; 2] = ["SecOps-Tier0", "Helpdesk-Team"];
const SP: &str = "Contoso Provisioning";
const APPROVERS: [(&str, &str); 4] = [
    ("groupMembers", "PIM-Tier0-Approvers"),
    ("groupMembers", "Tier0-Owners"),
    ("singleUser", "olivia.ciso@contoso.com"),
    ("singleUser", "carol.iam@contoso.com"),
];
const ENDS: [Option<&str>; 5] = [
    None,
    Some("2026-12-01T23:59:59Z"),
    Some("2027-03-31T10:15:00Z"),
    Some("2027-12-31T23:59:59Z"),
    Some("2026-11-20T00:00:00Z"), // already ended
];

#[derive(Debug, Clone)]
struct Policy {
    activation_max: &'static str,
    activation_rules: Vec<bool>,
    context: Option<u8>,
    approval: (bool, bool, bool),
    timeout_days: u8,
    approver_justification: bool,
    escalation: Option<u16>,
    approvers: Vec<bool>,
    escalation_approvers: Vec<bool>,
    eligible: (bool, &'static str, Vec<bool>),
    active: (bool, &'static str, Vec<bool>),
    /// Nine rules: recipients (a subset of two), default recipients, critical only.
    notifications: Vec<(Vec<bool>, bool, bool)>,
}

fn policy() -> impl Strategy<Value = Policy> {
    let activation = (
        prop::sample::select(vec![
            "PT30M", "PT1H", "PT2H30M", "PT8H", "PT24H", "PT10M", "P2D",
        ]),
        prop::collection::vec(any::<bool>(), 3),
        prop::option::of(prop_oneof![1u8..=99, Just(100u8)]),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        0u8..4,
        any::<bool>(),
        prop::option::of(0u16..200),
        prop::collection::vec(any::<bool>(), 4),
        prop::collection::vec(any::<bool>(), 4),
    );
    let assignment = |maxes: Vec<&'static str>| {
        (
            any::<bool>(),
            prop::sample::select(maxes),
            prop::collection::vec(any::<bool>(), 3),
        )
    };
    (
        activation,
        assignment(vec!["P30D", "P90D", "P365D"]),
        assignment(vec!["PT12H", "P1D", "P15D", "P180D"]),
        prop::collection::vec(
            (
                prop::collection::vec(any::<bool>(), 2),
                any::<bool>(),
                any::<bool>(),
            ),
            9,
        ),
    )
        .prop_map(
            |((max, rules, ctx, approval, timeout, aj, esc, ap, eap), el, ac, n)| Policy {
                activation_max: max,
                activation_rules: rules,
                context: ctx,
                approval,
                timeout_days: timeout,
                approver_justification: aj,
                escalation: esc,
                approvers: ap,
                escalation_approvers: eap,
                eligible: el,
                active: ac,
                notifications: n,
            },
        )
}

/// (role, holder, active?, end)
type Assignment = (usize, usize, bool, usize);

#[derive(Debug, Clone)]
struct Case {
    policies: Vec<Option<Policy>>,
    assignments: Vec<Assignment>,
    /// Eligible assignments (by index) with an activation in progress.
    activations: Vec<usize>,
}

fn case() -> impl Strategy<Value = Case> {
    let holders = USERS.len() + GROUPS.len() + 1;
    (
        prop::collection::vec(prop::option::of(policy()), ROLES.len()),
        prop::collection::vec(
            (0..ROLES.len(), 0..holders, any::<bool>(), 0..ENDS.len()),
            0..12,
        ),
        prop::collection::vec(0usize..12, 0..3),
    )
        .prop_map(|(policies, assignments, activations)| Case {
            policies,
            assignments,
            activations,
        })
}

fn enabled(names: &[&str], on: &[bool]) -> String {
    let v: Vec<&str> = names
        .iter()
        .zip(on)
        .filter(|(_, b)| **b)
        .map(|(n, _)| *n)
        .collect();
    format!("[{}]", v.join(", "))
}

fn subjects(on: &[bool]) -> String {
    let v: Vec<String> = APPROVERS
        .iter()
        .zip(on)
        .filter(|(_, b)| **b)
        .map(|((t, n), _)| {
            let key = if *t == "singleUser" {
                "userId"
            } else {
                "groupId"
            };
            format!("{{\"@odata.type\": \"#microsoft.graph.{t}\", {key}: {n}}}")
        })
        .collect();
    format!("[{}]", v.join(", "))
}

fn seed(c: &Case) -> String {
    let mut s = String::new();
    let mut seen = BTreeSet::new();
    let mut eligible_users = vec![];
    s.push_str("eligible:\n");
    let mut active = String::from("active:\n");
    for (i, (role, holder, is_active, end)) in c.assignments.iter().enumerate() {
        let (key, name) = if *holder < USERS.len() {
            ("user", USERS[*holder])
        } else if *holder < USERS.len() + GROUPS.len() {
            ("group", GROUPS[*holder - USERS.len()])
        } else {
            ("service_principal", SP)
        };
        // Service principals are active and time-bound in this generator (the emulator refuses them eligible).
        let is_active = *is_active || key == "service_principal";
        if !seen.insert((*role, *holder, is_active)) {
            continue;
        }
        let until = ENDS[*end]
            .map(|u| format!(", until: {u}"))
            .unwrap_or_default();
        let line = format!("  - {{role: {}, {key}: {name}{until}}}\n", ROLES[*role]);
        if is_active {
            active.push_str(&line);
        } else {
            s.push_str(&line);
            if key == "user" && *end != 4 {
                eligible_users.push((i, *role, *holder, name));
            }
        }
    }
    s.push_str(&active);
    // An activation needs an eligibility, and no active assignment of the same role.
    eligible_users.retain(|(_, role, holder, _)| !seen.contains(&(*role, *holder, true)));
    s.push_str("activations:\n");
    let mut activated = BTreeSet::new();
    for a in &c.activations {
        if let Some((_, role, _, name)) = eligible_users.get(*a)
            && activated.insert((*role, *name))
        {
            writeln!(
                s,
                "  - {{role: {}, user: {name}, start: 2026-11-21T08:30:00Z, duration: PT1H}}",
                ROLES[*role]
            )
            .unwrap();
        }
    }
    s.push_str("policies:\n");
    for (role, p) in ROLES.iter().zip(&c.policies) {
        let Some(p) = p else { continue };
        writeln!(s, "  {role}:").unwrap();
        writeln!(
            s,
            "    Expiration_EndUser_Assignment: {{isExpirationRequired: true, maximumDuration: {}}}",
            p.activation_max
        )
        .unwrap();
        let rules = ["MultiFactorAuthentication", "Justification", "Ticketing"];
        writeln!(
            s,
            "    Enablement_EndUser_Assignment: {{enabledRules: {}}}",
            enabled(&rules, &p.activation_rules)
        )
        .unwrap();
        match p.context {
            Some(n) => writeln!(
                s,
                "    AuthenticationContext_EndUser_Assignment: {{isEnabled: true, claimValue: c{n}}}"
            ),
            None => writeln!(
                s,
                "    AuthenticationContext_EndUser_Assignment: {{isEnabled: false}}"
            ),
        }
        .unwrap();
        let (required, extension, requestor) = p.approval;
        writeln!(
            s,
            "    Approval_EndUser_Assignment:\n      setting:\n        isApprovalRequired: {required}\n        isApprovalRequiredForExtension: {extension}\n        isRequestorJustificationRequired: {requestor}\n        approvalMode: SingleStage\n        approvalStages:\n          - approvalStageTimeOutInDays: {}\n            isApproverJustificationRequired: {}\n            isEscalationEnabled: {}\n            escalationTimeInMinutes: {}\n            primaryApprovers: {}\n            escalationApprovers: {}",
            p.timeout_days,
            p.approver_justification,
            p.escalation.is_some(),
            p.escalation.unwrap_or(0),
            subjects(&p.approvers),
            subjects(&p.escalation_approvers),
        )
        .unwrap();
        for (rule, (required, max, reqs)) in
            [("Eligibility", &p.eligible), ("Assignment", &p.active)]
        {
            writeln!(
                s,
                "    Expiration_Admin_{rule}: {{isExpirationRequired: {required}, maximumDuration: {max}}}"
            )
            .unwrap();
            writeln!(
                s,
                "    Enablement_Admin_{rule}: {{enabledRules: {}}}",
                enabled(&rules, reqs)
            )
            .unwrap();
        }
        let ids = [
            "Notification_Admin_Admin_Eligibility",
            "Notification_Requestor_Admin_Eligibility",
            "Notification_Approver_Admin_Eligibility",
            "Notification_Admin_Admin_Assignment",
            "Notification_Requestor_Admin_Assignment",
            "Notification_Approver_Admin_Assignment",
            "Notification_Admin_EndUser_Assignment",
            "Notification_Requestor_EndUser_Assignment",
            "Notification_Approver_EndUser_Assignment",
        ];
        for (id, (to, default, critical)) in ids.iter().zip(&p.notifications) {
            let level = if *critical { "Critical" } else { "All" };
            writeln!(
                s,
                "    {id}: {{notificationRecipients: {}, isDefaultRecipientsEnabled: {default}, notificationLevel: {level}}}",
                enabled(&["alerts@contoso.com", "Ops@Contoso.com"], to)
            )
            .unwrap();
        }
    }
    fresh_with(&s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_tenant_imports_and_plans_with_no_changes(c in case(), minimal in any::<bool>()) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let em = emulator_from_yaml(&seed(&c), &Setup::default()).await;
            let options = Options { minimal, ..Options::default() };
            // round_trip asserts: no diagnostic on the imported files, no plan error, no change.
            let (imported, plan) = round_trip(&em, &options).await;
            let activations = plan
                .notes
                .iter()
                .filter(|n| n.kind == pimctl::plan::NoteKind::Activation)
                .count();
            assert_eq!(imported.summary.activations, activations);
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Azure resource roles (`import --azure`): random assignments (with and without ABAC conditions, at a management
// group, subscriptions and resource groups, so that some are inherited where others are imported) and changed
// policies, imported at random scopes; the imported files plan to nothing, and still do with every role respelt by
// its role definition id (at tenant level, or below the subscription): one role, whichever way it is written.

use pimctl::graph::arm::ArmScope;

/// The fresh tenant's Azure estate (tests/fixtures/tenants/fresh.yaml).
const AZ_SCOPES: [&str; 6] = [
    "/providers/Microsoft.Management/managementGroups/contoso",
    "/subscriptions/c0150000-0000-4000-8000-000000000001",
    "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg",
    "/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/data-rg",
    "/subscriptions/c0150000-0000-4000-8000-000000000002",
    "/subscriptions/c0150000-0000-4000-8000-000000000002/resourceGroups/sandbox-rg",
];
const AZ_ROLES: [&str; 5] = [
    "Owner",
    "User Access Administrator",
    "Contributor",
    "Reader",
    AZ_CUSTOM.0,
];
/// A custom role assignable at the management group (so at every scope drawn): import writes it by name.
const AZ_CUSTOM: (&str, &str) = (
    "Contoso VM Operator",
    "c0570000-0000-4000-8000-0000000000a1",
);
const AZ_CONDITIONS: [&str; 2] = [
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'audit'",
];

/// (scope, role, user, active?, end, condition)
type AzAssignment = (usize, usize, usize, bool, usize, Option<usize>);
/// (scope, role, activation maximum, active assignments: expiry required and maximum)
type AzPolicy = (usize, usize, &'static str, bool, &'static str);

#[derive(Debug, Clone)]
struct AzCase {
    assignments: Vec<AzAssignment>,
    policies: Vec<AzPolicy>,
    /// Which scopes `--azure` names (at least one).
    imported: Vec<bool>,
    /// Per role: its respelling, tenant-level id (false) or below the subscription (true).
    below_subscription: Vec<bool>,
}

fn az_case() -> impl Strategy<Value = AzCase> {
    (
        prop::collection::vec(
            (
                0..AZ_SCOPES.len(),
                0..AZ_ROLES.len(),
                0..USERS.len(),
                any::<bool>(),
                0..ENDS.len() - 1,
                prop::option::of(0..AZ_CONDITIONS.len()),
            ),
            0..10,
        ),
        prop::collection::vec(
            (
                0..AZ_SCOPES.len(),
                0..AZ_ROLES.len(),
                prop::sample::select(vec!["PT1H", "PT4H", "PT8H", "PT30M"]),
                any::<bool>(),
                prop::sample::select(vec!["P15D", "P90D", "P180D"]),
            ),
            0..4,
        ),
        prop::collection::vec(any::<bool>(), AZ_SCOPES.len())
            .prop_filter("one scope at least", |v| v.iter().any(|b| *b)),
        prop::collection::vec(any::<bool>(), AZ_ROLES.len()),
    )
        .prop_map(
            |(assignments, policies, imported, below_subscription)| AzCase {
                assignments,
                policies,
                imported,
                below_subscription,
            },
        )
}

/// The Azure assignments and policies, closing the fresh tenant's `azure:` section.
fn az_seed(c: &AzCase) -> String {
    let mut s = String::new();
    let mut seen = BTreeSet::new();
    let mut lists = [String::from("  eligible:\n"), String::from("  active:\n")];
    for (scope, role, user, active, end, condition) in &c.assignments {
        if !seen.insert((*scope, *role, *user, *active)) {
            continue;
        }
        let mut line = format!(
            "    - {{scope: {}, role: {}, user: {}",
            AZ_SCOPES[*scope], AZ_ROLES[*role], USERS[*user]
        );
        if let Some(u) = ENDS[*end] {
            write!(line, ", until: {u}").unwrap();
        }
        if let Some(i) = condition {
            write!(
                line,
                ", condition: \"{}\", condition_version: '2.0'",
                AZ_CONDITIONS[*i]
            )
            .unwrap();
        }
        lists[*active as usize].push_str(&line);
        lists[*active as usize].push_str("}\n");
    }
    for l in lists {
        if l.contains("- ") {
            s.push_str(&l);
        }
    }
    writeln!(
        s,
        "  custom_roles:\n    - {{name: {}, id: {}, actions: [Microsoft.Compute/virtualMachines/start/action], assignable_scopes: [{}]}}",
        AZ_CUSTOM.0, AZ_CUSTOM.1, AZ_SCOPES[0]
    )
    .unwrap();
    let mut policies = String::new();
    let mut seen = BTreeSet::new();
    for (scope, role, activation, required, max) in &c.policies {
        if !seen.insert((*scope, *role)) {
            continue;
        }
        // ARM refuses a maximum where expiry is not required (EasyPIM#272).
        let admin = if *required {
            format!("{{isExpirationRequired: true, maximumDuration: {max}}}")
        } else {
            "{isExpirationRequired: false}".to_string()
        };
        writeln!(
            policies,
            "    - scope: {}\n      role: {}\n      rules:\n        Expiration_EndUser_Assignment: {{isExpirationRequired: true, maximumDuration: {activation}}}\n        Expiration_Admin_Assignment: {admin}",
            AZ_SCOPES[*scope], AZ_ROLES[*role]
        )
        .unwrap();
    }
    if !policies.is_empty() {
        s.push_str("  policies:\n");
        s.push_str(&policies);
    }
    fresh_with(&s)
}

/// The imported files with every Azure role written by its role definition id instead of its name.
fn respelt(files: &[pimctl::import::File], below_subscription: &[bool]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| {
            let mut text = f.text.clone();
            if f.name == "azure.yaml" {
                for (r, name) in AZ_ROLES.iter().enumerate() {
                    let guid = pimctl::azure_catalog::lookup(name)
                        .map_or(AZ_CUSTOM.1, |r| &r.role_definition_id);
                    let id = if below_subscription[r] {
                        format!(
                            "/subscriptions/c0150000-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleDefinitions/{guid}"
                        )
                    } else {
                        format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}")
                    };
                    text = text.replace(&format!("\n    {name}:"), &format!("\n    {id}:"));
                }
            }
            (f.name.clone(), text)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn any_azure_estate_imports_and_plans_with_no_changes(c in az_case(), minimal in any::<bool>()) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let em = emulator_from_yaml(&az_seed(&c), &Setup::default()).await;
            let azure: Vec<ArmScope> = AZ_SCOPES
                .iter()
                .zip(&c.imported)
                .filter(|(_, on)| **on)
                .map(|(s, _)| ArmScope::parse(s).unwrap())
                .collect();
            let options = Options { minimal, azure, ..Options::default() };
            // round_trip asserts: no diagnostic on the imported files, no plan error, no change.
            let (imported, plan) = round_trip(&em, &options).await;
            // No condition the tenant holds is left to a "kept" warning: each is declared as held.
            assert!(
                !plan.notes.iter().any(|n| n.kind == pimctl::plan::NoteKind::KeptCondition),
                "{:#?}\n{}", plan.notes, importing::all_text(&imported)
            );
            // Every assignment held directly at an imported scope is declared there.
            let azure_yaml = imported
                .files
                .iter()
                .find(|f| f.name == "azure.yaml")
                .map(|f| f.text.clone())
                .unwrap_or_default();
            let held: BTreeSet<_> = c
                .assignments
                .iter()
                .filter(|a| c.imported[a.0] && ENDS[a.4].is_none_or(|e| e > "2026-11-21"))
                .map(|a| USERS[a.2])
                .collect();
            for user in held {
                assert!(azure_yaml.contains(user), "{user} missing:\n{azure_yaml}");
            }
            // The custom role by its name, as people declare it, never by its id.
            assert!(!azure_yaml.contains(AZ_CUSTOM.1), "{azure_yaml}");

            // The same declaration with each role spelt by its role definition id plans to nothing too.
            let respelt = respelt(&imported.files, &c.below_subscription);
            if imported.summary.azure_roles > 0 {
                let text = &respelt.iter().find(|(n, _)| n == "azure.yaml").unwrap().1;
                assert!(
                    text.contains("/providers/Microsoft.Authorization/roleDefinitions/")
                        && !AZ_ROLES.iter().any(|r| text.contains(&format!("\n    {r}:"))),
                    "every role respelt by id:\n{text}"
                );
            }
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in respelt {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            let now = em.with_state(|s| s.now());
            let loaded = pimctl::language::load(dir.path(), &pimctl::language::LoadOptions { now });
            assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics.render_text(false));
            let again = plan_against(&em, &loaded.state).await;
            assert!(again.errors.is_empty(), "{:#?}", again.errors);
            assert!(again.changes.is_empty(), "{:#?}", again.changes);
        });
    }
}
