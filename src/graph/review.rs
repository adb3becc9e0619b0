//! Access reviews (`/identityGovernance/accessReviews/definitions`): schedule definitions, their settings and
//! recurrence, the polymorphic scopes, reviewer scopes, instances and decisions (digest §8; CSDL
//! `accessReviewScheduleDefinition` and friends).
//!
//! The published examples leave keys out, write some as `null` and give others values, and the three differ on
//! the wire. A nullable property is therefore a [`Nullable`], which keeps all three, so that what is read is
//! written back field for field; a non-nullable one is an `Option` left out when absent. Unknown keys are ignored,
//! except on `userIdentity`, which the CSDL declares open, and whose extra keys are kept.

use super::{odata_type, odata_type_name, read_tagged, serialize_tagged};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A property that may be absent, `null`, or a value. `#[serde(default, skip_serializing_if =
/// "Nullable::is_absent")]` on the field makes an absent one stay absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Nullable<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }
    /// The value, if there is one (absent and `null` are both `None`).
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
    pub fn value_mut(&mut self) -> Option<&mut T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
    pub fn into_value(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` is written as `null`.
    fn from(o: Option<T>) -> Self {
        match o {
            Some(v) => Nullable::Value(v),
            None => Nullable::Null,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => v.serialize(s),
            Nullable::Absent | Nullable::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.into())
    }
}

graph_enum! {
    /// `recurrencePatternType`. Access reviews support only `weekly` and `absoluteMonthly`.
    RecurrencePatternType {
        Daily = "daily",
        Weekly = "weekly",
        AbsoluteMonthly = "absoluteMonthly",
        RelativeMonthly = "relativeMonthly",
        AbsoluteYearly = "absoluteYearly",
        RelativeYearly = "relativeYearly",
    }
}

graph_enum! {
    /// `recurrenceRangeType`.
    RecurrenceRangeType {
        EndDate = "endDate",
        NoEnd = "noEnd",
        Numbered = "numbered",
    }
}

graph_enum! {
    /// `dayOfWeek`.
    DayOfWeek {
        Sunday = "sunday",
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
    }
}

graph_enum! {
    /// `weekIndex`.
    WeekIndex {
        First = "first",
        Second = "second",
        Third = "third",
        Fourth = "fourth",
        Last = "last",
    }
}

graph_enum! {
    /// The values of `settings.defaultDecision` (an `Edm.String` in the CSDL; digest §8): what happens to the
    /// members nobody reviewed.
    DefaultDecision {
        None = "None",
        Approve = "Approve",
        Deny = "Deny",
        Recommendation = "Recommendation",
    }
}

/// The collection of access review definitions.
pub const DEFINITIONS_PATH: &str = "/identityGovernance/accessReviews/definitions";

/// What a reviewer query points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewerTarget {
    User(String),
    Group(String),
    /// `./manager` (with `queryRoot: decisions`).
    Managers,
    /// `./owners` of the reviewed group.
    Owners,
}

/// Reads a reviewer query: `/users/{id}`, `/groups/{id}/transitiveMembers` (or `members`, `owners`),
/// `./manager` on the decisions, or `./owners`; a leading `/v1.0` or `/beta` is accepted, as Microsoft's get
/// example shows it.
pub fn reviewer_target(r: &AccessReviewReviewerScope) -> Option<ReviewerTarget> {
    let q = r.query.value()?.trim();
    let q = q
        .strip_prefix("/v1.0")
        .or_else(|| q.strip_prefix("/beta"))
        .unwrap_or(q);
    let root = r.query_root.value().map(|s| s.trim().to_ascii_lowercase());
    let segs: Vec<&str> = q.split('/').collect();
    match segs.as_slice() {
        [".", "manager"] if root.as_deref() == Some("decisions") => Some(ReviewerTarget::Managers),
        [".", "owners"] => Some(ReviewerTarget::Owners),
        ["", "users", id] if !id.is_empty() => Some(ReviewerTarget::User(id.to_string())),
        ["", "groups", id, "transitiveMembers" | "members" | "owners"] if !id.is_empty() => {
            Some(ReviewerTarget::Group(id.to_string()))
        }
        _ => None,
    }
}

/// The `queryType` of every scope pimctl writes.
pub const QUERY_TYPE_GRAPH: &str = "MicrosoftGraph";

/// `accessReviewScheduleDefinition`. `instances` is a navigation property, never inline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewScheduleDefinition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub display_name: Nullable<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_date_time: Nullable<DateTime<Utc>>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub last_modified_date_time: Nullable<DateTime<Utc>>,
    /// Read-only: `NotStarted`, `InProgress`, `Completed`, `Applying`, `Applied`, ...
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub status: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub description_for_admins: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub description_for_reviewers: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub instance_enumeration_scope: Nullable<AccessReviewScope>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_by: Nullable<UserIdentity>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub scope: Nullable<AccessReviewScope>,
    /// Empty: the members review themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<AccessReviewReviewerScope>>,
    /// Deprecated: the 2021 examples carry it beside `fallbackReviewers`; the v1.0 CSDL no longer has it. Read,
    /// and written back only when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_reviewers: Option<Vec<AccessReviewReviewerScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reviewers: Option<Vec<AccessReviewReviewerScope>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub settings: Nullable<AccessReviewScheduleSettings>,
    /// `accessReviewNotificationRecipientItem` collection, kept as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_notification_recipients: Option<Vec<Value>>,
    /// Multi-stage reviews (`accessReviewStageSettings`), kept as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_settings: Option<Vec<Value>>,
}

impl AccessReviewScheduleDefinition {
    /// The query of an `accessReviewQueryScope` scope (what `$filter=contains(scope/...Query/query, ...)` sees).
    pub fn query_scope_query(&self) -> Option<&str> {
        match self.scope.value()? {
            AccessReviewScope::Query(q) => q.query.value().map(String::as_str),
            _ => None,
        }
    }
}

/// `accessReviewScope`, polymorphic on `@odata.type`. A scope without a known type is kept as read.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessReviewScope {
    Query(AccessReviewQueryScope),
    InactiveUsers(AccessReviewInactiveUsersQueryScope),
    PrincipalResourceMemberships(PrincipalResourceMembershipsScope),
    Other(Value),
}

impl AccessReviewScope {
    /// An `accessReviewQueryScope` with `queryType: MicrosoftGraph` and no `queryRoot`.
    pub fn query(query: impl Into<String>) -> Self {
        AccessReviewScope::Query(AccessReviewQueryScope::graph(query))
    }
    /// The type name (`accessReviewQueryScope`), or what an unknown scope says it is.
    pub fn type_name(&self) -> Option<&str> {
        match self {
            AccessReviewScope::Query(_) => Some("accessReviewQueryScope"),
            AccessReviewScope::InactiveUsers(_) => Some("accessReviewInactiveUsersQueryScope"),
            AccessReviewScope::PrincipalResourceMemberships(_) => {
                Some("principalResourceMembershipsScope")
            }
            AccessReviewScope::Other(v) => v
                .get("@odata.type")
                .and_then(Value::as_str)
                .map(odata_type_name),
        }
    }
}

impl Serialize for AccessReviewScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AccessReviewScope::Query(q) => serialize_tagged(s, "accessReviewQueryScope", q),
            AccessReviewScope::InactiveUsers(q) => {
                serialize_tagged(s, "accessReviewInactiveUsersQueryScope", q)
            }
            AccessReviewScope::PrincipalResourceMemberships(p) => {
                serialize_tagged(s, "principalResourceMembershipsScope", p)
            }
            AccessReviewScope::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AccessReviewScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (tag, v) = read_tagged(d)?;
        let parsed = match tag.as_deref() {
            Some("accessReviewQueryScope") => {
                serde_json::from_value(v).map(AccessReviewScope::Query)
            }
            Some("accessReviewInactiveUsersQueryScope") => {
                serde_json::from_value(v).map(AccessReviewScope::InactiveUsers)
            }
            Some("principalResourceMembershipsScope") => {
                serde_json::from_value(v).map(AccessReviewScope::PrincipalResourceMemberships)
            }
            _ => return Ok(AccessReviewScope::Other(v)),
        };
        parsed.map_err(D::Error::custom)
    }
}

/// `accessReviewQueryScope`: a Graph query for what is reviewed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewQueryScope {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query_type: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query_root: Nullable<String>,
}

impl AccessReviewQueryScope {
    /// `{query, queryType: MicrosoftGraph, queryRoot: null}`, as Graph answers it.
    pub fn graph(query: impl Into<String>) -> Self {
        Self {
            query: Nullable::Value(query.into()),
            query_type: Nullable::Value(QUERY_TYPE_GRAPH.into()),
            query_root: Nullable::Null,
        }
    }
}

/// `accessReviewInactiveUsersQueryScope`: a query scope limited to users inactive for `inactiveDuration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewInactiveUsersQueryScope {
    #[serde(flatten)]
    pub base: AccessReviewQueryScope,
    /// ISO 8601 (`P30D`), kept as written.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub inactive_duration: Nullable<String>,
}

/// `principalResourceMembershipsScope`: the principals of `principalScopes` that hold access to the resources of
/// `resourceScopes` (how a role's eligible and active members are reviewed together, digest §8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalResourceMembershipsScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_scopes: Option<Vec<AccessReviewScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_scopes: Option<Vec<AccessReviewScope>>,
}

