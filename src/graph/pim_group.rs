//! PIM for Groups (`/identityGovernance/privilegedAccess/group/...`): schedule requests, schedules and schedule
//! instances of membership and ownership of a group (digest §7). Field names and order follow Microsoft's published
//! examples (`privilegedAccessGroup*` in `shared/graph-reference/examples`) and the v1.0 CSDL.
//!
//! The enums PIM for Groups shares with directory roles are reused: `action` is `scheduleRequestActions` (the
//! same values as [`ScheduleRequestAction`]), and `memberType` / `assignmentType` read case-insensitively and are
//! written `Direct` / `Assigned` / `Activated`, as the published examples write them (the CSDL spells the members
//! in lower case; digest §1).

use super::common::{IdentitySet, RequestSchedule, TicketInfo};
use super::directory::{DirectoryObject, Group};
use super::role::{AssignmentType, MemberType, RequestStatus, ScheduleRequestAction};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

graph_enum! {
    /// `privilegedAccessGroupRelationships`: what a schedule grants on the group.
    AccessId {
        Owner = "owner",
        Member = "member",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// The body of `POST .../group/eligibilityScheduleRequests` and `.../group/assignmentScheduleRequests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewGroupScheduleRequest {
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    pub action: ScheduleRequestAction,
    /// Required except for `adminRemove` (digest §11.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_info: Option<TicketInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_validation_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// `privilegedAccessGroupEligibilityScheduleRequest` and `privilegedAccessGroupAssignmentScheduleRequest` (the
/// same structural properties; only their navigation properties differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupScheduleRequest {
    pub id: String,
    pub status: RequestStatus,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub approval_id: Option<String>,
    #[serde(default)]
    pub custom_data: Option<String>,
    #[serde(default)]
    pub created_by: Option<IdentitySet>,
    pub action: ScheduleRequestAction,
    #[serde(default)]
    pub is_validation_only: bool,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default)]
    pub ticket_info: Option<TicketInfo>,
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    #[serde(default)]
    pub target_schedule_id: Option<String>,
}

/// `privilegedAccessGroupEligibilitySchedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEligibilitySchedule {
    pub id: String,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default)]
    pub created_using: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    /// The principal, when `$expand=principal` asked for it.
    #[serde(
        default,
        deserialize_with = "super::role::lenient_principal",
        skip_serializing_if = "Option::is_none"
    )]
    pub principal: Option<DirectoryObject>,
    /// The group, when `$expand=group` asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
}

/// `privilegedAccessGroupAssignmentSchedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupAssignmentSchedule {
    pub id: String,
    #[serde(default)]
    pub schedule_info: Option<RequestSchedule>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modified_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_using: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub assignment_type: Option<AssignmentType>,
    /// The principal, when `$expand=principal` asked for it.
    #[serde(
        default,
        deserialize_with = "super::role::lenient_principal",
        skip_serializing_if = "Option::is_none"
    )]
    pub principal: Option<DirectoryObject>,
    /// The group, when `$expand=group` asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
}

/// `privilegedAccessGroupEligibilityScheduleInstance`: an eligibility in effect now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEligibilityScheduleInstance {
    pub id: String,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    /// In the CSDL, but not in Microsoft's published list answer, which the emulator follows (it leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility_schedule_id: Option<String>,
}

/// `privilegedAccessGroupAssignmentScheduleInstance`: membership or ownership in effect now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupAssignmentScheduleInstance {
    pub id: String,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    pub access_id: AccessId,
    pub principal_id: String,
    pub group_id: String,
    #[serde(default)]
    pub member_type: Option<MemberType>,
    #[serde(default)]
    pub assignment_type: Option<AssignmentType>,
    #[serde(default)]
    pub assignment_schedule_id: Option<String>,
}

/// The id of a group schedule or instance: `{groupId}_{accessId}_{guid}` (digest §7).
pub fn group_schedule_id(group_id: &str, access: AccessId, guid: &str) -> String {
    format!("{group_id}_{access}_{guid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/tests/fixtures/graph-reference/examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn published_requests_parse_in_any_case() {
        for f in [
            "privilegedAccessGroupEligibilityScheduleRequest-create-adminAssign-request.json",
            "privilegedAccessGroupEligibilityScheduleRequest-create-adminExtend-request.json",
            "privilegedAccessGroupAssignmentScheduleRequest-create-adminAssign-request.json",
            "privilegedAccessGroupAssignmentScheduleRequest-create-selfActivate-request.json",
        ] {
            let r: NewGroupScheduleRequest = serde_json::from_value(example(f)).unwrap();
            assert_eq!(r.access_id, AccessId::Member, "{f}");
            assert!(r.schedule_info.is_some(), "{f}");
        }
        let r: NewGroupScheduleRequest = serde_json::from_value(example(
            "privilegedAccessGroupEligibilityScheduleRequest-create-adminAssign-request.json",
        ))
        .unwrap();
        assert_eq!(r.action, ScheduleRequestAction::AdminAssign, "AdminAssign");
    }

    /// Reading a published answer and writing it back gives the same fields, with Graph's spelling of every enum.
    #[test]
    fn published_answers_round_trip_field_for_field() {
        fn same<T: serde::de::DeserializeOwned + Serialize>(v: &serde_json::Value) {
            let t: T = serde_json::from_value(v.clone()).unwrap();
            let back = serde_json::to_value(&t).unwrap();
            let keys = |v: &serde_json::Value| -> Vec<String> {
                let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                k.sort();
                k
            };
            assert_eq!(keys(&back), keys(v), "{v}");
            // Strings come back as they were (times may differ in their digits only).
            for (k, x) in back.as_object().unwrap() {
                if x.is_string() && !k.ends_with("DateTime") {
                    assert_eq!(x, &v[k], "{k}");
                }
            }
        }
        let items = |f: &str| example(f)["value"].as_array().unwrap().clone();
        for v in items("privilegedAccessGroupAssignmentSchedule-list-response.json") {
            same::<GroupAssignmentSchedule>(&v);
        }
        for v in items("privilegedAccessGroupEligibilitySchedule-list-response.json") {
            same::<GroupEligibilitySchedule>(&v);
        }
        for v in items("privilegedAccessGroupEligibilityScheduleInstance-list-response.json") {
            same::<GroupEligibilityScheduleInstance>(&v);
        }
        for v in items("privilegedAccessGroupAssignmentScheduleRequest-list-response.json") {
            same::<GroupScheduleRequest>(&v);
        }
        for v in items("privilegedAccessGroupEligibilityScheduleRequest-list-response.json") {
            same::<GroupScheduleRequest>(&v);
        }
        assert_eq!(
            group_schedule_id("g", AccessId::Owner, "x"),
            "g_owner_x",
            "ids are {{groupId}}_{{accessId}}_{{guid}}"
        );
    }
}
