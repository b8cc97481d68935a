//! The bundle manifest, assembled from the lock and the profiles.

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
}

pub fn assemble(profiles: &[Profile], lock: &Lock) -> Assembled {
    let BuildSet {
        artifacts,
        blobs,
        index_json,
    } = build_set(&lock.artifacts);
    let profiles = profiles
        .iter()
        .map(|p| ProfileEntry {
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
            definition: None,
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
    }
}

fn profile_type(t: ProfileType) -> &'static str {
    match t {
        ProfileType::Infra => "infra",
        ProfileType::AddOn => "add-on",
        ProfileType::Full => "full",
    }
}

fn layer_kind(k: LayerKind) -> &'static str {
    match k {
        LayerKind::Os => "os",
        LayerKind::K8s => "k8s",
        LayerKind::Cni => "cni",
        LayerKind::Csi => "csi",
        LayerKind::Addon => "addon",
    }
}
