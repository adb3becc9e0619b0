//! Azure scopes declared by display name (`subscription:Contoso Prod`, `management_group:Contoso`, a resource group
//! below a named subscription), resolved at read time against ARM's lists of subscriptions and management groups,
//! over real HTTP against the emulator: the same plan as the ARM paths give, one list more per kind of name, and the
//! errors of a name that is missing, ambiguous, or a second spelling of a declared scope.

mod planning;

use pimctl::graph::arm::tenancy::{
    ArmManagementGroup, ArmSubscription, management_groups_path, subscriptions_path,
};
use pimctl::plan::{Plan, PlanErrorCode};
use planning::*;
use std::path::Path;

const PROD: &str = "/subscriptions/c0150000-0000-4000-8000-000000000001";
const DEV: &str = "/subscriptions/c0150000-0000-4000-8000-000000000002";
const MG: &str = "/providers/Microsoft.Management/managementGroups/contoso";

/// Contoso's policy directory with `azure.yaml` rewritten by `edit`.
fn contoso_with(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(CONTOSO).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_owned();
        if p.is_file() {
            let text = std::fs::read_to_string(&p).unwrap();
            let text = if name == "azure.yaml" {
                edit(&text)
            } else {
                text
            };
            std::fs::write(dir.path().join(name), text).unwrap();
        }
    }
    dir
}

/// Every scope by display name.
fn by_names(text: &str) -> String {
    let out = text
        .replace(
            &format!("  {PROD}/resourceGroups/app-rg:"),
            "  subscription:Contoso Prod/resourceGroups/app-rg:",
        )
        .replace(&format!("  {PROD}:"), "  subscription:Contoso Prod:")
        .replace(&format!("  {DEV}:"), "  subscription:contoso dev:")
        .replace(&format!("  {MG}:"), "  management_group:Contoso:");
    assert!(!out.contains("  /"), "a scope kept its path: {out}");
    out
}

async fn plan_dir(em: &pimctl::emulator::RunningEmulator, dir: &Path) -> Plan {
    let d = desired(dir, em);
    plan_against(em, &d).await
}

/// A plan without the names shown for people (`Owner @ subscription:Contoso Prod` against `Owner @ /subscriptions/…`).
fn unnamed(p: &Plan) -> serde_json::Value {
    let mut v = comparable(p);
    for c in v["changes"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("role_name");
        c.as_object_mut().unwrap().remove("origin");
    }
    v.as_object_mut().unwrap().remove("notes");
    v.as_object_mut().unwrap().remove("files");
    v.as_object_mut().unwrap().remove("desired_digest");
    // Justifications name the file a change was declared in: the same lines, in another directory.
    let text = serde_json::to_string(&v).unwrap();
    let text = match text.find("(/tmp/") {
        Some(at) => {
            let dir_end = at + 1 + text[at + 1..].find("/azure.yaml").unwrap_or(0);
            text.replace(&text[at + 1..dir_end].to_string(), CONTOSO)
        }
        None => text,
    };
    serde_json::from_str(&text).unwrap()
}

/// The two plans make the same changes (compared change by change, for a readable failure).
fn same(a: &Plan, b: &Plan) {
    let (a, b) = (unnamed(a), unnamed(b));
    let (ca, cb) = (
        a["changes"].as_array().unwrap(),
        b["changes"].as_array().unwrap(),
    );
    assert_eq!(ca.len(), cb.len());
    for (x, y) in ca.iter().zip(cb) {
        assert_eq!(x, y);
    }
    for k in ["summary", "fingerprints", "errors"] {
        assert_eq!(a[k], b[k], "{k}");
    }
}

fn arm_requests(em: &pimctl::emulator::RunningEmulator) -> (u64, u64) {
    let authz = requests_on(em, |k| k.contains("/providers/Microsoft.Authorization/"));
    let names = requests_on(em, |k| {
        k == "GET /subscriptions" || k == "GET /providers/Microsoft.Management/managementGroups"
    });
    (authz, names)
}