/// `accessReviewReviewerScope`: who reviews (`/users/{id}`, `/groups/{id}/transitiveMembers`, `./manager` with
/// `queryRoot: decisions`). An `@odata.type` on input is ignored; Graph writes none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewReviewerScope {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query_type: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub query_root: Nullable<String>,
}

impl AccessReviewReviewerScope {
    /// A reviewer query as Graph answers it: `queryType: MicrosoftGraph`, `queryRoot` given or `null`.
    pub fn graph(query: impl Into<String>, query_root: Option<&str>) -> Self {
        Self {
            query: Nullable::Value(query.into()),
            query_type: Nullable::Value(QUERY_TYPE_GRAPH.into()),
            query_root: query_root.map(str::to_string).into(),
        }
    }
    /// One user: `/users/{id}`.
    pub fn user(id: &str) -> Self {
        Self::graph(format!("/users/{id}"), None)
    }
    /// The members of a group: `/groups/{id}/transitiveMembers`.
    pub fn group_members(id: &str) -> Self {
        Self::graph(format!("/groups/{id}/transitiveMembers"), None)
    }
    /// Each reviewed member's manager: `./manager` on the decisions.
    pub fn managers() -> Self {
        Self::graph("./manager", Some("decisions"))
    }
}

/// `userIdentity` (open type: unknown keys are kept, such as the `type` of the 2022 examples).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub id: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub display_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub user_principal_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub ip_address: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `accessReviewScheduleSettings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewScheduleSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_notifications_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_notifications_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification_required_on_approval: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_decision_enabled: Option<bool>,
    /// `None`, `Approve`, `Deny` or `Recommendation` (see [`DefaultDecision`]); kept as read.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub default_decision: Nullable<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_duration_in_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_apply_decisions_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendations_enabled: Option<bool>,
    /// ISO 8601, kept as written.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub recommendation_look_back_duration: Nullable<String>,
    /// `accessReviewRecommendationInsightSetting` collection (abstract, polymorphic), kept as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation_insight_settings: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub decision_histories_for_reviewers_enabled: Nullable<bool>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub recurrence: Nullable<PatternedRecurrence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_actions: Option<Vec<ApplyAction>>,
}

