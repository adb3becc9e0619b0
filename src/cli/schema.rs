//! `pimctl schema`: the JSON Schema of the policy language, generated from the same types the loader decodes.
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    let mut text = crate::language::json_schema_string();
    text.push('\n');
    match super::write_stdout(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
