//! Clusters, groups and credentials on the fleet database: registration refuses live names and
//! hostile input, deregistration keeps history and kills the credential, labels feed selectors
//! and groups, and every change is in the audit chain without the secret.

mod fleet_support;

use std::collections::BTreeMap;

use ferry_mirror::fleet::clusters::{self, Selector};
use ferry_mirror::fleet::{Fleet, FleetError};
use fleet_support::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn secret_of(credential: &str) -> &str {
    credential.split_once(':').unwrap().1
}

fn status(e: FleetError) -> u16 {
    e.status().as_u16()
}

async fn audit_rows(fleet: &Fleet) -> Vec<(String, String, String, String)> {
    sqlx::query_as("SELECT actor, action, subject, detail FROM audit_log ORDER BY seq")
        .fetch_all(fleet.db.pool())
        .await
        .unwrap()
}

/// The whole life of clusters and groups on the database at `url`.
async fn case(url: &str) {
    let t = fleet(Some(url), true, None).await;
    let f = &t.fleet;
    let north = labels(&[("site", "north"), ("tier", "prod")]);
    let r = clusters::register(f, "edge-07", &north, 60, "alice")
        .await
        .unwrap();
    assert_eq!(r.cluster.labels, north);
    assert!(r.credential.starts_with("cluster/edge-07:"));
    let secret = secret_of(&r.credential).to_owned();
    assert_eq!(secret.len(), 43);
    assert!(r
        .bootstrap
        .contains("oci://mirror.enclave:5000/fleet/edge-07"));

    // A live name is taken; hostile names, labels and intervals are refused with 400.
    let again = clusters::register(f, "edge-07", &north, 60, "alice")
        .await
        .unwrap_err();
    assert_eq!(status(again), 409);
    for bad in ["Edge", "-x", "a/b", "../x", "a b", ""] {
        let e = clusters::register(f, bad, &north, 60, "alice")
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert_eq!(status(e), 400, "{bad}: {msg}");
    }
    let e = clusters::register(f, "x", &labels(&[("bad key", "v")]), 60, "a")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("bad key"), "{e}");
    let e = clusters::register(f, "x", &north, 1, "a")
        .await
        .unwrap_err();
    assert_eq!(status(e), 400);

    // Authentication: only the exact pair of a registered cluster.
    assert_eq!(
        clusters::authenticate(f, "cluster/edge-07", &secret)
            .await
            .unwrap()
            .as_deref(),
        Some("edge-07")
    );
    for (user, pw) in [
        ("cluster/edge-07", "wrong"),
        ("cluster/edge-07", ""),
        ("edge-07", secret.as_str()),
        ("cluster/edge-08", secret.as_str()),
        ("cluster/../edge-07", secret.as_str()),
    ] {
        assert_eq!(
            clusters::authenticate(f, user, pw).await.unwrap(),
            None,
            "{user}"
        );
    }

    // More clusters; labels, selectors and groups.
    let south = clusters::register(
        f,
        "edge-08",
        &labels(&[("site", "south"), ("tier", "prod")]),
        30,
        "alice",
    )
    .await
    .unwrap();
    clusters::register(
        f,
        "lab-1",
        &labels(&[("tier", "dev"), ("gpu", "")]),
        60,
        "bob",
    )
    .await
    .unwrap();
    let prod = Selector::parse("tier=prod").unwrap();
    assert_eq!(
        clusters::select(f, &prod).await.unwrap(),
        ["edge-07", "edge-08"]
    );
    let not_north = Selector::parse("tier=prod,site!=north").unwrap();
    assert_eq!(clusters::select(f, &not_north).await.unwrap(), ["edge-08"]);
    assert_eq!(
        clusters::select(f, &Selector::parse("gpu").unwrap())
            .await
            .unwrap(),
        ["lab-1"]
    );
    assert_eq!(
        clusters::select(f, &Selector::parse("!gpu").unwrap())
            .await
            .unwrap(),
        ["edge-07", "edge-08"]
    );
    let g = clusters::put_group(f, "prod", &prod, "alice")
        .await
        .unwrap();
    assert_eq!(g.members, ["edge-07", "edge-08"]);
    clusters::put_group(f, "gpu", &Selector::parse("gpu").unwrap(), "alice")
        .await
        .unwrap();
    let groups = clusters::list_groups(f).await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["gpu", "prod"]
    );
    assert_eq!(
        status(clusters::get_group(f, "nope").await.unwrap_err()),
        404
    );

    let relabelled = clusters::set_labels(
        f,
        "edge-08",
        &labels(&[("site", "south"), ("tier", "dev")]),
        "alice",
    )
    .await
    .unwrap();
    assert_eq!(relabelled.labels["tier"], "dev");
    assert_eq!(
        clusters::get_group(f, "prod").await.unwrap().members,
        ["edge-07"]
    );

    // Rotation: the old secret stops working, the new one works.
    let rotated = clusters::rotate_credential(f, "edge-08", "alice")
        .await
        .unwrap();
    assert_eq!(
        clusters::authenticate(f, "cluster/edge-08", secret_of(&south.credential))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        clusters::authenticate(f, "cluster/edge-08", secret_of(&rotated.credential))
            .await
            .unwrap()
            .as_deref(),
        Some("edge-08")
    );

    // Deregistering keeps the cluster, drops the credential, refuses changes until re-registered.
    let gone = clusters::deregister(f, "edge-07", "alice").await.unwrap();
    assert!(gone.deregistered_at.is_some());
    assert_eq!(gone.labels, north, "labels are history too");
    assert_eq!(
        clusters::authenticate(f, "cluster/edge-07", &secret)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        status(
            clusters::deregister(f, "edge-07", "alice")
                .await
                .unwrap_err()
        ),
        409
    );
    assert_eq!(
        status(clusters::deregister(f, "never", "alice").await.unwrap_err()),
        404
    );
    assert_eq!(
        status(
            clusters::set_labels(f, "edge-07", &north, "alice")
                .await
                .unwrap_err()
        ),
        409
    );
    assert_eq!(
        status(
            clusters::rotate_credential(f, "edge-07", "alice")
                .await
                .unwrap_err()
        ),
        409
    );
    let live: Vec<_> = clusters::list(f, false)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(live, ["edge-08", "lab-1"]);
    let all: Vec<_> = clusters::list(f, true)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(all, ["edge-07", "edge-08", "lab-1"]);
    assert_eq!(
        clusters::select(f, &Selector::parse("site=north").unwrap())
            .await
            .unwrap(),
        Vec::<String>::new()
    );

    let back = clusters::register(f, "edge-07", &labels(&[("site", "north")]), 120, "carol")
        .await
        .unwrap();
    assert_ne!(secret_of(&back.credential), secret);
    assert_eq!(
        clusters::authenticate(f, "cluster/edge-07", &secret)
            .await
            .unwrap(),
        None
    );
    assert!(
        clusters::authenticate(f, "cluster/edge-07", secret_of(&back.credential))
            .await
            .unwrap()
            .is_some()
    );
    let c = clusters::get(f, "edge-07").await.unwrap();
    assert_eq!((c.deregistered_at, c.report_interval_seconds), (None, 120));

    // The audit chain has every change, by whom, and never a secret or its hash.
    let rows = audit_rows(f).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    for want in [
        "fleet.cluster.registered",
        "fleet.cluster.labels",
        "fleet.cluster.credential",
        "fleet.cluster.deregistered",
        "fleet.group",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "fleet.cluster.registered")
            .count(),
        4
    );
    assert!(rows
        .iter()
        .any(|r| r.0 == "carol" && r.2 == "cluster/edge-07"));
    let hashes: Vec<String> = sqlx::query_scalar("SELECT secret_sha256 FROM cluster_credentials")
        .fetch_all(f.db.pool())
        .await
        .unwrap();
    for r in &rows {
        for s in [
            &secret,
            secret_of(&rotated.credential),
            secret_of(&back.credential),
        ] {
            assert!(!r.3.contains(s), "secret in audit detail {r:?}");
        }
        for h in &hashes {
            assert!(!r.3.contains(h.as_str()), "hash in audit detail {r:?}");
        }
    }
}

#[tokio::test]
async fn clusters_groups_and_credentials_on_both_backends() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        case(&backend.url).await;
    }
}

#[tokio::test]
async fn clusters_groups_and_credentials_on_postgres() {
    if let Some(db) = ferry_testkit::postgres::database() {
        case(db.url()).await;
    }
}

#[tokio::test]
async fn the_stores_own_database_keeps_one_audit_chain() {
    let t = fleet(None, false, None).await;
    clusters::register(&t.fleet, "a", &BTreeMap::new(), 60, "alice")
        .await
        .unwrap();
    clusters::deregister(&t.fleet, "a", "alice").await.unwrap();
    let report = ferry_mirror::audit::verify(t.fleet.store.db(), None)
        .await
        .unwrap();
    assert!(report.tamper.is_none(), "{report:?}");
    assert_eq!(report.entries_checked, 2);
}
