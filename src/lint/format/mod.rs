//! A lint [`Report`](super::Report) as text (in the style of `validate`), JSON, or SARIF 2.1.0. Pure functions that
//! return a `String`.

mod sarif;
mod text;

pub use sarif::{Root as SarifRoot, sarif};
pub use text::text;

use super::Report;

/// The report as JSON: every finding, the waived ones, and the counts.
pub fn json(report: &Report) -> String {
    let doc = serde_json::json!({
        "profile": report.profile,
        "notifications": report.notifications,
        "live": report.live,
        "findings": report.findings,
        "waived": report.waived,
        "errors": report.count(super::Severity::Error),
        "warnings": report.count(super::Severity::Warning),
        "notes": report.count(super::Severity::Note),
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
