//! The emulator's access review definitions over HTTP: Microsoft's published requests give answers shaped as
//! Microsoft's published responses, bodies Graph refuses are refused in Graph's error envelope, and the list pages,
//! filters and works inside `$batch`. The seed's `access_reviews`, the instances the clock makes of them, and
//! their decisions.

mod common;
use common::*;
use pimctl::emulator::EmulatorConfig;
use serde_json::{Value, json};

const DEFS: &str = "/identityGovernance/accessReviews/definitions";

/// [`SEED`] with two seeded reviews: Global Administrator's eligible users, monthly by the SecOps group, and
/// Security Administrator's members, weekly, by managers with Admin as fallback.
fn seed() -> String {
    format!(
        "{SEED}
access_reviews:
  - role: Global Administrator
    review: eligible
    reviewers: [{{group: SecOps}}]
    settings: {{instanceDurationInDays: 4, defaultDecisionEnabled: true, defaultDecision: Deny, autoApplyDecisionsEnabled: true}}
    created: 2026-09-01T10:00:00Z
  - role: Security Administrator
    display_name: SecAdmin weekly
    reviewers: [managers]
    fallback_reviewers: [admin@contoso.com]
    settings: {{instanceDurationInDays: 2, recurrence: {{pattern: {{type: weekly, interval: 1}}}}}}
    created: 2026-11-01T00:00:00Z
"
    )
}

async fn start_reviews(page_size: Option<usize>) -> Emu {
    let mut c = EmulatorConfig::from_seed_yaml(&seed()).unwrap();
    c.page_size = page_size;
    start_with(c).await
}

/// The keys of `theirs` that `ours` lacks, recursively (arrays: item by item, as far as both go), less `allowed`.
fn missing(ours: &Value, theirs: &Value, path: &str, allowed: &[&str], out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => {
            for (k, tv) in t {
                let p = format!("{path}.{k}");
                match o.get(k) {
                    None if !allowed.contains(&p.as_str()) => out.push(format!("{p} missing")),
                    None => {}
                    Some(ov) => missing(ov, tv, &p, allowed, out),
                }
            }
        }
        (Value::Array(o), Value::Array(t)) => {
            for (i, (a, b)) in o.iter().zip(t).enumerate() {
                missing(a, b, &format!("{path}[{i}]"), allowed, out);
            }
        }
        _ => {}
    }
}

fn same_keys(ours: &Value, theirs: &Value, allowed: &[&str]) -> Vec<String> {
    let mut out = vec![];
    missing(ours, theirs, "$", allowed, &mut out);
    let mut extra = vec![];
    missing(theirs, ours, "$", &[], &mut extra);
    out.extend(extra.into_iter().map(|e| e.replace(" missing", " added")));
    out
}

