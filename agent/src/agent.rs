//! The agent: every interval, list what the cluster runs, build the report, take the next
//! sequence, MAC it and send it. A failed interval is logged and the next one tries again
//! with a fresh report (and a fresh sequence), never a resend.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferry_bundler::format::report::SignedReport;
use ferry_bundler::format::timestamp::rfc3339_utc;

use crate::client::{ApiClient, ClientError};
use crate::credential::Credential;
use crate::kube::{list_all, KubeError, KubeSource};
use crate::report::{build, BuildError, Header};
use crate::state::{SequenceState, StateError};

/// Where reports go on the appliance.
pub const REPORTS_PATH: &str = "/api/v1/fleet/reports";

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Kube(#[from] KubeError),
    #[error("building the report of cluster {cluster}: {source}")]
    Build { cluster: String, source: BuildError },
    #[error(transparent)]
    State(#[from] StateError),
    /// The appliance had this (cluster, sequence) already and kept its earlier report.
    #[error("the appliance already has report {sequence} of cluster {cluster} and kept the earlier one: the sequence state {state} is behind (lost, restored or shared)")]
    Duplicate {
        cluster: String,
        sequence: u64,
        state: String,
    },
    #[error("sending report {sequence} of cluster {cluster}: {source}")]
    Send {
        cluster: String,
        sequence: u64,
        source: ClientError,
    },
}

/// Makes signed reports: the source, the credential and the sequence state.
#[derive(Debug)]
pub struct Reporter<S> {
    source: S,
    credential: Credential,
    state: SequenceState,
    interval_seconds: u64,
}

impl<S: KubeSource> Reporter<S> {
    pub fn new(
        source: S,
        credential: Credential,
        state_file: &Path,
        interval_seconds: u64,
    ) -> Self {
        let state = SequenceState::new(state_file, &credential.cluster);
        Self {
            source,
            credential,
            state,
            interval_seconds,
        }
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    pub fn state(&self) -> &SequenceState {
        &self.state
    }

    /// The next report at unix time `now`. Its sequence is recorded before it is returned;
    /// a report that cannot be built uses none.
    pub async fn next(&self, now: i64) -> Result<SignedReport, AgentError> {
        let lists = list_all(&self.source).await?;
        let build_err = |source| AgentError::Build {
            cluster: self.credential.cluster.clone(),
            source,
        };
        let sequence = self.state.last()? + 1;
        let header = Header {
            cluster: self.credential.cluster.clone(),
            sequence,
            generated_at: rfc3339_utc(now),
            interval_seconds: self.interval_seconds,
        };
        let report = build(&lists, header).map_err(build_err)?;
        self.state.record(sequence)?;
        Ok(SignedReport::sign(report, &self.credential.mac_key()))
    }
}

/// What the appliance answered to one report.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sequence: u64,
    pub answer: serde_json::Value,
}

/// The reporting loop of `ferry agent`.
#[derive(Debug)]
pub struct Agent<S> {
    reporter: Reporter<S>,
    client: ApiClient,
    interval: Duration,
}

impl<S: KubeSource> Agent<S> {
    /// `server` is the appliance's base URL, `ca` the CA its TLS certificate chains to.
    pub fn new(
        reporter: Reporter<S>,
        server: &str,
        ca: Option<&Path>,
        interval: Duration,
    ) -> Result<Self, ClientError> {
        let client = ApiClient::new(server, Some(reporter.credential.basic()), ca)?;
        Ok(Self {
            reporter,
            client,
            interval,
        })
    }

    pub fn reporter(&self) -> &Reporter<S> {
        &self.reporter
    }

    /// One interval: build the next report and POST it.
    pub async fn tick(&self, now: i64) -> Result<Sent, AgentError> {
        let signed = self.reporter.next(now).await?;
        let sequence = signed.report.sequence;
        let answer: serde_json::Value =
            self.client
                .post(REPORTS_PATH, &signed)
                .await
                .map_err(|source| AgentError::Send {
                    cluster: self.reporter.credential.cluster.clone(),
                    sequence,
                    source,
                })?;
        // The fleet API answers `outcome: duplicate` (200) for a sequence it has seen: the
        // request worked but this report was dropped, which the operator must hear about.
        if answer.get("outcome").and_then(|o| o.as_str()) == Some("duplicate") {
            return Err(AgentError::Duplicate {
                cluster: self.reporter.credential.cluster.clone(),
                sequence,
                state: self.reporter.state.path().display().to_string(),
            });
        }
        Ok(Sent { sequence, answer })
    }

    /// Reports every interval, forever; with `once`, one report whose failure is returned.
    pub async fn run(&self, once: bool) -> Result<(), AgentError> {
        let cluster = &self.reporter.credential.cluster;
        loop {
            let started = tokio::time::Instant::now();
            match self.tick(unix_now()).await {
                Ok(sent) => tracing::info!(
                    cluster = %cluster,
                    sequence = sent.sequence,
                    answer = %sent.answer,
                    "report accepted"
                ),
                Err(e) if once => return Err(e),
                Err(e) => tracing::warn!(
                    cluster = %cluster,
                    error = %e,
                    "report failed; the next interval tries again"
                ),
            }
            if once {
                return Ok(());
            }
            tokio::time::sleep_until(started + self.interval).await;
        }
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `90`, `90s`, `5m`, `1h`: the agent's `--interval`. At least one second.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not an interval like 60s, 5m or 1h"))?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => None,
    }
    .ok_or_else(|| format!("{s:?} is not an interval like 60s, 5m or 1h"))?;
    if secs == 0 {
        return Err("the interval must be at least 1s".into());
    }
    Ok(Duration::from_secs(secs))
}
