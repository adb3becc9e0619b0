//! Fan-out (`below:`, docs/language.md §7b.1) end to end against the emulator over real HTTP: one declaration at a
//! subscription or a management group brings every scope below it that exists when the plan runs to the declared
//! policy, each planned as its own target; an explicit declaration below wins; the `eligible` and `active` lists
//! stay where they are declared; a new scope is reported; the expansion costs one list per fanned-out scope; a
//! resource group created after the plan makes it stale; a redeployed resource group gets its policy back.

mod planning;
use pimctl::apply::{self, Refusal};
use pimctl::emulator::RunningEmulator;
use pimctl::model::{DesiredState, LiveState};
use pimctl::plan::{self, NoteKind, Plan, PlanOptions};
use pimctl::render::{self, Format};
use planning::*;

const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const DEV: &str = "bbbbbbbb-0000-4000-8000-000000000002";

fn seed() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
  - {{upn: bob@contoso.com, display_name: Bob}}
azure:
  management_groups:
    - {{name: contoso, display_name: Contoso}}
    - {{name: contoso-prod, display_name: Contoso Prod, parent: contoso}}
  subscriptions:
    - {{display_name: Prod, id: {SUB}, management_group: contoso-prod}}
    - {{display_name: Dev, id: {DEV}, management_group: contoso}}
  resource_groups:
    - {{subscription: Prod, name: web-rg}}
    - {{subscription: Prod, name: app-rg}}
    - {{subscription: Prod, name: pinned-rg}}
    - {{subscription: Dev, name: lab-rg}}
  eligible:
    - {{scope: /subscriptions/{SUB}, role: Contributor, user: alice@contoso.com, duration: P90D}}
"#
    )
}

/// Contributor at Prod, fanned out to its resource groups; pinned-rg declares its own.
fn subscription_fan_out() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Contributor:
      below: resource_groups
      activation:
        max_duration: 4h
      eligible:
        - user: bob@contoso.com
          until: 2027-02-01
  /subscriptions/{SUB}/resourceGroups/pinned-rg:
    Contributor:
      activation:
        max_duration: 1h
"#
    )
}

fn rule(scope: &str) -> String {
    format!("update_rule Contributor @ {scope} Expiration_EndUser_Assignment")
}

fn rg(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{name}")
}

/// Reads the tenant as `plan` does, counting ARM's requests (the hierarchy lists included).
async fn read_counted(em: &RunningEmulator, desired: &DesiredState) -> (LiveState, u64) {
    let arm = arm_client(em);
    let live = read_live_with(em, &arm, desired).await;
    (live, arm.request_count())
}

async fn plan_counted(em: &RunningEmulator, desired: &DesiredState) -> (LiveState, Plan, u64) {
    let (live, n) = read_counted(em, desired).await;
    let p = plan::build(desired, &live, &PlanOptions::default());
    (live, p, n)
}

/// The one field a rule change sets, as the plan shows it.
fn after_of(c: &pimctl::plan::Change) -> String {
    assert_eq!(c.fields.len(), 1, "{:#?}", c.fields);
    c.fields[0].after.to_string()
}

fn fan_out_notes(p: &Plan) -> Vec<String> {
    p.notes
        .iter()
        .filter(|n| n.kind == NoteKind::FanOut)
        .map(|n| n.role_name.clone())
        .collect()
}

