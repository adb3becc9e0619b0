//! Conformance of the ARM wire types (`pimctl::graph::arm`) with Microsoft's published `x-ms-examples`
//! (Azure/azure-rest-api-specs, Microsoft.Authorization 2020-10-01; tests/fixtures/graph-reference/examples/arm-*):
//! every request and response body is read into its type and written back field for field: the same keys, the same
//! nulls, the same values. Timestamps compare as instants (ARM writes `+00:00` and trimmed fractions; pimctl writes
//! `Z` and milliseconds).

mod common;
use common::fixture;

use pimctl::graph::arm::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn same(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => {
            for k in t.keys().filter(|k| !o.contains_key(*k)) {
                out.push(format!("{path}: missing `{k}`"));
            }
            for k in o.keys().filter(|k| !t.contains_key(*k)) {
                out.push(format!("{path}: extra `{k}`"));
            }
            for (k, v) in o {
                if let Some(tv) = t.get(k) {
                    same(v, tv, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(o), Value::Array(t)) => {
            if o.len() != t.len() {
                out.push(format!("{path}: {} items, not {}", o.len(), t.len()));
            }
            for (i, (a, b)) in o.iter().zip(t).enumerate() {
                same(a, b, &format!("{path}[{i}]"), out);
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (instant(a), instant(b)) {
                (Some(x), Some(y)) if x == y => {}
                _ => out.push(format!("{path}: `{a}` is not `{b}`")),
            }
        }
        (a, b) if a != b => out.push(format!("{path}: {a} is not {b}")),
        _ => {}
    }
}

/// Reads `v` as `T`, writes it back, and returns the differences.
fn round_trip<T: DeserializeOwned + Serialize>(v: &Value, what: &str) -> Vec<String> {
    let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let back = serde_json::to_value(&t).unwrap();
    let mut out = vec![];
    same(&back, v, what, &mut out);
    out
}

fn check<T: DeserializeOwned + Serialize>(file: &str, single: bool) -> Vec<String> {
    let ex = fixture(file);
    let mut out = vec![];
    for (code, r) in ex["responses"].as_object().unwrap() {
        let body = &r["body"];
        let what = format!("{file} {code}");
        if single {
            out.extend(round_trip::<ArmResource<T>>(body, &what));
        } else {
            out.extend(round_trip::<ArmPage<ArmResource<T>>>(body, &what));
        }
    }
    out
}

#[test]
fn every_published_response_round_trips_field_for_field() {
    let mut diffs = vec![];
    diffs.extend(check::<RoleDefinitionProperties>(
        "arm-roleDefinition-listForScope-2022-04-01-example.json",
        false,
    ));
    for f in [
        "arm-roleManagementPolicy-get-example.json",
        "arm-roleManagementPolicy-patch-full-example.json",
        "arm-roleManagementPolicy-patch-partial-example.json",
    ] {
        diffs.extend(check::<RoleManagementPolicyProperties>(f, true));
    }
    diffs.extend(check::<RoleManagementPolicyProperties>(
        "arm-roleManagementPolicy-listForScope-example.json",
        false,
    ));
    diffs.extend(check::<EligibilityRequestProperties>(
        "arm-roleEligibilityScheduleRequest-create-adminAssign-example.json",
        true,
    ));
    diffs.extend(check::<EligibilityRequestProperties>(
        "arm-roleEligibilityScheduleRequest-listForScope-example.json",
        false,
    ));
    diffs.extend(check::<AssignmentRequestProperties>(
        "arm-roleAssignmentScheduleRequest-create-selfActivate-example.json",
        true,
    ));
    diffs.extend(check::<AssignmentRequestProperties>(
        "arm-roleAssignmentScheduleRequest-listForScope-example.json",
        false,
    ));
    diffs.extend(check::<AssignmentScheduleProperties>(
        "arm-roleAssignmentSchedule-listForScope-example.json",
        false,
    ));
    diffs.extend(check::<AssignmentInstanceProperties>(
        "arm-roleAssignmentScheduleInstance-listForScope-example.json",
        false,
    ));
    diffs.extend(check::<EligibilityInstanceProperties>(
        "arm-roleEligibilityScheduleInstance-listForScope-example.json",
        false,
    ));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn every_published_request_body_round_trips_field_for_field() {
    let mut diffs = vec![];
    for f in [
        "arm-roleManagementPolicy-patch-full-example.json",
        "arm-roleManagementPolicy-patch-partial-example.json",
    ] {
        let body = &fixture(f)["parameters"]["parameters"];
        diffs.extend(round_trip::<PolicyPatch>(body, f));
    }
    for f in [
        "arm-roleEligibilityScheduleRequest-create-adminAssign-example.json",
        "arm-roleAssignmentScheduleRequest-create-selfActivate-example.json",
    ] {
        let body = &fixture(f)["parameters"]["parameters"];
        diffs.extend(round_trip::<NewArmRequest>(body, f));
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn every_published_rule_converts_to_graph_and_back_unchanged() {
    let ex = fixture("arm-roleManagementPolicy-get-example.json");
    let p: ArmResource<RoleManagementPolicyProperties> =
        serde_json::from_value(ex["responses"]["200"]["body"].clone()).unwrap();
    let rules = p.properties.rules.unwrap();
    assert_eq!(rules.len(), 17);
    for r in &rules {
        let g = r.to_graph();
        assert_eq!(g.id(), r.id());
        assert_eq!(g.kind(), r.kind());
        assert_eq!(
            ArmPolicyRule::from_graph(&g, Some(r)).as_ref(),
            Some(r),
            "{}",
            r.id()
        );
    }
}

#[test]
fn scopes_and_role_ids_of_the_examples_parse() {
    let ex = fixture("arm-roleAssignmentSchedule-listForScope-example.json");
    let props = &ex["responses"]["200"]["body"]["value"][0]["properties"];
    let scope = ArmScope::parse(props["scope"].as_str().unwrap()).unwrap();
    let expanded =
        ArmScope::parse(props["expandedProperties"]["scope"]["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        scope, expanded,
        "both spellings of a subscription are one scope"
    );
    assert_eq!(
        role_definition_guid(props["roleDefinitionId"].as_str().unwrap()).as_deref(),
        Some("c8d4ff99-41c3-41a8-9f60-21dfdad59608")
    );
}

#[test]
fn the_comparison_notices_a_dropped_null_an_extra_key_and_a_changed_value() {
    let theirs = serde_json::json!({"a": null, "b": "2020-09-09T21:35:27.91Z", "c": ["x"]});
    let mut out = vec![];
    same(
        &serde_json::json!({"b": "2020-09-09T21:35:27.910Z", "c": ["x"]}),
        &theirs,
        "t",
        &mut out,
    );
    assert_eq!(out, vec!["t: missing `a`".to_string()]);
    out.clear();
    same(
        &serde_json::json!({"a": null, "b": "2020-09-09T21:35:28Z", "c": ["y"], "d": 1}),
        &theirs,
        "t",
        &mut out,
    );
    assert_eq!(out.len(), 3, "{out:?}");
}
