//! `ferry fleet report import FILE`: a report an agent wrote to a file (`ferry agent report
//! --out`), carried by hand and imported as an operator; its MAC proves the cluster wrote it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use ferry_agent::client::ApiClient;
use serde_json::Value;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Import a signed report file.
    Import {
        /// The signed report (`ferry agent report --out`).
        file: PathBuf,
    },
}

pub async fn run(api: &ApiClient, json: bool, cmd: ReportCommand) -> anyhow::Result<ExitCode> {
    let ReportCommand::Import { file } = cmd;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    // Checked here as the appliance checks it, so a wrong file fails before it is sent.
    let signed = ferry_mirror::fleet::reports::parse(&bytes)
        .with_context(|| format!("{} is not a signed report", file.display()))?;
    let got: Value = api.post("/api/v1/fleet/reports/import", &signed).await?;
    if json {
        outln!("{}", serde_json::to_string(&got)?);
    } else {
        outln!(
            "{} sequence {}: {}",
            got["cluster"].as_str().unwrap_or(""),
            got["sequence"],
            got["outcome"].as_str().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}
