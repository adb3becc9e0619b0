//! Shared helpers for the emulator's end-to-end tests: start an in-process emulator and talk to it over HTTP.
#![allow(dead_code)]

pub mod bad_server;

use pimctl::emulator::{Emulator, EmulatorConfig, RunningEmulator};
use reqwest::Method;
use serde_json::{Value, json};

/// One of Microsoft's published examples (`tests/fixtures/graph-reference/examples/NAME`), as JSON.
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/graph-reference/examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A tenant used by most tests. The clock starts at 2026-11-21T09:00:00Z and is frozen by [`start`].
pub const SEED: &str = r#"
tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: admin@contoso.com, display_name: Admin}
  - {upn: alice@contoso.com, display_name: Alice}
  - {upn: bob@contoso.com, display_name: Bob, on_premises_sync: true}
  - {upn: carol@contoso.com, display_name: Carol, user_type: Guest}
groups:
  - {name: Approvers, members: [admin@contoso.com]}
  - {name: SecOps, role_assignable: true, members: [alice@contoso.com, bob@contoso.com]}
service_principals:
  - {name: Provisioning, app_id: 22222222-3333-4444-5555-666666666666}
eligible:
  - {role: Global Administrator, user: alice@contoso.com, until: 2027-06-01T00:00:00Z}
  - {role: Security Administrator, user: bob@contoso.com}
  - {role: Exchange Administrator, user: carol@contoso.com, until: 2026-11-01T00:00:00Z, start: 2026-01-01T00:00:00Z}
active:
  - {role: Global Administrator, user: admin@contoso.com}
  - {role: Directory Readers, service_principal: Provisioning}
policies:
  Security Administrator:
    Approval_EndUser_Assignment: {setting: {isApprovalRequired: true}}
    Enablement_EndUser_Assignment: {enabledRules: [Justification, Ticketing]}
  Global Administrator:
    Expiration_Admin_Eligibility: {isExpirationRequired: true, maximumDuration: P90D}
"#;

pub const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const SECURITY_ADMIN: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";
pub const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const ADMIN_TOKEN: &str = "any-admin-token";

pub struct Emu {
    pub running: RunningEmulator,
    pub client: reqwest::Client,
    pub base: String,
}

/// What came back.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

pub async fn start_with(config: EmulatorConfig) -> Emu {
    let running = Emulator::start(config).await.expect("the emulator starts");
    let base = running.base_url();
    let emu = Emu {
        running,
        client: reqwest::Client::new(),
        base,
    };
    emu.control("POST", "clock", json!({"freeze": true})).await;
    emu
}

/// Starts the emulator on [`SEED`], with the clock frozen.
pub async fn start(page_size: Option<usize>) -> Emu {
    let mut c = EmulatorConfig::from_seed_yaml(SEED).unwrap();
    c.page_size = page_size;
    start_with(c).await
}

