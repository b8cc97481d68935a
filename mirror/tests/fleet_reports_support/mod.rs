//! Fixtures for the reports, status and query tests (and scripts/bench-fleet): a fleet on a
//! database URL, and rows written straight into the tables the other fleet modules own
//! (registered clusters and credentials, catalog revisions, assignments, published desired
//! revisions, as those modules record them), so that reports, status and queries are measured
//! alone; and signed reports shaped as an agent writes them from `kubectl get pods -A -o json`.
#![allow(dead_code)]

use ferry_bundler::format::digest::Digest;
use ferry_bundler::format::profile_definition::{LayerDefinition, PinnedImage, ProfileDefinition};
use ferry_bundler::format::report::{
    ContainerReport, GitOpsObject, NodeReport, PodReport, Report, SignedReport,
};
use ferry_mirror::fleet::{reports, Fleet, FleetDb, FleetSettings};
use ferry_mirror::store::Store;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use sqlx::AnyConnection;

pub const MIRROR: &str = "mirror.enclave:5000";

/// `on_backends! { test_name => case, … }`: a test per case, running `case(url)` on SQLite and,
/// when it is there, PostgreSQL.
#[macro_export]
macro_rules! on_backends {
    ($($name:ident => $case:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            for backend in ferry_testkit::postgres::fleet_backends() {
                eprintln!("on {}", backend.name);
                $case(&backend.url).await;
            }
        }
    )*};
}

/// A fleet on `url`, its store in the returned directory.
pub async fn fleet(url: &str) -> (Fleet, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let db = FleetDb::connect(url).await.unwrap();
    with_db(store, db, dir).await
}

/// A fleet on the store's own `ferry.db`, as `ferry serve` runs it by default.
pub async fn fleet_in_store() -> (Fleet, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let db = FleetDb::open_in_store(dir.path()).await.unwrap();
    with_db(store, db, dir).await
}

async fn with_db(store: Store, db: FleetDb, dir: tempfile::TempDir) -> (Fleet, tempfile::TempDir) {
    let settings = FleetSettings {
        mirror_host: MIRROR.into(),
        offline_after_intervals: 3,
        ..FleetSettings::default()
    };
    (
        Fleet {
            db,
            store,
            signer: None,
            settings,
        },
        dir,
    )
}

/// `sha256:` of `seed`, a stand-in for an image or artifact digest.
pub fn digest(seed: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(seed.as_bytes())))
}

pub fn secret_of(cluster: &str) -> String {
    format!("secret-of-{cluster}-0123456789abcdefghijklmnopq")
}

/// Registers `name` with its credential; returns the secret.
pub async fn register(fleet: &Fleet, name: &str, interval: i64, at: i64) -> String {
    register_in(
        &mut fleet.db.pool().acquire().await.unwrap(),
        name,
        interval,
        at,
    )
    .await
}

pub async fn register_in(conn: &mut AnyConnection, name: &str, interval: i64, at: i64) -> String {
    let secret = secret_of(name);
    sqlx::query("INSERT INTO clusters (name, registered_at, deregistered_at, report_interval_seconds) VALUES ($1, $2, NULL, $3)")
        .bind(name)
        .bind(at)
        .bind(interval)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO cluster_credentials (cluster, secret_sha256, created_at) VALUES ($1, $2, $3)",
    )
    .bind(name)
    .bind(hex::encode(Sha256::digest(secret.as_bytes())))
    .bind(at)
    .execute(&mut *conn)
    .await
    .unwrap();
    secret
}

pub async fn deregister(fleet: &Fleet, name: &str, at: i64) {
    sqlx::query("UPDATE clusters SET deregistered_at = $1 WHERE name = $2")
        .bind(at)
        .bind(name)
        .execute(fleet.db.pool())
        .await
        .unwrap();
}

pub async fn assign(fleet: &Fleet, cluster: &str, profile: &str, version: &str) {
    assign_in(
        &mut fleet.db.pool().acquire().await.unwrap(),
        cluster,
        profile,
        version,
    )
    .await
}

pub async fn assign_in(conn: &mut AnyConnection, cluster: &str, profile: &str, version: &str) {
    sqlx::query(
        "INSERT INTO assignments (cluster, profile, version, position) VALUES ($1, $2, $3, 0)
                 ON CONFLICT (cluster, profile) DO UPDATE SET version = excluded.version",
    )
    .bind(cluster)
    .bind(profile)
    .bind(version)
    .execute(&mut *conn)
    .await
    .unwrap();
}

/// Records `def` as revision `revision` of its version in the catalog.
pub async fn catalog(fleet: &Fleet, def: &ProfileDefinition, revision: i64) {
    sqlx::query("INSERT INTO profile_versions (name, version, revision, profile_type, definition_digest, definition, bundle, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0)")
        .bind(&def.name)
        .bind(&def.version)
        .bind(revision)
        .bind(&def.profile_type)
        .bind(def.digest().to_string())
        .bind(String::from_utf8(def.to_vec()).unwrap())
        .bind(digest("bundle"))
        .execute(fleet.db.pool())
        .await
        .unwrap();
}

/// An image a layer pins: `repo:tag` at `digest(seed)`.
pub fn pinned(repository: &str, tag: &str, seed: &str) -> PinnedImage {
    PinnedImage {
        reference: format!("{repository}:{tag}"),
        repository: repository.to_owned(),
        digest: Digest::parse(&digest(seed)).unwrap(),
    }
}

