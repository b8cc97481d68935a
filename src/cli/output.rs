//! `--output text|json`: people read text on stdout, programs read one JSON document.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

/// `println!` for results on stdout. When the reader goes away (`ferry store list | head`), stop
/// quietly like any Unix filter instead of panicking. (SIGPIPE stays ignored, as Rust sets it:
/// restoring its default would kill the server and fetches whenever a peer hangs up.)
macro_rules! outln {
    () => { $crate::cli::output::write(format_args!(""), "\n") };
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*), "\n") };
}

/// `print!` with the same quiet exit on a closed stdout.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*), "") };
}

pub fn write(args: std::fmt::Arguments<'_>, end: &str) {
    let mut out = io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(end.as_bytes()));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            std::process::exit(1);
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// What `--output json` prints on stdout when a command fails (docs/json.md), so a program
/// reading stdout always gets one document; `error` is a string, as in the API's error bodies.
/// The same text still goes to stderr.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDocument {
    /// The error and its causes, as stderr shows them after `error: `.
    error: String,
    /// The process's exit code: 1 failure, 3 verification failed.
    exit_code: u8,
}

/// Passes `result` through; with `--output json`, a failure is also printed as an error document.
pub fn json_on_error<T>(output: OutputFormat, result: anyhow::Result<T>) -> anyhow::Result<T> {
    if let (OutputFormat::Json, Err(err)) = (output, &result) {
        print_json(&ErrorDocument {
            error: error_chain(err),
            exit_code: exit_status(err),
        })?;
    }
    result
}

/// The exit code for a failure: 3 if it is a verification failure, 1 otherwise.
pub fn exit_status(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<super::VerifyFailed>().is_some() {
        super::EXIT_VERIFY_FAILED
    } else {
        1
    }
}

/// The error and its causes, joined by ": ". Library errors often show their source in their own
/// message as well (`cannot write bundle X: No space left on device`); a cause the text already
/// ends with is not repeated.
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

pub use ferry_bundler::format::units::human_bytes;
