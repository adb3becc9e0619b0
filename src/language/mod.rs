//! The policy language: YAML files → validated [`crate::model::DesiredState`], with diagnostics.

/// The JSON Schema of the language, pretty-printed.
pub fn json_schema_string() -> String {
    String::new()
}
