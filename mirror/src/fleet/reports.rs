//! Agent reports in: verified, deduplicated by (cluster, sequence) and stored as the cluster's
//! latest report with its running images, in one transaction.
//!
//! A report is accepted when the cluster is registered and not deregistered, the caller (if an
//! agent) is that cluster, its MAC verifies with the cluster's credential (HMAC-SHA256 keyed by
//! the 32 bytes of `cluster_credentials.secret_sha256`), and its sequence is new: the latest
//! sequence again, or any sequence received before, is answered as a duplicate without storing
//! anything; a lower one than the latest is refused. Every refusal of a well-formed report is
//! appended to the audit log.

pub mod images;
pub mod summary;

use axum::http::StatusCode;
use ferry_bundler::format::profile_definition::PinnedImage;
use ferry_bundler::format::report::{
    self as format, Report, ReportError as FormatError, SignedReport, MAX_REPORT_SIZE,
};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use super::db::{insert_rows, Column};
use super::query::keys::{self, ImageKey, KeyTable};
use super::{Fleet, FleetError};
use crate::audit::{self, events, Event};
use images::RunningImage;

/// Receipts older than this are forgotten (a report that old is refused as older anyway).
const RECEIPT_RETENTION_SECONDS: i64 = 7 * 24 * 3600;
/// Old receipts are pruned at every this many-th sequence, not on each report.
const RECEIPT_PRUNE_EVERY: i64 = 64;

/// What a report is judged by: the cluster's deregistration, its credential's hash, the latest
/// report's sequence, image-set hash and applied revision, whether this sequence was received
/// before, and how many moving rollouts hold the cluster.
type Known = (
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);
/// Largest reporting interval accepted (a day): beyond it Offline would mean nothing.
const MAX_INTERVAL_SECONDS: u64 = 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("report is not valid: {0}")]
    Parse(String),
    #[error("report is {0} bytes; at most {MAX_REPORT_SIZE} are read")]
    TooLarge(u64),
    #[error("report of cluster {cluster}: {what}")]
    Invalid { cluster: String, what: String },
    #[error("credential of cluster {authenticated} may not report for cluster {reported}")]
    WrongCluster {
        authenticated: String,
        reported: String,
    },
    #[error("{0} is not a cluster's agent credential; only agents send reports")]
    NotAnAgent(String),
    #[error("cluster {0} is not registered")]
    NotRegistered(String),
    #[error("cluster {0} is deregistered")]
    Deregistered(String),
    #[error("cluster {0} has no credential")]
    NoCredential(String),
    #[error("report of cluster {0}: its MAC does not verify with the cluster's credential")]
    BadMac(String),
    #[error("report of cluster {cluster}: sequence {sequence} is older than the latest received, {latest}")]
    Replayed {
        cluster: String,
        sequence: u64,
        latest: i64,
    },
}

