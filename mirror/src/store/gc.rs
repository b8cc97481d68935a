//! Garbage collection: remove exactly the manifests and blobs nothing refers to any more.
//!
//! Roots are tags, the artifacts of active (not retired) bundles, their bundle manifest blobs
//! and the profile definition blobs those manifests name.
//! From a manifest, its present refs (config, layers, child manifests) are reachable, and so are
//! manifests whose `subject` it is (signatures and attestations pushed as referrers).
//! A repository's blob link (`repository_blobs`) stays while something reachable in that
//! repository needs it, or while it is younger than the grace period (a push whose manifest has
//! not arrived yet); a file stays while it is reachable or linked anywhere.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use ferry_bundler::format::Digest;
use serde::Serialize;

use super::bundles::parse_digest;
use super::walk::{for_each_blob_file, BlobFile};
use super::{Store, StoreError, StoreTx};

#[derive(Debug, Clone)]
pub struct GcOptions {
    /// Unreferenced blobs younger than this are kept: they may belong to an import or a push
    /// that has not committed its manifest yet.
    pub grace: Duration,
    /// Report what would be removed without removing it.
    pub dry_run: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(3600),
            dry_run: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    pub dry_run: bool,
    /// `repo@digest` of manifest rows removed (no longer served).
    pub manifests_removed: Vec<String>,
    pub blobs_removed: Vec<Digest>,
    pub bytes_freed: u64,
    pub blobs_kept: u64,
    /// Unreferenced blobs kept because they are younger than the grace period.
    pub blobs_spared_young: u64,
}

/// [`gc_with`] with the default one-hour grace period.
pub async fn gc(store: &Store) -> Result<GcReport, StoreError> {
    gc_with(store, &GcOptions::default()).await
}

