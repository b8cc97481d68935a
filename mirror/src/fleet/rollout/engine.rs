//! What the rollout functions do with the database and the other fleet modules: start, tick
//! (advance every moving rollout), the operators' commands and rollback.
//!
//! One process-wide lock serialises them, so two ticks (a report's and the timer's) never
//! start one wave twice here; the compare-and-set in `store::move_state` guards against a
//! second appliance on the same PostgreSQL database.

use serde_json::json;
use sqlx::AnyConnection;
use tokio::sync::Mutex;

use super::gate::{self, Gate};
use super::machine::{self, Command, Position, State, Transition};
use super::plan::{self, Window};
use super::{
    deps, replace_profile, split_ref, store, ClusterState, RollbackReport, RolledBackCluster,
    Rollout, RolloutCluster, RolloutError, RolloutRow, RolloutSpec,
};
use crate::audit::{self, events, Event};
use crate::fleet::{Fleet, FleetError};

static LOCK: Mutex<()> = Mutex::const_new(());

const MAX_GATE_TIMEOUT: i64 = 30 * 86_400;

/// Creates a rollout of `spec.profile` over its targets (resolved and sorted by name now, and
/// frozen) and starts wave 1 unless a maintenance window holds it in Pending.
pub async fn start(
    fleet: &Fleet,
    spec: RolloutSpec,
    actor: &str,
    now: i64,
) -> Result<Rollout, FleetError> {
    let (name, _) = split_ref(&spec.profile)?;
    plan::check_waves(&spec.waves)?;
    if let Some(w) = &spec.maintenance_window {
        Window::parse(w)?;
    }
    if !(1..=MAX_GATE_TIMEOUT).contains(&spec.gate_timeout_seconds) {
        return Err(RolloutError::BadGateTimeout(spec.gate_timeout_seconds).into());
    }
    deps::profile_exists(fleet, &spec.profile).await?;
    let mut targets = deps::resolve(fleet, &spec.target).await?;
    targets.sort();
    targets.dedup();
    let waves = plan::plan_waves(&targets, &spec.waves);
    if waves.is_empty() {
        return Err(RolloutError::NoTargets {
            profile: spec.profile.clone(),
            target: spec.target.to_string(),
        }
        .into());
    }
    let _guard = LOCK.lock().await;
    let mut clusters = Vec::new();
    for (i, wave) in waves.iter().enumerate() {
        for cluster in wave {
            let previous = deps::current(fleet, cluster).await?;
            clusters.push(RolloutCluster {
                cluster: cluster.clone(),
                wave: i as u32 + 1,
                state: ClusterState::Pending,
                previous_assignment: deps::assignment(fleet, cluster).await?,
                previous_revision: previous.as_ref().map(|p| p.0),
                previous_digest: previous.map(|p| p.1),
                new_revision: None,
                new_digest: None,
                rollback_digest: None,
                gate: None,
                note: None,
            });
        }
    }
    let mut tx = fleet.db.begin_write().await?;
    if let Some((rollout, cluster)) = store::holder(&mut tx, name, &targets).await? {
        return Err(RolloutError::Busy {
            cluster,
            rollout,
            profile: name.to_owned(),
        }
        .into());
    }
    let row = RolloutRow {
        id: store::next_id(&mut tx).await?,
        profile: spec.profile.clone(),
        target: spec.target.clone(),
        waves: spec.waves.clone(),
        max_unavailable: spec.max_unavailable,
        gate_timeout_seconds: spec.gate_timeout_seconds,
        maintenance_window: spec
            .maintenance_window
            .as_deref()
            .map(|w| Window::parse(w).expect("checked").to_string()),
        state: State::Pending,
        wave: None,
        wave_count: waves.len() as u32,
        wave_started_at: None,
        gate_deadline: None,
        reason: None,
        created_at: now,
        created_by: actor.to_owned(),
        updated_at: now,
    };
    store::insert(&mut tx, &row).await?;
    for (ordinal, c) in clusters.iter().enumerate() {
        store::insert_cluster(&mut tx, row.id, ordinal, c).await?;
    }
    let detail = json!({
        "profile": row.profile,
        "from": null,
        "to": State::Pending.as_str(),
        "wave": null,
        "target": row.target,
        "waves": waves,
        "maxUnavailable": row.max_unavailable,
        "gateTimeoutSeconds": row.gate_timeout_seconds,
        "maintenanceWindow": row.maintenance_window,
    });
    append(&mut tx, actor, events::FLEET_ROLLOUT, row.id, detail).await?;
    tx.commit().await?;
    advance(fleet, row.id, now).await?;
    view(fleet, row.id, now).await
}

