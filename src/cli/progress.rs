//! Progress on stderr while the tenant is read: a spinner with the request count, on a terminal only.

use crate::graph::client::{ArmClient, GraphClient};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// A running spinner; [`Spinner::finish`] clears its line.
pub struct Spinner {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    /// Starts a spinner for `what` when stderr is a terminal (and `NO_PROGRESS` is unset); otherwise does nothing.
    /// The first frame shows after a moment, so quick reads print nothing. The count is Graph's requests and, when
    /// ARM is read beside it, ARM's.
    pub fn start(what: &'static str, client: &GraphClient, arm: Option<&ArmClient>) -> Self {
        if !std::io::stderr().is_terminal() || std::env::var_os("NO_PROGRESS").is_some() {
            return Self { task: None };
        }
        let client = client.clone();
        let arm = arm.cloned();
        let task = tokio::spawn(async move {
            const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
            tokio::time::sleep(Duration::from_millis(300)).await;
            for i in 0usize.. {
                let mut s = client.stats();
                if let Some(a) = &arm {
                    let a = a.stats();
                    (s.requests, s.pages) = (s.requests + a.requests, s.pages + a.pages);
                }
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

/// A progress bar under the lines of an apply: changes done of the total, failures, and the requests sent. Drawn on
/// stderr only when it is a terminal (and `NO_PROGRESS` is unset); otherwise the lines alone are printed, plainly.
pub struct ChangeBar {
    bar: Option<indicatif::ProgressBar>,
    client: GraphClient,
    /// Without a terminal: the next change (by plan index) to print, and the lines of later changes that finished
    /// first (roles are applied concurrently), so a log reads in the plan's order.
    pending: std::sync::Mutex<(usize, std::collections::BTreeMap<usize, String>)>,
}

impl ChangeBar {
    pub fn start(total: usize, client: &GraphClient) -> Self {
        let client = client.clone();
        if !std::io::stderr().is_terminal() || std::env::var_os("NO_PROGRESS").is_some() {
            return Self {
                bar: None,
                client,
                pending: Default::default(),
            };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} changes  {msg}  {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar: Some(bar),
            client,
            pending: Default::default(),
        }
    }

    /// Prints a finished change's line on stdout, above the bar, and advances the bar. Without a terminal the lines
    /// come out in the plan's order: change `index`'s waits for the changes before it.
    pub fn line(&self, index: usize, line: &str, failed: usize) {
        match &self.bar {
            Some(bar) => {
                bar.suspend(|| {
                    let _ = super::write_stdout(&format!("{line}\n"));
                });
                bar.inc(1);
                let sent = self.client.stats().requests;
                bar.set_message(if failed > 0 {
                    format!("{sent} requests, {failed} failed")
                } else {
                    format!("{sent} requests")
                });
            }
            None => {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                let (next, waiting) = &mut *pending;
                waiting.insert(index, line.to_string());
                while let Some(l) = waiting.remove(next) {
                    let _ = super::write_stdout(&format!("{l}\n"));
                    *next += 1;
                }
            }
        }
    }

    /// Removes the bar; the lines stay. Lines still waiting (a change before them never reported) are printed, in
    /// order.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for l in std::mem::take(&mut pending.1).into_values() {
            let _ = super::write_stdout(&format!("{l}\n"));
        }
    }
}
