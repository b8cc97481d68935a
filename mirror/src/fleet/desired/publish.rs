//! Publishing a rendered desired state: blobs into the store, the manifest tagged `rev-N` and
//! `current` in `fleet/<cluster>`, its cosign signature, then the revision's record and audit
//! entry.
//!
//! An artifact equal to what `current` already is changes nothing. One that equals an earlier
//! revision (a rollback restored its inputs) is recorded as a new revision with that same
//! digest: revision numbers only grow, `rev-N` always names row N, and the audit entry says
//! which revision it restores.
//!
//! The store and the fleet database are separate transactions (they may be one SQLite file,
//! which allows one writer at a time), store first: a crash between them leaves `current` on
//! the new artifact without its record, and the next publish of the same inputs, finding the
//! recorded digest different, writes the same revision number and tags again and records it.

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use serde::Serialize;
use serde_json::json;

use super::oci::FLUX_CONFIG_MEDIA_TYPE;
use super::render::{render, Artifact};
use super::sign::{self, Signature, SIGNATURE_ARTIFACT_TYPE};
use super::{current, repository, revision_tag, DesiredError, Input, CURRENT_TAG};
use crate::audit::{self, events, Event};
use crate::fleet::{Fleet, FleetError};
use crate::store::{put_manifest_in, set_tag_in, Store, StoreError};

/// One publish at a time in this process: the next revision number is read, then written.
static PUBLISHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub cluster: String,
    /// The revision `current` now is.
    pub revision: i64,
    #[schema(value_type = String)]
    pub digest: Digest,
    /// False when the rendered artifact was already `current`: nothing was written.
    pub changed: bool,
}

/// Publishes `cluster`'s desired state as its assignment, overrides and variables make it now
/// ([`crate::fleet::assign::effective`]).
pub async fn publish_cluster(
    fleet: &Fleet,
    cluster: &str,
    actor: &str,
) -> Result<Published, FleetError> {
    let input = crate::fleet::assign::effective(fleet, cluster).await?;
    publish_input(fleet, &input, actor).await
}

/// Renders `input`, and publishes it unless `current` is that artifact already.
pub async fn publish_input(
    fleet: &Fleet,
    input: &Input,
    actor: &str,
) -> Result<Published, FleetError> {
    let cluster = input.cluster.as_str();
    let key = fleet
        .signer
        .as_ref()
        .ok_or_else(|| DesiredError::NoSigner(cluster.to_owned()))?;
    let artifact = render(input, &fleet.settings)?;
    let _one_at_a_time = PUBLISHING.lock().await;
    if let Some((revision, digest)) = current(fleet, cluster).await? {
        if digest == artifact.digest {
            return Ok(Published {
                cluster: cluster.to_owned(),
                revision,
                digest,
                changed: false,
            });
        }
    }
    let revision = next_revision(fleet, cluster).await?;
    let repo = repository(cluster);
    let reference = format!("{}/{repo}", fleet.settings.mirror_host);
    let signature = sign::sign(key, &reference, &artifact.digest, artifact.manifest.len())
        .map_err(|source| DesiredError::Sign {
            cluster: cluster.to_owned(),
            source,
        })?;
    store_artifact(&fleet.store, &repo, revision, &artifact, &signature).await?;
    record(fleet, input, &artifact, revision, actor).await?;
    Ok(Published {
        cluster: cluster.to_owned(),
        revision,
        digest: artifact.digest,
        changed: true,
    })
}

async fn next_revision(fleet: &Fleet, cluster: &str) -> Result<i64, FleetError> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(revision) FROM desired_revisions WHERE cluster = $1")
            .bind(cluster)
            .fetch_one(fleet.db.pool())
            .await?;
    Ok(last.unwrap_or(0) + 1)
}

/// Every blob first (verified as written), then the manifests and tags in one transaction.
async fn store_artifact(
    store: &Store,
    repo: &str,
    revision: i64,
    artifact: &Artifact,
    signature: &Signature,
) -> Result<(), StoreError> {
    for blob in [
        &artifact.config,
        &artifact.layer,
        &artifact.manifest,
        &signature.payload,
        &signature.config,
        &signature.manifest,
        &signature.referrer,
    ] {
        store.write_blob_bytes(blob.clone()).await?;
    }
    let len = |bytes: &[u8]| bytes.len() as u64;
    let mut tx = store.begin().await?;
    put_manifest_in(
        &mut tx,
        repo,
        &artifact.digest,
        media::OCI_MANIFEST,
        len(&artifact.manifest),
        Some(FLUX_CONFIG_MEDIA_TYPE),
        None,
        &[
            (artifact.config_digest.clone(), true),
            (artifact.layer_digest.clone(), true),
        ],
    )
    .await?;
    set_tag_in(&mut tx, repo, &revision_tag(revision), &artifact.digest).await?;
    set_tag_in(&mut tx, repo, CURRENT_TAG, &artifact.digest).await?;
    let signature_refs = [
        (signature.config_digest.clone(), true),
        (signature.payload_digest.clone(), true),
    ];
    put_manifest_in(
        &mut tx,
        repo,
        &signature.manifest_digest,
        media::OCI_MANIFEST,
        len(&signature.manifest),
        Some("application/vnd.oci.image.config.v1+json"),
        None,
        &signature_refs,
    )
    .await?;
    set_tag_in(&mut tx, repo, &signature.tag, &signature.manifest_digest).await?;
    put_manifest_in(
        &mut tx,
        repo,
        &signature.referrer_digest,
        media::OCI_MANIFEST,
        len(&signature.referrer),
        Some(SIGNATURE_ARTIFACT_TYPE),
        Some(&artifact.digest),
        &signature_refs,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    fleet: &Fleet,
    input: &Input,
    artifact: &Artifact,
    revision: i64,
    actor: &str,
) -> Result<(), FleetError> {
    let cluster = input.cluster.as_str();
    let digest = artifact.digest.to_string();
    let inputs = serde_json::to_string(&input.recorded()).expect("inputs serialise");
    let images = serde_json::to_string(&artifact.images).expect("images serialise");
    let mut tx = fleet.db.begin_write().await?;
    let restores: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(revision) FROM desired_revisions WHERE cluster = $1 AND digest = $2",
    )
    .bind(cluster)
    .bind(&digest)
    .fetch_one(&mut *tx)
    .await?;
    let published_at = crate::store::now_unix();
    sqlx::query(
        "INSERT INTO desired_revisions (cluster, revision, digest, inputs, images, created_at, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(cluster)
    .bind(revision)
    .bind(&digest)
    .bind(&inputs)
    .bind(&images)
    .bind(published_at)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO desired_current (cluster, revision, digest, published_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cluster) DO UPDATE SET revision = excluded.revision, digest = excluded.digest,
             published_at = excluded.published_at",
    )
    .bind(cluster)
    .bind(revision)
    .bind(&digest)
    .bind(published_at)
    .execute(&mut *tx)
    .await?;
    crate::fleet::unapplied::mark_after_publish(&mut tx, cluster, &digest).await?;
    crate::fleet::query::index::index_revision(
        &mut tx,
        &fleet.settings.mirror_host,
        cluster,
        revision,
        &inputs,
        &images,
    )
    .await?;
    let profiles: Vec<String> = input.profiles.iter().map(|p| p.revision_ref()).collect();
    let event = Event::new(
        actor,
        events::FLEET_PUBLISHED,
        cluster,
        json!({
            "repository": repository(cluster),
            "revision": revision,
            "digest": digest,
            "profiles": profiles,
            "restoresRevision": restores,
        }),
    );
    audit::append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}
