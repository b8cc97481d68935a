//! The report an agent sends from a cluster: what runs there, and what its GitOps tool applied.
//!
//! The same document travels over HTTP (`POST /api/v1/fleet/reports`) and by hand
//! (`ferry agent report --out`, `ferry fleet report import`), inside a [`SignedReport`] whose
//! MAC proves it came from the holder of the cluster's credential. The appliance parses it as
//! hostile input: unknown fields refused, sizes bounded.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

pub const REPORT_MEDIA_TYPE: &str = "application/vnd.ferry.fleet.report.v1+json";

/// Largest report the appliance reads (a cluster with tens of thousands of pods fits).
pub const MAX_REPORT_SIZE: u64 = 32 * 1024 * 1024;
/// The only schema this code reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// Bounds on what one report may carry. Far above real clusters (Kubernetes supports 150,000
/// pods and 5,000 nodes per cluster), low enough that a hostile report cannot make the
/// appliance store millions of rows.
pub const MAX_PODS: usize = 200_000;
pub const MAX_CONTAINERS_PER_POD: usize = 128;
pub const MAX_NODES: usize = 10_000;
pub const MAX_GITOPS_OBJECTS: usize = 10_000;
/// Longest string in a report, in bytes: names, images and Flux messages all fit; the agent
/// clips longer messages ([`clip`]).
pub const MAX_STRING_LEN: usize = 4096;

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

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("report is {size} bytes, more than the limit of {MAX_REPORT_SIZE}")]
    TooLarge { size: u64 },
    #[error("report is not a valid signed report document: {0}")]
    Parse(String),
    #[error("report of cluster {cluster:?} has schema version {found}; this appliance reads version {SCHEMA_VERSION}")]
    SchemaVersion { cluster: String, found: u32 },
    #[error("report names cluster {0:?}, which is not a cluster name (a DNS-1123 label: lower-case letters, digits and '-', at most 63)")]
    ClusterName(String),
    #[error(
        "report of cluster {cluster:?} carries {count} {what}, more than the limit of {limit}"
    )]
    TooMany {
        cluster: String,
        what: String,
        count: usize,
        limit: usize,
    },
    #[error("report of cluster {cluster:?}: {field} is {len} bytes, more than the limit of {MAX_STRING_LEN}")]
    StringTooLong {
        cluster: String,
        field: String,
        len: usize,
    },
    #[error("report of cluster {cluster:?}: the mac is not 64 lower-case hex digits")]
    MacShape { cluster: String },
    #[error("report of cluster {cluster:?}: {what} appears twice (Kubernetes names pods uniquely per namespace, and containers per pod)")]
    Duplicate { cluster: String, what: String },
}

impl SignedReport {
    /// Parses a signed report from untrusted bytes: size, unknown fields, schema version,
    /// cluster name and bounds checked. The MAC is not: that needs the cluster's secret
    /// ([`verify_mac`]).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ReportError> {
        let size = bytes.len() as u64;
        if size > MAX_REPORT_SIZE {
            return Err(ReportError::TooLarge { size });
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let signed: SignedReport = serde_path_to_error::deserialize(de)
            .map_err(|e| ReportError::Parse(format!("at {}: {}", e.path(), e.inner())))?;
        signed.report.check()?;
        let mac_ok = signed.mac.len() == 64
            && signed
                .mac
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !mac_ok {
            return Err(ReportError::MacShape {
                cluster: signed.report.cluster.clone(),
            });
        }
        Ok(signed)
    }

    /// The report with its MAC under the cluster's key ([`secret_sha256`]).
    pub fn sign(report: Report, key: &[u8; 32]) -> Self {
        let mac = mac(key, &report);
        Self { report, mac }
    }
}

