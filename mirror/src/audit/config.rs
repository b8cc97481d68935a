//! Configuration changes: `ferry serve` records the appliance configuration file's sha256 each
//! time it starts, and appends `config.changed` when it differs from the last one recorded.

use std::path::Path;

use serde::Serialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::events::CONFIG_CHANGED;
use super::{append_in, AuditEntry, AuditError, Event};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigChange {
    /// sha256 last recorded; `None` the first time.
    pub old: Option<String>,
    pub new: String,
    pub entry: AuditEntry,
}

/// Hashes the configuration file at `path` and appends `config.changed` (by `actor`) unless the
/// last recorded hash is the same. Returns the change, or `None` if there was none.
pub async fn record_config(
    db: &sqlx::SqlitePool,
    path: &Path,
    actor: &str,
) -> Result<Option<ConfigChange>, AuditError> {
    let bytes = std::fs::read(path).map_err(|source| AuditError::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    let new = hex::encode(Sha256::digest(&bytes));
    // One transaction, so two appliances starting at once cannot both record the same change.
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, detail FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
    )
    .bind(CONFIG_CHANGED)
    .fetch_optional(&mut *tx)
    .await?;
    let old = match last {
        Some((seq, detail)) => {
            let v: serde_json::Value =
                serde_json::from_str(&detail).map_err(|e| AuditError::BadEntry {
                    seq,
                    reason: format!("detail is not JSON: {e}"),
                })?;
            v.get("new").and_then(|n| n.as_str()).map(str::to_owned)
        }
        None => None,
    };
    if old.as_deref() == Some(new.as_str()) {
        return Ok(None);
    }
    let event = Event::new(
        actor,
        CONFIG_CHANGED,
        super::events::absolute(path),
        json!({ "old": old, "new": new }),
    );
    let entry = append_in(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Some(ConfigChange { old, new, entry }))
}
