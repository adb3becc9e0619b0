//! Renderings kept between requests: the JSON text of objects that only a write changes, so that reads of an
//! unchanged tenant are answered from bytes (BENCHMARKS.md item 2b).
//!
//! What is kept is ARM's policies (`roleManagementPolicies`, every role's at every scope, with its 17 rules twice:
//! most of the bytes a plan of an estate reads). A rendering is a function of the tenant alone, never of the clock,
//! the caller or the query: paging and `$filter` are applied around the kept items, as before. It is dropped when
//! the tenant may change: [`super::Shared::lock_state`] clears every rendering, under the tenant's lock, for any
//! request but a `GET` (Graph's, `$batch` sub-requests', ARM's and `/_emulator`'s) and for
//! [`super::RunningEmulator::with_state`], before the change is made; so no read that follows a write is served what
//! the write made stale, and a page is never made of renderings of two states. A `GET` changes nothing a rendering
//! reads (`State::tick` purges old requests only).

use axum::body::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What a rendering is of: its kind, and the exact scope path and role it was rendered for (a scope spelled in
/// another case renders another `id`, so it is another rendering).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    kind: Kind,
    scope: String,
    role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    ArmPolicy,
}

impl Key {
    /// An ARM policy: the role's `roleManagementPolicies` item at the scope.
    pub fn arm_policy(scope_path: &str, role: &str) -> Self {
        Key {
            kind: Kind::ArmPolicy,
            scope: scope_path.to_string(),
            role: role.to_string(),
        }
    }
}

/// A rendering: its text is its parts, one after the other. A part that many renderings repeat (a policy's rules,
/// the same at most scopes) is kept once ([`Renderings::shared`]) and referred to by each.
pub type Rendering = Vec<Bytes>;

/// The renderings kept, until the next write.
#[derive(Debug, Default)]
pub struct Renderings {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    items: HashMap<Key, Rendering>,
    /// The parts several renderings share, by their text.
    parts: HashSet<Bytes>,
}

impl Renderings {
    /// The rendering kept under `key`, else `render`'s, kept.
    pub fn get_or_render(&self, key: Key, render: impl FnOnce() -> Rendering) -> Rendering {
        if let Some(r) = self.lock().items.get(&key) {
            return r.clone();
        }
        let r = render();
        self.lock().items.insert(key, r.clone());
        r
    }

    /// A part of the same text as `text` that is already kept, else `text`, kept: one copy however many
    /// renderings hold it.
    pub fn shared(&self, text: Vec<u8>) -> Bytes {
        let mut kept = self.lock();
        if let Some(b) = kept.parts.get(text.as_slice()) {
            return b.clone();
        }
        let b = Bytes::from(text);
        kept.parts.insert(b.clone());
        b
    }

    /// Drops every rendering.
    pub fn clear(&self) {
        let mut kept = self.lock();
        kept.items.clear();
        kept.parts.clear();
    }

    /// How many renderings are kept, and the bytes kept for them (a shared part counted once).
    pub fn size(&self) -> (usize, usize) {
        let kept = self.lock();
        let own: usize = kept
            .items
            .values()
            .flatten()
            .filter(|p| !kept.parts.contains(*p))
            .map(Bytes::len)
            .sum();
        (
            kept.items.len(),
            own + kept.parts.iter().map(Bytes::len).sum::<usize>(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}
