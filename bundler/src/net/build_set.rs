//! What the bundle writer needs from a lock: artifacts, the blobs to carry, and `index.json`.

use std::collections::BTreeMap;

use serde_json::json;

use super::resolved::ResolvedArtifact;
use crate::format::layout::{media, REF_NAME_ANNOTATION};
use crate::format::{Artifact, BlobRef, Digest};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSet {
    /// Sorted by (kind, reference).
    pub artifacts: Vec<Artifact>,
    /// Every blob to carry, once, sorted by digest.
    pub blobs: Vec<BlobRef>,
    /// The OCI layout's `index.json`: one entry per artifact, sorted by reference.
    pub index_json: Vec<u8>,
}

pub fn build_set(resolved: &[ResolvedArtifact]) -> BuildSet {
    let mut artifacts: Vec<Artifact> = resolved.iter().map(|r| r.artifact.clone()).collect();
    artifacts.sort_by(|a, b| (a.kind, &a.reference).cmp(&(b.kind, &b.reference)));
    let mut blobs: BTreeMap<Digest, u64> = BTreeMap::new();
    for r in resolved {
        for b in &r.blobs {
            blobs.insert(b.digest.clone(), b.size);
        }
    }
    let blobs = blobs
        .into_iter()
        .map(|(digest, size)| BlobRef { digest, size })
        .collect();
    BuildSet {
        index_json: index_json(&artifacts),
        artifacts,
        blobs,
    }
}

/// Deterministic `index.json`: sorted by reference, each naming its full reference.
pub fn index_json(artifacts: &[Artifact]) -> Vec<u8> {
    let mut sorted: Vec<&Artifact> = artifacts.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    let manifests: Vec<_> = sorted
        .iter()
        .map(|a| {
            json!({
                "mediaType": a.media_type,
                "digest": a.digest,
                "size": a.size,
                "annotations": { REF_NAME_ANNOTATION: a.reference },
            })
        })
        .collect();
    let index =
        json!({ "schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests });
    serde_json::to_vec(&index).expect("json value serialises")
}
