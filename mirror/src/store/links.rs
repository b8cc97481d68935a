//! Which repository may serve which blob (`repository_blobs`). A file under `blobs/` is served
//! through `/v2/<name>/blobs/` only while a row links it to `<name>`; rows are written in the
//! transaction that commits the push, mount or import, so nothing uncommitted is ever served.

use ferry_bundler::format::Digest;

use super::{now_unix, Store, StoreError, StoreTx};

/// Links (or re-links, refreshing its age for gc) `digest` to `repo`.
const LINK: &str = "INSERT INTO repository_blobs (repository, digest, linked_at) VALUES (?, ?, ?)
     ON CONFLICT (repository, digest) DO UPDATE SET linked_at = excluded.linked_at";

/// Unlinks `digest` from `repo` (DELETE, gc and a deleted manifest all unlink with it).
pub(super) const UNLINK: &str = "DELETE FROM repository_blobs WHERE repository = ? AND digest = ?";

impl Store {
    /// Whether `repo` may serve blob `digest`: one primary-key lookup, on every blob pull.
    pub async fn blob_linked(&self, repo: &str, digest: &Digest) -> Result<bool, StoreError> {
        let row: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM repository_blobs WHERE repository = ? AND digest = ?",
        )
        .bind(repo)
        .bind(digest.to_string())
        .fetch_optional(self.db())
        .await?;
        Ok(row.is_some())
    }

    /// Links a blob whose file is published (a finished upload) to `repo`.
    pub async fn link_blob(&self, repo: &str, digest: &Digest) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        link_blob_in(&mut tx, repo, digest).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cross-repository mount: links `digest` to `to` if, and only if, `from` has it, in one
    /// statement. Returns whether it was mounted.
    pub async fn mount_blob(
        &self,
        from: &str,
        to: &str,
        digest: &Digest,
    ) -> Result<bool, StoreError> {
        if !self.has_blob(digest)? {
            return Ok(false);
        }
        let mounted = sqlx::query(
            "INSERT INTO repository_blobs (repository, digest, linked_at)
             SELECT ?, digest, ? FROM repository_blobs WHERE repository = ? AND digest = ?
             ON CONFLICT (repository, digest) DO UPDATE SET linked_at = excluded.linked_at",
        )
        .bind(to)
        .bind(now_unix())
        .bind(from)
        .bind(digest.to_string())
        .execute(self.db())
        .await?
        .rows_affected();
        Ok(mounted > 0)
    }

    /// Unlinks `digest` from `repo` only; the file stays for the other repositories, and for
    /// `gc` once nothing refers to it. Returns false if `repo` did not have it.
    pub async fn unlink_blob(&self, repo: &str, digest: &Digest) -> Result<bool, StoreError> {
        let gone = sqlx::query(UNLINK)
            .bind(repo)
            .bind(digest.to_string())
            .execute(self.db())
            .await?
            .rows_affected();
        Ok(gone > 0)
    }
}

/// [`Store::link_blob`] inside the caller's transaction.
pub async fn link_blob_in(
    tx: &mut StoreTx<'_>,
    repo: &str,
    digest: &Digest,
) -> Result<(), StoreError> {
    sqlx::query(LINK)
        .bind(repo)
        .bind(digest.to_string())
        .bind(now_unix())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mount_needs_the_source_link_and_unlink_is_per_repository() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let d = Digest::of_bytes(b"blob");
        let path = store.blob_path(&d);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"blob").unwrap();

        assert!(
            !store.mount_blob("a", "b", &d).await.unwrap(),
            "a has no link"
        );
        store.link_blob("a", &d).await.unwrap();
        assert!(store.mount_blob("a", "b", &d).await.unwrap());
        assert!(store.blob_linked("b", &d).await.unwrap());
        assert!(store.unlink_blob("a", &d).await.unwrap());
        assert!(!store.unlink_blob("a", &d).await.unwrap());
        assert!(!store.blob_linked("a", &d).await.unwrap());
        assert!(store.blob_linked("b", &d).await.unwrap());
        assert!(path.exists());
    }

    /// A store from before `repository_blobs` keeps serving what its manifests hold.
    #[tokio::test]
    async fn the_migration_links_what_existing_manifests_hold() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let d = |s: &str| Digest::of_bytes(s.as_bytes());
        let (index, child, absent, layer) = (d("index"), d("child"), d("absent"), d("layer"));
        let (oci_index, oci_manifest) = (
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
        );
        store
            .put_manifest(
                "r",
                &child,
                oci_manifest,
                5,
                None,
                None,
                &[(layer.clone(), true)],
            )
            .await
            .unwrap();
        let refs = [(child.clone(), true), (absent.clone(), false)];
        store
            .put_manifest("r", &index, oci_index, 5, None, None, &refs)
            .await
            .unwrap();
        // Back to schema 3: no link table, as a store written before it has.
        sqlx::raw_sql(
            "DROP TABLE repository_blobs; DELETE FROM schema_migrations WHERE version = 4",
        )
        .execute(store.db())
        .await
        .unwrap();
        store.db().close().await;

        let store = Store::open(dir.path()).await.unwrap();
        for linked in [&index, &child, &layer] {
            assert!(store.blob_linked("r", linked).await.unwrap(), "{linked}");
        }
        assert!(
            !store.blob_linked("r", &absent).await.unwrap(),
            "left out of the sparse index"
        );
        assert!(!store.blob_linked("other", &layer).await.unwrap());
    }

    /// The blob hot path's lookup is the primary key, not a scan.
    #[tokio::test]
    async fn the_served_check_is_a_primary_key_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "EXPLAIN QUERY PLAN SELECT 1 FROM repository_blobs WHERE repository = ? AND digest = ?",
        )
        .bind("a")
        .bind("d")
        .fetch_all(store.db())
        .await
        .unwrap();
        let detail: Vec<_> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(
            detail.iter().any(|d| d.contains("USING PRIMARY KEY")
                || d.contains("sqlite_autoindex_repository_blobs_1")),
            "{detail:?}"
        );
    }
}
