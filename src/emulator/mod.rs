//! The tenant emulator: a local Microsoft Graph v1.0 for PIM on Microsoft Entra roles.
pub mod defaults;
pub mod http;
pub mod ids;
pub mod query;
pub mod rules;
pub mod state;
