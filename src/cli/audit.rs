//! `ferry audit`: show the store's tamper-evident audit log and verify its hash chain.

use std::process::ExitCode;

use ferry_mirror::audit::{self, Anchor};

use super::appliance::ApplianceArgs;
use super::output::{print_json, OutputFormat};
use super::VerifyFailed;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Re-derive every entry's hash; exits 3 naming the first edited, removed, inserted or moved entry.
    Verify(VerifyArgs),
    /// Entries, oldest first, then the head (SEQ:HASH) to write down for `verify --expect-head`.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// A head written down earlier (HASH or SEQ:HASH, as `ferry audit show` prints it): it must
    /// still be in the log, which catches entries cut off the end.
    #[arg(long)]
    pub expect_head: Option<Anchor>,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// Only entries at or after this time (RFC 3339 UTC, e.g. 2026-01-31T00:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Verify(args) => {
            let config = args.appliance.config()?;
            let store = args.appliance.open_store(&config).await?;
            let report = audit::verify(store.db(), args.expect_head.as_ref()).await?;
            if args.output == OutputFormat::Json {
                print_json(&report)?;
            }
            if let Some(t) = &report.tamper {
                return Err(
                    anyhow::anyhow!("audit log tampered at entry {}: {}", t.seq, t.reason)
                        .context(VerifyFailed),
                );
            }
            if args.output == OutputFormat::Text {
                match &report.head {
                    Some(head) => outln!(
                        "audit log ok: {} entries, head {head}",
                        report.entries_checked
                    ),
                    None => outln!("audit log ok: empty"),
                }
            }
        }
        Command::Show(args) => {
            let config = args.appliance.config()?;
            let store = args.appliance.open_store(&config).await?;
            let entries = audit::list(store.db(), args.since.as_deref()).await?;
            let head = audit::head(store.db()).await?;
            if args.output == OutputFormat::Json {
                print_json(&audit::AuditLog { entries, head })?;
            } else {
                for e in &entries {
                    // Actor and subject can come from a client (a user name tried at login):
                    // escaped, so they cannot fake lines or move the terminal's cursor.
                    outln!(
                        "{:>6} {} {:<12} {:<16} {} {}",
                        e.seq,
                        e.at,
                        e.actor.escape_debug().to_string(),
                        e.action,
                        e.subject.escape_debug(),
                        e.detail
                    );
                }
                match head {
                    Some(head) => outln!("head {head}"),
                    None => outln!("head none (the audit log is empty)"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ferry serve` start: records the configuration file's sha256 and, if it changed since the last
/// start, a `config.changed` entry.
pub async fn record_config_change(
    store: &ferry_mirror::store::Store,
    config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(path) = config {
        if let Some(change) = audit::record_config(store.db(), path, &audit::local_actor()).await? {
            tracing::info!(config = %path.display(), old = ?change.old, new = %change.new, "configuration changed; recorded in the audit log");
        }
    }
    Ok(())
}
