//! Registry-side store operations: resolving references, listing, referrers and deleting
//! (pushed manifests are checked and recorded in `manifest_push`). The HTTP layer stays thin;
//! everything it decides lives here.

use ferry_bundler::format::Digest;

use super::{Store, StoreError};

/// Largest manifest accepted by push (and read back for referrer annotations): the format's one
/// limit, so whatever a bundle carries can be served and nothing pushed is refused by an import.
pub const MAX_MANIFEST_SIZE: usize = ferry_bundler::format::document::MAX_MANIFEST_SIZE as usize;

/// A stored manifest: its bytes are the blob at `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRecord {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
}

/// One entry of a referrers index.
#[derive(Debug, Clone, PartialEq)]
pub struct Referrer {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub annotations: Option<serde_json::Value>,
}

impl Store {
    /// Digest a tag points at in `repo`.
    pub async fn tag_digest(&self, repo: &str, tag: &str) -> Result<Option<Digest>, StoreError> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT digest FROM tags WHERE repository = ? AND tag = ?")
                .bind(repo)
                .bind(tag)
                .fetch_optional(self.db())
                .await?;
        row.map(|d| self.parse_stored_digest(&d)).transpose()
    }

    /// The manifest `digest` of `repo`, if recorded and its bytes are in the store.
    pub async fn manifest_record(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<Option<ManifestRecord>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT media_type, size FROM manifests WHERE repository = ? AND digest = ?",
        )
        .bind(repo)
        .bind(digest.to_string())
        .fetch_optional(self.db())
        .await?;
        let Some((media_type, size)) = row else {
            return Ok(None);
        };
        Ok(Some(ManifestRecord {
            digest: digest.clone(),
            media_type,
            size: size as u64,
        }))
    }

    pub async fn repository_exists(&self, repo: &str) -> Result<bool, StoreError> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT name FROM repositories WHERE name = ?")
                .bind(repo)
                .fetch_optional(self.db())
                .await?;
        Ok(row.is_some())
    }

    /// Tags of `repo` in lexical order, at most `n`, after `last`. `None` if the repository is unknown.
    pub async fn list_tags(
        &self,
        repo: &str,
        n: Option<u32>,
        last: Option<&str>,
    ) -> Result<Option<Vec<String>>, StoreError> {
        if !self.repository_exists(repo).await? {
            return Ok(None);
        }
        let tags = sqlx::query_scalar(
            "SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?",
        )
        .bind(repo)
        .bind(last.unwrap_or(""))
        .bind(limit(n))
        .fetch_all(self.db())
        .await?;
        Ok(Some(tags))
    }

    /// Repository names in lexical order, at most `n`, after `last`.
    pub async fn catalog(
        &self,
        n: Option<u32>,
        last: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
            )
            .bind(last.unwrap_or(""))
            .bind(limit(n))
            .fetch_all(self.db())
            .await?,
        )
    }

    /// Manifests of `repo` whose subject is `subject`, optionally only those of `artifact_type`.
    pub async fn referrers(
        &self,
        repo: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Referrer>, StoreError> {
        let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT digest, media_type, size, artifact_type FROM manifests \
             WHERE repository = ? AND subject = ? ORDER BY digest",
        )
        .bind(repo)
        .bind(subject.to_string())
        .fetch_all(self.db())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (digest, media_type, size, stored_type) in rows {
            if artifact_type.is_some() && stored_type.as_deref() != artifact_type {
                continue;
            }
            let digest = self.parse_stored_digest(&digest)?;
            // Annotations are only in the document; oversized ones are listed without them.
            let annotations = if size as u64 <= MAX_MANIFEST_SIZE as u64 {
                self.manifest_annotations(&digest).await?
            } else {
                None
            };
            out.push(Referrer {
                digest,
                media_type,
                size: size as u64,
                artifact_type: stored_type,
                annotations,
            });
        }
        Ok(out)
    }

    async fn manifest_annotations(
        &self,
        digest: &Digest,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let path = self.blob_path(digest);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(path, e)),
        };
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        Ok(doc.get("annotations").filter(|a| a.is_object()).cloned())
    }

    /// Forgets manifest `digest` of `repo`, every tag pointing at it and its link to `repo`. Its
    /// blob file stays for `gc` (other repositories may share it). Returns false if it was not
    /// there.
    pub async fn delete_manifest(&self, repo: &str, digest: &Digest) -> Result<bool, StoreError> {
        let d = digest.to_string();
        let mut tx = self.db().begin().await?;
        let gone = sqlx::query("DELETE FROM manifests WHERE repository = ? AND digest = ?")
            .bind(repo)
            .bind(&d)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM manifest_refs WHERE repository = ? AND manifest = ?")
            .bind(repo)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tags WHERE repository = ? AND digest = ?")
            .bind(repo)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        // Nor is it served as a blob of `repo` any more; its config and layers stay linked.
        sqlx::query(super::links::UNLINK)
            .bind(repo)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(gone > 0)
    }

    /// Removes a tag; the manifest stays reachable by digest. Returns false if there was no such tag.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, StoreError> {
        let gone = sqlx::query("DELETE FROM tags WHERE repository = ? AND tag = ?")
            .bind(repo)
            .bind(tag)
            .execute(self.db())
            .await?
            .rows_affected();
        Ok(gone > 0)
    }

    fn parse_stored_digest(&self, s: &str) -> Result<Digest, StoreError> {
        Digest::parse(s).map_err(|e| {
            StoreError::Corrupt(
                self.root().join("ferry.db"),
                format!("stored digest {s:?}: {e}"),
            )
        })
    }
}

/// SQL LIMIT for an optional page size; -1 means no limit in SQLite and PostgreSQL's `LIMIT ALL`
/// is not portable, so a large bound stands in.
fn limit(n: Option<u32>) -> i64 {
    n.map(i64::from).unwrap_or(i64::from(u32::MAX))
}
