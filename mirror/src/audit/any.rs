//! Appending on the management instance's database, which may be SQLite or PostgreSQL
//! (`sqlx::Any`). The chain and its hashing are the same as the store's ([`super::append_in`]);
//! only the statements' placeholders and the write lock differ.

use sqlx::AnyConnection;

use super::chain::{canonical_json, entry_hash, Content, GENESIS};
use super::{time, AuditEntry, AuditError, Event};

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
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(&at)
    .bind(&event.actor)
    .bind(&event.action)
    .bind(&event.subject)
    .bind(canonical_json(&event.detail))
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(AuditEntry {
        seq,
        at,
        actor: event.actor.clone(),
        action: event.action.clone(),
        subject: event.subject.clone(),
        detail: event.detail.clone(),
        prev_hash,
        hash,
    })
}