#[tokio::test]
async fn microsofts_requests_give_microsofts_responses() {
    let emu = start(None).await;
    let admin = emu.user_id("admin@contoso.com").await;
    let groups = emu.get("/groups?$filter=displayName eq 'SecOps'").await;
    let secops = groups.body["value"][0]["id"].as_str().unwrap().to_string();

    // The privileged-role tutorial: every key of the 2022 response, and no other (but its createdBy.type, a key
    // outside the v1.0 CSDL that the emulator does not write).
    let mut req = fixture("accessReviewScheduleDefinition-create-privilegedRole-request.json");
    req["reviewers"][0]["query"] = json!(format!("/users/{admin}"));
    req["scope"]["resourceScopes"][0]["query"] = json!(format!(
        "/roleManagement/directory/roleDefinitions/{USER_ADMIN}"
    ));
    let created = emu.post(DEFS, req.clone()).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let theirs = fixture("accessReviewScheduleDefinition-create-privilegedRole-response.json");
    let diffs = same_keys(&created.body, &theirs, &["$.createdBy.type"]);
    assert!(diffs.is_empty(), "{diffs:#?}");
    let body = &created.body;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#identityGovernance/accessReviews/definitions/$entity")
    );
    // Its range started in 2022: the first instance starts when it is created.
    assert_eq!(body["status"], "InProgress");
    assert_eq!(body["scope"], {
        let mut s = req["scope"].clone();
        for l in ["principalScopes", "resourceScopes"] {
            for x in s[l].as_array_mut().unwrap() {
                x["queryRoot"] = Value::Null;
            }
        }
        s
    });
    assert_eq!(
        body["settings"]["recurrence"]["pattern"]["firstDayOfWeek"],
        "sunday"
    );
    assert_eq!(
        body["settings"]["recurrence"]["range"]["startDate"],
        "2022-03-02"
    );
    assert_eq!(
        body["createdBy"]["displayName"],
        "Emulator admin application"
    );
    let id = body["id"].as_str().unwrap().to_string();

    // The other published requests: each answer has at least every key Microsoft's response shows (less the
    // deprecated backupReviewers, which the v1.0 CSDL no longer has).
    let mut group = fixture("accessReviewScheduleDefinition-create-group-members-request.json");
    group["scope"]["query"] = json!(format!("/groups/{secops}/transitiveMembers"));
    group["reviewers"][0]["query"] = json!(format!("/users/{admin}"));
    let mut all_users =
        fixture("accessReviewScheduleDefinition-create-allUsers-application-request.json");
    for k in ["backupReviewers", "fallbackReviewers"] {
        all_users[k][0]["query"] = json!(format!("/groups/{secops}/transitiveMembers"));
    }
    let mut guests =
        fixture("accessReviewScheduleDefinition-create-inactiveGuests-M365groups-request.json");
    guests["fallbackReviewers"][0]["query"] = json!(format!("/users/{admin}"));
    let mut group_id = String::new();
    for (req, response) in [
        (
            group,
            "accessReviewScheduleDefinition-create-group-members-response.json",
        ),
        (
            all_users,
            "accessReviewScheduleDefinition-create-allUsers-application-response.json",
        ),
        (
            guests,
            "accessReviewScheduleDefinition-create-inactiveGuests-M365groups-response.json",
        ),
    ] {
        let r = emu.post(DEFS, req).await;
        assert_eq!(r.status, 201, "{response}: {:?}", r.body);
        let mut out = vec![];
        missing(
            &r.body,
            &fixture(response),
            "$",
            &["$.backupReviewers"],
            &mut out,
        );
        assert!(out.is_empty(), "{response}: {out:#?}");
        if group_id.is_empty() {
            group_id = r.body["id"].as_str().unwrap().to_string();
        }
    }

    // Get, and the get example's keys (its entity is wrapped in `value`, a documentation defect), on the review
    // whose scope is of the example's type.
    let got = emu.get(&format!("{DEFS}/{group_id}")).await;
    assert_eq!(got.status, 200);
    let mut out = vec![];
    missing(
        &got.body,
        &fixture("accessReviewScheduleDefinition-get-response.json")["value"],
        "$",
        &[],
        &mut out,
    );
    assert!(out.is_empty(), "{out:#?}");
    assert_eq!(got.body["id"], json!(group_id));
    let by_id = emu.get(&format!("{DEFS}/{id}")).await;
    assert_eq!(by_id.body["scope"], created.body["scope"]);

    // The published update, on the group review (same scope): 204, and the new name is served.
    let mut put = fixture("accessReviewScheduleDefinition-update-put-request.json");
    put["id"] = json!(group_id);
    put["scope"]["query"] = json!(format!("/groups/{secops}/transitiveMembers"));
    put["instanceEnumerationScope"]["query"] = json!(format!("/groups/{secops}"));
    let updated = emu
        .call(
            "PUT",
            &format!("{DEFS}/{group_id}"),
            Some(put),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(updated.status, 204, "{:?}", updated.body);
    assert_eq!(updated.body, Value::Null);
    let after = emu.get(&format!("{DEFS}/{group_id}")).await.body;
    assert_eq!(after["displayName"], "Test world UPDATED NAME!");
    assert_eq!(after["reviewers"], json!([]));
    assert_ne!(after["lastModifiedDateTime"], Value::Null);

    // Instances: the list example's keys (less its @odata.count, which Graph gives only with $count).
    let inst = emu.get(&format!("{DEFS}/{group_id}/instances")).await;
    assert_eq!(inst.status, 200, "{:?}", inst.body);
    assert!(!inst.body["value"].as_array().unwrap().is_empty());
    let diffs = same_keys(
        &inst.body,
        &fixture("accessReviewInstance-list-response.json"),
        &["$.@odata.count"],
    );
    assert!(diffs.is_empty(), "{diffs:#?}");
    let first = inst.body["value"][0].clone();
    let one = emu
        .get(&format!(
            "{DEFS}/{group_id}/instances/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["startDateTime"], first["startDateTime"]);
}

fn valid_body(role: &str, reviewer: &str) -> Value {
    json!({
        "displayName": "Review",
        "scope": {
            "@odata.type": "#microsoft.graph.accessReviewQueryScope",
            "query": format!("/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{role}')"),
            "queryType": "MicrosoftGraph"
        },
        "reviewers": [{"query": format!("/users/{reviewer}"), "queryType": "MicrosoftGraph"}],
        "settings": {
            "instanceDurationInDays": 4,
            "recurrence": {"pattern": {"type": "absoluteMonthly", "interval": 1},
                           "range": {"type": "noEnd", "startDate": "2026-12-01"}}
        }
    })
}

#[tokio::test]
async fn bodies_graph_refuses_are_refused_in_graphs_envelope() {
    let emu = start(None).await;
    let admin = emu.user_id("admin@contoso.com").await;
    let ok = valid_body(GA, &admin);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "displayName",
            json!({"displayName": null}),
            "'displayName' is required",
        ),
        ("scope", json!({"scope": null}), "'scope' is required"),
        (
            "daily",
            json!({"settings": {"recurrence": {"pattern": {"type": "daily"}}}}),
            "'daily' is not supported",
        ),
        (
            "relativeMonthly",
            json!({"settings": {"recurrence": {"pattern": {"type": "relativeMonthly"}}}}),
            "not supported",
        ),
        (
            "overlap",
            json!({"settings": {"instanceDurationInDays": 28}}),
            "shorter than the recurrence period",
        ),
        (
            "no duration",
            json!({"settings": {"instanceDurationInDays": 0}}),
            "at least 1",
        ),
        (
            "reviewer query",
            json!({"reviewers": [{"query": "/directoryRoles/x", "queryType": "MicrosoftGraph"}]}),
            "is not valid",
        ),
        (
            "reviewer user",
            json!({"reviewers": [{"query": "/users/00000000-0000-0000-0000-000000000000"}]}),
            "does not exist",
        ),
        (
            "manager without root",
            json!({"reviewers": [{"query": "./manager"}]}),
            "is not valid",
        ),
        (
            "default decision",
            json!({"settings": {"defaultDecision": "Sometimes"}}),
            "defaultDecision",
        ),
    ];
    for (name, patch, needle) in cases {
        let mut body = ok.clone();
        pimctl::emulator::reviews::merge_json(&mut body, &patch);
        let r = emu.post(DEFS, body).await;
        assert_eq!(r.status, 400, "{name}: {:?}", r.body);
        assert_eq!(r.code(), "BadRequest", "{name}");
        assert!(r.message().contains(needle), "{name}: {}", r.message());
        assert!(
            r.body["error"]["innerError"]["request-id"].is_string(),
            "{name}"
        );
    }
    let mut untyped = ok.clone();
    untyped["scope"] = json!({"query": "/users", "queryType": "MicrosoftGraph"});
    let r = emu.post(DEFS, untyped).await;
    assert_eq!((r.status, r.code()), (400, "BadRequest"));
    assert!(r.message().contains("@odata.type"), "{}", r.message());
    let r = emu
        .call(
            "POST",
            DEFS,
            Some(json!("not an object")),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "BadRequest"));
    // Nothing was made by the refused bodies.
    assert_eq!(emu.get(DEFS).await.body["value"], json!([]));

    // Updates: not found, scope changed, reviewers changed to a group; then the full object with a new user.
    let made = emu.post(DEFS, ok.clone()).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();
    let put = |path: String, body: Value| {
        let emu = &emu;
        async move { emu.call("PUT", &path, Some(body), Some(ADMIN_TOKEN)).await }
    };
    let r = put(format!("{DEFS}/nope"), ok.clone()).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let mut other_scope = ok.clone();
    other_scope["scope"]["query"] = json!("/users");
    let r = put(format!("{DEFS}/{id}"), other_scope).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("scope"), "{}", r.message());
    let alice = emu.user_id("alice@contoso.com").await;
    let mut to_alice = ok.clone();
    to_alice["reviewers"][0]["query"] = json!(format!("/users/{alice}"));
    to_alice["settings"]["defaultDecision"] = json!("deny");
    let r = put(format!("{DEFS}/{id}"), to_alice.clone()).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let got = emu.get(&format!("{DEFS}/{id}")).await.body;
    assert_eq!(
        got["reviewers"][0]["query"],
        json!(format!("/users/{alice}"))
    );
    assert_eq!(got["settings"]["defaultDecision"], "Deny");
    assert_eq!(got["createdDateTime"], made.body["createdDateTime"]);
    // Individual users may be replaced by a group; a group's review keeps its reviewers.
    let groups = emu.get("/groups?$filter=displayName eq 'SecOps'").await;
    let secops = groups.body["value"][0]["id"].as_str().unwrap().to_string();
    let mut to_group = ok.clone();
    to_group["reviewers"] = json!([{"query": format!("/groups/{secops}/transitiveMembers")}]);
    let r = put(format!("{DEFS}/{id}"), to_group).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let r = put(format!("{DEFS}/{id}"), to_alice).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("individual users"), "{}", r.message());

    // Delete: 204, then 404; other methods: 405.
    let r = emu
        .call("DELETE", &format!("{DEFS}/{id}"), None, Some(ADMIN_TOKEN))
        .await;
    assert_eq!(r.status, 204);
    let r = emu
        .call("DELETE", &format!("{DEFS}/{id}"), None, Some(ADMIN_TOKEN))
        .await;
    assert_eq!(r.status, 404);
    let r = emu.get(&format!("{DEFS}/{id}/instances")).await;
    assert_eq!(r.status, 404);
    let r = emu.patch(&format!("{DEFS}/{id}"), ok).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn the_list_pages_filters_and_works_in_batch() {
    let emu = start_reviews(Some(2)).await;
    let admin = emu.user_id("admin@contoso.com").await;
    for role in [USER_ADMIN, SECURITY_ADMIN, GA] {
        let r = emu.post(DEFS, valid_body(role, &admin)).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    // 2 seeded + 3 made, 2 to a page: 3 pages, linked by $skip.
    emu.running.reset_stats();
    let (all, pages) = emu.get_all(DEFS).await;
    assert_eq!((all.len(), pages), (5, 3));
    assert_eq!(emu.running.stats().total, 3);
    let first = emu.get(DEFS).await;
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.ends_with("definitions?%24skip=2")
            || next.contains("$skip=2")
            || next.contains("%24skip=2"),
        "{next}"
    );
    let r = emu.get(&format!("{DEFS}?$top=1&$skip=4")).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert!(r.body.get("@odata.nextLink").is_none());
    assert_eq!(r.body["value"][0]["id"], all[4]["id"]);
    let r = emu
        .get(&format!(
            "{DEFS}?$select=id,displayName&$orderby=displayName desc"
        ))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["value"][0]["displayName"], "SecAdmin weekly");
    assert_eq!(r.body["value"][0].as_object().unwrap().len(), 2);
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("definitions(id,displayName)")
    );

    // The documented filter, on query scopes only: the seeded GA review (eligible users) and the made one.
    let f = format!("$filter=contains(scope/microsoft.graph.accessReviewQueryScope/query, '{GA}')");
    let (hits, _) = emu.get_all(&format!("{DEFS}?{f}")).await;
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert!(
        hits.iter()
            .all(|h| h["scope"]["query"].as_str().unwrap().contains(GA))
    );
    // The Security Administrator review of all members is a principalResourceMembershipsScope: not filterable.
    let f = format!(
        "$filter=contains(scope/microsoft.graph.accessReviewQueryScope/query, '{SECURITY_ADMIN}')"
    );
    assert_eq!(emu.get_all(&format!("{DEFS}?{f}")).await.0.len(), 1);
    for bad in [
        "$filter=contains(scope/microsoft.graph.principalResourceMembershipsScope/resourceScopes, 'x')",
        "$filter=displayName eq 'x'",
        "$count=true",
        "$expand=instances",
        "$top=0",
        "$skip=-1",
        "$orderby=status",
    ] {
        let r = emu.get(&format!("{DEFS}?{bad}")).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "BadRequest"),
            "{bad}: {:?}",
            r.body
        );
    }

    // $batch: a create and a filtered list, one request each.
    emu.running.reset_stats();
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/identityGovernance/accessReviews/definitions",
         "headers": {"Content-Type": "application/json"}, "body": valid_body(USER_ADMIN, &admin)},
        {"id": "2", "method": "GET", "dependsOn": ["1"],
         "url": format!("/identityGovernance/accessReviews/definitions?$filter=contains(scope/microsoft.graph.accessReviewQueryScope/query, '{USER_ADMIN}')")}
    ]});
    let r = emu.post("/$batch", batch).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let responses = r.body["responses"].as_array().unwrap();
    assert_eq!(responses[0]["status"], 201, "{responses:#?}");
    assert_eq!(responses[1]["status"], 200);
    assert_eq!(responses[1]["body"]["value"].as_array().unwrap().len(), 2);
    let stats = emu.running.stats();
    assert_eq!(
        stats.routes["POST /v1.0/identityGovernance/accessReviews/definitions"],
        1
    );
    assert_eq!(
        stats.routes["GET /v1.0/identityGovernance/accessReviews/definitions"],
        1
    );
}

