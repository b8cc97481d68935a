//! `ferry fleet query image|affected|profile|pending`: which clusters desire or run what.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use ferry_agent::client::{encode, ApiClient};
use serde_json::{json, Value};

/// Clusters per page when a command reads a whole answer: the most a page holds.
pub const PAGE: usize = ferry_mirror::fleet::page::MAX_LIMIT;

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Which clusters desire and run an image (repository, repository:tag, repository@digest or a digest).
    Image {
        /// `REPOSITORY`, `REPOSITORY:TAG` or `REPOSITORY@sha256:…`.
        reference: String,
    },
    /// Which clusters a list of digests or references affects (one per line, `#` comments).
    Affected {
        /// A file of digests or references, one per line.
        #[arg(long)]
        digests: PathBuf,
    },
    /// Clusters assigned or given profile NAME below a version.
    Profile {
        /// The profile's name.
        name: String,
        /// Clusters on a version below this one (semver).
        #[arg(long)]
        below: String,
    },
    /// Clusters with a pending update.
    Pending,
}

pub async fn run(api: &ApiClient, json_out: bool, cmd: QueryCommand) -> anyhow::Result<ExitCode> {
    let doc: Value = match &cmd {
        QueryCommand::Image { reference } => {
            let path = format!("/api/v1/fleet/query/image?ref={}", encode(reference));
            api.get_all_pages(&path, PAGE).await?
        }
        QueryCommand::Affected { digests } => {
            let text = std::fs::read_to_string(digests)
                .with_context(|| format!("reading {}", digests.display()))?;
            let references = ferry_mirror::fleet::query::parse_list(&text);
            let body = json!({ "references": references });
            api.post_all_pages("/api/v1/fleet/query/affected", &body, PAGE)
                .await?
        }
        QueryCommand::Profile { name, below } => {
            api.get(&format!(
                "/api/v1/fleet/query/profile?name={}&below={}",
                encode(name),
                encode(below)
            ))
            .await?
        }
        QueryCommand::Pending => {
            api.get_all_pages("/api/v1/fleet/query/pending", PAGE)
                .await?
        }
    };
    if json_out {
        outln!("{}", serde_json::to_string(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    let s = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match cmd {
        QueryCommand::Image { .. } => {
            outln!("{}", s(&doc["query"]));
            for c in doc["clusters"].as_array().into_iter().flatten() {
                print_matches(&s(&c["cluster"]), c);
            }
        }
        QueryCommand::Affected { .. } => {
            for c in doc["clusters"].as_array().into_iter().flatten() {
                for m in c["matches"].as_array().into_iter().flatten() {
                    outln!("{}  {}", s(&c["cluster"]), s(&m["entry"]));
                    print_matches("", m);
                }
            }
            for u in doc["unmatched"].as_array().into_iter().flatten() {
                outln!("(no cluster)  {}", s(u));
            }
        }
        QueryCommand::Profile { .. } => {
            outln!("{:<24} {:<12} PUBLISHED", "CLUSTER", "ASSIGNED");
            for p in doc.as_array().into_iter().flatten() {
                outln!(
                    "{:<24} {:<12} {}",
                    s(&p["cluster"]),
                    s(&p["assigned"]),
                    s(&p["published"])
                );
            }
        }
        QueryCommand::Pending => {
            for p in doc["clusters"].as_array().into_iter().flatten() {
                for r in p["reasons"].as_array().into_iter().flatten() {
                    outln!("{:<24} {}", s(&p["cluster"]), s(r));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_matches(cluster: &str, m: &Value) {
    for d in m["desired"].as_array().into_iter().flatten() {
        outln!(
            "  {cluster:<22} desired  {}@{}",
            d["reference"].as_str().unwrap_or(""),
            d["digest"].as_str().unwrap_or("")
        );
    }
    for r in m["running"].as_array().into_iter().flatten() {
        outln!(
            "  {cluster:<22} running  {}/{} {} {}",
            r["namespace"].as_str().unwrap_or(""),
            r["pod"].as_str().unwrap_or(""),
            r["reference"].as_str().unwrap_or(""),
            r["digest"].as_str().unwrap_or("-")
        );
    }
}
