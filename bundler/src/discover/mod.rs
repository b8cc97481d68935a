//! Image discovery without a Helm binary: charts (directories or .tgz, with subcharts),
//! plain manifests and Spectro packs are read heuristically under their default (or given)
//! values, for the cluster [`DiscoverOptions`] describe; the objects a chart renders to are
//! read from parsed objects (`objects`). What cannot be resolved is reported as a [`Warning`] naming its location; nothing
//! is dropped silently.

mod archive;
mod blocks;
mod chart;
mod chart_meta;
mod chart_rendered;
mod chart_templates;
mod collect;
mod embedded;
mod error;
mod manifests;
mod objects;
mod options;
mod origin;
pub(crate) mod pack;
mod pod_images;
mod reference;
mod template;
pub(crate) mod values;

use std::path::Path;

pub use error::DiscoverError;
pub use objects::{discover_object, ObjectSource};
pub use options::{ApiVersion, DiscoverOptions, KubeVersion, OptionsError, DEFAULT_KUBE_VERSION};
pub use origin::{Origin, Rule};
pub use reference::{normalize_reference, ReferenceError};
pub use values::{chart_yaml_options, parse_helm_yaml, yaml_error_message, yaml_error_position};

pub use archive::FileSet;
use collect::Collector;

/// One image a source needs. It serialises its origins as their text, the form bundle
/// manifests record (the snapshot tests hold that text still); the fields are on [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiscoveredImage {
    /// Normalised reference, e.g. `docker.io/library/nginx:1.27`.
    pub reference: String,
    /// The first place the image was found.
    #[serde(serialize_with = "origin::as_text")]
    pub origin: Origin,
    /// Every place the image was found (first equals `origin`).
    #[serde(serialize_with = "origin::all_as_text")]
    pub origins: Vec<Origin>,
}

impl DiscoveredImage {
    /// Whether only heuristics found the image: every origin is a guess.
    pub fn is_guess(&self) -> bool {
        self.origins.iter().all(|o| o.guess)
    }
}

/// Something discovery could not resolve, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Images (deduplicated by reference, sorted) and warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Discovery {
    pub images: Vec<DiscoveredImage>,
    pub warnings: Vec<Warning>,
}

impl Discovery {
    /// The references alone.
    pub fn references(&self) -> Vec<&str> {
        self.images.iter().map(|i| i.reference.as_str()).collect()
    }

    /// How many images only heuristics found ([`DiscoveredImage::is_guess`]), counted apart
    /// from those found for certain.
    pub fn guesses(&self) -> usize {
        self.images.iter().filter(|i| i.is_guess()).count()
    }

    /// Combines two discoveries, keeping every origin.
    pub fn merge(self, other: Discovery) -> Discovery {
        let mut collector = Collector::default();
        collector.absorb(self);
        collector.absorb(other);
        collector.finish()
    }
}

/// Discovers the images of a chart directory or `.tgz` with `overrides` (values layers, later
/// wins) applied over the chart's `values.yaml`.
pub fn discover_chart(
    chart: &Path,
    overrides: &[serde_json::Value],
) -> Result<Discovery, DiscoverError> {
    discover_chart_as(chart, &chart.display().to_string(), overrides)
}

/// [`discover_chart`] with errors and warnings naming the chart by `label` (e.g.
/// `chart redis 18.1.0`) instead of by where it lies on disk, such as the cache.
pub fn discover_chart_as(
    chart: &Path,
    label: &str,
    overrides: &[serde_json::Value],
) -> Result<Discovery, DiscoverError> {
    discover_chart_with(chart, label, overrides, &DiscoverOptions::default())
}

/// [`discover_chart_as`] for the cluster `options` describe (Kubernetes version, API
/// versions); origins of what templates and values gave name the version.
pub fn discover_chart_with(
    chart: &Path,
    label: &str,
    overrides: &[serde_json::Value],
    options: &DiscoverOptions,
) -> Result<Discovery, DiscoverError> {
    let files = FileSet::from_path_as(chart, label)?;
    let mut out = Collector::default();
    chart_rendered::discover(&files, overrides, options, &mut out)?;
    Ok(out.finish())
}

/// Discovers the images of a multi-document YAML stream; `name` (its file) labels origins.
pub fn discover_manifests(name: &str, yaml: &str) -> Discovery {
    let mut out = Collector::default();
    manifests::discover(None, name, yaml, &mut out);
    out.finish()
}

/// Discovers the images of a Spectro pack directory or `.tar.gz`.
pub fn discover_pack(pack: &Path) -> Result<Discovery, DiscoverError> {
    discover_pack_as(pack, &pack.display().to_string())
}

/// [`discover_pack`] with errors naming the pack by `label` rather than its path.
pub fn discover_pack_as(pack: &Path, label: &str) -> Result<Discovery, DiscoverError> {
    discover_pack_with(pack, label, &DiscoverOptions::default())
}

/// [`discover_pack_as`] with the pack's charts read for the cluster `options` describe.
pub fn discover_pack_with(
    pack: &Path,
    label: &str,
    options: &DiscoverOptions,
) -> Result<Discovery, DiscoverError> {
    let files = FileSet::from_path_as(pack, label)?;
    let mut out = Collector::default();
    pack::discover(&files, options, &mut out)?;
    Ok(out.finish())
}
