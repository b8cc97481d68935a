//! A profile's layer definitions, as the enclave needs them to render a cluster's desired state:
//! what each layer installs, with which values, pinned to digests.
//!
//! A bundle carries one per profile, as a blob named by `ProfileEntry::definition`, in its
//! canonical encoding ([`ProfileDefinition::to_vec`]). Its digest is the "layer definitions'
//! digest" the management instance compares to tell an in-place revision (same name and
//! version, different content) from a repeat.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::digest::Digest;

pub const PROFILE_DEFINITION_MEDIA_TYPE: &str = "application/vnd.ferry.profile.definition.v1+json";

/// Largest definition the enclave reads into memory (values and manifests of one profile).
pub const MAX_PROFILE_DEFINITION_SIZE: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileDefinition {
    /// Always 1.
    pub schema_version: u32,
    pub name: String,
    pub version: String,
    /// `infra`, `add-on` or `full`.
    #[serde(rename = "type")]
    pub profile_type: String,
    /// Typed variables the profile's values and manifests use as `{{ .spectro.var.NAME }}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    pub layers: Vec<LayerDefinition>,
}

/// A profile variable, filled per cluster when its desired state is rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type")]
    pub var_type: VariableType,
    /// Used when a cluster gives no value; must have the variable's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// A regular expression a string value must match in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Rendering refuses a cluster that has neither a value nor a default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Never shown in listings, diffs or the audit log (only a hash of it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    String,
    Number,
    Bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayerDefinition {
    pub name: String,
    /// `os`, `k8s`, `cni`, `csi` or `addon`.
    pub kind: String,
    pub units: Vec<Unit>,
    /// Every image this layer needs, pinned: what the cluster should be running for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PinnedImage>,
}

/// One thing a layer installs, in the profile's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Unit {
    Chart(ChartUnit),
    Manifests(ManifestsUnit),
    Pack(PackUnit),
    Files(FilesUnit),
}

/// A Helm chart the mirror serves as an OCI chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartUnit {
    /// Chart name (`Chart.yaml` `name`), also the default release name.
    pub name: String,
    pub version: String,
    /// The bundle artifact's reference (`Artifact::reference`).
    pub reference: String,
    /// Repository the mirror serves it under (`charts/podinfo`).
    pub repository: String,
    pub digest: Digest,
    /// The profile's values for it: its values files, then `set`, merged as Helm merges
    /// `-f` files (maps deep, everything else replaced). Chart defaults are not included.
    #[serde(default)]
    pub values: Map<String, Value>,
}

/// Plain Kubernetes documents, as the profile carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestsUnit {
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestFile {
    /// Where it came from, for messages (`manifests/cni.yaml`, `inline-1.yaml`).
    pub name: String,
    /// Multi-document YAML, exactly as written.
    pub content: String,
}

/// A Spectro pack: its manifests and its charts rendered with its values when the bundle was
/// built, since its charts travel inside the pack, not as charts the mirror serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackUnit {
    pub name: String,
    pub version: String,
    pub reference: String,
    pub repository: String,
    pub digest: Digest,
    #[serde(default)]
    pub values: Map<String, Value>,
    pub files: Vec<ManifestFile>,
}

/// Plain files the mirror serves under `/files/`; nothing is applied for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesUnit {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PinnedImage {
    /// As the profile or chart names it (`docker.io/library/busybox:1.36`).
    pub reference: String,
    /// Repository the mirror serves it under (`docker.io/library/busybox`).
    pub repository: String,
    /// The top-level manifest or index digest.
    pub digest: Digest,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileDefinitionError {
    #[error("profile definition is not valid JSON for schema version 1: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("profile definition has schema version {0}; this ferry reads version 1")]
    SchemaVersion(u32),
    #[error("profile definition is {0} bytes; at most {MAX_PROFILE_DEFINITION_SIZE} are read")]
    TooLarge(u64),
}

impl ProfileDefinition {
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ProfileDefinitionError> {
        if bytes.len() as u64 > MAX_PROFILE_DEFINITION_SIZE {
            return Err(ProfileDefinitionError::TooLarge(bytes.len() as u64));
        }
        let d: Self = serde_json::from_slice(bytes)?;
        if d.schema_version != 1 {
            return Err(ProfileDefinitionError::SchemaVersion(d.schema_version));
        }
        Ok(d)
    }

    /// The canonical encoding: compact JSON in struct order (maps sorted by key, as
    /// `serde_json::Map` keeps them), so equal definitions are equal bytes and equal digests.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("definition serialises")
    }

    pub fn digest(&self) -> Digest {
        Digest::of_bytes(&self.to_vec())
    }

    pub fn layer(&self, name: &str) -> Option<&LayerDefinition> {
        self.layers.iter().find(|l| l.name == name)
    }
}
