//! Progress on stderr while the tenant is read: a spinner with the request count, on a terminal only.

use crate::graph::client::GraphClient;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// A running spinner; [`Spinner::finish`] clears its line.
pub struct Spinner {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    /// Starts a spinner for `what` when stderr is a terminal (and `NO_PROGRESS` is unset); otherwise does nothing.
    /// The first frame shows after a moment, so quick reads print nothing.
    pub fn start(what: &'static str, client: &GraphClient) -> Self {
        if !std::io::stderr().is_terminal() || std::env::var_os("NO_PROGRESS").is_some() {
            return Self { task: None };
        }
        let client = client.clone();
        let task = tokio::spawn(async move {
            const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
            tokio::time::sleep(Duration::from_millis(300)).await;
            for i in 0usize.. {
                let s = client.stats();
                eprint!(
                    "\r{} {what}: {} requests, {} pages \x1b[K",
                    FRAMES[i % FRAMES.len()],
                    s.requests,
                    s.pages
                );
                let _ = std::io::stderr().flush();
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
        });
        Self { task: Some(task) }
    }

    /// Stops the spinner and clears its line.
    pub fn finish(self) {
        if let Some(t) = self.task {
            t.abort();
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }
}
