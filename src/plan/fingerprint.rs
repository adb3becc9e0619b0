//! Digests: of the desired state (a plan records what it was built from) and of every live object a plan would
//! touch (apply refuses a plan whose objects changed since).

use crate::graph::PolicyRule;
use crate::model::{AssignmentKind, LiveAssignment, LiveState, RuleId, TargetKey};
use serde::{Deserialize, Serialize};
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
    // Every origin and the files serialized blank: the digest of a copy with its origins blanked, without the copy.
    match crate::model::without_origins(|| serde_json::to_writer(&mut h, state)) {
        Ok(()) => format!("sha256:{:x}", h.0.finalize()),
        Err(e) => format!("unserializable:{e}"),
    }
}

/// A live object a plan reads and may write, by what it is (never by a name built and parsed back, never by a
/// policy or schedule id): a rule of a target's policy, or an assignment of a principal to a target. The principal
/// id is held lower-cased, so two spellings of one object compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectId {
    Rule {
        target: TargetKey,
        rule: RuleId,
    },
    Assignment {
        target: TargetKey,
        /// The principal's object id, lower-cased.
        principal: String,
        kind: AssignmentKind,
    },
    /// The access review definitions of a target (all of them: one is managed, `access_review: none` removes all).
    Review {
        target: TargetKey,
    },
    /// The scopes a declared target's fan-out (`below:`) reaches below its scope, as listed: what the declaration
    /// meant when the plan was made. Written by no operation; a scope created or deleted since makes the plan stale.
    ScopesBelow {
        target: TargetKey,
        below: crate::model::fanout::Below,
    },
}

impl ObjectId {
    /// An assignment, by natural key.
    pub fn assignment(target: &TargetKey, principal_id: &str, kind: AssignmentKind) -> ObjectId {
        ObjectId::Assignment {
            target: target.clone(),
            principal: principal_id.to_lowercase(),
            kind,
        }
    }

    /// The object a live assignment schedule is.
    pub fn of_assignment(a: &LiveAssignment) -> ObjectId {
        ObjectId::assignment(&a.target, &a.principal_id, a.kind)
    }

    /// The target the object belongs to.
    pub fn target(&self) -> &TargetKey {
        match self {
            ObjectId::Rule { target, .. }
            | ObjectId::Assignment { target, .. }
            | ObjectId::Review { target }
            | ObjectId::ScopesBelow { target, .. } => target,
        }
    }
}

/// For messages: `rule Approval_EndUser_Assignment of 62e90394-…`, `active assignment of 5e25…`.
impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectId::Rule { target, rule } => write!(f, "rule {rule} of {target}"),
            ObjectId::Assignment {
                target,
                principal,
                kind,
            } => write!(f, "{kind} assignment of {principal} to {target}"),
            ObjectId::Review { target } => write!(f, "access review of {target}"),
            ObjectId::ScopesBelow { target, below } => write!(
                f,
                "the scopes below {} that `below: {}` of {target} reaches",
                target.scope,
                below.as_str()
            ),
        }
    }
}

/// The fingerprints of a plan as saved: a list of `{object, digest}` in object order (JSON objects need string
/// keys, and object ids are not strings).
pub mod entries {
    use super::ObjectId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    struct Entry<O, D> {
        object: O,
        digest: D,
    }

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<ObjectId, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(object, digest)| Entry { object, digest }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<ObjectId, String>, D::Error> {
        let list = Vec::<Entry<ObjectId, String>>::deserialize(d)?;
        let n = list.len();
        let map: BTreeMap<ObjectId, String> =
            list.into_iter().map(|e| (e.object, e.digest)).collect();
        if map.len() != n {
            return Err(serde::de::Error::custom("an object is fingerprinted twice"));
        }
        Ok(map)
    }
}

/// The fingerprint of a rule as read, with the id of the policy that holds it (a policy replaced under the same
/// target is a changed object).
pub fn rule(policy_id: &str, rule: &PolicyRule) -> String {
    of(&(policy_id, rule))
}

/// The fingerprint of an assignment schedule as read: its id and its dates, and its ABAC condition when it holds
/// one (a condition changed since the plan makes the plan stale).
pub fn assignment(a: &LiveAssignment) -> String {
    match &a.condition {
        None => of(&(&a.schedule_id, a.start, a.end)),
        Some(c) => of(&(&a.schedule_id, a.start, a.end, c)),
    }
}

/// The fingerprint of a target's review definitions as read: each one's id and what it is, without what changes
/// on its own (its status, its last change). [`ABSENT`] when there is none.
pub fn review(reviews: &[&crate::model::LiveReview]) -> String {
    if reviews.is_empty() {
        return ABSENT.to_string();
    }
    let stable: Vec<_> = reviews
        .iter()
        .map(|r| {
            let mut d = r.definition.clone();
            d.status = crate::graph::review::Nullable::Absent;
            d.last_modified_date_time = crate::graph::review::Nullable::Absent;
            (&r.id, d)
        })
        .collect();
    of(&stable)
}

