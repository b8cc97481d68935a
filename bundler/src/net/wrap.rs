//! Wrapping a local blob as a one-layer OCI artifact, deterministically (charts, packs, files).

use serde_json::json;

use super::cache::{BlobCache, CacheError};
use super::resolved::{BlobSet, LockedBlob};
use crate::format::layout::media;
use crate::format::Digest;

pub struct Wrapped {
    pub manifest_digest: Digest,
    pub manifest_size: u64,
    pub blobs: BlobSet,
}

/// Writes config and manifest for `layer` (already cached) into the cache.
pub fn wrap(
    cache: &BlobCache,
    reference: &str,
    config_media_type: &str,
    config: &[u8],
    layer: &LockedBlob,
    artifact_type: Option<&str>,
    title: Option<&str>,
) -> Result<Wrapped, CacheError> {
    let config_digest = Digest::of_bytes(config);
    cache.put_bytes(reference, &config_digest, config)?;
    let mut layer_json =
        json!({ "mediaType": layer.media_type, "digest": layer.digest, "size": layer.size });
    if let Some(title) = title {
        layer_json["annotations"] = json!({ "org.opencontainers.image.title": title });
    }
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": config_media_type, "digest": config_digest, "size": config.len() },
        "layers": [layer_json],
    });
    if let Some(t) = artifact_type {
        manifest["artifactType"] = json!(t);
    }
    let bytes = serde_json::to_vec(&manifest).expect("json value serialises");
    let manifest_digest = Digest::of_bytes(&bytes);
    cache.put_bytes(reference, &manifest_digest, &bytes)?;
    let mut blobs = BlobSet::default();
    blobs.add(
        manifest_digest.clone(),
        bytes.len() as u64,
        media::OCI_MANIFEST,
        true,
    );
    blobs.add(config_digest, config.len() as u64, config_media_type, false);
    blobs.add(layer.digest.clone(), layer.size, &layer.media_type, false);
    Ok(Wrapped {
        manifest_digest,
        manifest_size: bytes.len() as u64,
        blobs,
    })
}
