//! Registry-side store operations: resolving references, listing, referrers, recording pushed
//! manifests and deleting. The HTTP layer stays thin; everything it decides lives here.

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;

use super::{put_manifest_in, set_tag_in, Store, StoreError};

/// Largest manifest accepted by push (and read back for referrer annotations).
pub const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

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

/// Why a pushed manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestPushError {
    #[error("manifest is invalid: {0}")]
    Invalid(String),
    #[error("manifest references blob {0} which is not in the store")]
    BlobUnknown(Digest),
    #[error("manifest digest is {actual}, not the {expected} given as reference")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pushed manifest turned out to be.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: Digest,
    pub subject: Option<Digest>,
}

/// What was learnt from parsing a manifest or index.
struct ParsedManifest {
    media_type: String,
    artifact_type: Option<String>,
    subject: Option<Digest>,
    /// (child digest, must be present in the store)
    refs: Vec<(Digest, bool)>,
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

    /// Validates and records a pushed manifest: its bytes become a blob, its references rows, and
    /// `tag` (when given) points at it. `reference_digest` is the digest the client pushed by.
    pub async fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        reference_digest: Option<&Digest>,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<PushedManifest, ManifestPushError> {
        let digest = Digest::of_bytes(&bytes);
        if let Some(expected) = reference_digest.filter(|d| **d != digest) {
            return Err(ManifestPushError::DigestMismatch {
                expected: expected.clone(),
                actual: digest,
            });
        }
        let parsed = parse_manifest(&bytes, content_type)?;
        for (child, required) in &parsed.refs {
            if *required && !self.has_blob(child)? {
                return Err(ManifestPushError::BlobUnknown(child.clone()));
            }
        }
        let size = bytes.len() as u64;
        let store = self.clone();
        let d = digest.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            use std::io::Write;
            let mut w = store.blob_writer()?;
            w.write_all(&bytes)
                .map_err(|e| StoreError::io(store.tmp_dir(), e))?;
            w.commit(&d, Some(size))?;
            Ok(())
        })
        .await
        .map_err(|e| {
            StoreError::Corrupt(
                self.root().to_path_buf(),
                format!("blob write task failed: {e}"),
            )
        })??;
        self.record_manifest(repo, &digest, &parsed, size, tag)
            .await?;
        Ok(PushedManifest {
            digest,
            subject: parsed.subject,
        })
    }

    /// Records the manifest rows and the tag in one transaction, through the same functions
    /// import uses, so pushed and imported content look alike.
    async fn record_manifest(
        &self,
        repo: &str,
        digest: &Digest,
        parsed: &ParsedManifest,
        size: u64,
        tag: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut refs = Vec::with_capacity(parsed.refs.len());
        for (child, _) in &parsed.refs {
            refs.push((child.clone(), self.has_blob(child)?));
        }
        let mut tx = self.begin().await?;
        put_manifest_in(
            &mut tx,
            repo,
            digest,
            &parsed.media_type,
            size,
            parsed.artifact_type.as_deref(),
            parsed.subject.as_ref(),
            &refs,
        )
        .await?;
        if let Some(tag) = tag {
            set_tag_in(&mut tx, repo, tag, digest).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets manifest `digest` of `repo` and every tag pointing at it. Its blob stays for `gc`
    /// (other repositories may share it). Returns false if it was not there.
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

    /// Removes a blob file. Returns false if it was not there.
    pub fn delete_blob(&self, digest: &Digest) -> Result<bool, StoreError> {
        let path = self.blob_path(digest);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(path, e)),
        }
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

/// Checks a manifest or index document and extracts what the store records about it.
fn parse_manifest(
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<ParsedManifest, ManifestPushError> {
    let invalid = |m: String| ManifestPushError::Invalid(m);
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not json: {e}")))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| invalid("not a json object".into()))?;
    if obj.get("schemaVersion").and_then(|v| v.as_u64()) != Some(2) {
        return Err(invalid("schemaVersion must be 2".into()));
    }
    let declared = obj.get("mediaType").and_then(|v| v.as_str());
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim())
        .filter(|c| !c.is_empty());
    let media_type = match (declared, content_type) {
        (Some(d), Some(c)) if d != c => {
            return Err(invalid(format!(
                "mediaType {d:?} differs from content type {c:?}"
            )))
        }
        (Some(d), _) => d.to_owned(),
        (None, Some(c)) => c.to_owned(),
        (None, None) => return Err(invalid("no mediaType and no content type".into())),
    };
    let descriptor_digest =
        |v: &serde_json::Value, what: &str| -> Result<Digest, ManifestPushError> {
            let s = v
                .get("digest")
                .and_then(|d| d.as_str())
                .ok_or_else(|| invalid(format!("{what} has no digest")))?;
            Digest::parse(s).map_err(|e| invalid(format!("{what}: {e}")))
        };
    let mut refs = Vec::new();
    let mut artifact_type = obj
        .get("artifactType")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    match media_type.as_str() {
        media::OCI_INDEX | media::DOCKER_MANIFEST_LIST => {
            let children = obj
                .get("manifests")
                .and_then(|m| m.as_array())
                .ok_or_else(|| invalid("index without manifests".into()))?;
            for c in children {
                // Sparse indexes are fine: a mirror may carry only some platforms.
                refs.push((descriptor_digest(c, "index entry")?, false));
            }
        }
        media::OCI_MANIFEST | media::DOCKER_MANIFEST => {
            let config = obj
                .get("config")
                .ok_or_else(|| invalid("manifest without config".into()))?;
            refs.push((descriptor_digest(config, "config")?, true));
            if artifact_type.is_none() {
                artifact_type = config
                    .get("mediaType")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
            }
            let layers = obj
                .get("layers")
                .and_then(|l| l.as_array())
                .ok_or_else(|| invalid("manifest without layers".into()))?;
            for l in layers {
                refs.push((descriptor_digest(l, "layer")?, true));
            }
        }
        other => {
            return Err(invalid(format!(
                "media type {other:?} is not a supported manifest type"
            )))
        }
    }
    let subject = obj
        .get("subject")
        .map(|s| descriptor_digest(s, "subject"))
        .transpose()?;
    Ok(ParsedManifest {
        media_type,
        artifact_type,
        subject,
        refs,
    })
}
