//! `ferry build`: pull everything the profiles need and write one signed bundle.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_bundler::net::{check_locked, FetchOptions, Lock};
use ferry_bundler::pipeline::{self, BuildOptions};
use ferry_bundler::sign::SigningKey;
use ferry_bundler::writer::Compression;

use super::output::human_bytes;
use super::progress::Reporter;
use super::resolve_args::ResolveArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// Lock file: written (or refreshed) before the build, read with --locked.
    #[arg(long, default_value = "ferry.lock")]
    pub lockfile: PathBuf,
    /// Refuse to build if anything resolves differently from the lock file.
    #[arg(long)]
    pub locked: bool,
    /// cosign-format private key to sign with (password from FERRY_PASSWORD or COSIGN_PASSWORD).
    /// Without it the bundle is unsigned, and an enclave only imports it with --insecure-skip-signature.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Bundle file to write.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// none, zstd or zstd:LEVEL.
    #[arg(long, default_value = "zstd")]
    pub compression: Compression,
}

/// The signing key, loaded first: a wrong password should fail before minutes of downloading.
/// Called before the build's signal handling starts, so Ctrl-C at the password prompt ends
/// the process the ordinary way, with the terminal's echo restored.
pub fn load_key(args: &Args) -> anyhow::Result<Option<SigningKey>> {
    Ok(match &args.key {
        Some(path) => Some(super::password::load_key(path)?),
        None => {
            tracing::warn!("no --key given: writing an unsigned bundle");
            None
        }
    })
}

pub async fn run(args: Args, key: Option<SigningKey>) -> anyhow::Result<ExitCode> {
    let (lock, profiles) = if args.locked {
        let locked = Lock::read(&args.lockfile)
            .with_context(|| format!("--locked needs {}", args.lockfile.display()))?;
        let (fresh, profiles) = args.resolve.relock(&args.lockfile).await?;
        check_locked(&locked, &fresh.artifacts)?;
        (locked, profiles)
    } else {
        let (lock, profiles) = args.resolve.relock(&args.lockfile).await?;
        lock.write(&args.lockfile)
            .with_context(|| format!("cannot write {}", args.lockfile.display()))?;
        (lock, profiles)
    };
    let resolver = args.resolve.resolver()?;
    let reporter = Reporter::default();
    let progress = |p: ferry_bundler::net::Progress<'_>| reporter.report(p);
    let options = BuildOptions {
        out: &args.out,
        compression: args.compression,
        key: key.as_ref(),
        fetch: FetchOptions {
            concurrency: args.resolve.concurrency,
            ..Default::default()
        },
    };
    let report = pipeline::build(&profiles, &lock, &resolver, options, &progress)
        .await
        .with_context(|| format!("cannot build {}", args.out.display()))?;
    reporter.finish();
    outln!(
        "{}: {} artifacts, {} blobs, {} ({} blobs fetched, {}; {} from cache)",
        args.out.display(),
        report.artifacts,
        report.blobs,
        human_bytes(report.written.size),
        report.fetch.new_blobs,
        human_bytes(report.fetch.new_bytes),
        report.fetch.cached_blobs,
    );
    outln!("bundle sha256:{}", report.written.sha256.hex());
    outln!("manifest {}", report.manifest_digest);
    Ok(ExitCode::SUCCESS)
}
