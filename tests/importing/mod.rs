//! Shared by the import tests: import a tenant, check that the files load cleanly, and plan them against it.
#![allow(dead_code)]

use crate::planning::{client, plan_against};
use pimctl::emulator::RunningEmulator;
use pimctl::import::{self, Imported, Options};
use pimctl::language::{self, Code, LoadOptions};
use pimctl::observe::{ambiguous_names, discover_groups, read_tenant};
use pimctl::plan::Plan;

/// Imports the emulator's tenant, checks that the files load cleanly, and plans them against the same tenant.
pub async fn round_trip(em: &RunningEmulator, options: &Options) -> (Imported, Plan) {
    let client = client(em);
    let now = em.with_state(|s| s.now());
    let scopes = pimctl::observe::azure::reading(&options.azure);
    let mut live = read_tenant(&client, &[], now)
        .await
        .expect("the tenant reads");
    // `--azure`: the scopes' Azure resource roles, through ARM.
    pimctl::observe::azure::read_azure(&crate::planning::arm_client(em), &[&scopes], &mut live)
        .await
        .expect("Azure reads");
    pimctl::observe::reviews::read_with_reviewers(&client, &mut live)
        .await
        .expect("the reviews read");
    let groups = discover_groups(&client, &mut live, &[])
        .await
        .expect("groups found");
    let mut ambiguous = ambiguous_names(&client, &live).await.expect("lookups");
    ambiguous.extend(groups.ambiguous);
    let imported = import::import(&live, &ambiguous, options).expect("imports");
    let dir = tempfile::tempdir().unwrap();
    for f in &imported.files {
        std::fs::write(dir.path().join(&f.name), &f.text).unwrap();
    }
    let loaded = language::load(dir.path(), &LoadOptions { now });
    // Clean: no diagnostic, except the warning that a principal is both eligible and active in one role, which
    // is the tenant's posture faithfully imported (and the reviewer should see it).
    let unexpected: Vec<_> = loaded
        .diagnostics
        .items()
        .iter()
        .filter(|d| d.code != Code::EligibleAndActive)
        .collect();
    assert!(
        unexpected.is_empty(),
        "{}\n{}",
        loaded.diagnostics.render_text(false),
        all_text(&imported)
    );
    let plan = plan_against(em, &loaded.state).await;
    assert!(
        plan.errors.is_empty(),
        "{:#?}\n{}",
        plan.errors,
        all_text(&imported)
    );
    assert!(
        plan.changes.is_empty(),
        "{:#?}\n{}",
        plan.changes,
        all_text(&imported)
    );
    (imported, plan)
}

pub fn all_text(i: &Imported) -> String {
    i.files
        .iter()
        .map(|f| format!("=== {}\n{}", f.name, f.text))
        .collect()
}
