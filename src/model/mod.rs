//! The canonical model: desired and live state, keyed by natural keys.
//!
//! Nothing here does IO. Everything is ordered (`BTreeMap`, sorted `Vec`s) so that anything derived from it is
//! deterministic.

mod desired;
pub mod fanout;
mod live;
mod live_index;
mod policy;
mod principal;
mod setting;
mod target;
mod tenant;

pub use desired::*;
pub use live::*;
pub use live_index::LiveIndex;
pub use policy::*;
pub use principal::*;
pub use setting::*;
pub use target::*;
pub use tenant::*;
