//! The health gate of one cluster in the current wave: a pure function of what its latest report
//! says, the digest the wave published for it, and the clock.
//!
//! A cluster passes when a report received after the wave started shows the new artifact digest
//! applied and the cluster Ready. It fails when it is Offline, or when a report received after
//! the wave started says Failed (a Failed report from before the wave is about the old revision,
//! so it only waits). It times out when the gate deadline passes without either.

use serde::{Deserialize, Serialize};

/// A cluster's state as [`crate::fleet::status`] ranks it, plus "never reported".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Health {
    Ready,
    Pending,
    OutOfSync,
    Modified,
    Failed,
    Offline,
    /// No report yet.
    Unknown,
}

/// What the fleet knows of one cluster when its gate is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub health: Health,
    /// What the cluster's GitOps tool last applied, as reported (`rev-3@sha256:…`, `sha256:…`).
    pub applied: Option<String>,
    pub last_report_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", tag = "result", content = "reason")]
pub enum Gate {
    /// The cluster has not been given the new version yet (its wave is being started).
    NotStarted,
    Waiting,
    Passed,
    Failed(String),
    TimedOut,
}

impl Gate {
    /// Failed or timed out: counts against the wave's `max_unavailable`.
    pub fn unavailable(&self) -> bool {
        matches!(self, Gate::Failed(_) | Gate::TimedOut)
    }
}

/// Whether `applied` names the artifact `digest`: Flux reports `<tag>@sha256:…` (or the bare
/// digest), so the digest after the last `@` is compared.
pub fn applied_is(applied: &str, digest: &str) -> bool {
    let tail = applied.rsplit('@').next().unwrap_or(applied);
    tail == digest
}

/// The gate of a cluster given the new `digest`, when its wave started, and the deadline.
pub fn evaluate(
    obs: &Observation,
    digest: &str,
    wave_started_at: i64,
    deadline: i64,
    now: i64,
) -> Gate {
    let fresh = obs.last_report_at.is_some_and(|at| at > wave_started_at);
    let applied = obs
        .applied
        .as_deref()
        .is_some_and(|a| applied_is(a, digest));
    if fresh && applied && obs.health == Health::Ready {
        return Gate::Passed;
    }
    if obs.health == Health::Offline {
        return Gate::Failed("offline".into());
    }
    if fresh && obs.health == Health::Failed {
        return Gate::Failed("reported failed".into());
    }
    if now >= deadline {
        return Gate::TimedOut;
    }
    Gate::Waiting
}
