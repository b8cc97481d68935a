use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::variables::ProfileVariable;
use crate::discover::{ApiVersion, DiscoverOptions, KubeVersion};

/// One cluster profile file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub version: String,
    #[serde(rename = "type")]
    pub profile_type: ProfileType,
    /// Default platforms (`os/arch[/variant]`) for every layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// The Kubernetes version charts are discovered for (`.Capabilities.KubeVersion`); when
    /// neither the profile nor a layer sets it, [`crate::discover::DEFAULT_KUBE_VERSION`].
    #[serde(
        rename = "kubeVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_version: Option<KubeVersion>,
    /// API versions the cluster serves beyond the built-in ones (`.Capabilities.APIVersions`).
    #[serde(rename = "apiVersions", default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<ApiVersion>,
    /// Typed variables the profile's values and manifests use as `{{ .spectro.var.NAME }}`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::variables::deserialize_variables"
    )]
    pub variables: Vec<ProfileVariable>,
    pub layers: Vec<Layer>,
    /// The file this profile was loaded from; relative source paths were resolved against its directory.
    #[serde(skip)]
    pub source_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileType {
    Infra,
    AddOn,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Os,
    K8s,
    Cni,
    Csi,
    Addon,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub name: String,
    pub kind: LayerKind,
    /// Overrides the profile's platforms for this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    /// Overrides the profile's `kubeVersion` for this layer's charts and packs.
    #[serde(
        rename = "kubeVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_version: Option<KubeVersion>,
    /// Replaces the profile's `apiVersions` for this layer.
    #[serde(
        rename = "apiVersions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub api_versions: Option<Vec<ApiVersion>>,
    pub sources: Vec<Source>,
}

impl Layer {
    /// The platforms this layer is built for: its own list, else the profile default.
    pub fn effective_platforms<'a>(&'a self, profile: &'a Profile) -> &'a [String] {
        self.platforms.as_deref().unwrap_or(&profile.platforms)
    }

    /// The cluster this layer's charts and packs are discovered for: the layer's
    /// `kubeVersion` and `apiVersions`, else the profile's, else the defaults.
    pub fn discover_options(&self, profile: &Profile) -> DiscoverOptions {
        DiscoverOptions {
            kube_version: self
                .kube_version
                .clone()
                .or_else(|| profile.kube_version.clone())
                .unwrap_or_default(),
            api_versions: self
                .api_versions
                .clone()
                .unwrap_or_else(|| profile.api_versions.clone()),
        }
    }
}

/// One thing a layer carries; written as a single-key map (`- chart: {...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Source {
    Chart(ChartSource),
    Manifests(ManifestsSource),
    Pack(PackSource),
    Images(Vec<String>),
    Files(Vec<FileSource>),
}

/// A Helm chart from a classic repository (`repo` + `name`), an OCI reference (`oci`) or a
/// local directory/.tgz (`path`): exactly one of the three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Chart name in a `repo`; defaults to the last path segment for `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Exact version or semver range (`^6.4`, `6.x`); required for `repo` and `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Values files layered over the chart defaults, in order (later wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<PathBuf>,
    /// Inline values layered last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestsSource {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PathBuf>,
    /// Inline multi-document YAML strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline: Vec<String>,
}

/// A Spectro pack: a local directory/.tar.gz (`path`) or an OCI artifact (`oci` + `version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A plain file: downloaded from `url` (sha256 required) or taken from `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Name in the bundle; defaults to the last segment of `url` or `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl FileSource {
    /// The name the file is served under.
    pub fn effective_name(&self) -> Option<String> {
        if let Some(name) = &self.name {
            return Some(name.clone());
        }
        if let Some(url) = &self.url {
            let tail = url.split(['?', '#']).next().unwrap_or(url);
            return tail
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
        }
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    }
}
