//! Wave planning and maintenance windows: pure functions of the spec, the resolved targets and
//! the clock.
//!
//! Wave sizes are cumulative marks over the targets sorted by name: `1,25%,100%` on 12 clusters
//! gives waves of 1 (the first cluster), 2 (up to 25% = 3 clusters) and 9 (the rest). Percentages
//! round up, so 25% of 3 clusters is 1. A mark that adds no cluster gives no wave; if the last
//! mark leaves clusters out, one more wave takes the rest, so a rollout never stops half-way by
//! its plan.

use serde::{Deserialize, Serialize};

use super::RolloutError;

/// One cumulative wave mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum WaveSize {
    /// Up to this many clusters in total.
    Count(u32),
    /// Up to this share of the targets in total, rounded up (1..=100).
    Percent(u32),
}

impl WaveSize {
    /// How many clusters the rollout has reached once this wave is done.
    fn cumulative(self, total: usize) -> usize {
        match self {
            WaveSize::Count(n) => (n as usize).min(total),
            WaveSize::Percent(p) => (total * p as usize).div_ceil(100).min(total),
        }
    }

    fn check(self) -> Result<Self, RolloutError> {
        match self {
            WaveSize::Count(0) => Err(RolloutError::BadWaves("a wave of 0 clusters".into())),
            WaveSize::Percent(p) if p == 0 || p > 100 => Err(RolloutError::BadWaves(format!(
                "{p}% is not a share of the targets (1% to 100%)"
            ))),
            w => Ok(w),
        }
    }
}

impl std::fmt::Display for WaveSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaveSize::Count(n) => write!(f, "{n}"),
            WaveSize::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Parses the CLI's `1,25%,100%`.
pub fn parse_waves(text: &str) -> Result<Vec<WaveSize>, RolloutError> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let bad = || RolloutError::BadWaves(format!("{part:?} is neither a count nor N%"));
            let size = match part.strip_suffix('%') {
                Some(p) => WaveSize::Percent(p.parse().map_err(|_| bad())?),
                None => WaveSize::Count(part.parse().map_err(|_| bad())?),
            };
            size.check()
        })
        .collect()
}

/// Checks every mark; an empty list means one wave of every target.
pub fn check_waves(waves: &[WaveSize]) -> Result<(), RolloutError> {
    if waves.len() > MAX_WAVES {
        return Err(RolloutError::BadWaves(format!(
            "{} waves; at most {MAX_WAVES}",
            waves.len()
        )));
    }
    waves.iter().try_for_each(|w| w.check().map(|_| ()))
}

const MAX_WAVES: usize = 100;

/// Splits `targets` (already sorted and free of duplicates) into waves. No targets, no waves.
pub fn plan_waves(targets: &[String], waves: &[WaveSize]) -> Vec<Vec<String>> {
    let total = targets.len();
    let mut planned = Vec::new();
    let mut reached = 0;
    for mark in waves {
        let upto = mark.cumulative(total);
        if upto > reached {
            planned.push(targets[reached..upto].to_vec());
            reached = upto;
        }
    }
    if reached < total {
        planned.push(targets[reached..].to_vec());
    }
    planned
}

/// A daily maintenance window in UTC, `daily HH:MM-HH:MM`; it may span midnight
/// (`daily 22:00-02:00`). Waves start only inside it; gates are evaluated at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Seconds after midnight UTC.
    start: u32,
    end: u32,
}

const DAY: i64 = 86_400;

impl Window {
    pub fn parse(text: &str) -> Result<Self, RolloutError> {
        let bad = |why: &str| RolloutError::BadWindow(format!("{text:?}: {why}"));
        let range = text
            .trim()
            .strip_prefix("daily ")
            .ok_or_else(|| bad("expected \"daily HH:MM-HH:MM\" (UTC)"))?;
        let (from, to) = range
            .trim()
            .split_once('-')
            .ok_or_else(|| bad("expected HH:MM-HH:MM"))?;
        let clock = |t: &str| -> Result<u32, RolloutError> {
            let (h, m) = t
                .trim()
                .split_once(':')
                .ok_or_else(|| bad("expected HH:MM"))?;
            let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(h) || !digits(m) {
                return Err(bad("expected two-digit hours and minutes"));
            }
            let (h, m): (u32, u32) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
            if h > 23 || m > 59 {
                return Err(bad("no such time of day"));
            }
            Ok(h * 3600 + m * 60)
        };
        let (start, end) = (clock(from)?, clock(to)?);
        if start == end {
            return Err(bad("the window is empty"));
        }
        Ok(Self { start, end })
    }

    pub fn contains(&self, now: i64) -> bool {
        let s = now.rem_euclid(DAY) as u32;
        if self.start < self.end {
            self.start <= s && s < self.end
        } else {
            s >= self.start || s < self.end
        }
    }

    /// The next time the window opens at or after `now` (`now` itself when it is open).
    pub fn next_open(&self, now: i64) -> i64 {
        if self.contains(now) {
            return now;
        }
        let day = now - now.rem_euclid(DAY);
        let today = day + self.start as i64;
        if today > now {
            today
        } else {
            today + DAY
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |s: u32| format!("{:02}:{:02}", s / 3600, s % 3600 / 60);
        write!(f, "daily {}-{}", hm(self.start), hm(self.end))
    }
}