/// Evaluates every Pending or Progressing rollout: starts waves, pauses, completes. Called by
/// the server's timer. Returns the rollouts whose state changed; one rollout's error is logged
/// and does not hold the others.
pub async fn tick(fleet: &Fleet, now: i64) -> Result<Vec<i64>, FleetError> {
    tick_some(fleet, None, now).await
}

/// [`tick`] for the rollouts that hold `cluster`, after its report came in: a report can only
/// move the gates of rollouts it is part of, and the timer takes care of the rest.
pub async fn tick_cluster(fleet: &Fleet, cluster: &str, now: i64) -> Result<Vec<i64>, FleetError> {
    tick_some(fleet, Some(cluster), now).await
}

async fn tick_some(fleet: &Fleet, cluster: Option<&str>, now: i64) -> Result<Vec<i64>, FleetError> {
    let _guard = LOCK.lock().await;
    let ids = {
        let mut conn = fleet.db.pool().acquire().await?;
        store::moving_ids(&mut conn, cluster).await?
    };
    let mut changed = Vec::new();
    for id in ids {
        match advance(fleet, id, now).await {
            Ok(true) => changed.push(id),
            Ok(false) => {}
            Err(e) => tracing::error!(rollout = id, error = %e, "rollout tick failed"),
        }
    }
    Ok(changed)
}

/// The rollout with its clusters and the live gates of its current wave.
pub async fn status(fleet: &Fleet, id: i64, now: i64) -> Result<Rollout, FleetError> {
    view(fleet, id, now).await
}

/// Every rollout, newest first.
pub async fn list(fleet: &Fleet) -> Result<Vec<RolloutRow>, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    store::list(&mut conn).await
}

/// Stops starting waves and judging gates until resumed.
pub async fn pause(fleet: &Fleet, id: i64, actor: &str, now: i64) -> Result<Rollout, FleetError> {
    command(fleet, id, Command::Pause, actor, now).await
}

/// Continues a paused rollout: the current wave's gate clock restarts (its timed-out clusters get
/// another gate timeout), and its gates are evaluated at once.
pub async fn resume(fleet: &Fleet, id: i64, actor: &str, now: i64) -> Result<Rollout, FleetError> {
    command(fleet, id, Command::Resume, actor, now).await
}

/// Stops the rollout where it is, for good: state Failed, reason "aborted by ACTOR". Clusters keep
/// what they were given; `rollback` can still take them back.
pub async fn abort(fleet: &Fleet, id: i64, actor: &str, now: i64) -> Result<Rollout, FleetError> {
    command(fleet, id, Command::Abort, actor, now).await
}

async fn command(
    fleet: &Fleet,
    id: i64,
    cmd: Command,
    actor: &str,
    now: i64,
) -> Result<Rollout, FleetError> {
    let _guard = LOCK.lock().await;
    let mut tx = fleet.db.begin_write().await?;
    let r = store::load(&mut tx, id).await?;
    let to = machine::command(id, r.state, r.wave, cmd)?;
    let mut next = r.clone();
    next.state = to;
    next.reason = match cmd {
        Command::Pause => Some(format!("paused by {actor}")),
        Command::Abort => Some(format!("aborted by {actor}")),
        _ => None,
    };
    if cmd == Command::Resume && r.wave.is_some() {
        next.gate_deadline = Some(now + r.gate_timeout_seconds);
    }
    if !store::move_state(&mut tx, &next, (r.state, r.wave), now).await? {
        return Err(
            RolloutError::Corrupt(format!("rollout {id} changed during {}", cmd.as_str())).into(),
        );
    }
    append(
        &mut tx,
        actor,
        events::FLEET_ROLLOUT,
        id,
        transition_detail(&r, &next, cmd.as_str()),
    )
    .await?;
    tx.commit().await?;
    if cmd == Command::Resume {
        advance(fleet, id, now).await?;
    }
    view(fleet, id, now).await
}

