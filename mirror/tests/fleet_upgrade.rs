//! A fleet database made by an earlier release is brought up to date without losing what it
//! holds: migration 0011 turns the per-container rows of `running_images` into each cluster's
//! running document, on SQLite and PostgreSQL alike.

use ferry_mirror::fleet::reports::containers;
use ferry_mirror::fleet::FleetDb;
use ferry_testkit::postgres;
use sqlx::any::AnyPoolOptions;

/// The migrations of the release before 0011, as it applied them.
const BEFORE: &[&str] = &[
    include_str!("../migrations/fleet/0000_audit_log.sql"),
    include_str!("../migrations/fleet/0001_catalog.sql"),
    include_str!("../migrations/fleet/0002_clusters.sql"),
    include_str!("../migrations/fleet/0003_desired.sql"),
    include_str!("../migrations/fleet/0004_reports.sql"),
    include_str!("../migrations/fleet/0005_rollouts.sql"),
    include_str!("../migrations/fleet/0006_assignments.sql"),
    include_str!("../migrations/fleet/0007_desired_revisions_order.sql"),
    include_str!("../migrations/fleet/0008_image_keys.sql"),
    include_str!("../migrations/fleet/0009_pages.sql"),
    include_str!("../migrations/fleet/0010_image_sets.sql"),
];

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

async fn upgrade(url: &str) {
    sqlx::any::install_default_drivers();
    let old = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE fleet_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&old)
    .await
    .unwrap();
    for (version, sql) in BEFORE.iter().enumerate() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&old)
            .await
            .unwrap();
        sqlx::query("INSERT INTO fleet_migrations (version, applied_at) VALUES ($1, 0)")
            .bind(version as i64)
            .execute(&old)
            .await
            .unwrap();
    }
    for (cluster, pod, tag, digest, ready) in [
        ("edge-01", "web-1", Some("1.0"), Some(D1), 1),
        ("edge-01", "web-2", Some("1.0"), Some(D1), 0),
        ("edge-01", "job-1", None, None, 1),
        ("edge-02", "web-1", Some("1.0"), Some(D1), 1),
    ] {
        sqlx::query(
            "INSERT INTO running_images (cluster, repository, tag, reference, digest, namespace,
                 pod, container, ready) VALUES ($1, 'docker.io/library/web', $2, $3, $4, 'apps',
                 $5, 'main', $6)",
        )
        .bind(cluster)
        .bind(tag)
        .bind(format!("web:{}", tag.unwrap_or("latest")))
        .bind(digest)
        .bind(pod)
        .bind(ready)
        .execute(&old)
        .await
        .unwrap();
    }
    old.close().await;

    let db = FleetDb::connect(url).await.unwrap();
    let docs: Vec<(String, String)> =
        sqlx::query_as("SELECT cluster, doc FROM running_docs ORDER BY cluster")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(docs.len(), 2, "{url}");
    let edge01 = containers::read(&docs[0].1, None);
    let pinned = containers::key("docker.io/library/web", "1.0", D1);
    let unpinned = containers::key("docker.io/library/web", "", "");
    let keys: Vec<_> = edge01.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, vec![unpinned, pinned.clone()], "{url}");
    let web: Vec<(&str, bool)> = edge01[1]
        .1
        .iter()
        .map(|c| (c.pod.as_str(), c.ready))
        .collect();
    assert_eq!(web, vec![("web-1", true), ("web-2", false)], "{url}");
    assert_eq!(containers::read(&docs[1].1, None)[0].0, pinned, "{url}");
    let old_table = sqlx::query("SELECT 1 FROM running_images")
        .fetch_optional(db.pool())
        .await;
    assert!(old_table.is_err(), "running_images is dropped ({url})");
}

#[tokio::test]
async fn running_rows_become_documents_on_both_backends() {
    for backend in postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        upgrade(&backend.url).await;
    }
}
