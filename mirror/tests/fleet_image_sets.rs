//! The image keys as shared sets (migration 0010): clusters on one profile version point at one
//! stored set; a cluster that runs a few images other than it should keeps the desired set as
//! its base with those few keys of its own; one that runs something else has a set of its own;
//! a set no cluster points at is deleted. The queries see exactly what each cluster desires and
//! runs throughout. Each case runs on SQLite and, when it is there, PostgreSQL.

mod fleet_reports_support;

use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_bundler::format::report::PodReport;
use ferry_mirror::fleet::page::Page;
use ferry_mirror::fleet::{query, reports, Fleet};
use fleet_reports_support::*;

const T0: i64 = 1_800_000_000;
const CLUSTERS: [&str; 3] = ["edge-01", "edge-02", "edge-03"];

fn edge_infra(version: &str, redis: &str) -> ProfileDefinition {
    definition(
        "edge-infra",
        version,
        vec![
            (
                "cni",
                vec![pinned("quay.io/cilium/cilium", "v1.16.5", "cilium")],
            ),
            (
                "apps",
                vec![
                    pinned("ghcr.io/stefanprodan/podinfo", "6.7.1", "podinfo"),
                    pinned("docker.io/library/redis", "7.4", redis),
                    pinned("docker.io/library/nginx", "1.27", "nginx"),
                    pinned("docker.io/library/busybox", "1.37", "busybox"),
                    pinned("docker.io/library/postgres", "17.2", "postgres"),
                    pinned("docker.io/library/memcached", "1.6", "memcached"),
                    pinned("quay.io/prometheus/prometheus", "v3.0.1", "prometheus"),
                    pinned("quay.io/jetstack/cert-manager-controller", "v1.16.2", "cm"),
                ],
            ),
        ],
    )
}

/// How many sets are stored.
async fn stored_sets(fleet: &Fleet) -> i64 {
    count(
        fleet,
        "SELECT COUNT(DISTINCT image_set) FROM image_set_keys",
    )
    .await
}

async fn count(fleet: &Fleet, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(fleet.db.pool())
        .await
        .unwrap()
}

/// (cluster, desired matches, running matches) of an image query.
async fn found(fleet: &Fleet, q: &str) -> Vec<(String, usize, usize)> {
    query::image(fleet, q, &Page::all())
        .await
        .unwrap()
        .clusters
        .iter()
        .map(|c| (c.cluster.clone(), c.desired.len(), c.running.len()))
        .collect()
}

fn rows(v: &[(&str, usize, usize)]) -> Vec<(String, usize, usize)> {
    v.iter().map(|(c, d, r)| (c.to_string(), *d, *r)).collect()
}

