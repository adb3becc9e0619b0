//! Digests: of the desired state (a plan records what it was built from) and of every live object a plan would
//! touch (apply refuses a plan whose objects changed since).

use crate::graph::PolicyRule;
use crate::model::{AssignmentKind, LiveAssignment, LiveState, RoleKey, RuleId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// The fingerprint of an object that does not exist.
pub const ABSENT: &str = "absent";

/// `sha256:<hex>` of the JSON form of `value`. Every type digested here serializes to JSON (tests check the
/// desired state and the wire types); should one ever fail, the digest says so rather than colliding.
pub fn of<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_vec(value) {
        Ok(bytes) => format!("sha256:{:x}", Sha256::digest(&bytes)),
        Err(e) => format!("unserializable:{e}"),
    }
}

/// The digest of a declaration's meaning: the state without where it was written (the files read and every
/// `origin`). The same policies give the same digest whether they were read as `policies`, `./policies/` or an
/// absolute path, and whatever their comments and layout; any change to what they declare changes it. Streamed
/// into the hash: a declaration of 100,000 assignments is never held as JSON.
pub fn desired(state: &crate::model::DesiredState) -> String {
    use crate::model::Origin;
    let blank = || Origin {
        file: Default::default(),
        path: String::new(),
        line: 0,
        column: 0,
    };
    let mut s = state.clone();
    s.files.clear();
    s.protected.iter_mut().for_each(|p| p.origin = blank());
    for r in s.roles.values_mut() {
        r.origin = blank();
        for list in [&mut r.eligible, &mut r.active].into_iter().flatten() {
            list.iter_mut().for_each(|a| a.origin = blank());
        }
        if let Some(review) = &mut r.access_review {
            review.origin = blank();
        }
    }
    let lint = &mut s.lint;
    for w in lint.disable.iter_mut().chain(lint.exceptions.iter_mut()) {
        w.origin = blank();
    }
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hashing(Sha256::new());
    match serde_json::to_writer(&mut h, &s) {
        Ok(()) => format!("sha256:{:x}", h.0.finalize()),
        Err(e) => format!("unserializable:{e}"),
    }
}

/// A live object a plan reads and may write, by what it is (never by a name built and parsed back): a rule of a
/// policy, or an assignment by its natural key. Ids are held in a canonical form (principal and role lower-cased,
/// the tenant scope as `/`), so two names of one object compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectId {
    Rule {
        policy_id: String,
        rule: RuleId,
    },
    Assignment {
        role: RoleKey,
        scope: String,
        /// The principal's object id, lower-cased.
        principal: String,
        kind: AssignmentKind,
    },
}

impl ObjectId {
    /// A rule of a policy.
    pub fn rule(policy_id: &str, rule: RuleId) -> ObjectId {
        ObjectId::Rule {
            policy_id: policy_id.to_string(),
            rule,
        }
    }

    /// An assignment, by natural key.
    pub fn assignment(
        role: &RoleKey,
        scope: &str,
        principal_id: &str,
        kind: AssignmentKind,
    ) -> ObjectId {
        let scope = match scope.trim_matches('/') {
            "" => crate::model::TENANT_SCOPE.to_string(),
            s => s.to_string(),
        };
        ObjectId::Assignment {
            role: RoleKey(role.0.to_lowercase()),
            scope,
            principal: principal_id.to_lowercase(),
            kind,
        }
    }

    /// The object a live assignment schedule is.
    pub fn of_assignment(a: &LiveAssignment) -> ObjectId {
        ObjectId::assignment(&a.role, &a.scope, &a.principal_id, a.kind)
    }

    /// Reads an object's name (as [`fmt::Display`] writes it): only when a saved plan is loaded.
    pub fn parse(s: &str) -> Option<ObjectId> {
        if let Some(rest) = s.strip_prefix("policy/") {
            let (policy_id, rule) = rest.split_once("/rules/")?;
            return Some(ObjectId::rule(policy_id, RuleId::parse(rule)?));
        }
        let (kind, rest) = s.split_once('/')?;
        let kind = [AssignmentKind::Eligible, AssignmentKind::Active]
            .into_iter()
            .find(|k| k.as_str() == kind)?;
        let (role, rest) = rest.split_once('/')?;
        let (scope, principal) = match rest.rsplit_once('/') {
            Some((scope, principal)) => (scope, principal),
            None => ("/", rest),
        };
        (!role.is_empty() && !principal.is_empty())
            .then(|| ObjectId::assignment(&RoleKey(role.to_string()), scope, principal, kind))
    }
}

