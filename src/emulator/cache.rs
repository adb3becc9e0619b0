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
use std::collections::HashMap;
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

/// The renderings kept, until the next write.
#[derive(Debug, Default)]
pub struct Renderings {
    items: Mutex<HashMap<Key, Bytes>>,
}

impl Renderings {
    /// The rendering kept under `key`, else `render`'s, kept.
    pub fn get_or_render(&self, key: Key, render: impl FnOnce() -> Vec<u8>) -> Bytes {
        if let Some(b) = self.lock().get(&key) {
            return b.clone();
        }
        let b = Bytes::from(render());
        self.lock().insert(key, b.clone());
        b
    }

    /// Drops every rendering.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many renderings are kept, and their bytes.
    pub fn size(&self) -> (usize, usize) {
        let items = self.lock();
        (items.len(), items.values().map(Bytes::len).sum())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bytes>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}