async fn sets_are_shared_and_deleted_when_unused(url: &str) {
    let (fleet, _dir) = fleet(url).await;
    let v1 = edge_infra("1.0.0", "redis");
    let mut secrets = Vec::new();
    for c in CLUSTERS {
        secrets.push(register(&fleet, c, 60, T0).await);
        publish(&fleet, c, 1, &digest(&format!("{c}-1")), &[(&v1, 1)], T0).await;
    }
    // Three clusters desire one set of nine keys, stored once.
    assert_eq!(stored_sets(&fleet).await, 1);
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM image_set_keys").await,
        9
    );
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM desired_image_keys").await,
        27
    );

    // All run what they should: their running pointer is the desired set, with nothing of
    // their own.
    for (c, secret) in CLUSTERS.iter().zip(&secrets) {
        let r = report(
            c,
            1,
            healthy_pods(&v1),
            flux(&digest(&format!("{c}-1")), true),
        );
        reports::ingest(&fleet, &sign(secret, r), Some(c), T0 + 10)
            .await
            .unwrap();
    }
    assert_eq!(
        count(
            &fleet,
            "SELECT COUNT(*) FROM running_image_sets r JOIN desired_image_sets d
             ON d.cluster = r.cluster AND d.image_set = r.image_set"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &fleet,
            "SELECT (SELECT COUNT(*) FROM running_keys_added) + (SELECT COUNT(*) FROM running_keys_removed)"
        )
        .await,
        0
    );
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM image_set_keys").await,
        9
    );

    // edge-03's redis was hand-changed: two keys of nine differ, so its base stays the desired
    // set, with one key added and one removed; the queries see it run the hotfix, not the desired build.
    let mut drifted = healthy_pods(&v1);
    let redis = v1.layers[1].images[1].clone();
    drifted[2].containers[0] = running("main", &redis, &digest("redis-hotfix"), true, 0);
    let r = report("edge-03", 2, drifted, flux(&digest("edge-03-1"), true));
    reports::ingest(&fleet, &sign(&secrets[2], r), Some("edge-03"), T0 + 70)
        .await
        .unwrap();
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM running_keys_added").await,
        1
    );
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM running_keys_removed").await,
        1
    );
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM image_set_keys").await,
        9
    );
    assert_eq!(
        found(&fleet, &digest("redis")).await,
        rows(&[("edge-01", 1, 1), ("edge-02", 1, 1), ("edge-03", 1, 0)])
    );
    assert_eq!(
        found(&fleet, &digest("redis-hotfix")).await,
        rows(&[("edge-03", 0, 1)])
    );

    // edge-02 runs nothing of its profile (another cluster's images entirely): a set of its own.
    let other = edge_infra("9.9.9", "redis-other");
    let other_pods: Vec<PodReport> = healthy_pods(&other)
        .into_iter()
        .map(|mut p| {
            for c in &mut p.containers {
                c.image = c.image.replace("stefanprodan", "someone");
                c.image_id = c
                    .image_id
                    .as_ref()
                    .map(|i| i.replace("stefanprodan", "someone"));
            }
            p
        })
        .collect();
    let mut odd = other_pods.clone();
    odd.truncate(3);
    let r = report("edge-02", 2, odd, flux(&digest("edge-02-1"), true));
    reports::ingest(&fleet, &sign(&secrets[1], r), Some("edge-02"), T0 + 70)
        .await
        .unwrap();
    assert_eq!(stored_sets(&fleet).await, 2);
    assert_eq!(
        found(&fleet, &digest("redis")).await,
        rows(&[("edge-01", 1, 1), ("edge-02", 1, 0), ("edge-03", 1, 0)])
    );
    assert_eq!(
        found(&fleet, "ghcr.io/someone/podinfo").await,
        rows(&[("edge-02", 0, 1)])
    );

    // Back to what it should run: its own set is pointed at by nobody and deleted.
    let r = report(
        "edge-02",
        3,
        healthy_pods(&v1),
        flux(&digest("edge-02-1"), true),
    );
    reports::ingest(&fleet, &sign(&secrets[1], r), Some("edge-02"), T0 + 130)
        .await
        .unwrap();
    assert_eq!(stored_sets(&fleet).await, 1);
    assert!(found(&fleet, "ghcr.io/someone/podinfo").await.is_empty());

    // edge-01 is published 1.1.0 (a new redis): a second desired set. Its running pointer
    // still names 1.0.0's set (shared with the others anyway) until it reports.
    let v2 = edge_infra("1.1.0", "redis-2");
    publish(
        &fleet,
        "edge-01",
        2,
        &digest("edge-01-2"),
        &[(&v2, 1)],
        T0 + 200,
    )
    .await;
    assert_eq!(stored_sets(&fleet).await, 2);
    assert_eq!(
        found(&fleet, &digest("redis-2")).await,
        rows(&[("edge-01", 1, 0)])
    );
    // Published back to 1.0.0 before it ever ran 1.1.0: 1.1.0's set is gone.
    publish(
        &fleet,
        "edge-01",
        3,
        &digest("edge-01-1"),
        &[(&v1, 1)],
        T0 + 300,
    )
    .await;
    assert_eq!(stored_sets(&fleet).await, 1);
    assert!(found(&fleet, &digest("redis-2")).await.is_empty());
}

