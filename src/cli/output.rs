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

/// `1.5 GiB`-style sizes for text output.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
