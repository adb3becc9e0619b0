use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match pimctl::cli::Cli::try_parse() {
        Ok(cli) => pimctl::cli::run(cli),
        // Help and version go to stdout with 0. A usage error exits 1 where 2 means "changes pending" or "drift"
        // (plan, drift, apply, ...), and 2 where 1 means "problems found" (validate, lint): it is never read as a
        // result.
        Err(e) => {
            let code = if !e.use_stderr() {
                0
            } else if pimctl::cli::usage_error_is_tool_failure(std::env::args().skip(1)) {
                pimctl::cli::EXIT_TOOL_FAILURE
            } else {
                1
            };
            let _ = e.print();
            ExitCode::from(code)
        }
    }
}
