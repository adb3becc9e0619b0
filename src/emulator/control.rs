//! `/_emulator/*`: the control endpoint for tests and demos (not part of Graph, never counted, never faulted).
//!
//! * `GET /_emulator/stats`, `POST /_emulator/stats/reset`: requests per route template and method.
//! * `GET /_emulator/clock`, `POST /_emulator/clock` `{"now": "...", "advance": "P46D", "freeze": true}`.
//! * `POST /_emulator/requests/{id}/approve` and `/deny`: decide pending requests.
//! * `GET /_emulator/state`: the whole tenant as JSON (the `--state` file format).
//! * `GET /_emulator/faults`, `POST /_emulator/faults` `{"latencyMs", "throttleRps", "armThrottleRps", "failRate", "throttleRate", "armThrottleRate"}`.

use super::Shared;
use super::faults::FaultConfig;
use super::http::{ApiError, ApiResult, GraphResponse};
use crate::duration::Duration;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: Option<DateTime<Utc>>,
    advance: Option<Duration>,
    #[serde(default)]
    freeze: Option<bool>,
}

fn body<T: serde::de::DeserializeOwned>(b: &[u8]) -> ApiResult<T> {
    let b = if b.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        b
    };
    serde_json::from_slice(b).map_err(ApiError::bad_body)
}

/// Handles a control request; returns the response and whether the tenant changed.
pub fn handle(shared: &Shared, method: &str, path: &str, raw: &[u8]) -> (GraphResponse, bool) {
    match handle_inner(shared, method, path, raw) {
        Ok(r) => r,
        Err(e) => (
            e.into_response("{request-id}", "{client-request-id}", Utc::now()),
            false,
        ),
    }
}

fn handle_inner(
    shared: &Shared,
    method: &str,
    path: &str,
    raw: &[u8],
) -> ApiResult<(GraphResponse, bool)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let st = || shared.lock_state(method != "GET");
    if let ["azure", rest @ ..] = segs.as_slice() {
        return super::arm::control::handle(shared, method, rest, raw);
    }
    Ok(match (method, segs.as_slice()) {
        ("GET", ["stats"]) => {
            let s = shared
                .stats
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            (GraphResponse::ok(json!(s)), false)
        }
        ("POST", ["stats", "reset"]) => {
            *shared.stats.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
            (GraphResponse::no_content(), false)
        }
        ("GET", ["clock"]) => (GraphResponse::ok(json!({"now": st().now()})), false),
        ("POST", ["clock"]) => {
            let b: ClockBody = body(raw)?;
            let mut s = st();
            let freeze = b.freeze.unwrap_or(s.clock.frozen.is_some());
            if let Some(t) = b.now {
                s.clock.set(t, freeze);
            } else if freeze != s.clock.frozen.is_some() {
                let t = s.now();
                s.clock.set(t, freeze);
            }
            if let Some(d) = b.advance
                && !s.clock.advance(d.to_chrono())
            {
                return Err(ApiError::bad_request(format!(
                    "advance: {d} from now is past the last date the emulator can hold"
                )));
            }
            let now = s.now();
            s.tick(now);
            (
                GraphResponse::ok(json!({"now": now, "frozen": s.clock.frozen.is_some()})),
                true,
            )
        }
        ("POST", ["requests", id, action @ ("approve" | "deny")]) => {
            let mut s = st();
            let now = s.now();
            s.tick(now);
            let r = if *action == "approve" {
                s.approve(id, now)?
            } else {
                s.deny(id, now)?
            };
            (GraphResponse::ok(json!(r)), true)
        }
        ("GET", ["state"]) => (GraphResponse::ok(json!(*st())), false),
        ("GET", ["faults"]) => {
            let f = shared
                .faults
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .config;
            (GraphResponse::ok(json!(f)), false)
        }
        ("POST", ["faults"]) => {
            let f: FaultConfig = body(raw)?;
            if ![f.fail_rate, f.throttle_rate, f.arm_throttle_rate]
                .iter()
                .all(|r| (0.0..=1.0).contains(r))
                || [f.throttle_rps, f.arm_throttle_rps]
                    .iter()
                    .any(|r| r.is_some_and(|r| r <= 0.0 || r.is_nan()))
            {
                return Err(ApiError::bad_request(
                    "failRate, throttleRate and armThrottleRate must be within 0 and 1, and throttleRps and \
                     armThrottleRps positive.",
                ));
            }
            shared
                .faults
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .set(f);
            (GraphResponse::ok(json!(f)), false)
        }
        _ => {
            return Err(ApiError::new(
                404,
                "itemNotFound",
                format!("No control endpoint {method} {path}."),
            ));
        }
    })
}
