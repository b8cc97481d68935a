//! What the catalog, assignment and API tests share: a fleet on a database URL, profile
//! definitions to record, and clusters and groups (rows in the clusters helper's tables, as
//! registration writes them).
#![allow(dead_code)]

use std::collections::BTreeMap;

use ferry_bundler::format::digest::Digest;
use ferry_bundler::format::profile_definition::{
    ChartUnit, LayerDefinition, ManifestFile, ManifestsUnit, PinnedImage, ProfileDefinition, Unit,
    Variable, VariableType,
};
use std::sync::Arc;

use ferry_bundler::sign::{keygen, SigningKey};
use ferry_mirror::fleet::{Fleet, FleetDb, FleetSettings};
use ferry_mirror::store::Store;
use serde_json::{json, Value};

pub struct Env {
    pub fleet: Fleet,
    _store_dir: tempfile::TempDir,
}

/// A fleet on `url` with a store of its own, unsigned.
pub async fn fleet(url: &str) -> Env {
    fleet_with(url, false).await
}

/// A fleet on `url` with a store of its own and, when `signed`, a fresh signing key, so that
/// desired state is published.
pub async fn fleet_with(url: &str, signed: bool) -> Env {
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path().join("data")).await.unwrap();
    let db = FleetDb::connect(url).await.unwrap();
    let signer = signed.then(|| {
        let keys = store_dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let files = keygen(&keys, b"pw").unwrap();
        Arc::new(SigningKey::load(&files.private_key, b"pw").unwrap())
    });
    Env {
        fleet: Fleet {
            db,
            store,
            signer,
            settings: FleetSettings::default(),
        },
        _store_dir: store_dir,
    }
}

/// The fleet's audit chain verifies from its first entry.
pub async fn assert_chain_intact(fleet: &Fleet) {
    let report = ferry_mirror::audit::verify_any(fleet.db.pool(), None)
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
}