impl AccessReviewScheduleSettings {
    /// `defaultDecision`, parsed (`None` when absent, `null` or unknown).
    pub fn default_decision(&self) -> Option<DefaultDecision> {
        self.default_decision
            .value()
            .and_then(|d| DefaultDecision::parse(d))
    }
}

/// `accessReviewApplyAction` (abstract): `removeAccessApplyAction` or `disableAndDeleteUserApplyAction`, written
/// as `{"@odata.type": "#microsoft.graph.<name>"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyAction {
    RemoveAccess,
    DisableAndDeleteUser,
    /// Another derived type, by name.
    Other(String),
}

impl ApplyAction {
    pub fn type_name(&self) -> &str {
        match self {
            ApplyAction::RemoveAccess => "removeAccessApplyAction",
            ApplyAction::DisableAndDeleteUser => "disableAndDeleteUserApplyAction",
            ApplyAction::Other(n) => n,
        }
    }
}

impl Serialize for ApplyAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = Map::new();
        m.insert("@odata.type".into(), odata_type(self.type_name()).into());
        m.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ApplyAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (tag, _) = read_tagged(d)?;
        Ok(match tag.as_deref() {
            Some("removeAccessApplyAction") => ApplyAction::RemoveAccess,
            Some("disableAndDeleteUserApplyAction") => ApplyAction::DisableAndDeleteUser,
            Some(other) => ApplyAction::Other(other.to_string()),
            None => return Err(D::Error::custom("an apply action needs its `@odata.type`")),
        })
    }
}

