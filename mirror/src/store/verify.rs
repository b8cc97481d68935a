//! `store verify`: re-hash every blob file and check that everything the database refers to exists.

use std::path::PathBuf;

use ferry_bundler::format::Digest;
use serde::Serialize;

use super::bundles::parse_digest;
use super::walk::{for_each_blob_file, BlobFile};
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorruptBlob {
    pub digest: Digest,
    /// What the file's bytes actually hash to.
    pub actual: Digest,
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingBlob {
    pub digest: Digest,
    /// `repo@manifest` (or `bundle`) that refers to it.
    pub referenced_by: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub blobs_checked: u64,
    pub bytes_checked: u64,
    pub corrupted: Vec<CorruptBlob>,
    pub missing: Vec<MissingBlob>,
    /// Files under `blobs/` whose name is not a digest in its shard.
    pub stray_files: Vec<PathBuf>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.corrupted.is_empty() && self.missing.is_empty() && self.stray_files.is_empty()
    }
}

/// Re-hashes every blob (streaming) and checks every reference recorded in the database.
pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let referenced: Vec<(String, String)> = sqlx::query_as(
        "SELECT digest, repository || '@' || digest FROM manifests
         UNION SELECT child, repository || '@' || manifest FROM manifest_refs WHERE present = 1
         UNION SELECT manifest_digest, 'bundle ' || manifest_digest FROM bundles WHERE retired_at IS NULL
         ORDER BY 1, 2",
    )
    .fetch_all(store.db())
    .await?;
    let owned = store.clone();
    let mut report = tokio::task::spawn_blocking(move || rehash_all(&owned))
        .await
        .map_err(|e| {
            StoreError::Corrupt(
                store.root().to_path_buf(),
                format!("verify task failed: {e}"),
            )
        })??;
    let mut last = None;
    for (digest, by) in referenced {
        let parsed = parse_digest(store, &digest)?;
        if last.as_ref() == Some(&parsed) {
            continue;
        }
        if !store.has_blob(&parsed)? {
            report.missing.push(MissingBlob {
                digest: parsed.clone(),
                referenced_by: by,
            });
        }
        last = Some(parsed);
    }
    Ok(report)
}

fn rehash_all(store: &Store) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    for_each_blob_file(store, |file| {
        let (digest, path) = match file {
            BlobFile::Blob { digest, path } => (digest, path),
            BlobFile::Stray(path) => {
                report.stray_files.push(path);
                return Ok(());
            }
        };
        let (actual, len) = Digest::of_file(&path).map_err(|e| StoreError::io(&path, e))?;
        report.blobs_checked += 1;
        report.bytes_checked += len;
        if actual != digest {
            tracing::error!(%digest, %actual, path = %path.display(), "corrupted blob");
            report.corrupted.push(CorruptBlob {
                digest,
                actual,
                path,
            });
        }
        Ok(())
    })?;
    Ok(report)
}
