//! Status and drift: what each cluster should run against what its latest report says.
//!
//! # States, best to worst
//!
//! A cluster has the worst state whose condition holds (`Ready < Pending < OutOfSync <
//! Modified < Failed < Offline`):
//!
//! - **Offline**: no report for `offline_after_intervals` × its interval (the smaller of the
//!   interval it was registered with and the one its agent reports), counted from its last report
//!   or, before the first, from its registration. An Offline cluster is never shown Ready, whatever
//!   its last report said.
//! - **Failed**: its last report has a GitOps object (OCIRepository, Kustomization, HelmRelease,
//!   Application) with `Ready=False`, a pod of the applied state in phase `Failed`, or a
//!   container of an image the applied state names that is not ready after
//!   [`CRASH_LOOP_RESTARTS`](super::reports::summary::CRASH_LOOP_RESTARTS) restarts or more.
//! - **Modified**: the desired revision is applied, yet a container runs an image of a
//!   repository the desired state names at a digest the desired state does not pin (someone
//!   changed the cluster by hand).
//! - **OutOfSync**: a report arrived after the desired revision was published, and the revision
//!   its GitOps tool applied is not the desired one.
//! - **Pending**: the desired revision was published after the last report (the cluster had no
//!   chance to apply it yet), it never reported, or the desired revision is applied and some of
//!   its containers are not ready yet (fewer restarts than the crash-loop threshold).
//! - **Ready**: otherwise — the desired revision is applied and all its containers run the
//!   pinned digests and are ready (or nothing is desired and nothing failed).
//!
//! The applied revision is the desired revision whose artifact digest the GitOps objects name
//! (a Kustomization's or Application's `lastAppliedRevision`, else an OCIRepository's artifact
//! revision, `current@sha256:…`).
//!
//! # Drift
//!
//! Against the current desired revision: images running from repositories it does not name
//! (`unexpected`, with system namespaces marked), images it names that no container runs
//! (`missing`), and containers of a repository it names at another digest (`digestMismatch`).

mod drift;

use std::collections::BTreeMap;

use serde::Serialize;

use super::query::{index, QueryError};
use super::{Fleet, FleetError};
pub use drift::{Drift, DriftImage, LayerImage, LayerStatus, Mismatch, MissingImage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
pub enum State {
    Ready,
    Pending,
    OutOfSync,
    Modified,
    Failed,
    Offline,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    pub cluster: String,
    pub state: State,
    /// Why it is in that state, worst first.
    pub reasons: Vec<String>,
    pub desired_revision: Option<i64>,
    pub desired_digest: Option<String>,
    pub applied_revision: Option<i64>,
    pub applied_digest: Option<String>,
    pub last_report_at: Option<i64>,
    pub last_sequence: Option<i64>,
    pub deregistered_at: Option<i64>,
    pub layers: Vec<LayerStatus>,
    pub drift: Drift,
}

/// One cluster in the fleet listing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSummary {
    pub cluster: String,
    pub state: State,
    pub reasons: Vec<String>,
    pub desired_revision: Option<i64>,
    pub applied_revision: Option<i64>,
    pub last_report_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatus {
    pub clusters: Vec<ClusterSummary>,
    /// Clusters per state.
    pub counts: BTreeMap<String, usize>,
}

/// What the state is computed from: one row of the fleet join.
#[derive(Debug, Clone, Default)]
struct Row {
    name: String,
    registered_at: i64,
    deregistered_at: Option<i64>,
    registered_interval: Option<i64>,
    desired_revision: Option<i64>,
    desired_digest: Option<String>,
    desired_at: Option<i64>,
    received_at: Option<i64>,
    sequence: Option<i64>,
    interval_seconds: Option<i64>,
    applied_revision: Option<i64>,
    applied_digest: Option<String>,
    failed: Option<i64>,
    converging: Option<i64>,
    modified: Option<i64>,
    failure: Option<String>,
}

/// By position, in FLEET_SELECT's order: looking each column up by name was a fair part of
/// listing a large fleet.
impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for Row {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(Self {
            name: row.try_get(0)?,
            registered_at: row.try_get(1)?,
            deregistered_at: row.try_get(2)?,
            registered_interval: row.try_get(3)?,
            desired_revision: row.try_get(4)?,
            desired_digest: row.try_get(5)?,
            desired_at: row.try_get(6)?,
            received_at: row.try_get(7)?,
            sequence: row.try_get(8)?,
            interval_seconds: row.try_get(9)?,
            applied_revision: row.try_get(10)?,
            applied_digest: row.try_get(11)?,
            failed: row.try_get(12)?,
            converging: row.try_get(13)?,
            modified: row.try_get(14)?,
            failure: row.try_get(15)?,
        })
    }
}

