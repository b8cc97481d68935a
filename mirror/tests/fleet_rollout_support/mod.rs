//! A fleet for the rollout tests: catalog, clusters, assignments and an override, desired
//! state rendered, signed and published into a real store, and agents whose reports are signed
//! with their cluster's credential and ingested through `reports::ingest`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_bundler::format::digest::Digest;
use ferry_bundler::format::profile_definition::{
    ChartUnit, LayerDefinition, ProfileDefinition, Unit,
};
use ferry_bundler::format::report::{GitOpsObject, NodeReport, Report, SignedReport};
use ferry_bundler::sign::{keygen, SigningKey};
use ferry_mirror::fleet::assign::{self, Scope};
use ferry_mirror::fleet::catalog::{self, ProfileRef};
use ferry_mirror::fleet::rollout::{self, RolloutSpec, State, Target, WaveSize};
use ferry_mirror::fleet::{clusters, desired, reports, Fleet, FleetDb, FleetSettings};
use ferry_mirror::store::Store;
use serde_json::json;

pub const OPERATOR: &str = "alice";
pub const CLUSTERS: [&str; 3] = ["edge-01", "edge-02", "edge-03"];

pub struct Site {
    pub fleet: Fleet,
    pub store: Store,
    secrets: BTreeMap<String, String>,
    sequence: BTreeMap<String, u64>,
    _dir: tempfile::TempDir,
}

pub fn definition(version: &str, chart: &str, color: &str) -> ProfileDefinition {
    ProfileDefinition {
        schema_version: 1,
        name: "edge-infra".into(),
        version: version.into(),
        profile_type: "infra".into(),
        variables: vec![],
        layers: vec![LayerDefinition {
            name: "podinfo".into(),
            kind: "addon".into(),
            units: vec![Unit::Chart(ChartUnit {
                name: "podinfo".into(),
                version: chart.into(),
                reference: format!("oci://ghcr.io/stefanprodan/charts/podinfo:{chart}"),
                repository: "charts/podinfo".into(),
                digest: Digest::of_bytes(chart.as_bytes()),
                values: json!({"replicaCount": 1, "ui": {"color": color}})
                    .as_object()
                    .unwrap()
                    .clone(),
            })],
            images: vec![],
        }],
    }
}

/// A fleet in the store's own database with a signing key, both profile versions in the
/// catalog, three registered clusters labelled tier=prod assigned 1.0.0, and an override on
/// edge-02.
pub async fn site(db_url: Option<&str>) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let db = match db_url {
        Some(url) => FleetDb::connect(url).await.unwrap(),
        None => FleetDb::open_in_store(store.root()).await.unwrap(),
    };
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let files = keygen(&keys, b"pw").unwrap();
    let fleet = Fleet {
        db,
        store: store.clone(),
        signer: Some(Arc::new(
            SigningKey::load(&files.private_key, b"pw").unwrap(),
        )),
        settings: FleetSettings {
            mirror_host: "mirror.enclave:5000".into(),
            mirror_ca_pem: None,
            offline_after_intervals: 3,
        },
    };
    for def in [
        definition("1.0.0", "6.5.0", "blue"),
        definition("1.1.0", "6.6.0", "green"),
    ] {
        catalog::record_definition(&fleet, &Digest::of_bytes(b"bundle"), &def, OPERATOR)
            .await
            .unwrap();
    }
    let mut secrets = BTreeMap::new();
    for name in CLUSTERS {
        let labels = [("tier".to_owned(), "prod".to_owned())].into();
        let reg = clusters::register(&fleet, name, &labels, 60, OPERATOR)
            .await
            .unwrap();
        let (_, secret) = reg.credential.split_once(':').unwrap();
        secrets.insert(name.to_owned(), secret.to_owned());
        assign::set_assignment(&fleet, name, &[r("edge-infra@1.0.0")], OPERATOR)
            .await
            .unwrap();
    }
    assign::set_override(
        &fleet,
        &Scope::Cluster("edge-02".into()),
        "podinfo",
        json!({"replicaCount": 5}).as_object().unwrap().clone(),
        OPERATOR,
    )
    .await
    .unwrap();
    Site {
        fleet,
        store,
        secrets,
        sequence: BTreeMap::new(),
        _dir: dir,
    }
}

