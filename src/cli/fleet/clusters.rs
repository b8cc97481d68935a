//! `ferry fleet cluster …` and `ferry fleet group …`: register, list, show, relabel and remove
//! clusters; define groups as label selectors. Names, labels and selectors are checked here
//! first, so a typo fails before anything is sent.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use ferry_mirror::fleet::clusters::{parse_label, Cluster, Group, Registered, Selector};
use serde_json::json;

use super::Conn;
use crate::cli::output::print_json;

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Register a cluster: prints its one-time credential and its bootstrap manifest.
    Add {
        /// DNS-1123 label: lower-case letters, digits and '-', at most 63.
        name: String,
        /// A label KEY=VALUE (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label_arg)]
        labels: Vec<(String, String)>,
        /// How often the agent reports: 60s, 5m, 1h (default 60s).
        #[arg(long, value_name = "DURATION", value_parser = parse_interval, default_value = "60s")]
        interval: i64,
        /// Write the credential line here (mode 0600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        credential_out: Option<PathBuf>,
        /// Write the bootstrap manifest here instead of printing it.
        #[arg(long, value_name = "FILE")]
        bootstrap_out: Option<PathBuf>,
    },
    /// Registered clusters.
    List {
        /// Include deregistered clusters.
        #[arg(long)]
        all: bool,
    },
    /// One cluster.
    Show {
        /// The cluster.
        name: String,
    },
    /// Deregister a cluster: its credential stops working; its history is kept.
    Remove {
        /// The cluster.
        name: String,
    },
    /// Replace a cluster's labels with the ones given (none: remove them all).
    Labels {
        /// The cluster.
        name: String,
        /// A label KEY=VALUE (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label_arg)]
        labels: Vec<(String, String)>,
    },
    /// Give a cluster a new credential (the old one stops working) and print it as `add` does.
    Rotate {
        /// The cluster.
        name: String,
        /// Write the credential line here (mode 0600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        credential_out: Option<PathBuf>,
        /// Write the bootstrap manifest here instead of printing it.
        #[arg(long, value_name = "FILE")]
        bootstrap_out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group or replace its selector.
    Set {
        /// The group: a DNS-1123 label.
        name: String,
        /// Comma-separated key=value, key!=value, key, !key.
        #[arg(long, value_parser = parse_selector_arg)]
        selector: String,
    },
    /// Groups with their members now.
    List,
    /// One group with its members now.
    Show {
        /// The group.
        name: String,
    },
}

fn parse_label_arg(s: &str) -> Result<(String, String), String> {
    parse_label(s).map_err(|e| e.to_string())
}

fn parse_selector_arg(s: &str) -> Result<String, String> {
    Selector::parse(s)
        .map(|sel| sel.to_string())
        .map_err(|e| e.to_string())
}

/// `60`, `60s`, `5m`, `1h` as seconds.
fn parse_interval(s: &str) -> Result<i64, String> {
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("interval {s:?}: expected a number with s, m or h"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("interval {s:?}: the unit must be s, m or h")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("interval {s:?} is too long"))
}

fn path_segment(name: &str) -> anyhow::Result<&str> {
    if !ferry_mirror::fleet::clusters::is_dns_label(name) {
        bail!("{name:?} is no valid cluster or group name: expected a DNS-1123 label");
    }
    Ok(name)
}

