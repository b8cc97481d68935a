//! What the network phases report while they run, for the CLI's bars and log lines.

/// What a phase counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Artifacts (resolve).
    Items,
    /// Bytes (fetch, write).
    Bytes,
}

/// One report from a running phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// `done` of `total` in `unit`; `current` is the artifact (reference) the step was about.
    Advance {
        phase: &'static str,
        unit: Unit,
        done: u64,
        total: u64,
        current: Option<&'a str>,
    },
    /// Every blob of one artifact is in the cache now; `size` is all its blobs' bytes.
    Fetched { name: &'a str, size: u64 },
}

impl<'a> Progress<'a> {
    pub fn items(phase: &'static str, done: u64, total: u64, current: Option<&'a str>) -> Self {
        Self::Advance {
            phase,
            unit: Unit::Items,
            done,
            total,
            current,
        }
    }

    pub fn bytes(phase: &'static str, done: u64, total: u64, current: Option<&'a str>) -> Self {
        Self::Advance {
            phase,
            unit: Unit::Bytes,
            done,
            total,
            current,
        }
    }
}

pub type ProgressFn<'a> = &'a (dyn Fn(Progress<'_>) + Send + Sync);
