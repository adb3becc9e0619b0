//! pimctl: Privileged Identity Management as code for Microsoft Entra.
//!
//! See ARCHITECTURE.md for the module map and the invariants.

pub mod apply;
pub mod azure_catalog;
pub mod catalog;
pub mod cli;
pub mod duration;
pub mod emulator;
pub mod files;
pub mod graph;
pub mod import;
pub mod language;
pub mod lint;
pub mod model;
pub mod observe;
pub mod pipeline;
pub mod plan;
pub mod render;
mod suggest;
