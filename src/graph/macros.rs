//! `graph_enum!`: a string enum that Graph writes one way and reads case-insensitively.

macro_rules! graph_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in Graph's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value exactly as Graph writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Parses a value case-insensitively (Graph matches enum values without regard to case).
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "`{}` is not a valid {} value; expected one of: {}",
                        s,
                        stringify!($name),
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }
        }
    };
}

/// Reads a policy rule of a [`crate::model::RuleKind`] from a deserializer into the variant of that kind: Graph's and
/// ARM's rule enums name their variants alike.
macro_rules! rule_of_kind {
    ($enum:ident, $kind:expr, $d:expr) => {{
        use crate::model::RuleKind as K;
        let d = $d;
        Ok(match $kind {
            K::Expiration => $enum::Expiration(serde::Deserialize::deserialize(d)?),
            K::Enablement => $enum::Enablement(serde::Deserialize::deserialize(d)?),
            K::AuthenticationContext => {
                $enum::AuthenticationContext(serde::Deserialize::deserialize(d)?)
            }
            K::Approval => $enum::Approval(serde::Deserialize::deserialize(d)?),
            K::Notification => $enum::Notification(serde::Deserialize::deserialize(d)?),
        })
    }};
}
