//! The management instance's database: SQLite (by default the store's own `ferry.db`, so fleet
//! changes and their audit entries share one chain) or PostgreSQL, through `sqlx::Any`.
//!
//! Every statement is portable: `$1, $2, …` placeholders numbered in order of appearance
//! (SQLite reads `$N` as the N-th argument), BIGINT for integers and booleans (0/1), TEXT for
//! strings and JSON, `ON CONFLICT … DO` for upserts, no AUTOINCREMENT or SERIAL.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::FleetError;

mod write;
pub(crate) use write::{insert_rows, insert_rows_sql, Batch, Column, RowsInsert};

/// A migration of the fleet tables; each runs once, recorded in `fleet_migrations` (apart from
/// the store's `schema_migrations`, since both can share a file).
struct Migration {
    version: i64,
    sql: &'static str,
    on: On,
    then: Then,
}

/// Which backends run a migration's SQL (every one is recorded on both).
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Both,
    /// What only PostgreSQL needs (and SQLite has no need for).
    Postgres,
}

/// What a migration does in Rust after its SQL, in the same transaction.
#[derive(Clone, Copy)]
enum Then {
    Nothing,
    /// Running rows become documents in Rust: the two backends aggregate JSON apart.
    RunningRowsToDocuments,
}

const fn plain(version: i64, sql: &'static str) -> Migration {
    Migration {
        version,
        sql,
        on: On::Both,
        then: Then::Nothing,
    }
}

