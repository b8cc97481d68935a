//! The build pipeline: profiles -> requests -> resolved, locked artifacts -> fetched blobs ->
//! one signed bundle. Each step is a library call the CLI strings together.

mod arrival;
mod assemble;
mod definition;
mod pack_files;
mod plan;

use std::path::{Path, PathBuf};

pub use crate::net::package::{package_dir, package_source, PackageError};
pub use assemble::{assemble, Assembled};
pub use definition::definitions;
pub use plan::{plan, ImageOrigin, Plan, PlannedChart};

use crate::discover::{self, Warning};
use crate::format::{layout::media, ArtifactKind};
use crate::net::{
    FetchOptions, FetchReport, Lock, NetError, ProgressFn, Request, ResolvedArtifact, Resolver,
    Unresolved,
};
use crate::profile::Profile;
use crate::sign::{SignError, SigningKey};
use crate::writer::{write_bundle, Compression, WriteError, WriteSummary};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{path}: {message}")]
    Profile { path: PathBuf, message: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("the bundle writer stopped unexpectedly: {0}")]
    Join(String),
}

/// What the profiles resolve to: every artifact pinned, plus what discovery could not resolve.
pub struct Resolution {
    pub artifacts: Vec<ResolvedArtifact>,
    pub warnings: Vec<Warning>,
}

/// Discovers every image the profiles need. Charts and packs are resolved (and so fetched into
/// the cache) first, because their images can only be read from their content.
pub async fn discover_images(
    profiles: &[Profile],
    default_platforms: &[String],
    resolver: &Resolver,
    progress: ProgressFn<'_>,
) -> Result<(Plan, Vec<ResolvedArtifact>), PipelineError> {
    let (plan, content, failures) =
        discover_content(profiles, default_platforms, resolver, progress).await?;
    match failures.is_empty() {
        true => Ok((plan, content)),
        false => Err(NetError::Unresolved(failures).into()),
    }
}

/// [`discover_images`], with the charts and packs that did not resolve set aside so a caller
/// can report them together with everything else that fails.
async fn discover_content(
    profiles: &[Profile],
    default_platforms: &[String],
    resolver: &Resolver,
    progress: ProgressFn<'_>,
) -> Result<(Plan, Vec<ResolvedArtifact>, Vec<Unresolved>), PipelineError> {
    let work = resolver.cache.root().join("packaged");
    std::fs::create_dir_all(&work).map_err(|source| PipelineError::Read {
        path: work.clone(),
        source,
    })?;
    let mut plan = plan::plan(profiles, default_platforms, &work)?;
    let mut content = Vec::new();
    let mut failures = Vec::new();
    for chart in plan.charts.clone() {
        let resolved = match resolve_chart(&chart, resolver, progress).await {
            Ok(resolved) => resolved,
            Err(e) => {
                failures.extend(unresolved(&Request::Chart(chart.request.clone()), e));
                continue;
            }
        };
        let tgz = chart_package(&resolved, resolver)?;
        let what = format!("chart {}", resolved.artifact.reference);
        let d = discover::discover_chart_with(&tgz, &what, &chart.overrides, &chart.options);
        let d = discovered_or_warning(d, &what);
        plan.add_discovery(d, &chart.provenance, &chart.platforms);
        content.push(resolved);
    }
    for (pack, platforms, options) in plan.packs.clone() {
        let what = format!("pack {}", pack.location);
        let d = discover::discover_pack_with(Path::new(&pack.read_from), &what, &options);
        let d = discovered_or_warning(d, &what);
        plan.add_discovery(d, &pack.provenance[0], &platforms);
        match resolver.resolve(&[Request::Pack(pack)], progress).await {
            Ok(resolved) => content.push(one(resolved)),
            Err(e) => failures.extend(unresolved_net(e)),
        }
    }
    for (pack, platforms, options) in plan.oci_packs.clone() {
        let resolved = match resolver
            .resolve(&[Request::OciPack(pack.clone())], progress)
            .await
        {
            Ok(resolved) => one(resolved),
            Err(e) => {
                failures.extend(unresolved_net(e));
                continue;
            }
        };
        let layer = crate::net::oci_pack::pack_layer(&resolver.cache, &resolved)
            .map_err(|e| PipelineError::Net(e.into()))?;
        let tgz = resolver.cache.path(&layer.digest);
        let what = format!("pack {}", resolved.artifact.reference);
        plan.warnings
            .extend(check_pack_json(&tgz, &what, &pack.name, &pack.version)?);
        let d = discover::discover_pack_with(&tgz, &what, &options);
        let d = discovered_or_warning(d, &what);
        plan.add_discovery(d, &pack.provenance[0], &platforms);
        content.push(resolved);
    }
    Ok((plan, content, failures))
}

