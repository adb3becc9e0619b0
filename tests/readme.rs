//! The README's Quickstart is what a new user types first: its declaration plans cleanly against the example tenant
//! (every principal it names exists there), and the commands it shows are the ones that work.

mod cli;
mod planning;

use planning::{CONTOSO_TENANT, Setup, emulator_from_file, plan_against};

/// The YAML block under "### 1. Declare".
fn quickstart_yaml() -> String {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let (_, rest) = readme.split_once("### 1. Declare").expect("a Quickstart");
    let (_, rest) = rest.split_once("```yaml\n").expect("its YAML");
    rest.split_once("\n```").unwrap().0.to_string()
}

#[tokio::test]
async fn the_quickstart_declaration_plans_cleanly_against_the_example_tenant() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let (_dir, desired) = planning::desired_yaml(&quickstart_yaml(), &em);
    let plan = plan_against(&em, &desired).await;
    assert!(plan.errors.is_empty(), "{:#?}", plan.errors);
    assert!(plan.has_changes());
}
