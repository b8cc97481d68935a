//! Packs and plain files, wrapped as one-layer OCI artifacts
//! (`spectro-packs/archive/<name>:<version>`, `files/<name>`).

use std::io::Read;

use super::cache::{BlobCache, CacheError};
use super::http::{HttpClient, HttpError};
use super::resolved::{normalise_provenance, LockedBlob, ResolvedArtifact, Source};
use super::wrap::wrap;
use crate::format::layout::media;
use crate::format::{Artifact, ArtifactKind, Digest, Provenance};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// A Spectro pack archive (`.tar.gz` of the pack directory) on disk.
#[derive(Debug, Clone, Default)]
pub struct PackRequest {
    pub name: String,
    pub version: String,
    /// The `.tar.gz` to read on this machine (a directory is packaged first).
    pub read_from: String,
    /// How the lock names the pack: its path relative to the profile directory.
    pub location: String,
    pub provenance: Vec<Provenance>,
}

/// A file by local path or http(s) URL, with the sha256 the profile declares (a URL must;
/// a local file without one is hashed as it is read into the cache, and the lock pins that).
#[derive(Debug, Clone)]
pub struct FileRequest {
    pub name: String,
    /// The URL, or the path relative to the profile directory: what the lock records.
    pub location: String,
    /// A local file to read on this machine; `None` for a URL.
    pub read_from: Option<String>,
    pub sha256: Option<Digest>,
    pub provenance: Vec<Provenance>,
}

/// Copies a local file into the cache, hashing as it goes; checked when `expected` is given.
pub(super) fn ingest_local(
    cache: &BlobCache,
    reference: &str,
    path: &str,
    expected: Option<&Digest>,
) -> Result<(Digest, u64), LocalError> {
    let read_err = |source| LocalError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let mut tmp = cache.temp()?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        tmp.write(&buf[..n])?;
    }
    let (actual, size) = tmp.digest();
    tmp.commit(reference, expected.unwrap_or(&actual), None)?;
    Ok((actual, size))
}

pub fn resolve_pack(cache: &BlobCache, req: &PackRequest) -> Result<ResolvedArtifact, LocalError> {
    let repository = format!("spectro-packs/archive/{}", req.name);
    let reference = format!("{repository}:{}", req.version);
    let (digest, size) = ingest_local(cache, &reference, &req.read_from, None)?;
    let layer = LockedBlob {
        digest,
        size,
        media_type: media::PACK_LAYER.into(),
        manifest: false,
    };
    let w = wrap(
        cache,
        &reference,
        media::OCI_EMPTY,
        b"{}",
        &layer,
        Some(media::PACK_ARTIFACT),
        None,
    )?;
    Ok(local_artifact(
        ArtifactKind::Pack,
        reference,
        repository,
        Some(req.version.clone()),
        w,
        &req.location,
        &req.provenance,
    ))
}

pub async fn resolve_file(
    http: &HttpClient,
    cache: &BlobCache,
    req: &FileRequest,
) -> Result<ResolvedArtifact, LocalError> {
    let repository = format!("files/{}", req.name);
    let reference = repository.clone();
    let (digest, size) = match &req.read_from {
        Some(path) => ingest_local(cache, &reference, path, req.sha256.as_ref())?,
        None => {
            http.download(cache, &reference, &req.location, req.sha256.as_ref())
                .await?
        }
    };
    let layer = LockedBlob {
        digest,
        size,
        media_type: media::FILE_LAYER.into(),
        manifest: false,
    };
    let w = wrap(
        cache,
        &reference,
        media::OCI_EMPTY,
        b"{}",
        &layer,
        Some(media::FILE_ARTIFACT),
        Some(&req.name),
    )?;
    Ok(local_artifact(
        ArtifactKind::File,
        reference,
        repository,
        None,
        w,
        &req.location,
        &req.provenance,
    ))
}

fn local_artifact(
    kind: ArtifactKind,
    reference: String,
    repository: String,
    tag: Option<String>,
    w: super::wrap::Wrapped,
    location: &str,
    provenance: &[Provenance],
) -> ResolvedArtifact {
    let source = if location.starts_with("http://") || location.starts_with("https://") {
        Source::Http {
            url: location.to_owned(),
        }
    } else {
        Source::Local {
            path: location.to_owned(),
        }
    };
    let artifact = Artifact {
        kind,
        reference,
        repository,
        tag,
        digest: w.manifest_digest,
        media_type: media::OCI_MANIFEST.into(),
        size: w.manifest_size,
        platforms: Vec::new(),
        omitted_children: Vec::new(),
        attached: Vec::new(),
        provenance: normalise_provenance(provenance.to_vec()),
    };
    ResolvedArtifact {
        artifact,
        source,
        blobs: w.blobs.into_sorted(),
    }
}