pub fn definition(
    name: &str,
    version: &str,
    layers: Vec<(&str, Vec<PinnedImage>)>,
) -> ProfileDefinition {
    ProfileDefinition {
        schema_version: 1,
        name: name.into(),
        version: version.into(),
        profile_type: "full".into(),
        variables: vec![],
        layers: layers
            .into_iter()
            .map(|(layer, images)| LayerDefinition {
                name: layer.into(),
                kind: "addon".into(),
                units: vec![],
                images,
            })
            .collect(),
    }
}

/// Publishes desired revision `revision` of `cluster` rendered from `profiles` (each with the
/// catalog revision it came from), as the desired helper records it, and makes it current.
pub async fn publish(
    fleet: &Fleet,
    cluster: &str,
    revision: i64,
    artifact: &str,
    profiles: &[(&ProfileDefinition, i64)],
    at: i64,
) {
    let mut conn = fleet.db.pool().acquire().await.unwrap();
    publish_in(&mut conn, cluster, revision, artifact, profiles, at).await
}

pub async fn publish_in(
    conn: &mut AnyConnection,
    cluster: &str,
    revision: i64,
    artifact: &str,
    profiles: &[(&ProfileDefinition, i64)],
    at: i64,
) {
    let inputs = json!({
        "cluster": cluster,
        "labels": {},
        "profiles": profiles.iter().map(|(d, r)| json!({
            "name": d.name, "version": d.version, "revision": r,
            "definitionDigest": d.digest().to_string(), "definition": d,
            "layerValues": {}, "variables": {},
        })).collect::<Vec<_>>(),
    });
    let images: Vec<&PinnedImage> = profiles
        .iter()
        .flat_map(|(d, _)| d.layers.iter().flat_map(|l| &l.images))
        .collect();
    sqlx::query("INSERT INTO desired_revisions (cluster, revision, digest, inputs, images, created_at, actor)
                 VALUES ($1, $2, $3, $4, $5, $6, 'test')")
        .bind(cluster)
        .bind(revision)
        .bind(artifact)
        .bind(inputs.to_string())
        .bind(serde_json::to_string(&images).unwrap())
        .bind(at)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO desired_current (cluster, revision, digest, published_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (cluster) DO UPDATE SET revision = excluded.revision, digest = excluded.digest,
                     published_at = excluded.published_at")
        .bind(cluster)
        .bind(revision)
        .bind(artifact)
        .bind(at)
        .execute(&mut *conn)
        .await
        .unwrap();
    // As publishing does, in the same transaction.
    ferry_mirror::fleet::unapplied::mark_after_publish(conn, cluster, artifact)
        .await
        .unwrap();
    ferry_mirror::fleet::query::index::reindex(conn, MIRROR, cluster, Some(revision))
        .await
        .unwrap();
}

/// Every pinned image of `def` running and ready, one pod each, in its layer's namespace.
pub fn healthy_pods(def: &ProfileDefinition) -> Vec<PodReport> {
    def.layers
        .iter()
        .flat_map(|l| {
            l.images.iter().enumerate().map(move |(i, img)| {
                pod(
                    &l.name,
                    &format!("{}-{i}-5d8f7c9b4-x2x7q", l.name),
                    vec![container("main", img, true, 0)],
                )
            })
        })
        .collect()
}

/// A container running `image` as pulled through the mirror (containerd's imageID form).
pub fn container(name: &str, image: &PinnedImage, ready: bool, restarts: u32) -> ContainerReport {
    running(name, image, &image.digest.to_string(), ready, restarts)
}

/// A container of `image`'s repository at another digest.
pub fn running(
    name: &str,
    image: &PinnedImage,
    digest: &str,
    ready: bool,
    restarts: u32,
) -> ContainerReport {
    ContainerReport {
        name: name.into(),
        image: format!("{MIRROR}/{}", image.reference),
        image_id: Some(format!("{MIRROR}/{}@{digest}", image.repository)),
        ready,
        restarts,
        init: false,
    }
}

pub fn pod(namespace: &str, name: &str, containers: Vec<ContainerReport>) -> PodReport {
    let ready = containers.iter().all(|c| c.ready);
    PodReport {
        namespace: namespace.into(),
        name: name.into(),
        owner: Some(format!(
            "ReplicaSet/{}",
            name.rsplit_once('-').map_or(name, |p| p.0)
        )),
        node: Some("node-1".into()),
        phase: "Running".into(),
        ready,
        containers,
    }
}

/// Flux's objects after applying `artifact` (`current@sha256:…`), Ready as given.
pub fn flux(artifact: &str, ready: bool) -> Vec<GitOpsObject> {
    let revision = format!("current@{artifact}");
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

pub fn report(
    cluster: &str,
    sequence: u64,
    pods: Vec<PodReport>,
    gitops: Vec<GitOpsObject>,
) -> Report {
    Report {
        schema_version: 1,
        cluster: cluster.into(),
        sequence,
        generated_at: "2026-12-01T22:00:00Z".into(),
        agent: "ferry 0.1.0".into(),
        interval_seconds: 60,
        pods,
        nodes: vec![NodeReport {
            name: "node-1".into(),
            ready: true,
            kubelet_version: Some("v1.33.1".into()),
            os_image: Some("Debian GNU/Linux 13 (trixie)".into()),
            architecture: Some("amd64".into()),
        }],
        gitops,
    }
}

pub fn sign(secret: &str, report: Report) -> SignedReport {
    let mac = reports::mac(secret, &report);
    SignedReport { report, mac }
}

pub async fn refusals(fleet: &Fleet) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'fleet.report.refused'")
        .fetch_one(fleet.db.pool())
        .await
        .unwrap()
}
