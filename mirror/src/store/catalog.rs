//! What the enclave services offer besides `/v2/`: the Helm charts, Spectro packs and plain files
//! among the stored artifacts, read from the rows and documents import (or push) already checked.
//!
//! Charts live in `charts/<name>` tagged with their version, packs in
//! `spectro-packs/archive/<name>` tagged with theirs, files in `files/<name>` (see
//! `ferry_bundler::format::layout::media` for their media types).

use std::collections::BTreeSet;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use serde::{Deserialize, Serialize};

use super::bundles::parse_digest;
use super::{Store, StoreError, MAX_MANIFEST_SIZE};

pub const CHARTS_PREFIX: &str = "charts/";
pub const PACKS_PREFIX: &str = "spectro-packs/archive/";
pub const FILES_PREFIX: &str = "files/";

/// Largest Helm config (Chart.yaml as JSON) read; a chart with a bigger one is not listed.
const MAX_CONFIG_SIZE: u64 = 1024 * 1024;
const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// A stored blob: what a download streams and checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobDescriptor {
    pub digest: Digest,
    pub size: u64,
}

/// One version of a Helm chart stored as an OCI artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartVersion {
    /// The repository name after `charts/`; also the file name stem the chart repository serves.
    pub name: String,
    /// The chart's own version (Chart.yaml), which the tag normally equals.
    pub version: String,
    pub tag: String,
    pub manifest: Digest,
    /// Chart.yaml as Helm stores it in the OCI config.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The chart package (`.tgz`).
    pub package: BlobDescriptor,
    pub provenance: Option<BlobDescriptor>,
    /// Unix seconds the manifest was first recorded (imported or pushed).
    pub created_at: i64,
}

/// One version of a Spectro pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackVersion {
    pub name: String,
    pub version: String,
    pub manifest: Digest,
    pub layer: BlobDescriptor,
    /// The pack's `pack.json`, when it is near the start of the layer.
    pub pack_json: Option<serde_json::Map<String, serde_json::Value>>,
    pub created_at: i64,
}

/// A plain file: the newest (or `latest`-tagged) file artifact of `files/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    /// The file name the artifact carries (its title annotation), if any.
    pub title: Option<String>,
    pub manifest: Digest,
    pub content: BlobDescriptor,
    pub created_at: i64,
}

/// The parts of an OCI image manifest the catalog needs.
#[derive(Deserialize)]
struct ArtifactDoc {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: Digest,
    size: u64,
    #[serde(default)]
    annotations: serde_json::Map<String, serde_json::Value>,
}

impl Descriptor {
    fn blob(&self) -> BlobDescriptor {
        BlobDescriptor {
            digest: self.digest.clone(),
            size: self.size,
        }
    }
}

/// (repository, tag, manifest digest, manifest size, created_at)
type TaggedRow = (String, String, String, i64, i64);

