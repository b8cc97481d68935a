//! `ferry fleet rollout …`: start a rollout in waves, show it, pause, resume, abort or roll it
//! back; `--wait` follows it to a final state (exit codes below, and in docs/fleet-rollouts.md).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use ferry_agent::client::ApiClient;
use ferry_mirror::fleet::rollout::plan::{parse_waves, Window};
use ferry_mirror::fleet::rollout::{
    Gate, RollbackReport, Rollout, RolloutRow, RolloutSpec, State, Target,
};

use super::Conn;

const EXIT_HELP: &str = "With --wait, the exit code is the final state's: 0 Succeeded or \
RolledBack, 1 Failed (aborted) or an error, 4 Paused. Without --wait: 0 when the appliance \
accepted the command, 1 otherwise.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start rolling a profile version out to a target in waves.
    #[command(after_help = EXIT_HELP)]
    Start {
        /// The profile version, NAME@VERSION.
        profile: String,
        /// A label selector: the clusters it matches (`tier=prod,site!=south`).
        #[arg(
            long,
            conflicts_with = "clusters",
            required_unless_present = "clusters"
        )]
        target: Option<String>,
        /// These clusters by name, comma-separated.
        #[arg(long, value_delimiter = ',')]
        clusters: Vec<String>,
        /// Cumulative wave sizes over the targets sorted by name: counts or percentages.
        #[arg(long, default_value = "100%")]
        waves: String,
        /// Clusters of one wave that may fail or time out before the rollout pauses.
        #[arg(long, default_value_t = 0)]
        max_unavailable: u32,
        /// How long a wave's clusters have to report the new revision applied and Ready
        /// (`90s`, `30m`, `2h`, `1d`).
        #[arg(long, default_value = "30m")]
        gate_timeout: String,
        /// Start waves only in this UTC window: `daily HH:MM-HH:MM`.
        #[arg(long)]
        window: Option<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Every rollout, newest first.
    List,
    /// A rollout: its state, waves, clusters and their gates.
    #[command(after_help = EXIT_HELP)]
    Status {
        /// The rollout's number (`ferry fleet rollout list`).
        id: i64,
        #[command(flatten)]
        wait: Wait,
    },
    /// Stop starting waves and judging gates.
    #[command(after_help = EXIT_HELP)]
    Pause {
        /// The rollout's number (`ferry fleet rollout list`).
        id: i64,
        #[command(flatten)]
        wait: Wait,
    },
    /// Continue a paused rollout (the current wave's gate clock restarts).
    #[command(after_help = EXIT_HELP)]
    Resume {
        /// The rollout's number (`ferry fleet rollout list`).
        id: i64,
        #[command(flatten)]
        wait: Wait,
    },
    /// Stop the rollout where it is, for good (state Failed; nothing is reverted).
    #[command(after_help = EXIT_HELP)]
    Abort {
        /// The rollout's number (`ferry fleet rollout list`).
        id: i64,
        #[command(flatten)]
        wait: Wait,
    },
    /// Put every cluster the rollout touched back on its previous version and artifact digest.
    /// It is done when the command returns (exit 0 RolledBack, 1 not finished: run it again).
    Rollback {
        /// The rollout's number (`ferry fleet rollout list`).
        id: i64,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct Wait {
    /// Follow the rollout until it is Succeeded, Failed, Paused or RolledBack.
    #[arg(long)]
    wait: bool,
    /// How often --wait asks the appliance.
    #[arg(long, default_value = "2s", requires = "wait")]
    poll: String,
}

pub async fn run(conn: &Conn, command: Command) -> anyhow::Result<ExitCode> {
    let api = conn.client()?;
    let (rollout, wait) = match command {
        Command::Start {
            profile,
            target,
            clusters,
            waves,
            max_unavailable,
            gate_timeout,
            window,
            wait,
        } => {
            if let Some(w) = &window {
                Window::parse(w)?;
            }
            let spec = RolloutSpec {
                profile,
                target: match target {
                    Some(selector) => Target::Selector(selector),
                    None => Target::Clusters(clusters),
                },
                waves: parse_waves(&waves)?,
                max_unavailable,
                gate_timeout_seconds: parse_duration(&gate_timeout)?,
                maintenance_window: window,
            };
            let r: Rollout = api.post("/api/v1/fleet/rollouts", &spec).await?;
            (r, wait)
        }
        Command::List => {
            let rows: Vec<RolloutRow> = api.get("/api/v1/fleet/rollouts").await?;
            if conn.json() {
                outln!("{}", serde_json::to_string(&rows)?);
            } else {
                for r in &rows {
                    outln!("{}", headline(r));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Status { id, wait } => (api.get(&path(id, "")).await?, wait),
        Command::Pause { id, wait } => (api.post(&path(id, "/pause"), &()).await?, wait),
        Command::Resume { id, wait } => (api.post(&path(id, "/resume"), &()).await?, wait),
        Command::Abort { id, wait } => (api.post(&path(id, "/abort"), &()).await?, wait),
        Command::Rollback { id } => {
            let report: RollbackReport = api.post(&path(id, "/rollback"), &()).await?;
            if conn.json() {
                outln!("{}", serde_json::to_string(&report)?);
            } else {
                print_rollback(&report);
            }
            return Ok(exit_for(report.rollout.row.state));
        }
    };
    if !wait.wait {
        print(conn, &rollout)?;
        return Ok(ExitCode::SUCCESS);
    }
    let last = follow(&api, rollout, parse_duration(&wait.poll)?).await?;
    print(conn, &last)?;
    Ok(exit_for(last.row.state))
}

fn path(id: i64, action: &str) -> String {
    format!("/api/v1/fleet/rollouts/{id}{action}")
}

/// Polls until the rollout settles, a line on stderr each time its state, wave or what it waits
/// for changes.
async fn follow(api: &ApiClient, mut r: Rollout, poll: i64) -> anyhow::Result<Rollout> {
    let mut shown = String::new();
    loop {
        let line = match &r.waiting {
            Some(w) => format!("{} — waiting for {w}", headline(&r.row)),
            None => headline(&r.row),
        };
        if line != shown {
            eprintln!("{line}");
            shown = line;
        }
        if r.row.state.settled() {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_secs(poll as u64)).await;
        r = api.get(&path(r.row.id, "")).await?;
    }
}

/// 0 Succeeded/RolledBack, 1 Failed, 4 Paused; a rollout still moving (no --wait) is 0.
fn exit_for(state: State) -> ExitCode {
    match state {
        State::Failed => ExitCode::from(1),
        State::Paused => ExitCode::from(4),
        _ => ExitCode::SUCCESS,
    }
}

fn headline(r: &RolloutRow) -> String {
    let mut s = format!("rollout {} {}: {}", r.id, r.profile, r.state.as_str());
    if let Some(w) = r.wave {
        s.push_str(&format!(" (wave {w} of {})", r.wave_count));
    }
    if let Some(why) = &r.reason {
        s.push_str(&format!(": {why}"));
    }
    s
}

fn print(conn: &Conn, r: &Rollout) -> anyhow::Result<()> {
    if conn.json() {
        outln!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    outln!("{}", headline(&r.row));
    if let Some(w) = &r.waiting {
        outln!("waiting for {w}");
    }
    outln!(
        "{:<24} {:>4}  {:<10} {:<22} {}",
        "CLUSTER",
        "WAVE",
        "STATE",
        "GATE",
        "DIGEST"
    );
    for c in &r.clusters {
        let gate = match &c.gate {
            None => "-".to_owned(),
            Some(Gate::Failed(why)) => format!("Failed: {why}"),
            Some(g) => format!("{g:?}"),
        };
        outln!(
            "{:<24} {:>4}  {:<10} {:<22} {}",
            c.cluster,
            c.wave,
            c.state.as_str(),
            gate,
            c.new_digest.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

fn print_rollback(report: &RollbackReport) {
    outln!("{}", headline(&report.rollout.row));
    for c in &report.clusters {
        let note = if c.same_digest {
            "same digest as before"
        } else {
            "DIFFERENT digest: its inputs changed since"
        };
        outln!("{:<24} {}  {note}", c.cluster, c.digest);
    }
    if !report.mismatched.is_empty() {
        outln!(
            "not back on their previous digest: {}",
            report.mismatched.join(", ")
        );
    }
}

/// `90s`, `30m`, `2h`, `1d`, or plain seconds.
fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = digits
        .parse()
        .with_context(|| format!("{text:?} is not a duration (90s, 30m, 2h, 1d)"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("{text:?} is not a duration (90s, 30m, 2h, 1d)"),
    };
    n.checked_mul(scale)
        .filter(|s| *s > 0)
        .with_context(|| format!("{text:?} is not a positive duration"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").unwrap(), 1800);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert_eq!(parse_duration("2h").unwrap(), 7200);
        assert_eq!(parse_duration("1d").unwrap(), 86_400);
        for bad in ["", "m", "0s", "5w", "-1m", "1h30m", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
