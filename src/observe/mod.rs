//! Observe: reading the live tenant into the model, and turning the model back into what Graph accepts.
//!
//! [`read_tenant`] and [`read_with_azure`] are the only IO here: a handful of concurrent list calls and one `$batch`
//! of lookups. The rest
//! are pure conversions between wire types and the model.

pub mod azure;
pub mod discover;
pub mod fanout;
pub mod groups;
mod members;
mod principals;
mod read;
pub mod reviews;
pub mod rules;
pub mod tenant;

pub use discover::discover_groups;
pub use members::{read_group_members, read_members};
pub use principals::{ambiguous_names, declared_principals};
pub use read::{read_tenant, read_with_azure};
