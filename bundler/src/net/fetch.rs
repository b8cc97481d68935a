//! Fetching every blob a resolution needs into the cache: streamed, verified, concurrent,
//! retried on transient failures, skipping what is already cached.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use futures_util::StreamExt;
use oci_client::Reference;

use super::cache::{BlobCache, CacheError};
use super::chart::{chart_config, ChartError};
use super::http::{HttpClient, HttpError};
use super::progress::{Progress, ProgressFn};
use super::registry::{parse_reference, RegistryClient, RegistryError};
use super::resolved::{LockedBlob, ResolvedArtifact, Source};
use super::retry::{with_retries, Transient};
use super::wrap::wrap;
use crate::format::layout::media;
use crate::format::{ArtifactKind, Digest};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{reference}: transfer of blob {digest} broke off: {source}")]
    Stream {
        reference: String,
        digest: Digest,
        source: std::io::Error,
    },
    #[error("{reference}: {path}: cannot read: {source}")]
    Local {
        reference: String,
        path: String,
        source: std::io::Error,
    },
    #[error("{reference}: rebuilt manifest is {actual}, the lock says {expected}")]
    Rebuilt {
        reference: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("{reference}: blob {digest} is still missing after fetching")]
    Missing { reference: String, digest: Digest },
}

impl Transient for FetchError {
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Registry(e) => e.is_transient(),
            FetchError::Stream { .. } => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Blobs transferred at once.
    pub concurrency: usize,
    /// What the lock's local paths are relative to: the profile directory.
    pub local_base: PathBuf,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            local_base: PathBuf::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Transfers this call made (a local or http artifact rewrapped counts once).
    pub fetched_blobs: usize,
    pub fetched_bytes: u64,
    /// The artifacts' distinct blobs put into the cache by this process, while resolving or in
    /// this call (downloaded, or read from a local file): with `cached_blobs`, every distinct blob.
    pub new_blobs: usize,
    pub new_bytes: u64,
    /// The artifacts' distinct blobs found in the cache from an earlier run.
    pub cached_blobs: usize,
}

enum Job<'a> {
    Blob {
        artifact: &'a ResolvedArtifact,
        repository: &'a str,
        blob: &'a LockedBlob,
    },
    Rewrap {
        artifact: &'a ResolvedArtifact,
    },
}

fn job_order<'a>(job: &Job<'a>) -> (u8, Option<&'a Digest>) {
    match job {
        Job::Rewrap { .. } => (0, None),
        Job::Blob { blob, .. } => (1, Some(&blob.digest)),
    }
}

