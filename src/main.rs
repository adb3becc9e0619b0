use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    pimctl::cli::run(pimctl::cli::Cli::parse())
}
