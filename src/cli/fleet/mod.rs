//! `ferry fleet …`: the management instance, through a running appliance's `/api/v1/fleet/`.
//! One file per area; each parses its flags, calls the API through [`client`] and prints.

mod assign;
mod client;
mod clusters;
mod profiles;
mod query;
mod report;
mod rollout;
mod status;

use std::process::ExitCode;

use clap::Subcommand;

pub use client::Conn;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: Conn,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the appliance's OpenAPI document of /api/v1/.
    Openapi,
    /// List the profile versions in the catalog (current revision of each).
    Profiles,
    /// One profile version.
    #[command(subcommand)]
    Profile(profiles::ProfileCommand),
    /// What changes between two profile versions (optionally with a cluster's overrides).
    Diff(profiles::DiffArgs),
    /// Set the profile versions a cluster runs.
    Assign(assign::AssignArgs),
    /// Set or remove a layer's override for a cluster or a group.
    Override(assign::OverrideArgs),
    /// Set or remove profile variable values for a cluster or a group.
    Variables(assign::VariablesArgs),
    /// Copy a cluster's assignment, overrides and variables onto a cluster or group.
    Clone(assign::CloneArgs),
    /// Register, list, show, relabel and remove clusters.
    Cluster {
        #[command(subcommand)]
        command: clusters::ClusterCommand,
    },
    /// Groups: named label selectors.
    Group {
        #[command(subcommand)]
        command: clusters::GroupCommand,
    },
    /// Every cluster's state, or one cluster's layers and drift.
    Status(status::StatusArgs),
    /// Which clusters desire or run an image, are affected by a CVE list, run an old profile, or have pending updates.
    #[command(subcommand)]
    Query(query::QueryCommand),
    /// Reports carried by hand.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Roll a profile version out in waves with a health gate; pause, resume, abort, roll back.
    #[command(subcommand)]
    Rollout(rollout::Command),
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let api = args.conn.client()?;
    match args.command {
        Command::Openapi => {
            let doc: serde_json::Value = api.get("/api/v1/openapi.json").await?;
            if args.conn.json() {
                outln!("{}", serde_json::to_string(&doc)?);
            } else {
                outln!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Profiles => profiles::list(&api, &args.conn).await,
        Command::Profile(cmd) => profiles::show(&api, &args.conn, cmd).await,
        Command::Diff(a) => profiles::diff(&api, &args.conn, a).await,
        Command::Assign(a) => assign::assign(&api, &args.conn, a).await,
        Command::Override(a) => assign::override_values(&api, &args.conn, a).await,
        Command::Variables(a) => assign::variables(&api, &args.conn, a).await,
        Command::Clone(a) => assign::clone(&api, &args.conn, a).await,
        Command::Cluster { command } => clusters::run_cluster(&args.conn, command).await,
        Command::Group { command } => clusters::run_group(&args.conn, command).await,
        Command::Status(a) => status::run(&api, args.conn.json(), a).await,
        Command::Query(c) => query::run(&api, args.conn.json(), c).await,
        Command::Report(c) => report::run(&api, args.conn.json(), c).await,
        Command::Rollout(command) => rollout::run(&args.conn, command).await,
    }
}
