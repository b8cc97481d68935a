//! The report an agent sends from a cluster: what runs there, and what its GitOps tool applied.
//!
//! The same document travels over HTTP (`POST /api/v1/fleet/reports`) and by hand
//! (`ferry agent report --out`, `ferry fleet report import`), inside a [`SignedReport`] whose
//! MAC proves it came from the holder of the cluster's credential. The appliance parses it as
//! hostile input: unknown fields refused, sizes bounded.

use serde::{Deserialize, Serialize};

pub const REPORT_MEDIA_TYPE: &str = "application/vnd.ferry.fleet.report.v1+json";

/// Largest report the appliance reads (a cluster with tens of thousands of pods fits).
pub const MAX_REPORT_SIZE: u64 = 32 * 1024 * 1024;

/// A report and its MAC: HMAC-SHA256 over the report's canonical bytes
/// (`serde_json::to_vec(&report)`), keyed by the sha256 of the cluster's secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedReport {
    pub report: Report,
    /// Lower-case hex.
    pub mac: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Report {
    /// Always 1.
    pub schema_version: u32,
    /// The cluster it reports for; must be the credential's own.
    pub cluster: String,
    /// Strictly increasing per cluster; the appliance refuses a sequence it has seen or passed.
    pub sequence: u64,
    /// RFC 3339 UTC, the agent's clock (informational: the appliance uses its own receive time).
    pub generated_at: String,
    /// `ferry <version>`.
    pub agent: String,
    /// How often the agent reports, so the appliance can tell a late cluster (Offline).
    pub interval_seconds: u64,
    pub pods: Vec<PodReport>,
    pub nodes: Vec<NodeReport>,
    /// Flux objects (OCIRepository, Kustomization, HelmRelease) and Argo CD Applications.
    #[serde(default)]
    pub gitops: Vec<GitOpsObject>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodReport {
    pub namespace: String,
    pub name: String,
    /// The controlling owner, `Kind/name` (`ReplicaSet/web-5d8f…`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// `status.phase`.
    pub phase: String,
    /// The pod's `Ready` condition.
    pub ready: bool,
    pub containers: Vec<ContainerReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerReport {
    pub name: String,
    /// `spec.containers[].image`, as written.
    pub image: String,
    /// `status.containerStatuses[].imageID`: the digest the node actually pulled
    /// (`docker.io/library/busybox@sha256:…`, or `docker-pullable://…` as some runtimes write
    /// it); absent until the container has started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    pub ready: bool,
    pub restarts: u32,
    /// Init containers run to completion and are not expected to stay ready.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeReport {
    pub name: String,
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOpsObject {
    /// `OCIRepository`, `Kustomization`, `HelmRelease` or `Application`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The `Ready` condition: `Some(true)`, `Some(false)`, or `None` when Unknown or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// OCIRepository `status.artifact.revision` (`rev-3@sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_revision: Option<String>,
    /// OCIRepository's `SourceVerified` condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_verified: Option<bool>,
    /// Kustomization/HelmRelease `status.lastAppliedRevision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// Kustomization/HelmRelease `status.lastAttemptedRevision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
}
