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
    assert_eq!(n, 14);
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
    assert_eq!(n, 14, "{url}");
    // Migration 12 is PostgreSQL's alone: its indexes of names in byte order.
    let postgres = url.starts_with("postgres");
    let by_name: i64 = if postgres {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE '%image_sets_by_name'",
        )
    } else {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%image_sets_by_name'",
        )
    }
    .fetch_one(db2.pool())
    .await
    .unwrap();
    assert_eq!(by_name, if postgres { 2 } else { 0 }, "{url}");
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

/// The rules docs/fleet-storage.md gives for SQL through `sqlx::Any`, checked on both backends:
/// what works the same, and the differences the rules steer around.
async fn any_sql_rules(backend: &str, url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let pg = backend == "postgres";
    sqlx::raw_sql(
        "CREATE TABLE probe (k TEXT PRIMARY KEY, n BIGINT NOT NULL, maybe_n BIGINT NULL,
         maybe_s TEXT NULL, flag BOOLEAN NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // BIGINT and TEXT round trip, NULLs as Option, `$N` bound by number (not by position).
    sqlx::query("INSERT INTO probe (n, k, maybe_n, maybe_s) VALUES ($2, $1, $3, $4)")
        .bind("a")
        .bind(i64::MAX)
        .bind(None::<i64>)
        .bind(None::<String>)
        .execute(&pool)
        .await
        .unwrap();
    let row: (String, i64, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT k, n, maybe_n, maybe_s FROM probe WHERE k = $1 AND k = $1")
            .bind("a")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(row, ("a".into(), i64::MAX, None, None));
    let null_into_string: Result<String, _> = sqlx::query_scalar("SELECT maybe_s FROM probe")
        .fetch_one(&pool)
        .await;
    assert!(null_into_string.is_err());
    // Upserts: ON CONFLICT … DO UPDATE with excluded, DO NOTHING affecting no row.
    let upsert = "INSERT INTO probe (k, n, maybe_s) VALUES ($1, $2, $3)
                  ON CONFLICT (k) DO UPDATE SET n = probe.n - excluded.n, maybe_s = excluded.maybe_s";
    for _ in 0..2 {
        let done = sqlx::query(upsert)
            .bind("a")
            .bind(1i64)
            .bind(Some("x"))
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }
    let (n, s): (i64, Option<String>) = sqlx::query_as("SELECT n, maybe_s FROM probe")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((n, s.as_deref()), (i64::MAX - 2, Some("x")));
    let nothing =
        sqlx::query("INSERT INTO probe (k, n) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING")
            .bind("a")
            .bind(0i64)
            .execute(&pool)
            .await
            .unwrap();
    assert_eq!(nothing.rows_affected(), 0);
    // A duplicate key is told apart by kind, not by code (1555 vs 23505).
    let dup = sqlx::query("INSERT INTO probe (k, n) VALUES ($1, $2)")
        .bind("a")
        .bind(0i64)
        .execute(&pool)
        .await
        .unwrap_err();
    let kind = dup.as_database_error().map(|d| d.kind());
    assert_eq!(kind, Some(sqlx::error::ErrorKind::UniqueViolation));
    // COUNT, MAX and RETURNING decode as i64 on both; MAX of no rows is NULL.
    let (count, max, none): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(n), (SELECT MAX(n) FROM probe WHERE k = 'none') FROM probe",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((count, max, none), (1, Some(i64::MAX - 2), None));
    let returned: i64 = sqlx::query_scalar("INSERT INTO probe (k, n) VALUES ($1, $2) RETURNING n")
        .bind("b")
        .bind(-7i64)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(returned, -7);
    let distinct: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE maybe_n IS NOT DISTINCT FROM $1")
            .bind(None::<i64>)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(distinct, 2);
    // Differences. SUM is NUMERIC on PostgreSQL, which Any cannot decode: CAST it.
    let sum: Result<i64, _> = sqlx::query_scalar("SELECT SUM(n) FROM probe WHERE k = 'b'")
        .fetch_one(&pool)
        .await;
    assert_eq!(sum.is_err(), pg, "{sum:?}");
    let sum: i64 = sqlx::query_scalar("SELECT CAST(SUM(n) AS BIGINT) FROM probe WHERE k = 'b'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sum, -7);
    // A comparison is BOOLEAN on PostgreSQL and an integer on SQLite: neither i64 nor bool
    // decodes on both; CASE WHEN … THEN 1 ELSE 0 END does.
    let cmp: Result<i64, _> = sqlx::query_scalar("SELECT n > 0 FROM probe WHERE k = 'b'")
        .fetch_one(&pool)
        .await;
    assert_eq!(cmp.is_err(), pg);
    let case: i64 = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM probe WHERE n > 0) THEN 1 ELSE 0 END",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(case, 1);
    // A bool bound into BIGINT: SQLite stores 1, PostgreSQL refuses. Bind i64 0/1.
    let bool_in_bigint = sqlx::query("INSERT INTO probe (k, n) VALUES ($1, $2)")
        .bind("c")
        .bind(true)
        .execute(&pool)
        .await;
    assert_eq!(bool_in_bigint.is_err(), pg);
    // A BOOLEAN column: Any cannot decode it from SQLite at all.
    sqlx::query("UPDATE probe SET flag = $1 WHERE k = 'b'")
        .bind(true)
        .execute(&pool)
        .await
        .unwrap();
    let flag: Result<Option<bool>, _> = sqlx::query_scalar("SELECT flag FROM probe WHERE k = 'b'")
        .fetch_one(&pool)
        .await;
    assert_eq!(flag.is_ok(), pg, "{flag:?}");
    // Timestamps: PostgreSQL's TIMESTAMPTZ cannot be decoded through Any (times are BIGINT).
    if pg {
        let now: Result<String, _> = sqlx::query_scalar("SELECT NOW()").fetch_one(&pool).await;
        assert!(now.is_err());
    }
    // PostgreSQL compares strictly by type, and has no `IS $1`.
    let i32_vs_text: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT n FROM probe WHERE k = $1")
            .bind(5i32)
            .fetch_optional(&pool)
            .await;
    assert_eq!(i32_vs_text.is_err(), pg);
    let is_param: Result<i64, _> =
        sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE maybe_n IS $1")
            .bind(None::<i64>)
            .fetch_one(&pool)
            .await;
    assert_eq!(is_param.is_err(), pg);
    // LIKE is case-insensitive for ASCII on SQLite only; NULLs sort first on SQLite, last on
    // PostgreSQL (say NULLS FIRST/LAST, or COALESCE).
    let like: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE k LIKE 'A%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(like, if pg { 0 } else { 1 });
    sqlx::query("UPDATE probe SET maybe_n = 5 WHERE k = 'a'")
        .execute(&pool)
        .await
        .unwrap();
    let first: Option<i64> =
        sqlx::query_scalar("SELECT maybe_n FROM probe ORDER BY maybe_n LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(first, if pg { Some(5) } else { None });
    let first: Option<i64> =
        sqlx::query_scalar("SELECT maybe_n FROM probe ORDER BY maybe_n NULLS FIRST LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(first, None);
    pool.close().await;
}

#[tokio::test]
async fn sqlx_any_rules_of_docs_fleet_storage_hold_on_both_backends() {
    for backend in postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        any_sql_rules(backend.name, &backend.url).await;
    }
}
