//! Each profile's layer definitions (`format::profile_definition`), built from the profiles
//! and the lock: what every layer installs in the profile's source order, pinned to the
//! digests the lock resolved, so the enclave can render a cluster's desired state from the
//! bundle alone. Same lock and profiles, same bytes: everything is read from the profile
//! files and from content the lock pins (a pack's layer in the cache).

use std::path::Path;

use serde_json::{Map, Value};

use super::pack_files::pack_files;
use super::plan::{plan_chart, plan_oci_pack, plan_pack};
use super::PipelineError;
use crate::discover::FileSet;
use crate::format::profile_definition::{
    ChartUnit, FilesUnit, LayerDefinition, ManifestFile, ManifestsUnit, PackUnit, PinnedImage,
    ProfileDefinition, Unit,
};
use crate::format::{ArtifactKind, Provenance};
use crate::net::{BlobCache, Lock, ResolvedArtifact};
use crate::profile::{Layer, Profile, Source};

/// One definition per profile, in the profiles' order. `work` holds packaged local charts and
/// packs (as in planning); packs are read from `cache`, where the lock's pack layers must be.
pub fn definitions(
    profiles: &[Profile],
    lock: &Lock,
    cache: &BlobCache,
    work: &Path,
) -> Result<Vec<ProfileDefinition>, PipelineError> {
    profiles
        .iter()
        .map(|p| definition(p, lock, cache, work))
        .collect()
}

fn definition(
    profile: &Profile,
    lock: &Lock,
    cache: &BlobCache,
    work: &Path,
) -> Result<ProfileDefinition, PipelineError> {
    let layers = profile
        .layers
        .iter()
        .map(|layer| layer_definition(profile, layer, lock, cache, work))
        .collect::<Result<_, _>>()?;
    Ok(ProfileDefinition {
        schema_version: 1,
        name: profile.name.clone(),
        version: profile.version.clone(),
        profile_type: super::assemble::profile_type(profile.profile_type).into(),
        variables: profile.variables.iter().map(|v| v.0.clone()).collect(),
        layers,
    })
}

fn layer_definition(
    profile: &Profile,
    layer: &Layer,
    lock: &Lock,
    cache: &BlobCache,
    work: &Path,
) -> Result<LayerDefinition, PipelineError> {
    let prov = |origin: String| Provenance {
        profile: profile.name.clone(),
        layer: layer.name.clone(),
        origin,
    };
    let missing = |what: String| PipelineError::Profile {
        path: profile.source_file.clone(),
        message: format!("layer {}: {what} is not in the lock", layer.name),
    };
    let mut units = Vec::new();
    for source in &layer.sources {
        match source {
            Source::Chart(c) => {
                let planned = plan_chart(c, profile, &[], work, prov)?;
                let a = locked(lock, ArtifactKind::Chart, &planned.provenance)
                    .ok_or_else(|| missing(planned.provenance.origin.clone()))?;
                units.push(Unit::Chart(ChartUnit {
                    name: planned.request.name.clone(),
                    version: version_of(a),
                    reference: a.artifact.reference.clone(),
                    repository: a.artifact.repository.clone(),
                    digest: a.artifact.digest.clone(),
                    values: as_map(crate::render::merge_user_layers(&planned.overrides)),
                }));
            }
            Source::Manifests(m) => {
                let mut files = Vec::new();
                for path in &m.files {
                    let content =
                        std::fs::read_to_string(path).map_err(|source| PipelineError::Read {
                            path: path.clone(),
                            source,
                        })?;
                    files.push(ManifestFile {
                        name: profile.location(path),
                        content,
                    });
                }
                for (i, content) in m.inline.iter().enumerate() {
                    files.push(ManifestFile {
                        name: format!("inline-{}.yaml", i + 1),
                        content: content.clone(),
                    });
                }
                units.push(Unit::Manifests(ManifestsUnit { files }));
            }
            Source::Pack(p) => {
                let (name, version, provenance) = match p.oci {
                    Some(_) => {
                        let r = plan_oci_pack(p, &profile.source_file, prov)?;
                        (r.name, r.version, r.provenance)
                    }
                    None => {
                        let r = plan_pack(p, profile, work, prov)?;
                        (r.name, r.version, r.provenance)
                    }
                };
                let a = locked(lock, ArtifactKind::Pack, &provenance[0])
                    .ok_or_else(|| missing(provenance[0].origin.clone()))?;
                let pack_layer = crate::net::oci_pack::pack_layer(cache, a)
                    .map_err(|e| PipelineError::Net(e.into()))?;
                let label = format!("pack {}", a.artifact.reference);
                let files = FileSet::from_path_as(&cache.path(&pack_layer.digest), &label)
                    .map_err(|e| PipelineError::Profile {
                        path: label.clone().into(),
                        message: e.to_string(),
                    })?;
                let content = pack_files(&files, &layer.discover_options(profile))?;
                units.push(Unit::Pack(PackUnit {
                    name,
                    version,
                    reference: a.artifact.reference.clone(),
                    repository: a.artifact.repository.clone(),
                    digest: a.artifact.digest.clone(),
                    values: content.values,
                    files: content.files,
                }));
            }
            Source::Files(files) => units.push(Unit::Files(FilesUnit {
                names: files.iter().filter_map(|f| f.effective_name()).collect(),
            })),
            // Listed images are pinned below with every other image of the layer.
            Source::Images(_) => {}
        }
    }
    Ok(LayerDefinition {
        name: layer.name.clone(),
        kind: super::assemble::layer_kind(layer.kind).into(),
        units,
        images: layer_images(lock, &profile.name, &layer.name),
    })
}

/// The artifact of `kind` that the source with this provenance resolved to.
fn locked<'l>(
    lock: &'l Lock,
    kind: ArtifactKind,
    provenance: &Provenance,
) -> Option<&'l ResolvedArtifact> {
    lock.artifacts
        .iter()
        .find(|r| r.artifact.kind == kind && r.artifact.provenance.contains(provenance))
}

/// The resolved version: the tag the chart or pack is served under.
fn version_of(a: &ResolvedArtifact) -> String {
    a.artifact.tag.clone().unwrap_or_else(|| {
        a.artifact
            .reference
            .rsplit_once(':')
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    })
}

/// Every image whose provenance names this layer, sorted, once each.
fn layer_images(lock: &Lock, profile: &str, layer: &str) -> Vec<PinnedImage> {
    let mut images: Vec<PinnedImage> = lock
        .artifacts
        .iter()
        .map(|r| &r.artifact)
        .filter(|a| a.kind == ArtifactKind::Image)
        .filter(|a| {
            a.provenance
                .iter()
                .any(|p| p.profile == profile && p.layer == layer)
        })
        .map(|a| PinnedImage {
            reference: a.reference.clone(),
            repository: a.repository.clone(),
            digest: a.digest.clone(),
        })
        .collect();
    images.sort();
    images.dedup();
    images
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
