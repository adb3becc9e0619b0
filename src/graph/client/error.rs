//! What can go wrong talking to Graph, with messages that say what to do. No message ever holds a token.

use super::auth::AuthError;
use std::fmt;

/// The least Graph application permissions `pimctl plan` needs (read only).
pub const PLAN_PERMISSIONS: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagementPolicy.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "RoleAssignmentSchedule.Read.Directory",
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
];

/// The least Graph application permissions `pimctl apply` needs: the ReadWrite counterparts.
pub const APPLY_PERMISSIONS: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
];

/// Whether a request only reads (`GET`, `HEAD`), and its path lower-cased without query or fragment: what Graph's
/// permission and ARM's action for a request are judged on.
fn read_and_path(method: &str, path: &str) -> (bool, String) {
    let read = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let p = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    (read, p)
}

/// The Graph permission a request needs, from its method and path (relative to the version root or absolute).
/// Reads need the `Read` permission, writes the `ReadWrite` one.
pub fn permission_for(method: &str, path: &str) -> &'static str {
    let (read, p) = read_and_path(method, path);
    let pick = |r: &'static str, w: &'static str| if read { r } else { w };
    // A group's policy: its id starts `Group_`, and a list of them filters on `scopeType eq 'Group'`.
    let query = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    let group_policy = p.contains("/rolemanagementpolicies/group_")
        || (p.contains("/policies/rolemanagementpolic") && query.contains("scopetype eq 'group'"));
    if group_policy {
        pick(
            "RoleManagementPolicy.Read.AzureADGroup",
            "RoleManagementPolicy.ReadWrite.AzureADGroup",
        )
    } else if p.contains("/privilegedaccess/group/eligibilityschedule") {
        pick(
            "PrivilegedEligibilitySchedule.Read.AzureADGroup",
            "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
        )
    } else if p.contains("/privilegedaccess/group/assignmentschedule") {
        pick(
            "PrivilegedAssignmentSchedule.Read.AzureADGroup",
            "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
        )
    } else if p.contains("/identitygovernance/accessreviews/") {
        pick("AccessReview.Read.All", "AccessReview.ReadWrite.All")
    } else if p.contains("/policies/rolemanagementpolic") {
        pick(
            "RoleManagementPolicy.Read.Directory",
            "RoleManagementPolicy.ReadWrite.Directory",
        )
    } else if p.contains("/rolemanagement/directory/roleeligibilityschedule") {
        pick(
            "RoleEligibilitySchedule.Read.Directory",
            "RoleEligibilitySchedule.ReadWrite.Directory",
        )
    } else if p.contains("/rolemanagement/directory/roleassignmentschedule") {
        pick(
            "RoleAssignmentSchedule.Read.Directory",
            "RoleAssignmentSchedule.ReadWrite.Directory",
        )
    } else if p.contains("/rolemanagement/") {
        pick(
            "RoleManagement.Read.Directory (or Directory.Read.All)",
            "RoleManagement.ReadWrite.Directory",
        )
    } else if p.contains("/users") {
        "User.Read.All (or Directory.Read.All)"
    } else if p.contains("/groups") {
        "GroupMember.Read.All (or Directory.Read.All)"
    } else if p.contains("/serviceprincipals") {
        "Application.Read.All (or Directory.Read.All)"
    } else if p.ends_with("/organization") {
        "Organization.Read.All (a signed-in user needs only User.Read)"
    } else if p.contains("/subscribedskus") {
        "LicenseAssignment.Read.All (or Organization.Read.All, Directory.Read.All)"
    } else {
        "Directory.Read.All"
    }
}

/// Which request an error is about. `Display`: `GET /v1.0/users (request-id abc, client-request-id def)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub method: String,
    /// The URL path, without the query.
    pub path: String,
    /// The server's `request-id` (header, else `innerError.request-id`), when there was an answer.
    pub request_id: Option<String>,
    /// The `client-request-id` pimctl sent.
    pub client_request_id: String,
}

impl fmt::Display for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (", self.method, self.path)?;
        match &self.request_id {
            Some(r) => write!(f, "request-id {r}, ")?,
            None => write!(f, "no request-id, ")?,
        }
        write!(f, "client-request-id {})", self.client_request_id)
    }
}