#[tokio::test]
async fn seeded_reviews_make_instances_as_the_clock_runs() {
    let emu = start_reviews(None).await;
    let (defs, _) = emu.get_all(DEFS).await;
    assert_eq!(defs.len(), 2);
    let ga = &defs[0];
    assert_eq!(ga["displayName"], "Global Administrator review");
    assert_eq!(
        ga["scope"]["query"],
        json!(format!(
            "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{GA}')"
        ))
    );
    assert!(
        ga["reviewers"][0]["query"]
            .as_str()
            .unwrap()
            .ends_with("/transitiveMembers")
    );
    assert_eq!(ga["settings"]["defaultDecision"], "Deny");
    assert_eq!(ga["settings"]["autoApplyDecisionsEnabled"], true);
    assert_eq!(
        ga["settings"]["recurrence"]["range"]["startDate"],
        "2026-09-01"
    );
    assert_eq!(ga["status"], "InProgress");
    let sec = &defs[1];
    assert_eq!(
        sec["scope"]["@odata.type"],
        "#microsoft.graph.principalResourceMembershipsScope"
    );
    assert_eq!(
        sec["reviewers"],
        json!([{"query": "./manager", "queryType": "MicrosoftGraph", "queryRoot": "decisions"}])
    );
    assert_eq!(sec["fallbackReviewers"][0]["queryRoot"], Value::Null);

    // Monthly from 2026-09-01 10:00 (made then), 4 days: Sep (from 10:00), Oct, Nov; the clock is at Nov 21.
    let id = ga["id"].as_str().unwrap();

    let now = instances(&emu, id).await;
    let summary: Vec<(String, String)> = now
        .iter()
        .map(|i| {
            (
                i["startDateTime"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-11-01T00:00:00Z".to_string(), "Applied".to_string()),
            ("2026-10-01T00:00:00Z".to_string(), "Applied".to_string()),
            ("2026-09-01T10:00:00Z".to_string(), "Applied".to_string()),
        ],
        "newest first; auto-apply: applied once ended"
    );
    // On Dec 2 the December instance is open; $filter on status finds it.
    emu.advance("P11D").await;
    let open = emu
        .get(&format!(
            "{DEFS}/{id}/instances?$filter=status eq 'InProgress'"
        ))
        .await;
    assert_eq!(
        open.body["value"].as_array().unwrap().len(),
        1,
        "{:?}",
        open.body
    );
    assert_eq!(
        open.body["value"][0]["startDateTime"],
        "2026-12-01T00:00:00Z"
    );
    assert_eq!(open.body["value"][0]["endDateTime"], "2026-12-05T00:00:00Z");
    let all = instances(&emu, id).await;
    assert_eq!(all.len(), 4);

    // Decisions: one per principal the scope held when the instance began. Alice has been eligible since Oct 22:
    // none in September; in November, nobody reviewed, so the default (Deny) was recorded by the system and
    // applied; in December, not reviewed yet.
    let alice = emu.user_id("alice@contoso.com").await;
    let decisions = |i: usize, query: &str| {
        let path = format!(
            "{DEFS}/{id}/instances/{}/decisions{query}",
            all[i]["id"].as_str().unwrap()
        );
        let emu = &emu;
        async move { emu.get(&path).await }
    };
    let dec = decisions(3, "").await;
    assert_eq!(dec.status, 200, "{:?}", dec.body);
    assert_eq!(
        dec.body["value"],
        json!([]),
        "September: nobody was eligible yet"
    );
    let nov = decisions(1, "").await.body;
    let items = nov["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{nov:#?}");
    let d = &items[0];
    assert_eq!(d["principal"]["id"], json!(alice));
    assert_eq!(
        d["principal"]["@odata.type"],
        "#microsoft.graph.userIdentity"
    );
    assert_eq!(d["principal"]["userPrincipalName"], "alice@contoso.com");
    assert_eq!(d["accessReviewId"], all[1]["id"]);
    assert_eq!(
        (d["decision"].as_str(), d["applyResult"].as_str()),
        (Some("Deny"), Some("AppliedSuccessfully"))
    );
    assert_eq!(d["reviewedBy"]["displayName"], "AAD Access Reviews");
    assert_eq!(d["resource"]["id"], GA);
    assert!(
        nov["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/instances('")
    );
    let dec = decisions(0, "?$filter=decision eq 'NotReviewed'")
        .await
        .body;
    assert_eq!(
        dec["value"].as_array().unwrap().len(),
        1,
        "December: open, not reviewed"
    );
    assert_eq!(dec["value"][0]["applyResult"], "New");
    assert_eq!(dec["value"][0]["reviewedDateTime"], Value::Null);
    let r = emu
        .get(&format!("{DEFS}/{id}/instances/nope/decisions"))
        .await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));

    // The Security Administrator review (all members, no default decision): Bob, not reviewed.
    let sec_id = defs[1]["id"].as_str().unwrap();
    let sec = emu.get_all(&format!("{DEFS}/{sec_id}/instances")).await.0;
    let last = sec.last().unwrap()["id"].as_str().unwrap();
    let (items, _) = emu
        .get_all(&format!("{DEFS}/{sec_id}/instances/{last}/decisions"))
        .await;
    let bob = emu.user_id("bob@contoso.com").await;
    let who: Vec<(&str, &str)> = items
        .iter()
        .map(|d| {
            (
                d["principal"]["id"].as_str().unwrap(),
                d["decision"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(who, [(bob.as_str(), "NotReviewed")]);
}

async fn instances(emu: &Emu, id: &str) -> Vec<Value> {
    emu.get_all(&format!("{DEFS}/{id}/instances")).await.0
}

#[test]
fn seed_mistakes_name_the_entry() {
    let bad = |extra: &str| {
        let text = format!("{SEED}\naccess_reviews:\n{extra}");
        let seed = pimctl::emulator::seed::Seed::from_yaml(&text, "tenant.yaml").unwrap();
        seed.build("tenant.yaml").unwrap_err().to_string()
    };
    let e = bad("  - {role: Global Admnistrator}\n");
    assert!(
        e.contains("access_reviews[0]") && e.contains("did you mean"),
        "{e}"
    );
    let e = bad("  - {role: Global Administrator, reviewers: [nobody@contoso.com]}\n");
    assert!(
        e.contains("access_reviews[0]") && e.contains("nobody@contoso.com"),
        "{e}"
    );
    let e = bad("  - {role: Global Administrator, settings: {instanceDurationInDays: 40}}\n");
    assert!(e.contains("shorter than the recurrence period"), "{e}");
    let e = bad("  - {role: Global Administrator, group: SecOps}\n");
    assert!(e.contains("exactly one of role, group or scope"), "{e}");
    let e = bad("  - {group: SecOps, review: eligible}\n");
    assert!(e.contains("review"), "{e}");
}
