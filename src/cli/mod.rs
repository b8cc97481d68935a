//! Command-line interface: argument parsing and dispatch. One file per command.

#[macro_use]
mod output;
mod agent;
mod appliance;
mod artifact_sizes;
mod audit;
mod build;
mod cluster_config;
mod copy;
mod discover;
mod docs;
mod fleet;
mod import;
mod inspect;
mod keygen;
mod lock;
pub mod logging;
mod password;
mod progress;
mod resolve_args;
mod rewrite;
mod serve;
mod store;
mod tls;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::error_chain;

/// Exit code for a failed signature or digest check, so scripts can tell tampering from other failures.
pub const EXIT_VERIFY_FAILED: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("FERRY_COMMIT"), ")"),
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
    /// The management instance: profile versions, clusters, desired state, rollouts, queries.
    Fleet(fleet::Args),
    /// In a cluster: report what runs there to the appliance every interval (or to a file).
    Agent(agent::Args),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completion(docs::CompletionArgs),
    /// Write the man pages (ferry.1, one ferry-COMMAND.1 per command).
    Man(docs::ManArgs),
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Keygen(args) => keygen::run(args),
        Command::Discover(args) => discover::run(args).await,
        Command::Lock(args) => interruptible(lock::run(args)).await,
        Command::Build(args) => {
            let key = build::load_key(&args)?;
            interruptible(build::run(args, key)).await
        }
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
        Command::Fleet(args) => fleet::run(args).await,
        Command::Agent(args) => agent::run(args).await,
        Command::Completion(args) => docs::completion(args),
        Command::Man(args) => docs::man(args),
    }
}

/// Runs a command that writes temp files (the partial bundle, the cache's downloads). On SIGINT
/// or SIGTERM it removes them and exits 130 or 143, as a shell reports those signals. The build
/// blocks its thread while it writes, so the signals are awaited by a task of their own.
async fn interruptible(
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    use tokio::signal::unix::{signal, SignalKind};
    // Registered before the command starts, so no signal in between kills the process outright.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let watcher = tokio::spawn(async move {
        let (name, code) = tokio::select! {
            _ = interrupt.recv() => ("SIGINT", 130),
            _ = terminate.recv() => ("SIGTERM", 143),
        };
        let removed = ferry_bundler::writer::temp_files::remove_all_for_exit();
        eprintln!("error: interrupted by {name}; removed {removed} temp files");
        std::process::exit(code);
    });
    let result = command.await;
    watcher.abort();
    result
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
    ExitCode::from(output::exit_status(err))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every argument of every command explains itself in `--help` (and so in the man page).
    #[test]
    fn every_flag_has_help_text() {
        let mut missing = Vec::new();
        let mut todo = vec![(String::from("ferry"), super::Cli::command())];
        while let Some((path, cmd)) = todo.pop() {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                todo.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