/// A chart or pack that cannot be read (broken YAML, a hostile archive) becomes a warning
/// naming it, the file and the line, so it does not abort discovery of every other profile;
/// the chart is still carried, but none of its images are, which the warning says.
fn discovered_or_warning(
    result: Result<discover::Discovery, discover::DiscoverError>,
    what: &str,
) -> discover::Discovery {
    let err = match result {
        Ok(d) => return d,
        Err(err) => err.to_string(),
    };
    // Discovery errors already begin with `what` (the label it was given); say it once.
    let detail = err.strip_prefix(&format!("{what}: ")).unwrap_or(&err);
    discover::Discovery {
        images: Vec::new(),
        warnings: vec![Warning {
            location: what.to_owned(),
            message: format!("{detail}; no images were discovered in it"),
        }],
    }
}

/// A chart resolved to its artifact, with its package in the cache (discovery reads it).
async fn resolve_chart(
    chart: &PlannedChart,
    resolver: &Resolver,
    progress: ProgressFn<'_>,
) -> Result<ResolvedArtifact, NetError> {
    if let Some((tgz, location)) = &chart.local_tgz {
        return crate::net::local_chart::resolve_local_chart(
            &resolver.cache,
            &chart.request,
            tgz,
            location,
        );
    }
    let resolved = one(resolver
        .resolve(&[Request::Chart(chart.request.clone())], progress)
        .await?);
    // A chart from a registry was resolved to its manifest only: fetch its package to read it.
    resolver
        .fetch(
            std::slice::from_ref(&resolved),
            &FetchOptions::default(),
            progress,
        )
        .await?;
    Ok(resolved)
}

/// A failure as the list of what did not resolve, named by the request when the resolver had
/// not already named it.
fn unresolved(request: &Request, e: NetError) -> Vec<Unresolved> {
    match e {
        NetError::Unresolved(inner) => inner,
        e => vec![Unresolved::new(request, e)],
    }
}

fn unresolved_net(e: NetError) -> Vec<Unresolved> {
    match e {
        NetError::Unresolved(inner) => inner,
        // The resolver names every failure itself; anything else is not a request's.
        e => vec![Unresolved {
            reference: String::new(),
            provenance: Vec::new(),
            error: Box::new(e),
        }],
    }
}

/// The directory the profiles were loaded from: what the lock's local paths are relative to.
fn profiles_dir(profiles: &[Profile]) -> PathBuf {
    profiles
        .first()
        .map(|p| p.dir().to_path_buf())
        .unwrap_or_default()
}

/// Resolves the profiles afresh into a lock. The lock keeps `previous.created` when nothing
/// changed, which is what keeps rebuilds byte-identical.
pub async fn relock(
    profiles: &[Profile],
    default_platforms: &[String],
    resolver: &Resolver,
    previous: Option<&Lock>,
    progress: ProgressFn<'_>,
) -> Result<(Lock, Vec<Warning>), PipelineError> {
    let resolution = resolve(profiles, default_platforms, resolver, progress).await?;
    let lock = Lock::relock(previous, resolution.artifacts, std::time::SystemTime::now());
    Ok((lock, resolution.warnings))
}

/// Resolves everything the profiles need and pins it to digests.
pub async fn resolve(
    profiles: &[Profile],
    default_platforms: &[String],
    resolver: &Resolver,
    progress: ProgressFn<'_>,
) -> Result<Resolution, PipelineError> {
    let (plan, content, mut failures) =
        discover_content(profiles, default_platforms, resolver, progress).await?;
    let mut requests: Vec<Request> = plan.images.iter().cloned().map(Request::Image).collect();
    requests.extend(plan.files.iter().cloned().map(Request::File));
    let mut artifacts = match resolver.resolve(&requests, progress).await {
        Ok(artifacts) => artifacts,
        Err(e) => {
            failures.extend(unresolved_net(e));
            Vec::new()
        }
    };
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.reference.cmp(&b.reference));
        return Err(NetError::Unresolved(failures).into());
    }
    artifacts.extend(content);
    Ok(Resolution {
        artifacts: merge(artifacts),
        warnings: plan.warnings,
    })
}

/// Same artifact asked for by several sources: one entry, every provenance kept.
fn merge(mut artifacts: Vec<ResolvedArtifact>) -> Vec<ResolvedArtifact> {
    artifacts.sort_by(|a, b| {
        (a.artifact.kind, &a.artifact.reference).cmp(&(b.artifact.kind, &b.artifact.reference))
    });
    let mut out: Vec<ResolvedArtifact> = Vec::with_capacity(artifacts.len());
    for a in artifacts {
        match out.last_mut() {
            Some(last)
                if last.artifact.kind == a.artifact.kind
                    && last.artifact.reference == a.artifact.reference =>
            {
                last.artifact.provenance.extend(a.artifact.provenance);
                last.artifact.provenance.sort();
                last.artifact.provenance.dedup();
            }
            _ => out.push(a),
        }
    }
    out
}

/// An OCI pack is named by its reference and the profile's version; a `pack.json` that says
/// otherwise is worth a warning (the bundle keeps the profile's names).
fn check_pack_json(
    tgz: &Path,
    what: &str,
    name: &str,
    version: &str,
) -> Result<Vec<Warning>, PipelineError> {
    let meta: serde_json::Value = serde_json::from_slice(&plan::read_member(tgz, "pack.json")?)
        .map_err(|e| PipelineError::Profile {
            path: PathBuf::from(what),
            message: format!("pack.json: {e}"),
        })?;
    let mut warnings = Vec::new();
    for (field, want) in [("name", name), ("version", version)] {
        let found = meta.get(field).and_then(|v| v.as_str()).unwrap_or_default();
        if found != want {
            warnings.push(Warning {
                location: format!("{what}: pack.json"),
                message: format!("{field} is {found:?}, the profile says {want:?}"),
            });
        }
    }
    Ok(warnings)
}

