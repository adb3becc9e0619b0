use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match pimctl::cli::Cli::try_parse() {
        Ok(cli) => pimctl::cli::run(cli),
        // Help and version go to stdout with 0; usage errors exit 1, since 2 means "changes pending" or "drift".
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            ExitCode::from(code)
        }
    }
}
