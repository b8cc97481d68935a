//! `ferry lock`: resolve every reference and pin it to a digest in ferry.lock.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::resolve_args::ResolveArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// Lock file to write.
    #[arg(long, default_value = "ferry.lock")]
    pub lockfile: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (lock, _) = args.resolve.relock(&args.lockfile).await?;
    lock.write(&args.lockfile)
        .with_context(|| format!("cannot write {}", args.lockfile.display()))?;
    // Blobs shared by artifacts are carried once; layers are compressed already, so the
    // bundle's zstd changes little: the distinct blobs' sizes are a fair estimate.
    let blobs: std::collections::BTreeMap<_, u64> = lock
        .artifacts
        .iter()
        .flat_map(|a| &a.blobs)
        .map(|b| (&b.digest, b.size))
        .collect();
    outln!(
        "{}: {} artifacts locked, {} blobs, bundle about {}",
        args.lockfile.display(),
        lock.artifacts.len(),
        blobs.len(),
        super::output::human_bytes(blobs.values().sum()),
    );
    Ok(ExitCode::SUCCESS)
}