#[tokio::test]
async fn scopes_by_display_name_plan_as_their_paths_do_with_one_list_per_kind_of_name() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    em.reset_stats();
    let by_path = contoso_plan_at(&em, CONTOSO).await;
    assert_eq!(arm_requests(&em), (2 * 4 + 3 * 3, 0));

    let dir = contoso_with(by_names);
    em.reset_stats();
    let by_name = plan_dir(&em, dir.path()).await;
    assert!(by_name.errors.is_empty(), "{:#?}", by_name.errors);
    assert!(!by_name.changes.is_empty());
    same(&by_name, &by_path);
    // BENCHMARKS §1a: the same lists, plus one of subscriptions and one of management groups (both kinds named).
    assert_eq!(
        arm_requests(&em),
        (2 * 4 + 3 * 3, 2),
        "{:#?}",
        em.stats().routes
    );
    // The plan shows the scope as it was declared.
    assert!(
        by_name
            .changes
            .iter()
            .any(|c| c.role_name == "Contributor @ subscription:Contoso Prod/resourceGroups/app-rg"),
        "{:#?}",
        lines(&by_name)
    );

    // Applied, it converges: a plan after it, by name, is empty.
    let report =
        pimctl::apply::apply(&client(&em), &by_name, &apply_options(&em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
    let again = plan_dir(&em, dir.path()).await;
    assert!(again.changes.is_empty(), "{:#?}", lines(&again));

    // Only subscriptions named: one list, of subscriptions.
    let dir = contoso_with(|t| t.replace(&format!("  {DEV}:"), "  subscription:Contoso Dev:"));
    em.reset_stats();
    let one = plan_dir(&em, dir.path()).await;
    assert!(
        one.changes.is_empty() && one.errors.is_empty(),
        "{:#?}",
        lines(&one)
    );
    assert_eq!(arm_requests(&em), (2 * 4 + 3 * 3, 1));
}

async fn contoso_plan_at(em: &pimctl::emulator::RunningEmulator, dir: &str) -> Plan {
    plan_dir(em, Path::new(dir)).await
}

fn one_error(p: &Plan, code: PlanErrorCode) -> &pimctl::plan::PlanError {
    assert!(p.changes.is_empty(), "a plan with errors has no changes");
    let e: Vec<_> = p.errors.iter().filter(|e| e.code == code).collect();
    assert_eq!(e.len(), 1, "{:#?}", p.errors);
    e[0]
}

#[tokio::test]
async fn a_missing_an_ambiguous_and_a_twice_declared_name_are_plan_errors_with_their_place() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;

    // Not found: names the kind, the name, the file and line.
    let dir = contoso_with(|t| t.replace(&format!("  {DEV}:"), "  subscription:Contoso Staging:"));
    let p = plan_dir(&em, dir.path()).await;
    let e = one_error(&p, PlanErrorCode::AzureScopeNotFound);
    assert!(
        e.message.contains("subscription") && e.message.contains("Contoso Staging"),
        "{e:?}"
    );
    let o = e.origin.as_ref().unwrap();
    assert!(o.file.ends_with("azure.yaml") && o.line > 0, "{o:?}");
    assert!(o.path.contains("subscription:Contoso Staging"), "{o:?}");

    // Declared twice: by name and by path.
    let dir = contoso_with(|t| {
        format!("{t}\n  subscription:Contoso Dev:\n    Reader:\n      eligible: []\n")
    });
    let p = plan_dir(&em, dir.path()).await;
    let e = one_error(&p, PlanErrorCode::AzureScopeDeclaredTwice);
    assert!(
        e.message.contains(DEV) && e.message.contains("subscription:Contoso Dev"),
        "{e:?}"
    );
    assert!(
        e.origin
            .as_ref()
            .unwrap()
            .path
            .contains("subscription:Contoso Dev")
    );

    // Ambiguous: a second subscription named Contoso Dev; each is listed with its id.
    em.with_state(|s| {
        s.arm
            .subscriptions
            .push(pimctl::emulator::arm::Subscription {
                id: "c0150000-0000-4000-8000-000000000009".into(),
                display_name: "Contoso Dev".into(),
                management_group: None,
            })
    });
    let dir = contoso_with(|t| t.replace(&format!("  {DEV}:"), "  subscription:Contoso Dev:"));
    em.reset_stats();
    let p = plan_dir(&em, dir.path()).await;
    let e = one_error(&p, PlanErrorCode::AzureScopeAmbiguous);
    assert!(e.message.contains(DEV), "{e:?}");
    assert!(
        e.message
            .contains("/subscriptions/c0150000-0000-4000-8000-000000000009"),
        "{e:?}"
    );
    // Nothing was written.
    assert_eq!(writes(&em), 0, "{:#?}", em.stats().routes);
}

/// The two lists, as ARM pages them: subscriptions with `nextLink`, management groups with `@nextLink`.
#[tokio::test]
async fn the_emulator_pages_subscriptions_and_management_groups_as_arm_does() {
    let seed = std::fs::read_to_string(CONTOSO_TENANT).unwrap().replacen(
        "    - {name: contoso, display_name: Contoso}",
        "    - {name: contoso, display_name: Contoso}\n    - {name: platform, display_name: Platform, parent: contoso}",
        1,
    );
    let em = emulator_from_yaml(
        &seed,
        &Setup {
            page_size: Some(1),
            ..Setup::default()
        },
    )
    .await;
    let arm = arm_client(&em);
    let subs: Vec<ArmSubscription> = arm.list_all(&subscriptions_path()).await.unwrap();
    let names: Vec<_> = subs
        .iter()
        .map(|s| s.display_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Contoso Prod", "Contoso Dev"]);
    assert_eq!(subs[0].id, PROD);
    let mgs: Vec<ArmManagementGroup> = arm.list_all(&management_groups_path()).await.unwrap();
    assert_eq!(mgs.len(), 2);
    assert_eq!(mgs[1].properties.display_name.as_deref(), Some("Platform"));
    assert_eq!(mgs[0].kind, "Microsoft.Management/managementGroups");
    let stats = em.stats();
    assert_eq!(stats.routes["GET /subscriptions"], 2);
    assert_eq!(
        stats.routes["GET /providers/Microsoft.Management/managementGroups"],
        2
    );

    // Without an api-version, or with one the list does not have, ARM refuses.
    let http = reqwest::Client::new();
    for q in ["", "?api-version=2020-10-01"] {
        let r = http
            .get(format!("{}/subscriptions{q}", em.arm_url()))
            .bearer_auth(em.access_token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}
