//! `ferry`: carry a Kubernetes platform across an air gap.
//!
//! The binary stays thin: it parses arguments, calls `ferry-bundler` and `ferry-mirror`, and
//! prints. Exit codes are part of the interface (docs/operations.md):
//! 0 success, 1 failure, 2 usage error, 3 verification failed (signature or digest).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::logging::init(args.log_format, args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args.command)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cli::error_chain(&err));
            cli::exit_code_for(&err)
        }
    }
}
