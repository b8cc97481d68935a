//! The rollout state machine as pure functions: [`evaluate`] decides what a tick does with the
//! current wave's gates, [`command`] what an operator's pause, resume, abort or rollback does.
//!
//! ```text
//! Pending --window open--> Progressing(1) --all passed--> Progressing(2) ... --> Succeeded
//!    |                         |  more failed or timed out than max_unavailable
//!    |                         v
//!    +------ pause -------> Paused --resume--> Progressing(N) (gate clock restarted) / Pending
//! Pending | Progressing | Paused --abort--> Failed (reason "aborted by …"; nothing reverted)
//! any but RolledBack --rollback--> RolledBack
//! ```

use serde::{Deserialize, Serialize};

use super::gate::Gate;
use super::plan::Window;
use super::RolloutError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum State {
    /// Created; waits for its maintenance window to start wave 1.
    Pending,
    /// Wave N (1-based) has been started; its gates are evaluated on every tick.
    Progressing,
    /// Stopped by an operator or by too many failures; resume continues.
    Paused,
    /// Aborted: no further wave starts, nothing is reverted (rollback still can).
    Failed,
    Succeeded,
    RolledBack,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "Pending",
            State::Progressing => "Progressing",
            State::Paused => "Paused",
            State::Failed => "Failed",
            State::Succeeded => "Succeeded",
            State::RolledBack => "RolledBack",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            State::Pending,
            State::Progressing,
            State::Paused,
            State::Failed,
            State::Succeeded,
            State::RolledBack,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Pending, Progressing and Paused rollouts hold their clusters; the others are done.
    pub fn active(self) -> bool {
        matches!(self, State::Pending | State::Progressing | State::Paused)
    }

    /// Whether `ferry fleet rollout … --wait` stops here.
    pub fn settled(self) -> bool {
        !matches!(self, State::Pending | State::Progressing)
    }
}

/// What the machine needs of a rollout.
#[derive(Debug, Clone)]
pub struct Position {
    pub state: State,
    /// The current wave, 1-based (none before wave 1).
    pub wave: Option<u32>,
    pub wave_count: u32,
    pub max_unavailable: u32,
    pub window: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Nothing to do now; `waiting` says what for, when that is worth showing.
    Stay {
        waiting: Option<String>,
    },
    StartWave(u32),
    /// Too many clusters of the current wave failed or timed out.
    Pause {
        reason: String,
        clusters: Vec<String>,
    },
    Succeed,
}

fn stay() -> Transition {
    Transition::Stay { waiting: None }
}

/// Starts `wave` now, or waits for the window.
fn start_or_wait(p: &Position, wave: u32, now: i64) -> Transition {
    match p.window {
        Some(w) if !w.contains(now) => Transition::Stay {
            waiting: Some(format!(
                "wave {wave} waits for the maintenance window ({w}, opens at {})",
                w.next_open(now)
            )),
        },
        _ => Transition::StartWave(wave),
    }
}

/// One tick: `gates` are the current wave's clusters and their gates; `deadline_passed` says
/// whether the wave's gate timeout has run out.
pub fn evaluate(
    p: &Position,
    gates: &[(String, Gate)],
    deadline_passed: bool,
    now: i64,
) -> Transition {
    match p.state {
        State::Pending if p.wave_count == 0 => Transition::Succeed,
        State::Pending => start_or_wait(p, 1, now),
        State::Progressing => {
            let Some(wave) = p.wave else {
                return start_or_wait(p, 1, now);
            };
            if gates.iter().any(|(_, g)| *g == Gate::NotStarted) {
                // Its wave is still being applied (or an earlier tick stopped half-way).
                return Transition::Stay {
                    waiting: Some(format!("wave {wave} is being started")),
                };
            }
            let unavailable: Vec<String> = gates
                .iter()
                .filter(|(_, g)| g.unavailable())
                .map(|(c, _)| c.clone())
                .collect();
            if unavailable.len() > p.max_unavailable as usize {
                let detail: Vec<String> = gates
                    .iter()
                    .filter(|(_, g)| g.unavailable())
                    .map(|(c, g)| match g {
                        Gate::Failed(why) => format!("{c} ({why})"),
                        _ => format!("{c} (gate timeout)"),
                    })
                    .collect();
                return Transition::Pause {
                    reason: format!(
                        "wave {wave}: {} of {} clusters failed or timed out, more than max unavailable {}: {}",
                        unavailable.len(),
                        gates.len(),
                        p.max_unavailable,
                        detail.join(", ")
                    ),
                    clusters: unavailable,
                };
            }
            let all_passed = gates.iter().all(|(_, g)| *g == Gate::Passed);
            // Tolerated failures hold the wave until the deadline, in case they recover.
            let settled = deadline_passed && !gates.iter().any(|(_, g)| *g == Gate::Waiting);
            if !(all_passed || settled) {
                return stay();
            }
            if wave >= p.wave_count {
                Transition::Succeed
            } else {
                start_or_wait(p, wave + 1, now)
            }
        }
        State::Paused | State::Failed | State::Succeeded | State::RolledBack => stay(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Pause,
    Resume,
    Abort,
    Rollback,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::Abort => "abort",
            Command::Rollback => "rollback",
        }
    }
}

/// The state an operator's command leads to, or why it is refused. Resume goes back to
/// Progressing when a wave had started, else to Pending.
pub fn command(
    id: i64,
    state: State,
    wave: Option<u32>,
    cmd: Command,
) -> Result<State, RolloutError> {
    let to = match (cmd, state) {
        (Command::Pause, State::Pending | State::Progressing) => State::Paused,
        (Command::Resume, State::Paused) if wave.is_some() => State::Progressing,
        (Command::Resume, State::Paused) => State::Pending,
        (Command::Abort, s) if s.active() => State::Failed,
        (Command::Rollback, s) if s != State::RolledBack => State::RolledBack,
        _ => {
            return Err(RolloutError::NotAllowed {
                id,
                command: cmd.as_str(),
                state: state.as_str(),
            })
        }
    };
    Ok(to)
}