impl Emu {
    /// A Graph call; `token` None sends no Authorization header.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Resp {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut rb = self
            .client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url);
        if let Some(t) = token {
            rb = rb.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("the request is answered");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        Resp {
            status,
            headers,
            body,
        }
    }
    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None, Some(ADMIN_TOKEN)).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(body), Some(ADMIN_TOKEN)).await
    }
    pub async fn post_as(&self, path: &str, body: Value, user_id: &str) -> Resp {
        self.call(
            "POST",
            path,
            Some(body),
            Some(&format!("emulator:user:{user_id}")),
        )
        .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.call("PATCH", path, Some(body), Some(ADMIN_TOKEN))
            .await
    }
    /// A control call (`/_emulator/...`).
    pub async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/{path}", self.running.control_url());
        let r = self
            .client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
    pub async fn advance(&self, iso: &str) {
        self.control("POST", "clock", json!({"advance": iso})).await;
    }
    pub async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let v = self.control("GET", "clock", Value::Null).await;
        v["now"].as_str().unwrap().parse().unwrap()
    }
    /// The object id of a user by UPN, through `$filter`.
    pub async fn user_id(&self, upn: &str) -> String {
        let r = self
            .get(&format!("/users?$filter=userPrincipalName eq '{upn}'"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["value"][0]["id"]
            .as_str()
            .expect("the user exists")
            .to_string()
    }
    /// Every item of a list, following `@odata.nextLink`; also returns the number of pages.
    pub async fn get_all(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = vec![];
        let mut pages = 0;
        let mut next = Some(path.to_string());
        while let Some(p) = next {
            let r = self.get(&p).await;
            assert_eq!(r.status, 200, "{p}: {:?}", r.body);
            pages += 1;
            items.extend(r.body["value"].as_array().unwrap().iter().cloned());
            next = r.body["@odata.nextLink"].as_str().map(str::to_string);
            assert!(pages < 1000, "paging does not end");
        }
        (items, pages)
    }
}

pub fn assert_policy_failure(r: &Resp, rule: &str) {
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(
        r.code(),
        "RoleAssignmentRequestPolicyValidationFailed",
        "{:?}",
        r.body
    );
    assert!(
        r.message().contains(&format!("\"{rule}\"")),
        "{} does not name {rule}",
        r.message()
    );
    assert!(r.body["error"]["innerError"]["request-id"].is_string());
    assert!(r.body["error"]["innerError"]["date"].is_string());
}

pub const ELIG: &str = "/roleManagement/directory/roleEligibilityScheduleRequests";
pub const ASSIGN: &str = "/roleManagement/directory/roleAssignmentScheduleRequests";

/// A tenant with PIM for Groups: `Tier0-Operators` is onboarded (approval on member activation, owner assignments
/// may be permanent), `Helpdesk-Team` is not. The clock starts at 2026-11-21T09:00:00Z.
pub const GROUP_SEED: &str = r##"
tenant: {id: 11111111-2222-3333-4444-555555555555, domain: contoso.com}
now: 2026-11-21T09:00:00Z
users:
  - {upn: admin@contoso.com, display_name: Admin}
  - {upn: alice@contoso.com, display_name: Alice}
  - {upn: bob@contoso.com, display_name: Bob}
  - {upn: carol@contoso.com, display_name: Carol}
  - {upn: dave@contoso.com, display_name: Dave}
groups:
  - {name: Approvers, members: [admin@contoso.com]}
  - name: Tier0-Operators
    role_assignable: true
    members: [dave@contoso.com]
    owners: [admin@contoso.com]
    pim:
      policies:
        member:
          Approval_EndUser_Assignment:
            setting:
              isApprovalRequired: true
              approvalStages:
                - primaryApprovers: [{"@odata.type": "#microsoft.graph.groupMembers", groupId: Approvers}]
          Expiration_EndUser_Assignment: {maximumDuration: PT2H}
        owner:
          Expiration_Admin_Assignment: {isExpirationRequired: false}
      eligible:
        - {access: member, user: alice@contoso.com, until: 2027-06-01T00:00:00Z}
        - {access: owner, user: bob@contoso.com, until: 2027-06-01T00:00:00Z}
        - {access: member, user: bob@contoso.com, until: 2027-06-01T00:00:00Z}
      active:
        - {access: owner, user: carol@contoso.com}
      activations:
        - {access: owner, user: bob@contoso.com, duration: PT2H, justification: rotate keys}
  - {name: Helpdesk-Team, members: [carol@contoso.com]}
"##;

pub const GROUP_ELIG: &str =
    "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests";
pub const GROUP_ASSIGN: &str =
    "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";
pub const GROUP_PIM: &str = "/identityGovernance/privilegedAccess/group";

/// Starts the emulator on [`GROUP_SEED`], with the clock frozen.
pub async fn start_groups(page_size: Option<usize>) -> Emu {
    let mut c = EmulatorConfig::from_seed_yaml(GROUP_SEED).unwrap();
    c.page_size = page_size;
    start_with(c).await
}

impl Emu {
    /// The object id of a group by display name, through `$filter`.
    pub async fn group_id(&self, name: &str) -> String {
        let r = self
            .get(&format!("/groups?$filter=displayName eq '{name}'"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["value"][0]["id"]
            .as_str()
            .expect("the group exists")
            .to_string()
    }
    /// The ids of a group's members (`members`) or owners (`owners`), sorted.
    pub async fn holders(&self, group_id: &str, relation: &str) -> Vec<String> {
        let r = self
            .get(&format!("/groups/{group_id}/{relation}?$select=id"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let mut ids: Vec<String> = r.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }
}
