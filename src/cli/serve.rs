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
    /// Give USER a role: puller, pusher, operator or admin (repeatable; users without one are pullers).
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
    /// Fleet database: sqlite://PATH or postgres://USER@HOST:PORT/DB (default: the store's ferry.db).
    #[arg(long, value_name = "URL")]
    pub fleet_database: Option<String>,
    /// cosign-format key that signs clusters' desired state (password from FERRY_PASSWORD or
    /// COSIGN_PASSWORD); without one nothing is published.
    #[arg(long, value_name = "FILE")]
    pub fleet_key: Option<PathBuf>,
    /// HOST:PORT clusters reach this registry at (bootstrap manifests, artifact references).
    #[arg(long, value_name = "HOST:PORT", value_parser = ferry_mirror::config::parse_mirror_host)]
    pub fleet_mirror_host: Option<String>,
    /// PEM CA certificate clusters trust for the mirror (default: --tls-cert's chain, if given).
    #[arg(long, value_name = "FILE")]
    pub fleet_mirror_ca: Option<PathBuf>,
    /// A cluster is Offline after this many missed report intervals (default 3).
    #[arg(long, value_name = "N")]
    pub fleet_offline_after: Option<std::num::NonZeroU32>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.appliance.config()?;
    // Only a registry that takes pushes starts from an empty store.
    let store = match args.push || config.push.unwrap_or(false) {
        true => args.appliance.open_or_create_store(&config).await?,
        false => args.appliance.open_store(&config).await?,
    };
    let key_path = args.fleet_key.clone().or(config.fleet.key.clone());
    // A wrong password should fail before anything starts.
    let signer = key_path
        .as_deref()
        .map(super::password::load_key)
        .transpose()?;
    let defaults = ServerConfig::default();
    let cfg = ServerConfig {
        listen: args.listen.or(config.listen).unwrap_or(defaults.listen),
        push: args.push || config.push.unwrap_or(false),
        access: AccessConfig {
            htpasswd: args.htpasswd.clone().or(config.htpasswd.clone()),
            roles: config
                .roles
                .clone()
                .into_iter()
                .chain(args.roles.clone())
                .collect(),
            anonymous_pull: args.anonymous_pull || config.anonymous_pull.unwrap_or(false),
            ..defaults.access.clone()
        },
        tls: match (args.tls_cert.clone(), args.tls_key.clone()) {
            (Some(cert), Some(key)) => Some(ferry_mirror::tls::TlsFiles { cert, key }),
            _ => config.tls.clone(),
        },
        connections: config.connections.over(defaults.connections.clone()),
        ..defaults
    };
    let fleet = open_fleet(&args, &config, &cfg, &store, signer).await?;
    let cfg = ServerConfig {
        fleet: Some(fleet),
        ..cfg
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

/// The management instance: its database (by default the store's own), signing key and the
/// settings clusters see.
async fn open_fleet(
    args: &Args,
    config: &ferry_mirror::config::ApplianceConfig,
    cfg: &ServerConfig,
    store: &ferry_mirror::store::Store,
    signer: Option<ferry_bundler::sign::SigningKey>,
) -> anyhow::Result<ferry_mirror::fleet::Fleet> {
    use ferry_mirror::fleet::{Fleet, FleetDb, FleetSettings};
    let url = args
        .fleet_database
        .clone()
        .or(config.fleet.database.clone());
    let db = match &url {
        Some(url) => FleetDb::connect(url)
            .await
            .context("opening the fleet database")?,
        None => FleetDb::open_in_store(store.root())
            .await
            .context("opening the fleet tables in the store's database")?,
    };
    let mirror_host = match args
        .fleet_mirror_host
        .clone()
        .or(config.fleet.mirror_host.clone())
    {
        Some(h) => ferry_mirror::config::parse_mirror_host(&h).map_err(anyhow::Error::msg)?,
        None => {
            if cfg.listen.ip().is_unspecified() {
                tracing::warn!(listen = %cfg.listen, "no --fleet-mirror-host: bootstrap manifests name 127.0.0.1, which clusters cannot reach");
            }
            let ip = if cfg.listen.ip().is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                cfg.listen.ip()
            };
            SocketAddr::new(ip, cfg.listen.port()).to_string()
        }
    };
    let ca_file = args
        .fleet_mirror_ca
        .clone()
        .or(config.fleet.mirror_ca.clone())
        .or(cfg.tls.as_ref().map(|t| t.cert.clone()));
    let mirror_ca_pem = ca_file
        .map(|f| {
            std::fs::read_to_string(&f)
                .with_context(|| format!("reading the mirror's CA {}", f.display()))
        })
        .transpose()?;
    let defaults = FleetSettings::default();
    let offline_after_intervals = args
        .fleet_offline_after
        .or(config.fleet.offline_after_intervals)
        .map_or(defaults.offline_after_intervals, |n| n.get());
    Ok(Fleet {
        db,
        store: store.clone(),
        signer: signer.map(std::sync::Arc::new),
        settings: FleetSettings {
            mirror_host,
            mirror_ca_pem,
            offline_after_intervals,
        },
    })
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
