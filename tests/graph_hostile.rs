//! The Graph client against a hostile local server (#18, "hold the line"): waits the server asks for, pages that
//! never end, answers far too large, a command timeout. Each ends in a clear error, after a counted number of
//! requests, without sleeping for as long as the server says and without reading more than the client's bound.
//! No assertion depends on timing.

mod common;
use common::bad_server::{Bad, answer, bad_server, handler};
use pimctl::graph::client::{
    ClientError, GraphClient, GraphConfig, MAX_RESPONSE_BYTES, RetryConfig, StaticToken,
};
use pimctl::graph::{UnifiedRoleDefinition, User};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn config(base: &str) -> GraphConfig {
    let mut c = GraphConfig::new(base, Arc::new(StaticToken::new("t")));
    c.retry = RetryConfig::fast(6, Duration::from_millis(2));
    c
}

fn client(base: &str) -> GraphClient {
    GraphClient::new(config(base)).unwrap()
}

fn hits(server: &Bad) -> usize {
    server.hits.load(Ordering::SeqCst)
}

fn throttled(status: u16, retry_after: &str) -> axum::response::Response {
    axum::response::Response::builder()
        .status(status)
        .header("retry-after", retry_after)
        .header("request-id", "slow-rid")
        .body(axum::body::Body::from(
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        ))
        .unwrap()
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_ends_the_request_at_once() {
    for status in [429, 503] {
        let server = bad_server(handler(move |_, _, _| throttled(status, "999999"))).await;
        let e = client(&server.base)
            .list_all::<User>("/users")
            .await
            .unwrap_err();
        let ClientError::WaitTooLong { asked, limit, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((asked.as_secs(), limit.as_secs()), (999_999, 120));
        let text = e.to_string();
        assert!(text.starts_with("GET /v1.0/users"), "{text}");
        assert!(
            text.contains("Retry-After 999999 s") && text.contains("--max-retry-wait 120 s"),
            "{text}"
        );
        assert_eq!(hits(&server), 1, "no retry after a refused wait");
    }
}

#[tokio::test]
async fn an_http_date_retry_after_far_ahead_is_refused_too() {
    let server = bad_server(handler(|_, _, _| {
        throttled(429, "Fri, 31 Dec 9999 23:59:59 GMT")
    }))
    .await;
    let e = client(&server.base)
        .get_json::<User>("/users/a")
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::WaitTooLong { .. }), "{e:?}");
    assert_eq!(hits(&server), 1);
}

#[tokio::test]
async fn the_command_timeout_ends_a_wait_that_would_outlast_it() {
    // 100 s is within --max-retry-wait, but not within what is left of a 60 s command.
    let server = bad_server(handler(|_, _, _| throttled(503, "100"))).await;
    let mut c = config(&server.base);
    c.retry = RetryConfig::default();
    c.command_timeout = Some(Duration::from_secs(60));
    let e = GraphClient::new(c)
        .unwrap()
        .list_all::<User>("/users")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ClientError::TimedOut {
                ambiguous: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("--timeout of 60 s ran out"), "{e}");
    assert_eq!(hits(&server), 1);
}

#[tokio::test]
async fn a_listing_whose_next_links_never_end_is_refused() {
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let b = base.clone();
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = served.clone();
    // Every page is new (a different skiptoken), so the repeat check alone would never stop it.
    let server = bad_server(handler(move |_, _, _| {
        let n = s.fetch_add(1, Ordering::SeqCst);
        let link = format!("{}/users?$skiptoken={n}", b.get().unwrap());
        answer(
            200,
            &format!(r#"{{"value": [], "@odata.nextLink": "{link}"}}"#),
        )
    }))
    .await;
    base.set(server.base.clone()).unwrap();
    let mut c = config(&server.base);
    c.max_pages = 25;
    let e = GraphClient::new(c)
        .unwrap()
        .list_all::<User>("/users")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("past 25 pages"), "{e}");
    assert_eq!(hits(&server), 25, "the 26th page is never asked for");
}

#[tokio::test]
async fn a_page_of_a_hundred_thousand_empty_items_is_a_decode_error() {
    let body = format!(r#"{{"value": [{}{{}}]}}"#, "{},".repeat(99_999));
    let server = bad_server(handler(move |_, _, _| answer(200, &body))).await;
    let e = client(&server.base)
        .list_all::<UnifiedRoleDefinition>("/roleManagement/directory/roleDefinitions")
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("missing field `id`"), "{e}");
    assert_eq!(hits(&server), 1);
}

#[tokio::test]
async fn an_answer_of_fifty_megabytes_is_refused_announced_or_not() {
    const FIFTY_MB: usize = 50 << 20;
    let server = bad_server(handler(|_, pq, _| {
        let chunk = axum::body::Bytes::from(vec![b' '; 1 << 20]);
        if pq.ends_with("/announced") {
            return answer(200, &" ".repeat(FIFTY_MB));
        }
        // Chunked, no length: 50 chunks of 1 MB, produced only as they are read.
        let stream = futures_util::stream::iter(
            (0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        );
        axum::response::Response::builder()
            .status(200)
            .body(axum::body::Body::from_stream(stream))
            .unwrap()
    }))
    .await;
    let c = client(&server.base);
    for path in ["/announced", "/streamed"] {
        let e = c.get_json::<serde_json::Value>(path).await.unwrap_err();
        assert!(matches!(e, ClientError::Decode { .. }), "{path}: {e:?}");
        assert!(
            e.to_string().contains(&MAX_RESPONSE_BYTES.to_string()),
            "{path}: {e}"
        );
    }
    assert_eq!(c.stats().retries, 0);
}

#[test]
fn http_is_refused_for_any_host_but_loopback() {
    let make = |url: &str| GraphClient::new(GraphConfig::new(url, Arc::new(StaticToken::new("t"))));
    for ok in [
        "http://127.0.0.1:8080/v1.0",
        "http://localhost:8080/v1.0",
        "http://[::1]:8080/v1.0",
        "https://graph.microsoft.us/v1.0",
    ] {
        assert!(make(ok).is_ok(), "{ok}");
    }
    for clear in [
        "http://graph.microsoft.com/v1.0",
        "http://10.0.0.5:8080/v1.0",
        "http://localhost.evil.example/v1.0",
    ] {
        let e = make(clear).unwrap_err().to_string();
        assert!(
            e.contains("uses http") && e.contains("loopback"),
            "{clear}: {e}"
        );
    }
}

#[test]
fn a_graph_url_without_its_version_gets_a_suggestion_before_any_request() {
    let e = GraphClient::check_url("http://127.0.0.1:8080")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("did you mean 'http://127.0.0.1:8080/v1.0'?"),
        "{e}"
    );
    let e = GraphClient::check_url("https://graph.microsoft.com/")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("did you mean 'https://graph.microsoft.com/v1.0'?"),
        "{e}"
    );
    assert!(GraphClient::check_url("https://graph.microsoft.com/beta").is_ok());
}