pub async fn gc_with(store: &Store, options: &GcOptions) -> Result<GcReport, StoreError> {
    let mut report = GcReport {
        dry_run: options.dry_run,
        ..GcReport::default()
    };
    let mut tx = store.begin().await?;
    let mut live = live_content(store, &mut tx).await?;
    let all: Vec<(String, String)> =
        sqlx::query_as("SELECT repository, digest FROM manifests ORDER BY repository, digest")
            .fetch_all(&mut *tx)
            .await?;
    for (repo, digest) in all {
        if live.manifests.contains(&(repo.clone(), digest.clone())) {
            continue;
        }
        if !options.dry_run {
            sqlx::query("DELETE FROM manifest_refs WHERE repository = ? AND manifest = ?")
                .bind(&repo)
                .bind(&digest)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM manifests WHERE repository = ? AND digest = ?")
                .bind(&repo)
                .bind(&digest)
                .execute(&mut *tx)
                .await?;
        }
        report.manifests_removed.push(format!("{repo}@{digest}"));
    }
    let links_removed = collect_links(&mut tx, &mut live, options).await?;
    // Rows first: once they are gone nothing serves the blobs, so removing files is safe.
    tx.commit().await?;

    let now = SystemTime::now();
    for_each_blob_file(store, |file| {
        let BlobFile::Blob { digest, path } = file else {
            return Ok(());
        };
        if live.blobs.contains(digest.to_string().as_str()) {
            report.blobs_kept += 1;
            return Ok(());
        }
        let meta = std::fs::metadata(&path).map_err(|e| StoreError::io(&path, e))?;
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age < options.grace {
            report.blobs_spared_young += 1;
            return Ok(());
        }
        if !options.dry_run {
            std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        report.bytes_freed += meta.len();
        report.blobs_removed.push(digest);
        Ok(())
    })?;
    tracing::info!(
        links_removed,
        removed = report.blobs_removed.len(),
        bytes = report.bytes_freed,
        "gc done"
    );
    crate::audit::record(store.db(), gc_event(store, &report)).await;
    Ok(report)
}

fn gc_event(store: &Store, report: &GcReport) -> crate::audit::Event {
    crate::audit::Event::new(
        crate::audit::local_actor(),
        crate::audit::events::GC,
        crate::audit::events::absolute(store.root()),
        serde_json::json!({
            "dryRun": report.dry_run,
            "manifestsRemoved": report.manifests_removed,
            "blobsRemoved": report.blobs_removed.len(),
            "bytesFreed": report.bytes_freed,
            "blobsKept": report.blobs_kept,
            "blobsSparedYoung": report.blobs_spared_young,
        }),
    )
}

/// Removes the blob links nothing reachable in their repository needs, once older than the grace
/// period; the blobs of the links that stay become live. Returns how many were (or, in a dry
/// run, would be) removed.
async fn collect_links(
    tx: &mut StoreTx<'_>,
    live: &mut Live,
    options: &GcOptions,
) -> Result<u64, StoreError> {
    let grace = i64::try_from(options.grace.as_secs()).unwrap_or(i64::MAX);
    let young_since = super::now_unix().saturating_sub(grace);
    let links: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT repository, digest, linked_at FROM repository_blobs")
            .fetch_all(&mut **tx)
            .await?;
    let mut removed = 0;
    for (repo, digest, linked_at) in links {
        let needed = live.links.contains(&(repo.clone(), digest.clone()));
        if needed || linked_at > young_since {
            live.blobs.insert(digest);
            continue;
        }
        if !options.dry_run {
            sqlx::query(super::links::UNLINK)
                .bind(&repo)
                .bind(&digest)
                .execute(&mut **tx)
                .await?;
        }
        removed += 1;
    }
    Ok(removed)
}

/// What is reachable from the roots: manifests as (repository, digest), blobs as digest strings,
/// and per repository the blobs it reaches (manifests and their present refs).
pub(super) struct Live {
    pub manifests: HashSet<(String, String)>,
    pub blobs: HashSet<String>,
    pub links: HashSet<(String, String)>,
}

pub(super) async fn live_content(store: &Store, tx: &mut StoreTx<'_>) -> Result<Live, StoreError> {
    let mut queue: Vec<(String, String)> = sqlx::query_as(
        "SELECT repository, digest FROM tags
         UNION SELECT a.repository, a.digest FROM bundle_artifacts a
           JOIN bundles b ON b.manifest_digest = a.bundle WHERE b.retired_at IS NULL
         UNION SELECT t.repository, t.digest FROM bundle_tags t
           JOIN bundles b ON b.manifest_digest = t.bundle WHERE b.retired_at IS NULL",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut blobs: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT manifest_digest FROM bundles WHERE retired_at IS NULL",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let definitions = super::profile_definitions::definition_roots(store, &blobs);
    blobs.extend(definitions);

    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT repository, digest, subject FROM manifests")
            .fetch_all(&mut **tx)
            .await?;
    let mut known = HashSet::new();
    let mut referrers: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (repo, digest, subject) in rows {
        if let Some(subject) = subject {
            referrers
                .entry((repo.clone(), subject))
                .or_default()
                .push(digest.clone());
        }
        known.insert((repo, digest));
    }
    let mut children: HashMap<(String, String), Vec<String>> = HashMap::new();
    let refs: Vec<(String, String, String)> =
        sqlx::query_as("SELECT repository, manifest, child FROM manifest_refs WHERE present = 1")
            .fetch_all(&mut **tx)
            .await?;
    for (repo, manifest, child) in refs {
        children.entry((repo, manifest)).or_default().push(child);
    }

    let mut manifests = HashSet::new();
    let mut links = HashSet::new();
    while let Some(key) = queue.pop() {
        if !known.contains(&key) || !manifests.insert(key.clone()) {
            continue;
        }
        parse_digest(store, &key.1)?;
        blobs.insert(key.1.clone());
        links.insert(key.clone());
        for child in children.get(&key).into_iter().flatten() {
            blobs.insert(child.clone());
            links.insert((key.0.clone(), child.clone()));
            queue.push((key.0.clone(), child.clone()));
        }
        for referrer in referrers.get(&key).into_iter().flatten() {
            queue.push((key.0.clone(), referrer.clone()));
        }
    }
    Ok(Live {
        manifests,
        blobs,
        links,
    })
}
