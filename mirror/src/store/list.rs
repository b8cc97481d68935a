//! `store list`: what the store serves, per repository.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ferry_bundler::format::Digest;
use serde::Serialize;

use super::bundles::parse_digest;
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagSummary {
    pub tag: String,
    pub digest: Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSummary {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSummary {
    pub name: String,
    pub tags: Vec<TagSummary>,
    pub manifests: Vec<ManifestSummary>,
    /// Bytes on disk of the distinct blobs this repository's manifests refer to (and the manifests).
    pub stored_bytes: u64,
    /// Active bundles that brought artifacts of this repository.
    pub bundles: Vec<Digest>,
}

/// The document `ferry store list --output json` and `GET /api/v1/repositories` both print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryList {
    pub repositories: Vec<RepoSummary>,
}

/// Every repository, sorted by name, with its tags, manifests, size and bundles.
pub async fn list(store: &Store) -> Result<Vec<RepoSummary>, StoreError> {
    let db = store.db();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM repositories ORDER BY name")
        .fetch_all(db)
        .await?;
    let mut repos: BTreeMap<String, RepoSummary> = names
        .into_iter()
        .map(|name| {
            let summary = RepoSummary {
                name: name.clone(),
                tags: vec![],
                manifests: vec![],
                stored_bytes: 0,
                bundles: vec![],
            };
            (name, summary)
        })
        .collect();

    let tags: Vec<(String, String, String)> =
        sqlx::query_as("SELECT repository, tag, digest FROM tags ORDER BY repository, tag")
            .fetch_all(db)
            .await?;
    for (repo, tag, digest) in tags {
        if let Some(r) = repos.get_mut(&repo) {
            r.tags.push(TagSummary {
                tag,
                digest: parse_digest(store, &digest)?,
            });
        }
    }

    let manifests: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT repository, digest, media_type, size, artifact_type FROM manifests ORDER BY repository, digest",
    )
    .fetch_all(db)
    .await?;
    let mut content: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (repo, digest, media_type, size, artifact_type) in manifests {
        content
            .entry(repo.clone())
            .or_default()
            .insert(digest.clone());
        if let Some(r) = repos.get_mut(&repo) {
            let digest = parse_digest(store, &digest)?;
            r.manifests.push(ManifestSummary {
                digest,
                media_type,
                size: u64::try_from(size).unwrap_or(0),
                artifact_type,
            });
        }
    }
    let refs: Vec<(String, String)> =
        sqlx::query_as("SELECT DISTINCT repository, child FROM manifest_refs WHERE present = 1")
            .fetch_all(db)
            .await?;
    for (repo, child) in refs {
        content.entry(repo).or_default().insert(child);
    }
    for (repo, digests) in content {
        let Some(r) = repos.get_mut(&repo) else {
            continue;
        };
        let mut seen = HashSet::new();
        for d in digests {
            let digest = parse_digest(store, &d)?;
            if seen.insert(d) {
                r.stored_bytes += store.blob_size(&digest)?.unwrap_or(0);
            }
        }
    }

    let bundles: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT a.repository, a.bundle FROM bundle_artifacts a
         JOIN bundles b ON b.manifest_digest = a.bundle WHERE b.retired_at IS NULL ORDER BY a.repository, a.bundle",
    )
    .fetch_all(db)
    .await?;
    for (repo, bundle) in bundles {
        if let Some(r) = repos.get_mut(&repo) {
            r.bundles.push(parse_digest(store, &bundle)?);
        }
    }
    Ok(repos.into_values().collect())
}