const MIGRATIONS: &[Migration] = &[
    plain(0, include_str!("../../migrations/fleet/0000_audit_log.sql")),
    plain(1, include_str!("../../migrations/fleet/0001_catalog.sql")),
    plain(2, include_str!("../../migrations/fleet/0002_clusters.sql")),
    plain(3, include_str!("../../migrations/fleet/0003_desired.sql")),
    plain(4, include_str!("../../migrations/fleet/0004_reports.sql")),
    plain(5, include_str!("../../migrations/fleet/0005_rollouts.sql")),
    plain(
        6,
        include_str!("../../migrations/fleet/0006_assignments.sql"),
    ),
    plain(
        7,
        include_str!("../../migrations/fleet/0007_desired_revisions_order.sql"),
    ),
    plain(
        8,
        include_str!("../../migrations/fleet/0008_image_keys.sql"),
    ),
    plain(9, include_str!("../../migrations/fleet/0009_pages.sql")),
    plain(
        10,
        include_str!("../../migrations/fleet/0010_image_sets.sql"),
    ),
    Migration {
        version: 11,
        sql: include_str!("../../migrations/fleet/0011_running_docs.sql"),
        on: On::Both,
        then: Then::RunningRowsToDocuments,
    },
    Migration {
        version: 12,
        sql: include_str!("../../migrations/fleet/0012_names_in_byte_order.postgres.sql"),
        on: On::Postgres,
        then: Then::Nothing,
    },
    plain(
        13,
        include_str!("../../migrations/fleet/0013_unapplied.sql"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which backend `conn` is on.
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        match conn.backend_name() {
            "PostgreSQL" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// What follows a name in a comparison or ORDER BY so that both backends order names by
    /// their bytes: pages of clusters are cut by name, and a PostgreSQL database created with
    /// a locale would otherwise order `edge-1` and `edge0` its own way.
    pub fn bytes(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " COLLATE \"C\"",
        }
    }
}

/// A pool on the fleet database and which backend it is.
#[derive(Debug, Clone)]
pub struct FleetDb {
    pool: AnyPool,
    /// Where [`FleetDb::begin_write`] begins: on SQLite a pool of one connection.
    writer: AnyPool,
    backend: Backend,
}

impl FleetDb {
    /// Connects to `url` (`sqlite:///path/ferry.db`, `postgres://user@host:port/db`) and applies
    /// the migrations.
    pub async fn connect(url: &str) -> Result<Self, FleetError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(FleetError::DatabaseUrl(url.to_owned()));
        };
        let opts: AnyConnectOptions = url
            .parse()
            .map_err(|_| FleetError::DatabaseUrl(url.to_owned()))?;
        let pool = pool_options(backend, 8).connect_with(opts.clone()).await?;
        // SQLite has one writer at a time. Writers that share one connection queue for it
        // instead of sleeping in SQLite's busy handler, and that connection's page cache stays
        // valid between transactions (a connection discards its cache when another one wrote).
        let writer = match backend {
            Backend::Sqlite => pool_options(backend, 1).connect_with(opts).await?,
            Backend::Postgres => pool.clone(),
        };
        let db = Self {
            pool,
            writer,
            backend,
        };
        db.migrate().await?;
        Ok(db)
    }

    /// The store's own database file as the fleet database.
    pub async fn open_in_store(store_root: &std::path::Path) -> Result<Self, FleetError> {
        let path = store_root.join("ferry.db");
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that holds the write lock from its start, so that reads inside it (the
    /// audit head, a sequence number) cannot be overtaken by another writer.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, FleetError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                // One writer at a time, as SQLite's IMMEDIATE gives: a read-then-write (the
                // next revision, the audit head) cannot be overtaken by another appliance.
                let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})");
                self.writer.begin_with(sqlx::AssertSqlSafe(begin)).await?
            }
        })
    }

    /// The transaction a cluster's report is stored in. On SQLite it is [`FleetDb::begin_write`].
    /// On PostgreSQL reports of different clusters go at once: each holds the fleet's write lock
    /// shared (a writer of [`FleetDb::begin_write`] waits until no report is midway, and reports
    /// wait for it) and its cluster's own lock exclusively, so two reports of one cluster are
    /// judged one after the other, the second by what the first committed. The image sets a
    /// report shares with other clusters are locked as it writes them ([`Batch::lock`]). Its
    /// commit does not wait for the disk: a crash may lose the last few reports, which the
    /// agents' next ones replace, as SQLite's `synchronous = NORMAL` may; every other change
    /// waits.
    pub async fn begin_report(
        &self,
        cluster: &str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, FleetError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let begin = format!(
                    "BEGIN; SET LOCAL synchronous_commit = off;
                     SELECT pg_advisory_xact_lock_shared({WRITE_LOCK});
                     SELECT pg_advisory_xact_lock({CLUSTER_LOCKS}, {})",
                    lock_key(cluster)
                );
                self.writer.begin_with(sqlx::AssertSqlSafe(begin)).await?
            }
        })
    }

    async fn migrate(&self) -> Result<(), FleetError> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS fleet_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.writer)
        .await?;
        for m in MIGRATIONS {
            let mut tx = self.begin_write().await?;
            if self.backend == Backend::Postgres {
                // Two appliances starting at once on one database apply each migration once.
                sqlx::raw_sql("LOCK TABLE fleet_migrations IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM fleet_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_none() {
                if m.on == On::Both || self.backend == Backend::Postgres {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(m.sql))
                        .execute(&mut *tx)
                        .await?;
                }
                match m.then {
                    Then::Nothing => {}
                    Then::RunningRowsToDocuments => {
                        crate::fleet::reports::containers::from_rows(&mut tx).await?
                    }
                }
                sqlx::query("INSERT INTO fleet_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(crate::store::now_unix())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

/// PostgreSQL's advisory lock of the fleet's writes, and the class of the two-part locks of
/// each cluster and each image set (a two-part lock never is a one-part one).
const WRITE_LOCK: i64 = 7316217;
const CLUSTER_LOCKS: i32 = 7316218;
pub(crate) const SET_LOCKS: i32 = 7316219;

/// The second part of the advisory lock of `name`: the first four bytes of its sha256. Two
/// names that share it only wait for each other.
pub(crate) fn lock_key(name: &str) -> i32 {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(name.as_bytes());
    i32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// A pool of at most `connections`, each set up for its backend.
fn pool_options(backend: Backend, connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(30))
        // A ping before each use is a round trip to the connection's thread (SQLite) or the
        // server; a connection that broke fails its statement instead, and is replaced.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // As the store's own pool: WAL (the store's ferry.db is in it already; a
                    // file of its own is put in it here, as the mode persists), wait for
                    // writers rather than fail, and keep foreign keys on.
                    // NORMAL is durable in WAL mode at each checkpoint and never corrupts, as
                    // for the store's pool; FULL would sync the disk on every report.
                    // A report rewrites a few hundred index entries: with SQLite's default
                    // 2 MiB page cache they spill to a temporary statement journal, so each
                    // connection gets 16 MiB and keeps temporary data in memory. (A memory map
                    // of the file sped queries up a little but tripled the resident size, so
                    // reads stay read calls.)
                    conn.execute(
                        "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;
                         PRAGMA synchronous = NORMAL;
                         PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY",
                    )
                    .await?;
                } else {
                    // Every statement here is one of a few shapes whose values (names, digests)
                    // are spread alike, so one plan serves each: planning an image query anew
                    // for its values took as long as running it.
                    conn.execute("SET plan_cache_mode = force_generic_plan")
                        .await?;
                    // A cluster's containers are one document of tens of KiB, compressed as it
                    // is stored: lz4 takes a fifth of the time of PostgreSQL's own pglz. A
                    // server built without lz4 keeps pglz.
                    if let Err(e) = conn.execute("SET default_toast_compression = 'lz4'").await {
                        tracing::debug!(error = %e, "postgresql keeps pglz for stored documents");
                    }
                }
                Ok(())
            })
        })
}