pub fn r(s: &str) -> ProfileRef {
    s.parse().unwrap()
}

/// Flux's objects after applying `digest`, Ready or failing its health check.
pub fn flux(digest: &str, ready: bool) -> Vec<GitOpsObject> {
    let revision = format!("current@{digest}");
    let object = |kind: &str| GitOpsObject {
        kind: kind.into(),
        namespace: "flux-system".into(),
        name: "fleet".into(),
        ready: Some(ready),
        reason: Some(
            if ready {
                "ReconciliationSucceeded"
            } else {
                "HealthCheckFailed"
            }
            .into(),
        ),
        message: (!ready).then(|| "health check failed after 5m0s".to_owned()),
        artifact_revision: (kind == "OCIRepository").then(|| revision.clone()),
        source_verified: (kind == "OCIRepository").then_some(true),
        last_applied_revision: (kind == "Kustomization").then(|| revision.clone()),
        last_attempted_revision: (kind == "Kustomization").then(|| revision.clone()),
    };
    vec![object("OCIRepository"), object("Kustomization")]
}

impl Site {
    /// `cluster`'s agent reports `digest` applied (Ready or not), received at `now`; then the
    /// rollouts are ticked as after every ingest.
    pub async fn report(&mut self, cluster: &str, digest: &str, ready: bool, now: i64) {
        self.report_pods(cluster, digest, ready, vec![], now).await;
    }

    /// [`Site::report`] with the cluster's pods.
    pub async fn report_pods(
        &mut self,
        cluster: &str,
        digest: &str,
        ready: bool,
        pods: Vec<ferry_bundler::format::report::PodReport>,
        now: i64,
    ) {
        let seq = self.sequence.entry(cluster.to_owned()).or_insert(0);
        *seq += 1;
        let report = Report {
            schema_version: 1,
            cluster: cluster.into(),
            sequence: *seq,
            generated_at: "2026-12-01T22:00:00Z".into(),
            agent: "ferry-agent test".into(),
            interval_seconds: 60,
            pods,
            nodes: vec![NodeReport {
                name: "node-1".into(),
                ready: true,
                kubelet_version: Some("v1.33.1".into()),
                os_image: None,
                architecture: Some("amd64".into()),
            }],
            gitops: flux(digest, ready),
        };
        let mac = reports::mac(&self.secrets[cluster], &report);
        reports::ingest(
            &self.fleet,
            &SignedReport { report, mac },
            Some(cluster),
            now,
        )
        .await
        .unwrap();
        rollout::tick(&self.fleet, now).await.unwrap();
    }

    pub async fn digest(&self, cluster: &str) -> String {
        desired::current(&self.fleet, cluster)
            .await
            .unwrap()
            .unwrap()
            .1
            .to_string()
    }
}

pub fn spec(profile: &str, waves: Vec<WaveSize>, max_unavailable: u32) -> RolloutSpec {
    RolloutSpec {
        profile: profile.into(),
        target: Target::Selector("tier=prod".into()),
        waves,
        max_unavailable,
        gate_timeout_seconds: 600,
        maintenance_window: None,
    }
}

/// Brings every cluster onto 1.0.0 through a one-wave rollout; returns their digests.
pub async fn on_one_zero(s: &mut Site, t0: i64) -> BTreeMap<String, String> {
    let first = rollout::start(&s.fleet, spec("edge-infra@1.0.0", vec![], 0), OPERATOR, t0)
        .await
        .unwrap();
    assert_eq!(
        (first.row.state, first.row.wave),
        (State::Progressing, Some(1))
    );
    let mut before = BTreeMap::new();
    for c in CLUSTERS {
        let d = s.digest(c).await;
        s.report(c, &d, true, t0 + 5).await;
        before.insert(c.to_owned(), d);
    }
    let first = rollout::status(&s.fleet, first.row.id, t0 + 5)
        .await
        .unwrap();
    assert_eq!(first.row.state, State::Succeeded, "{first:#?}");
    // The override makes edge-02's artifact differ from the others'.
    assert_ne!(before["edge-01"], before["edge-02"]);
    assert_eq!(before["edge-01"], before["edge-03"]);
    before
}
