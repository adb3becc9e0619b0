//! A local server that answers badly on purpose: every request goes to a handler that builds the answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub type Handler = Arc<dyn Fn(&str, &str, &[u8]) -> axum::response::Response + Send + Sync>;

pub fn handler<F>(f: F) -> Handler
where
    F: Fn(&str, &str, &[u8]) -> axum::response::Response + Send + Sync + 'static,
{
    Arc::new(f)
}

pub struct Bad {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
}

/// Serves `handler(method, path_and_query, body)` under `/v1.0`.
pub async fn bad_server(handler: Handler) -> Bad {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let (h, f, m) = (hits.clone(), in_flight.clone(), max_in_flight.clone());
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (handler, hits, in_flight, max) = (handler.clone(), h.clone(), f.clone(), m.clone());
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            hits.fetch_add(1, Ordering::SeqCst);
            let method = req.method().to_string();
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            // Overlap concurrent requests, so that the concurrency bound is exercised.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let r = handler(&method, &pq, &body);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            r
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Bad {
        base: format!("http://{addr}/v1.0"),
        hits,
        max_in_flight,
    }
}

pub fn answer(status: u16, body: &str) -> axum::response::Response {
    axum::response::Response::builder()
        .status(status)
        .header("request-id", "bad-server-rid")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap()
}
