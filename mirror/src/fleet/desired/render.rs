//! Rendering a cluster's desired state: [`Input`] in, the files of a Flux/kustomize tree and
//! the OCI artifact that carries them out. Pure: it reads nothing but its arguments, so the same
//! input gives the same bytes and the same digest.
//!
//! Layout of the tree: `kustomization.yaml` at the top lists every other file; each profile's
//! files are under `<profile>/<layer>/`: `<chart>.ocirepository.yaml` and
//! `<chart>.helmrelease.yaml` for a chart unit, `NN-<file>.yaml` for each manifest of a
//! manifests or pack unit; a files unit adds nothing. Generated objects are written as JSON,
//! which every YAML reader reads the same way (no `yes`/`no` or octal surprises).

use std::collections::BTreeMap;

use ferry_bundler::discover::normalize_reference;
use ferry_bundler::format::profile_definition::{ManifestFile, PinnedImage, Unit};
use ferry_bundler::format::Digest;
use serde_json::{json, Map, Value};

use super::flux::{self, Origin};
use super::input::{Input, InputProfile};
use super::macros::{substitute_text, substitute_values, UnknownVariable};
use super::{oci, tarball, DesiredError};
use crate::fleet::FleetSettings;

pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// A rendered desired state, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// The tree, path → content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The one layer (`application/vnd.cncf.flux.content.v1.tar+gzip`).
    pub layer: Vec<u8>,
    pub layer_digest: Digest,
    /// The config blob (`{}`).
    pub config: Vec<u8>,
    pub config_digest: Digest,
    /// The OCI image manifest, whose digest is the artifact's.
    pub manifest: Vec<u8>,
    pub digest: Digest,
    /// Every image the assigned layers pin.
    pub images: Vec<PinnedImage>,
}

pub fn render(input: &Input, settings: &FleetSettings) -> Result<Artifact, DesiredError> {
    if !super::is_cluster_name(&input.cluster) {
        return Err(DesiredError::ClusterName(input.cluster.clone()));
    }
    let mut files = BTreeMap::new();
    let mut releases: BTreeMap<String, String> = BTreeMap::new();
    for profile in &input.profiles {
        render_profile(input, profile, settings, &mut files, &mut releases)?;
    }
    let resources: Vec<&String> = files.keys().collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    files.insert(KUSTOMIZATION.to_owned(), json_document(&kustomization));
    let layer = tarball::pack(&files).map_err(DesiredError::Tarball)?;
    let layer_digest = Digest::of_bytes(&layer);
    let config = oci::FLUX_CONFIG_CONTENT.to_vec();
    let config_digest = Digest::of_bytes(&config);
    let manifest = oci::artifact_manifest(
        (&config_digest, config.len()),
        (&layer_digest, layer.len()),
        &input.revision_annotation(),
    );
    Ok(Artifact {
        digest: Digest::of_bytes(&manifest),
        files,
        layer,
        layer_digest,
        config,
        config_digest,
        manifest,
        images: input.images(),
    })
}

fn render_profile(
    input: &Input,
    profile: &InputProfile,
    settings: &FleetSettings,
    files: &mut BTreeMap<String, Vec<u8>>,
    releases: &mut BTreeMap<String, String>,
) -> Result<(), DesiredError> {
    let profile_ref = format!("{}@{}", profile.name, profile.version);
    let unknown = |file: String| unknown_variable(&input.cluster, &profile_ref, file);
    for layer in &profile.definition.layers {
        let dir = format!(
            "{}/{}",
            path_segment(&profile.name),
            path_segment(&layer.name)
        );
        let origin = Origin {
            profile: &profile_ref,
            layer: &layer.name,
        };
        let mut manifest_index = 0;
        let empty = Map::new();
        let overrides = profile.layer_values.get(&layer.name).unwrap_or(&empty);
        for unit in &layer.units {
            match unit {
                Unit::Chart(chart) => {
                    if !flux::is_release_name(&chart.name) {
                        return Err(DesiredError::ReleaseName {
                            cluster: input.cluster.clone(),
                            profile: profile_ref.clone(),
                            layer: layer.name.clone(),
                            name: chart.name.clone(),
                        });
                    }
                    let here = format!("{profile_ref} layer {}", layer.name);
                    if let Some(first) = releases.insert(chart.name.clone(), here.clone()) {
                        return Err(DesiredError::DuplicateRelease {
                            cluster: input.cluster.clone(),
                            name: chart.name.clone(),
                            first,
                            second: here,
                        });
                    }
                    let mut values = chart.values.clone();
                    flux::deep_merge(&mut values, overrides);
                    let mut values = Value::Object(values);
                    substitute_values(&mut values, &profile.variables)
                        .map_err(unknown(format!("{}/{} values", layer.name, chart.name)))?;
                    let Value::Object(values) = values else {
                        unreachable!("an object stays an object")
                    };
                    let source = flux::oci_repository(chart, settings, &origin);
                    let release = flux::helm_release(chart, values, &origin);
                    let base = format!("{dir}/{}", chart.name);
                    insert(
                        files,
                        &input.cluster,
                        format!("{base}.ocirepository.yaml"),
                        json_document(&source),
                    )?;
                    insert(
                        files,
                        &input.cluster,
                        format!("{base}.helmrelease.yaml"),
                        json_document(&release),
                    )?;
                }
                Unit::Manifests(unit) => {
                    let to = Placement {
                        dir: &dir,
                        profile_ref: &profile_ref,
                        pinned: &layer.images,
                    };
                    render_manifests(
                        input,
                        profile,
                        settings,
                        &unit.files,
                        &to,
                        &mut manifest_index,
                        files,
                    )?;
                }
                Unit::Pack(pack) => {
                    let to = Placement {
                        dir: &dir,
                        profile_ref: &profile_ref,
                        pinned: &layer.images,
                    };
                    render_manifests(
                        input,
                        profile,
                        settings,
                        &pack.files,
                        &to,
                        &mut manifest_index,
                        files,
                    )?;
                }
                // Served under /files/ by the mirror; nothing for the cluster to apply.
                Unit::Files(_) => {}
            }
        }
    }
    Ok(())
}

