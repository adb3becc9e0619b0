//! Complex types shared by several entities: `requestSchedule`, `expirationPattern`, `ticketInfo`, `identitySet`.

use crate::duration::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

graph_enum! {
    /// `expirationPatternType`.
    ExpirationPatternType {
        NotSpecified = "notSpecified",
        NoExpiration = "noExpiration",
        AfterDateTime = "afterDateTime",
        AfterDuration = "afterDuration",
    }
}

/// `requestSchedule`: when an eligible or active assignment starts and ends (`scheduleInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSchedule {
    /// UTC. In responses, the server-normalized start (a start in the past becomes the time of the request).
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    /// `patternedRecurrence`; PIM does not support it, so it is always `null` in responses.
    #[serde(default)]
    pub recurrence: Option<serde_json::Value>,
    #[serde(default)]
    pub expiration: Option<ExpirationPattern>,
}

/// `expirationPattern`. Responses always carry all three keys, `null` where unused (digest §11.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpirationPattern {
    #[serde(rename = "type", default)]
    pub kind: Option<ExpirationPatternType>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    /// ISO 8601 (`PT8H`, `P365D`); only with `afterDuration`.
    #[serde(default)]
    pub duration: Option<Duration>,
}

impl ExpirationPattern {
    pub fn no_expiration() -> Self {
        Self {
            kind: Some(ExpirationPatternType::NoExpiration),
            end_date_time: None,
            duration: None,
        }
    }
    pub fn after_date_time(end: DateTime<Utc>) -> Self {
        Self {
            kind: Some(ExpirationPatternType::AfterDateTime),
            end_date_time: Some(end),
            duration: None,
        }
    }
    pub fn after_duration(d: Duration) -> Self {
        Self {
            kind: Some(ExpirationPatternType::AfterDuration),
            end_date_time: None,
            duration: Some(d),
        }
    }
}

/// `ticketInfo`. Responses carry both keys, `null` when no ticket was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketInfo {
    #[serde(default)]
    pub ticket_number: Option<String>,
    #[serde(default)]
    pub ticket_system: Option<String>,
}

/// `identity`: `{displayName, id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
}

/// `identitySet`: who did something (`createdBy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySet {
    #[serde(default)]
    pub application: Option<Identity>,
    #[serde(default)]
    pub device: Option<Identity>,
    #[serde(default)]
    pub user: Option<Identity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_reads_any_case_and_writes_all_keys() {
        let e: ExpirationPattern =
            serde_json::from_str(r#"{"type":"AfterDuration","duration":"PT5H","extra":1}"#)
                .unwrap();
        assert_eq!(e.kind, Some(ExpirationPatternType::AfterDuration));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"afterDuration","endDateTime":null,"duration":"PT5H"}"#
        );
        assert!(serde_json::from_str::<ExpirationPattern>(r#"{"type":"never"}"#).is_err());
    }
}
