//! Which imported bundles carry an artifact, found by its reference, its repository or its
//! digest (`repository@sha256:…` narrows a repository to a digest): the UI's search.

use serde::Serialize;

use super::{Store, StoreError};

/// Most rows an answer holds.
const MAX_ROWS: i64 = 500;

/// One artifact of one bundle that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Carried {
    pub bundle: String,
    /// `image`, `chart`, `file`, …, as the bundle manifest says.
    pub kind: String,
    pub reference: String,
    pub repository: String,
    pub digest: String,
    pub retired: bool,
}

/// The bundles' artifacts that `needle` names, by reference and then bundle.
pub async fn carriers(store: &Store, needle: &str) -> Result<Vec<Carried>, StoreError> {
    let needle = needle.trim();
    let (repository, digest) = match needle.split_once("@sha256:") {
        Some((repo, hex)) => (repo, format!("sha256:{hex}")),
        None => ("", String::new()),
    };
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT a.bundle, a.kind, a.reference, a.repository, a.digest,
                CASE WHEN b.retired_at IS NULL THEN 0 ELSE 1 END
         FROM bundle_artifacts a JOIN bundles b ON b.manifest_digest = a.bundle
         WHERE a.digest = ?1 OR a.reference = ?1 OR a.repository = ?1
            OR (a.repository = ?2 AND a.digest = ?3)
         ORDER BY a.reference, a.bundle LIMIT ?4",
    )
    .bind(needle)
    .bind(repository)
    .bind(&digest)
    .bind(MAX_ROWS)
    .fetch_all(store.db())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(bundle, kind, reference, repository, digest, retired)| Carried {
                bundle,
                kind,
                reference,
                repository,
                digest,
                retired: retired == 1,
            },
        )
        .collect())
}
