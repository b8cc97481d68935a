//! Log setup: human-readable lines by default, JSON for log shippers.

use std::io;

use clap::ValueEnum;
use indicatif::MultiProgress;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use super::progress;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Logs go to stderr so that stdout stays clean for `--output json`, and above the progress
/// bars so that a line never lands between them.
pub fn init(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(AboveBars(progress::multi().clone()))
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        );
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A `MakeWriter` whose records are printed through the bars' `MultiProgress`.
pub struct AboveBars(pub MultiProgress);

impl<'a> MakeWriter<'a> for AboveBars {
    type Writer = Record<'a>;

    fn make_writer(&'a self) -> Record<'a> {
        Record {
            multi: &self.0,
            bytes: Vec::new(),
        }
    }
}

/// One log record, collected whole and printed when the formatter is done with it.
pub struct Record<'a> {
    multi: &'a MultiProgress,
    bytes: Vec<u8>,
}

impl io::Write for Record<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        if !self.bytes.is_empty() {
            progress::log_line(self.multi, &self.bytes);
        }
    }
}