fn one(mut v: Vec<ResolvedArtifact>) -> ResolvedArtifact {
    v.pop().expect("one request resolves to one artifact")
}

/// The cached `.tgz` of a resolved chart (its Helm chart-content layer).
fn chart_package(chart: &ResolvedArtifact, resolver: &Resolver) -> Result<PathBuf, PipelineError> {
    debug_assert_eq!(chart.artifact.kind, ArtifactKind::Chart);
    chart
        .blobs
        .iter()
        .find(|b| b.media_type == media::HELM_CHART)
        .map(|b| resolver.cache.path(&b.digest))
        .ok_or_else(|| PipelineError::Profile {
            path: PathBuf::from(&chart.artifact.reference),
            message: "chart artifact has no chart package layer".into(),
        })
}

pub struct BuildOptions<'a> {
    pub out: &'a Path,
    pub compression: Compression,
    pub key: Option<&'a SigningKey>,
    pub fetch: FetchOptions,
}

pub struct BuildReport {
    pub fetch: FetchReport,
    pub written: WriteSummary,
    pub manifest_digest: crate::format::Digest,
    pub artifacts: usize,
    /// The artifacts' blobs, as fetched or found in the cache; the profile definitions the
    /// build made (one small blob per profile) are not counted.
    pub blobs: usize,
}

/// Fetches what the lock names and writes the bundle. Everything written comes from the lock,
/// the profiles and the cache, so two builds from one lock are byte-identical. The writer runs
/// alongside the fetch, taking blobs in archive order as they arrive; the packs are fetched
/// first, since the profile definitions (in the manifest, written first) carry their files.
pub async fn build(
    profiles: &[Profile],
    lock: &Lock,
    resolver: &Resolver,
    options: BuildOptions<'_>,
    progress: ProgressFn<'_>,
) -> Result<BuildReport, PipelineError> {
    let fetch_options = FetchOptions {
        local_base: profiles_dir(profiles),
        ..options.fetch.clone()
    };
    let packs: Vec<ResolvedArtifact> = lock
        .artifacts
        .iter()
        .filter(|a| a.artifact.kind == ArtifactKind::Pack)
        .cloned()
        .collect();
    let packs_fetched = match packs.is_empty() {
        true => None,
        false => Some(resolver.fetch(&packs, &fetch_options, progress).await?),
    };
    let work = resolver.cache.root().join("packaged");
    std::fs::create_dir_all(&work).map_err(|source| PipelineError::Read {
        path: work.clone(),
        source,
    })?;
    let defs = definitions(profiles, lock, &resolver.cache, &work)?;
    let Assembled {
        manifest,
        index_json,
        definitions: made,
    } = assemble(profiles, lock, &defs);
    let manifest_bytes = manifest.to_vec();
    let signature = options
        .key
        .map(|k| k.sign_manifest(&manifest_bytes))
        .transpose()?;
    let manifest_digest = manifest.digest();
    let (artifacts, blobs) = (
        manifest.artifacts.len(),
        manifest.blobs.len().saturating_sub(made.len()),
    );
    let total = crate::writer::tar_size(
        &manifest,
        manifest_bytes.len() as u64,
        signature.as_ref().map(|s| s.len() as u64),
    );
    let source = arrival::ArrivingBlobs::new(resolver.cache.clone(), made);
    let write = || {
        let report = |done: u64| progress(crate::net::Progress::bytes("write", done, total, None));
        write_bundle(
            options.out,
            &manifest,
            &index_json,
            signature.as_deref(),
            &source,
            options.compression,
            &report,
        )
    };
    let fetch = || resolver.fetch(&lock.artifacts, &fetch_options, progress);

    let handle = tokio::runtime::Handle::current();
    let (fetched, written) =
        if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            std::thread::scope(|scope| {
                let writer = scope.spawn(write);
                // This thread drives the fetch; block_in_place lets the runtime move its other work.
                let fetched = tokio::task::block_in_place(|| handle.block_on(fetch()));
                source.fetch_over();
                (fetched, writer.join())
            })
        } else {
            // A single-threaded runtime cannot block on itself: fetch first, then write.
            let fetched = fetch().await;
            source.fetch_over();
            (fetched, Ok(write()))
        };
    // A fetch failure explains a writer failure (a blob that never came), so it is reported first;
    // the writer has already removed its partial output.
    let mut fetch = fetched?;
    if let Some(packs) = packs_fetched {
        fetch.fetched_blobs += packs.fetched_blobs;
        fetch.fetched_bytes += packs.fetched_bytes;
    }
    let written = written.map_err(|_| PipelineError::Join("writer thread panicked".into()))??;
    Ok(BuildReport {
        fetch,
        written,
        manifest_digest,
        artifacts,
        blobs,
    })
}
