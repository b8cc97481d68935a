//! From profiles to requests: what each layer source asks the resolver for.
//!
//! Images are found in two passes. Sources that carry their own content (charts, packs) are
//! resolved first, because their images can only be discovered by reading that content; then
//! every image, discovered or listed by hand, is resolved in one batch.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::discover::{self, DiscoverOptions, Discovery, Warning};
use crate::format::{Digest, Provenance};
use crate::net::{ChartRequest, FileRequest, ImageRequest, OciPackRequest, PackRequest};
use crate::profile::{ChartSource, FileSource, Layer, PackSource, Profile, Source};

use super::PipelineError;

/// A chart to resolve, with what discovery needs once its package is in the cache.
#[derive(Debug, Clone)]
pub struct PlannedChart {
    pub request: ChartRequest,
    /// A local chart, already packaged as `.tgz`, and how the lock names it (its path relative
    /// to the profile directory).
    pub local_tgz: Option<(PathBuf, String)>,
    /// Values layers over the chart's defaults, in order (values files, then `set`).
    pub overrides: Vec<serde_json::Value>,
    pub provenance: Provenance,
    pub platforms: Vec<String>,
    /// The cluster the chart is discovered for: its layer's (or profile's) `kubeVersion` and
    /// `apiVersions`.
    pub options: DiscoverOptions,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub images: Vec<ImageRequest>,
    pub charts: Vec<PlannedChart>,
    /// Packs with the platforms their images are wanted for and the cluster their charts are
    /// discovered for.
    pub packs: Vec<(PackRequest, Vec<String>, DiscoverOptions)>,
    /// Packs in a registry, likewise.
    pub oci_packs: Vec<(OciPackRequest, Vec<String>, DiscoverOptions)>,
    pub files: Vec<FileRequest>,
    pub warnings: Vec<Warning>,
    /// Where each image came from, as fields; the requests' provenance has the same as text.
    pub origins: Vec<ImageOrigin>,
}

/// One place an image was found or listed, for `ferry discover --output json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOrigin {
    pub reference: String,
    pub profile: String,
    pub layer: String,
    pub origin: discover::Origin,
}

impl Plan {
    /// Adds discovered images as requests, keeping where each came from.
    pub fn add_discovery(&mut self, d: Discovery, prov: &Provenance, platforms: &[String]) {
        for image in d.images {
            let provenance = image
                .origins
                .iter()
                .map(|origin| Provenance {
                    origin: origin.to_string(),
                    ..prov.clone()
                })
                .collect();
            self.origins
                .extend(image.origins.into_iter().map(|origin| ImageOrigin {
                    reference: image.reference.clone(),
                    profile: prov.profile.clone(),
                    layer: prov.layer.clone(),
                    origin,
                }));
            self.images.push(ImageRequest {
                reference: image.reference,
                platforms: platforms.to_vec(),
                provenance,
            });
        }
        self.warnings.extend(d.warnings);
    }
}

/// Plans every source of every profile. `work` holds packaged local charts and packs.
pub fn plan(
    profiles: &[Profile],
    default_platforms: &[String],
    work: &Path,
) -> Result<Plan, PipelineError> {
    let mut plan = Plan::default();
    for profile in profiles {
        for layer in &profile.layers {
            let mut platforms = layer.effective_platforms(profile).to_vec();
            if platforms.is_empty() {
                platforms = default_platforms.to_vec();
            }
            for source in &layer.sources {
                plan_source(&mut plan, profile, layer, source, &platforms, work)?;
            }
        }
    }
    Ok(plan)
}

fn plan_source(
    plan: &mut Plan,
    profile: &Profile,
    layer: &Layer,
    source: &Source,
    platforms: &[String],
    work: &Path,
) -> Result<(), PipelineError> {
    let prov = |origin: String| Provenance {
        profile: profile.name.clone(),
        layer: layer.name.clone(),
        origin,
    };
    let file = &profile.source_file;
    match source {
        Source::Images(refs) => {
            for r in refs {
                let reference =
                    discover::normalize_reference(r).map_err(|e| PipelineError::Profile {
                        path: file.clone(),
                        message: format!("layer {}: image {r:?}: {e}", layer.name),
                    })?;
                let origin = discover::Origin::listed(&file.display().to_string());
                plan.images.push(ImageRequest {
                    reference: reference.clone(),
                    platforms: platforms.to_vec(),
                    provenance: vec![prov(origin.to_string())],
                });
                plan.origins.push(ImageOrigin {
                    reference,
                    profile: profile.name.clone(),
                    layer: layer.name.clone(),
                    origin,
                });
            }
        }
        Source::Manifests(m) => {
            for path in &m.files {
                let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Read {
                    path: path.clone(),
                    source,
                })?;
                let d = discover::discover_manifests(&profile.location(path), &text);
                plan.add_discovery(d, &prov(String::new()), platforms);
            }
            for (i, text) in m.inline.iter().enumerate() {
                let name = format!(
                    "{} layer {} inline manifest #{}",
                    profile.location(file),
                    layer.name,
                    i + 1
                );
                plan.add_discovery(
                    discover::discover_manifests(&name, text),
                    &prov(String::new()),
                    platforms,
                );
            }
        }
        Source::Chart(c) => {
            let mut chart = plan_chart(c, profile, platforms, work, prov)?;
            chart.options = layer.discover_options(profile);
            plan.charts.push(chart);
        }
        Source::Pack(p) if p.oci.is_some() => {
            let request = plan_oci_pack(p, file, prov)?;
            let options = layer.discover_options(profile);
            plan.oci_packs.push((request, platforms.to_vec(), options));
        }
        Source::Pack(p) => {
            let request = plan_pack(p, profile, work, prov)?;
            let options = layer.discover_options(profile);
            plan.packs.push((request, platforms.to_vec(), options));
        }
        Source::Files(files) => {
            for f in files {
                plan.files.push(plan_file(f, profile, prov)?);
            }
        }
    }
    Ok(())
}

