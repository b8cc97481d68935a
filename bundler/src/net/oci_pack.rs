//! Spectro packs pulled from a registry (`oci://host/spectro-packs/archive/<name>`, tag =
//! version): an OCI manifest whose layer is the `.tar.gz` of the pack directory. The upstream
//! manifest is carried exactly as served (never re-wrapped), and the pack layer is fetched
//! during resolution because the pack's images can only be discovered from its content.

use serde::Deserialize;

use super::cache::{BlobCache, CacheError};
use super::fetch::{fetch_blob, FetchError};
use super::image::{resolve_image, AttachedOptions, ImageError, ImageRequest};
use super::oci::MAX_MANIFEST_SIZE;
use super::resolved::{LockedBlob, ResolvedArtifact, Source};
use crate::format::layout::media;
use crate::format::{ArtifactKind, Digest, Provenance};

/// Layer media types that hold a gzip tar of a pack directory.
pub const PACK_LAYER_MEDIA_TYPES: &[&str] = &[
    media::PACK_LAYER,
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/tar+gzip",
];

#[derive(Debug, thiserror::Error)]
pub enum OciPackError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Fetch(#[from] Box<FetchError>),
    #[error("{reference}: a pack must be a single OCI manifest, not {media_type}")]
    NotAManifest {
        reference: String,
        media_type: String,
    },
    #[error("{reference}: manifest {digest} is not readable: {message}")]
    Manifest {
        reference: String,
        digest: Digest,
        message: String,
    },
    #[error("{reference}: manifest {digest} has no gzip tar layer (accepted: {accepted})")]
    NoPackLayer {
        reference: String,
        digest: Digest,
        accepted: String,
    },
}

/// A pack in a registry.
#[derive(Debug, Clone, Default)]
pub struct OciPackRequest {
    pub name: String,
    pub version: String,
    /// `host/path/<name>`, without `oci://` and without a tag.
    pub location: String,
    pub provenance: Vec<Provenance>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default)]
    layers: Vec<RawLayer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLayer {
    media_type: String,
    digest: String,
    size: u64,
}

/// Resolves the tag to the upstream manifest and fetches the pack layer into the cache.
pub async fn resolve_oci_pack(
    registry: &super::RegistryClient,
    cache: &BlobCache,
    req: &OciPackRequest,
) -> Result<ResolvedArtifact, OciPackError> {
    let image = ImageRequest {
        reference: format!("{}:{}", req.location, req.version),
        platforms: Vec::new(),
        provenance: req.provenance.clone(),
    };
    let mut resolved =
        resolve_image(registry, cache, &image, &AttachedOptions { enabled: false }).await?;
    let a = &mut resolved.artifact;
    let reference = format!("oci://{}", a.reference);
    if a.media_type != media::OCI_MANIFEST && a.media_type != media::DOCKER_MANIFEST {
        return Err(OciPackError::NotAManifest {
            reference,
            media_type: a.media_type.clone(),
        });
    }
    a.kind = ArtifactKind::Pack;
    a.reference = reference;
    a.repository = format!("spectro-packs/archive/{}", req.name);
    a.tag = Some(req.version.clone());
    let layer = pack_layer(cache, &resolved)?;
    // resolve_image always answers with a registry source.
    if let (false, Source::Registry { repository }) =
        (cache.has(&layer.digest, layer.size), &resolved.source)
    {
        fetch_blob(
            registry,
            cache,
            &resolved.artifact.reference,
            repository,
            &layer,
            &|_| {},
        )
        .await
        .map_err(Box::new)?;
    }
    Ok(resolved)
}

/// The pack layer of a resolved pack: the first gzip tar layer of its (cached) manifest.
pub fn pack_layer(cache: &BlobCache, pack: &ResolvedArtifact) -> Result<LockedBlob, OciPackError> {
    let a = &pack.artifact;
    let bad = |message: String| OciPackError::Manifest {
        reference: a.reference.clone(),
        digest: a.digest.clone(),
        message,
    };
    let bytes = cache.read_small(&a.digest, MAX_MANIFEST_SIZE as u64)?;
    let raw: RawManifest = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let layer = raw
        .layers
        .into_iter()
        .find(|l| PACK_LAYER_MEDIA_TYPES.contains(&l.media_type.as_str()))
        .ok_or_else(|| OciPackError::NoPackLayer {
            reference: a.reference.clone(),
            digest: a.digest.clone(),
            accepted: PACK_LAYER_MEDIA_TYPES.join(", "),
        })?;
    let digest = Digest::parse(&layer.digest)
        .map_err(|_| bad(format!("layer digest {:?} is not a sha256", layer.digest)))?;
    Ok(LockedBlob {
        digest,
        size: layer.size,
        media_type: layer.media_type,
        manifest: false,
    })
}
