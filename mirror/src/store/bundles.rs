//! Imported bundles: listing them and retiring one (its content then stays only as long as
//! something else still refers to it; `gc` removes the rest).

use ferry_bundler::format::Digest;
use serde::Serialize;

use super::{now_unix, set_tag_in, Store, StoreError};

/// An imported bundle, as `ferry store bundles` and `GET /api/v1/bundles` both print it
/// (docs/json.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleSummary {
    /// sha256 of the bundle's `ferry-bundle.json`: its identity in the store.
    #[serde(rename = "digest")]
    pub manifest_digest: Digest,
    /// When the bundle was built (RFC 3339, from its manifest).
    #[serde(rename = "createdAt")]
    pub created: String,
    pub generator: String,
    pub signer: Option<String>,
    pub total_size: u64,
    pub artifacts: u64,
    #[serde(serialize_with = "super::json_time::rfc3339")]
    pub imported_at: i64,
    pub retired: bool,
    #[serde(serialize_with = "super::json_time::rfc3339_opt")]
    pub retired_at: Option<i64>,
}

/// The document `ferry store bundles --output json` and `GET /api/v1/bundles` both print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleList {
    pub bundles: Vec<BundleSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetireReport {
    pub bundle: Digest,
    /// True if the bundle was already retired; nothing changed.
    pub already_retired: bool,
    /// `repo:tag` removed because no other active bundle sets them.
    pub tags_removed: Vec<String>,
    /// `repo:tag` pointed back at what another active bundle sets.
    pub tags_restored: Vec<String>,
}

type BundleRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    i64,
);

/// Every bundle ever imported, oldest first.
pub async fn list_bundles(store: &Store) -> Result<Vec<BundleSummary>, StoreError> {
    let rows: Vec<BundleRow> = sqlx::query_as(
        "SELECT b.manifest_digest, b.created, b.generator, b.signer, b.total_size, b.imported_at, b.retired_at,
                (SELECT COUNT(*) FROM bundle_artifacts a WHERE a.bundle = b.manifest_digest)
         FROM bundles b ORDER BY b.imported_at, b.manifest_digest",
    )
    .fetch_all(store.db())
    .await?;
    rows.into_iter()
        .map(
            |(digest, created, generator, signer, size, imported_at, retired_at, artifacts)| {
                Ok(BundleSummary {
                    manifest_digest: parse_digest(store, &digest)?,
                    created,
                    generator,
                    signer,
                    total_size: u64::try_from(size).unwrap_or(0),
                    imported_at,
                    retired: retired_at.is_some(),
                    retired_at,
                    artifacts: u64::try_from(artifacts).unwrap_or(0),
                })
            },
        )
        .collect()
}

/// Marks `bundle` retired: its artifacts no longer keep content alive, and every tag it set that
/// still points where it set it is handed to the newest other active bundle setting the same tag,
/// or removed. Tags moved since (by a push or a newer bundle) are left alone.
pub async fn retire_bundle(store: &Store, bundle: &Digest) -> Result<RetireReport, StoreError> {
    let key = bundle.to_string();
    let mut tx = store.begin().await?;
    let retired: Option<Option<i64>> =
        sqlx::query_scalar("SELECT retired_at FROM bundles WHERE manifest_digest = ?")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
    let mut report = RetireReport {
        bundle: bundle.clone(),
        already_retired: false,
        tags_removed: vec![],
        tags_restored: vec![],
    };
    match retired {
        None => return Err(StoreError::UnknownBundle(bundle.clone())),
        Some(Some(_)) => {
            report.already_retired = true;
            crate::audit::record(store.db(), retired_event(&report)).await;
            return Ok(report);
        }
        Some(None) => {}
    }
    sqlx::query("UPDATE bundles SET retired_at = ? WHERE manifest_digest = ?")
        .bind(now_unix())
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    let set: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT repository, tag, digest FROM bundle_tags WHERE bundle = ? ORDER BY repository, tag",
    )
    .bind(&key)
    .fetch_all(&mut *tx)
    .await?;
    for (repo, tag, digest) in set {
        let current: Option<String> =
            sqlx::query_scalar("SELECT digest FROM tags WHERE repository = ? AND tag = ?")
                .bind(&repo)
                .bind(&tag)
                .fetch_optional(&mut *tx)
                .await?;
        if current.as_deref() != Some(digest.as_str()) {
            continue;
        }
        let successor: Option<String> = sqlx::query_scalar(
            "SELECT t.digest FROM bundle_tags t JOIN bundles b ON b.manifest_digest = t.bundle
             WHERE t.repository = ? AND t.tag = ? AND b.retired_at IS NULL
             ORDER BY b.imported_at DESC, b.manifest_digest DESC LIMIT 1",
        )
        .bind(&repo)
        .bind(&tag)
        .fetch_optional(&mut *tx)
        .await?;
        match successor {
            Some(d) => {
                set_tag_in(&mut tx, &repo, &tag, &parse_digest(store, &d)?).await?;
                report.tags_restored.push(format!("{repo}:{tag}"));
            }
            None => {
                sqlx::query("DELETE FROM tags WHERE repository = ? AND tag = ?")
                    .bind(&repo)
                    .bind(&tag)
                    .execute(&mut *tx)
                    .await?;
                report.tags_removed.push(format!("{repo}:{tag}"));
            }
        }
    }
    crate::audit::append_in(&mut tx, &retired_event(&report)).await?;
    tx.commit().await?;
    Ok(report)
}

/// A retirement's audit entry (appended in the retirement's own transaction, so both commit or
/// neither).
fn retired_event(report: &RetireReport) -> crate::audit::Event {
    crate::audit::Event::new(
        crate::audit::local_actor(),
        crate::audit::events::BUNDLE_RETIRED,
        report.bundle.to_string(),
        serde_json::json!({
            "alreadyRetired": report.already_retired,
            "tagsRemoved": report.tags_removed,
            "tagsRestored": report.tags_restored,
        }),
    )
}

/// Digests in the database were validated on the way in; a bad one means the database was edited.
pub(super) fn parse_digest(store: &Store, s: &str) -> Result<Digest, StoreError> {
    Digest::parse(s).map_err(|e| StoreError::Corrupt(store.root().join("ferry.db"), e.to_string()))
}