pub(super) fn plan_chart(
    c: &ChartSource,
    profile: &Profile,
    platforms: &[String],
    work: &Path,
    prov: impl Fn(String) -> Provenance,
) -> Result<PlannedChart, PipelineError> {
    let file = &profile.source_file;
    let bad = |message: String| PipelineError::Profile {
        path: file.to_path_buf(),
        message,
    };
    let mut overrides = Vec::new();
    for values in &c.values {
        overrides.push(read_yaml_value(values)?);
    }
    if let Some(set) = &c.set {
        overrides.push(serde_json::Value::Object(set.clone()));
    }
    let version = c.version.clone().unwrap_or_default();
    let (request, local_tgz) = if let Some(repo) = &c.repo {
        let name = c
            .name
            .clone()
            .ok_or_else(|| bad(format!("chart from {repo} needs a name")))?;
        (
            ChartRequest {
                name,
                repo: repo.clone(),
                version,
                provenance: vec![],
            },
            None,
        )
    } else if let Some(oci) = &c.oci {
        let (base, name) = oci
            .trim_end_matches('/')
            .rsplit_once('/')
            .ok_or_else(|| bad(format!("chart {oci:?} is not oci://HOST/PATH/NAME")))?;
        let name = c.name.clone().unwrap_or_else(|| name.to_owned());
        (
            ChartRequest {
                name,
                repo: base.to_owned(),
                version,
                provenance: vec![],
            },
            None,
        )
    } else if let Some(path) = &c.path {
        let tgz = local_package(path, work)?;
        let meta = read_chart_yaml(&tgz)?;
        let name = meta.0;
        (
            ChartRequest {
                name,
                repo: String::new(),
                version: meta.1,
                provenance: vec![],
            },
            Some((tgz, profile.location(path))),
        )
    } else {
        return Err(bad("chart source needs one of repo, oci or path".into()));
    };
    let origin = match (&c.repo, &c.oci, &c.path) {
        (Some(repo), _, _) => format!("chart {} {} from {repo}", request.name, request.version),
        (_, Some(oci), _) => format!("chart {} {} from {oci}", request.name, request.version),
        (_, _, Some(path)) => format!(
            "chart {} {} from {}",
            request.name,
            request.version,
            profile.location(path)
        ),
        _ => unreachable!("checked above"),
    };
    let provenance = prov(origin);
    Ok(PlannedChart {
        request: ChartRequest {
            provenance: vec![provenance.clone()],
            ..request
        },
        local_tgz,
        overrides,
        provenance,
        platforms: platforms.to_vec(),
        options: DiscoverOptions::default(),
    })
}

pub(super) fn plan_pack(
    p: &PackSource,
    profile: &Profile,
    work: &Path,
    prov: impl Fn(String) -> Provenance,
) -> Result<PackRequest, PipelineError> {
    let Some(path) = &p.path else {
        return Err(PipelineError::Profile {
            path: profile.source_file.clone(),
            message: "pack source needs one of path or oci".into(),
        });
    };
    let tgz = local_package(path, work)?;
    let meta: serde_json::Value = serde_json::from_slice(&read_member(&tgz, "pack.json")?)
        .map_err(|e| PipelineError::Profile {
            path: path.clone(),
            message: format!("pack.json: {e}"),
        })?;
    let field = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let (Some(name), Some(version)) = (field("name"), field("version")) else {
        return Err(PipelineError::Profile {
            path: path.clone(),
            message: "pack.json needs string fields name and version".into(),
        });
    };
    let location = profile.location(path);
    Ok(PackRequest {
        provenance: vec![prov(format!("pack {name} {version} from {location}"))],
        name,
        version,
        read_from: tgz.display().to_string(),
        location,
    })
}

