//! `--arm-url` end to end: the binary reaches ARM at the URL given (a national cloud's, here the emulator's), with
//! its own token (`PIMCTL_ARM_ACCESS_TOKEN` for `--auth token`), and a 403 from ARM names Azure's actions and the
//! documented custom roles, not Graph's permissions.

mod cli;
mod planning;

use planning::*;

fn plan(em: &pimctl::emulator::RunningEmulator, arm_token: Option<&str>) -> std::process::Output {
    let mut c = cli::command();
    c.args([
        "plan",
        CONTOSO,
        "--graph-url",
        &em.base_url(),
        "--arm-url",
        &em.arm_url(),
        "--auth",
        "token",
        "--max-retries",
        "0",
    ])
    .env("PIMCTL_ACCESS_TOKEN", em.access_token())
    .env_remove("PIMCTL_ARM_ACCESS_TOKEN")
    .env_remove("PIMCTL_ARM_URL");
    if let Some(t) = arm_token {
        c.env("PIMCTL_ARM_ACCESS_TOKEN", t);
    }
    c.output().expect("pimctl runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_is_reached_at_the_arm_url_with_its_own_token() {
    let em = emulator_from_file(CONTOSO_TENANT, &Setup::default()).await;
    let arm_requests = |em: &pimctl::emulator::RunningEmulator| -> u64 {
        em.stats()
            .routes
            .iter()
            .filter(|(k, _)| k.contains("/providers/Microsoft.Authorization/"))
            .map(|(_, n)| *n)
            .sum()
    };

    // No ARM token: the Azure roles cannot be read, and the message says which variable is missing.
    let o = tokio::task::block_in_place(|| plan(&em, None));
    assert!(!o.status.success(), "{}", cli::out(&o));
    assert!(
        cli::out(&o).contains("PIMCTL_ARM_ACCESS_TOKEN"),
        "{}",
        cli::out(&o)
    );
    assert_eq!(arm_requests(&em), 0);

    // A token ARM refuses (403): the message names the Azure action and the documented custom roles.
    let o = tokio::task::block_in_place(|| plan(&em, Some("emulator:noperm")));
    let text = cli::out(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("Microsoft.Authorization/")
            && text.contains("\"pimctl plan\", \"pimctl apply\"")
            && !text.contains("RoleManagement.Read.Directory"),
        "{text}"
    );

    // Its own token: the plan reads ARM at the URL given (17 requests for Contoso's 4 scopes in 3 roots) and says
    // where.
    em.reset_stats();
    let token = em.access_token();
    let o = tokio::task::block_in_place(|| plan(&em, Some(&token)));
    let text = cli::out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        cli::stdout(&o).contains(&format!("and {}", em.arm_url())),
        "{text}"
    );
    assert!(
        cli::stdout(&o).contains("Owner @ /subscriptions/"),
        "{text}"
    );
    assert_eq!(arm_requests(&em), 17, "{:#?}", em.stats().routes);
}
