//! The rollout tables (migration 0005): `rollouts`, one row per rollout with its frozen spec and
//! where it is, and `rollout_clusters`, its targets frozen at start with their wave, what they
//! ran before (assignment and desired revision, for rollback) and what the wave gave them.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::gate::Gate;
use super::machine::State;
use super::plan::WaveSize;
use super::{ClusterState, RolloutCluster, RolloutError, RolloutRow, Target};
use crate::fleet::FleetError;

fn corrupt(id: i64, what: &str) -> FleetError {
    RolloutError::Corrupt(format!("rollout {id}: unreadable {what}")).into()
}

pub(super) async fn next_id(conn: &mut AnyConnection) -> Result<i64, FleetError> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM rollouts")
        .fetch_one(&mut *conn)
        .await?;
    Ok(max.unwrap_or(0) + 1)
}

pub(super) async fn insert(conn: &mut AnyConnection, r: &RolloutRow) -> Result<(), FleetError> {
    let target = serde_json::to_string(&r.target).expect("target serializes");
    let waves = serde_json::to_string(&r.waves).expect("waves serialize");
    sqlx::query(
        "INSERT INTO rollouts (id, profile, target, waves, max_unavailable, gate_timeout_seconds,
            maintenance_window, state, wave, wave_count, wave_started_at, gate_deadline, reason,
            created_at, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(r.id)
    .bind(&r.profile)
    .bind(target)
    .bind(waves)
    .bind(r.max_unavailable as i64)
    .bind(r.gate_timeout_seconds)
    .bind(r.maintenance_window.clone())
    .bind(r.state.as_str())
    .bind(r.wave.map(i64::from))
    .bind(r.wave_count as i64)
    .bind(r.wave_started_at)
    .bind(r.gate_deadline)
    .bind(r.reason.clone())
    .bind(r.created_at)
    .bind(&r.created_by)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn insert_cluster(
    conn: &mut AnyConnection,
    rollout: i64,
    ordinal: usize,
    c: &RolloutCluster,
) -> Result<(), FleetError> {
    sqlx::query(
        "INSERT INTO rollout_clusters (rollout, cluster, wave, ordinal, previous_assignment,
            previous_revision, previous_digest, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(rollout)
    .bind(&c.cluster)
    .bind(c.wave as i64)
    .bind(ordinal as i64)
    .bind(serde_json::to_string(&c.previous_assignment).expect("strings serialize"))
    .bind(c.previous_revision)
    .bind(c.previous_digest.clone())
    .bind(c.state.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn rollout_from(row: &AnyRow) -> Result<RolloutRow, FleetError> {
    let id: i64 = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let target: String = row.try_get("target")?;
    let waves: String = row.try_get("waves")?;
    Ok(RolloutRow {
        id,
        profile: row.try_get("profile")?,
        target: serde_json::from_str::<Target>(&target).map_err(|_| corrupt(id, "target"))?,
        waves: serde_json::from_str::<Vec<WaveSize>>(&waves).map_err(|_| corrupt(id, "waves"))?,
        max_unavailable: row.try_get::<i64, _>("max_unavailable")? as u32,
        gate_timeout_seconds: row.try_get("gate_timeout_seconds")?,
        maintenance_window: row.try_get("maintenance_window")?,
        state: State::parse(&state).ok_or_else(|| corrupt(id, "state"))?,
        wave: row.try_get::<Option<i64>, _>("wave")?.map(|w| w as u32),
        wave_count: row.try_get::<i64, _>("wave_count")? as u32,
        wave_started_at: row.try_get("wave_started_at")?,
        gate_deadline: row.try_get("gate_deadline")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const ROLLOUT_COLUMNS: &str = "SELECT id, profile, target, waves, max_unavailable,
    gate_timeout_seconds, maintenance_window, state, wave, wave_count, wave_started_at,
    gate_deadline, reason, created_at, created_by, updated_at FROM rollouts";

pub(super) async fn load(conn: &mut AnyConnection, id: i64) -> Result<RolloutRow, FleetError> {
    let sql = format!("{ROLLOUT_COLUMNS} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(RolloutError::NotFound(id))?;
    rollout_from(&row)
}

/// Every rollout, newest first.
pub(super) async fn list(conn: &mut AnyConnection) -> Result<Vec<RolloutRow>, FleetError> {
    let sql = format!("{ROLLOUT_COLUMNS} ORDER BY id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(rollout_from).collect()
}

/// The states of a rollout a tick moves (not paused or finished), as an SQL list.
pub(crate) const MOVING_STATES: &str = "('Pending', 'Progressing')";

/// Rollouts a tick looks at: those in [`MOVING_STATES`], all or those holding a cluster.
pub(super) async fn moving_ids(
    conn: &mut AnyConnection,
    holding: Option<&str>,
) -> Result<Vec<i64>, FleetError> {
    Ok(match holding {
        None => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM rollouts WHERE state IN {MOVING_STATES} ORDER BY id"
            )))
            .fetch_all(&mut *conn)
            .await?
        }
        Some(cluster) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT r.id FROM rollout_clusters c JOIN rollouts r ON r.id = c.rollout
                 WHERE c.cluster = $1 AND r.state IN {MOVING_STATES} ORDER BY r.id"
            )))
            .bind(cluster)
            .fetch_all(&mut *conn)
            .await?
        }
    })
}

/// An active rollout of profile NAME (any version) that holds one of `clusters`, if any.
pub(super) async fn holder(
    conn: &mut AnyConnection,
    profile_name: &str,
    clusters: &[String],
) -> Result<Option<(i64, String)>, FleetError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT r.id, r.profile, c.cluster FROM rollouts r JOIN rollout_clusters c ON c.rollout = r.id
         WHERE r.state IN ('Pending', 'Progressing', 'Paused') ORDER BY r.id, c.cluster",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .find(|(_, profile, cluster)| {
            profile.split('@').next() == Some(profile_name) && clusters.contains(cluster)
        })
        .map(|(id, _, cluster)| (id, cluster)))
}

