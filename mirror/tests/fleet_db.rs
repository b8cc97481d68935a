//! The fleet database opens on the store's own SQLite file, applies its migrations once, and
//! appends audit entries into the store's chain.

use ferry_mirror::audit::{self, Event};
use ferry_mirror::fleet::FleetDb;
use ferry_mirror::store::Store;

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
