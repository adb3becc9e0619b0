//! JSON: the plan as it serializes itself, which is also the saved-plan format (docs/plan-format.md).

use crate::plan::Plan;

/// Renders `plan` as pretty-printed JSON with a trailing newline. Should serialization ever fail, the output is
/// still JSON: `{"error": {"message": ...}}`.
pub fn render(plan: &Plan) -> String {
    match serde_json::to_string_pretty(plan) {
        Ok(mut out) => {
            out.push('\n');
            out
        }
        Err(e) => error_object(&e.to_string()),
    }
}

/// `{"error": {"message": ...}}` and a newline; building it cannot fail.
fn error_object(message: &str) -> String {
    let doc = serde_json::json!({ "error": { "message": message } });
    format!("{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{failed, sample, with_causes};
    use super::*;

    #[test]
    fn round_trips_into_the_same_plan() {
        for plan in [sample(), with_causes(), failed()] {
            let out = render(&plan);
            assert!(out.ends_with("}\n"));
            let back: Plan = match serde_json::from_str(&out) {
                Ok(p) => p,
                Err(e) => panic!("{e}\n{out}"),
            };
            assert_eq!(back, plan);
        }
    }

    #[test]
    fn names_fields_as_the_format_documents() {
        let out = render(&sample());
        assert!(out.starts_with(
            "{\n  \"format_version\": 4,\n  \"id\": \"5b0e3c9a1f72\",\n  \"tool_version\": \"0.1.0\",\n"
        ));
        assert!(out.contains("\"action\": \"update_rule\""));
        assert!(out.contains("\"rule\": \"Approval_EndUser_Assignment\""));
        assert!(out.contains("\"effect\": \"weakens\""));
        assert!(!out.contains("\"cause\""));
        assert!(render(&with_causes()).contains("\"cause\": \"drift\""));
    }

    #[test]
    fn the_documented_example_is_what_pimctl_writes() {
        let doc = include_str!("../../docs/plan-format.md");
        let example = doc
            .split_once("## Example")
            .and_then(|(_, rest)| rest.split_once("```json\n"))
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .map(|(json, _)| json);
        let Some(example) = example else {
            panic!("docs/plan-format.md has no JSON example");
        };
        let plan: Plan = match serde_json::from_str(example) {
            Ok(p) => p,
            Err(e) => panic!("the example is not a plan: {e}"),
        };
        assert_eq!(plan.format_version, crate::plan::FORMAT_VERSION);
        assert_eq!(render(&plan), format!("{example}\n"));
    }

    #[test]
    fn an_error_is_still_json() {
        let out = error_object("key must be a string \"x\"");
        assert_eq!(
            out,
            "{\"error\":{\"message\":\"key must be a string \\\"x\\\"\"}}\n"
        );
        let value: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(value["error"]["message"], "key must be a string \"x\"");
    }
}
