//! Progress feedback. On a terminal: one `MultiProgress` for the whole process, a bar per phase
//! counting items or bytes and naming the artifact at hand, log lines printed above the bars.
//! Off a terminal: log lines only, one per artifact fetched and one every few seconds per phase.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ferry_bundler::net::{Progress, Unit};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::human_bytes;

/// Off a terminal, the longest silence of a running phase.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// The process's bars, on stderr; hidden (drawing nothing) when stderr is not a terminal.
pub fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| {
        let target = match std::io::stderr().is_terminal() {
            true => ProgressDrawTarget::stderr(),
            false => ProgressDrawTarget::hidden(),
        };
        MultiProgress::with_draw_target(target)
    })
}

/// Writes one formatted log record: above the bars when they are drawn, so a line never lands
/// inside a bar; straight to stderr otherwise.
pub fn log_line(multi: &MultiProgress, record: &[u8]) {
    if multi.is_hidden() {
        let _ = std::io::stderr().write_all(record);
        return;
    }
    let text = String::from_utf8_lossy(record);
    let _ = multi.println(text.trim_end_matches('\n'));
}

fn style(unit: Unit) -> ProgressStyle {
    let template = match unit {
        Unit::Items => "{prefix:>8} [{bar:30}] {pos}/{len} items {wide_msg}",
        Unit::Bytes => {
            "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {wide_msg}"
        }
    };
    ProgressStyle::with_template(template)
        .expect("static template")
        .progress_chars("=> ")
}

fn amount(unit: Unit, n: u64) -> String {
    match unit {
        Unit::Items => format!("{n} items"),
        Unit::Bytes => human_bytes(n),
    }
}

/// One run of a phase (resolve, fetch, write).
struct Phase {
    name: &'static str,
    unit: Unit,
    bar: Option<ProgressBar>,
    total: u64,
    started: Instant,
    last_log: Instant,
    done: bool,
}

impl Phase {
    fn start(multi: &MultiProgress, name: &'static str, unit: Unit, total: u64) -> Self {
        let bar = (!multi.is_hidden()).then(|| {
            let bar = multi.add(ProgressBar::no_length().with_style(style(unit)));
            bar.set_length(total);
            bar.set_prefix(name);
            bar
        });
        tracing::info!(phase = name, total = %amount(unit, total), "started");
        let now = Instant::now();
        Self {
            name,
            unit,
            bar,
            total,
            started: now,
            last_log: now,
            done: false,
        }
    }

    fn set(&mut self, done: u64, total: u64, current: Option<&str>) {
        self.total = total;
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            if let Some(current) = current {
                bar.set_message(current.to_owned());
            }
        } else if self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            tracing::info!(
                phase = self.name,
                done = %amount(self.unit, done),
                total = %amount(self.unit, total),
                "progress"
            );
        }
        if done >= total {
            self.finish();
        }
    }

    /// Clears the bar and says so in one line; idempotent.
    fn finish(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!(
            phase = self.name,
            total = %amount(self.unit, self.total),
            seconds = self.started.elapsed().as_secs(),
            "done"
        );
    }
}

impl Drop for Phase {
    /// A phase cut short by an error leaves no bar on the screen.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Routes the library's progress reports to one [`Phase`] each.
pub struct Reporter {
    multi: MultiProgress,
    phases: Mutex<Vec<Phase>>,
}

impl Default for Reporter {
    fn default() -> Self {
        Self::on(multi().clone())
    }
}

impl Reporter {
    pub fn on(multi: MultiProgress) -> Self {
        Self {
            multi,
            phases: Mutex::new(Vec::new()),
        }
    }

    pub fn report(&self, p: Progress<'_>) {
        let (phase, unit, done, total, current) = match p {
            Progress::Advance {
                phase,
                unit,
                done,
                total,
                current,
            } => (phase, unit, done, total, current),
            Progress::Fetched { name, size } => {
                tracing::info!("fetched {name} ({})", human_bytes(size));
                return;
            }
        };
        let mut phases = self.phases.lock().unwrap_or_else(|e| e.into_inner());
        let index = match phases.iter().position(|p| p.name == phase && !p.done) {
            Some(i) => i,
            // A phase that finished and starts again from zero (resolve runs once per chart,
            // then for the images) gets a fresh bar.
            None if done == 0 || !phases.iter().any(|p| p.name == phase) => {
                phases.retain(|p| p.name != phase);
                phases.push(Phase::start(&self.multi, phase, unit, total));
                phases.len() - 1
            }
            // Concurrent tasks report out of order: a smaller count after the last one.
            None => return,
        };
        phases[index].set(done, total, current);
    }

    /// A byte count for `phase`, for callers without a library [`Progress`].
    pub fn update(&self, phase: &'static str, done: u64, total: u64) {
        self.report(Progress::bytes(phase, done, total, None));
    }

    /// Finishes and clears every bar still running.
    pub fn finish(self) {
        let mut phases = self.phases.lock().unwrap_or_else(|e| e.into_inner());
        for p in phases.iter_mut() {
            p.finish();
        }
    }
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
