//! The fleet database: on the store's own SQLite file it applies its migrations once and appends
//! into the store's chain; on SQLite and PostgreSQL alike (`ferry_testkit::postgres`) the chain
//! holds under concurrent appenders and an edited entry is found.

use ferry_mirror::audit::{self, Event};
use ferry_mirror::fleet::FleetDb;
use ferry_mirror::store::Store;
use ferry_testkit::postgres;
use serde_json::json;

#[tokio::test]
async fn fleet_tables_share_the_stores_file_and_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let db = FleetDb::open_in_store(dir.path()).await.unwrap();
    // A second open applies nothing twice.
    let db2 = FleetDb::open_in_store(dir.path()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fleet_migrations")
        .fetch_one(db2.pool())
        .await
        .unwrap();
    assert_eq!(n, 7);
    let mut tx = db.begin_write().await.unwrap();
    let e = audit::append_in_any(
        &mut tx,
        &Event::new("cli:0", "fleet.test", "x", serde_json::json!({"a": 1})),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let e2 = audit::append_in_any(
        &mut tx,
        &Event::new("cli:0", "fleet.test", "y", serde_json::json!({})),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((e.seq, e2.seq), (1, 2));
    assert_eq!(e2.prev_hash, e.hash);
    let report = audit::verify(store.db(), None).await.unwrap();
    assert!(report.tamper.is_none(), "{report:?}");
    assert_eq!(report.entries_checked, 2);
}

/// Migrations apply once and audit appends chain, on SQLite and PostgreSQL alike; on a fleet
/// database of its own the chain is read and verified with the `_any` functions.
async fn migrations_once_and_a_chain(url: &str) {
    let db = FleetDb::connect(url).await.unwrap();
    let db2 = FleetDb::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fleet_migrations")
        .fetch_one(db2.pool())
        .await
        .unwrap();
    assert_eq!(n, 7, "{url}");
    let first = append(&db, "x", json!({"a": 1})).await;
    let second = append(&db, "y", json!({"b": [1, 2]})).await;
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(second.prev_hash, first.hash);
    let report = audit::verify_any(db.pool(), None).await.unwrap();
    assert!(report.is_ok(), "{url}: {report:?}");
    assert_eq!(report.entries_checked, 2);
    let head = audit::head_any(db.pool()).await.unwrap().unwrap();
    assert_eq!((head.seq, head.hash.as_str()), (2, second.hash.as_str()));
    assert_eq!(report.head, Some(head.clone()));
    let entries = audit::list_any(db.pool(), None).await.unwrap();
    assert_eq!(entries, vec![first.clone(), second.clone()]);
    // `since` with a $1 placeholder on both backends: every entry is from this run.
    let since = audit::list_any(db.pool(), Some("2000-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(since.len(), 2);
    // The head written down earlier still anchors the chain.
    let anchor: audit::Anchor = head.to_string().parse().unwrap();
    assert!(audit::verify_any(db.pool(), Some(&anchor))
        .await
        .unwrap()
        .is_ok());
}

#[tokio::test]
async fn migrations_apply_once_and_appends_chain_on_both_backends() {
    for backend in postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        migrations_once_and_a_chain(&backend.url).await;
    }
}

/// Twenty appenders at once, each in its own write transaction: the chain does not fork
/// (PostgreSQL's plain transactions would each read the same head without the append's lock).
async fn concurrent_appends(url: &str) {
    let db = FleetDb::connect(url).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin_write().await.unwrap();
                let entry = audit::append_in_any(
                    &mut tx,
                    &Event::new("cli:0", "fleet.test", format!("task-{i}"), json!({"i": i})),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                entry.seq
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=20).collect::<Vec<i64>>(), "{url}");
    let report = audit::verify_any(db.pool(), None).await.unwrap();
    assert!(report.is_ok(), "{url}: {report:?}");
    assert_eq!(report.entries_checked, 20);
    assert_eq!(report.head.map(|h| h.seq), Some(20));
    let subjects: std::collections::BTreeSet<String> = audit::list_any(db.pool(), None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(subjects.len(), 20, "every appender's entry is in the chain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appenders_do_not_fork_the_chain_on_both_backends() {
    for backend in postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        concurrent_appends(&backend.url).await;
    }
}

/// An entry edited in the database (its detail rewritten, even to valid canonical JSON) is
/// found, and named by its seq.
async fn edited_entry_found(url: &str) {
    let db = FleetDb::connect(url).await.unwrap();
    for i in 0..3 {
        append(&db, &format!("cluster-{i}"), json!({"replicas": i})).await;
    }
    let changed = sqlx::query("UPDATE audit_log SET detail = $1 WHERE seq = $2")
        .bind(r#"{"replicas":9}"#)
        .bind(2i64)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    let report = audit::verify_any(db.pool(), None).await.unwrap();
    let tamper = report.tamper.expect("the edit is found");
    assert_eq!(tamper.seq, 2, "{url}: {}", tamper.reason);
    assert!(tamper.reason.contains("edited"), "{}", tamper.reason);
    assert_eq!(report.entries_checked, 1);
    assert_eq!(report.head, None);
}

#[tokio::test]
async fn verify_any_finds_an_edited_entry_on_both_backends() {
    for backend in postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        edited_entry_found(&backend.url).await;
    }
}

async fn append(db: &FleetDb, subject: &str, detail: serde_json::Value) -> audit::AuditEntry {
    let mut tx = db.begin_write().await.unwrap();
    let e = audit::append_in_any(&mut tx, &Event::new("cli:0", "fleet.test", subject, detail))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    e
}
