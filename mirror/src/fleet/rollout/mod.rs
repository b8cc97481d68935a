//! Rollouts: a profile version assigned to a target (cluster names or a label selector) in
//! waves, each gated on the clusters' reports, with pause, resume, abort and a one-step
//! rollback. The model is in docs/fleet-rollouts.md.
//!
//! [`plan`] splits the targets into waves, [`gate`] judges one cluster, [`machine`] decides
//! transitions (pure functions, tested without a database); this module reads and writes
//! through [`store`] and calls the other fleet modules only through `deps`. Every state change
//! appends its audit event (`fleet.rollout`, `fleet.rollback`) in the transaction that makes it.

mod deps;
mod engine;
pub mod gate;
pub mod machine;
pub mod plan;
mod store;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

pub use engine::{abort, list, pause, resume, rollback, start, status, tick, tick_cluster};
pub use gate::Gate;
pub use machine::State;
pub use plan::{WaveSize, Window};
pub(crate) use store::MOVING_STATES;

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("rollout {0} does not exist")]
    NotFound(i64),
    #[error("rollout {id} is {state}: {command} is not possible")]
    NotAllowed {
        id: i64,
        command: &'static str,
        state: &'static str,
    },
    #[error("waves: {0}")]
    BadWaves(String),
    #[error("maintenance window {0}")]
    BadWindow(String),
    #[error("{0:?} is not a profile reference NAME@VERSION")]
    BadProfileRef(String),
    #[error("gate timeout of {0} seconds: expected 1 second to 30 days")]
    BadGateTimeout(i64),
    #[error("the rollout of {profile} targets no cluster ({target})")]
    NoTargets { profile: String, target: String },
    #[error("cluster {0} is deregistered: a rollout cannot target it")]
    Deregistered(String),
    #[error("cluster {cluster} is already in rollout {rollout} of profile {profile}")]
    Busy {
        cluster: String,
        rollout: i64,
        profile: String,
    },
    #[error("rollback of rollout {id} did not finish for {clusters}; run it again")]
    RollbackIncomplete { id: i64, clusters: String },
    #[error("rollout store: {0}")]
    Corrupt(String),
    #[error("{0} is not available on this appliance yet")]
    Unavailable(&'static str),
}

impl RolloutError {
    pub fn status(&self) -> StatusCode {
        match self {
            RolloutError::NotFound(_) => StatusCode::NOT_FOUND,
            RolloutError::NotAllowed { .. } | RolloutError::Busy { .. } => StatusCode::CONFLICT,
            RolloutError::BadWaves(_)
            | RolloutError::BadWindow(_)
            | RolloutError::BadProfileRef(_)
            | RolloutError::BadGateTimeout(_)
            | RolloutError::Deregistered(_)
            | RolloutError::NoTargets { .. } => StatusCode::BAD_REQUEST,
            RolloutError::RollbackIncomplete { .. }
            | RolloutError::Corrupt(_)
            | RolloutError::Unavailable(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Which clusters a rollout is for; resolved once, at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// These clusters by name.
    Clusters(Vec<String>),
    /// The clusters a label selector matches (`tier=prod,site!=south`).
    Selector(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Clusters(c) => write!(f, "clusters {}", c.join(",")),
            Target::Selector(s) => write!(f, "selector {s}"),
        }
    }
}

/// What `start` is asked for.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutSpec {
    /// The profile version to roll out, `NAME@VERSION`; it replaces the clusters' assignment of
    /// profile NAME (their other profiles stay).
    pub profile: String,
    pub target: Target,
    /// Cumulative wave marks; empty means one wave.
    #[serde(default)]
    pub waves: Vec<WaveSize>,
    /// How many clusters of a wave may fail or time out before the rollout pauses.
    #[serde(default)]
    pub max_unavailable: u32,
    pub gate_timeout_seconds: i64,
    /// `daily HH:MM-HH:MM` (UTC): waves start only inside it.
    #[serde(default)]
    pub maintenance_window: Option<String>,
}

/// A rollout's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRow {
    pub id: i64,
    pub profile: String,
    pub target: Target,
    pub waves: Vec<WaveSize>,
    pub max_unavailable: u32,
    pub gate_timeout_seconds: i64,
    pub maintenance_window: Option<String>,
    pub state: State,
    /// The current wave, 1-based; none before wave 1 started.
    pub wave: Option<u32>,
    pub wave_count: u32,
    pub wave_started_at: Option<i64>,
    pub gate_deadline: Option<i64>,
    /// Why it paused or failed.
    pub reason: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
}

/// What a rollout did to one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ClusterState {
    /// Its wave has not started.
    Pending,
    /// Given the new version and published.
    Updated,
    /// Giving it the new version failed (see the note); counts as unavailable.
    Failed,
    RolledBack,
}

impl ClusterState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::Pending => "Pending",
            ClusterState::Updated => "Updated",
            ClusterState::Failed => "Failed",
            ClusterState::RolledBack => "RolledBack",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Updated, Self::Failed, Self::RolledBack]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutCluster {
    pub cluster: String,
    /// 1-based.
    pub wave: u32,
    pub state: ClusterState,
    /// Its assignment (`NAME@VERSION`s) before the rollout touched it.
    pub previous_assignment: Vec<String>,
    pub previous_revision: Option<i64>,
    pub previous_digest: Option<String>,
    pub new_revision: Option<i64>,
    pub new_digest: Option<String>,
    /// The digest rollback published (the previous one, unless its inputs changed meanwhile).
    pub rollback_digest: Option<String>,
    /// Its gate: live for the current wave, as decided for earlier waves.
    pub gate: Option<Gate>,
    pub note: Option<String>,
}

/// A rollout with its clusters, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    #[serde(flatten)]
    pub row: RolloutRow,
    /// What the rollout waits for now (a window, reports), when it waits.
    pub waiting: Option<String>,
    pub clusters: Vec<RolloutCluster>,
}

/// One cluster's rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolledBackCluster {
    pub cluster: String,
    pub previous_digest: Option<String>,
    pub digest: String,
    /// The re-published artifact is byte for byte the one it ran before.
    pub same_digest: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackReport {
    pub rollout: Rollout,
    pub clusters: Vec<RolledBackCluster>,
    /// Clusters whose re-published digest differs from before (their overrides, variables or
    /// profile revisions changed meanwhile), that had no desired state before, or that were
    /// deregistered since (not rolled back).
    pub mismatched: Vec<String>,
}

/// Splits `NAME@VERSION`.
pub fn split_ref(profile: &str) -> Result<(&str, &str), RolloutError> {
    match profile.split_once('@') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() && !v.contains('@') => Ok((n, v)),
        _ => Err(RolloutError::BadProfileRef(profile.to_owned())),
    }
}

/// The assignment with profile NAME's entry replaced by `profile` (in place), or `profile`
/// appended when the cluster had no version of NAME.
pub fn replace_profile(assignment: &[String], profile: &str) -> Vec<String> {
    let name = profile.split('@').next().unwrap_or(profile);
    let mut out: Vec<String> = Vec::with_capacity(assignment.len() + 1);
    let mut replaced = false;
    for r in assignment {
        if r.split('@').next() == Some(name) {
            if !replaced {
                out.push(profile.to_owned());
                replaced = true;
            }
        } else {
            out.push(r.clone());
        }
    }
    if !replaced {
        out.push(profile.to_owned());
    }
    out
}