pub async fn fetch(
    registry: &RegistryClient,
    http: &HttpClient,
    cache: &BlobCache,
    artifacts: &[ResolvedArtifact],
    options: &FetchOptions,
    progress: ProgressFn<'_>,
) -> Result<FetchReport, FetchError> {
    let mut jobs = Vec::new();
    let mut seen = BTreeMap::new();
    let mut total = 0u64;
    // Per artifact, how many distinct blobs it still waits for; per blob, who waits for it. A
    // blob shared by two artifacts is fetched once and completes both.
    let mut remaining = Vec::with_capacity(artifacts.len());
    let mut waiting: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
    for (i, a) in artifacts.iter().enumerate() {
        let missing: Vec<&LockedBlob> = a
            .blobs
            .iter()
            .filter(|b| !cache.has(&b.digest, b.size))
            .collect();
        let distinct: BTreeSet<&Digest> = missing.iter().map(|b| &b.digest).collect();
        remaining.push(AtomicUsize::new(distinct.len()));
        match &a.source {
            Source::Registry { repository } => {
                for d in distinct {
                    waiting.entry(d).or_default().push(i);
                }
                for blob in missing {
                    if seen.insert(blob.digest.clone(), ()).is_none() {
                        total += blob.size;
                        jobs.push(Job::Blob {
                            artifact: a,
                            repository,
                            blob,
                        });
                    }
                }
            }
            Source::Http { .. } | Source::Local { .. } if !missing.is_empty() => {
                total += missing.iter().map(|b| b.size).sum::<u64>();
                jobs.push(Job::Rewrap { artifact: a });
            }
            _ => {}
        }
    }
    // Archive order (local rewraps first, then blobs by digest): the bundle writer consumes blobs
    // in this order while the fetch is still running, so early blobs must arrive early.
    jobs.sort_by(|a, b| job_order(a).cmp(&job_order(b)));
    let done = AtomicU64::new(0);
    // Signed so a failed attempt can take back what it had reported.
    let report_progress = |current: &str, delta: i64| {
        let now = if delta >= 0 {
            done.fetch_add(delta as u64, Ordering::Relaxed)
                .saturating_add(delta as u64)
        } else {
            let back = delta.unsigned_abs();
            done.fetch_sub(back, Ordering::Relaxed).saturating_sub(back)
        };
        progress(Progress::bytes("fetch", now, total, Some(current)));
    };
    let artifact_fetched = |a: &ResolvedArtifact| {
        progress(Progress::Fetched {
            name: &a.artifact.reference,
            size: a.blobs.iter().map(|b| b.size).sum(),
        })
    };
    let blob_fetched = |digest: &Digest| {
        for &i in waiting.get(digest).into_iter().flatten() {
            if remaining[i].fetch_sub(1, Ordering::Relaxed) == 1 {
                artifact_fetched(&artifacts[i]);
            }
        }
    };
    progress(Progress::bytes("fetch", 0, total, None));
    let results: Vec<Result<(usize, u64), FetchError>> = futures_util::stream::iter(jobs)
        .map(|job| {
            let (report_progress, artifact_fetched, blob_fetched) =
                (&report_progress, &artifact_fetched, &blob_fetched);
            async move {
                match job {
                    Job::Blob {
                        artifact,
                        repository,
                        blob,
                    } => {
                        let reference = &artifact.artifact.reference;
                        fetch_blob(registry, cache, reference, repository, blob, &|n| {
                            report_progress(reference, n)
                        })
                        .await?;
                        blob_fetched(&blob.digest);
                        Ok((1, blob.size))
                    }
                    Job::Rewrap { artifact } => {
                        let n = rewrap(http, cache, &options.local_base, artifact).await?;
                        report_progress(&artifact.artifact.reference, n as i64);
                        artifact_fetched(artifact);
                        Ok((1, n))
                    }
                }
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    let mut report = FetchReport::default();
    for r in results {
        let (n, bytes) = r?;
        report.fetched_blobs += n;
        report.fetched_bytes += bytes;
    }
    let distinct: BTreeMap<&Digest, u64> = artifacts
        .iter()
        .flat_map(|a| &a.blobs)
        .map(|b| (&b.digest, b.size))
        .collect();
    for (digest, size) in distinct {
        if cache.committed_here(digest) {
            report.new_blobs += 1;
            report.new_bytes += size;
        } else {
            report.cached_blobs += 1;
        }
    }
    for a in artifacts {
        if let Some(b) = a.blobs.iter().find(|b| !cache.has(&b.digest, b.size)) {
            return Err(FetchError::Missing {
                reference: a.artifact.reference.clone(),
                digest: b.digest.clone(),
            });
        }
    }
    Ok(report)
}

pub(super) async fn fetch_blob(
    registry: &RegistryClient,
    cache: &BlobCache,
    reference: &str,
    repository: &str,
    blob: &LockedBlob,
    progress: &(dyn Fn(i64) + Send + Sync),
) -> Result<(), FetchError> {
    let repo_ref = parse_reference(&format!("{repository}@{}", blob.digest))?;
    if blob.manifest {
        let (bytes, _) = registry.manifest(&repo_ref).await?;
        cache.put_bytes(reference, &blob.digest, &bytes)?;
        progress(blob.size as i64);
        return Ok(());
    }
    with_retries(|| async {
        let mut written = 0i64;
        let result = stream_blob(registry, cache, reference, &repo_ref, blob, &mut |n| {
            written += n as i64;
            progress(n as i64);
        })
        .await;
        if result.is_err() {
            // Undo this attempt's progress so a retry counts from zero.
            progress(-written);
        }
        result
    })
    .await
}

async fn stream_blob(
    registry: &RegistryClient,
    cache: &BlobCache,
    reference: &str,
    repo_ref: &Reference,
    blob: &LockedBlob,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), FetchError> {
    let mut sized = registry
        .blob_stream(repo_ref, &blob.digest, blob.size)
        .await?;
    let mut tmp = cache.temp()?;
    while let Some(chunk) = sized.stream.next().await {
        match chunk {
            Ok(bytes) => {
                if tmp.len() + bytes.len() as u64 > blob.size {
                    return Err(CacheError::SizeMismatch {
                        reference: reference.to_owned(),
                        digest: blob.digest.clone(),
                        expected: blob.size,
                        actual: tmp.len() + bytes.len() as u64,
                    }
                    .into());
                }
                tmp.write(&bytes)?;
                progress(bytes.len() as u64);
            }
            // All bytes arrived and the client complains: that is its digest check; ours below
            // names expected and actual digests.
            Err(_) if tmp.len() == blob.size => break,
            Err(source) => {
                return Err(FetchError::Stream {
                    reference: reference.to_owned(),
                    digest: blob.digest.clone(),
                    source,
                })
            }
        }
    }
    tmp.commit(reference, &blob.digest, Some(blob.size))?;
    Ok(())
}

/// Rebuilds a locally wrapped artifact (chart from HTTP, pack, file) from its source, checked
/// against the locked digests.
async fn rewrap(
    http: &HttpClient,
    cache: &BlobCache,
    local_base: &Path,
    a: &ResolvedArtifact,
) -> Result<u64, FetchError> {
    let reference = &a.artifact.reference;
    let layer_media = match a.artifact.kind {
        ArtifactKind::Chart => media::HELM_CHART,
        ArtifactKind::Pack => media::PACK_LAYER,
        _ => media::FILE_LAYER,
    };
    let layer = a
        .blobs
        .iter()
        .find(|b| !b.manifest && b.media_type == layer_media)
        .ok_or_else(|| FetchError::Missing {
            reference: reference.clone(),
            digest: a.artifact.digest.clone(),
        })?;
    // First the layer, from wherever the lock says it came from.
    if !cache.has(&layer.digest, layer.size) {
        match &a.source {
            Source::Http { url } => {
                http.download(cache, reference, url, Some(&layer.digest))
                    .await?;
            }
            Source::Local { path } => {
                copy_local(cache, reference, &local_base.join(path), &layer.digest)?
            }
            Source::Registry { .. } => {}
        }
    }
    // Then config and manifest, rebuilt the way resolution built them.
    let rebuilt = match a.artifact.kind {
        ArtifactKind::Chart => {
            let config = chart_config(cache, reference, &layer.digest)?;
            wrap(
                cache,
                reference,
                media::HELM_CONFIG,
                &config,
                layer,
                None,
                None,
            )?
        }
        kind => {
            let (artifact_type, title) = match kind {
                ArtifactKind::Pack => (media::PACK_ARTIFACT, None),
                _ => (
                    media::FILE_ARTIFACT,
                    a.artifact.repository.strip_prefix("files/"),
                ),
            };
            wrap(
                cache,
                reference,
                media::OCI_EMPTY,
                b"{}",
                layer,
                Some(artifact_type),
                title,
            )?
        }
    };
    if rebuilt.manifest_digest != a.artifact.digest {
        return Err(FetchError::Rebuilt {
            reference: reference.clone(),
            expected: a.artifact.digest.clone(),
            actual: rebuilt.manifest_digest,
        });
    }
    Ok(a.blobs.iter().map(|b| b.size).sum())
}

/// A local source the cache lost, read again from the profile directory; a directory is packaged
/// the way the plan packaged it, which gives the same bytes.
fn copy_local(
    cache: &BlobCache,
    reference: &str,
    path: &Path,
    expected: &Digest,
) -> Result<(), FetchError> {
    use std::io::Read;
    let local_err = |source| FetchError::Local {
        reference: reference.to_owned(),
        path: path.display().to_string(),
        source,
    };
    let packaged;
    let path = if path.is_dir() {
        let work = cache.root().join("packaged");
        std::fs::create_dir_all(&work).map_err(local_err)?;
        packaged = super::package::package_source(path, &work)
            .map_err(|e| local_err(std::io::Error::other(e.to_string())))?;
        packaged.as_path()
    } else {
        path
    };
    let mut file = std::fs::File::open(path).map_err(local_err)?;
    let mut tmp = cache.temp()?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(local_err)?;
        if n == 0 {
            break;
        }
        tmp.write(&buf[..n])?;
    }
    tmp.commit(reference, expected, None)?;
    Ok(())
}
