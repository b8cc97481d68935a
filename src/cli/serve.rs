//! `ferry serve`: the store as an OCI registry, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_mirror::server::{serve, ServerConfig};

use super::appliance::ApplianceArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// Address to listen on (default 127.0.0.1:5000).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Allow push and delete for users in --htpasswd.
    #[arg(long)]
    pub push: bool,
    /// bcrypt htpasswd file of the users who may push and delete.
    #[arg(long)]
    pub htpasswd: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.appliance.config()?;
    let store = args.appliance.open_store(&config).await?;
    super::audit::record_config_change(&store, args.appliance.config.as_deref()).await?;
    let defaults = ServerConfig::default();
    let cfg = ServerConfig {
        listen: args.listen.or(config.listen).unwrap_or(defaults.listen),
        push: args.push || config.push.unwrap_or(false),
        htpasswd: args.htpasswd.or(config.htpasswd),
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(ferry_mirror::tls::TlsFiles { cert, key }),
            _ => config.tls,
        },
        ..defaults
    };
    tracing::info!(listen = %cfg.listen, push = cfg.push, tls = cfg.tls.is_some(), data = %store.root().display(), "serving");
    serve(store, &cfg, shutdown_signal())
        .await
        .context("the registry stopped")?;
    Ok(ExitCode::SUCCESS)
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