/// `patternedRecurrence`. A one-time review has no `pattern`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternedRecurrence {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub pattern: Nullable<RecurrencePattern>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub range: Nullable<RecurrenceRange>,
}

/// `recurrencePattern`. Access reviews use only `type`, `interval` and `dayOfMonth` (digest §8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrencePattern {
    #[serde(rename = "type", default, skip_serializing_if = "Nullable::is_absent")]
    pub kind: Nullable<RecurrencePatternType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_week: Option<Vec<DayOfWeek>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub first_day_of_week: Nullable<DayOfWeek>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub index: Nullable<WeekIndex>,
}

/// `recurrenceRange`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrenceRange {
    #[serde(rename = "type", default, skip_serializing_if = "Nullable::is_absent")]
    pub kind: Nullable<RecurrenceRangeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_occurrences: Option<i32>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub recurrence_time_zone: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub start_date: Nullable<GraphDate>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub end_date: Nullable<GraphDate>,
}

/// `Edm.Date`, written `2022-03-02`. Read tolerantly: published requests also give a timestamp
/// (`2020-09-08T12:02:30.667Z`), of which Graph keeps the date (compare the request and response of Microsoft's
/// group-members example).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphDate(pub NaiveDate);

impl GraphDate {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(GraphDate(d));
        }
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| GraphDate(t.with_timezone(&Utc).date_naive()))
    }
}

impl std::fmt::Display for GraphDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for GraphDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GraphDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        GraphDate::parse(&s)
            .ok_or_else(|| D::Error::custom(format!("`{s}` is not a date (expected YYYY-MM-DD)")))
    }
}

/// `accessReviewInstance`: one occurrence of a definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewInstance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub start_date_time: Nullable<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub end_date_time: Nullable<DateTime<Utc>>,
    /// `NotStarted`, `InProgress`, `Completed`, `AutoReviewed`, `Applied`, ...
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub status: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub scope: Nullable<AccessReviewScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<AccessReviewReviewerScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reviewers: Option<Vec<AccessReviewReviewerScope>>,
}

/// `accessReviewInstanceDecisionItem`: one reviewed principal's decision in an instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewInstanceDecisionItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_review_id: Option<String>,
    /// `Approve`, `Deny`, `NotReviewed`, `DontKnow`.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub decision: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub recommendation: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub justification: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub reviewed_date_time: Nullable<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub reviewed_by: Nullable<UserIdentity>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub applied_date_time: Nullable<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub applied_by: Nullable<UserIdentity>,
    /// `New`, `AppliedSuccessfully`, `AppliedWithUnknownFailure`, `AppliedSuccessfullyButObjectNotFound`,
    /// `ApplyNotSupported`.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub apply_result: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub principal_link: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub resource_link: Nullable<String>,
    /// `identity` (polymorphic: `userIdentity`, ...), kept as read.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub principal: Nullable<Value>,
    /// `accessReviewInstanceDecisionItemResource` (polymorphic), kept as read.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub resource: Nullable<Value>,
}

/// The scope queries Microsoft documents for reviewing a PIM-managed directory role (digest §8,
/// accessreviews-scope-concept.md), and [`target_of`](pim_scope::target_of), which reads a scope back into what
/// it reviews. Users only: service principals are left out, as Graph requires a separate review for them.
pub mod pim_scope {
    use super::*;

    /// `isof(principal,'microsoft.graph.user')`.
    const USERS: &str = "isof(principal,'microsoft.graph.user')";

    /// The users eligible for a role.
    pub fn eligible_users(role_id: &str) -> String {
        format!(
            "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=({USERS} and roleDefinitionId eq '{role_id}')"
        )
    }