impl ReportError {
    pub fn status(&self) -> StatusCode {
        match self {
            ReportError::Parse(_) | ReportError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ReportError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ReportError::WrongCluster { .. }
            | ReportError::NotAnAgent(_)
            | ReportError::Deregistered(_)
            | ReportError::NoCredential(_)
            | ReportError::BadMac(_) => StatusCode::FORBIDDEN,
            ReportError::NotRegistered(_) => StatusCode::NOT_FOUND,
            ReportError::Replayed { .. } => StatusCode::CONFLICT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Stored,
    /// This (cluster, sequence) was received before; nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ingested {
    pub cluster: String,
    pub sequence: u64,
    pub outcome: Outcome,
    /// The running images were rewritten (their set differs from the previous report's).
    pub images_changed: bool,
    pub applied_revision: Option<i64>,
}

/// Parses a signed report as hostile input (`SignedReport::from_slice`: bounded size and
/// counts, no unknown fields, schema 1, a cluster name, a MAC of the right shape).
pub fn parse(bytes: &[u8]) -> Result<SignedReport, ReportError> {
    SignedReport::from_slice(bytes).map_err(|e| match e {
        FormatError::TooLarge { size } => ReportError::TooLarge(size),
        other => ReportError::Parse(other.to_string()),
    })
}

/// What `SignedReport::from_slice` checks (a report built in-process skipped it), and what
/// storing needs: a sequence that fits BIGINT, an interval Offline can be judged by.
fn validate(r: &Report) -> Result<(), ReportError> {
    r.check().map_err(|e| ReportError::Parse(e.to_string()))?;
    let invalid = |what: String| ReportError::Invalid {
        cluster: r.cluster.clone(),
        what,
    };
    if r.sequence > i64::MAX as u64 {
        return Err(invalid(format!("sequence {} is out of range", r.sequence)));
    }
    if r.interval_seconds == 0 || r.interval_seconds > MAX_INTERVAL_SECONDS {
        return Err(invalid(format!(
            "interval of {} s is not between 1 s and {MAX_INTERVAL_SECONDS} s",
            r.interval_seconds
        )));
    }
    Ok(())
}

/// Ingests a report an agent sent (`authenticated` = its credential's cluster) or an operator
/// imported (`None`: the MAC alone proves the cluster wrote it).
pub async fn ingest(
    fleet: &Fleet,
    signed: &SignedReport,
    authenticated: Option<&str>,
    now: i64,
) -> Result<Ingested, FleetError> {
    let actor = match authenticated {
        Some(c) => format!("cluster/{c}"),
        None => "import".to_owned(),
    };
    ingest_as(fleet, signed, authenticated, &actor, now).await
}

/// [`ingest`], recording refusals under `actor` (the operator who imported the file).
pub async fn ingest_as(
    fleet: &Fleet,
    signed: &SignedReport,
    authenticated: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<Ingested, FleetError> {
    let report = &signed.report;
    validate(report)?;
    let cluster = report.cluster.as_str();
    // The expensive parts before the write lock: the derived rows and their hash.
    let rows = images::running_images(report, &fleet.settings.mirror_host);
    let hash = images::images_hash(&rows);

    let mut tx = fleet.db.begin_write().await?;
    if let Some(auth) = authenticated {
        if auth != cluster {
            let e = ReportError::WrongCluster {
                authenticated: auth.to_owned(),
                reported: cluster.to_owned(),
            };
            return refused(tx, actor, report, e).await;
        }
    }
    // One statement for everything the report is judged by. On PostgreSQL the cluster's row is
    // locked, so that two reports of one cluster at once are judged one after the other
    // (SQLite's write transaction already is exclusive).
    let lock = match fleet.db.backend() {
        crate::fleet::Backend::Postgres => " FOR UPDATE OF c",
        crate::fleet::Backend::Sqlite => "",
    };
    let sequence = report.sequence as i64;
    let known: Option<Known> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.deregistered_at, k.secret_sha256, r.sequence, r.images_hash, r.applied_revision,
             (SELECT COUNT(*) FROM report_receipts x WHERE x.cluster = c.name AND x.sequence = $2),
             (SELECT COUNT(*) FROM rollout_clusters rc JOIN rollouts ro ON ro.id = rc.rollout
              WHERE rc.cluster = c.name AND ro.state IN {moving})
         FROM clusters c
         LEFT JOIN cluster_credentials k ON k.cluster = c.name
         LEFT JOIN cluster_reports r ON r.cluster = c.name
         WHERE c.name = $1{lock}",
        moving = super::rollout::MOVING_STATES,
    )))
    .bind(cluster)
    .bind(sequence)
    .fetch_optional(&mut *tx)
    .await?;
    let (secret_sha256, latest, seen, rolling) = match known {
        None => {
            return refused(
                tx,
                actor,
                report,
                ReportError::NotRegistered(cluster.into()),
            )
            .await
        }
        Some((Some(_), ..)) => {
            return refused(tx, actor, report, ReportError::Deregistered(cluster.into())).await
        }
        Some((None, None, ..)) => {
            return refused(tx, actor, report, ReportError::NoCredential(cluster.into())).await
        }
        Some((None, Some(s), seq, hash, applied, seen, rolling)) => (
            s,
            seq.map(|q| (q, hash.unwrap_or_default(), applied)),
            seen > 0,
            rolling > 0,
        ),
    };
    if !mac_verifies(&secret_sha256, signed) {
        return refused(tx, actor, report, ReportError::BadMac(cluster.into())).await;
    }
    if seen || latest.as_ref().is_some_and(|l| l.0 == sequence) {
        tx.commit().await?;
        return Ok(Ingested {
            cluster: cluster.to_owned(),
            sequence: report.sequence,
            outcome: Outcome::Duplicate,
            images_changed: false,
            applied_revision: latest.and_then(|l| l.2),
        });
    }
    if let Some((latest_seq, _, _)) = &latest {
        if sequence < *latest_seq {
            let e = ReportError::Replayed {
                cluster: cluster.to_owned(),
                sequence: report.sequence,
                latest: *latest_seq,
            };
            return refused(tx, actor, report, e).await;
        }
    }

