//! Flags shared by the commands that resolve profiles (discover, lock, build).

use std::path::{Path, PathBuf};

use anyhow::Context;
use ferry_bundler::net::{BlobCache, Lock, RegistryOptions, ResolveOptions, Resolver};
use ferry_bundler::pipeline;
use ferry_bundler::profile::{load_dir, Profile};

use super::progress::Reporter;

#[derive(Debug, Clone, clap::Args)]
pub struct ResolveArgs {
    /// Directory of profile files (*.yaml).
    #[arg(short, long = "profiles", default_value = "profiles")]
    pub profiles: PathBuf,
    /// Platforms to carry where a profile does not say (repeatable), e.g. linux/amd64.
    #[arg(long = "platform")]
    pub platforms: Vec<String>,
    /// Fetch HOST's images from LOCATION instead (repeatable): HOST=REGISTRY[/PREFIX], e.g.
    /// docker.io=cache.internal:5000/docker.io. Names in the bundle stay upstream's.
    #[arg(long = "upstream-mirror", value_name = "HOST=LOCATION")]
    pub upstream_mirrors: Vec<String>,
    /// Registries spoken to over plain HTTP besides loopback ones (repeatable).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure: Vec<String>,
    /// Skip cosign signatures, attestations and referrers.
    #[arg(long)]
    pub no_attached: bool,
    /// Content-addressed download cache, reused across runs.
    #[arg(long, default_value = ".ferry-cache")]
    pub cache: PathBuf,
    /// Registry and HTTP transfers at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

impl ResolveArgs {
    pub fn load_profiles(&self) -> anyhow::Result<Vec<Profile>> {
        let profiles = load_dir(&self.profiles)
            .with_context(|| format!("cannot load profiles from {}", self.profiles.display()))?;
        anyhow::ensure!(
            !profiles.is_empty(),
            "no profiles (*.yaml) in {}",
            self.profiles.display()
        );
        Ok(profiles)
    }

    /// Resolves the profiles afresh (the library's `pipeline::relock`), with the CLI's progress
    /// and warnings. `lockfile`, when it exists, is the previous lock.
    pub async fn relock(&self, lockfile: &Path) -> anyhow::Result<(Lock, Vec<Profile>)> {
        let profiles = self.load_profiles()?;
        let resolver = self.resolver()?;
        let previous = match lockfile.exists() {
            true => Some(Lock::read(lockfile)?),
            false => None,
        };
        let reporter = Reporter::default();
        let progress = |p: ferry_bundler::net::Progress<'_>| reporter.report(p);
        let (lock, warnings) = pipeline::relock(
            &profiles,
            &self.platforms,
            &resolver,
            previous.as_ref(),
            &progress,
        )
        .await
        .with_context(|| format!("cannot resolve the profiles in {}", self.profiles.display()))?;
        reporter.finish();
        for w in &warnings {
            tracing::warn!("{w}");
        }
        Ok((lock, profiles))
    }

    pub fn resolver(&self) -> anyhow::Result<Resolver> {
        let mut mirrors = Vec::new();
        for m in &self.upstream_mirrors {
            let (host, location) = m
                .split_once('=')
                .with_context(|| format!("--upstream-mirror {m:?} is not HOST=LOCATION"))?;
            mirrors.push((host.to_owned(), location.to_owned()));
        }
        let cache = BlobCache::open(&self.cache)
            .with_context(|| format!("cannot open the cache at {}", self.cache.display()))?;
        let registry = RegistryOptions {
            insecure: self.insecure.clone(),
            mirrors,
            ..Default::default()
        };
        let options = ResolveOptions {
            attached: !self.no_attached,
            concurrency: self.concurrency,
        };
        Ok(Resolver::new(registry, cache, options))
    }
}