/// `oci://host/path/<name>` with the profile's `version` as the tag.
pub(super) fn plan_oci_pack(
    p: &PackSource,
    file: &Path,
    prov: impl Fn(String) -> Provenance,
) -> Result<OciPackRequest, PipelineError> {
    let oci = p.oci.as_deref().unwrap_or_default();
    let bad = |message: String| PipelineError::Profile {
        path: file.to_path_buf(),
        message: format!("pack {oci:?}: {message}"),
    };
    let location = oci
        .strip_prefix("oci://")
        .ok_or_else(|| bad("is not oci://HOST/PATH/NAME".into()))?
        .trim_end_matches('/');
    let name = match location.rsplit_once('/') {
        Some((host, name)) if !host.is_empty() && !name.is_empty() && !name.contains(':') => name,
        _ => {
            return Err(bad(
                "is not oci://HOST/PATH/NAME (the tag is the version)".into()
            ))
        }
    };
    let version = p
        .version
        .clone()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad("an oci pack needs a version".into()))?;
    Ok(OciPackRequest {
        provenance: vec![prov(format!("pack {name} {version} from {oci}"))],
        name: name.to_owned(),
        version,
        location: location.to_owned(),
    })
}

/// A file to fetch: a URL must say its sha256; a local file may, and is otherwise pinned by the
/// lock as it was read (so `--locked` notices when the file changes).
fn plan_file(
    f: &FileSource,
    profile: &Profile,
    prov: impl Fn(String) -> Provenance,
) -> Result<FileRequest, PipelineError> {
    let layer = prov(String::new()).layer;
    let (location, read_from) = match (&f.url, &f.path) {
        (Some(url), _) => (url.clone(), None),
        (None, Some(path)) => (profile.location(path), Some(path.display().to_string())),
        (None, None) => (String::new(), None),
    };
    let bad = |message: String| PipelineError::Profile {
        path: profile.source_file.clone(),
        message: format!("layer {layer:?}: files: {location:?}: {message}"),
    };
    if location.is_empty() {
        return Err(bad("a file source needs url or path".into()));
    }
    let name = f
        .effective_name()
        .ok_or_else(|| bad("needs a name".into()))?;
    // A local file without a sha256 is hashed once, as resolution reads it into the cache.
    let sha256 = match f.sha256.as_deref() {
        Some(hex) => Some(
            Digest::from_hex(hex.trim_start_matches("sha256:")).map_err(|e| bad(e.to_string()))?,
        ),
        None if read_from.is_some() => None,
        None => return Err(bad("a url file needs its sha256".into())),
    };
    Ok(FileRequest {
        provenance: vec![prov(format!("file {name} from {location}"))],
        name,
        location,
        read_from,
        sha256,
    })
}

fn local_package(path: &Path, work: &Path) -> Result<PathBuf, PipelineError> {
    Ok(crate::net::package::package_source(path, work)?)
}

/// A user's values file, read as Helm reads `-f` files (YAML 1.1, see
/// [`discover::parse_helm_yaml`]).
fn read_yaml_value(path: &Path) -> Result<serde_json::Value, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    discover::parse_helm_yaml("", "", &text).map_err(|e| PipelineError::Profile {
        path: path.to_path_buf(),
        message: match e {
            discover::DiscoverError::Yaml {
                line,
                column,
                message,
                ..
            } => format!("line {line}, column {column}: {message}"),
            other => other.to_string(),
        },
    })
}

/// Name and version from a packaged chart's top-level Chart.yaml.
fn read_chart_yaml(tgz: &Path) -> Result<(String, String), PipelineError> {
    let bytes = read_member(tgz, "Chart.yaml")?;
    let v: serde_json::Value =
        serde_saphyr::from_slice_with_options(&bytes, discover::chart_yaml_options()).map_err(
            |e| PipelineError::Profile {
                path: tgz.to_path_buf(),
                message: format!("Chart.yaml: {e}"),
            },
        )?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    match (field("name"), field("version")) {
        (Some(n), Some(ver)) => Ok((n, ver)),
        _ => Err(PipelineError::Profile {
            path: tgz.to_path_buf(),
            message: "Chart.yaml needs name and version".into(),
        }),
    }
}

/// Reads `<top dir>/<name>` (a small metadata file) out of a `.tgz`, without unpacking anything.
pub(super) fn read_member(tgz: &Path, name: &str) -> Result<Vec<u8>, PipelineError> {
    const MAX: u64 = 1024 * 1024;
    let err = |message: String| PipelineError::Profile {
        path: tgz.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(tgz).map_err(|source| PipelineError::Read {
        path: tgz.to_path_buf(),
        source,
    })?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().map_err(|e| err(e.to_string()))? {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        let path = entry.path().map_err(|e| err(e.to_string()))?.into_owned();
        let parts: Vec<_> = path.components().collect();
        if parts.len() == 2 && parts[1].as_os_str() == name && entry.header().entry_type().is_file()
        {
            let mut out = Vec::new();
            entry
                .take(MAX)
                .read_to_end(&mut out)
                .map_err(|e| err(e.to_string()))?;
            return Ok(out);
        }
    }
    Err(err(format!("no {name} at the top of the archive")))
}