impl Store {
    /// Every chart version tagged in a `charts/<name>` repository, once per (name, version), by
    /// name then version text. A version tagged more than once (`1.0` and `latest`) is listed
    /// under the tag that equals it, if any.
    pub async fn charts(&self) -> Result<Vec<ChartVersion>, StoreError> {
        let rows = self.tagged(CHARTS_PREFIX, None, None).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(chart) = self.chart_from(row).await? {
                out.push(chart);
            }
        }
        out.sort_by(|a, b| {
            (&a.name, &a.version, a.tag != a.version).cmp(&(
                &b.name,
                &b.version,
                b.tag != b.version,
            ))
        });
        out.dedup_by(|later, first| later.name == first.name && later.version == first.version);
        Ok(out)
    }

    /// Chart `name` at `version`. OCI tags cannot hold `+`, so Helm tags `1.0+build` as `1.0_build`;
    /// both are tried, and the chart's own version must match.
    pub async fn chart(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ChartVersion>, StoreError> {
        let repo = format!("{CHARTS_PREFIX}{name}");
        let tags: BTreeSet<String> = [version.to_owned(), version.replace('+', "_")].into();
        for tag in tags {
            for row in self.tagged(CHARTS_PREFIX, Some(&repo), Some(&tag)).await? {
                if let Some(chart) = self.chart_from(row).await? {
                    if chart.version == version {
                        return Ok(Some(chart));
                    }
                }
            }
        }
        // Tagged otherwise (`v1.0` for 1.0): the index lists it by its own version, so find it so.
        for row in self.tagged(CHARTS_PREFIX, Some(&repo), None).await? {
            if let Some(chart) = self.chart_from(row).await? {
                if chart.version == version {
                    return Ok(Some(chart));
                }
            }
        }
        Ok(None)
    }

    /// Every pack version tagged in a `spectro-packs/archive/<name>` repository.
    pub async fn packs(&self) -> Result<Vec<PackVersion>, StoreError> {
        let rows = self.tagged(PACKS_PREFIX, None, None).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (repo, tag, digest, size, created_at) in rows {
            let manifest = parse_digest(self, &digest)?;
            let Some(doc) = self.artifact_doc(&manifest, size).await? else {
                continue;
            };
            let Some(layer) = doc
                .layers
                .iter()
                .find(|l| l.media_type == media::PACK_LAYER)
            else {
                continue;
            };
            out.push(PackVersion {
                name: repo[PACKS_PREFIX.len()..].to_owned(),
                version: tag,
                manifest,
                layer: layer.blob(),
                pack_json: None,
                created_at,
            });
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            for p in &mut out {
                p.pack_json = super::pack_meta::read_pack_json(&store.blob_path(&p.layer.digest));
            }
            out
        })
        .await
        .map_err(|e| StoreError::Corrupt(self.root().to_path_buf(), format!("pack.json task: {e}")))
    }

    /// Every file, one per `files/<name>` repository, by name.
    pub async fn files(&self) -> Result<Vec<StoredFile>, StoreError> {
        let rows = self.file_rows(None).await?;
        let mut out: Vec<StoredFile> = Vec::with_capacity(rows.len());
        for row in rows {
            // Rows come best first within a repository: keep the first that is a proper file.
            if out
                .last()
                .is_some_and(|f| row.0 == format!("{FILES_PREFIX}{}", f.name))
            {
                continue;
            }
            if let Some(file) = self.file_from(row).await? {
                out.push(file);
            }
        }
        Ok(out)
    }

    /// The file served as `name`: the `latest`-tagged file artifact of `files/<name>`, or else the
    /// most recently recorded one.
    pub async fn file(&self, name: &str) -> Result<Option<StoredFile>, StoreError> {
        let repo = format!("{FILES_PREFIX}{name}");
        for row in self.file_rows(Some(&repo)).await? {
            if let Some(file) = self.file_from(row).await? {
                return Ok(Some(file));
            }
        }
        Ok(None)
    }

    /// Tagged image manifests of repositories `prefix<name>` (one path segment), optionally of one
    /// repository and tag.
    async fn tagged(
        &self,
        prefix: &str,
        repo: Option<&str>,
        tag: Option<&str>,
    ) -> Result<Vec<TaggedRow>, StoreError> {
        let rows: Vec<TaggedRow> = sqlx::query_as(
            "SELECT t.repository, t.tag, t.digest, m.size, m.created_at FROM tags t
             JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
             WHERE substr(t.repository, 1, ?) = ? AND m.media_type = ?
               AND (? IS NULL OR t.repository = ?) AND (? IS NULL OR t.tag = ?)
             ORDER BY t.repository, t.tag",
        )
        .bind(prefix.len() as i64)
        .bind(prefix)
        .bind(media::OCI_MANIFEST)
        .bind(repo)
        .bind(repo)
        .bind(tag)
        .bind(tag)
        .fetch_all(self.db())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|r| !r.0[prefix.len()..].is_empty() && !r.0[prefix.len()..].contains('/'))
            .collect())
    }

    /// File artifact manifests (repository, digest, size, created_at), best first per repository.
    async fn file_rows(
        &self,
        repo: Option<&str>,
    ) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT m.repository, m.digest, m.size, m.created_at FROM manifests m
             WHERE substr(m.repository, 1, ?) = ? AND m.artifact_type = ? AND m.media_type = ?
               AND (? IS NULL OR m.repository = ?)
             ORDER BY m.repository,
               (SELECT COUNT(*) FROM tags t WHERE t.repository = m.repository
                  AND t.digest = m.digest AND t.tag = 'latest') DESC,
               m.created_at DESC, m.digest DESC",
        )
        .bind(FILES_PREFIX.len() as i64)
        .bind(FILES_PREFIX)
        .bind(media::FILE_ARTIFACT)
        .bind(media::OCI_MANIFEST)
        .bind(repo)
        .bind(repo)
        .fetch_all(self.db())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                let name = &r.0[FILES_PREFIX.len()..];
                !name.is_empty() && !name.contains('/')
            })
            .collect())
    }

    async fn chart_from(&self, row: TaggedRow) -> Result<Option<ChartVersion>, StoreError> {
        let (repo, tag, digest, size, created_at) = row;
        let manifest = parse_digest(self, &digest)?;
        let Some(doc) = self.artifact_doc(&manifest, size).await? else {
            return Ok(None);
        };
        // Signatures and other artifacts share the repository; only Helm charts are charts.
        if doc.config.media_type != media::HELM_CONFIG || doc.config.size > MAX_CONFIG_SIZE {
            return Ok(None);
        }
        let Some(package) = doc
            .layers
            .iter()
            .find(|l| l.media_type == media::HELM_CHART)
        else {
            return Ok(None);
        };
        let Some(bytes) = self.read_document(&doc.config.digest).await? else {
            return Ok(None);
        };
        let metadata = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                tracing::warn!(%repo, %tag, config = %doc.config.digest, "helm config is not a json object; chart not listed");
                return Ok(None);
            }
        };
        let version = metadata
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| tag.clone());
        Ok(Some(ChartVersion {
            name: repo[CHARTS_PREFIX.len()..].to_owned(),
            version,
            tag,
            manifest,
            metadata,
            package: package.blob(),
            provenance: doc
                .layers
                .iter()
                .find(|l| l.media_type == media::HELM_PROV)
                .map(Descriptor::blob),
            created_at,
        }))
    }

    async fn file_from(
        &self,
        (repo, digest, size, created_at): (String, String, i64, i64),
    ) -> Result<Option<StoredFile>, StoreError> {
        let manifest = parse_digest(self, &digest)?;
        let Some(doc) = self.artifact_doc(&manifest, size).await? else {
            return Ok(None);
        };
        let [layer] = doc.layers.as_slice() else {
            return Ok(None);
        };
        Ok(Some(StoredFile {
            name: repo[FILES_PREFIX.len()..].to_owned(),
            title: layer
                .annotations
                .get(TITLE_ANNOTATION)
                .and_then(|t| t.as_str())
                .map(str::to_owned),
            manifest,
            content: layer.blob(),
            created_at,
        }))
    }

    /// The manifest document `digest` (of recorded `size`), if it is a readable image manifest.
    async fn artifact_doc(
        &self,
        digest: &Digest,
        size: i64,
    ) -> Result<Option<ArtifactDoc>, StoreError> {
        if u64::try_from(size).map_or(true, |s| s > MAX_MANIFEST_SIZE as u64) {
            return Ok(None);
        }
        let Some(bytes) = self.read_document(digest).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// A small stored blob's bytes, or `None` if the file is gone (gc raced the listing).
    async fn read_document(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.blob_path(digest);
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (before 1970 clamps to the epoch).
pub use ferry_bundler::format::timestamp::rfc3339_utc as rfc3339;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn put_blob(store: &Store, bytes: &[u8]) -> (Digest, u64) {
        let digest = Digest::of_bytes(bytes);
        let mut w = store.blob_writer().unwrap();
        w.write_all(bytes).unwrap();
        w.commit(&digest, Some(bytes.len() as u64)).unwrap();
        (digest, bytes.len() as u64)
    }

    async fn push(store: &Store, repo: &str, tag: &str, config_type: &str, config: &[u8]) {
        let (config, config_size) = put_blob(store, config);
        let (layer, layer_size) = put_blob(store, b"not really a tgz");
        for blob in [&config, &layer] {
            store.link_blob(repo, blob).await.unwrap();
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": config_type, "digest": config, "size": config_size},
            "layers": [{"mediaType": media::HELM_CHART, "digest": layer, "size": layer_size}],
        });
        store
            .push_manifest(
                repo,
                Some(tag),
                None,
                None,
                manifest.to_string().into_bytes(),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn charts_are_found_by_their_own_version_and_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let chart_yaml = br#"{"apiVersion":"v2","name":"demo","version":"1.0.0+build.1"}"#;
        push(
            &store,
            "charts/demo",
            "v1.0.0_build.1",
            media::HELM_CONFIG,
            chart_yaml,
        )
        .await;
        push(
            &store,
            "charts/demo",
            "latest",
            media::HELM_CONFIG,
            chart_yaml,
        )
        .await;
        push(
            &store,
            "charts/demo",
            "image",
            "application/vnd.oci.image.config.v1+json",
            b"{}",
        )
        .await;
        push(
            &store,
            "charts/a/b",
            "1.0.0",
            media::HELM_CONFIG,
            chart_yaml,
        )
        .await;

        let charts = store.charts().await.unwrap();
        assert_eq!(charts.len(), 1, "{charts:?}");
        assert_eq!(charts[0].name, "demo");
        assert_eq!(charts[0].version, "1.0.0+build.1");
        assert_eq!(charts[0].metadata["apiVersion"], "v2");

        let found = store.chart("demo", "1.0.0+build.1").await.unwrap().unwrap();
        assert_eq!(found.package, charts[0].package);
        assert!(store.chart("demo", "latest").await.unwrap().is_none());
        assert!(store.chart("demo", "image").await.unwrap().is_none());
        assert!(store.chart("a/b", "1.0.0").await.unwrap().is_none());
    }

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_793_534_400), "2026-11-01T12:00:00Z");
    }
}