/// Takes every cluster the rollout touched back to its previous assignment and re-publishes it.
/// Rendering is deterministic, so each gets the artifact digest it had before unless its
/// overrides, variables or profile revisions changed meanwhile: those are reported as
/// mismatched. Overrides are never touched (they live apart from assignments).
pub async fn rollback(
    fleet: &Fleet,
    id: i64,
    actor: &str,
    now: i64,
) -> Result<RollbackReport, FleetError> {
    let _guard = LOCK.lock().await;
    let (r, clusters) = {
        let mut conn = fleet.db.pool().acquire().await?;
        (
            store::load(&mut conn, id).await?,
            store::clusters(&mut conn, id).await?,
        )
    };
    machine::command(id, r.state, r.wave, Command::Rollback)?;
    let mut failed = Vec::new();
    for mut c in clusters {
        if !matches!(c.state, ClusterState::Updated | ClusterState::Failed) {
            continue;
        }
        let put_back = async {
            deps::set_assignment(fleet, &c.cluster, &c.previous_assignment, actor).await?;
            deps::publish(fleet, &c.cluster, actor).await
        };
        match put_back.await {
            Ok((_, digest)) => {
                c.state = ClusterState::RolledBack;
                c.rollback_digest = Some(digest);
                let mut conn = fleet.db.pool().acquire().await?;
                store::set_outcome(&mut conn, id, &c).await?;
            }
            // A cluster deregistered since has no desired state to restore: recorded, skipped.
            Err(_) if deps::deregistered(fleet, &c.cluster).await? => {
                c.state = ClusterState::RolledBack;
                c.note = Some("deregistered: not rolled back".into());
                let mut conn = fleet.db.pool().acquire().await?;
                store::set_outcome(&mut conn, id, &c).await?;
            }
            Err(e) => failed.push(format!("{} ({e})", c.cluster)),
        }
    }
    if !failed.is_empty() {
        return Err(RolloutError::RollbackIncomplete {
            id,
            clusters: failed.join(", "),
        }
        .into());
    }
    let clusters = {
        let mut conn = fleet.db.pool().acquire().await?;
        store::clusters(&mut conn, id).await?
    };
    let rolled: Vec<RolledBackCluster> = clusters
        .iter()
        .filter_map(|c| {
            let digest = c.rollback_digest.clone()?;
            Some(RolledBackCluster {
                cluster: c.cluster.clone(),
                same_digest: c.previous_digest.as_deref() == Some(digest.as_str()),
                previous_digest: c.previous_digest.clone(),
                digest,
            })
        })
        .collect();
    let skipped = clusters
        .iter()
        .filter(|c| c.state == ClusterState::RolledBack && c.rollback_digest.is_none());
    let mismatched: Vec<String> = rolled
        .iter()
        .filter(|c| !c.same_digest)
        .map(|c| c.cluster.clone())
        .chain(skipped.map(|c| c.cluster.clone()))
        .collect();
    let mut next = r.clone();
    next.state = State::RolledBack;
    next.reason = Some(format!("rolled back by {actor}"));
    let mut tx = fleet.db.begin_write().await?;
    if !store::move_state(&mut tx, &next, (r.state, r.wave), now).await? {
        // Only a second appliance can move it while we hold the lock; its move wins.
        return Err(
            RolloutError::Corrupt(format!("rollout {id} changed during its rollback")).into(),
        );
    }
    let mut detail = transition_detail(&r, &next, "rollback");
    detail["clusters"] = json!(rolled);
    detail["mismatched"] = json!(mismatched);
    append(&mut tx, actor, events::FLEET_ROLLBACK, id, detail).await?;
    tx.commit().await?;
    Ok(RollbackReport {
        rollout: view(fleet, id, now).await?,
        clusters: rolled,
        mismatched,
    })
}

/// Steps one rollout until it stays: a wave that starts is judged at once (a cluster that could
/// not be given the version pauses it now, not at the next tick). True when it moved.
async fn advance(fleet: &Fleet, id: i64, now: i64) -> Result<bool, FleetError> {
    let mut moved = false;
    // Each step starts a later wave or leaves Pending/Progressing, so this ends; the bound is
    // for safety only.
    for _ in 0..=MAX_STEPS {
        if !step(fleet, id, now).await? {
            break;
        }
        moved = true;
    }
    Ok(moved)
}