/// `120 s`, `0.5 s`, `999999 s`.
fn secs(d: &std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn after(attempts: &u32) -> String {
    if *attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn code_message(code: &str, message: &str) -> String {
    match (code.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(": {code}"),
        (true, false) => format!(": {message}"),
        (false, false) => format!(": {code}: {message}"),
    }
}

/// The Graph client's errors.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// An error answer not covered below (400, 404, 409, 500, 503 after retries, ...).
    #[error("{req}: HTTP {status}{}{}", code_message(.code, .message), after(.attempts))]
    Http {
        req: Box<RequestInfo>,
        status: u16,
        code: String,
        message: String,
        attempts: u32,
    },
    /// 403: the identity lacks a Graph permission (or a directory role, for delegated tokens).
    #[error(
        "{req}: 403 Forbidden{}. The identity pimctl runs as lacks the Graph permission {needed}. \
         `pimctl plan` needs {}; `pimctl apply` needs {} (or Directory.Read.All in place of User.Read.All and \
         GroupMember.Read.All). Grant them as application permissions with admin consent; declared groups and access reviews \
         need their own as well (README, \"Least Graph permissions\").",
        code_message(.code, .message), PLAN_PERMISSIONS.join(", "), APPLY_PERMISSIONS.join(", ")
    )]
    Forbidden {
        req: Box<RequestInfo>,
        code: String,
        message: String,
        /// The permission this request needs.
        needed: &'static str,
    },
    /// 401: the token is missing, expired, or not for Graph or this tenant.
    #[error(
        "{req}: 401 Unauthorized{}. Graph refused the access token (missing, expired, or issued for another \
         audience or tenant): check --auth, --tenant and --graph-url.",
        code_message(.code, .message)
    )]
    Unauthorized {
        req: Box<RequestInfo>,
        code: String,
        message: String,
    },
    /// 403 from Azure Resource Manager: the identity lacks an Azure RBAC action at this scope.
    #[error(
        "{req}: 403 Forbidden{}. The identity pimctl runs as lacks the Azure permission {needed} at this scope. \
         `pimctl plan` needs {} (and {} for scopes declared by display name, {} for fan-out); `pimctl apply` \
         also needs {}. \
         Assign it a role with these actions at the declared scopes: docs/azure.md \"Least permissions\" has \
         both as custom role definitions (\"pimctl plan\", \"pimctl apply\").",
        code_message(.code, .message), ARM_PLAN_ACTIONS.join(", "), ARM_NAME_ACTIONS.join(" and "),
        ARM_FANOUT_ACTIONS.join(" and "), ARM_APPLY_ACTIONS.join(", ")
    )]
    ArmForbidden {
        req: Box<RequestInfo>,
        code: String,
        message: String,
        /// The Azure action this request needs.
        needed: &'static str,
    },
    /// 401 from Azure Resource Manager.
    #[error(
        "{req}: 401 Unauthorized{}. Azure Resource Manager refused the access token (missing, expired, or \
         issued for another audience or tenant): check --auth, --tenant and --arm-url (with --auth token, the ARM \
         token is read from PIMCTL_ARM_ACCESS_TOKEN).",
        code_message(.code, .message)
    )]
    ArmUnauthorized {
        req: Box<RequestInfo>,
        code: String,
        message: String,
    },
    /// Still 429 after every attempt.
    #[error(
        "{req}: still throttled (429) after {attempts} attempts. Try again later, or lower \
         --max-concurrency."
    )]
    Throttled {
        req: Box<RequestInfo>,
        attempts: u32,
    },
    /// The server asked to wait longer (`Retry-After`) than `--max-retry-wait` allows: given up at once rather
    /// than sleeping for as long as a server says.
    #[error(
        "{req}: HTTP {status} with Retry-After {}, longer than --max-retry-wait {}: gave up instead of waiting. \
         Try again later, or raise --max-retry-wait.",
        secs(.asked), secs(.limit)
    )]
    WaitTooLong {
        req: Box<RequestInfo>,
        status: u16,
        /// The wait the server asked for.
        asked: std::time::Duration,
        limit: std::time::Duration,
    },
    /// The command's `--timeout` ran out during this request (or before it could be sent). `ambiguous` as for
    /// [`ClientError::Network`]: a write was in flight.
    #[error(
        "{req}: the command's --timeout of {} ran out{}",
        secs(.limit),
        if *.ambiguous { " while the request was in flight, so it may or may not have taken effect: read the \
            current state before trying again" } else { "" }
    )]
    TimedOut {
        req: Box<RequestInfo>,
        limit: std::time::Duration,
        ambiguous: bool,
    },
    /// No complete answer: connection refused or reset, timeout, truncated body. `ambiguous` is true when a write
    /// was sent and may or may not have taken effect: re-read the state before trying again.
    #[error(
        "{req}: {detail}{}{}",
        if *.ambiguous { ". The request was sent but no complete answer came back, so it may or may not have \
            taken effect: read the current state before trying again" } else { "" },
        after(.attempts)
    )]
    Network {
        req: Box<RequestInfo>,
        detail: String,
        ambiguous: bool,
        attempts: u32,
    },
    /// The answer is not the JSON expected.
    #[error("{req}: the answer is not the JSON expected: {detail}")]
    Decode {
        req: Box<RequestInfo>,
        detail: String,
    },
    /// No token.
    #[error("cannot authenticate to Microsoft Graph: {0}")]
    Auth(#[from] AuthError),
    /// A request pimctl cannot make (a bad URL, a next link to another host, duplicate batch ids, ...).
    #[error("{0}")]
    Invalid(String),
}

