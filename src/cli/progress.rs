//! Progress feedback: a bar per phase with bytes and rate on a TTY, plain log lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One phase (resolve, pull, write). Cheap to update from many tasks.
pub struct Phase {
    name: &'static str,
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
}

impl Phase {
    pub fn bytes(name: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.set_prefix(name);
            bar
        });
        tracing::info!(phase = name, total_bytes = total, "started");
        Self { name, bar, last_log: Mutex::new(Instant::now()) }
    }

    /// Reports absolute progress; off a TTY it logs at most every five seconds.
    pub fn set(&self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            return;
        }
        let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= Duration::from_secs(5) {
            *last = Instant::now();
            tracing::info!(phase = self.name, done_bytes = done, total_bytes = total, "progress");
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!(phase = self.name, "done");
    }
}

/// Routes the library's per-phase progress callbacks to one [`Phase`] each.
#[derive(Default)]
pub struct Reporter {
    phases: Mutex<Vec<(&'static str, Phase)>>,
}

impl Reporter {
    pub fn update(&self, phase: &'static str, done: u64, total: u64) {
        let mut phases = self.phases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, p)) = phases.iter().find(|(n, _)| *n == phase) {
            p.set(done, total);
            return;
        }
        let p = Phase::bytes(phase, total);
        p.set(done, total);
        phases.push((phase, p));
    }

    pub fn finish(self) {
        let phases = self.phases.into_inner().unwrap_or_else(|e| e.into_inner());
        for (_, p) in phases {
            p.finish();
        }
    }
}