/// The fingerprint of what a fan-out reaches: the sorted keys of the scopes of its kind listed below `scope` (a
/// key). An empty list when nothing was listed.
pub fn scopes_below(live: &LiveState, scope: &str, below: crate::model::fanout::Below) -> String {
    of(&crate::model::fanout::scopes_below(
        &live.azure_below,
        scope,
        below,
    ))
}

/// What a review fingerprint is when the reviews were not read (a plan that writes reviews, applied with a read
/// that skipped them): never the planned digest, so the plan is refused as stale rather than trusted.
pub const UNREAD: &str = "unread";

/// The objects of a tenant as read, to look up the fingerprint each has now: built once, then one lookup per object
/// a saved plan recorded (not a pass over the tenant per object).
pub struct Current<'a> {
    live: &'a LiveState,
    assignments: HashMap<ObjectId, &'a LiveAssignment>,
}

impl<'a> Current<'a> {
    pub fn of(live: &'a LiveState) -> Self {
        Current {
            live,
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
            ObjectId::Rule { target, rule: r } => self
                .live
                .policies
                .get(target)
                .and_then(|p| {
                    let read = p.rules.iter().find(|x| x.id() == r.as_str())?;
                    Some(rule(&p.id, read))
                })
                .unwrap_or_else(|| ABSENT.to_string()),
            ObjectId::Assignment { .. } => self
                .assignments
                .get(object)
                .map_or_else(|| ABSENT.to_string(), |a| assignment(a)),
            ObjectId::ScopesBelow { target, below } => {
                scopes_below(self.live, &target.scope, *below)
            }
            ObjectId::Review { .. } if !self.live.reviews_read => UNREAD.to_string(),
            ObjectId::Review { target } => review(
                &self
                    .live
                    .reviews
                    .iter()
                    .filter(|r| &r.target == target)
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleKey;

    #[test]
    fn a_declaration_of_targets_has_a_digest() {
        let text =
            "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    eligible: []\n";
        let loaded = crate::language::load_str("t.yaml", text, &Default::default());
        assert_eq!(loaded.state.targets.len(), 1);
        let digest = desired(&loaded.state);
        assert!(digest.starts_with("sha256:"), "{digest}");
        let mut other = loaded.state.clone();
        other.targets.values_mut().for_each(|t| t.eligible = None);
        assert_ne!(desired(&other), digest);
    }

    /// The digest is that of a copy of the declaration with every origin blanked and no files (how it was computed
    /// before the origins were blanked as they are serialized): the same bytes, so saved plans stay valid.
    #[test]
    fn the_digest_is_that_of_a_copy_with_its_origins_blanked() {
        use crate::model::Origin;
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
            .unwrap()
            .to_utc();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso");
        let loaded = crate::language::load(&dir, &crate::language::LoadOptions { now });
        let state = loaded.state;
        assert!(!state.targets.is_empty() && !state.files.is_empty());
        assert!(!state.lint.is_empty() && !state.protected.is_empty());
        let blank = || Origin {
            file: Default::default(),
            path: String::new(),
            line: 0,
            column: 0,
        };
        let mut s = state.clone();
        s.files.clear();
        s.protected.iter_mut().for_each(|p| p.origin = blank());
        for r in s.targets.values_mut() {
            r.origin = blank();
            for list in [&mut r.eligible, &mut r.active].into_iter().flatten() {
                list.iter_mut().for_each(|a| a.origin = blank());
            }
            if let Some(review) = &mut r.access_review {
                review.origin = blank();
            }
            if let Some(none) = &mut r.no_access_review {
                *none = blank();
            }
        }
        s.fan_outs.values_mut().for_each(|f| f.origin = blank());
        let lint = &mut s.lint;
        for w in lint.disable.iter_mut().chain(lint.exceptions.iter_mut()) {
            w.origin = blank();
        }
        assert!(s.targets.values().any(|t| t.access_review.is_some()));
        assert_eq!(desired(&state), of(&s));
        // Outside the digest, origins and files serialize as they are.
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(
            json["files"].as_array().map(Vec::len),
            Some(state.files.len())
        );
        let first = state.protected[0].origin.clone();
        assert_eq!(
            serde_json::to_value(&first).unwrap(),
            serde_json::json!({
                "file": first.file.to_str().unwrap(),
                "path": first.path,
                "line": first.line,
                "column": first.column,
            })
        );
    }

    #[test]
    fn digests_are_stable_and_named() {
        assert_eq!(
            of(&serde_json::json!({"a": 1})),
            "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
        );
        let target = TargetKey::directory_role(RoleKey("r".into()));
        let id = ObjectId::assignment(&target, "ABC", AssignmentKind::Eligible);
        assert_eq!(
            id,
            ObjectId::assignment(&target, "abc", AssignmentKind::Eligible)
        );
        let saved = serde_json::to_value(&id).unwrap();
        assert_eq!(
            saved,
            serde_json::json!({
                "type": "assignment",
                "target": {"surface": "directory_role", "scope": "/", "role": "r"},
                "principal": "abc",
                "kind": "eligible"
            })
        );
        assert_eq!(serde_json::from_value::<ObjectId>(saved).unwrap(), id);
    }
}