const MAX_STEPS: usize = 128;

/// One step of one rollout: gives the current wave's clusters their new version if that did not
/// happen yet, evaluates their gates and makes the machine's transition. True when it moved.
async fn step(fleet: &Fleet, id: i64, now: i64) -> Result<bool, FleetError> {
    let (r, mut clusters) = {
        let mut conn = fleet.db.pool().acquire().await?;
        (
            store::load(&mut conn, id).await?,
            store::clusters(&mut conn, id).await?,
        )
    };
    if !matches!(r.state, State::Pending | State::Progressing) {
        return Ok(false);
    }
    if let (State::Progressing, Some(wave)) = (r.state, r.wave) {
        apply_wave(fleet, &r, &mut clusters, wave).await?;
    }
    let gates = gates(fleet, &r, &clusters, now).await?;
    let deadline_passed = r.gate_deadline.is_some_and(|d| now >= d);
    let mut next = r.clone();
    let why = match machine::evaluate(&position(&r)?, &gates, deadline_passed, now) {
        Transition::Stay { .. } => return Ok(false),
        Transition::StartWave(wave) => {
            next.state = State::Progressing;
            next.wave = Some(wave);
            next.wave_started_at = Some(now);
            next.gate_deadline = Some(now + r.gate_timeout_seconds);
            next.reason = None;
            json!({"started": wave})
        }
        Transition::Pause { reason, clusters } => {
            next.state = State::Paused;
            next.reason = Some(reason);
            json!({"unavailable": clusters})
        }
        Transition::Succeed => {
            next.state = State::Succeeded;
            next.reason = None;
            json!({})
        }
    };
    let mut tx = fleet.db.begin_write().await?;
    if !store::move_state(&mut tx, &next, (r.state, r.wave), now).await? {
        return Ok(false);
    }
    for (cluster, gate) in &gates {
        store::set_gate(&mut tx, id, cluster, gate).await?;
    }
    let mut detail = transition_detail(&r, &next, "tick");
    detail["gates"] = json!(gates
        .iter()
        .map(|(c, g)| json!({"cluster": c, "gate": g}))
        .collect::<Vec<_>>());
    detail["change"] = why;
    append(&mut tx, &actor_of(id), events::FLEET_ROLLOUT, id, detail).await?;
    tx.commit().await?;
    if let (State::Progressing, Some(wave)) = (next.state, next.wave) {
        apply_wave(fleet, &next, &mut clusters, wave).await?;
    }
    Ok(true)
}

/// Who the audit log names for what a rollout does by itself (its waves' assignments and
/// publications, its tick transitions); the operator who started it is in its start entry.
fn actor_of(id: i64) -> String {
    format!("rollout/{id}")
}

fn position(r: &RolloutRow) -> Result<Position, FleetError> {
    let window = match &r.maintenance_window {
        None => None,
        Some(w) => Some(Window::parse(w)?),
    };
    Ok(Position {
        state: r.state,
        wave: r.wave,
        wave_count: r.wave_count,
        max_unavailable: r.max_unavailable,
        window,
    })
}