impl ClientError {
    /// True when a write may or may not have taken effect.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Self::Network {
                ambiguous: true,
                ..
            } | Self::TimedOut {
                ambiguous: true,
                ..
            }
        )
    }
    /// The HTTP status, when there was an answer with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            Self::Forbidden { .. } | Self::ArmForbidden { .. } => Some(403),
            Self::Unauthorized { .. } | Self::ArmUnauthorized { .. } => Some(401),
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }
    /// The Graph error code (`RoleAssignmentExists`, ...), when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Http { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::ArmForbidden { code, .. }
            | Self::ArmUnauthorized { code, .. }
                if !code.is_empty() =>
            {
                Some(code)
            }
            _ => None,
        }
    }
    /// Which request failed, when the error is about one.
    pub fn request(&self) -> Option<&RequestInfo> {
        match self {
            Self::Http { req, .. }
            | Self::Forbidden { req, .. }
            | Self::Unauthorized { req, .. }
            | Self::ArmForbidden { req, .. }
            | Self::ArmUnauthorized { req, .. }
            | Self::Throttled { req, .. }
            | Self::WaitTooLong { req, .. }
            | Self::TimedOut { req, .. }
            | Self::Network { req, .. }
            | Self::Decode { req, .. } => Some(req),
            Self::Auth(_) | Self::Invalid(_) => None,
        }
    }
}

/// The Azure actions `pimctl plan` needs on the declared scopes (read only).
pub const ARM_PLAN_ACTIONS: &[&str] = &[
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Authorization/roleManagementPolicies/read",
    "Microsoft.Authorization/roleManagementPolicyAssignments/read",
    "Microsoft.Authorization/roleEligibilitySchedules/read",
    "Microsoft.Authorization/roleAssignmentSchedules/read",
    "Microsoft.Authorization/roleAssignmentScheduleInstances/read",
];

/// What `pimctl apply` needs besides [`ARM_PLAN_ACTIONS`].
pub const ARM_APPLY_ACTIONS: &[&str] = &[
    "Microsoft.Authorization/roleManagementPolicies/write",
    "Microsoft.Authorization/roleEligibilityScheduleRequests/write",
    "Microsoft.Authorization/roleAssignmentScheduleRequests/write",
];

/// What `pimctl plan` also needs when scopes are declared by display name: the lists of subscriptions and of
/// management groups.
pub const ARM_NAME_ACTIONS: &[&str] = &[
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Management/managementGroups/read",
];

/// What `plan` and `apply` also need for a fan-out (`below:`): the lists of a subscription's resource groups and of a
/// management group's descendants.
pub const ARM_FANOUT_ACTIONS: &[&str] = &[
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Management/managementGroups/descendants/read",
];

