//! Recording manifests, their references and tags: the rows that make content visible.
//!
//! Every write has two forms: a `Store` method that runs in its own transaction (the registry's
//! pushes) and a `*_in` function on a caller's transaction (import records a whole bundle in one).

use ferry_bundler::format::Digest;
use sqlx::{Sqlite, Transaction};

use super::links::link_blob_in;
use super::{now_unix, Store, StoreError};

/// A database transaction on the store.
pub type StoreTx<'c> = Transaction<'c, Sqlite>;

impl Store {
    /// Starts a transaction; nothing written through it is visible until it commits.
    pub async fn begin(&self) -> Result<StoreTx<'static>, StoreError> {
        Ok(self.db().begin().await?)
    }

    /// Records a manifest (whose bytes are already a stored blob) with what it refers to.
    /// `refs` are its config and layers, or an index's children; `present` is false for
    /// children deliberately left out of a sparse index. Creates the repository if needed.
    #[allow(clippy::too_many_arguments)] // the shape the registry and import both fill directly
    pub async fn put_manifest(
        &self,
        repo: &str,
        digest: &Digest,
        media_type: &str,
        bytes_len: u64,
        artifact_type: Option<&str>,
        subject: Option<&Digest>,
        refs: &[(Digest, bool)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        put_manifest_in(
            &mut tx,
            repo,
            digest,
            media_type,
            bytes_len,
            artifact_type,
            subject,
            refs,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Points `repo:tag` at `digest` (creating or moving the tag). Creates the repository if needed.
    pub async fn set_tag(&self, repo: &str, tag: &str, digest: &Digest) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        set_tag_in(&mut tx, repo, tag, digest).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Creates the repository row if it does not exist yet.
pub async fn ensure_repository_in(tx: &mut StoreTx<'_>, repo: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(repo)
    .bind(now_unix())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// [`Store::put_manifest`] inside the caller's transaction. Links the manifest and its present
/// refs to `repo` (`repository_blobs`).
#[allow(clippy::too_many_arguments)]
pub async fn put_manifest_in(
    tx: &mut StoreTx<'_>,
    repo: &str,
    digest: &Digest,
    media_type: &str,
    bytes_len: u64,
    artifact_type: Option<&str>,
    subject: Option<&Digest>,
    refs: &[(Digest, bool)],
) -> Result<(), StoreError> {
    ensure_repository_in(tx, repo).await?;
    let size = i64::try_from(bytes_len).map_err(|_| StoreError::TooLarge {
        digest: digest.clone(),
        size: bytes_len,
    })?;
    // Same digest means same bytes, so an existing row is already right; only the fields a pusher
    // may legitimately restate are refreshed.
    sqlx::query(
        "INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repository, digest) DO UPDATE SET
           media_type = excluded.media_type, artifact_type = excluded.artifact_type, subject = excluded.subject",
    )
    .bind(repo)
    .bind(digest.to_string())
    .bind(media_type)
    .bind(size)
    .bind(artifact_type)
    .bind(subject.map(Digest::to_string))
    .bind(now_unix())
    .execute(&mut **tx)
    .await?;
    // The repository now serves the manifest and what it holds, from this transaction's commit.
    link_blob_in(tx, repo, digest).await?;
    for (child, present) in refs {
        if *present {
            link_blob_in(tx, repo, child).await?;
        }
        // A child once present stays present: a later full copy of a sparse index fills it in.
        sqlx::query(
            "INSERT INTO manifest_refs (repository, manifest, child, present) VALUES (?, ?, ?, ?)
             ON CONFLICT (repository, manifest, child) DO UPDATE SET present =
               CASE WHEN excluded.present > manifest_refs.present THEN excluded.present ELSE manifest_refs.present END",
        )
        .bind(repo)
        .bind(digest.to_string())
        .bind(child.to_string())
        .bind(i64::from(*present))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// [`Store::set_tag`] inside the caller's transaction.
pub async fn set_tag_in(
    tx: &mut StoreTx<'_>,
    repo: &str,
    tag: &str,
    digest: &Digest,
) -> Result<(), StoreError> {
    ensure_repository_in(tx, repo).await?;
    sqlx::query(
        "INSERT INTO tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
    )
    .bind(repo)
    .bind(tag)
    .bind(digest.to_string())
    .bind(now_unix())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::of_bytes(s.as_bytes())
    }

    #[tokio::test]
    async fn manifest_refs_and_tag_are_recorded_and_present_only_grows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let (index, a, b) = (d("index"), d("amd64"), d("arm64"));
        let mt = "application/vnd.oci.image.index.v1+json";
        store
            .put_manifest(
                "r/x",
                &index,
                mt,
                10,
                None,
                None,
                &[(a.clone(), true), (b.clone(), false)],
            )
            .await
            .unwrap();
        store.set_tag("r/x", "v1", &index).await.unwrap();
        // A full copy of the same index arrives later: the omitted child becomes present.
        store
            .put_manifest(
                "r/x",
                &index,
                mt,
                10,
                None,
                None,
                &[(a.clone(), true), (b.clone(), true)],
            )
            .await
            .unwrap();
        // Re-recording the sparse copy must not hide it again.
        store
            .put_manifest(
                "r/x",
                &index,
                mt,
                10,
                None,
                None,
                &[(a, true), (b.clone(), false)],
            )
            .await
            .unwrap();

        let present: i64 = sqlx::query_scalar("SELECT present FROM manifest_refs WHERE child = ?")
            .bind(b.to_string())
            .fetch_one(store.db())
            .await
            .unwrap();
        assert_eq!(present, 1);
        let tagged: String =
            sqlx::query_scalar("SELECT digest FROM tags WHERE repository = 'r/x' AND tag = 'v1'")
                .fetch_one(store.db())
                .await
                .unwrap();
        assert_eq!(tagged, index.to_string());
        let other = d("other");
        store.set_tag("r/x", "v1", &other).await.unwrap();
        let moved: String = sqlx::query_scalar("SELECT digest FROM tags WHERE tag = 'v1'")
            .fetch_one(store.db())
            .await
            .unwrap();
        assert_eq!(moved, other.to_string());
    }

    #[tokio::test]
    async fn uncommitted_transaction_leaves_nothing_visible() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let m = d("m");
        let mut tx = store.begin().await.unwrap();
        put_manifest_in(
            &mut tx,
            "r/y",
            &m,
            "application/vnd.oci.image.manifest.v1+json",
            3,
            None,
            None,
            &[],
        )
        .await
        .unwrap();
        set_tag_in(&mut tx, "r/y", "latest", &m).await.unwrap();
        drop(tx);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM manifests")
            .fetch_one(store.db())
            .await
            .unwrap();
        assert_eq!(rows, 0);
    }
}