/// A set stays while a running pointer names it, though no cluster desires it any more.
async fn a_set_still_run_outlives_its_desire(url: &str) {
    let (fleet, _dir) = fleet(url).await;
    let v1 = edge_infra("1.0.0", "redis");
    let v2 = edge_infra("1.1.0", "redis-2");
    let secret = register(&fleet, "edge-01", 60, T0).await;
    publish(&fleet, "edge-01", 1, &digest("a1"), &[(&v1, 1)], T0).await;
    let r = report("edge-01", 1, healthy_pods(&v1), flux(&digest("a1"), true));
    reports::ingest(&fleet, &sign(&secret, r), Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    publish(&fleet, "edge-01", 2, &digest("a2"), &[(&v2, 1)], T0 + 20).await;
    // 1.0.0's set is no longer desired but still run: kept, and found as running.
    assert_eq!(stored_sets(&fleet).await, 2);
    assert_eq!(
        found(&fleet, &digest("redis")).await,
        rows(&[("edge-01", 0, 1)])
    );
    // Once it runs 1.1.0, nothing names 1.0.0's set.
    let r = report("edge-01", 2, healthy_pods(&v2), flux(&digest("a2"), true));
    reports::ingest(&fleet, &sign(&secret, r), Some("edge-01"), T0 + 80)
        .await
        .unwrap();
    assert_eq!(stored_sets(&fleet).await, 1);
    assert!(found(&fleet, &digest("redis")).await.is_empty());
    assert_eq!(
        found(&fleet, &digest("redis-2")).await,
        rows(&[("edge-01", 1, 1)])
    );
}

/// A key a cluster dropped from the set it runs on is not found, though the set holds it; the
/// set's other keys still are, and a key the cluster added is.
async fn a_dropped_key_is_not_found(url: &str) {
    let (fleet, _dir) = fleet(url).await;
    let v1 = edge_infra("1.0.0", "redis");
    let v2 = edge_infra("1.1.0", "redis-2");
    let secret = register(&fleet, "edge-01", 60, T0).await;
    register(&fleet, "edge-02", 60, T0).await;
    register(&fleet, "edge-03", 60, T0).await;
    publish(&fleet, "edge-01", 1, &digest("a1"), &[(&v1, 1)], T0).await;
    publish(&fleet, "edge-02", 1, &digest("b1"), &[(&v2, 1)], T0).await;
    publish(&fleet, "edge-03", 1, &digest("c1"), &[(&v1, 1)], T0).await;
    // edge-01 runs 1.0.0 with a hotfixed redis: 1.0.0's set less redis, plus the hotfix.
    let mut drifted = healthy_pods(&v1);
    let redis = v1.layers[1].images[1].clone();
    drifted[2].containers[0] = running("main", &redis, &digest("redis-hotfix"), true, 0);
    let r = report("edge-01", 1, drifted, flux(&digest("a1"), true));
    reports::ingest(&fleet, &sign(&secret, r), Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    // Then 1.1.0 is published to it: it no longer desires 1.0.0's redis, and its running set
    // holds it but it dropped it. Only edge-03 (desired, not reported) is found.
    publish(&fleet, "edge-01", 2, &digest("a2"), &[(&v2, 1)], T0 + 20).await;
    assert_eq!(
        count(&fleet, "SELECT COUNT(*) FROM running_keys_removed").await,
        1
    );
    let only_03 = rows(&[("edge-03", 1, 0)]);
    assert_eq!(found(&fleet, &digest("redis")).await, only_03);
    // A page of one holds edge-03 (not edge-01, which finds nothing) and nothing follows.
    let page = query::image(&fleet, &digest("redis"), &Page::first(1))
        .await
        .unwrap();
    assert_eq!(page.clusters.len(), 1);
    assert_eq!(page.clusters[0].cluster, "edge-03");
    assert_eq!(page.next, None);
    let a = query::affected(&fleet, &[digest("redis")], &Page::first(1))
        .await
        .unwrap();
    let got: Vec<&str> = a.clusters.iter().map(|c| c.cluster.as_str()).collect();
    assert_eq!((got, a.next), (vec!["edge-03"], None));
    assert_eq!(
        found(&fleet, &digest("redis-hotfix")).await,
        rows(&[("edge-01", 0, 1)])
    );
    assert_eq!(
        found(&fleet, &digest("nginx")).await,
        rows(&[("edge-01", 1, 1), ("edge-02", 1, 0), ("edge-03", 1, 0)])
    );
    // One page at a time, edge-01 first.
    let first = query::image(&fleet, &digest("nginx"), &Page::first(1))
        .await
        .unwrap();
    assert_eq!(first.clusters.len(), 1);
    assert_eq!(first.clusters[0].cluster, "edge-01");
    assert_eq!(first.next.as_deref(), Some("edge-01"));
}

on_backends! {
    clusters_share_sets_and_unused_sets_are_deleted => sets_are_shared_and_deleted_when_unused,
    a_set_still_running_outlives_its_desire => a_set_still_run_outlives_its_desire,
    a_dropped_key_is_not_found_however_its_set_holds_it => a_dropped_key_is_not_found,
}
