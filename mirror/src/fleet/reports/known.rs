//! What the fleet knows of a reporting cluster, read in one statement under the cluster's lock:
//! what the report is judged by, and what its writes are made against.

use sqlx::AnyConnection;

use crate::fleet::query::keys::Pointed;
use crate::fleet::FleetError;

/// The latest report stored for a cluster.
#[derive(Debug, Clone)]
pub struct Latest {
    pub sequence: i64,
    pub images_hash: String,
    pub applied_revision: Option<i64>,
}

/// The cluster's current desired revision, and whether the desired key set is of it.
#[derive(Debug, Clone)]
pub struct Current {
    pub revision: i64,
    pub digest: String,
    pub indexed: bool,
}

#[derive(Debug, Clone)]
pub struct Known {
    pub deregistered: bool,
    /// Hex sha256 of the cluster's credential (the MAC's key).
    pub secret_sha256: Option<String>,
    pub latest: Option<Latest>,
    /// This (cluster, sequence) was received before.
    pub seen: bool,
    /// A moving rollout holds the cluster.
    pub rolling: bool,
    pub current: Option<Current>,
    pub pointed: Pointed,
    /// Listed in `unapplied_clusters`: its last report had not applied the current revision.
    pub unapplied: bool,
}

type Row = (
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
);

/// `None` when no cluster of that name is registered. Read in the transaction of
/// [`FleetDb::begin_report`], which holds the cluster's lock: two reports of one cluster are
/// judged one after the other, the second by what the first stored.
///
/// [`FleetDb::begin_report`]: crate::fleet::db::FleetDb::begin_report
pub async fn read(
    conn: &mut AnyConnection,
    cluster: &str,
    sequence: i64,
) -> Result<Option<Known>, FleetError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.deregistered_at, k.secret_sha256, r.sequence, r.images_hash, r.applied_revision,
             (SELECT COUNT(*) FROM report_receipts x WHERE x.cluster = c.name AND x.sequence = $2),
             (SELECT COUNT(*) FROM rollout_clusters rc JOIN rollouts ro ON ro.id = rc.rollout
              WHERE rc.cluster = c.name AND ro.state IN {moving}),
             dc.revision, dc.digest, di.revision, ds.image_set, rs.image_set,
             (SELECT COUNT(*) FROM unapplied_clusters u WHERE u.cluster = c.name)
         FROM clusters c
         LEFT JOIN cluster_credentials k ON k.cluster = c.name
         LEFT JOIN cluster_reports r ON r.cluster = c.name
         LEFT JOIN desired_current dc ON dc.cluster = c.name
         LEFT JOIN desired_indexed di ON di.cluster = c.name
         LEFT JOIN desired_image_sets ds ON ds.cluster = c.name
         LEFT JOIN running_image_sets rs ON rs.cluster = c.name
         WHERE c.name = $1",
        moving = crate::fleet::rollout::MOVING_STATES,
    )))
    .bind(cluster)
    .bind(sequence)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(
        |(
            deregistered,
            secret_sha256,
            latest,
            images_hash,
            applied_revision,
            seen,
            rolling,
            current,
            current_digest,
            indexed,
            desired_set,
            running_set,
            unapplied,
        )| Known {
            deregistered: deregistered.is_some(),
            secret_sha256,
            latest: latest.map(|sequence| Latest {
                sequence,
                images_hash: images_hash.unwrap_or_default(),
                applied_revision,
            }),
            seen: seen > 0,
            rolling: rolling > 0,
            current: current
                .zip(current_digest)
                .map(|(revision, digest)| Current {
                    revision,
                    digest,
                    indexed: indexed == Some(revision),
                }),
            pointed: Pointed {
                desired: desired_set,
                running: running_set,
            },
            unapplied: unapplied > 0,
        },
    ))
}