async fn control(em: &RunningEmulator, method: reqwest::Method, scope: &str) -> u16 {
    let url = format!("{}/azure{scope}", em.control_url());
    reqwest::Client::new()
        .request(method, &url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn apply_all(em: &RunningEmulator, p: &Plan) {
    let report = apply::apply(&client(em), p, &apply_options(em), &mut |_| {}).await;
    assert!(!report.failed(), "{report:#?}");
}

#[tokio::test]
async fn a_subscription_fans_its_policy_out_to_its_resource_groups_and_the_lists_stay_put() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&subscription_fan_out(), &em);
    let (live, p, requests) = plan_counted(&em, &desired).await;
    // One list of the subscription's resource groups; then, as for any declared scope, two policy lists per scope
    // (the subscription, pinned-rg, and app-rg and web-rg reached) and three schedule lists for the subscription.
    assert_eq!(requests, 1 + 2 * 4 + 3, "{:#?}", em.stats().routes);
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    // Each scope reached is its own target, by scope then role; pinned-rg has its own declaration (1h, not 4h);
    // bob's eligibility is created at the subscription only (ARM inherits it below), and alice's, held at the
    // subscription and unmanaged there... is declared away: the list is the subscription's.
    assert_eq!(
        lines(&p),
        [
            rule(&format!("/subscriptions/{SUB}")),
            rule(&rg("app-rg")),
            rule(&rg("pinned-rg")),
            rule(&rg("web-rg")),
            format!("create Contributor @ /subscriptions/{SUB} bob@contoso.com"),
            format!("remove Contributor @ /subscriptions/{SUB} alice@contoso.com"),
        ]
    );
    let pinned = p
        .changes
        .iter()
        .find(|c| c.role_name.contains("pinned-rg"))
        .unwrap();
    assert_eq!(after_of(pinned), "\"1h\"");
    // The two scopes reached still have Microsoft's policy: reported as new, with the `below` key's origin.
    assert_eq!(
        fan_out_notes(&p),
        [
            format!("Contributor @ {}", rg("app-rg")),
            format!("Contributor @ {}", rg("web-rg"))
        ]
    );
    let note = p.notes.iter().find(|n| n.kind == NoteKind::FanOut).unwrap();
    let origin = note.origin.as_ref().unwrap();
    assert_eq!(
        (origin.line, origin.path.clone()),
        (
            6,
            format!("azure_roles.\"/subscriptions/{SUB}\".Contributor.below")
        )
    );
    // Every format says so.
    let text = render::render(&p, Format::Text, false);
    assert!(text.contains("New scopes from fan-out"), "{text}");
    assert!(
        text.contains(&format!("Contributor @ {}\n", rg("web-rg"))),
        "{text}"
    );
    let md = render::render(&p, Format::Markdown, false);
    assert!(md.contains("New scopes from fan-out"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&render::render(&p, Format::Json, false)).unwrap();
    assert_eq!(
        json["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "fan_out")
            .count(),
        2
    );
    // The expansion is recorded, so apply can tell when it changed.
    assert!(apply::stale_objects(&p, &live).is_empty());
    // The same tenant gives the same plan.
    let (_, again, _) = plan_counted(&em, &desired).await;
    assert_eq!(comparable(&again), comparable(&p));

    apply_all(&em, &p).await;
    let (_, after, _) = plan_counted(&em, &desired).await;
    assert!(after.changes.is_empty(), "{:#?}", lines(&after));
    assert!(fan_out_notes(&after).is_empty(), "{:#?}", after.notes);
}

#[tokio::test]
async fn a_redeployed_or_new_resource_group_gets_the_policy_on_the_next_plan() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&subscription_fan_out(), &em);
    let (_, p, _) = plan_counted(&em, &desired).await;
    apply_all(&em, &p).await;

    // web-rg is torn down and deployed again (its policy back to Microsoft's), and a new one appears.
    assert_eq!(
        control(&em, reqwest::Method::DELETE, &rg("web-rg")).await,
        204
    );
    assert_eq!(control(&em, reqwest::Method::PUT, &rg("web-rg")).await, 201);
    assert_eq!(control(&em, reqwest::Method::PUT, &rg("new-rg")).await, 201);

    let (_, p, requests) = plan_counted(&em, &desired).await;
    assert_eq!(requests, 1 + 2 * 5 + 3, "{:#?}", em.stats().routes);
    assert_eq!(lines(&p), [rule(&rg("new-rg")), rule(&rg("web-rg"))]);
    assert_eq!(
        fan_out_notes(&p),
        [
            format!("Contributor @ {}", rg("new-rg")),
            format!("Contributor @ {}", rg("web-rg"))
        ]
    );
    apply_all(&em, &p).await;
    let (_, after, _) = plan_counted(&em, &desired).await;
    assert!(after.changes.is_empty(), "{:#?}", lines(&after));
}