    let (applied_revision, applied_digest, applied_images) =
        applied(&mut tx, cluster, report).await?;
    let desired = summary::desired_digests(&applied_images, &fleet.settings.mirror_host);
    let health = summary::health(report, &rows, &desired);
    let verified = summary::source_verified(report, applied_digest.as_deref());
    sqlx::query(
        "INSERT INTO cluster_reports (cluster, sequence, received_at, interval_seconds,
             applied_revision, applied_digest, source_verified, ready, failed, converging, modified,
             failure, images_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (cluster) DO UPDATE SET sequence = excluded.sequence,
             received_at = excluded.received_at, interval_seconds = excluded.interval_seconds,
             applied_revision = excluded.applied_revision, applied_digest = excluded.applied_digest,
             source_verified = excluded.source_verified, ready = excluded.ready,
             failed = excluded.failed, converging = excluded.converging,
             modified = excluded.modified, failure = excluded.failure,
             images_hash = excluded.images_hash",
    )
    .bind(cluster)
    .bind(sequence)
    .bind(now)
    .bind(report.interval_seconds as i64)
    .bind(applied_revision)
    .bind(applied_digest.as_deref())
    .bind(verified.map(i64::from))
    .bind(i64::from(health.ready()))
    .bind(i64::from(health.failed))
    .bind(i64::from(health.converging))
    .bind(i64::from(health.modified))
    .bind(health.failure.as_deref())
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    let images_changed = latest.as_ref().is_none_or(|l| l.1 != hash);
    if images_changed {
        replace_running_images(&mut tx, cluster, &rows).await?;
    }
    if sequence % RECEIPT_PRUNE_EVERY == 0 {
        sqlx::query("DELETE FROM report_receipts WHERE cluster = $1 AND received_at < $2")
            .bind(cluster)
            .bind(now - RECEIPT_RETENTION_SECONDS)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO report_receipts (cluster, sequence, received_at) VALUES ($1, $2, $3)")
        .bind(cluster)
        .bind(sequence)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // A report can complete a wave or trip the gate of a rollout that holds its cluster. The
    // report is stored whatever the rollouts make of it, so their failure is logged, not the
    // agent's.
    if rolling {
        if let Err(e) = super::rollout::tick_cluster(fleet, cluster, now).await {
            tracing::error!(cluster, error = %e, "rollout tick after a report failed");
        }
    }
    Ok(Ingested {
        cluster: cluster.to_owned(),
        sequence: report.sequence,
        outcome: Outcome::Stored,
        images_changed,
        applied_revision,
    })
}

/// Records the refusal in the audit log (in its own transaction, which is `tx`) and fails.
async fn refused(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: &str,
    report: &Report,
    e: ReportError,
) -> Result<Ingested, FleetError> {
    let event = Event::new(
        actor,
        events::FLEET_REPORT_REFUSED,
        format!("cluster/{}", report.cluster),
        json!({"sequence": report.sequence, "reason": e.to_string()}),
    );
    audit::append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    Err(e.into())
}

fn mac_verifies(secret_sha256_hex: &str, signed: &SignedReport) -> bool {
    let mut key = [0u8; 32];
    hex::decode_to_slice(secret_sha256_hex, &mut key).is_ok() && format::verify_mac(&key, signed)
}

/// The MAC an agent puts on `report` with the cluster's `secret`.
pub fn mac(secret: &str, report: &Report) -> String {
    format::mac(&format::secret_sha256(secret), report)
}

/// The desired revision the report says was applied, its digest, and that revision's images
/// (those of the current desired revision when the applied one is unknown).
async fn applied(
    conn: &mut AnyConnection,
    cluster: &str,
    report: &Report,
) -> Result<(Option<i64>, Option<String>, Vec<PinnedImage>), FleetError> {
    let candidates = summary::applied_candidates(report);
    for digest in &candidates {
        let found: Option<(i64, String)> = sqlx::query_as(
            "SELECT revision, images FROM desired_revisions WHERE cluster = $1 AND digest = $2
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(cluster)
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((revision, images)) = found {
            return Ok((Some(revision), Some(digest.clone()), pinned(&images)));
        }
    }
    let current: Option<String> = sqlx::query_scalar(
        "SELECT r.images FROM desired_current c JOIN desired_revisions r
         ON r.cluster = c.cluster AND r.revision = c.revision WHERE c.cluster = $1",
    )
    .bind(cluster)
    .fetch_optional(&mut *conn)
    .await?;
    Ok((
        None,
        candidates.into_iter().next(),
        current.as_deref().map(pinned).unwrap_or_default(),
    ))
}

/// The images JSON of a desired revision; the desired helper wrote it, so a row it cannot read
/// counts as naming no images rather than failing the cluster's reports.
pub(crate) fn pinned(images_json: &str) -> Vec<PinnedImage> {
    serde_json::from_str(images_json).unwrap_or_default()
}

/// The cluster's rows, rewritten whole (they are neighbours in the cluster's index), and its
/// image keys, by difference.
async fn replace_running_images(
    conn: &mut AnyConnection,
    cluster: &str,
    rows: &[RunningImage],
) -> Result<(), FleetError> {
    let keys = rows
        .iter()
        .map(|r| ImageKey::new(&r.repository, r.tag.as_deref(), r.digest.as_deref()))
        .collect();
    keys::replace(conn, KeyTable::Running, cluster, &keys).await?;
    sqlx::query("DELETE FROM running_images WHERE cluster = $1")
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!([
                r.repository,
                r.tag,
                r.reference,
                r.digest,
                r.namespace,
                r.pod,
                r.container,
                i64::from(r.ready)
            ])
        })
        .collect();
    let text = |name| Column(name, false);
    let columns = [
        text("repository"),
        text("tag"),
        text("reference"),
        text("digest"),
        text("namespace"),
        text("pod"),
        text("container"),
        Column("ready", true),
    ];
    insert_rows(
        conn,
        "running_images",
        "cluster",
        cluster,
        &columns,
        &values,
    )
    .await?;
    Ok(())
}