/// The Azure action an ARM request needs, from its method and path.
pub fn arm_action_for(method: &str, path: &str) -> &'static str {
    let (read, p) = read_and_path(method, path);
    match p.trim_end_matches('/') {
        "/subscriptions" => return ARM_NAME_ACTIONS[0],
        "/providers/microsoft.management/managementgroups" => return ARM_NAME_ACTIONS[1],
        q if q.starts_with("/subscriptions/") && q.ends_with("/resourcegroups") => {
            return ARM_FANOUT_ACTIONS[0];
        }
        q if q.starts_with("/providers/microsoft.management/managementgroups/")
            && q.ends_with("/descendants") =>
        {
            return ARM_FANOUT_ACTIONS[1];
        }
        _ => {}
    }
    let seg = p
        .rsplit_once("/providers/microsoft.authorization/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .unwrap_or("");
    ARM_PLAN_ACTIONS
        .iter()
        .chain(ARM_APPLY_ACTIONS)
        .copied()
        .find(|a| {
            let (resource, verb) = a
                .trim_start_matches("Microsoft.Authorization/")
                .split_once('/')
                .unwrap_or(("", ""));
            resource.eq_ignore_ascii_case(seg) && (verb == "read") == read
        })
        .unwrap_or(if read {
            "Microsoft.Authorization/*/read"
        } else {
            "Microsoft.Authorization/*/write"
        })
}

/// The error for an error answer (`status` >= 400) with `body`, after `attempts` attempts, in either dialect: ARM's
/// `CloudError` (`{"error":{"code","message"}}`) reads as Graph's error does (without `innerError`), and 401/403 say
/// what the service needs.
pub(crate) fn from_answer_in(
    dialect: super::Dialect,
    mut req: RequestInfo,
    status: u16,
    body: &[u8],
    attempts: u32,
) -> ClientError {
    let arm = dialect == super::Dialect::Arm;
    let (code, message, inner_id) = if arm {
        match serde_json::from_slice::<crate::graph::arm::CloudError>(body) {
            Ok(e) => (e.error.code, e.error.message, None),
            Err(_) => (String::new(), String::new(), None),
        }
    } else {
        match serde_json::from_slice::<crate::graph::GraphError>(body) {
            Ok(e) => (
                e.error.code,
                e.error.message,
                e.error.inner_error.and_then(|i| i.request_id),
            ),
            Err(_) => (String::new(), String::new(), None),
        }
    };
    let code = clip(&code, 200);
    let message = clip(&message, 1000);
    if req.request_id.is_none() {
        req.request_id = inner_id;
    }
    let req = Box::new(req);
    match status {
        401 if arm => ClientError::ArmUnauthorized { req, code, message },
        401 => ClientError::Unauthorized { req, code, message },
        403 if arm => {
            let needed = arm_action_for(&req.method, &req.path);
            ClientError::ArmForbidden {
                req,
                code,
                message,
                needed,
            }
        }
        403 => {
            let needed = permission_for(&req.method, &req.path);
            ClientError::Forbidden {
                req,
                code,
                message,
                needed,
            }
        }
        429 => ClientError::Throttled { req, attempts },
        _ => ClientError::Http {
            req,
            status,
            code,
            message,
            attempts,
        },
    }
}

/// The error for a Graph error answer (`status` >= 400) with `body`, after `attempts` attempts.
pub(crate) fn from_answer(
    req: RequestInfo,
    status: u16,
    body: &[u8],
    attempts: u32,
) -> ClientError {
    from_answer_in(super::Dialect::Graph, req, status, body, attempts)
}