    /// The users actively assigned to a role (not activations).
    pub fn active_users(role_id: &str) -> String {
        format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal&$filter=(assignmentType eq 'Assigned' and {USERS} and roleDefinitionId eq '{role_id}')"
        )
    }

    /// The role as a resource: `/roleManagement/directory/roleDefinitions/{id}`.
    pub fn role_resource(role_id: &str) -> String {
        format!("/roleManagement/directory/roleDefinitions/{role_id}")
    }

    /// All active and eligible users and groups of a role: a `principalResourceMembershipsScope` with
    /// principal scopes `/users` and `/groups` and the role as resource scope.
    pub fn all_members(role_id: &str) -> AccessReviewScope {
        AccessReviewScope::PrincipalResourceMemberships(PrincipalResourceMembershipsScope {
            principal_scopes: Some(vec![
                AccessReviewScope::query("/users"),
                AccessReviewScope::query("/groups"),
            ]),
            resource_scopes: Some(vec![AccessReviewScope::query(role_resource(role_id))]),
        })
    }

    /// Which assignments of a role a review covers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ReviewedAssignments {
        Eligible,
        Active,
        /// Eligible and active (a `principalResourceMembershipsScope` on the role).
        Both,
    }

    /// What a review's scope reviews, read back from Graph (the inverse of the builders above), so that a live
    /// definition can be keyed by its target.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ReviewedTarget {
        /// A directory role's members: which assignments, and of which principal types (`user`, `group`,
        /// `servicePrincipal`).
        Role {
            role_id: String,
            assignments: ReviewedAssignments,
            principal_types: Vec<&'static str>,
        },
        /// A group's members (`/groups/{id}/transitiveMembers` or `/members`).
        GroupMembers(String),
    }

    fn role_in_query(q: &str) -> Option<String> {
        const KEY: &str = "roleDefinitionId eq '";
        let rest = &q[q.find(KEY)? + KEY.len()..];
        Some(rest[..rest.find('\'')?].to_string())
    }

    /// The target of a scope, for the scopes Microsoft documents for PIM roles and for a group's members; `None`
    /// for anything else (applications, access packages, guests, inactive users): reviews pimctl never touches.
    pub fn target_of(scope: &AccessReviewScope) -> Option<ReviewedTarget> {
        match scope {
            AccessReviewScope::Query(q) => {
                let text = q.query.value()?.trim();
                let text = text.strip_prefix("/v1.0").unwrap_or(text);
                if let Some(role_id) = role_in_query(text) {
                    let assignments = if text
                        .starts_with("/roleManagement/directory/roleEligibilityScheduleInstances")
                    {
                        ReviewedAssignments::Eligible
                    } else if text
                        .starts_with("/roleManagement/directory/roleAssignmentScheduleInstances")
                    {
                        ReviewedAssignments::Active
                    } else {
                        return None;
                    };
                    let kind =
                        if text.contains("isof(principal,'microsoft.graph.servicePrincipal')") {
                            "servicePrincipal"
                        } else if text.contains("isof(principal,'microsoft.graph.user')") {
                            "user"
                        } else {
                            return None;
                        };
                    return Some(ReviewedTarget::Role {
                        role_id,
                        assignments,
                        principal_types: vec![kind],
                    });
                }
                let (id, tail) = text.strip_prefix("/groups/")?.split_once('/')?;
                matches!(tail, "transitiveMembers" | "members")
                    .then(|| ReviewedTarget::GroupMembers(id.to_string()))
            }
            AccessReviewScope::PrincipalResourceMemberships(p) => {
                let queries = |l: &Option<Vec<AccessReviewScope>>| -> Vec<String> {
                    l.iter()
                        .flatten()
                        .filter_map(|s| match s {
                            AccessReviewScope::Query(q) => {
                                q.query.value().map(|x| x.trim().to_string())
                            }
                            _ => None,
                        })
                        .collect()
                };
                let [resource] = <[String; 1]>::try_from(queries(&p.resource_scopes)).ok()?;
                let role_id = resource
                    .strip_prefix("/roleManagement/directory/roleDefinitions/")?
                    .to_string();
                let principal_types: Vec<&'static str> = queries(&p.principal_scopes)
                    .iter()
                    .filter_map(|q| match q.as_str() {
                        "/users" => Some("user"),
                        "/groups" => Some("group"),
                        _ => None,
                    })
                    .collect();
                (!principal_types.is_empty()).then_some(ReviewedTarget::Role {
                    role_id,
                    assignments: ReviewedAssignments::Both,
                    principal_types,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_keeps_absent_null_and_value_apart() {
        let q: AccessReviewQueryScope =
            serde_json::from_value(json!({"query": "/users", "queryRoot": null})).unwrap();
        assert_eq!(q.query, Nullable::Value("/users".into()));
        assert_eq!(q.query_root, Nullable::Null);
        assert_eq!(q.query_type, Nullable::Absent);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({"query": "/users", "queryRoot": null})
        );
    }

    #[test]
    fn scopes_are_polymorphic_and_tolerant() {
        let s: AccessReviewScope = serde_json::from_value(json!({
            "@odata.type": "microsoft.graph.accessReviewInactiveUsersQueryScope",
            "query": "./members", "inactiveDuration": "P30D"
        }))
        .unwrap();
        let AccessReviewScope::InactiveUsers(i) = &s else {
            panic!("{s:?}")
        };
        assert_eq!(i.inactive_duration.value().unwrap(), "P30D");
        assert_eq!(i.base.query.value().unwrap(), "./members");
        assert_eq!(
            serde_json::to_value(&s).unwrap()["@odata.type"],
            "#microsoft.graph.accessReviewInactiveUsersQueryScope"
        );
        let unknown: AccessReviewScope =
            serde_json::from_value(json!({"query": "/users"})).unwrap();
        assert!(matches!(unknown, AccessReviewScope::Other(_)));
        assert_eq!(unknown.type_name(), None);
    }

    #[test]
    fn dates_read_timestamps_and_write_dates() {
        let r: RecurrenceRange = serde_json::from_value(
            json!({"type": "NoEnd", "startDate": "2020-09-08T12:02:30.667Z"}),
        )
        .unwrap();
        assert_eq!(r.kind, Nullable::Value(RecurrenceRangeType::NoEnd));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"type": "noEnd", "startDate": "2020-09-08"})
        );
        assert!(serde_json::from_value::<RecurrenceRange>(json!({"startDate": "soon"})).is_err());
    }

    #[test]
    fn targets_are_read_back_from_the_scopes_pimctl_writes() {
        use pim_scope::*;
        let role = "62e90394-69f5-4237-9190-012177145e10";
        let as_role = |assignments, kinds: &[&'static str]| {
            Some(ReviewedTarget::Role {
                role_id: role.into(),
                assignments,
                principal_types: kinds.to_vec(),
            })
        };
        assert_eq!(
            target_of(&AccessReviewScope::query(eligible_users(role))),
            as_role(ReviewedAssignments::Eligible, &["user"])
        );
        assert_eq!(
            target_of(&AccessReviewScope::query(active_users(role))),
            as_role(ReviewedAssignments::Active, &["user"])
        );
        assert_eq!(
            target_of(&all_members(role)),
            as_role(ReviewedAssignments::Both, &["user", "group"])
        );
        assert_eq!(
            target_of(&AccessReviewScope::query("/groups/g1/transitiveMembers")),
            Some(ReviewedTarget::GroupMembers("g1".into()))
        );
        // Reviews of anything else are not a target of pimctl's.
        for other in [
            "/servicePrincipals/bae11f90-7d5d-46ba-9f55-8112b59d92ae",
            "/users",
            "/groups/g1",
            "/roleManagement/directory/roleEligibilityScheduleInstances?$filter=(roleDefinitionId eq 'x')",
        ] {
            assert_eq!(target_of(&AccessReviewScope::query(other)), None, "{other}");
        }
        let inactive: AccessReviewScope = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.accessReviewInactiveUsersQueryScope",
            "query": "/groups/g1/transitiveMembers", "inactiveDuration": "P30D"
        }))
        .unwrap();
        assert_eq!(target_of(&inactive), None);
    }

    #[test]
    fn pim_scopes_are_microsofts_queries() {
        let role = "62e90394-69f5-4237-9190-012177145e10";
        assert_eq!(
            pim_scope::eligible_users(role),
            format!(
                "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{role}')"
            )
        );
        let all = serde_json::to_value(pim_scope::all_members(role)).unwrap();
        assert_eq!(
            all["resourceScopes"][0]["query"],
            format!("/roleManagement/directory/roleDefinitions/{role}")
        );
        assert_eq!(
            all["principalScopes"][1]["@odata.type"],
            "#microsoft.graph.accessReviewQueryScope"
        );
        assert_eq!(
            serde_json::to_value(AccessReviewReviewerScope::managers()).unwrap(),
            json!({"query": "./manager", "queryType": "MicrosoftGraph", "queryRoot": "decisions"})
        );
    }
}
