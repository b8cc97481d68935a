//! The tamper-evident audit log: every change to the store (imports, retirements, gc, pushes,
//! deletes), every failed login and every configuration change, appended to a hash chain in the
//! `audit_log` table.
//!
//! Each entry's hash covers the previous entry's hash ([`chain`]), so [`verify`] finds any
//! edited, removed, inserted or reordered entry. Cutting entries off the end leaves a valid
//! shorter chain; an operator's written-down head ([`head`], `ferry audit show`) catches that.
//! Entries never carry passwords or tokens: callers pass names, digests and paths only.
//!
//! A lower layer: it knows the `audit_log` table and nothing of the store, imports or server that
//! record into it. They hand it a pool or their own transaction.

mod any;
pub mod chain;
mod config;
pub mod events;
pub mod failed_logins;
mod time;
mod verify;

use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::Value;
use sqlx::{SqliteConnection, SqlitePool};

use chain::{canonical_json, entry_hash, Content, GENESIS};

pub use any::{append_in_any, connect_any, head_any, list_any, verify_any};
pub use config::{record_config, ConfigChange};
pub use verify::{verify, Anchor, ChainReport, Tamper};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:?} is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)")]
    BadTime(String),
    #[error("{0:?} is not an audit log anchor: expected a 64-hex-digit hash or SEQ:HASH")]
    BadAnchor(String),
    #[error("audit log entry {seq} is unreadable: {reason}")]
    BadEntry { seq: i64, reason: String },
    #[error("reading configuration {path} to record its hash: {source}")]
    ConfigRead {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Something to record. `actor` is the authenticated user name, `anonymous`, or `cli:<uid>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: Value,
}

impl Event {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: Value,
    ) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail,
        }
    }
}

/// A recorded entry, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The document `ferry audit show --output json` and `GET /api/v1/audit` both print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// The newest entry; `None` for an empty log.
    pub head: Option<Head>,
}

/// The newest entry: what an operator writes down to detect later truncation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    /// The anchor form `verify --expect-head` takes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// The actor for commands run on this machine: `cli:<uid>`.
pub fn local_actor() -> String {
    format!("cli:{}", rustix::process::getuid().as_raw())
}

/// Appends `event` in its own transaction. `BEGIN IMMEDIATE` takes SQLite's write lock before
/// reading the head, so concurrent appenders (other requests, other processes) queue up instead
/// of forking the chain.
pub async fn append(db: &SqlitePool, event: &Event) -> Result<AuditEntry, AuditError> {
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    let entry = append_in(&mut tx, event).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Appends `event` on a caller's transaction, which must already hold the write lock (have
/// written, or be `BEGIN IMMEDIATE`) for the append to be serialized; the entry then commits
/// or rolls back with the caller's change.
pub async fn append_in(
    conn: &mut SqliteConnection,
    event: &Event,
) -> Result<AuditEntry, AuditError> {
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

/// The statement both appenders run (`$N` placeholders read alike on SQLite and PostgreSQL).
const INSERT_ENTRY: &str =
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The entry that follows `last` (the head's seq and hash; `None` for an empty log): its seq,
/// the time now, and its hash over the previous hash and its content.
fn next_entry(last: Option<(i64, String)>, event: &Event) -> AuditEntry {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let at = time::now();
    let content = Content {
        seq,
        at: &at,
        actor: &event.actor,
        action: &event.action,
        subject: &event.subject,
        detail: &event.detail,
    };
    let hash = entry_hash(&prev_hash, &content);
    AuditEntry {
        seq,
        at,
        actor: event.actor.clone(),
        action: event.action.clone(),
        subject: event.subject.clone(),
        detail: event.detail.clone(),
        prev_hash,
        hash,
    }
}

/// [`append`] for hooks whose own operation already happened: a failure to record is logged
/// loudly rather than turned into a failure of the operation.
pub async fn record(db: &SqlitePool, event: Event) {
    if let Err(e) = append(db, &event).await {
        tracing::error!(action = %event.action, subject = %event.subject, error = %e, "could not append to the audit log");
    }
}

pub(crate) type Row = (i64, String, String, String, String, String, String, String);

pub(crate) const ALL_ROWS: &str =
    "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq";
const ROWS_SINCE: &str = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
     FROM audit_log WHERE at >= ? ORDER BY seq";

/// Entries at or after `since` (RFC 3339 UTC), oldest first; all of them without `since`.
pub async fn list(db: &SqlitePool, since: Option<&str>) -> Result<Vec<AuditEntry>, AuditError> {
    let since = since.map(time::normalize).transpose()?;
    let rows: Vec<Row> = match &since {
        Some(at) => sqlx::query_as(ROWS_SINCE).bind(at).fetch_all(db).await?,
        None => sqlx::query_as(ALL_ROWS).fetch_all(db).await?,
    };
    rows.into_iter().map(entry_from_row).collect()
}

/// The newest entry's seq and hash; `None` for an empty log.
pub async fn head(db: &SqlitePool) -> Result<Option<Head>, AuditError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(db)
            .await?;
    Ok(last.map(|(seq, hash)| Head { seq, hash }))
}

/// Every row in seq order, one at a time (memory stays flat however long the log is).
pub(crate) fn stream_rows(
    db: &SqlitePool,
) -> impl futures_util::Stream<Item = Result<Row, AuditError>> + '_ {
    sqlx::query_as::<_, Row>(ALL_ROWS)
        .fetch(db)
        .map_err(AuditError::from)
}

pub(crate) fn entry_from_row(row: Row) -> Result<AuditEntry, AuditError> {
    let (seq, at, actor, action, subject, detail, prev_hash, hash) = row;
    let detail = serde_json::from_str(&detail).map_err(|e| AuditError::BadEntry {
        seq,
        reason: format!("detail is not JSON: {e}"),
    })?;
    Ok(AuditEntry {
        seq,
        at,
        actor,
        action,
        subject,
        detail,
        prev_hash,
        hash,
    })
}

#[cfg(test)]
mod layering {
    /// The audit log is a lower layer: the store, imports and server record into it, never the
    /// other way round (they used to import each other).
    #[test]
    fn audit_depends_on_nothing_above_it() {
        for (file, text) in [
            ("mod.rs", include_str!("mod.rs")),
            ("any.rs", include_str!("any.rs")),
            ("chain.rs", include_str!("chain.rs")),
            ("config.rs", include_str!("config.rs")),
            ("events.rs", include_str!("events.rs")),
            ("failed_logins.rs", include_str!("failed_logins.rs")),
            ("time.rs", include_str!("time.rs")),
            ("verify.rs", include_str!("verify.rs")),
        ] {
            for above in [
                "crate::store",
                "crate::import",
                "crate::server",
                "crate::fleet",
            ] {
                let code: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//") && !l.contains("\"crate::"))
                    .collect();
                assert!(!code.contains(above), "audit/{file} uses {above}");
            }
        }
    }
}
