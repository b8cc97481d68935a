//! `desired::publish_cluster` on the catalog's profile versions, a cluster's assignment, its
//! overrides and variables: an unchanged cluster publishes nothing, an override makes the next
//! revision, and taking the override back gives the first artifact's digest again (rollback
//! is exact). A required variable without a value blocks publishing with a message that names
//! the cluster, profile and variable. Runs on SQLite and, when installed, PostgreSQL.

#[path = "catalog_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_bundler::sign::{keygen, SigningKey};
use ferry_mirror::fleet::assign::{self, Scope};
use ferry_mirror::fleet::catalog::{self, ProfileRef};
use ferry_mirror::fleet::desired;
use serde_json::{json, Value};
use support::*;

async fn publish_follows_assignment_overrides_and_variables(url: &str) {
    let mut env = fleet(url).await;
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = keygen(keys_dir.path(), b"pw").unwrap();
    env.fleet.signer = Some(Arc::new(
        SigningKey::load(&keys.private_key, b"pw").unwrap(),
    ));
    let f = &env.fleet;
    catalog::record_definition(f, &bundle(1), &edge_infra("1.0.0"), "cli:0")
        .await
        .unwrap();
    add_cluster(f, "edge-07", &[("site", "north")]).await;
    let refs: Vec<ProfileRef> = vec!["edge-infra@1.0.0".parse().unwrap()];
    assign::set_assignment(f, "edge-07", &refs, "cli:0")
        .await
        .unwrap();

    // `region` is required and has no value yet.
    let err = desired::publish_cluster(f, "edge-07", "cli:0")
        .await
        .unwrap_err();
    let msg = err.to_string();
    for part in ["edge-07", "edge-infra", "region"] {
        assert!(msg.contains(part), "{msg} does not name {part}");
    }
    assert_eq!(desired::current(f, "edge-07").await.unwrap(), None);

    let cluster = Scope::Cluster("edge-07".into());
    let region: BTreeMap<String, Option<Value>> =
        [("region".to_owned(), Some(json!("eu-1")))].into();
    assign::set_variables(f, &cluster, &region, "cli:0")
        .await
        .unwrap();
    let first = desired::publish_cluster(f, "edge-07", "alice")
        .await
        .unwrap();
    assert_eq!((first.revision, first.changed), (1, true));
    let unchanged = desired::publish_cluster(f, "edge-07", "alice")
        .await
        .unwrap();
    assert_eq!((unchanged.revision, unchanged.changed), (1, false));

    let five = json!({"replicaCount": 5}).as_object().unwrap().clone();
    assign::set_override(f, &cluster, "podinfo", five, "alice")
        .await
        .unwrap();
    let second = desired::publish_cluster(f, "edge-07", "alice")
        .await
        .unwrap();
    assert_eq!(second.revision, 2);
    assert_ne!(second.digest, first.digest);
    let revisions = desired::revisions(f, "edge-07").await.unwrap();
    let inputs = &revisions[1].inputs["profiles"][0];
    assert_eq!(inputs["layerValues"]["podinfo"]["replicaCount"], 5);
    assert_eq!(inputs["variables"]["region"], "eu-1");
    assert_eq!(
        f.store
            .tag_digest("fleet/edge-07", "current")
            .await
            .unwrap(),
        Some(second.digest.clone())
    );

    // Back to the first settings: the first artifact, byte for byte.
    let one = json!({"replicaCount": 1}).as_object().unwrap().clone();
    assign::set_override(f, &cluster, "podinfo", one, "alice")
        .await
        .unwrap();
    let back = desired::publish_cluster(f, "edge-07", "alice")
        .await
        .unwrap();
    // The profile's own replicaCount is 1, so the override restates it: the same values.
    assert_eq!((back.revision, &back.digest), (3, &first.digest));
    assert_eq!(
        f.store
            .tag_digest("fleet/edge-07", "current")
            .await
            .unwrap(),
        Some(first.digest)
    );
}

#[tokio::test]
async fn publish_cluster_on_every_backend() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        publish_follows_assignment_overrides_and_variables(&backend.url).await;
    }
}
