//! `pimctl plan` and `pimctl apply` of Azure resource roles as users run them: the binary with `--emulator`, whose
//! ARM side is the embedded emulator's root on the same port.

mod cli;
use cli::{pimctl, stderr, stdout};

const NOW: &str = "2026-11-21T09:00:00Z";
const SUB: &str = "aaaaaaaa-0000-4000-8000-000000000001";

fn tenant() -> String {
    format!(
        r#"
tenant: {{id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}}
now: 2026-11-21T09:00:00Z
users:
  - {{upn: alice@contoso.com, display_name: Alice}}
azure:
  subscriptions:
    - {{display_name: Prod, id: {SUB}}}
  active:
    - {{scope: Prod, role: Owner, user: alice@contoso.com}}
"#
    )
}

fn policies() -> String {
    format!(
        r#"
version: pimctl/v1
azure_roles:
  /subscriptions/{SUB}:
    Owner:
      eligible:
        - user: alice@contoso.com
          until: 2027-02-01
      active: []
"#
    )
}

#[test]
fn plan_then_apply_with_the_embedded_emulator_converges_the_portal_made_owner() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tenant.yaml"), tenant()).unwrap();
    std::fs::write(dir.path().join("policies.yaml"), policies()).unwrap();
    let d = dir.path().to_str().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();

    let o = pimctl(&["plan", d, "--emulator", "--now", NOW, "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("Owner @ /subscriptions/{SUB}")),
        "{text}"
    );
    assert!(text.contains("alice@contoso.com"), "{text}");
    // The plan records the ARM endpoint it read, beside Graph's.
    let o = pimctl(&["plan", d, "--emulator", "--now", NOW, "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON plan");
    let arm = plan["endpoints"]["arm"].as_str().unwrap_or_default();
    assert!(
        arm.starts_with("http://127.0.0.1:"),
        "{}",
        plan["endpoints"]
    );

    let o = pimctl(&[
        "apply",
        d,
        "--emulator",
        "--emulator-state",
        state,
        "--now",
        NOW,
        "--auto-approve",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let o = pimctl(&[
        "plan",
        d,
        "--emulator",
        "--emulator-state",
        state,
        "--now",
        NOW,
        "--detailed-exitcode",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
}
