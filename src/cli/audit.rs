//! `ferry audit`: show the store's tamper-evident audit log and verify its hash chain, and the
//! fleet's own chain when the fleet database is not the store's file (`--fleet-database`).

use std::process::ExitCode;

use anyhow::Context;
use ferry_mirror::audit::{self, Anchor, AuditEntry, AuditLog, ChainReport};
use serde::Serialize;

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
    /// The fleet's database when it is not the store's file (`postgres://user@host:port/db`;
    /// default: the configuration's `fleet.database`): its own audit chain is read too. Without
    /// one the fleet shares the store's file and chain.
    #[arg(long, env = "FERRY_FLEET_DATABASE", value_name = "URL")]
    pub fleet_database: Option<String>,
    /// The fleet chain's head written down earlier (HASH or SEQ:HASH), as `--expect-head`.
    #[arg(long)]
    pub expect_fleet_head: Option<Anchor>,
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
    /// The fleet's database when it is not the store's file (`postgres://user@host:port/db`;
    /// default: the configuration's `fleet.database`): its own audit chain is read too. Without
    /// one the fleet shares the store's file and chain.
    #[arg(long, env = "FERRY_FLEET_DATABASE", value_name = "URL")]
    pub fleet_database: Option<String>,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `verify --output json`: the store's report as before, plus the fleet's when it has its own.
#[derive(Serialize)]
struct VerifyOutput<'a> {
    #[serde(flatten)]
    store: &'a ChainReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet: Option<&'a ChainReport>,
}

/// `show --output json`: the store's log as before, plus the fleet's when it has its own.
#[derive(Serialize)]
struct ShowOutput<'a> {
    #[serde(flatten)]
    store: &'a AuditLog,
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet: Option<&'a AuditLog>,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Verify(args) => {
            let config = args.appliance.config()?;
            let store = args.appliance.open_store(&config).await?;
            let report = audit::verify(store.db(), args.expect_head.as_ref()).await?;
            let fleet_url = separate_fleet_database(&args.fleet_database, &config, &store);
            if fleet_url.is_none() && args.expect_fleet_head.is_some() {
                anyhow::bail!("--expect-fleet-head needs a fleet database of its own (--fleet-database or fleet.database)");
            }
            let fleet = match &fleet_url {
                Some(url) => {
                    let pool = audit::connect_any(url).await.with_context(|| {
                        format!("cannot open the fleet database {}", redacted(url))
                    })?;
                    let fleet = audit::verify_any(&pool, args.expect_fleet_head.as_ref())
                        .await
                        .with_context(|| {
                            format!("verifying the fleet audit log in {}", redacted(url))
                        })?;
                    pool.close().await;
                    Some(fleet)
                }
                None => None,
            };
            if args.output == OutputFormat::Json {
                print_json(&VerifyOutput {
                    store: &report,
                    fleet: fleet.as_ref(),
                })?;
            }
            for (what, r) in [
                ("audit log", Some(&report)),
                ("fleet audit log", fleet.as_ref()),
            ] {
                if let Some(t) = r.and_then(|r| r.tamper.as_ref()) {
                    return Err(anyhow::anyhow!(
                        "{what} tampered at entry {}: {}",
                        t.seq,
                        t.reason
                    )
                    .context(VerifyFailed));
                }
            }
            if args.output == OutputFormat::Text {
                for (what, r) in [
                    ("audit log", Some(&report)),
                    ("fleet audit log", fleet.as_ref()),
                ] {
                    match r.map(|r| (r, &r.head)) {
                        Some((r, Some(head))) => {
                            outln!("{what} ok: {} entries, head {head}", r.entries_checked)
                        }
                        Some((_, None)) => outln!("{what} ok: empty"),
                        None => {}
                    }
                }
            }
        }
        Command::Show(args) => {
            let config = args.appliance.config()?;
            let store = args.appliance.open_store(&config).await?;
            let log = AuditLog {
                entries: audit::list(store.db(), args.since.as_deref()).await?,
                head: audit::head(store.db()).await?,
            };
            let fleet = match &separate_fleet_database(&args.fleet_database, &config, &store) {
                Some(url) => {
                    let pool = audit::connect_any(url).await.with_context(|| {
                        format!("cannot open the fleet database {}", redacted(url))
                    })?;
                    let read = async {
                        Ok::<_, audit::AuditError>(AuditLog {
                            entries: audit::list_any(&pool, args.since.as_deref()).await?,
                            head: audit::head_any(&pool).await?,
                        })
                    };
                    let fleet = read.await.with_context(|| {
                        format!("reading the fleet audit log in {}", redacted(url))
                    })?;
                    pool.close().await;
                    Some(fleet)
                }
                None => None,
            };
            if args.output == OutputFormat::Json {
                print_json(&ShowOutput {
                    store: &log,
                    fleet: fleet.as_ref(),
                })?;
            } else {
                print_log(&log, "head");
                if let Some(fleet) = &fleet {
                    outln!("fleet audit log:");
                    print_log(fleet, "fleet head");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_log(log: &AuditLog, head_label: &str) {
    for e in &log.entries {
        print_entry(e);
    }
    match &log.head {
        Some(head) => outln!("{head_label} {head}"),
        None => outln!("{head_label} none (the audit log is empty)"),
    }
}

fn print_entry(e: &AuditEntry) {
    // Actor and subject can come from a client (a user name tried at login): escaped, so they
    // cannot fake lines or move the terminal's cursor.
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

/// The fleet database named by the flag (or env), else by the configuration, unless it is the
/// store's own file, whose chain `audit::verify` already walks.
fn separate_fleet_database(
    flag: &Option<String>,
    config: &ferry_mirror::config::ApplianceConfig,
    store: &ferry_mirror::store::Store,
) -> Option<String> {
    let url = flag.clone().or_else(|| config.fleet.database.clone())?;
    let path = url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    let own = store.root().join("ferry.db");
    let same_file = path.is_some_and(|p| {
        std::fs::canonicalize(p)
            .ok()
            .is_some_and(|p| Some(p) == std::fs::canonicalize(&own).ok())
    });
    (!same_file).then_some(url)
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            )
        }
        _ => url.to_owned(),
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redacted("postgres://fleet:s3cret@db:5432/fleet"),
            "postgres://fleet:***@db:5432/fleet"
        );
        assert_eq!(
            super::redacted("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::redacted("postgres://u:p@ss@db/x?a=b:c@d"),
            "postgres://u:***@db/x?a=b:c@d"
        );
        assert_eq!(
            super::redacted("sqlite:///a/ferry.db"),
            "sqlite:///a/ferry.db"
        );
    }
}
