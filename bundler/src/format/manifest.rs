//! The bundle manifest: what a bundle carries and why.
//!
//! This document is what gets signed. It lists every profile, every artifact with its provenance
//! and every blob with its size, so a reader that has checked the signature can check everything
//! else against it: no blob may be missing, extra, resized or altered.
//!
//! Room left for later versions without changing this core:
//! - delta bundles set `kind: delta` and list in `external_blobs` what the enclave already holds;
//! - multi-volume bundles split the same tar stream; `blobs` stays the single source of truth.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::digest::Digest;
use super::layout::BUNDLE_MANIFEST_MEDIA_TYPE;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleManifest {
    /// Always 1 for this version of the format.
    pub schema_version: u32,
    /// Always [`BUNDLE_MANIFEST_MEDIA_TYPE`].
    pub media_type: String,
    pub kind: BundleKind,
    /// RFC 3339 UTC time taken from the lock, never from the clock, so builds are reproducible.
    pub created: String,
    /// Tool that wrote the bundle (`ferry <version>`).
    pub generator: String,
    /// Digest of the `ferry.lock` the bundle was built from.
    pub lock_digest: Digest,
    pub profiles: Vec<ProfileEntry>,
    /// Every artifact, sorted by (kind, reference).
    pub artifacts: Vec<Artifact>,
    /// `index.json` of the OCI layout.
    pub index: BlobRef,
    /// Every blob stored in the archive, in archive order (sorted by digest), each exactly once.
    pub blobs: Vec<BlobRef>,
    /// Blobs referenced by artifacts but deliberately not carried (delta bundles). Empty for `full`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_blobs: Vec<BlobRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    Full,
    Delta,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    pub digest: Digest,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileEntry {
    pub name: String,
    pub version: String,
    /// `infra`, `add-on` or `full`.
    #[serde(rename = "type")]
    pub profile_type: String,
    pub layers: Vec<LayerEntry>,
    /// The profile's layer definitions (`profile_definition::ProfileDefinition`, canonical
    /// JSON), a blob of this bundle. Absent in bundles written before the management instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<BlobRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayerEntry {
    pub name: String,
    /// `os`, `k8s`, `cni`, `csi` or `addon`.
    pub kind: String,
    /// References (`Artifact::reference`) of the artifacts this layer needs.
    pub artifacts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Image,
    Chart,
    Pack,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Artifact {
    pub kind: ArtifactKind,
    /// Upstream reference as the user or the chart wrote it, normalised
    /// (`docker.io/library/nginx:1.27`, `docker.io/x/y@sha256:…`).
    pub reference: String,
    /// Repository the mirror serves it under, upstream host first
    /// (`docker.io/library/nginx`, `charts/podinfo`, `spectro-packs/archive/cilium`, `files/talos.iso`).
    pub repository: String,
    /// Tag the mirror serves it under, if the reference had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Digest of the top-level manifest or index, exactly as upstream serves it.
    pub digest: Digest,
    pub media_type: String,
    /// Size of the top-level manifest or index.
    pub size: u64,
    /// Platforms carried, for images (`linux/amd64`); empty means all, or not platform-specific.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Children of a multi-platform index that were left out: the index keeps its original bytes
    /// and digest, but these manifests and their layers are not in the bundle (a sparse index).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted_children: Vec<OmittedChild>,
    /// Signatures, attestations and referrers carried with this artifact (their manifest digests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached: Vec<Attached>,
    /// Where this artifact came from: one entry per profile/layer/source that asked for it.
    pub provenance: Vec<Provenance>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OmittedChild {
    pub digest: Digest,
    pub platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attached {
    /// `signature` (cosign `.sig` tag), `attestation` (cosign `.att` tag) or `referrer`.
    pub relation: String,
    /// Tag it is served under in the same repository (`sha256-<hex>.sig`), for tag-based schemes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    pub profile: String,
    pub layer: String,
    /// Human-readable origin: `chart ingress-nginx 4.11.3: values controller.image`,
    /// `manifests deploy.yaml:12 (Deployment/web container app)`, `images (listed by hand)`.
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("bundle manifest is not valid JSON for schema version 1: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("bundle manifest has schema version {0}; this ferry reads version 1")]
    SchemaVersion(u32),
    #[error("bundle manifest has media type {0:?}; expected {BUNDLE_MANIFEST_MEDIA_TYPE}")]
    MediaType(String),
    #[error("bundle manifest lists blob {0} more than once")]
    DuplicateBlob(Digest),
    #[error("bundle manifest blobs are not sorted by digest at {0}")]
    UnsortedBlobs(Digest),
    #[error(
        "artifact {reference} names digest {digest}, which is neither in the bundle nor external"
    )]
    MissingArtifactBlob { reference: String, digest: Digest },
}

impl BundleManifest {
    /// Parses and checks the internal consistency of a manifest.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: Self = serde_json::from_slice(bytes)?;
        m.check()?;
        Ok(m)
    }

    /// The canonical encoding: compact JSON in struct order, so equal manifests are equal bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("manifest serialises")
    }

    /// Checks what can be checked without the blobs.
    pub fn check(&self) -> Result<(), ManifestError> {
        if self.schema_version != 1 {
            return Err(ManifestError::SchemaVersion(self.schema_version));
        }
        if self.media_type != BUNDLE_MANIFEST_MEDIA_TYPE {
            return Err(ManifestError::MediaType(self.media_type.clone()));
        }
        let mut seen = BTreeSet::new();
        let mut prev: Option<&Digest> = None;
        for b in &self.blobs {
            if !seen.insert(&b.digest) {
                return Err(ManifestError::DuplicateBlob(b.digest.clone()));
            }
            if prev.is_some_and(|p| p > &b.digest) {
                return Err(ManifestError::UnsortedBlobs(b.digest.clone()));
            }
            prev = Some(&b.digest);
        }
        let external: BTreeSet<_> = self.external_blobs.iter().map(|b| &b.digest).collect();
        for a in &self.artifacts {
            if !seen.contains(&a.digest) && !external.contains(&a.digest) {
                return Err(ManifestError::MissingArtifactBlob {
                    reference: a.reference.clone(),
                    digest: a.digest.clone(),
                });
            }
        }
        Ok(())
    }

    /// Sum of the sizes of the blobs carried, i.e. the space an import needs at most.
    pub fn total_blob_size(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }

    /// Digest of the canonical encoding; this is what the signature covers.
    pub fn digest(&self) -> Digest {
        Digest::of_bytes(&self.to_vec())
    }
}
