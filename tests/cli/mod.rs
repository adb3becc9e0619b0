//! Shared by the tests that run the pimctl binary: a command whose environment cannot leak into results, and its
//! output as text.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// `pimctl` with no colour, no progress, no Graph URL, clock or log level taken from the developer's shell, and no
/// terminal on stdin (so apply never waits for a confirmation).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pimctl"));
    c.env("NO_COLOR", "1")
        .env("NO_PROGRESS", "1")
        .env_remove("PIMCTL_GRAPH_URL")
        .env_remove("PIMCTL_NOW")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

/// Runs `pimctl ARGS` to the end.
pub fn pimctl(args: &[&str]) -> Output {
    command().args(args).output().expect("pimctl runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout then stderr.
pub fn out(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}
