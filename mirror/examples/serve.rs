//! Serves a store as a registry until Ctrl-C; stands in for `ferry serve` in scripts/bench-serve.
//!
//! usage: serve <data-dir> <listen-addr> [htpasswd-file]
//!
//! Pulls are anonymous. An htpasswd file enables push, and every user in it is a pusher.

use std::net::SocketAddr;
use std::path::PathBuf;

use ferry_mirror::server::{serve, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber_init();
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(listen)) = (args.next(), args.next()) else {
        eprintln!("usage: serve <data-dir> <listen-addr> [htpasswd-file]");
        std::process::exit(2);
    };
    let htpasswd = args.next().map(PathBuf::from);
    let mut roles = std::collections::BTreeMap::new();
    if let Some(file) = &htpasswd {
        for line in std::fs::read_to_string(file)?.lines() {
            if let Some((user, _)) = line.split_once(':') {
                roles.insert(user.to_owned(), Role::Pusher);
            }
        }
    }
    let cfg = ServerConfig {
        listen: listen.parse::<SocketAddr>()?,
        push: htpasswd.is_some(),
        access: AccessConfig {
            htpasswd,
            roles,
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let store = Store::open(&data).await?;
    serve(store, &cfg, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// Logs (including the access log) only when `FERRY_LOG` asks, e.g. `FERRY_LOG=info`: the
/// benchmark measures serving, not logging.
fn tracing_subscriber_init() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}
