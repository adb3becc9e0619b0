//! A serde `Deserializer` over the positioned YAML tree that *collects* problems instead of stopping at the first.
//!
//! - Unknown keys are reported (with "did you mean") and skipped, using the field list serde passes to
//!   `deserialize_struct`; decoding goes on.
//! - A value of the wrong type is reported where it stands. The error then travels up to the nearest [`Sp`] wrapper,
//!   which records the value as invalid (`None`) so that its siblings are still decoded and checked.
//! - Every map entry and list item records its YAML path and position, so later checks can point at the source.
//!
//! The raw document types derive `Deserialize` and `JsonSchema` together, so the schema that `pimctl schema` prints
//! is generated from the very types this deserializer fills.

use super::diagnostic::{Code, MAX_DIAGNOSTICS, Severity};
use super::yaml::{Mark, Node, Value};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// A problem found while decoding, before it becomes a [`super::diagnostic::Diagnostic`].
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    pub path: String,
    pub mark: Mark,
    pub help: Option<String>,
}

/// Shared decoding state for one file.
#[derive(Default)]
pub struct Ctx {
    /// The first [`MAX_DIAGNOSTICS`] problems; the rest are counted in `omitted`.
    pub problems: RefCell<Vec<Problem>>,
    /// Problems found past the bound, by severity (errors, warnings).
    pub omitted: std::cell::Cell<(usize, usize)>,
    /// The position of every map entry (its key) and list item, by YAML path.
    pub marks: RefCell<HashMap<String, Mark>>,
}

impl Ctx {
    pub fn report(
        &self,
        code: Code,
        message: impl Into<String>,
        path: &str,
        mark: Mark,
        help: Option<String>,
    ) {
        let mut problems = self.problems.borrow_mut();
        if problems.len() >= MAX_DIAGNOSTICS {
            let (e, w) = self.omitted.get();
            self.omitted.set(match code.severity() {
                Severity::Error => (e + 1, w),
                Severity::Warning => (e, w + 1),
            });
            return;
        }
        problems.push(Problem {
            code,
            message: message.into(),
            path: path.to_string(),
            mark,
            help,
        });
    }
    pub fn mark(&self, path: &str) -> Option<Mark> {
        self.marks.borrow().get(path).copied()
    }
}

/// Decodes `T` from `node`, collecting problems into `ctx`. `None` when the value was invalid (already reported).
pub fn decode<'de, T: Deserialize<'de>>(node: &Node, path: &str, ctx: &Ctx) -> Option<T> {
    T::deserialize(NodeDe {
        node,
        path: path.to_string(),
        ctx,
    })
    .ok()
}

/// The decoding error. Problems are reported into [`Ctx`] where they arise; by the time an error leaves a
/// deserializer method it is `Reported`.
#[derive(Debug)]
pub enum DeError {
    Reported,
    Missing(&'static str),
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Reported => f.write_str("invalid value (reported)"),
            DeError::Missing(k) => write!(f, "missing key `{k}`"),
            DeError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        DeError::Custom(msg.to_string())
    }
    fn missing_field(field: &'static str) -> Self {
        DeError::Missing(field)
    }
}

