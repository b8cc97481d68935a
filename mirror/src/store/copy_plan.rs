//! `ferry copy STORE ...`: what the store holds, as a plan for pushing it into another registry
//! (the push itself is ferry-bundler's `copy`; this crate has no client code).

use std::collections::{BTreeMap, HashSet};

use ferry_bundler::copy::{CopyPlan, PlannedManifest, RepositoryPlan};
use ferry_bundler::format::{BlobRef, Digest};

use super::bundles::parse_digest;
use super::{Store, StoreError, MAX_MANIFEST_SIZE};

impl Store {
    /// Every repository with its manifests (exact bytes, re-hashed here), plain blobs and tags.
    pub async fn copy_plan(&self) -> Result<CopyPlan, StoreError> {
        // One read transaction: a gc, retirement or push in between cannot tear the plan.
        let mut tx = self.db().begin().await?;
        let db = &mut *tx;
        let manifests: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT repository, digest, media_type, size, subject FROM manifests \
             ORDER BY repository, digest",
        )
        .fetch_all(&mut *db)
        .await?;
        let refs: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT repository, manifest, child, present FROM manifest_refs \
             ORDER BY repository, manifest, child",
        )
        .fetch_all(&mut *db)
        .await?;
        let tags: Vec<(String, String, String)> =
            sqlx::query_as("SELECT repository, tag, digest FROM tags ORDER BY repository, tag")
                .fetch_all(&mut *db)
                .await?;
        let artifacts: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT DISTINCT a.reference FROM bundle_artifacts a \
             JOIN bundles b ON b.manifest_digest = a.bundle WHERE b.retired_at IS NULL) AS t",
        )
        .fetch_one(&mut *db)
        .await?;
        tx.commit().await?;

        let mut repos: BTreeMap<String, RepositoryPlan> = BTreeMap::new();
        let mut is_manifest: HashSet<(String, Digest)> = HashSet::new();
        for (repo, digest, media_type, size, subject) in manifests {
            let digest = parse_digest(self, &digest)?;
            let bytes = self.manifest_bytes(&digest, size as u64)?;
            let after = subject
                .map(|s| parse_digest(self, &s))
                .transpose()?
                .into_iter()
                .collect();
            is_manifest.insert((repo.clone(), digest.clone()));
            repo_plan(&mut repos, &repo)
                .manifests
                .push(PlannedManifest {
                    digest,
                    media_type,
                    bytes,
                    after,
                    omitted: vec![],
                });
        }
        for (repo, manifest, child, present) in refs {
            let (manifest, child) = (parse_digest(self, &manifest)?, parse_digest(self, &child)?);
            let plan = repo_plan(&mut repos, &repo);
            if present == 0 {
                if let Some(m) = plan.manifests.iter_mut().find(|m| m.digest == manifest) {
                    m.omitted.push(child.to_string());
                }
                continue;
            }
            if is_manifest.contains(&(repo.clone(), child.clone())) {
                if let Some(m) = plan.manifests.iter_mut().find(|m| m.digest == manifest) {
                    m.after.push(child);
                }
                continue;
            }
            let size = self.blob_size(&child)?.ok_or_else(|| {
                StoreError::Corrupt(
                    self.blob_path(&child),
                    format!("blob {child} of manifest {manifest} in {repo} is missing"),
                )
            })?;
            plan.blobs.push(BlobRef {
                digest: child,
                size,
            });
        }
        for (repo, tag, digest) in tags {
            let digest = parse_digest(self, &digest)?;
            repo_plan(&mut repos, &repo).tags.push((tag, digest));
        }
        let mut plan = CopyPlan {
            artifacts: artifacts as usize,
            repositories: repos.into_values().collect(),
        };
        plan.normalise();
        Ok(plan)
    }

    /// A manifest's bytes, checked against its digest: a store copy never spreads corruption.
    fn manifest_bytes(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(digest);
        if size > MAX_MANIFEST_SIZE as u64 {
            return Err(StoreError::TooLarge {
                digest: digest.clone(),
                size,
            });
        }
        // Read no more than the recorded size and one byte: a file grown behind ferry's back is
        // not loaded whole, and hashes to something else.
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, size + 1), &mut bytes)
            })
            .map_err(|e| StoreError::io(&path, e))?;
        let actual = Digest::of_bytes(&bytes);
        if &actual != digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }
}

fn repo_plan<'a>(
    repos: &'a mut BTreeMap<String, RepositoryPlan>,
    name: &str,
) -> &'a mut RepositoryPlan {
    repos
        .entry(name.to_owned())
        .or_insert_with(|| RepositoryPlan {
            name: name.to_owned(),
            ..Default::default()
        })
}
