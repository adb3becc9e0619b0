//! How an imported file names principals and roles: as people know them (a user's UPN, a group's or service
//! principal's display name, a built-in role's display name), falling back to the object id whenever the name would
//! not bring `plan` back to exactly this object.

use crate::catalog;
use crate::model::{LivePrincipal, LiveRole, LiveState, PrincipalKind, PrincipalRef, is_guid};
use std::collections::{BTreeMap, BTreeSet};

/// A principal as the imported YAML names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Named {
    pub kind: PrincipalKind,
    /// The UPN or display name, or the object id.
    pub name: String,
    /// What a reader should know when the name is an object id: the object's label, or why the id is used.
    pub comment: Option<String>,
    /// Whether the tenant named the object (a deleted approver, for one, is only an id).
    pub known: bool,
}

/// Names the principals of a live state.
pub struct Namer<'a> {
    live: &'a LiveState,
    /// How many seen objects of a kind answer to a (lower-cased) name, the way `plan` matches names.
    counts: BTreeMap<(PrincipalKind, String), usize>,
    /// Names that a bulk lookup found more than once in the directory (objects pimctl did not otherwise see).
    ambiguous: &'a BTreeSet<PrincipalRef>,
}

impl<'a> Namer<'a> {
    pub fn new(live: &'a LiveState, ambiguous: &'a BTreeSet<PrincipalRef>) -> Self {
        let mut counts = BTreeMap::new();
        for p in live.principals.values() {
            let mut names: BTreeSet<String> = BTreeSet::new();
            names.insert(p.id.to_lowercase());
            let by_name = [
                p.user_principal_name.as_ref(),
                p.display_name.as_ref(),
                p.app_id.as_ref(),
            ];
            for n in by_name.into_iter().flatten() {
                // Only the names this kind answers to (a user does not answer to its display name).
                if p.answers_to(&PrincipalRef::new(p.kind, n.clone())) {
                    names.insert(n.to_lowercase());
                }
            }
            for n in names {
                *counts.entry((p.kind, n)).or_insert(0) += 1;
            }
        }
        Self {
            live,
            counts,
            ambiguous,
        }
    }

    /// The name to write for a principal id.
    pub fn principal(&self, id: &str) -> Named {
        let Some(p) = self.live.principal(id) else {
            return Named {
                kind: PrincipalKind::User,
                name: id.to_string(),
                comment: Some("the tenant did not name this object".into()),
                known: false,
            };
        };
        let candidate = match p.kind {
            PrincipalKind::User => p
                .user_principal_name
                .as_deref()
                .filter(|u| looks_like_upn(u)),
            PrincipalKind::Group | PrincipalKind::ServicePrincipal => p
                .display_name
                .as_deref()
                .filter(|n| !n.is_empty() && n.trim() == *n && !is_guid(n)),
        };
        match candidate {
            Some(name) if self.unique(p, name) => Named {
                kind: p.kind,
                name: name.to_string(),
                comment: None,
                known: true,
            },
            Some(name) => Named {
                kind: p.kind,
                name: p.id.clone(),
                comment: Some(format!("{name} (the name is not unique)")),
                known: true,
            },
            None => Named {
                kind: p.kind,
                name: p.id.clone(),
                comment: p.display_name.clone(),
                known: true,
            },
        }
    }

    /// Whether `name` brings a `plan` back to `p` alone.
    fn unique(&self, p: &LivePrincipal, name: &str) -> bool {
        let r = PrincipalRef::new(p.kind, name);
        self.counts.get(&(p.kind, name.to_lowercase())) == Some(&1) && !self.ambiguous.contains(&r)
    }
}

/// The shape the language accepts for a user name (checked offline by `validate`).
fn looks_like_upn(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
    ) && !s.contains(char::is_whitespace)
}

/// A role's key in `directory_roles`, and a comment: a built-in role by its catalogue name; a custom role (or a
/// built-in role this pimctl does not know) by its id, with its name in the comment.
pub fn role_key(role: &LiveRole) -> (String, Option<String>) {
    if role.is_built_in
        && let Some(b) = catalog::by_template_id(&role.id)
    {
        return (b.display_name.clone(), None);
    }
    let what = if role.is_built_in {
        "built-in role"
    } else {
        "custom role"
    };
    (
        role.id.to_lowercase(),
        Some(format!("{} ({what})", role.display_name)),
    )
}
