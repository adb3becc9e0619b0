//! The token never shows in errors or logs, and every request is logged. In a test binary of its own: tracing
//! caches which subscribers want an event per call site, process-wide, so a subscriber set for one test thread
//! can miss events whose call sites other test threads registered first.

mod common;
use common::*;
use pimctl::emulator::faults::FaultConfig;
use pimctl::graph::User;
use pimctl::graph::client::{GraphClient, GraphConfig, RetryConfig, StaticToken};
use std::sync::Arc;
use std::time::Duration;

const SECRET: &str = "pimctl-test-token-7f3a9c";

fn client(base: &str, token: &str) -> GraphClient {
    let mut c = GraphConfig::new(base, Arc::new(StaticToken::new(token)));
    c.retry = RetryConfig::fast(3, Duration::from_millis(1));
    GraphClient::new(c).unwrap()
}

/// A server answering every request with a body that is not a page.
async fn bad_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { "{\"value\": 3}" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1.0")
}

#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_appears_in_errors_or_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = start(Some(2)).await;
    let c = client(&emu.base, SECRET);
    let users: Vec<User> = c.list_all("/users").await.unwrap();
    assert_eq!(users.len(), 4);
    let mut errors = vec![];
    errors.push(
        c.get_json::<User>("/users/nobody@contoso.com")
            .await
            .unwrap_err(),
    );
    errors.push(c.get_json::<User>("/nowhere").await.unwrap_err());
    errors.push(
        client(&emu.base, "emulator:noperm")
            .get_json::<User>("/users")
            .await
            .unwrap_err(),
    );
    emu.running.set_faults(FaultConfig {
        fail_rate: 1.0,
        ..Default::default()
    });
    errors.push(c.get_json::<User>("/users").await.unwrap_err());
    let server = bad_server().await;
    errors.push(
        client(&server, SECRET)
            .list_all::<User>("/users")
            .await
            .unwrap_err(),
    );

    for e in &errors {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
    assert!(!format!("{c:?}").contains(SECRET));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("graph request"),
        "one event per request: {logs}"
    );
    assert!(
        logs.contains("request_id=") && logs.contains("elapsed_ms="),
        "{logs}"
    );
    assert!(logs.contains("path=/v1.0/users"), "{logs}");
    assert!(!logs.contains(SECRET), "the token is in the logs");
}
