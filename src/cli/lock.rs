//! `ferry lock`: resolve every reference and pin it to a digest in ferry.lock.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use ferry_bundler::net::Lock;
use ferry_bundler::pipeline;

use super::progress::Reporter;
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
    let (lock, _) = relock(&args.resolve, &args.lockfile).await?;
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

/// Resolves the profiles afresh. The new lock keeps the old one's `created` when nothing
/// changed, which is what keeps rebuilds byte-identical.
pub async fn relock(
    args: &ResolveArgs,
    lockfile: &std::path::Path,
) -> anyhow::Result<(Lock, Vec<ferry_bundler::profile::Profile>)> {
    let profiles = args.load_profiles()?;
    let resolver = args.resolver()?;
    let reporter = Reporter::default();
    let progress = |p: ferry_bundler::net::Progress| reporter.update(p.phase, p.done, p.total);
    let resolution = pipeline::resolve(&profiles, &args.platforms, &resolver, &progress)
        .await
        .with_context(|| format!("cannot resolve the profiles in {}", args.profiles.display()))?;
    reporter.finish();
    for w in &resolution.warnings {
        tracing::warn!("{w}");
    }
    let previous = match lockfile.exists() {
        true => Some(Lock::read(lockfile)?),
        false => None,
    };
    Ok((
        Lock::relock(previous.as_ref(), resolution.artifacts, SystemTime::now()),
        profiles,
    ))
}
