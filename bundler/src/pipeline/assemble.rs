//! The bundle manifest, assembled from the lock and the profiles, with each profile's layer
//! definitions as a small blob of the archive.

use std::collections::BTreeMap;

use crate::format::profile_definition::ProfileDefinition;
use crate::format::{
    layout, BlobRef, BundleKind, BundleManifest, Digest, LayerEntry, ProfileEntry,
};
use crate::net::{build_set, BuildSet, Lock};
use crate::profile::{LayerKind, Profile, ProfileType};

/// Everything the writer needs, computed from the lock alone (plus the profiles' structure),
/// so the same lock always yields the same bytes.
pub struct Assembled {
    pub manifest: BundleManifest,
    pub index_json: Vec<u8>,
    /// The definition blobs (canonical encoding) by digest: in memory, not in the cache.
    pub definitions: BTreeMap<Digest, Vec<u8>>,
}

/// `definitions` are the profiles' own, in the same order ([`super::definitions`]).
pub fn assemble(profiles: &[Profile], lock: &Lock, definitions: &[ProfileDefinition]) -> Assembled {
    let BuildSet {
        artifacts,
        mut blobs,
        index_json,
    } = build_set(&lock.artifacts);
    debug_assert_eq!(profiles.len(), definitions.len());
    let encoded: BTreeMap<Digest, Vec<u8>> = definitions
        .iter()
        .map(|d| {
            let bytes = d.to_vec();
            (Digest::of_bytes(&bytes), bytes)
        })
        .collect();
    let refs: Vec<BlobRef> = definitions
        .iter()
        .map(|d| {
            let bytes = d.to_vec();
            BlobRef {
                digest: Digest::of_bytes(&bytes),
                size: bytes.len() as u64,
            }
        })
        .collect();
    // Archive order is digest order, each blob once.
    blobs.extend(refs.iter().cloned());
    blobs.sort();
    blobs.dedup_by(|a, b| a.digest == b.digest);
    let profiles = profiles
        .iter()
        .zip(&refs)
        .map(|(p, definition)| ProfileEntry {
            name: p.name.clone(),
            version: p.version.clone(),
            profile_type: profile_type(p.profile_type).into(),
            layers: p
                .layers
                .iter()
                .map(|l| {
                    let mut refs: Vec<String> = artifacts
                        .iter()
                        .filter(|a| {
                            a.provenance
                                .iter()
                                .any(|pv| pv.profile == p.name && pv.layer == l.name)
                        })
                        .map(|a| a.reference.clone())
                        .collect();
                    refs.sort();
                    refs.dedup();
                    LayerEntry {
                        name: l.name.clone(),
                        kind: layer_kind(l.kind).into(),
                        artifacts: refs,
                    }
                })
                .collect(),
            definition: Some(definition.clone()),
        })
        .collect();
    let index = BlobRef {
        digest: Digest::of_bytes(&index_json),
        size: index_json.len() as u64,
    };
    let manifest = BundleManifest {
        schema_version: 1,
        media_type: layout::BUNDLE_MANIFEST_MEDIA_TYPE.into(),
        kind: BundleKind::Full,
        created: lock.created.clone(),
        generator: format!("ferry {}", env!("CARGO_PKG_VERSION")),
        lock_digest: lock.digest(),
        profiles,
        artifacts,
        index,
        blobs,
        external_blobs: Vec::new(),
    };
    Assembled {
        manifest,
        index_json,
        definitions: encoded,
    }
}

pub(super) fn profile_type(t: ProfileType) -> &'static str {
    match t {
        ProfileType::Infra => "infra",
        ProfileType::AddOn => "add-on",
        ProfileType::Full => "full",
    }
}

pub(super) fn layer_kind(k: LayerKind) -> &'static str {
    match k {
        LayerKind::Os => "os",
        LayerKind::K8s => "k8s",
        LayerKind::Cni => "cni",
        LayerKind::Csi => "csi",
        LayerKind::Addon => "addon",
    }
}
