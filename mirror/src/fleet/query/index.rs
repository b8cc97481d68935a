//! The index of what each cluster's current desired revision names: its images by profile and
//! layer (`desired_images`) and the profile revisions it was rendered from (`desired_profiles`),
//! read out of `desired_revisions` once per revision. Queries and status bring it up to date
//! first, so it follows publishes without the publisher knowing it exists. It is derived data,
//! so changing it appends nothing to the audit log.

use std::collections::BTreeSet;

use ferry_bundler::format::profile_definition::PinnedImage;
use serde_json::Value;
use sqlx::AnyConnection;

use super::keys::{self, ImageKey};
use crate::fleet::db::{insert_rows, Column, RowsInsert};
use crate::fleet::reports::images::split_cached;
use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DesiredImage {
    pub profile: Option<String>,
    pub layer: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub reference: String,
    pub digest: String,
}

/// A profile a desired revision was rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProfile {
    pub name: String,
    pub version: String,
    pub revision: i64,
}

/// Reads a revision's `inputs` (profiles[].definition.layers[].images) and `images` JSON into
/// rows: every image under its profile and layer, and those only in `images` without a layer.
pub fn desired_rows(
    inputs: &str,
    images: &str,
    mirror_host: &str,
) -> (Vec<DesiredImage>, Vec<InputProfile>) {
    let mut rows = BTreeSet::new();
    let mut profiles = Vec::new();
    let inputs: Value = serde_json::from_str(inputs).unwrap_or(Value::Null);
    let row = |profile: Option<&str>, layer: Option<&str>, p: &PinnedImage| {
        let name = split_cached(&p.reference, mirror_host);
        let repository = split_cached(&p.repository, mirror_host)
            .map_or_else(|| p.repository.clone(), |n| n.repository);
        DesiredImage {
            profile: profile.map(str::to_owned),
            layer: layer.map(str::to_owned),
            repository,
            tag: name.and_then(|n| n.tag),
            reference: p.reference.clone(),
            digest: p.digest.to_string(),
        }
    };
    for profile in inputs["profiles"].as_array().into_iter().flatten() {
        let name = profile["name"].as_str();
        if let (Some(n), Some(v), Some(r)) = (
            name,
            profile["version"].as_str(),
            profile["revision"].as_i64(),
        ) {
            profiles.push(InputProfile {
                name: n.to_owned(),
                version: v.to_owned(),
                revision: r,
            });
        }
        for layer in profile["definition"]["layers"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let layer_name = layer["name"].as_str();
            for image in layer["images"].as_array().into_iter().flatten() {
                if let Ok(p) = serde_json::from_value::<PinnedImage>(image.clone()) {
                    rows.insert(row(name, layer_name, &p));
                }
            }
        }
    }
    let flat: Vec<PinnedImage> = serde_json::from_str(images).unwrap_or_default();
    for p in &flat {
        let r = row(None, None, p);
        if !rows
            .iter()
            .any(|x| x.repository == r.repository && x.digest == r.digest)
        {
            rows.insert(r);
        }
    }
    (rows.into_iter().collect(), profiles)
}

