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
    let (blobs, size) = lock.distinct_blobs();
    outln!(
        "{}: {} artifacts locked, {} blobs, bundle about {}",
        args.lockfile.display(),
        lock.artifacts.len(),
        blobs,
        super::output::human_bytes(size),
    );
    Ok(ExitCode::SUCCESS)
}