const FLEET_SELECT: &str = "SELECT c.name, c.registered_at, c.deregistered_at,
        c.report_interval_seconds AS registered_interval,
        d.revision AS desired_revision, d.digest AS desired_digest, v.created_at AS desired_at,
        r.received_at, r.sequence, r.interval_seconds, r.applied_revision, r.applied_digest,
        r.failed, r.converging, r.modified, r.failure
    FROM clusters c
    LEFT JOIN desired_current d ON d.cluster = c.name
    LEFT JOIN desired_revisions v ON v.cluster = d.cluster AND v.revision = d.revision
    LEFT JOIN cluster_reports r ON r.cluster = c.name";

/// The state of a row at `now`, and why, worst reason first.
fn judge(row: &Row, offline_after: u32, now: i64) -> (State, Vec<String>) {
    let mut found: Vec<(State, String)> = Vec::new();
    let interval = match (row.registered_interval, row.interval_seconds) {
        (Some(a), Some(b)) if a > 0 => a.min(b),
        (_, Some(b)) => b,
        (Some(a), None) => a,
        (None, None) => 60,
    }
    .max(1);
    let since = row.received_at.unwrap_or(row.registered_at);
    let limit = interval.saturating_mul(i64::from(offline_after.max(1)));
    if now - since > limit {
        let what = if row.received_at.is_some() {
            "last report"
        } else {
            "registered, no report"
        };
        found.push((
            State::Offline,
            format!("{what} {} s ago (offline after {limit} s)", now - since),
        ));
    }
    match row.received_at {
        None => found.push((State::Pending, "no report yet".into())),
        Some(received) => {
            if row.failed == Some(1) {
                let why = row.failure.clone().unwrap_or_else(|| "failed".into());
                found.push((State::Failed, why));
            }
            match (&row.desired_digest, row.desired_revision) {
                (Some(desired), Some(rev)) if row.applied_digest.as_ref() == Some(desired) => {
                    if row.modified == Some(1) {
                        found.push((
                            State::Modified,
                            "running image digests differ from the desired ones".into(),
                        ));
                    }
                    if row.converging == Some(1) {
                        found.push((
                            State::Pending,
                            format!("revision {rev} applied; containers not ready yet"),
                        ));
                    }
                }
                (Some(_), Some(rev)) => {
                    let applied = row.applied_revision.map_or_else(
                        || "no known revision".to_owned(),
                        |a| format!("revision {a}"),
                    );
                    if row.desired_at.is_some_and(|at| at > received) {
                        found.push((State::Pending, format!("revision {rev} published after the last report ({applied} applied)")));
                    } else {
                        found.push((
                            State::OutOfSync,
                            format!("{applied} applied, revision {rev} desired"),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let state = found.first().map_or(State::Ready, |f| f.0);
    (state, found.into_iter().map(|f| f.1).collect())
}

/// Every registered cluster's state (deregistered ones are left out), by name.
pub async fn fleet_status(fleet: &Fleet, now: i64) -> Result<FleetStatus, FleetError> {
    let sql = format!("{FLEET_SELECT} WHERE c.deregistered_at IS NULL ORDER BY c.name");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(fleet.db.pool())
        .await?;
    let mut counts = BTreeMap::new();
    let clusters = rows
        .into_iter()
        .map(|row| {
            let (state, reasons) = judge(&row, fleet.settings.offline_after_intervals, now);
            *counts.entry(format!("{state:?}")).or_insert(0) += 1;
            ClusterSummary {
                cluster: row.name,
                state,
                reasons,
                desired_revision: row.desired_revision,
                applied_revision: row.applied_revision,
                last_report_at: row.received_at,
            }
        })
        .collect();
    Ok(FleetStatus { clusters, counts })
}

/// One cluster's state, per-layer readiness and image drift.
pub async fn cluster_status(
    fleet: &Fleet,
    cluster: &str,
    now: i64,
) -> Result<ClusterStatus, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let sql = format!("{FLEET_SELECT} WHERE c.name = $1");
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(cluster)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| QueryError::NotRegistered(cluster.to_owned()))?;
    let (state, reasons) = judge(&row, fleet.settings.offline_after_intervals, now);
    let desired = index::desired_images(&mut conn, cluster).await?;
    let running = drift::running(&mut conn, cluster).await?;
    let (layers, drift) = drift::compare(&desired, &running);
    Ok(ClusterStatus {
        cluster: row.name,
        state,
        reasons,
        desired_revision: row.desired_revision,
        desired_digest: row.desired_digest,
        applied_revision: row.applied_revision,
        applied_digest: row.applied_digest,
        last_report_at: row.received_at,
        last_sequence: row.sequence,
        deregistered_at: row.deregistered_at,
        layers,
        drift,
    })
}
