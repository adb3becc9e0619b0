//! `--max-retries` bounds the sign-in (token) requests of azure_identity credentials too (#18 item 2): a token
//! endpoint that never completes a TLS handshake is tried exactly `1 + --max-retries` times, then the command
//! fails with a clear error, and the secret is never shown.

mod cli;
use cli::{command, out};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loopback listener that accepts connections and closes them at once (every TLS handshake fails), counting them.
fn hostile_authority() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (port, count)
}

#[test]
fn max_retries_bounds_the_sign_in_requests() {
    const SECRET: &str = "s3cr3t-never-shown";
    for retries in [0usize, 2] {
        let (port, count) = hostile_authority();
        let o = command()
            .args([
                "plan",
                "examples/contoso",
                "--auth",
                "client-secret",
                "--tenant",
                "11111111-2222-3333-4444-555555555555",
                "--max-retries",
                &retries.to_string(),
            ])
            .env_remove("PIMCTL_ACCESS_TOKEN")
            .env("AZURE_AUTHORITY_HOST", format!("https://127.0.0.1:{port}"))
            .env("AZURE_CLIENT_ID", "22222222-3333-4444-5555-666666666666")
            .env("AZURE_CLIENT_SECRET", SECRET)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        assert!(
            out(&o).contains("error: cannot authenticate to Microsoft Graph: --auth client-secret"),
            "{}",
            out(&o)
        );
        assert!(!out(&o).contains(SECRET));
        assert_eq!(
            count.load(Ordering::SeqCst),
            1 + retries,
            "--max-retries {retries}"
        );
    }
}