pub(super) async fn clusters(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Vec<RolloutCluster>, FleetError> {
    let rows = sqlx::query(
        "SELECT cluster, wave, previous_assignment, previous_revision, previous_digest,
            new_revision, new_digest, rollback_digest, state, gate, note
         FROM rollout_clusters WHERE rollout = $1 ORDER BY ordinal",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let previous: String = row.try_get("previous_assignment")?;
            let state: String = row.try_get("state")?;
            let gate: Option<String> = row.try_get("gate")?;
            Ok(RolloutCluster {
                cluster: row.try_get("cluster")?,
                wave: row.try_get::<i64, _>("wave")? as u32,
                previous_assignment: serde_json::from_str(&previous)
                    .map_err(|_| corrupt(id, "previous assignment"))?,
                previous_revision: row.try_get("previous_revision")?,
                previous_digest: row.try_get("previous_digest")?,
                new_revision: row.try_get("new_revision")?,
                new_digest: row.try_get("new_digest")?,
                rollback_digest: row.try_get("rollback_digest")?,
                state: ClusterState::parse(&state).ok_or_else(|| corrupt(id, "cluster state"))?,
                gate: match gate {
                    None => None,
                    Some(g) => Some(
                        serde_json::from_str::<Gate>(&g)
                            .map_err(|_| corrupt(id, "cluster gate"))?,
                    ),
                },
                note: row.try_get("note")?,
            })
        })
        .collect()
}

/// Moves a rollout from `from` (state and wave, as read) to `to`; false when another writer
/// moved it first, so that two ticks never start one wave twice.
pub(super) async fn move_state(
    conn: &mut AnyConnection,
    r: &RolloutRow,
    from: (State, Option<u32>),
    now: i64,
) -> Result<bool, FleetError> {
    let done = sqlx::query(
        "UPDATE rollouts SET state = $1, wave = $2, wave_started_at = $3, gate_deadline = $4,
            reason = $5, updated_at = $6
         WHERE id = $7 AND state = $8 AND COALESCE(wave, 0) = $9",
    )
    .bind(r.state.as_str())
    .bind(r.wave.map(i64::from))
    .bind(r.wave_started_at)
    .bind(r.gate_deadline)
    .bind(r.reason.clone())
    .bind(now)
    .bind(r.id)
    .bind(from.0.as_str())
    .bind(from.1.map(i64::from).unwrap_or(0))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The gate a cluster had when its wave was decided, kept for the record.
pub(super) async fn set_gate(
    conn: &mut AnyConnection,
    id: i64,
    cluster: &str,
    gate: &Gate,
) -> Result<(), FleetError> {
    sqlx::query("UPDATE rollout_clusters SET gate = $1 WHERE rollout = $2 AND cluster = $3")
        .bind(serde_json::to_string(gate).expect("gate serializes"))
        .bind(id)
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the cluster ran before the rollout touched it, taken again when it changed since start.
pub(super) async fn set_previous(
    conn: &mut AnyConnection,
    id: i64,
    c: &RolloutCluster,
) -> Result<(), FleetError> {
    sqlx::query(
        "UPDATE rollout_clusters SET previous_assignment = $1, previous_revision = $2,
            previous_digest = $3
         WHERE rollout = $4 AND cluster = $5",
    )
    .bind(serde_json::to_string(&c.previous_assignment).expect("strings serialize"))
    .bind(c.previous_revision)
    .bind(c.previous_digest.clone())
    .bind(id)
    .bind(&c.cluster)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records what a wave (or a rollback) did to a cluster.
pub(super) async fn set_outcome(
    conn: &mut AnyConnection,
    id: i64,
    c: &RolloutCluster,
) -> Result<(), FleetError> {
    sqlx::query(
        "UPDATE rollout_clusters SET state = $1, new_revision = $2, new_digest = $3,
            rollback_digest = $4, note = $5
         WHERE rollout = $6 AND cluster = $7",
    )
    .bind(c.state.as_str())
    .bind(c.new_revision)
    .bind(c.new_digest.clone())
    .bind(c.rollback_digest.clone())
    .bind(c.note.clone())
    .bind(id)
    .bind(&c.cluster)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
