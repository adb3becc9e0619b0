//! Principals as the user names them, before resolution against a tenant.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::ServicePrincipal => "service_principal",
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal as declared: its kind and the name the user wrote (a UPN, display name, appId or object id).
///
/// Equality and ordering are case-insensitive on the name, as Entra's UPNs, display names and GUIDs are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    pub name: String,
}

impl PrincipalRef {
    pub fn new(kind: PrincipalKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
    /// The comparison key: kind and lower-cased name.
    pub fn key(&self) -> (PrincipalKind, String) {
        (self.kind, self.name.to_lowercase())
    }
    /// Whether the name is an object id (a GUID) rather than a UPN or display name.
    pub fn is_object_id(&self) -> bool {
        is_guid(&self.name)
    }
}

// Equality, ordering and hashing are those of `key()` (the name through `str::to_lowercase`), without allocating
// when both names are ASCII, as ids and UPNs are: plans compare principals millions of times on a large tenant, and
// lower-casing both sides of every comparison was a tenth of `plan::build` on XL-estate (BENCHMARKS.md §4b).
impl PartialEq for PrincipalRef {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && names_cmp(&self.name, &other.name).is_eq()
    }
}
impl Eq for PrincipalRef {}
impl PartialOrd for PrincipalRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PrincipalRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.kind
            .cmp(&other.kind)
            .then_with(|| names_cmp(&self.name, &other.name))
    }
}
impl std::hash::Hash for PrincipalRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        // The lower-cased bytes in fixed chunks, then `str`'s terminator: the same calls for two names that compare
        // equal, whichever way each was lower-cased.
        if self.name.is_ascii() {
            write_chunks(state, self.name.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            write_chunks(state, self.name.to_lowercase().into_bytes().into_iter());
        }
        state.write_u8(0xff);
    }
}

fn write_chunks<H: std::hash::Hasher>(state: &mut H, mut bytes: impl Iterator<Item = u8>) {
    const CHUNK: usize = 64;
    let mut buf = [0u8; CHUNK];
    loop {
        let mut n = 0;
        for b in bytes.by_ref().take(CHUNK) {
            buf[n] = b;
            n += 1;
        }
        if n > 0 {
            state.write(&buf[..n]);
        }
        if n < CHUNK {
            break;
        }
    }
}

/// `a.to_lowercase().cmp(&b.to_lowercase())`: byte by byte when both are ASCII (where the two lower-casings agree),
/// else through `to_lowercase` itself (a non-ASCII name can equal an ASCII one: the Kelvin sign lower-cases to `k`).
fn names_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

impl fmt::Display for PrincipalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

/// Whether `s` is a GUID in its 8-4-4-4-12 hexadecimal form.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, RandomState};

    /// The comparisons as they were: through `key()`, which lower-cases (and allocates) on every call.
    fn as_before(a: &PrincipalRef, b: &PrincipalRef) -> std::cmp::Ordering {
        a.key().cmp(&b.key())
    }

    fn check(a: &PrincipalRef, b: &PrincipalRef, hasher: &RandomState) {
        assert_eq!(a.cmp(b), as_before(a, b), "{a} vs {b}");
        assert_eq!(a == b, as_before(a, b).is_eq(), "{a} vs {b}");
        if a == b {
            assert_eq!(hasher.hash_one(a), hasher.hash_one(b), "{a} vs {b}");
        }
    }

    #[test]
    fn names_compare_as_lower_cased_including_the_non_ascii_ones() {
        let hasher = RandomState::new();
        let names = [
            "alice@contoso.com",
            "ALICE@Contoso.com",
            "alice@contoso.co",
            "62E90394-69F5-4237-9190-012177145E10",
            "62e90394-69f5-4237-9190-012177145e10",
            "k",
            "K",
            "\u{212A}", // the Kelvin sign: lower-cases to `k`
            "Équipe",
            "éQUIPE",
            "ΟΔΟΣ",
            "οδος",
            "",
            &"x".repeat(64),
            &"X".repeat(64),
            &"X".repeat(65),
        ];
        for kind in [PrincipalKind::User, PrincipalKind::Group] {
            for a in names {
                for b in names {
                    check(
                        &PrincipalRef::new(kind, a),
                        &PrincipalRef::new(PrincipalKind::User, b),
                        &hasher,
                    );
                }
            }
        }
        assert_eq!(
            PrincipalRef::new(PrincipalKind::User, "\u{212A}"),
            PrincipalRef::new(PrincipalKind::User, "K")
        );
    }

    proptest::proptest! {
        #[test]
        fn comparison_agrees_with_lower_casing_both_names(
            a in "[aAkKzZ@.\u{212A}éÉΣσ-]{0,70}",
            b in "[aAkKzZ@.\u{212A}éÉΣσ-]{0,70}",
        ) {
            let hasher = RandomState::new();
            check(&PrincipalRef::new(PrincipalKind::User, &a), &PrincipalRef::new(PrincipalKind::User, &b), &hasher);
            let upper = PrincipalRef::new(PrincipalKind::User, a.to_uppercase());
            check(&PrincipalRef::new(PrincipalKind::User, &a), &upper, &hasher);
        }
    }
}
