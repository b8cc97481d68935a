//! The network side: resolve references to digests, lock them, fetch their blobs.
//!
//! - [`Resolver::resolve`]: every request (image, chart, pack, file) to a [`ResolvedArtifact`]
//!   with exact manifest bytes in the cache;
//! - [`lock`]: `ferry.lock`, and `--locked` drift detection;
//! - [`fetch::fetch`]: every blob into the [`BlobCache`], streamed and verified;
//! - [`build_set::build_set`]: artifacts, blobs and `index.json` for the bundle writer.

pub mod auth;
pub mod build_set;
pub mod cache;
pub mod chart;
pub mod fetch;
pub mod http;
pub mod image;
pub mod local;
pub mod local_chart;
pub mod lock;
pub mod oci;
pub mod oci_pack;
pub mod package;
mod progress;
pub mod registry;
pub mod resolved;
pub mod retry;
pub mod unresolved;
mod wrap;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;

pub use build_set::{build_set, BuildSet};
pub use cache::{BlobCache, CacheError};
pub use chart::{ChartError, ChartRequest};
pub use fetch::{fetch, FetchError, FetchOptions, FetchReport};
pub use http::HttpClient;
pub use image::{AttachedOptions, ImageError, ImageRequest};
pub use local::{FileRequest, LocalError, PackRequest};
pub use lock::{check_locked, Lock, LockError, LOCK_FILE};
pub use oci_pack::{OciPackError, OciPackRequest};
pub use progress::{Progress, ProgressFn, Unit};
pub use registry::{RegistryClient, RegistryError, RegistryOptions};
pub use resolved::{LockedBlob, ResolvedArtifact, Source};
pub use unresolved::Unresolved;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    OciPack(#[from] OciPackError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Every request that did not resolve in one run, each with where it was asked for.
    #[error("{}", unresolved::describe(.0))]
    Unresolved(Vec<Unresolved>),
}

/// One thing a profile needs.
#[derive(Debug, Clone)]
pub enum Request {
    Image(ImageRequest),
    Chart(ChartRequest),
    Pack(PackRequest),
    /// A pack artifact in a registry, carried with its upstream manifest.
    OciPack(OciPackRequest),
    File(FileRequest),
}

#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// Carry cosign `.sig`/`.att` tags and OCI referrers of images.
    pub attached: bool,
    /// Requests resolved at once.
    pub concurrency: usize,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            attached: true,
            concurrency: 8,
        }
    }
}

pub struct Resolver {
    pub registry: RegistryClient,
    pub http: HttpClient,
    pub cache: BlobCache,
    pub options: ResolveOptions,
}

impl Resolver {
    pub fn new(registry: RegistryOptions, cache: BlobCache, options: ResolveOptions) -> Self {
        Self {
            registry: RegistryClient::new(registry),
            http: HttpClient::new(),
            cache,
            options,
        }
    }

    /// Resolves every request; the same artifact asked for twice is resolved once with the
    /// union of platforms and provenance. Sorted by (kind, reference).
    pub async fn resolve(
        &self,
        requests: &[Request],
        progress: ProgressFn<'_>,
    ) -> Result<Vec<ResolvedArtifact>, NetError> {
        let requests = merge_images(requests)?;
        let total = requests.len() as u64;
        let done = AtomicU64::new(0);
        progress(Progress::items("resolve", 0, total, None));
        let results: Vec<(&Request, Result<ResolvedArtifact, NetError>)> =
            futures_util::stream::iter(&requests)
                .map(|r| {
                    let done = &done;
                    async move {
                        let out = self.resolve_one(r).await;
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        let current = out.as_ref().ok().map(|a| a.artifact.reference.as_str());
                        progress(Progress::items("resolve", n, total, current));
                        (r, out)
                    }
                })
                .buffer_unordered(self.options.concurrency.max(1))
                .collect()
                .await;
        let mut merged: BTreeMap<(crate::format::ArtifactKind, String), ResolvedArtifact> =
            BTreeMap::new();
        let mut failures = Vec::new();
        for (request, r) in results {
            let r = match r {
                Ok(r) => r,
                Err(NetError::Unresolved(inner)) => {
                    failures.extend(inner);
                    continue;
                }
                Err(e) => {
                    failures.push(Unresolved::new(request, e));
                    continue;
                }
            };
            let key = (r.artifact.kind, r.artifact.reference.clone());
            match merged.get_mut(&key) {
                Some(existing) => {
                    let mut p = std::mem::take(&mut existing.artifact.provenance);
                    p.extend(r.artifact.provenance);
                    existing.artifact.provenance = resolved::normalise_provenance(p);
                }
                None => {
                    merged.insert(key, r);
                }
            }
        }
        if !failures.is_empty() {
            failures.sort_by(|a, b| a.reference.cmp(&b.reference));
            return Err(NetError::Unresolved(failures));
        }
        Ok(merged.into_values().collect())
    }

    async fn resolve_one(&self, r: &Request) -> Result<ResolvedArtifact, NetError> {
        let attached = AttachedOptions {
            enabled: self.options.attached,
        };
        Ok(match r {
            Request::Image(i) => {
                image::resolve_image(&self.registry, &self.cache, i, &attached).await?
            }
            Request::Chart(c) => {
                chart::resolve_chart(&self.registry, &self.http, &self.cache, c).await?
            }
            Request::Pack(p) => local::resolve_pack(&self.cache, p)?,
            Request::OciPack(p) => {
                oci_pack::resolve_oci_pack(&self.registry, &self.cache, p).await?
            }
            Request::File(f) => local::resolve_file(&self.http, &self.cache, f).await?,
        })
    }

    /// Fetches every blob of `artifacts` into the cache.
    pub async fn fetch(
        &self,
        artifacts: &[ResolvedArtifact],
        options: &FetchOptions,
        progress: ProgressFn<'_>,
    ) -> Result<FetchReport, NetError> {
        Ok(fetch::fetch(
            &self.registry,
            &self.http,
            &self.cache,
            artifacts,
            options,
            progress,
        )
        .await?)
    }
}

/// Image requests for the same normalised reference become one, with the union of platforms
/// (an empty list, meaning all, wins) and of provenance.
fn merge_images(requests: &[Request]) -> Result<Vec<Request>, NetError> {
    let mut images: BTreeMap<String, ImageRequest> = BTreeMap::new();
    let mut out = Vec::new();
    for r in requests {
        let Request::Image(i) = r else {
            out.push(r.clone());
            continue;
        };
        let key = registry::parse_reference(&i.reference)?.whole();
        match images.get_mut(&key) {
            Some(existing) => {
                if existing.platforms.is_empty() || i.platforms.is_empty() {
                    existing.platforms.clear();
                } else {
                    existing.platforms.extend(i.platforms.iter().cloned());
                    existing.platforms.sort();
                    existing.platforms.dedup();
                }
                existing.provenance.extend(i.provenance.iter().cloned());
            }
            None => {
                images.insert(key, i.clone());
            }
        }
    }
    out.extend(images.into_values().map(Request::Image));
    Ok(out)
}
