//! Digests: of the desired state (a plan records what it was built from) and of every live object a plan would
//! touch (apply refuses a plan whose objects changed since).

use crate::graph::PolicyRule;
use crate::model::{AssignmentKind, LiveAssignment, LiveState, RoleKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

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

/// The object name of a policy rule.
pub fn rule_object(policy_id: &str, rule_id: &str) -> String {
    format!("policy/{policy_id}/rules/{rule_id}")
}

/// The fingerprint of a rule as read.
pub fn rule(rule: &PolicyRule) -> String {
    of(rule)
}

/// The object name of an assignment, by natural key.
pub fn assignment_object(
    role: &RoleKey,
    scope: &str,
    principal_id: &str,
    kind: AssignmentKind,
) -> String {
    let principal = principal_id.to_lowercase();
    match scope.trim_matches('/') {
        "" => format!("{kind}/{role}/{principal}"),
        scope => format!("{kind}/{role}/{scope}/{principal}"),
    }
}

/// The fingerprint of an assignment schedule as read: its id and its dates.
pub fn assignment(a: &LiveAssignment) -> String {
    of(&(&a.schedule_id, a.start, a.end))
}

/// The fingerprint an object named by [`rule_object`] or [`assignment_object`] has in `live` now ([`ABSENT`] when
/// it does not exist): apply compares it with the one a saved plan recorded.
pub fn current(live: &LiveState, object: &str) -> String {
    if let Some(rest) = object.strip_prefix("policy/")
        && let Some((policy_id, rule_id)) = rest.split_once("/rules/")
    {
        return live
            .policies
            .values()
            .find(|p| p.id.eq_ignore_ascii_case(policy_id))
            .and_then(|p| p.rules.iter().find(|r| r.id() == rule_id))
            .map_or_else(|| ABSENT.to_string(), rule);
    }
    live.assignments
        .iter()
        .find(|a| assignment_object(&a.role, &a.scope, &a.principal_id, a.kind) == object)
        .map_or_else(|| ABSENT.to_string(), assignment)
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
        assert_eq!(
            assignment_object(&RoleKey("r".into()), "/", "ABC", AssignmentKind::Eligible),
            "eligible/r/abc"
        );
    }
}
