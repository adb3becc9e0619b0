//! Reading a JSON object polymorphic on one of its fields, in one pass: Graph's policy rules and directory objects
//! on `@odata.type`, ARM's policy rules on `ruleType`.
//!
//! The object is read field by field. The fields before the one that names its kind are kept (as
//! `serde_json::Value`s: any deserializer gives them); once the kind is known, the object of that kind is read from
//! those fields and then straight from the rest of the input, which is not kept. Graph writes `@odata.type` first, so
//! nothing is kept; ARM writes `ruleType` after a rule's settings, so only those are. Fields the kind does not have
//! are skipped, as by any derived `Deserialize`, whatever they hold.

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use std::marker::PhantomData;

/// An object polymorphic on its field [`Polymorphic::TAG`].
pub(crate) trait Polymorphic: Sized {
    /// The field that names the object's kind.
    const TAG: &'static str;
    type Kind;
    /// The kind that the tag's value names (`None` when the object has no such field), or why it names none.
    fn kind_of(tag: Option<&serde_json::Value>) -> Result<Self::Kind, String>;
    /// Reads the object of `kind` (its tag already read) from `d`.
    fn of_kind<'de, D: Deserializer<'de>>(kind: Self::Kind, d: D) -> Result<Self, D::Error>;
}

/// Reads a [`Polymorphic`] object from `d` in one pass.
pub(crate) fn deserialize<'de, T: Polymorphic, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(ObjectVisitor::<T>(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Polymorphic> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        use de::Error;
        let mut before = vec![];
        let mut tag = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == T::TAG {
                tag = Some(map.next_value::<serde_json::Value>()?);
                break;
            }
            before.push((key, map.next_value::<serde_json::Value>()?));
        }
        // Without its tag, the whole object has been read (and kept) by now.
        let kind = T::kind_of(tag.as_ref()).map_err(A::Error::custom)?;
        let rest = Replay {
            before: before.into_iter(),
            value: None,
            rest: map,
        };
        T::of_kind(kind, rest)
    }
}

/// The object's fields once its kind is known: those read before its tag, then the rest of the input.
struct Replay<A> {
    before: std::vec::IntoIter<(String, serde_json::Value)>,
    /// The value of the kept field whose key was just given.
    value: Option<serde_json::Value>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Replay<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.before.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key.into_deserializer()).map(Some)
            }
            None => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value).map_err(de::Error::custom),
            None => self.rest.next_value_seed(seed),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::PolicyRule;
    use crate::graph::arm::ArmPolicyRule;
    use crate::model::RuleKind;

    const TARGET: &str = r#""target":{"caller":"EndUser","operations":["All"],"level":"Assignment","inheritableSettings":[],"enforcedSettings":[]}"#;

    /// A rule reads the same whether its tag comes first (Graph), after its settings (ARM) or last, from text or
    /// from a tree; fields of another kind are skipped whatever they hold, as before.
    #[test]
    fn a_rule_reads_the_same_wherever_its_tag_is() {
        let tag = r##""@odata.type":"#microsoft.graph.unifiedRoleManagementPolicyExpirationRule""##;
        let settings = r#""id":"Expiration_EndUser_Assignment","isExpirationRequired":true,"maximumDuration":"PT2H","setting":7"#;
        let first: PolicyRule =
            serde_json::from_str(&format!("{{{tag},{settings},{TARGET}}}")).unwrap();
        let middle: PolicyRule =
            serde_json::from_str(&format!("{{{settings},{tag},{TARGET}}}")).unwrap();
        let last: PolicyRule =
            serde_json::from_str(&format!("{{{settings},{TARGET},{tag}}}")).unwrap();
        let tree: serde_json::Value =
            serde_json::from_str(&format!("{{{settings},{tag},{TARGET}}}")).unwrap();
        let from_tree: PolicyRule = serde_json::from_value(tree).unwrap();
        assert_eq!(first.kind(), RuleKind::Expiration);
        assert_eq!(first, middle);
        assert_eq!(first, last);
        assert_eq!(first, from_tree);
        assert!(first.target().is_some());

        let arm = |rule_type: &str| {
            format!(
                r#"{{"enabledRules":["MultiFactorAuthentication"],"isExpirationRequired":"not a bool","id":"Enablement_EndUser_Assignment","ruleType":"{rule_type}",{TARGET}}}"#
            )
        };
        let r: ArmPolicyRule =
            serde_json::from_str(&arm("RoleManagementPolicyEnablementRule")).unwrap();
        assert_eq!(r.kind(), RuleKind::Enablement);
        assert_eq!(r.id(), "Enablement_EndUser_Assignment");
        assert!(r.target().is_some());
    }

    /// A rule without its tag, with a null or unknown one, or of a kind whose fields it does not hold, is an error
    /// that says why, never a panic.
    #[test]
    fn a_rule_with_no_known_tag_is_an_error_that_says_why() {
        let err = |text: &str| {
            serde_json::from_str::<PolicyRule>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"id":"x"}"#).contains("needs its derived `@odata.type`"));
        assert!(err(r#"{"id":"x","@odata.type":null}"#).contains("needs its derived"));
        assert!(err(r#"{"@odata.type":5,"id":"x"}"#).contains("must be a string"));
        assert!(
            err(r##"{"@odata.type":"#microsoft.graph.unifiedRoleManagementPolicyFutureRule","id":"x"}"##)
                .contains("`unifiedRoleManagementPolicyFutureRule` is not a unifiedRoleManagementPolicyRule type")
        );
        assert!(
            err(r##"{"@odata.type":"#microsoft.graph.unifiedRoleManagementPolicyExpirationRule","maximumDuration":"P1Y","id":"x"}"##)
                .contains("P1Y")
        );
        assert!(err(r#""a string""#).contains("a JSON object"));
        let arm = |text: &str| {
            serde_json::from_str::<ArmPolicyRule>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(arm(r#"{"id":"x"}"#).contains("needs its `ruleType`"));
        assert!(
            arm(r#"{"id":"x","ruleType":"RoleManagementPolicyFutureRule"}"#).contains(
                "`RoleManagementPolicyFutureRule` is not a role management policy rule type"
            )
        );
        assert!(
            arm(r#"{"ruleType":"RoleManagementPolicyExpirationRule"}"#)
                .contains("missing field `id`")
        );
    }
}
