//! Conformance of the access review wire types: every published `accessReview*` example is read into
//! `pimctl::graph::review` and written back, and what comes out is the example, field for field. Keys left out stay
//! out, `null` stays `null`. The only differences allowed are the ones the types exist for, each checked here by
//! name: a timestamp is compared as an instant (Graph writes 7 decimals, chrono 9), and a request's `startDate`
//! given as a timestamp comes back as its date (as Microsoft's response to that request shows).

mod common;
use common::fixture;

use pimctl::graph::Page;
use pimctl::graph::review::{
    AccessReviewInstance, AccessReviewScheduleDefinition, AccessReviewScope, ApplyAction,
    DefaultDecision, Nullable, RecurrencePatternType,
};
use serde_json::{Value, json};

fn instant(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Differences between what we wrote and the example.
fn diff(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => {
            for k in t.keys().filter(|k| !o.contains_key(*k)) {
                out.push(format!("{path}: `{k}` was dropped"));
            }
            for k in o.keys().filter(|k| !t.contains_key(*k)) {
                out.push(format!("{path}: `{k}` was added"));
            }
            for (k, ov) in o {
                if let Some(tv) = t.get(k) {
                    diff(ov, tv, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(o), Value::Array(t)) if o.len() == t.len() => {
            for (i, (a, b)) in o.iter().zip(t).enumerate() {
                diff(a, b, &format!("{path}[{i}]"), out);
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let same_instant = instant(a).is_some() && instant(a) == instant(b);
            let date_of_timestamp = (path.ends_with(".startDate") || path.ends_with(".endDate"))
                && instant(b).is_some_and(|t| t.date_naive().to_string() == *a);
            if !same_instant && !date_of_timestamp {
                out.push(format!("{path}: {a:?} is not {b:?}"));
            }
        }
        (a, b) if a != b => out.push(format!("{path}: {a} is not {b}")),
        _ => {}
    }
}

fn without_context(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("@odata.context");
    }
    v
}

fn round_trip_definition(name: &str, theirs: Value) -> AccessReviewScheduleDefinition {
    let theirs = without_context(theirs);
    let def: AccessReviewScheduleDefinition = serde_json::from_value(theirs.clone())
        .unwrap_or_else(|e| panic!("{name} does not read: {e}"));
    let ours = serde_json::to_value(&def).unwrap();
    let mut out = vec![];
    diff(&ours, &theirs, "$", &mut out);
    assert!(out.is_empty(), "{name}:\n{}", out.join("\n"));
    def
}

const DEFINITIONS: &[&str] = &[
    "accessReviewScheduleDefinition-create-allUsers-application-request.json",
    "accessReviewScheduleDefinition-create-allUsers-application-response.json",
    "accessReviewScheduleDefinition-create-group-members-request.json",
    "accessReviewScheduleDefinition-create-group-members-response.json",
    "accessReviewScheduleDefinition-create-inactiveGuests-M365groups-request.json",
    "accessReviewScheduleDefinition-create-inactiveGuests-M365groups-response.json",
    "accessReviewScheduleDefinition-create-privilegedRole-request.json",
    "accessReviewScheduleDefinition-create-privilegedRole-response.json",
    "accessReviewScheduleDefinition-update-put-request.json",
];

#[test]
fn every_published_definition_round_trips_field_for_field() {
    for name in DEFINITIONS {
        round_trip_definition(name, fixture(name));
    }
    // The get example wraps the entity in `value` (a documentation defect, digest §11.12).
    let get = fixture("accessReviewScheduleDefinition-get-response.json");
    round_trip_definition("get-response", get["value"].clone());
    // Every accessReview* example is covered, and no other.
    let dir = format!(
        "{}/tests/fixtures/graph-reference/examples",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut all: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("accessReview"))
        .collect();
    all.sort();
    assert_eq!(all.len(), DEFINITIONS.len() + 2, "{all:?}");
}

#[test]
fn the_instance_list_round_trips() {
    let theirs = fixture("accessReviewInstance-list-response.json");
    let page: Page<AccessReviewInstance> = serde_json::from_value(theirs.clone()).unwrap();
    assert_eq!(page.value.len(), 1);
    let mut out = vec![];
    diff(
        &serde_json::to_value(&page.value).unwrap(),
        &theirs["value"],
        "$.value",
        &mut out,
    );
    assert!(out.is_empty(), "{}", out.join("\n"));
    assert_eq!(page.value[0].status.value().unwrap(), "Applied");
}

#[test]
fn the_published_values_are_read_as_what_they_mean() {
    let def = round_trip_definition(
        "privilegedRole",
        fixture("accessReviewScheduleDefinition-create-privilegedRole-response.json"),
    );
    let AccessReviewScope::PrincipalResourceMemberships(scope) = def.scope.value().unwrap() else {
        panic!("{:?}", def.scope)
    };
    assert_eq!(scope.principal_scopes.as_ref().unwrap().len(), 2);
    let settings = def.settings.value().unwrap();
    assert_eq!(settings.default_decision(), Some(DefaultDecision::None));
    assert_eq!(settings.instance_duration_in_days, Some(3));
    let recurrence = settings.recurrence.value().unwrap();
    let pattern = recurrence.pattern.value().unwrap();
    assert_eq!(
        pattern.kind,
        Nullable::Value(RecurrencePatternType::AbsoluteMonthly)
    );
    assert_eq!(pattern.interval, Some(3));
    assert_eq!(def.created_date_time, Nullable::Null);
    assert_eq!(
        def.created_by.value().unwrap().extra.get("type"),
        Some(&Value::Null),
        "userIdentity is an open type: its extra keys are kept"
    );

    let guests = round_trip_definition(
        "inactiveGuests",
        fixture("accessReviewScheduleDefinition-create-inactiveGuests-M365groups-response.json"),
    );
    let s = guests.settings.value().unwrap();
    assert_eq!(s.default_decision(), Some(DefaultDecision::Deny));
    assert_eq!(s.apply_actions, Some(vec![ApplyAction::RemoveAccess]));
    assert!(matches!(
        guests.scope.value(),
        Some(AccessReviewScope::InactiveUsers(_))
    ));

    let group = round_trip_definition(
        "group-members",
        fixture("accessReviewScheduleDefinition-create-group-members-response.json"),
    );
    assert_eq!(
        group.query_scope_query(),
        Some("/groups/b74444cb-038a-4802-8fc9-b9d1ed0cf11f/transitiveMembers")
    );
}

#[test]
fn input_is_tolerant_and_output_exact() {
    // `@odata.type` without `#`, enums in any case: read; written as Graph writes them.
    let def: AccessReviewScheduleDefinition = serde_json::from_value(json!({
        "displayName": "x",
        "scope": {"@odata.type": "microsoft.graph.accessReviewQueryScope", "query": "/users"},
        "settings": {
            "defaultDecision": "deny",
            "recurrence": {"pattern": {"type": "AbsoluteMonthly", "interval": 1},
                           "range": {"type": "NOEND", "startDate": "2026-01-01"}},
            "applyActions": [{"@odata.type": "microsoft.graph.removeAccessApplyAction"}]
        },
        "somethingNew": 1
    }))
    .unwrap();
    let out = serde_json::to_value(&def).unwrap();
    assert_eq!(
        out["scope"]["@odata.type"],
        "#microsoft.graph.accessReviewQueryScope"
    );
    assert_eq!(
        out["settings"]["recurrence"]["pattern"]["type"],
        "absoluteMonthly"
    );
    assert_eq!(out["settings"]["recurrence"]["range"]["type"], "noEnd");
    assert_eq!(
        out["settings"]["applyActions"][0]["@odata.type"],
        "#microsoft.graph.removeAccessApplyAction"
    );
    assert!(out.get("somethingNew").is_none());
    assert_eq!(
        def.settings.value().unwrap().default_decision(),
        Some(DefaultDecision::Deny)
    );
    // A pattern type Graph does not know is refused.
    assert!(
        serde_json::from_value::<AccessReviewScheduleDefinition>(json!({
            "settings": {"recurrence": {"pattern": {"type": "hourly"}}}
        }))
        .is_err()
    );
}

#[test]
fn the_comparison_sees_dropped_added_and_changed_fields() {
    let mut out = vec![];
    diff(
        &json!({"a": null, "c": 1, "t": "2021-05-04T18:27:02.671984900Z"}),
        &json!({"b": null, "c": 2, "t": "2021-05-04T18:27:02.6719849Z"}),
        "$",
        &mut out,
    );
    assert_eq!(out.len(), 3, "{out:?}");
    out.clear();
    diff(
        &json!({"range": {"startDate": "2020-09-08"}}),
        &json!({"range": {"startDate": "2020-09-08T12:02:30.667Z"}}),
        "$",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    diff(
        &json!({"q": "2020-09-08"}),
        &json!({"q": "2020-09-08T00:00:00Z"}),
        "$",
        &mut out,
    );
    assert_eq!(
        out.len(),
        1,
        "a date stands for a timestamp only in startDate and endDate"
    );
}
