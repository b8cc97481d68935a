//! `ferry serve`: the store as an OCI registry, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_mirror::server::{check_access, serve, AccessConfig, Role, ServerConfig};

use super::appliance::ApplianceArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// Address to listen on: IP:PORT, HOST:PORT or :PORT for every interface (default 127.0.0.1:5000).
    #[arg(long, value_parser = ferry_mirror::config::parse_listen)]
    pub listen: Option<SocketAddr>,
    /// Allow push (pushers and admins) and delete (admins).
    #[arg(long)]
    pub push: bool,
    /// bcrypt htpasswd file of the users (`htpasswd -B`).
    #[arg(long)]
    pub htpasswd: Option<PathBuf>,
    /// Give USER a role: puller, pusher or admin (repeatable; users without one are pullers).
    #[arg(long = "role", value_name = "USER=ROLE", value_parser = parse_role)]
    pub roles: Vec<(String, Role)>,
    /// Let clients without credentials pull (off by default).
    #[arg(long)]
    pub anonymous_pull: bool,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.appliance.config()?;
    // Only a registry that takes pushes starts from an empty store.
    let store = match args.push || config.push.unwrap_or(false) {
        true => args.appliance.open_or_create_store(&config).await?,
        false => args.appliance.open_store(&config).await?,
    };
    let defaults = ServerConfig::default();
    let cfg = ServerConfig {
        listen: args.listen.or(config.listen).unwrap_or(defaults.listen),
        push: args.push || config.push.unwrap_or(false),
        access: AccessConfig {
            htpasswd: args.htpasswd.or(config.htpasswd),
            roles: config.roles.into_iter().chain(args.roles).collect(),
            anonymous_pull: args.anonymous_pull || config.anonymous_pull.unwrap_or(false),
            ..defaults.access.clone()
        },
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(ferry_mirror::tls::TlsFiles { cert, key }),
            _ => config.tls,
        },
        connections: config.connections.over(defaults.connections.clone()),
        ..defaults
    };
    // Refuse a configuration nobody could use before it is recorded as the new one.
    check_access(&cfg).context("the access configuration is unusable")?;
    super::audit::record_config_change(&store, args.appliance.config.as_deref()).await?;
    tracing::info!(listen = %cfg.listen, push = cfg.push, tls = cfg.tls.is_some(), anonymous_pull = cfg.access.anonymous_pull, data = %store.root().display(), "serving");
    serve(store, &cfg, shutdown_signal())
        .await
        .context("the registry stopped")?;
    Ok(ExitCode::SUCCESS)
}

fn parse_role(s: &str) -> Result<(String, Role), String> {
    let (user, role) = s
        .split_once('=')
        .ok_or_else(|| format!("expected USER=ROLE, got {s:?}"))?;
    if user.is_empty() {
        return Err(format!("no user name in {s:?}"));
    }
    Ok((user.to_owned(), role.parse()?))
}

/// Resolves on SIGINT or SIGTERM; in-flight downloads then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
