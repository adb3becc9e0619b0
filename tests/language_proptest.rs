//! The loader never panics, whatever it is given, and every diagnostic it produces can be acted on: a message, a
//! file, and (when there is a line) a line inside that file. The documents draw the whole language's keys, Azure
//! resource roles' scopes, role ids and ABAC conditions included.

use pimctl::language::{self, LoadOptions};
use proptest::prelude::*;

fn options() -> LoadOptions {
    LoadOptions {
        now: chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    }
}

fn check(text: &str) {
    let loaded = language::load_str("fuzz.yaml", text, &options());
    let lines = text.split('\n').count() as u32;
    for d in loaded.diagnostics.items() {
        assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
        assert!(!d.location.file.as_os_str().is_empty(), "no file: {d:?}");
        if d.location.file == std::path::Path::new("fuzz.yaml")
            && let Some(line) = d.location.line
        {
            assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines}: {d:?}\n{text}"
            );
        }
    }
    // Both renderings work on whatever came out.
    let text_out = loaded.diagnostics.render_text(false);
    assert!(!text_out.is_empty());
    serde_json::from_str::<serde_json::Value>(&loaded.diagnostics.render_json()).unwrap();
}

/// Keys of the language, a few near misses, and YAML's awkward characters.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("version".to_string()),
        Just("protected".to_string()),
        Just("templates".to_string()),
        Just("directory_roles".to_string()),
        Just("Global Administrator".to_string()),
        Just("Global Reader".to_string()),
        Just("11111111-2222-4333-8444-555555555555".to_string()),
        Just("template".to_string()),
        Just("extends".to_string()),
        Just("must_set".to_string()),
        Just("custom".to_string()),
        Just("activation".to_string()),
        Just("max_duration".to_string()),
        Just("require".to_string()),
        Just("approval".to_string()),
        Just("required".to_string()),
        Just("approvers".to_string()),
        Just("stages".to_string()),
        Just("stage_timeout".to_string()),
        Just("escalation_after".to_string()),
        Just("eligible_assignment".to_string()),
        Just("active_assignment".to_string()),
        Just("allow_permanent".to_string()),
        Just("notifications".to_string()),
        Just("activated".to_string()),
        Just("admin".to_string()),
        Just("recipients".to_string()),
        Just("access_review".to_string()),
        Just("every".to_string()),
        Just("duration".to_string()),
        Just("reviewers".to_string()),
        Just("eligible".to_string()),
        Just("active".to_string()),
        Just("user".to_string()),
        Just("group".to_string()),
        Just("service_principal".to_string()),
        Just("until".to_string()),
        // Azure resource roles: scopes in every spelling, roles by name and by either role definition id.
        Just("azure_roles".to_string()),
        Just("/subscriptions/c0150000-0000-4000-8000-000000000001".to_string()),
        Just("/subscriptions/c0150000-0000-4000-8000-000000000001/resourceGroups/app-rg".to_string()),
        Just("/SUBSCRIPTIONS/c0150000-0000-4000-8000-000000000001/resourcegroups/APP-RG".to_string()),
        Just("/providers/Microsoft.Subscription/subscriptions/c0150000-0000-4000-8000-000000000001".to_string()),
        Just("/providers/Microsoft.Management/managementGroups/contoso".to_string()),
        Just("/subscriptions/not-a-guid/resourceGroups".to_string()),
        Just("Owner".to_string()),
        Just("User Access Administrator".to_string()),
        Just("/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635".to_string()),
        Just("/subscriptions/c0150000-0000-4000-8000-000000000001/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635".to_string()),
        Just("condition".to_string()),
        Just("condition_version".to_string()),
        Just("<<".to_string()),
        "[a-z_]{1,12}",
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("pimctl/v1".to_string()),
        Just("builtin:tier0".to_string()),
        Just("builtin:tier1".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("~".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("30m".to_string()),
        Just("25h".to_string()),
        Just("P1Y".to_string()),
        Just("99999999999999999999999d".to_string()),
        Just("2027-06-30".to_string()),
        Just("2026-01-01".to_string()),
        Just("2027-02-30".to_string()),
        Just("alice@contoso.com".to_string()),
        Just("c1".to_string()),
        Just("quarterly".to_string()),
        Just("0 months".to_string()),
        Just("mfa".to_string()),
        Just("&a x".to_string()),
        Just("*a".to_string()),
        Just("!!str x".to_string()),
        Just("\"quoted".to_string()),
        Just("'é 漢字 🙂'".to_string()),
        Just("\"2.0\"".to_string()),
        Just("\"1.0\"".to_string()),
        Just("\"@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'\"".to_string()),
        "[ -~]{0,16}",
    ]
}

