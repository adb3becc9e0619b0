//! The JSON Schema printed by `pimctl schema` is generated from the loader's own types; these tests keep the
//! published copy current and check that real policy files validate against it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> serde_json::Value {
    serde_json::to_value(pimctl::language::json_schema()).expect("the schema serializes")
}

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            policy_files(&path, out);
        } else if name.ends_with(".yaml") && name != "tenant.yaml" {
            out.push(path);
        }
    }
}

#[test]
fn published_schema_is_current() {
    let published = std::fs::read_to_string(root().join("docs/pimctl.schema.json"))
        .expect("docs/pimctl.schema.json exists");
    let generated = format!("{}\n", pimctl::language::json_schema_string());
    assert!(
        published == generated,
        "docs/pimctl.schema.json is stale; run `cargo run -- schema > docs/pimctl.schema.json`"
    );
}

#[test]
fn examples_and_policies_validate_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let mut files = Vec::new();
    policy_files(&root().join("examples"), &mut files);
    policy_files(&root().join("policies"), &mut files);
    assert!(files.len() >= 6, "found only {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    for bad in [
        "version: pimctl/v1\nunknown: 1\n",
        "version: pimctl/v2\n",
        "directory_roles: {}\n",
        "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    activaton: {}\n",
        "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    activation: {require: [sms]}\n",
        "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:\n    eligible: [{user: a@b.c, extra: 1}]\n",
    ] {
        let doc: serde_json::Value = serde_yaml::from_str(bad).unwrap();
        assert!(!validator.is_valid(&doc), "schema accepted:\n{bad}");
        let loaded = pimctl::language::load_str("bad.yaml", bad, &Default::default());
        assert!(loaded.diagnostics.has_errors(), "loader accepted:\n{bad}");
    }
}
