//! `pimctl schema`.
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    println!("{}", crate::language::json_schema_string());
    ExitCode::SUCCESS
}