/// Appends a key to a YAML path: bare when it is an identifier, quoted otherwise.
pub fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    let seg = if bare {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    };
    if path.is_empty() {
        seg
    } else {
        format!("{path}.{seg}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    ctx: &'a Ctx,
}

impl<'a> NodeDe<'a> {
    fn report(&self, code: Code, message: impl Into<String>, help: Option<String>) -> DeError {
        self.ctx
            .report(code, message, &self.path, self.node.mark, help);
        DeError::Reported
    }

    fn expected(&self, what: &str) -> DeError {
        let help = match (&self.node.value, what) {
            (Value::Null, "a list") => Some("write `[]` for an empty list".to_string()),
            (Value::Null, _) => Some("give the key a value, or remove it".to_string()),
            (Value::Scalar { .. }, "a list") => {
                Some("write a list, e.g. `[a, b]` or one `- item` per line".to_string())
            }
            _ => None,
        };
        let code = if matches!(self.node.value, Value::Null) {
            Code::EmptyValue
        } else {
            Code::WrongType
        };
        let message = if matches!(self.node.value, Value::Null) {
            format!("expected {what}, found no value")
        } else {
            format!("expected {what}, found {}", self.node.describe())
        };
        self.report(code, message, help)
    }

    /// Reports an error coming back from a visitor, at this node.
    fn settle<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| match e {
            DeError::Reported => DeError::Reported,
            DeError::Missing(k) => self.report(
                Code::MissingKey,
                format!("missing required key `{k}`"),
                Some(format!("add `{k}:` here")),
            ),
            DeError::Custom(m) => self.report(Code::WrongType, m, None),
        })
    }

    fn scalar(&self) -> Option<(&'a str, bool)> {
        match &self.node.value {
            Value::Scalar { text, plain } => Some((text.as_str(), *plain)),
            _ => None,
        }
    }

    fn integer(&self) -> Result<i128, DeError> {
        match self.scalar() {
            Some((t, true)) => t
                .replace('_', "")
                .parse::<i128>()
                .map_err(|_| self.expected("a whole number")),
            _ => Err(self.expected("a whole number")),
        }
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

macro_rules! int_method {
    ($method:ident, $ty:ty, $visit:ident) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let n = self.integer()?;
            let v = <$ty>::try_from(n).map_err(|_| {
                self.report(
                    Code::OutOfRange,
                    format!("{} is out of range", n),
                    Some(format!(
                        "use a number from {} to {}",
                        <$ty>::MIN,
                        <$ty>::MAX
                    )),
                )
            })?;
            let r = visitor.$visit(v);
            self.settle(r)
        }
    };
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Invalid => return Err(DeError::Reported),
            Value::Scalar { text, plain: true } => {
                if let Some(b) = parse_bool(text) {
                    visitor.visit_bool(b)
                } else if let Ok(i) = text.parse::<i64>() {
                    visitor.visit_i64(i)
                } else if let Ok(f) = text.parse::<f64>() {
                    visitor.visit_f64(f)
                } else {
                    visitor.visit_str(text)
                }
            }
            Value::Scalar { text, plain: false } => visitor.visit_str(text),
            Value::Seq(items) => visitor.visit_seq(SeqAcc::new(&self, items)),
            Value::Map(entries) => visitor.visit_map(MapAcc::new(&self, entries, None)),
        };
        self.settle(r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((t, true)) => match parse_bool(t) {
                Some(b) => {
                    let r = visitor.visit_bool(b);
                    self.settle(r)
                }
                None => Err(self.expected("`true` or `false`")),
            },
            _ => Err(self.expected("`true` or `false`")),
        }
    }

    int_method!(deserialize_i8, i8, visit_i8);
    int_method!(deserialize_i16, i16, visit_i16);
    int_method!(deserialize_i32, i32, visit_i32);
    int_method!(deserialize_i64, i64, visit_i64);
    int_method!(deserialize_u8, u8, visit_u8);
    int_method!(deserialize_u16, u16, visit_u16);
    int_method!(deserialize_u32, u32, visit_u32);
    int_method!(deserialize_u64, u64, visit_u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self
            .scalar()
            .and_then(|(t, plain)| plain.then(|| t.parse::<f64>().ok()).flatten())
        {
            Some(f) => {
                let r = visitor.visit_f64(f);
                self.settle(r)
            }
            None => Err(self.expected("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((t, _)) => {
                let r = visitor.visit_str(t);
                self.settle(r)
            }
            None => Err(self.expected("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(self.expected("a string"))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(self.expected("a string"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if matches!(self.node.value, Value::Null) {
            let r = visitor.visit_none();
            self.settle(r)
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if matches!(self.node.value, Value::Null) {
            let r = visitor.visit_unit();
            self.settle(r)
        } else {
            Err(self.expected("no value"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(items) => {
                let r = visitor.visit_seq(SeqAcc::new(&self, items));
                self.settle(r)
            }
            _ => Err(self.expected("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(entries) => {
                let r = visitor.visit_map(MapAcc::new(&self, entries, None));
                self.settle(r)
            }
            _ => Err(self.expected("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED_NAME {
            return visitor.visit_map(SpannedAcc {
                de: Some(self),
                step: 0,
            });
        }
        match &self.node.value {
            Value::Map(entries) => {
                let r = visitor.visit_map(MapAcc::new(&self, entries, Some(fields)));
                self.settle(r)
            }
            // A mapping that may also be written as the word `none` (`access_review: none`).
            Value::Scalar { text, .. } if name == OR_NONE_NAME && text == "none" => {
                let r = visitor.visit_str(text);
                self.settle(r)
            }
            _ if name == OR_NONE_NAME => Err(self.expected("a mapping or `none`")),
            _ => Err(self.expected("a mapping")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((t, _)) if variants.contains(&t) => {
                let r = visitor.visit_enum(t.into_deserializer());
                self.settle(r)
            }
            Some((t, _)) => {
                let help = match crate::suggest::closest(t, variants.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of: {}", list(variants)),
                };
                Err(self.report(
                    Code::InvalidValue,
                    format!("`{t}` is not one of the allowed values"),
                    Some(help),
                ))
            }
            None => Err(self.expected(&format!("one of: {}", list(variants)))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct SeqAcc<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    len: usize,
    path: String,
    ctx: &'a Ctx,
}

impl<'a> SeqAcc<'a> {
    fn new(de: &NodeDe<'a>, items: &'a [Node]) -> Self {
        Self {
            items: items.iter().enumerate(),
            len: items.len(),
            path: de.path.clone(),
            ctx: de.ctx,
        }
    }
}

impl<'de, 'a> de::SeqAccess<'de> for SeqAcc<'a> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.by_ref().find(|(_, n)| n.value != Value::Invalid) else {
            return Ok(None);
        };
        let path = index(&self.path, i);
        self.ctx.marks.borrow_mut().insert(path.clone(), node.mark);
        seed.deserialize(NodeDe {
            node,
            path,
            ctx: self.ctx,
        })
        .map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

struct MapAcc<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    fields: Option<&'static [&'static str]>,
    path: String,
    ctx: &'a Ctx,
    pending: Option<(&'a Node, String)>,
}

impl<'a> MapAcc<'a> {
    fn new(
        de: &NodeDe<'a>,
        entries: &'a [(Node, Node)],
        fields: Option<&'static [&'static str]>,
    ) -> Self {
        Self {
            entries: entries.iter(),
            fields,
            path: de.path.clone(),
            ctx: de.ctx,
            pending: None,
        }
    }
}

impl<'de, 'a> de::MapAccess<'de> for MapAcc<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (k, v) in self.entries.by_ref() {
            // Aliases and merge keys were reported when the YAML was read.
            let merge_key = matches!(&k.value, Value::Scalar { text, plain: true } if text == "<<");
            if v.value == Value::Invalid || k.value == Value::Invalid || merge_key {
                continue;
            }
            let key_text = match &k.value {
                Value::Scalar { text, .. } => text.as_str(),
                _ => {
                    self.ctx.report(
                        Code::WrongType,
                        format!("expected a key, found {}", k.describe()),
                        &self.path,
                        k.mark,
                        Some("keys are plain names".into()),
                    );
                    continue;
                }
            };
            let path = join(&self.path, key_text);
            if let Some(fields) = self.fields
                && !fields.contains(&key_text)
            {
                let visible: Vec<&str> = fields
                    .iter()
                    .copied()
                    .filter(|f| !f.starts_with('$'))
                    .collect();
                let help = match crate::suggest::closest(key_text, visible.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of: {}", list(&visible)),
                };
                self.ctx.report(
                    Code::UnknownKey,
                    format!("unknown key `{key_text}`"),
                    &path,
                    k.mark,
                    Some(help),
                );
                continue;
            }
            if self.fields.is_some() && matches!(v.value, Value::Null) {
                // `required:` with nothing after it reads as "off" to a reviewer but would mean "unmanaged".
                self.ctx.report(
                    Code::EmptyValue,
                    format!("`{key_text}` has no value"),
                    &path,
                    k.mark,
                    Some(
                        "give it a value (`[]` for an empty list), or remove the key to leave the setting unmanaged"
                            .into(),
                    ),
                );
                continue;
            }
            self.ctx.marks.borrow_mut().insert(path.clone(), k.mark);
            self.pending = Some((v, path.clone()));
            let key = seed.deserialize(NodeDe {
                node: k,
                path,
                ctx: self.ctx,
            })?;
            return Ok(Some(key));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (node, path) = self
            .pending
            .take()
            .ok_or_else(|| DeError::Custom("value requested before key".into()))?;
        seed.deserialize(NodeDe {
            node,
            path,
            ctx: self.ctx,
        })
    }
}

const SPANNED_NAME: &str = "$__pimctl_Sp";

/// The struct name a `Deserialize` passes to read a mapping that may also be the scalar `none`.
pub const OR_NONE_NAME: &str = "$__pimctl_OrNone";
const SPANNED_FIELDS: &[&str] = &["$line", "$column", "$path", "$value"];

struct SpannedAcc<'a> {
    de: Option<NodeDe<'a>>,
    step: usize,
}

impl<'de, 'a> de::MapAccess<'de> for SpannedAcc<'a> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match SPANNED_FIELDS.get(self.step) {
            Some(f) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(f))
                .map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.step;
        self.step += 1;
        let de = self
            .de
            .as_ref()
            .ok_or_else(|| DeError::Custom("spanned value read twice".into()))?;
        match step {
            0 => seed.deserialize(de.node.mark.line.into_deserializer()),
            1 => seed.deserialize(de.node.mark.column.into_deserializer()),
            2 => seed.deserialize(de.path.clone().into_deserializer()),
            _ => {
                let de = self
                    .de
                    .take()
                    .ok_or_else(|| DeError::Custom("spanned value read twice".into()))?;
                seed.deserialize(de)
            }
        }
    }
}

/// A value with where it was written. `value` is `None` when the value was invalid; the problem has already been
/// reported, and checks that need the value skip it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: Option<T>,
    pub path: String,
    pub mark: Mark,
}

impl<T> Sp<T> {
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Sp<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Sp<T>, A::Error> {
                let mut sp = Sp {
                    value: None,
                    path: String::new(),
                    mark: Mark::default(),
                };
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "$line" => sp.mark.line = map.next_value()?,
                        "$column" => sp.mark.column = map.next_value()?,
                        "$path" => sp.path = map.next_value()?,
                        // The problem was reported where it arose; keep going with the value marked invalid.
                        _ => sp.value = map.next_value::<T>().ok(),
                    }
                }
                Ok(sp)
            }
        }
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, V(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A mapping whose keys are names chosen by the user (roles, templates), in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<T>(pub Vec<(Sp<String>, Sp<T>)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Sp<String>>()? {
                    let v = map.next_value::<Sp<T>>()?;
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <std::collections::BTreeMap<String, T>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::yaml;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: Option<Sp<u32>>,
        flag: Option<Sp<bool>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: Sp<String>,
        items: Option<Sp<Vec<Sp<Inner>>>>,
    }

    #[test]
    fn collects_every_problem_and_keeps_going() {
        let src = "name: x\nitems:\n  - n: 3\n    flg: true\n  - n: many\n    flag: yes\n  - n: 4\nextra: 1\n";
        let (node, p) = yaml::read(src);
        assert!(p.is_empty());
        let ctx = Ctx::default();
        let out: Outer = decode(&node.unwrap(), "", &ctx).unwrap();
        let problems = ctx.problems.borrow();
        let codes: Vec<_> = problems
            .iter()
            .map(|p| (p.code, p.path.as_str(), p.mark.line))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnknownKey, "items[0].flg", 4),
                (Code::WrongType, "items[1].n", 5),
                (Code::WrongType, "items[1].flag", 6),
                (Code::UnknownKey, "extra", 8),
            ]
        );
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `flag`?"));
        let items = out.items.unwrap().value.unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[1].value.as_ref().unwrap().n.as_ref().unwrap().value,
            None
        );
        assert_eq!(
            items[2].value.as_ref().unwrap().n.as_ref().unwrap().value,
            Some(4)
        );
        assert_eq!(items[2].mark.line, 7);
        assert_eq!(ctx.mark("items[2]").unwrap().line, 7);
    }

    #[test]
    fn missing_required_key_is_reported_at_the_mapping() {
        let (node, _) = yaml::read("items: []\n");
        let ctx = Ctx::default();
        let out: Option<Outer> = decode(&node.unwrap(), "", &ctx);
        assert!(out.is_none());
        let p = ctx.problems.borrow();
        assert_eq!(p[0].code, Code::MissingKey);
        assert!(p[0].message.contains("`name`"));
    }

    #[test]
    fn paths_quote_non_identifiers() {
        assert_eq!(join("", "directory_roles"), "directory_roles");
        assert_eq!(
            join("directory_roles", "Global Administrator"),
            "directory_roles.\"Global Administrator\""
        );
        assert_eq!(index("a.eligible", 2), "a.eligible[2]");
    }
}