impl Report {
    /// The checks [`SignedReport::from_slice`] applies after parsing: schema version, cluster
    /// name, counts and string lengths. The agent runs them too before it signs, so a report
    /// the appliance would refuse fails where it is made.
    pub fn check(&self) -> Result<(), ReportError> {
        let cluster = || self.cluster.clone();
        if !is_valid_cluster_name(&self.cluster) {
            return Err(ReportError::ClusterName(self.cluster.clone()));
        }
        if self.schema_version != SCHEMA_VERSION {
            return Err(ReportError::SchemaVersion {
                cluster: cluster(),
                found: self.schema_version,
            });
        }
        let too_many = |what: String, count: usize, limit: usize| {
            if count > limit {
                Err(ReportError::TooMany {
                    cluster: cluster(),
                    what,
                    count,
                    limit,
                })
            } else {
                Ok(())
            }
        };
        too_many("pods".into(), self.pods.len(), MAX_PODS)?;
        too_many("nodes".into(), self.nodes.len(), MAX_NODES)?;
        too_many(
            "gitops objects".into(),
            self.gitops.len(),
            MAX_GITOPS_OBJECTS,
        )?;
        let long = |field: &dyn Fn() -> String, value: &str| {
            if value.len() > MAX_STRING_LEN {
                Err(ReportError::StringTooLong {
                    cluster: cluster(),
                    field: field(),
                    len: value.len(),
                })
            } else {
                Ok(())
            }
        };
        long(&|| "generatedAt".into(), &self.generated_at)?;
        long(&|| "agent".into(), &self.agent)?;
        for (i, pod) in self.pods.iter().enumerate() {
            too_many(
                format!("containers in pod {i}"),
                pod.containers.len(),
                MAX_CONTAINERS_PER_POD,
            )?;
            let at = |f: &str| format!("pods[{i}].{f}");
            long(&|| at("namespace"), &pod.namespace)?;
            long(&|| at("name"), &pod.name)?;
            long(&|| at("phase"), &pod.phase)?;
            long(&|| at("owner"), opt(&pod.owner))?;
            long(&|| at("node"), opt(&pod.node))?;
            for (j, c) in pod.containers.iter().enumerate() {
                let at = |f: &str| format!("pods[{i}].containers[{j}].{f}");
                long(&|| at("name"), &c.name)?;
                long(&|| at("image"), &c.image)?;
                long(&|| at("imageId"), opt(&c.image_id))?;
            }
        }
        self.check_unique()?;
        for (i, node) in self.nodes.iter().enumerate() {
            let at = |f: &str| format!("nodes[{i}].{f}");
            long(&|| at("name"), &node.name)?;
            long(&|| at("kubeletVersion"), opt(&node.kubelet_version))?;
            long(&|| at("osImage"), opt(&node.os_image))?;
            long(&|| at("architecture"), opt(&node.architecture))?;
        }
        for (i, g) in self.gitops.iter().enumerate() {
            let at = |f: &str| format!("gitops[{i}].{f}");
            long(&|| at("kind"), &g.kind)?;
            long(&|| at("namespace"), &g.namespace)?;
            long(&|| at("name"), &g.name)?;
            long(&|| at("reason"), opt(&g.reason))?;
            long(&|| at("message"), opt(&g.message))?;
            long(&|| at("artifactRevision"), opt(&g.artifact_revision))?;
            long(&|| at("lastAppliedRevision"), opt(&g.last_applied_revision))?;
            long(
                &|| at("lastAttemptedRevision"),
                opt(&g.last_attempted_revision),
            )?;
        }
        Ok(())
    }
}

impl Report {
    /// Every pod once per namespace, and every container (init or not) once per pod: ingest
    /// stores one row per container, keyed by them.
    fn check_unique(&self) -> Result<(), ReportError> {
        let mut pods = std::collections::HashSet::new();
        for (i, pod) in self.pods.iter().enumerate() {
            let twice = |what: String| ReportError::Duplicate {
                cluster: self.cluster.clone(),
                what,
            };
            if !pods.insert((pod.namespace.as_str(), pod.name.as_str())) {
                return Err(twice(format!(
                    "pods[{i}], pod {}/{},",
                    pod.namespace, pod.name
                )));
            }
            let mut containers = std::collections::HashSet::new();
            for (j, c) in pod.containers.iter().enumerate() {
                if !containers.insert(c.name.as_str()) {
                    return Err(twice(format!(
                        "pods[{i}].containers[{j}], container {} of pod {}/{},",
                        c.name, pod.namespace, pod.name
                    )));
                }
            }
        }
        Ok(())
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes.
pub fn is_valid_cluster_name(name: &str) -> bool {
    let b = name.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    !b.is_empty() && b.len() <= 63 && b.iter().all(inner) && b[0] != b'-' && b[b.len() - 1] != b'-'
}

/// `s` cut to at most [`MAX_STRING_LEN`] bytes on a character boundary, so a long Flux
/// message still fits a report.
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_STRING_LEN {
        return s.to_owned();
    }
    let mut end = MAX_STRING_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The MAC key of a cluster: sha256 of its secret, the same value the appliance stores
/// (hex) in `cluster_credentials`, so the appliance can verify without keeping the secret.
pub fn secret_sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn hmac_of(key: &[u8; 32], report: &Report) -> Hmac<Sha256> {
    /// Feeds the serialization straight into the MAC, not through a copy of the document.
    struct Feed(Hmac<Sha256>);
    impl std::io::Write for Feed {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let feed =
        Feed(<Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length"));
    // serde_json writes a token at a time; the MAC is fed whole blocks of them.
    let mut buffered = std::io::BufWriter::with_capacity(8192, feed);
    // Serializing plain structs of strings, numbers and vectors into a hash cannot fail.
    serde_json::to_writer(&mut buffered, report).expect("a report serializes");
    buffered
        .into_inner()
        .unwrap_or_else(|_| unreachable!("a MAC feed does not fail"))
        .0
}

/// Lower-case hex HMAC-SHA256 of `serde_json::to_vec(report)` under `key`.
pub fn mac(key: &[u8; 32], report: &Report) -> String {
    hex::encode(hmac_of(key, report).finalize().into_bytes())
}

/// Whether `signed.mac` is the MAC of `signed.report` under `key`, compared in constant time.
pub fn verify_mac(key: &[u8; 32], signed: &SignedReport) -> bool {
    let Ok(given) = hex::decode(&signed.mac) else {
        return false;
    };
    hmac_of(key, &signed.report).verify_slice(&given).is_ok()
}