/// The object's name in a saved plan: `policy/{policyId}/rules/{ruleId}`, or `{kind}/{roleId}/{principalId}` (with
/// `/{scope}` before the principal when the scope is not the tenant).
impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectId::Rule { policy_id, rule } => write!(f, "policy/{policy_id}/rules/{rule}"),
            ObjectId::Assignment {
                role,
                scope,
                principal,
                kind,
            } => match scope.trim_matches('/') {
                "" => write!(f, "{kind}/{role}/{principal}"),
                scope => write!(f, "{kind}/{role}/{scope}/{principal}"),
            },
        }
    }
}

/// The fingerprints of a plan as saved: an object keyed by object name, in name order.
pub mod by_name {
    use super::ObjectId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<ObjectId, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        Sorted(map).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<ObjectId, String>, D::Error> {
        let named = BTreeMap::<String, String>::deserialize(d)?;
        named
            .into_iter()
            .map(|(name, digest)| {
                ObjectId::parse(&name)
                    .map(|id| (id, digest))
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!("not an object name: `{name}`"))
                    })
            })
            .collect()
    }

    /// The map, serialized in name order (what the plan's id digests).
    pub struct Sorted<'a>(pub &'a BTreeMap<ObjectId, String>);

    impl Serialize for Sorted<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut named: Vec<(String, &String)> =
                self.0.iter().map(|(k, v)| (k.to_string(), v)).collect();
            named.sort();
            s.collect_map(named)
        }
    }
}

/// The fingerprint of a rule as read.
pub fn rule(rule: &PolicyRule) -> String {
    of(rule)
}

/// The fingerprint of an assignment schedule as read: its id and its dates.
pub fn assignment(a: &LiveAssignment) -> String {
    of(&(&a.schedule_id, a.start, a.end))
}

/// The objects of a tenant as read, to look up the fingerprint each has now: built once, then one lookup per object
/// a saved plan recorded (not a pass over the tenant per object).
pub struct Current<'a> {
    /// Policies by lower-cased policy id.
    policies: HashMap<String, &'a crate::model::LivePolicy>,
    assignments: HashMap<ObjectId, &'a LiveAssignment>,
}

impl<'a> Current<'a> {
    pub fn of(live: &'a LiveState) -> Self {
        Current {
            policies: live
                .policies
                .values()
                .map(|p| (p.id.to_lowercase(), p))
                .collect(),
            assignments: live
                .assignments
                .iter()
                .map(|a| (ObjectId::of_assignment(a), a))
                .collect(),
        }
    }

    /// The fingerprint the object has now ([`ABSENT`] when it does not exist).
    pub fn get(&self, object: &ObjectId) -> String {
        match object {
            ObjectId::Rule { policy_id, rule: r } => self
                .policies
                .get(&policy_id.to_lowercase())
                .and_then(|p| p.rules.iter().find(|x| x.id() == r.as_str()))
                .map_or_else(|| ABSENT.to_string(), rule),
            ObjectId::Assignment { .. } => self
                .assignments
                .get(object)
                .map_or_else(|| ABSENT.to_string(), |a| assignment(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_named() {
        assert_eq!(
            of(&serde_json::json!({"a": 1})),
            "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
        );
        let id = ObjectId::assignment(&RoleKey("R".into()), "/", "ABC", AssignmentKind::Eligible);
        assert_eq!(id.to_string(), "eligible/r/abc");
        assert_eq!(ObjectId::parse("eligible/r/abc"), Some(id));
        let scoped = ObjectId::assignment(
            &RoleKey("r".into()),
            "/administrativeUnits/au1",
            "p",
            AssignmentKind::Active,
        );
        assert_eq!(scoped.to_string(), "active/r/administrativeUnits/au1/p");
        assert_eq!(ObjectId::parse(&scoped.to_string()), Some(scoped));
        let rule = ObjectId::rule("Directory_X", RuleId::ApprovalEndUserAssignment);
        assert_eq!(
            rule.to_string(),
            "policy/Directory_X/rules/Approval_EndUser_Assignment"
        );
        assert_eq!(ObjectId::parse(&rule.to_string()), Some(rule));
        for bad in [
            "policy/x/rules/Nope",
            "owner/r/p",
            "eligible/r",
            "eligible//p",
        ] {
            assert_eq!(ObjectId::parse(bad), None, "{bad}");
        }
    }
}