pub async fn run_cluster(conn: &Conn, command: ClusterCommand) -> anyhow::Result<ExitCode> {
    let api = conn.client()?;
    match command {
        ClusterCommand::Add {
            name,
            labels,
            interval,
            credential_out,
            bootstrap_out,
        } => {
            path_segment(&name)?;
            let labels: BTreeMap<String, String> = labels.into_iter().collect();
            let body = json!({"name": name, "labels": labels, "reportIntervalSeconds": interval});
            let r: Registered = api.post("/api/v1/fleet/clusters", &body).await?;
            show_registered(
                conn,
                &r,
                credential_out.as_deref(),
                bootstrap_out.as_deref(),
            )?;
        }
        ClusterCommand::List { all } => {
            let path = if all {
                "/api/v1/fleet/clusters?all=true"
            } else {
                "/api/v1/fleet/clusters"
            };
            let clusters: Vec<Cluster> = api.get(path).await?;
            if conn.json() {
                print_json(&clusters)?;
            } else {
                outln!("{:<24} {:<8} {:>8}  LABELS", "NAME", "STATE", "INTERVAL");
                for c in &clusters {
                    outln!(
                        "{:<24} {:<8} {:>7}s  {}",
                        c.name,
                        state(c),
                        c.report_interval_seconds,
                        labels_text(&c.labels)
                    );
                }
            }
        }
        ClusterCommand::Show { name } => {
            let c: Cluster = api
                .get(&format!("/api/v1/fleet/clusters/{}", path_segment(&name)?))
                .await?;
            print_cluster(conn, &c)?;
        }
        ClusterCommand::Remove { name } => {
            let c: Cluster = api
                .delete(&format!("/api/v1/fleet/clusters/{}", path_segment(&name)?))
                .await?;
            if conn.json() {
                print_json(&c)?;
            } else {
                outln!("deregistered cluster {} (its history is kept)", c.name);
            }
        }
        ClusterCommand::Labels { name, labels } => {
            let labels: BTreeMap<String, String> = labels.into_iter().collect();
            let c: Cluster = api
                .put(
                    &format!("/api/v1/fleet/clusters/{}/labels", path_segment(&name)?),
                    &json!({ "labels": labels }),
                )
                .await?;
            print_cluster(conn, &c)?;
        }
        ClusterCommand::Rotate {
            name,
            credential_out,
            bootstrap_out,
        } => {
            let r: Registered = api
                .post(
                    &format!("/api/v1/fleet/clusters/{}/credential", path_segment(&name)?),
                    &json!({}),
                )
                .await?;
            show_registered(
                conn,
                &r,
                credential_out.as_deref(),
                bootstrap_out.as_deref(),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_group(conn: &Conn, command: GroupCommand) -> anyhow::Result<ExitCode> {
    let api = conn.client()?;
    match command {
        GroupCommand::Set { name, selector } => {
            let g: Group = api
                .put(
                    &format!("/api/v1/fleet/groups/{}", path_segment(&name)?),
                    &json!({ "selector": selector }),
                )
                .await?;
            print_group(conn, &g)?;
        }
        GroupCommand::List => {
            let groups: Vec<Group> = api.get("/api/v1/fleet/groups").await?;
            if conn.json() {
                print_json(&groups)?;
            } else {
                outln!("{:<24} {:<40} MEMBERS", "NAME", "SELECTOR");
                for g in &groups {
                    outln!("{:<24} {:<40} {}", g.name, g.selector, g.members.join(","));
                }
            }
        }
        GroupCommand::Show { name } => {
            let g: Group = api
                .get(&format!("/api/v1/fleet/groups/{}", path_segment(&name)?))
                .await?;
            print_group(conn, &g)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn state(c: &Cluster) -> &'static str {
    if c.deregistered_at.is_some() {
        "removed"
    } else {
        "active"
    }
}

fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn print_cluster(conn: &Conn, c: &Cluster) -> anyhow::Result<()> {
    if conn.json() {
        return print_json(c);
    }
    outln!("name:            {}", c.name);
    outln!("state:           {}", state(c));
    outln!("labels:          {}", labels_text(&c.labels));
    outln!("report interval: {}s", c.report_interval_seconds);
    outln!("registered:      {}", rfc3339(c.registered_at));
    if let Some(at) = c.deregistered_at {
        outln!("deregistered:    {}", rfc3339(at));
    }
    Ok(())
}

fn print_group(conn: &Conn, g: &Group) -> anyhow::Result<()> {
    if conn.json() {
        return print_json(g);
    }
    outln!(
        "group {}: {} ({} members)",
        g.name,
        g.selector,
        g.members.len()
    );
    for m in &g.members {
        outln!("  {m}");
    }
    Ok(())
}

fn rfc3339(unix: i64) -> String {
    ferry_mirror::store::catalog::rfc3339(unix)
}

/// A new file only its owner reads: the credential opens the cluster's artifact.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn show_registered(
    conn: &Conn,
    r: &Registered,
    credential_out: Option<&Path>,
    bootstrap_out: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(path) = credential_out {
        write_private(path, &format!("{}\n", r.credential))?;
    }
    if let Some(path) = bootstrap_out {
        write_private(path, &r.bootstrap)?;
    }
    if conn.json() {
        return print_json(&json!({
            "cluster": r.cluster,
            // Not repeated on stdout when it went to a file.
            "credential": credential_out.is_none().then_some(&r.credential),
            "credentialFile": credential_out,
            "bootstrap": bootstrap_out.is_none().then_some(&r.bootstrap),
            "bootstrapFile": bootstrap_out,
        }));
    }
    outln!("registered cluster {}", r.cluster.name);
    match credential_out {
        Some(path) => outln!("credential written to {} (shown only once)", path.display()),
        None => outln!("credential (shown only once): {}", r.credential),
    }
    match bootstrap_out {
        Some(path) => outln!(
            "bootstrap manifest written to {}: kubectl apply -f {}",
            path.display(),
            path.display()
        ),
        None => {
            outln!("bootstrap manifest (kubectl apply -f -):");
            out!("{}", r.bootstrap);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("60s"), Ok(60));
        assert_eq!(parse_interval("90"), Ok(90));
        assert_eq!(parse_interval("5m"), Ok(300));
        assert_eq!(parse_interval("1h"), Ok(3600));
        for bad in ["", "s", "5d", "-1s", "1.5m"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_and_selectors_are_checked_before_sending() {
        assert_eq!(
            parse_label_arg("tier=prod"),
            Ok(("tier".into(), "prod".into()))
        );
        assert!(parse_label_arg("bad key=x").is_err());
        assert_eq!(
            parse_selector_arg("tier = prod, !legacy").unwrap(),
            "tier=prod,!legacy"
        );
        let e = parse_selector_arg("tier=prod,,x").unwrap_err();
        assert!(e.contains("at 11") && e.contains("empty term"), "{e}");
        assert!(path_segment("../admin").is_err());
    }
}
