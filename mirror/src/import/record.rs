//! The recording phase: after the whole archive verified, one transaction makes the bundle's
//! manifests, tags and bookkeeping visible at once.

use std::collections::{BTreeSet, HashSet};

use ferry_bundler::format::{Artifact, ArtifactKind, Digest};

use super::documents::read_manifest;
use super::stream::Streamed;
use super::ImportError;
use crate::store::{now_unix, put_manifest_in, set_tag_in, Store, StoreError};

/// Bundles imported and not retired: importing one of them again is a no-op.
pub(super) async fn active_bundles(store: &Store) -> Result<BTreeSet<Digest>, StoreError> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT manifest_digest FROM bundles WHERE retired_at IS NULL")
            .fetch_all(store.db())
            .await?;
    Ok(rows.iter().filter_map(|d| Digest::parse(d).ok()).collect())
}

struct ManifestRow {
    repo: String,
    digest: Digest,
    media_type: String,
    size: u64,
    artifact_type: Option<String>,
    subject: Option<Digest>,
    refs: Vec<(Digest, bool)>,
}

struct TagRow {
    repo: String,
    tag: String,
    digest: Digest,
}

pub(super) struct Recorded {
    pub manifests: usize,
    pub tags: usize,
}

/// Everything the transaction will write, worked out from the stored (verified) documents first
/// so the transaction itself is short.
#[derive(Default)]
struct Plan {
    manifests: Vec<ManifestRow>,
    tags: Vec<TagRow>,
    seen: HashSet<(String, Digest)>,
}

impl Plan {
    fn add_artifact(&mut self, store: &Store, a: &Artifact) -> Result<(), ImportError> {
        let omitted: HashSet<&Digest> = a.omitted_children.iter().map(|c| &c.digest).collect();
        self.add_manifest(
            store,
            &a.repository,
            &a.digest,
            &a.media_type,
            &a.reference,
            &omitted,
        )?;
        if let Some(tag) = &a.tag {
            self.tags.push(TagRow {
                repo: a.repository.clone(),
                tag: tag.clone(),
                digest: a.digest.clone(),
            });
        }
        for att in &a.attached {
            let by = format!("{} ({} of {})", att.digest, att.relation, a.reference);
            self.add_manifest(
                store,
                &a.repository,
                &att.digest,
                &att.media_type,
                &by,
                &HashSet::new(),
            )?;
            if let Some(tag) = &att.tag {
                self.tags.push(TagRow {
                    repo: a.repository.clone(),
                    tag: tag.clone(),
                    digest: att.digest.clone(),
                });
            }
        }
        Ok(())
    }

    /// Records `digest` and, for an index, its present children, depth first.
    fn add_manifest(
        &mut self,
        store: &Store,
        repo: &str,
        digest: &Digest,
        media_type: &str,
        referenced_by: &str,
        omitted: &HashSet<&Digest>,
    ) -> Result<(), ImportError> {
        if !self.seen.insert((repo.to_owned(), digest.clone())) {
            return Ok(());
        }
        require_blob(store, digest, referenced_by)?;
        let parsed = read_manifest(store, digest, media_type, referenced_by)?;
        let mut refs = Vec::with_capacity(parsed.blobs.len() + parsed.children.len());
        for blob in &parsed.blobs {
            require_blob(store, blob, &format!("manifest {digest} in {repo}"))?;
            refs.push((blob.clone(), true));
        }
        for (child, child_type) in &parsed.children {
            let present = !omitted.contains(child);
            if present {
                self.add_manifest(
                    store,
                    repo,
                    child,
                    child_type,
                    &format!("index {digest} in {repo}"),
                    omitted,
                )?;
            }
            refs.push((child.clone(), present));
        }
        self.manifests.push(ManifestRow {
            repo: repo.to_owned(),
            digest: digest.clone(),
            media_type: parsed.media_type,
            size: parsed.size,
            artifact_type: parsed.artifact_type,
            subject: parsed.subject,
            refs,
        });
        Ok(())
    }
}

fn require_blob(store: &Store, digest: &Digest, referenced_by: &str) -> Result<(), ImportError> {
    if store.has_blob(digest)? {
        Ok(())
    } else {
        Err(ImportError::MissingBlob {
            digest: digest.clone(),
            referenced_by: referenced_by.to_owned(),
        })
    }
}

fn kind_name(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Image => "image",
        ArtifactKind::Chart => "chart",
        ArtifactKind::Pack => "pack",
        ArtifactKind::File => "file",
    }
}

/// Makes the bundle visible in one transaction, with the audit entry `audit` builds from what was
/// recorded appended inside it: both commit, or neither.
pub(super) async fn record_bundle(
    store: &Store,
    s: &Streamed,
    audit: impl FnOnce(&Recorded) -> crate::audit::Event,
) -> Result<Recorded, ImportError> {
    let mut plan = Plan::default();
    for artifact in &s.manifest.artifacts {
        plan.add_artifact(store, artifact)?;
    }
    let bundle = s.manifest_digest.to_string();
    let total_size =
        i64::try_from(s.manifest.total_blob_size()).map_err(|_| StoreError::TooLarge {
            digest: s.manifest_digest.clone(),
            size: s.manifest.total_blob_size(),
        })?;

    let mut tx = store.begin().await?;
    // A retired bundle imported again becomes active again.
    sqlx::query(
        "INSERT INTO bundles (manifest_digest, created, generator, signer, total_size, imported_at, retired_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (manifest_digest) DO UPDATE SET signer = excluded.signer, imported_at = excluded.imported_at, retired_at = NULL",
    )
    .bind(&bundle)
    .bind(&s.manifest.created)
    .bind(&s.manifest.generator)
    .bind(&s.signed_by)
    .bind(total_size)
    .bind(now_unix())
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    // Each manifest and the blobs it holds are linked to its repository here: served from this
    // commit on, and never before.
    for m in &plan.manifests {
        let artifact_type = m.artifact_type.as_deref();
        put_manifest_in(
            &mut tx,
            &m.repo,
            &m.digest,
            &m.media_type,
            m.size,
            artifact_type,
            m.subject.as_ref(),
            &m.refs,
        )
        .await?;
    }
    for a in &s.manifest.artifacts {
        sqlx::query(
            "INSERT INTO bundle_artifacts (bundle, kind, reference, repository, tag, digest) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (bundle, reference) DO NOTHING",
        )
        .bind(&bundle)
        .bind(kind_name(a.kind))
        .bind(&a.reference)
        .bind(&a.repository)
        .bind(&a.tag)
        .bind(a.digest.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    }
    for t in &plan.tags {
        set_tag_in(&mut tx, &t.repo, &t.tag, &t.digest).await?;
        sqlx::query(
            "INSERT INTO bundle_tags (bundle, repository, tag, digest) VALUES (?, ?, ?, ?)
             ON CONFLICT (bundle, repository, tag) DO UPDATE SET digest = excluded.digest",
        )
        .bind(&bundle)
        .bind(&t.repo)
        .bind(&t.tag)
        .bind(t.digest.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    }
    let recorded = Recorded {
        manifests: plan.manifests.len(),
        tags: plan.tags.len(),
    };
    crate::audit::append_in(&mut tx, &audit(&recorded))
        .await
        .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(recorded)
}