/// Brings the index up to date with `desired_current` for every cluster: after an upgrade from a
/// version that built it lazily. One anti-join over the current revisions, so queries do not
/// pay it each time.
pub async fn refresh(fleet: &Fleet) -> Result<(), FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let any_stale = !stale(&mut conn).await?.is_empty();
    drop(conn);
    if !any_stale {
        return Ok(());
    }
    // The write lock (on both backends) makes two refreshes at once take turns.
    let mut tx = fleet.db.begin_write().await?;
    // Again under the write lock: another request may have refreshed meanwhile.
    for (name, revision) in stale(&mut tx).await? {
        reindex(&mut tx, &fleet.settings.mirror_host, &name, revision).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Clusters whose indexed revision is not their current one (`None`: no longer desired).
async fn stale(conn: &mut AnyConnection) -> Result<Vec<(String, Option<i64>)>, FleetError> {
    let mut out: Vec<(String, Option<i64>)> = sqlx::query_as::<_, (String, i64)>(
        "SELECT d.cluster, d.revision FROM desired_current d
         LEFT JOIN desired_indexed i ON i.cluster = d.cluster
         WHERE i.revision IS NULL OR i.revision <> d.revision",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(c, r)| (c, Some(r)))
    .collect();
    let gone: Vec<String> = sqlx::query_scalar(
        "SELECT d.cluster FROM desired_indexed d
         LEFT JOIN desired_current c ON c.cluster = d.cluster
         WHERE c.cluster IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    out.extend(gone.into_iter().map(|c| (c, None)));
    Ok(out)
}

/// Rewrites `cluster`'s rows for its current desired `revision` (`None`: nothing desired), read
/// from `desired_revisions`; [`refresh`] and tests that record revisions by hand use it.
pub async fn reindex(
    conn: &mut AnyConnection,
    mirror_host: &str,
    cluster: &str,
    revision: Option<i64>,
) -> Result<(), FleetError> {
    let Some(revision) = revision else {
        clear(conn, cluster).await?;
        keys::replace_desired(conn, cluster, &BTreeSet::new()).await?;
        return Ok(());
    };
    let (inputs, images): (String, String) = sqlx::query_as(
        "SELECT inputs, images FROM desired_revisions WHERE cluster = $1 AND revision = $2",
    )
    .bind(cluster)
    .bind(revision)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or_default();
    index_revision(conn, mirror_host, cluster, revision, &inputs, &images).await
}

async fn clear(conn: &mut AnyConnection, cluster: &str) -> Result<(), FleetError> {
    for table in ["desired_images", "desired_profiles", "desired_indexed"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE cluster = $1"
        )))
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Indexes `revision` of `cluster` from its `inputs` and `images` JSON as recorded. Publishing
/// calls it, with the JSON it has just recorded, in the transaction that moves
/// `desired_current`, so the index is current whenever a revision is.
pub(crate) async fn index_revision(
    conn: &mut AnyConnection,
    mirror_host: &str,
    cluster: &str,
    revision: i64,
    inputs: &str,
    images: &str,
) -> Result<(), FleetError> {
    clear(conn, cluster).await?;
    let (rows, profiles) = desired_rows(inputs, images, mirror_host);
    let wanted = rows
        .iter()
        .map(|r| ImageKey::new(&r.repository, r.tag.as_deref(), Some(&r.digest)))
        .collect();
    keys::replace_desired(conn, cluster, &wanted).await?;
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                revision,
                &r.profile,
                &r.layer,
                &r.repository,
                &r.tag,
                &r.reference,
                &r.digest,
            )
        })
        .collect();
    let text = |name| Column(name, false);
    let columns = [
        Column("revision", true),
        text("profile"),
        text("layer"),
        text("repository"),
        text("tag"),
        text("reference"),
        text("digest"),
    ];
    let insert = RowsInsert {
        table: "desired_images",
        owner_column: "cluster",
        columns: &columns,
        unless_owned: false,
    };
    insert_rows(conn, insert, cluster, &values).await?;
    for p in &profiles {
        sqlx::query(
            "INSERT INTO desired_profiles (cluster, profile, version, revision) VALUES ($1, $2, $3, $4)
             ON CONFLICT (cluster, profile) DO UPDATE SET version = excluded.version, revision = excluded.revision",
        )
        .bind(cluster)
        .bind(&p.name)
        .bind(&p.version)
        .bind(p.revision)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("INSERT INTO desired_indexed (cluster, revision) VALUES ($1, $2)")
        .bind(cluster)
        .bind(revision)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// profile, layer, repository, tag, reference, digest.
type DesiredRow = (
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
);

/// The indexed images of `cluster`'s current desired revision.
pub async fn desired_images(
    conn: &mut AnyConnection,
    cluster: &str,
) -> Result<Vec<DesiredImage>, FleetError> {
    let rows: Vec<DesiredRow> = sqlx::query_as(
        "SELECT profile, layer, repository, tag, reference, digest FROM desired_images
             WHERE cluster = $1 ORDER BY profile, layer, repository, digest",
    )
    .bind(cluster)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(profile, layer, repository, tag, reference, digest)| DesiredImage {
                profile,
                layer,
                repository,
                tag,
                reference,
                digest,
            },
        )
        .collect())
}
