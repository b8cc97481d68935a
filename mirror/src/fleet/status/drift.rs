//! Per-layer readiness and image drift of one cluster: its indexed desired images against the
//! running images of its latest report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlx::AnyConnection;

use crate::fleet::query::index::DesiredImage;
use crate::fleet::reports::containers;
use crate::fleet::FleetError;

/// Namespaces of the platform itself: their images are reported as drift too, but marked, since
/// a profile seldom names every one of them.
pub const SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "flux-system",
    "argocd",
];

#[derive(Debug, Clone)]
pub struct RunningRow {
    pub repository: String,
    pub reference: String,
    pub digest: Option<String>,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub ready: i64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// Running, from a repository the desired state does not name.
    pub unexpected: Vec<DriftImage>,
    /// Named by the desired state; no container runs its repository.
    pub missing: Vec<MissingImage>,
    /// Running from a named repository at a digest the desired state does not pin.
    pub digest_mismatch: Vec<Mismatch>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftImage {
    pub repository: String,
    pub reference: String,
    pub digest: Option<String>,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// In a system namespace (kube-system, flux-system, …).
    pub system: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissingImage {
    pub profile: Option<String>,
    pub layer: Option<String>,
    pub reference: String,
    pub digest: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    pub repository: String,
    pub desired_digests: Vec<String>,
    pub running_digest: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerStatus {
    pub profile: Option<String>,
    pub layer: String,
    /// Every image of the layer runs at its pinned digest, and every such container is ready.
    pub ready: bool,
    pub images: Vec<LayerImage>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerImage {
    pub reference: String,
    pub repository: String,
    pub digest: String,
    /// Containers running it at the pinned digest.
    pub containers: usize,
    /// Of those, not ready.
    pub not_ready: usize,
    /// Containers of its repository at other digests.
    pub other_digests: usize,
    pub ready: bool,
}

/// The containers of the cluster's latest report, by namespace, pod and container.
pub async fn running(
    conn: &mut AnyConnection,
    cluster: &str,
) -> Result<Vec<RunningRow>, FleetError> {
    let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM running_docs WHERE cluster = $1")
        .bind(cluster)
        .fetch_optional(&mut *conn)
        .await?;
    let mut out: Vec<RunningRow> = containers::read(doc.as_deref().unwrap_or("[]"), None)
        .into_iter()
        .flat_map(|((repository, _, digest), group)| {
            group.into_iter().map(move |c| RunningRow {
                repository: repository.clone(),
                reference: c.reference,
                digest: (!digest.is_empty()).then(|| digest.clone()),
                namespace: c.namespace,
                pod: c.pod,
                container: c.container,
                ready: i64::from(c.ready),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
    });
    Ok(out)
}

pub fn compare(desired: &[DesiredImage], running: &[RunningRow]) -> (Vec<LayerStatus>, Drift) {
    let mut pinned: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in desired {
        pinned.entry(&d.repository).or_default().insert(&d.digest);
    }
    let mut by_repo: BTreeMap<&str, Vec<&RunningRow>> = BTreeMap::new();
    for r in running {
        by_repo.entry(&r.repository).or_default().push(r);
    }
    let mut drift = Drift::default();
    for r in running {
        match pinned.get(r.repository.as_str()) {
            None => drift.unexpected.push(DriftImage {
                repository: r.repository.clone(),
                reference: r.reference.clone(),
                digest: r.digest.clone(),
                namespace: r.namespace.clone(),
                pod: r.pod.clone(),
                container: r.container.clone(),
                system: SYSTEM_NAMESPACES.contains(&r.namespace.as_str()),
            }),
            Some(digests) => {
                if let Some(d) = r.digest.as_deref().filter(|d| !digests.contains(d)) {
                    drift.digest_mismatch.push(Mismatch {
                        repository: r.repository.clone(),
                        desired_digests: digests.iter().map(|s| s.to_string()).collect(),
                        running_digest: d.to_owned(),
                        namespace: r.namespace.clone(),
                        pod: r.pod.clone(),
                        container: r.container.clone(),
                    });
                }
            }
        }
    }
    let mut layers: BTreeMap<(Option<&str>, &str), Vec<LayerImage>> = BTreeMap::new();
    for d in desired {
        let containers = by_repo
            .get(d.repository.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if containers.is_empty() {
            drift.missing.push(MissingImage {
                profile: d.profile.clone(),
                layer: d.layer.clone(),
                reference: d.reference.clone(),
                digest: d.digest.clone(),
            });
        }
        let Some(layer) = d.layer.as_deref() else {
            continue;
        };
        let at_pin: Vec<_> = containers
            .iter()
            .filter(|c| c.digest.as_deref() == Some(d.digest.as_str()))
            .collect();
        let not_ready = at_pin.iter().filter(|c| c.ready == 0).count();
        let other_digests = containers
            .iter()
            .filter(|c| {
                c.digest
                    .as_deref()
                    .is_some_and(|x| !pinned[d.repository.as_str()].contains(x))
            })
            .count();
        layers
            .entry((d.profile.as_deref(), layer))
            .or_default()
            .push(LayerImage {
                reference: d.reference.clone(),
                repository: d.repository.clone(),
                digest: d.digest.clone(),
                containers: at_pin.len(),
                not_ready,
                other_digests,
                ready: !at_pin.is_empty() && not_ready == 0 && other_digests == 0,
            });
    }
    let layers = layers
        .into_iter()
        .map(|((profile, layer), images)| LayerStatus {
            profile: profile.map(str::to_owned),
            layer: layer.to_owned(),
            ready: images.iter().all(|i| i.ready),
            images,
        })
        .collect();
    (layers, drift)
}
