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

mod counts;
mod drift;

use std::collections::BTreeMap;

use serde::Serialize;

use super::page::Page;
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
    /// One page of the clusters, by name.
    pub clusters: Vec<ClusterSummary>,
    /// Clusters per state, in the whole fleet.
    pub counts: BTreeMap<String, usize>,
    /// The last cluster of this page when more follow (ask again with `after` set to it).
    pub next: Option<String>,
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
        d.revision AS desired_revision, d.digest AS desired_digest, d.published_at AS desired_at,
        r.received_at, r.sequence, r.interval_seconds, r.applied_revision, r.applied_digest,
        r.failed, r.converging, r.modified, r.failure
    FROM clusters c
    LEFT JOIN desired_current d ON d.cluster = c.name
    LEFT JOIN cluster_reports r ON r.cluster = c.name";

/// Whether the desired revision is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desired {
    Nothing,
    Applied,
    NotApplied,
}

/// What a cluster's state follows from. [`counts`] computes the same in SQL for the whole
/// fleet; a test holds the two to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Facts {
    offline: bool,
    reported: bool,
    failed: bool,
    desired: Desired,
    modified: bool,
    converging: bool,
    published_after_report: bool,
}

/// A condition that holds of a cluster, and the state it puts the cluster in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    Offline,
    NoReport,
    Failed,
    Modified,
    Converging,
    PublishedAfterReport,
    OutOfSync,
}

impl Condition {
    fn state(self) -> State {
        match self {
            Condition::Offline => State::Offline,
            Condition::Failed => State::Failed,
            Condition::Modified => State::Modified,
            Condition::OutOfSync => State::OutOfSync,
            Condition::NoReport | Condition::Converging | Condition::PublishedAfterReport => {
                State::Pending
            }
        }
    }
}

/// Every condition that holds, in the order the reasons are given before ranking.
fn conditions(f: &Facts) -> Vec<Condition> {
    let mut found = Vec::new();
    if f.offline {
        found.push(Condition::Offline);
    }
    if !f.reported {
        found.push(Condition::NoReport);
        return found;
    }
    if f.failed {
        found.push(Condition::Failed);
    }
    match f.desired {
        Desired::Applied => {
            if f.modified {
                found.push(Condition::Modified);
            }
            if f.converging {
                found.push(Condition::Converging);
            }
        }
        Desired::NotApplied if f.published_after_report => {
            found.push(Condition::PublishedAfterReport)
        }
        Desired::NotApplied => found.push(Condition::OutOfSync),
        Desired::Nothing => {}
    }
    found
}

/// The worst state the facts give.
fn state_of(f: &Facts) -> State {
    conditions(f)
        .into_iter()
        .map(Condition::state)
        .max()
        .unwrap_or(State::Ready)
}

/// The interval a cluster's Offline is judged by: the smaller of the registered and the
/// reported one, at least a second.
fn interval(row: &Row) -> i64 {
    match (row.registered_interval, row.interval_seconds) {
        (Some(a), Some(b)) if a > 0 => a.min(b),
        (_, Some(b)) => b,
        (Some(a), None) => a,
        (None, None) => 60,
    }
    .max(1)
}

/// Since when a cluster is silent (its last report, else its registration), and how long it
/// may be before it is Offline.
fn silence(row: &Row, offline_after: u32) -> (i64, i64) {
    let since = row.received_at.unwrap_or(row.registered_at);
    (
        since,
        interval(row).saturating_mul(i64::from(offline_after.max(1))),
    )
}

fn facts(row: &Row, offline_after: u32, now: i64) -> Facts {
    let (since, limit) = silence(row, offline_after);
    let desired = match (&row.desired_digest, row.desired_revision) {
        (Some(d), Some(_)) if row.applied_digest.as_ref() == Some(d) => Desired::Applied,
        (Some(_), Some(_)) => Desired::NotApplied,
        _ => Desired::Nothing,
    };
    Facts {
        offline: now - since > limit,
        reported: row.received_at.is_some(),
        failed: row.failed == Some(1),
        desired,
        modified: row.modified == Some(1),
        converging: row.converging == Some(1),
        published_after_report: matches!((row.desired_at, row.received_at), (Some(at), Some(r)) if at > r),
    }
}

/// The state of a row at `now`, and why, worst reason first.
fn judge(row: &Row, offline_after: u32, now: i64) -> (State, Vec<String>) {
    let f = facts(row, offline_after, now);
    let (since, limit) = silence(row, offline_after);
    let rev = row.desired_revision.unwrap_or_default();
    let applied = || {
        row.applied_revision.map_or_else(
            || "no known revision".to_owned(),
            |a| format!("revision {a}"),
        )
    };
    let mut found: Vec<(State, String)> = conditions(&f)
        .into_iter()
        .map(|c| {
            let why = match c {
                Condition::Offline => {
                    let what = if f.reported {
                        "last report"
                    } else {
                        "registered, no report"
                    };
                    format!("{what} {} s ago (offline after {limit} s)", now - since)
                }
                Condition::NoReport => "no report yet".into(),
                Condition::Failed => row.failure.clone().unwrap_or_else(|| "failed".into()),
                Condition::Modified => "running image digests differ from the desired ones".into(),
                Condition::Converging => {
                    format!("revision {rev} applied; containers not ready yet")
                }
                Condition::PublishedAfterReport => format!(
                    "revision {rev} published after the last report ({} applied)",
                    applied()
                ),
                Condition::OutOfSync => format!("{} applied, revision {rev} desired", applied()),
            };
            (c.state(), why)
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let state = found.first().map_or(State::Ready, |f| f.0);
    (state, found.into_iter().map(|f| f.1).collect())
}

/// One page of the registered clusters' states (deregistered ones are left out), by name,
/// and the whole fleet's count per state.
pub async fn fleet_status(fleet: &Fleet, now: i64, page: &Page) -> Result<FleetStatus, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let sql = format!(
        "{FLEET_SELECT} WHERE c.deregistered_at IS NULL AND c.name{b} > $1 ORDER BY c.name{b} LIMIT {}",
        page.sql_limit(),
        b = fleet.db.backend().bytes()
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(page.after_bound())
        .fetch_all(&mut *conn)
        .await?;
    let (rows, next) = page.cut(rows, |r| &r.name);
    let offline_after = fleet.settings.offline_after_intervals;
    let clusters = rows
        .into_iter()
        .map(|row| {
            let (state, reasons) = judge(&row, offline_after, now);
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
    let counts = counts::counts(&mut conn, offline_after, now).await?;
    Ok(FleetStatus {
        clusters,
        counts,
        next,
    })
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