/// A registered cluster with `labels`.
pub async fn add_cluster(fleet: &Fleet, name: &str, labels: &[(&str, &str)]) {
    sqlx::query(
        "INSERT INTO clusters (name, registered_at, deregistered_at, report_interval_seconds)
         VALUES ($1, $2, NULL, $3)",
    )
    .bind(name)
    .bind(1_700_000_000_i64)
    .bind(60_i64)
    .execute(fleet.db.pool())
    .await
    .unwrap();
    for (k, v) in labels {
        sqlx::query("INSERT INTO cluster_labels (cluster, key, value) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(*k)
            .bind(*v)
            .execute(fleet.db.pool())
            .await
            .unwrap();
    }
}

pub async fn deregister(fleet: &Fleet, name: &str) {
    sqlx::query("UPDATE clusters SET deregistered_at = $1 WHERE name = $2")
        .bind(1_700_000_100_i64)
        .bind(name)
        .execute(fleet.db.pool())
        .await
        .unwrap();
}

pub async fn add_group(fleet: &Fleet, name: &str, selector: &str) {
    sqlx::query("INSERT INTO groups (name, selector, created_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(selector)
        .bind(1_700_000_000_i64)
        .execute(fleet.db.pool())
        .await
        .unwrap();
}

/// Records `inputs` as `cluster`'s current desired revision `revision`, as the desired-state
/// helper does after publishing.
pub async fn record_desired(fleet: &Fleet, cluster: &str, revision: i64, inputs: &Value) {
    let digest = Digest::of_bytes(inputs.to_string().as_bytes()).to_string();
    sqlx::query(
        "INSERT INTO desired_revisions (cluster, revision, digest, inputs, images, created_at, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(cluster)
    .bind(revision)
    .bind(&digest)
    .bind(inputs.to_string())
    .bind("[]")
    .bind(1_700_000_000_i64)
    .bind("test")
    .execute(fleet.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO desired_current (cluster, revision, digest, published_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cluster) DO UPDATE SET revision = $2, digest = $3, published_at = $4",
    )
    .bind(cluster)
    .bind(revision)
    .bind(&digest)
    .bind(1_700_000_000_i64)
    .execute(fleet.db.pool())
    .await
    .unwrap();
    // As publishing does.
    let mut conn = fleet.db.pool().acquire().await.unwrap();
    ferry_mirror::fleet::unapplied::mark_after_publish(&mut conn, cluster, &digest)
        .await
        .unwrap();
}

/// (action, subject, detail) of every audit entry, in order.
pub async fn audit_entries(fleet: &Fleet) -> Vec<(String, String, Value)> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT action, subject, detail FROM audit_log ORDER BY seq")
            .fetch_all(fleet.db.pool())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(a, s, d)| (a, s, serde_json::from_str(&d).unwrap()))
        .collect()
}

pub fn bundle(n: u8) -> Digest {
    Digest::of_bytes(&[b'b', n])
}

pub fn image(reference: &str, repository: &str, seed: &str) -> PinnedImage {
    PinnedImage {
        reference: reference.into(),
        repository: repository.into(),
        digest: Digest::of_bytes(seed.as_bytes()),
    }
}

fn chart(name: &str, version: &str, values: Value) -> Unit {
    Unit::Chart(ChartUnit {
        name: name.into(),
        version: version.into(),
        reference: format!("oci://example.com/charts/{name}:{version}"),
        repository: format!("charts/{name}"),
        digest: Digest::of_bytes(format!("{name}-{version}").as_bytes()),
        values: values.as_object().unwrap().clone(),
    })
}

fn manifests(files: &[(&str, &str)]) -> Unit {
    Unit::Manifests(ManifestsUnit {
        files: files
            .iter()
            .map(|(n, c)| ManifestFile {
                name: (*n).into(),
                content: (*c).into(),
            })
            .collect(),
    })
}

fn var(name: &str, t: VariableType) -> Variable {
    Variable {
        name: name.into(),
        var_type: t,
        default: None,
        pattern: None,
        required: false,
        secret: false,
        description: None,
    }
}

/// `edge-infra` at `version`: 1.0.0 has layers cni and podinfo (chart 6.5.0); later versions
/// drop cni, add monitoring and move podinfo to chart 6.6.0 with other values and images.
pub fn edge_infra(version: &str) -> ProfileDefinition {
    let old = version == "1.0.0";
    let mut layers = Vec::new();
    if old {
        layers.push(LayerDefinition {
            name: "cni".into(),
            kind: "cni".into(),
            units: vec![manifests(&[("cni.yaml", "kind: DaemonSet\n")])],
            images: vec![image(
                "docker.io/cilium/cilium:1.15",
                "docker.io/cilium/cilium",
                "cilium",
            )],
        });
    }
    layers.push(LayerDefinition {
        name: "podinfo".into(),
        kind: "addon".into(),
        units: vec![
            if old {
                chart(
                    "podinfo",
                    "6.5.0",
                    json!({"replicaCount": 1, "image": {"tag": "6.5.0"}, "ui": {"color": "blue"}}),
                )
            } else {
                chart(
                    "podinfo",
                    "6.6.0",
                    json!({"replicaCount": 2, "image": {"tag": "6.6.0"}, "ui": {"color": "blue"}}),
                )
            },
            manifests(&[(
                "extra.yaml",
                if old {
                    "kind: ConfigMap\n"
                } else {
                    "kind: ConfigMap\ndata: {}\n"
                },
            )]),
        ],
        images: vec![
            if old {
                image(
                    "ghcr.io/stefanprodan/podinfo:6.5.0",
                    "ghcr.io/stefanprodan/podinfo",
                    "podinfo-6.5.0",
                )
            } else {
                image(
                    "ghcr.io/stefanprodan/podinfo:6.6.0",
                    "ghcr.io/stefanprodan/podinfo",
                    "podinfo-6.6.0",
                )
            },
            image(
                "docker.io/library/busybox:1.36",
                "docker.io/library/busybox",
                "busybox",
            ),
        ],
    });
    if !old {
        layers.push(LayerDefinition {
            name: "monitoring".into(),
            kind: "addon".into(),
            units: vec![chart("prometheus", "25.0.0", json!({}))],
            images: vec![image(
                "quay.io/prometheus/prometheus:v2.50.0",
                "quay.io/prometheus/prometheus",
                "prom",
            )],
        });
    }
    let mut region = var("region", VariableType::String);
    region.required = true;
    region.pattern = Some("[a-z]+-[0-9]+".into());
    let mut replicas = var("replicas", VariableType::Number);
    replicas.default = Some(json!(2));
    let mut token = var("token", VariableType::String);
    token.secret = true;
    ProfileDefinition {
        schema_version: 1,
        name: "edge-infra".into(),
        version: version.into(),
        profile_type: "infra".into(),
        variables: vec![region, replicas, token],
        layers,
    }
}

/// An add-on profile with one layer `hello` and an optional bool variable `debug`.
pub fn hello_addon(version: &str) -> ProfileDefinition {
    ProfileDefinition {
        schema_version: 1,
        name: "hello-addon".into(),
        version: version.into(),
        profile_type: "add-on".into(),
        variables: vec![var("debug", VariableType::Bool)],
        layers: vec![LayerDefinition {
            name: "hello".into(),
            kind: "addon".into(),
            units: vec![chart("hello", "0.1.0", json!({"message": "hi"}))],
            images: vec![image(
                "docker.io/library/nginx:1.25",
                "docker.io/library/nginx",
                "nginx",
            )],
        }],
    }
}

/// A second base profile, to test that only one infra or full profile is assigned.
pub fn full_profile() -> ProfileDefinition {
    let mut d = hello_addon("2.0.0");
    d.name = "whole-site".into();
    d.profile_type = "full".into();
    d.layers[0].name = "site".into();
    d
}

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}
