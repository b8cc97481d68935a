//! What resolution produces and the lock records: an artifact, where its bytes come from, and
//! every blob it needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::format::{Artifact, Digest, Provenance};

/// Where the blobs of an artifact are fetched from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Source {
    /// A registry repository, `host/path` (`docker.io/library/nginx`).
    #[serde(rename_all = "camelCase")]
    Registry { repository: String },
    /// A chart package downloaded over HTTP(S) and wrapped locally as a Helm OCI artifact.
    #[serde(rename_all = "camelCase")]
    Http { url: String },
    /// A local file wrapped as an artifact (packs, files).
    #[serde(rename_all = "camelCase")]
    Local { path: String },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedBlob {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    /// A manifest or index (fetched from the manifests endpoint, bytes kept exactly).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manifest: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolvedArtifact {
    pub artifact: Artifact,
    pub source: Source,
    /// Every blob the artifact needs (its manifests included), sorted by digest.
    pub blobs: Vec<LockedBlob>,
}

/// Collects blobs by digest, so shared layers are listed once.
#[derive(Debug, Default)]
pub struct BlobSet(BTreeMap<Digest, LockedBlob>);

impl BlobSet {
    pub fn add(&mut self, digest: Digest, size: u64, media_type: &str, manifest: bool) {
        self.0.entry(digest.clone()).or_insert(LockedBlob {
            digest,
            size,
            media_type: media_type.to_owned(),
            manifest,
        });
    }

    pub fn contains(&self, digest: &Digest) -> bool {
        self.0.contains_key(digest)
    }

    pub fn into_sorted(self) -> Vec<LockedBlob> {
        self.0.into_values().collect()
    }
}

/// Sorts and dedups provenance so equal inputs give equal locks.
pub fn normalise_provenance(mut p: Vec<Provenance>) -> Vec<Provenance> {
    p.sort();
    p.dedup();
    p
}
