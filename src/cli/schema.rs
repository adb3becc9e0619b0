//! `pimctl schema`: the JSON Schema of the policy language, generated from the same types the loader decodes.
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    let mut text = crate::language::json_schema_string();
    text.push('\n');
    match super::write_stdout(&text) {
        Ok(()) => ExitCode::SUCCESS,
        // 1, as for every command that has no "problems found" (validate and lint keep 2 for a failure).
        Err(_) => ExitCode::from(super::plan::EXIT_ERROR),
    }
}