fn unknown_variable(
    cluster: &str,
    profile_ref: &str,
    file: String,
) -> impl FnOnce(UnknownVariable) -> DesiredError {
    let (cluster, profile) = (cluster.to_owned(), profile_ref.to_owned());
    move |UnknownVariable(variable)| DesiredError::UnknownVariable {
        cluster,
        profile,
        file,
        variable,
    }
}

/// Where a layer's manifests go and what they may be pinned to.
struct Placement<'a> {
    dir: &'a str,
    profile_ref: &'a str,
    pinned: &'a [PinnedImage],
}

fn render_manifests(
    input: &Input,
    profile: &InputProfile,
    settings: &FleetSettings,
    manifests: &[ManifestFile],
    to: &Placement<'_>,
    index: &mut usize,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), DesiredError> {
    for file in manifests {
        let text = substitute_text(&file.content, &profile.variables).map_err(unknown_variable(
            &input.cluster,
            to.profile_ref,
            file.name.clone(),
        ))?;
        let rewritten = crate::rewrite::rewrite(&text, &settings.mirror_host).map_err(|e| {
            DesiredError::Rewrite {
                cluster: input.cluster.clone(),
                file: file.name.clone(),
                reason: e.to_string(),
            }
        })?;
        let text = pin_digests(&rewritten, &settings.mirror_host, to.pinned);
        *index += 1;
        let path = format!(
            "{}/{:02}-{}",
            to.dir,
            *index,
            manifest_file_name(&file.name)
        );
        insert(files, &input.cluster, path, text.into_bytes())?;
    }
    Ok(())
}

/// The rewritten text with every mirror reference that has a tag but no digest pinned to the
/// digest the layer's images give for it, so the cluster runs exactly what the bundle carried.
fn pin_digests(
    rewritten: &crate::rewrite::Rewritten,
    mirror: &str,
    pinned: &[PinnedImage],
) -> String {
    let digests: BTreeMap<String, &Digest> = pinned
        .iter()
        .filter_map(|p| Some((normalize_reference(&p.reference).ok()?, &p.digest)))
        .collect();
    let mut lines: Vec<String> = rewritten
        .text
        .split_inclusive('\n')
        .map(str::to_owned)
        .collect();
    for change in &rewritten.changes {
        if change.to.contains('@') {
            continue;
        }
        let Some(upstream) = change
            .to
            .strip_prefix(mirror)
            .and_then(|r| r.strip_prefix('/'))
        else {
            continue;
        };
        if let (Some(digest), Some(line)) = (digests.get(upstream), lines.get_mut(change.line - 1))
        {
            *line = line.replacen(&change.to, &format!("{}@{digest}", change.to), 1);
        }
    }
    lines.concat()
}

fn insert(
    files: &mut BTreeMap<String, Vec<u8>>,
    cluster: &str,
    path: String,
    content: Vec<u8>,
) -> Result<(), DesiredError> {
    if path == KUSTOMIZATION || files.contains_key(&path) {
        return Err(DesiredError::DuplicatePath {
            cluster: cluster.to_owned(),
            path,
        });
    }
    files.insert(path, content);
    Ok(())
}

/// Pretty JSON with a final newline: a YAML document every reader reads alike.
fn json_document(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("json value serialises");
    out.push(b'\n');
    out
}

/// A name made safe as one path segment: only `[A-Za-z0-9._-]`, never `.`/`..` or hidden.
fn path_segment(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "_".to_owned()
    } else {
        safe.to_owned()
    }
}

/// `manifests/cni.yaml` → `manifests-cni.yaml`; always ends in `.yaml` or `.yml`.
fn manifest_file_name(name: &str) -> String {
    let flat = path_segment(name);
    if flat.ends_with(".yaml") || flat.ends_with(".yml") {
        flat
    } else {
        format!("{flat}.yaml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_climb_or_hide() {
        assert_eq!(path_segment("../etc/passwd"), "-etc-passwd");
        assert_eq!(path_segment(".."), "_");
        assert_eq!(
            manifest_file_name("manifests/cni.yaml"),
            "manifests-cni.yaml"
        );
        assert_eq!(manifest_file_name("inline"), "inline.yaml");
    }
}
