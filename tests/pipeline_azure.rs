//! The Azure Pipelines examples have no linter in CI (actionlint and zizmor read GitHub's YAML only), so the checks
//! that need no Azure DevOps are made here: each file is YAML, every template it names exists, and every task that
//! signs in names its service connection in a form known when the pipeline is compiled (a literal, a parameter or a
//! template expression), never a runtime `$(variable)`, which Azure DevOps cannot authorize. That rule is why the
//! fleet example expands one job per tenant instead of using a matrix (docs/pipelines.md, "Many tenants").

use std::path::{Path, PathBuf};

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("examples/azure-pipelines")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
}

/// Every value under `key`, anywhere in the document.
fn values<'a>(v: &'a serde_yaml::Value, key: &str, out: &mut Vec<&'a serde_yaml::Value>) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, x) in m {
                if k.as_str() == Some(key) {
                    out.push(x);
                }
                values(x, key, out);
            }
        }
        serde_yaml::Value::Sequence(s) => s.iter().for_each(|x| values(x, key, out)),
        _ => {}
    }
}

fn load(path: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_example_is_yaml_and_its_templates_exist() {
    let files = examples();
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        let doc = load(file);
        let mut templates = vec![];
        values(&doc, "template", &mut templates);
        for t in templates {
            let t = t.as_str().expect("a template path");
            let path = file.parent().unwrap().join(t);
            assert!(
                path.is_file(),
                "{}: template {t} is missing",
                file.display()
            );
            load(&path);
        }
    }
}

#[test]
fn service_connections_are_known_when_the_pipeline_is_compiled() {
    let mut connections = 0;
    for file in examples() {
        let doc = load(&file);
        let mut found = vec![];
        values(&doc, "azureSubscription", &mut found);
        for c in found {
            let c = c.as_str().expect("a service connection");
            assert!(
                !c.contains("$("),
                "{}: azureSubscription `{c}` is a runtime variable, which Azure DevOps cannot authorize",
                file.display()
            );
            connections += 1;
        }
    }
    assert!(connections >= 4, "{connections}");
}

#[test]
fn the_fleet_example_runs_one_job_per_tenant_and_a_summary_after_all() {
    let doc = load(Path::new("examples/azure-pipelines/fleet-drift.yml"));
    let text = serde_yaml::to_string(&doc).unwrap();
    // One job per tenant, expanded at compile time, each with that tenant's service connection.
    assert!(
        text.contains("${{ each tenant in parameters.tenants }}"),
        "{text}"
    );
    let mut connections = vec![];
    values(&doc, "azureSubscription", &mut connections);
    assert_eq!(connections.len(), 1);
    assert_eq!(
        connections[0].as_str(),
        Some("${{ tenant.serviceConnection }}")
    );
    // The summary waits for every tenant's job and runs whatever they did.
    let jobs = doc["jobs"].as_sequence().unwrap();
    let summary = jobs
        .iter()
        .find(|j| j["job"].as_str() == Some("summary"))
        .expect("a summary job");
    assert_eq!(summary["condition"].as_str(), Some("always()"));
    let depends = serde_yaml::to_string(&summary["dependsOn"]).unwrap();
    assert!(depends.contains("drift_${{ tenant.name }}"), "{depends}");
}