/// A decoding error's message without the line and column serde_json adds when it reads text: where the text is one
/// item cut from a larger answer (a `$batch` sub-response, a list item), its position says nothing to the reader,
/// and the message stays the one a decoded tree gave.
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if e.line() == 0 {
        return text;
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// At most `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RequestInfo {
        RequestInfo {
            method: "GET".into(),
            path: "/v1.0/users".into(),
            request_id: None,
            client_request_id: "c1".into(),
        }
    }

    #[test]
    fn permissions_follow_the_path_and_the_method() {
        assert_eq!(
            permission_for("GET", "/v1.0/identityGovernance/accessReviews/definitions"),
            "AccessReview.Read.All"
        );
        assert_eq!(
            permission_for("DELETE", "/identityGovernance/accessReviews/definitions/d1"),
            "AccessReview.ReadWrite.All"
        );
        assert_eq!(
            permission_for(
                "GET",
                "/v1.0/policies/roleManagementPolicies?$filter=scopeId eq '/'"
            ),
            "RoleManagementPolicy.Read.Directory"
        );
        assert_eq!(
            permission_for("PATCH", "/policies/roleManagementPolicies/x/rules/y"),
            "RoleManagementPolicy.ReadWrite.Directory"
        );
        assert_eq!(
            permission_for(
                "POST",
                "/roleManagement/directory/roleEligibilityScheduleRequests"
            ),
            "RoleEligibilitySchedule.ReadWrite.Directory"
        );
        assert_eq!(
            permission_for(
                "GET",
                "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances"
            ),
            "RoleAssignmentSchedule.Read.Directory"
        );
        assert_eq!(
            permission_for(
                "GET",
                "/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20%27g%27%20and%20scopeType%20eq%20%27Group%27"
            ),
            "RoleManagementPolicy.Read.AzureADGroup"
        );
        assert_eq!(
            permission_for(
                "PATCH",
                "/policies/roleManagementPolicies/Group_g_x/rules/y"
            ),
            "RoleManagementPolicy.ReadWrite.AzureADGroup"
        );
        assert_eq!(
            permission_for(
                "GET",
                "/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=groupId eq 'g'"
            ),
            "PrivilegedEligibilitySchedule.Read.AzureADGroup"
        );
        assert_eq!(
            permission_for(
                "POST",
                "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
            ),
            "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
        );
        assert_eq!(
            permission_for(
                "GET",
                "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq 'g'"
            ),
            "PrivilegedAssignmentSchedule.Read.AzureADGroup"
        );
        assert!(permission_for("GET", "/groups/x/members").starts_with("GroupMember.Read.All"));
        assert!(permission_for("GET", "/users/x").starts_with("User.Read.All"));
    }

    #[test]
    fn arm_errors_name_the_azure_action() {
        let mut r = req();
        r.method = "PATCH".into();
        r.path =
            "/subscriptions/s/providers/Microsoft.Authorization/roleManagementPolicies/p".into();
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"no"}}"#;
        let e = from_answer_in(super::super::Dialect::Arm, r.clone(), 403, body, 1);
        assert_eq!(e.code(), Some("AuthorizationFailed"));
        assert_eq!(e.status(), Some(403));
        let text = e.to_string();
        assert!(
            text.contains("Microsoft.Authorization/roleManagementPolicies/write at this scope"),
            "{text}"
        );
        r.method = "GET".into();
        r.path =
            "/subscriptions/s/providers/Microsoft.Authorization/roleEligibilitySchedules".into();
        assert_eq!(
            arm_action_for(&r.method, &r.path),
            "Microsoft.Authorization/roleEligibilitySchedules/read"
        );
        let e = from_answer_in(super::super::Dialect::Arm, r, 401, b"", 1);
        assert!(e.to_string().contains("--arm-url"), "{e}");
    }

    #[test]
    fn error_answers_are_read_whatever_their_body() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"request-id":"r9"}}}"#;
        let e = from_answer(req(), 403, body, 1);
        let text = e.to_string();
        assert!(text.contains("request-id r9"), "{text}");
        assert!(text.contains("User.Read.All"), "{text}");
        assert!(
            text.contains("RoleManagementPolicy.ReadWrite.Directory"),
            "{text}"
        );
        for body in [&b""[..], b"<html>", b"{\"error\":42}", b"\xff\xfe"] {
            let e = from_answer(req(), 500, body, 3);
            assert_eq!(e.status(), Some(500));
            assert!(e.to_string().contains("gave up after 3 attempts"));
        }
        assert!(matches!(
            from_answer(req(), 429, b"", 6),
            ClientError::Throttled { attempts: 6, .. }
        ));
        assert_eq!(clip("abcdef", 3), "abc…");
    }
}
