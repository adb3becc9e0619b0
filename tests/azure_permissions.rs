//! The least Azure permissions, as docs/azure.md gives them (two custom role definitions, "pimctl plan" and "pimctl
//! apply"), are exactly the actions pimctl's ARM requests need (`arm_action_for`, what a 403 names): every request
//! pimctl sends maps to one of them, and no action is listed that no request needs.

use pimctl::graph::client::{
    ARM_APPLY_ACTIONS, ARM_FANOUT_ACTIONS, ARM_NAME_ACTIONS, ARM_PLAN_ACTIONS, arm_action_for,
};
use std::collections::BTreeSet;

/// The `Actions` of the role definition named `name` in docs/azure.md's JSON blocks.
fn documented(name: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string("docs/azure.md").unwrap();
    let block = doc
        .split("```json\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .find(|v| v["Name"] == name)
        .unwrap_or_else(|| panic!("docs/azure.md has no role definition named {name}"));
    assert_eq!(block["IsCustom"], true);
    assert_eq!(block["NotActions"], serde_json::json!([]));
    block["Actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

const SUB: &str = "/subscriptions/aaaaaaaa-0000-4000-8000-000000000001";

/// Every kind of request pimctl sends to ARM: method and path.
fn requests() -> Vec<(&'static str, String)> {
    let authz = |c: &str| format!("{SUB}/providers/Microsoft.Authorization/{c}");
    let guid = "0b5e4a38-3f7c-4c8e-9d1a-2b3c4d5e6f70";
    let sub = pimctl::graph::arm::ArmScope::Subscription(SUB[15..].into());
    vec![
        ("GET", "/subscriptions?api-version=2022-12-01".into()),
        (
            "GET",
            "/providers/Microsoft.Management/managementGroups?api-version=2023-04-01".into(),
        ),
        ("GET", format!("{SUB}/resourcegroups?api-version=2021-04-01")),
        (
            "GET",
            "/providers/Microsoft.Management/managementGroups/contoso/descendants?api-version=2020-05-01"
                .into(),
        ),
        ("GET", pimctl::graph::arm::custom_roles_path(Some(&sub))),
        ("GET", pimctl::graph::arm::custom_roles_path(None)),
        ("GET", authz("roleManagementPolicies")),
        ("GET", authz(&format!("roleManagementPolicies/{guid}"))),
        ("GET", authz("roleManagementPolicyAssignments")),
        ("GET", authz("roleEligibilitySchedules")),
        ("GET", authz("roleAssignmentSchedules")),
        ("GET", authz("roleAssignmentScheduleInstances")),
        ("PATCH", authz(&format!("roleManagementPolicies/{guid}"))),
        ("PUT", authz(&format!("roleEligibilityScheduleRequests/{guid}"))),
        ("PUT", authz(&format!("roleAssignmentScheduleRequests/{guid}"))),
    ]
}

#[test]
fn the_documented_custom_roles_hold_exactly_what_the_requests_need() {
    let plan = documented("pimctl plan");
    let apply = documented("pimctl apply");
    let reads: BTreeSet<String> = ARM_PLAN_ACTIONS
        .iter()
        .chain(ARM_NAME_ACTIONS)
        .map(|a| a.to_string())
        .collect();
    let writes: BTreeSet<String> = ARM_APPLY_ACTIONS.iter().map(|a| a.to_string()).collect();
    assert_eq!(plan, reads);
    assert_eq!(apply, reads.union(&writes).cloned().collect());
    let needed: BTreeSet<String> = requests()
        .iter()
        .map(|(m, p)| arm_action_for(m, p).to_string())
        .collect();
    // Fan-out's two lists need two actions more, which the documentation names beside the definitions.
    let fanout: BTreeSet<String> = ARM_FANOUT_ACTIONS.iter().map(|a| a.to_string()).collect();
    let doc = std::fs::read_to_string("docs/azure.md")
        .unwrap()
        .replace('\n', " ");
    for a in &fanout {
        assert!(
            doc.contains(&format!("`{a}`")),
            "docs/azure.md does not name {a}"
        );
    }
    assert_eq!(
        needed,
        apply.union(&fanout).cloned().collect(),
        "every action is needed by some request"
    );
    for (m, p) in requests().into_iter().filter(|(m, _)| *m == "GET") {
        let a = arm_action_for(m, &p);
        assert!(plan.contains(a) || fanout.contains(a), "{m} {p}");
    }
}