#[tokio::test]
async fn a_resource_group_created_after_the_plan_makes_it_stale() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let (_dir, desired) = desired_yaml(&subscription_fan_out(), &em);
    let (_, p, _) = plan_counted(&em, &desired).await;
    assert_eq!(
        control(&em, reqwest::Method::PUT, &rg("late-rg")).await,
        201
    );
    let (live, _) = read_counted(&em, &desired).await;
    let refusal = apply::preflight(&p, &live, Some(&desired)).unwrap_err();
    let Refusal::Stale(stale) = &refusal else {
        panic!("{refusal}")
    };
    assert_eq!(stale.len(), 1, "{refusal}");
    let said = refusal.to_string();
    assert!(
        said.contains(&format!("the scopes below /subscriptions/{SUB}")),
        "{said}"
    );
    // Deleting one is a change too.
    let (_, p, _) = plan_counted(&em, &desired).await;
    assert_eq!(
        control(&em, reqwest::Method::DELETE, &rg("late-rg")).await,
        204
    );
    let (live, _) = read_counted(&em, &desired).await;
    assert!(matches!(
        apply::preflight(&p, &live, Some(&desired)),
        Err(Refusal::Stale(_))
    ));
    // Without the declaration (--no-policy-check), the scopes are listed again for the plan's fan-outs.
    let (_, p, _) = plan_counted(&em, &desired).await;
    let scope = apply::plan_scope(&p);
    let (live, _) = read_counted(&em, &scope).await;
    assert_eq!(apply::preflight(&p, &live, None), Ok(()));
    assert_eq!(
        control(&em, reqwest::Method::PUT, &rg("later-rg")).await,
        201
    );
    let (live, _) = read_counted(&em, &scope).await;
    assert!(matches!(
        apply::preflight(&p, &live, None),
        Err(Refusal::Stale(_))
    ));
}

#[tokio::test]
async fn a_management_group_fans_out_at_any_depth_and_the_nearer_fan_out_wins() {
    let em = emulator_from_yaml(&seed(), &Setup::default()).await;
    let text = format!(
        r#"
version: pimctl/v1
azure_roles:
  /providers/Microsoft.Management/managementGroups/contoso:
    Owner:
      below: all
      activation:
        max_duration: 2h
  /subscriptions/{SUB}:
    Owner:
      below: resource_groups
      activation:
        max_duration: 1h
"#
    );
    let (_dir, desired) = desired_yaml(&text, &em);
    let (_, p, requests) = plan_counted(&em, &desired).await;
    // The expansion: contoso's descendants, Prod's resource groups (its own fan-out) and Dev's (found below
    // contoso), each once. Then two policy lists per scope: 2 declared, 6 reached (contoso-prod, Dev, lab-rg,
    // app-rg, pinned-rg, web-rg); three schedule lists per root: contoso (which covers what it reaches) and Prod.
    assert_eq!(requests, 3 + 2 * 8 + 3 * 2, "{:#?}", em.stats().routes);
    let mg = |n: &str| format!("/providers/Microsoft.Management/managementGroups/{n}");
    let owner = |s: &str| format!("update_rule Owner @ {s} Expiration_EndUser_Assignment");
    assert_eq!(
        lines(&p),
        [
            owner(&mg("contoso")),
            owner(&mg("contoso-prod")),
            owner(&format!("/subscriptions/{SUB}")),
            owner(&rg("app-rg")),
            owner(&rg("pinned-rg")),
            owner(&rg("web-rg")),
            owner(&format!("/subscriptions/{DEV}")),
            owner(&format!("/subscriptions/{DEV}/resourceGroups/lab-rg")),
        ]
    );
    // Prod's resource groups get Prod's 1h, not contoso's 2h.
    for c in &p.changes {
        let want = if c.role_name.contains(SUB) {
            "\"1h\""
        } else {
            "\"2h\""
        };
        assert_eq!(after_of(c), want, "{}", c.role_name);
    }
    apply_all(&em, &p).await;
    let (_, after, _) = plan_counted(&em, &desired).await;
    assert!(after.changes.is_empty(), "{:#?}", lines(&after));
}