/// YAML-ish documents: nested mappings and lists of the language's keys, indented (mostly) consistently.
fn document() -> impl Strategy<Value = String> {
    (any::<bool>(), tree()).prop_map(|(versioned, lines)| {
        let body = lines.join("\n");
        if versioned {
            format!("version: pimctl/v1\n{body}\n")
        } else {
            format!("{body}\n")
        }
    })
}

/// Documents of Azure resource roles: a random tree under a scope and a role (each drawn from the keys, so valid
/// and malformed scopes and role ids alike), as `azure_roles` nests them.
fn azure_document() -> impl Strategy<Value = String> {
    (key(), key(), tree()).prop_map(|(scope, role, lines)| {
        let body: Vec<String> = lines.into_iter().map(|l| format!("      {l}")).collect();
        format!(
            "version: pimctl/v1\nazure_roles:\n  {scope}:\n    {role}:\n{}\n",
            body.join("\n")
        )
    })
}

/// Nested mappings and lists of the language's keys, as lines.
fn tree() -> impl Strategy<Value = Vec<String>> {
    let leaf = scalar().prop_map(|s| vec![s]);
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 1..5).prop_map(|entries| {
                let mut out = Vec::new();
                for (k, v) in entries {
                    if v.len() == 1 && !v[0].starts_with("  ") && !v[0].starts_with("- ") {
                        out.push(format!("{k}: {}", v[0]));
                    } else {
                        out.push(format!("{k}:"));
                        out.extend(v.into_iter().map(|l| format!("  {l}")));
                    }
                }
                out
            }),
            prop::collection::vec(inner, 1..4).prop_map(|items| {
                let mut out = Vec::new();
                for item in items {
                    let mut lines = item.into_iter();
                    if let Some(first) = lines.next() {
                        out.push(format!("- {}", first.trim_start()));
                    }
                    out.extend(lines.map(|l| format!("  {l}")));
                }
                out
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn arbitrary_yaml_ish_bytes_never_panic(text in "[a-z:\\-\\[\\]{}&*!|>'\"#%@ \\t\\n0-9,?~]{0,200}") {
        check(&text);
    }

    #[test]
    fn arbitrary_documents_never_panic(text in document()) {
        check(&text);
    }

    #[test]
    fn arbitrary_azure_roles_never_panic(text in azure_document()) {
        check(&text);
    }

    #[test]
    fn a_document_with_a_line_removed_never_panics(text in document(), cut in any::<prop::sample::Index>()) {
        let lines: Vec<&str> = text.lines().collect();
        let i = cut.index(lines.len());
        let mut rest = lines.clone();
        rest.remove(i);
        check(&rest.join("\n"));
    }
}

/// A few shapes that are known to be awkward for the positions: empty list items, deep nesting, and a document
/// that ends inside a key.
#[test]
fn awkward_shapes_never_panic() {
    for text in [
        "",
        "\n\n\n",
        "---",
        "--- \n...\n",
        "version: pimctl/v1\ndirectory_roles:\n  Global Reader:\n    eligible:\n      -\n",
        "version: pimctl/v1\ndirectory_roles:\n  ? [a]\n  : b\n",
        "version: pimctl/v1\ndirectory_roles: {Global Reader: {eligible: [{user: a@b.c, until: 1}]}}",
        "\u{feff}version: pimctl/v1\n",
        "version: pimctl/v1\r\ndirectory_roles:\r\n  Global Reader:\r\n    eligible: []\r\n",
        "version",
        "version:",
        "&a [*a]",
    ] {
        check(text);
    }
    let deep = format!(
        "version: pimctl/v1\nx: {}{}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    check(&deep);
}
