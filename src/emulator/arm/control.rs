//! `/_emulator/azure/...`: the Azure lifecycle a test drives, outside ARM.
//!
//! * `DELETE /_emulator/azure/subscriptions/{id}/resourceGroups/{name}`: deletes the resource group with its
//!   resources, assignments, requests and changed policies (204; 404 when it does not exist).
//! * `PUT /_emulator/azure/subscriptions/{id}/resourceGroups/{name}`: creates it empty, with Microsoft's default
//!   policies (201; 409 when it exists). Together: a redeploy.
//! * `POST /_emulator/azure/drop-rule` `{"rule": "Expiration_EndUser_Assignment", "times": 1}`: the next `times`
//!   policy PATCHes that carry that rule answer 200 without applying it (the rule silently missing from a policy
//!   update: azurerm#28913, #32920, pulumi-azure#2737). 204.

use super::super::Shared;
use super::super::http::{ApiError, ApiResult, GraphResponse};

/// Handles a control request below `/_emulator/azure`; `segs` are the segments after `azure`. Returns the answer
/// and whether the tenant changed.
pub fn handle(
    shared: &Shared,
    method: &str,
    segs: &[&str],
    body: &[u8],
) -> ApiResult<(GraphResponse, bool)> {
    let mut st = shared.lock_state(method != "GET");
    match (method, segs) {
        ("POST", ["drop-rule"]) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct DropRule {
                rule: String,
                times: u32,
            }
            let d: DropRule = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!(
                    "drop-rule takes {{\"rule\": \"<rule id>\", \"times\": N}}: {e}"
                ))
            })?;
            if crate::model::RuleId::parse(&d.rule).is_none() {
                return Err(ApiError::bad_request(format!(
                    "'{}' is not a policy rule id.",
                    d.rule
                )));
            }
            st.arm
                .drop_rules
                .retain(|(id, _)| !id.eq_ignore_ascii_case(&d.rule));
            if d.times > 0 {
                st.arm
                    .drop_rules
                    .push((d.rule.to_ascii_lowercase(), d.times));
            }
            Ok((GraphResponse::no_content(), false))
        }
        ("DELETE", ["subscriptions", sub, rg_key, name])
            if rg_key.eq_ignore_ascii_case("resourceGroups") =>
        {
            if st.arm.delete_resource_group(sub, name) {
                Ok((GraphResponse::no_content(), true))
            } else {
                Err(ApiError::new(
                    404,
                    "ResourceGroupNotFound",
                    format!("Resource group '{name}' could not be found."),
                ))
            }
        }
        ("PUT", ["subscriptions", sub, rg_key, name])
            if rg_key.eq_ignore_ascii_case("resourceGroups") =>
        {
            if st.arm.subscription(sub).is_none() {
                return Err(ApiError::new(
                    404,
                    "SubscriptionNotFound",
                    format!("The subscription '{sub}' could not be found."),
                ));
            }
            if st.arm.create_resource_group(sub, name) {
                Ok((
                    GraphResponse::created(serde_json::json!({"subscription": sub, "name": name})),
                    true,
                ))
            } else {
                Err(ApiError::new(
                    409,
                    "Conflict",
                    format!("Resource group '{name}' already exists."),
                ))
            }
        }
        _ => Err(ApiError::new(
            404,
            "NotFound",
            format!(
                "{method} /_emulator/azure/{} is not a control call.",
                segs.join("/")
            ),
        )),
    }
}
