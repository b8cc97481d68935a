//! Command-line interface: argument parsing and dispatch. One file per command.

#[macro_use]
mod output;
mod appliance;
mod artifact_sizes;
mod audit;
mod build;
mod cluster_config;
mod copy;
mod discover;
mod import;
mod inspect;
mod keygen;
mod lock;
pub mod logging;
mod progress;
mod resolve_args;
mod rewrite;
mod serve;
mod store;
mod tls;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a failed signature or digest check, so scripts can tell tampering from other failures.
pub const EXIT_VERIFY_FAILED: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Carry a Kubernetes platform across an air gap"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text, env = "FERRY_LOG_FORMAT")]
    pub log_format: logging::LogFormat,
    /// More detail in logs (-v debug, -vv trace). FERRY_LOG overrides with a tracing filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a cosign-compatible ECDSA P-256 key pair (ferry.key, ferry.pub).
    Keygen(keygen::Args),
    /// List the images the profiles need and where each was found, without resolving them.
    Discover(discover::Args),
    /// Resolve every reference in the profiles and pin it to a digest in ferry.lock.
    Lock(lock::Args),
    /// Pull everything the profiles need and write one signed bundle.
    Build(build::Args),
    /// Show what a bundle carries: profiles, layers, artifacts, sizes, digests, provenance.
    Inspect(inspect::Args),
    /// Verify a bundle offline: the signature, then every blob's digest.
    Verify(verify::Args),
    /// Verify a bundle and import it into the mirror's store, atomically.
    Import(import::Args),
    /// Serve the store as an OCI registry.
    Serve(serve::Args),
    /// Push a bundle's or the store's content into an existing registry, digests kept.
    Copy(copy::Args),
    /// Inspect and maintain the mirror's store.
    #[command(subcommand)]
    Store(store::Command),
    /// Show and verify the store's tamper-evident audit log.
    #[command(subcommand)]
    Audit(audit::Command),
    /// Write the config files that make a container runtime pull through the mirror.
    ClusterConfig(cluster_config::Args),
    /// Point image references in Kubernetes YAML and Helm values at the mirror.
    Rewrite(rewrite::Args),
    /// Certificates for the mirror's HTTPS.
    #[command(subcommand)]
    Tls(tls::Command),
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Keygen(args) => keygen::run(args),
        Command::Discover(args) => discover::run(args).await,
        Command::Lock(args) => lock::run(args).await,
        Command::Build(args) => build::run(args).await,
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Import(args) => import::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Copy(args) => copy::run(args).await,
        Command::Store(cmd) => store::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::ClusterConfig(args) => cluster_config::run(args).await,
        Command::Rewrite(args) => rewrite::run(args),
        Command::Tls(cmd) => tls::run(cmd),
    }
}

/// Context marker for a verification failure (tampering, wrong key, corrupt blob):
/// `.context(VerifyFailed)` makes the process exit with [`EXIT_VERIFY_FAILED`].
#[derive(Debug)]
pub struct VerifyFailed;

impl std::fmt::Display for VerifyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("verification failed")
    }
}

pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    if err.downcast_ref::<VerifyFailed>().is_some() {
        ExitCode::from(EXIT_VERIFY_FAILED)
    } else {
        ExitCode::FAILURE
    }
}

/// The key password: FERRY_PASSWORD, else COSIGN_PASSWORD (cosign's own variable), else empty.
pub fn password() -> String {
    std::env::var("FERRY_PASSWORD")
        .or_else(|_| std::env::var("COSIGN_PASSWORD"))
        .unwrap_or_default()
}
