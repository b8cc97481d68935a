//! The audit chain on the management instance's database, which may be SQLite or PostgreSQL
//! (`sqlx::Any`). The chain, its hashing and its verification are the same as the store's
//! ([`super::append_in`], [`super::verify`]); only the statements' placeholders and the write
//! lock differ. By default the fleet shares the store's file, so these read the same chain as
//! the store's functions; on a separate database (PostgreSQL) it is a chain of its own.

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AnyPool};

use super::chain::canonical_json;
use super::verify::{verify_rows, Anchor, ChainReport};
use super::{
    entry_from_row, next_entry, time, AuditEntry, AuditError, Event, Head, Row, ALL_ROWS,
    INSERT_ENTRY,
};

/// Appends `event` on a caller's transaction. On PostgreSQL the append first takes an exclusive
/// lock on `audit_log`, so concurrent appenders queue instead of forking the chain; on SQLite
/// the caller's transaction must hold the write lock already (`BEGIN IMMEDIATE`, or a write).
pub async fn append_in_any(
    conn: &mut AnyConnection,
    event: &Event,
) -> Result<AuditEntry, AuditError> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::raw_sql("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
    }
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let entry = next_entry(last, event);
    sqlx::query(INSERT_ENTRY)
        .bind(entry.seq)
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(canonical_json(&entry.detail))
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

/// A small pool on a fleet database of its own, for reading its chain (`ferry audit`):
/// no migrations run, nothing is written.
pub async fn connect_any(url: &str) -> Result<AnyPool, AuditError> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    // One plain attempt first: a pool retries an unreachable server until its acquire timeout,
    // where a command should say at once that the database is not there.
    AnyConnection::connect(url).await?.close().await?;
    Ok(sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?)
}

/// [`super::verify`] on a fleet database: walks the whole chain in seq order, one row at a time.
pub async fn verify_any(
    pool: &AnyPool,
    anchor: Option<&Anchor>,
) -> Result<ChainReport, AuditError> {
    let rows = sqlx::query_as::<_, Row>(ALL_ROWS)
        .fetch(pool)
        .map_err(AuditError::from);
    verify_rows(rows, anchor).await
}

/// [`super::list`] on a fleet database: entries at or after `since` (RFC 3339 UTC), oldest first.
pub async fn list_any(pool: &AnyPool, since: Option<&str>) -> Result<Vec<AuditEntry>, AuditError> {
    let since = since.map(time::normalize).transpose()?;
    let rows: Vec<Row> = match &since {
        Some(at) => {
            sqlx::query_as(
                "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
                 FROM audit_log WHERE at >= $1 ORDER BY seq",
            )
            .bind(at)
            .fetch_all(pool)
            .await?
        }
        None => sqlx::query_as(ALL_ROWS).fetch_all(pool).await?,
    };
    rows.into_iter().map(entry_from_row).collect()
}

/// [`super::head`] on a fleet database; `None` for an empty log.
pub async fn head_any(pool: &AnyPool) -> Result<Option<Head>, AuditError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(pool)
            .await?;
    Ok(last.map(|(seq, hash)| Head { seq, hash }))
}
