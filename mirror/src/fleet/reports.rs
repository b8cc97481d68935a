//! Agent reports in: verified, deduplicated by (cluster, sequence) and stored as the cluster's
//! latest report with its running images, in one transaction.
//!
//! A report is accepted when the cluster is registered and not deregistered, the caller (if an
//! agent) is that cluster, its MAC verifies with the cluster's credential (HMAC-SHA256 keyed by
//! the 32 bytes of `cluster_credentials.secret_sha256`), and its sequence is new: the latest
//! sequence again, or any sequence received before, is answered as a duplicate without storing
//! anything; a lower one than the latest is refused. Every refusal of a well-formed report is
//! appended to the audit log.

mod applied;
pub mod containers;
pub mod images;
mod known;
pub mod summary;

use axum::http::StatusCode;
use ferry_bundler::format::report::{
    self as format, Report, ReportError as FormatError, SignedReport, MAX_REPORT_SIZE,
};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use super::db::Batch;
use super::query::keys::{self, ImageKey};
use super::{Fleet, FleetError};
use crate::audit::{self, events, Event};
use images::RunningImage;

/// Receipts older than this are forgotten (a report that old is refused as older anyway).
const RECEIPT_RETENTION_SECONDS: i64 = 7 * 24 * 3600;
/// Old receipts are pruned at every this many-th sequence, not on each report.
const RECEIPT_PRUNE_EVERY: i64 = 64;

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

    let mut tx = fleet.db.begin_report(cluster).await?;
    if let Some(auth) = authenticated {
        if auth != cluster {
            let e = ReportError::WrongCluster {
                authenticated: auth.to_owned(),
                reported: cluster.to_owned(),
            };
            return refused(fleet, tx, actor, report, e).await;
        }
    }
    let sequence = report.sequence as i64;
    let Some(known) = known::read(&mut tx, cluster, sequence).await? else {
        let e = ReportError::NotRegistered(cluster.into());
        return refused(fleet, tx, actor, report, e).await;
    };
    if known.deregistered {
        return refused(
            fleet,
            tx,
            actor,
            report,
            ReportError::Deregistered(cluster.into()),
        )
        .await;
    }
    let Some(secret_sha256) = &known.secret_sha256 else {
        return refused(
            fleet,
            tx,
            actor,
            report,
            ReportError::NoCredential(cluster.into()),
        )
        .await;
    };
    if !mac_verifies(secret_sha256, signed) {
        return refused(
            fleet,
            tx,
            actor,
            report,
            ReportError::BadMac(cluster.into()),
        )
        .await;
    }
    let latest = known.latest.as_ref();
    if known.seen || latest.is_some_and(|l| l.sequence == sequence) {
        tx.commit().await?;
        return Ok(Ingested {
            cluster: cluster.to_owned(),
            sequence: report.sequence,
            outcome: Outcome::Duplicate,
            images_changed: false,
            applied_revision: latest.and_then(|l| l.applied_revision),
        });
    }
    if let Some(l) = latest.filter(|l| sequence < l.sequence) {
        let e = ReportError::Replayed {
            cluster: cluster.to_owned(),
            sequence: report.sequence,
            latest: l.sequence,
        };
        return refused(fleet, tx, actor, report, e).await;
    }

    let applied =
        applied::judged_against(&mut tx, &known, report, &fleet.settings.mirror_host).await?;
    let health = summary::health(report, &rows, &applied.desired);
    let verified = summary::source_verified(report, applied.digest.as_deref());
    let images_changed = latest.is_none_or(|l| l.images_hash != hash);
    // Everything the report changes, in one round trip.
    let mut batch = Batch::new(fleet.db.backend());
    batch.push(
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
        vec![
            cluster.into(),
            sequence.into(),
            now.into(),
            (report.interval_seconds as i64).into(),
            applied.revision.into(),
            applied.digest.as_deref().into(),
            verified.map(i64::from).into(),
            i64::from(health.ready()).into(),
            i64::from(health.failed).into(),
            i64::from(health.converging).into(),
            i64::from(health.modified).into(),
            health.failure.as_deref().into(),
            hash.as_str().into(),
        ],
    );
    super::unapplied::push_after_report(
        &mut batch,
        cluster,
        known.unapplied,
        known.current.as_ref().map(|c| c.digest.as_str()),
        applied.digest.as_deref(),
    );
    if images_changed {
        push_running_images(&mut tx, &mut batch, cluster, &known, &rows).await?;
    }
    if sequence % RECEIPT_PRUNE_EVERY == 0 {
        batch.push(
            "DELETE FROM report_receipts WHERE cluster = $1 AND received_at < $2",
            vec![cluster.into(), (now - RECEIPT_RETENTION_SECONDS).into()],
        );
    }
    batch.push(
        "INSERT INTO report_receipts (cluster, sequence, received_at) VALUES ($1, $2, $3)",
        vec![cluster.into(), sequence.into(), now.into()],
    );
    batch.run(&mut tx).await?;
    tx.commit().await?;
    // A report can complete a wave or trip the gate of a rollout that holds its cluster. The
    // report is stored whatever the rollouts make of it, so their failure is logged, not the
    // agent's.
    if known.rolling {
        if let Err(e) = super::rollout::tick_cluster(fleet, cluster, now).await {
            tracing::error!(cluster, error = %e, "rollout tick after a report failed");
        }
    }
    Ok(Ingested {
        cluster: cluster.to_owned(),
        sequence: report.sequence,
        outcome: Outcome::Stored,
        images_changed,
        applied_revision: applied.revision,
    })
}

/// Drops the report's transaction `tx`, records the refusal in the audit log and fails. The
/// entry is written under the fleet's write lock, which `tx` may hold only shared (and a lock
/// held shared is never raised: two reports doing so would wait for each other).
async fn refused(
    fleet: &Fleet,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: &str,
    report: &Report,
    e: ReportError,
) -> Result<Ingested, FleetError> {
    tx.rollback().await?;
    let mut tx = fleet.db.begin_write().await?;
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

/// Adds the cluster's containers (one document) and its image keys.
async fn push_running_images(
    conn: &mut AnyConnection,
    batch: &mut Batch,
    cluster: &str,
    known: &known::Known,
    rows: &[RunningImage],
) -> Result<(), FleetError> {
    let keys = rows
        .iter()
        .map(|r| ImageKey::new(&r.repository, r.tag.as_deref(), r.digest.as_deref()))
        .collect();
    keys::push_running(conn, batch, cluster, &known.pointed, &keys).await?;
    batch.push(
        "INSERT INTO running_docs (cluster, doc) VALUES ($1, $2)
         ON CONFLICT (cluster) DO UPDATE SET doc = excluded.doc",
        vec![cluster.into(), containers::document(rows).into()],
    );
    Ok(())
}