/// Gives every not-yet-updated cluster of `wave` the rollout's profile version and publishes it.
/// A cluster whose assignment changed since start (and not by this rollout) has its "previous"
/// taken again, so that rollback returns it to what it ran just before its wave.
async fn apply_wave(
    fleet: &Fleet,
    r: &RolloutRow,
    clusters: &mut [RolloutCluster],
    wave: u32,
) -> Result<(), FleetError> {
    let actor = actor_of(r.id);
    for c in clusters.iter_mut() {
        if c.wave != wave || c.state != ClusterState::Pending {
            continue;
        }
        let give = async {
            let current = deps::assignment(fleet, &c.cluster).await?;
            let ours = replace_profile(&c.previous_assignment, &r.profile);
            // Equal to what we would give it, and not what it had at start: an earlier,
            // interrupted tick already gave it; keep the snapshot from before that.
            let applied_before = current == ours && c.previous_assignment != current;
            if !applied_before && current != c.previous_assignment {
                let desired = deps::current(fleet, &c.cluster).await?;
                c.previous_assignment = current.clone();
                c.previous_revision = desired.as_ref().map(|d| d.0);
                c.previous_digest = desired.map(|d| d.1);
                let mut conn = fleet.db.pool().acquire().await?;
                store::set_previous(&mut conn, r.id, c).await?;
            }
            let new = replace_profile(&current, &r.profile);
            deps::set_assignment(fleet, &c.cluster, &new, &actor).await?;
            deps::publish(fleet, &c.cluster, &actor).await
        };
        // Whatever stops one cluster (deregistered meanwhile, a variable without a value, no
        // signing key) fails that cluster, not the tick.
        match give.await {
            Ok((revision, digest)) => {
                c.state = ClusterState::Updated;
                c.new_revision = Some(revision);
                c.new_digest = Some(digest);
                c.note = None;
            }
            Err(e) => {
                tracing::warn!(rollout = r.id, cluster = %c.cluster, error = %e, "rollout could not update cluster");
                c.state = ClusterState::Failed;
                c.note = Some(e.to_string());
            }
        }
        let mut conn = fleet.db.pool().acquire().await?;
        store::set_outcome(&mut conn, r.id, c).await?;
    }
    Ok(())
}

/// The gates of the current wave's clusters.
async fn gates(
    fleet: &Fleet,
    r: &RolloutRow,
    clusters: &[RolloutCluster],
    now: i64,
) -> Result<Vec<(String, Gate)>, FleetError> {
    let (Some(wave), Some(started), Some(deadline)) = (r.wave, r.wave_started_at, r.gate_deadline)
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in clusters.iter().filter(|c| c.wave == wave) {
        let g = match (c.state, &c.new_digest) {
            (ClusterState::Pending, _) => Gate::NotStarted,
            (ClusterState::Failed, _) => Gate::Failed(c.note.clone().unwrap_or_default()),
            (ClusterState::RolledBack, _) => Gate::Failed("rolled back".into()),
            (ClusterState::Updated, None) => Gate::NotStarted,
            (ClusterState::Updated, Some(digest)) => {
                match deps::observe(fleet, &c.cluster, now).await {
                    Ok(obs) => gate::evaluate(&obs, digest, started, deadline, now),
                    Err(e) => Gate::Failed(format!("no status: {e}")),
                }
            }
        };
        out.push((c.cluster.clone(), g));
    }
    Ok(out)
}

async fn view(fleet: &Fleet, id: i64, now: i64) -> Result<Rollout, FleetError> {
    let (row, mut clusters) = {
        let mut conn = fleet.db.pool().acquire().await?;
        (
            store::load(&mut conn, id).await?,
            store::clusters(&mut conn, id).await?,
        )
    };
    let mut waiting = None;
    if matches!(row.state, State::Pending | State::Progressing) {
        let live = gates(fleet, &row, &clusters, now).await?;
        let deadline_passed = row.gate_deadline.is_some_and(|d| now >= d);
        if let Transition::Stay { waiting: w } =
            machine::evaluate(&position(&row)?, &live, deadline_passed, now)
        {
            waiting = w.or_else(|| {
                let open: Vec<&str> = live
                    .iter()
                    .filter(|(_, g)| *g == Gate::Waiting)
                    .map(|(c, _)| c.as_str())
                    .collect();
                (!open.is_empty()).then(|| format!("reports from {}", open.join(", ")))
            });
        }
        for (cluster, gate) in live {
            if let Some(c) = clusters.iter_mut().find(|c| c.cluster == cluster) {
                c.gate = Some(gate);
            }
        }
    }
    Ok(Rollout {
        row,
        waiting,
        clusters,
    })
}

fn transition_detail(from: &RolloutRow, to: &RolloutRow, by: &str) -> serde_json::Value {
    json!({
        "profile": from.profile,
        "by": by,
        "from": from.state.as_str(),
        "fromWave": from.wave,
        "to": to.state.as_str(),
        "wave": to.wave,
        "reason": to.reason,
    })
}

async fn append(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), FleetError> {
    audit::append_in_any(
        conn,
        &Event::new(actor, action, format!("rollout/{id}"), detail),
    )
    .await?;
    Ok(())
}
