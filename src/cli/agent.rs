//! `ferry agent`: in a cluster, report what runs there to the appliance every interval;
//! `ferry agent report` writes the same signed report to a file for sneakernet. The work is
//! in `ferry_agent`; this file only turns flags into its types.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ferry_agent::agent::{parse_interval, unix_now, Agent, Reporter};
use ferry_agent::credential::Credential;
use ferry_agent::kube::{ApiServer, Files, Source};
use ferry_agent::state::SequenceState;

#[derive(Debug, clap::Args)]
#[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The appliance's base URL (https://mirror.enclave:5000).
    #[arg(long, env = "FERRY_SERVER", required = true)]
    pub server: Option<String>,
    /// CA certificate (PEM) the appliance's TLS certificate chains to.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Send one report and exit (non-zero if it was not accepted).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write one signed report to a file, for `ferry fleet report import` where no network reaches the appliance.
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// File to write the signed report (JSON) to.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The cluster's credential file, one line cluster/<name>:<secret> (from `ferry fleet cluster add`).
    // An Option only because the parent command's copy is absent when `report` is given;
    // clap requires it wherever it is parsed.
    #[arg(long, env = "FERRY_AGENT_CREDENTIAL", required = true)]
    pub credential: Option<PathBuf>,
    /// File keeping the last sequence number; default: <credential>.state beside the credential.
    #[arg(long, env = "FERRY_AGENT_STATE")]
    pub state: Option<PathBuf>,
    /// How often to report (60s, 5m, 1h); the appliance counts a cluster Offline after missed intervals.
    #[arg(long, default_value = "60s", value_parser = parse_interval)]
    pub interval: Duration,
    /// Kubernetes API URL; without it and --from-dir, the pod's in-cluster service account is used.
    #[arg(long, conflicts_with = "from_dir")]
    pub kube_api: Option<String>,
    /// File holding the bearer token for --kube-api (read again before every report).
    #[arg(long, requires = "kube_api")]
    pub kube_token_file: Option<PathBuf>,
    /// CA certificate (PEM) of the Kubernetes API server for --kube-api.
    #[arg(long, requires = "kube_api")]
    pub kube_ca: Option<PathBuf>,
    /// Read `kubectl get <plural> -A -o json` documents (pods.json, nodes.json, ocirepositories.json, …) from a directory instead of a cluster.
    #[arg(long)]
    pub from_dir: Option<PathBuf>,
}

impl Common {
    fn reporter(&self) -> anyhow::Result<Reporter<Source>> {
        let credential_file = self
            .credential
            .as_deref()
            .context("--credential is required")?;
        let credential = Credential::read(credential_file)?;
        let source = match (&self.from_dir, &self.kube_api) {
            (Some(dir), _) => Source::Files(Files::new(dir)),
            (None, Some(api)) => Source::ApiServer(ApiServer::new(
                api,
                self.kube_token_file.as_deref(),
                self.kube_ca.as_deref(),
            )?),
            (None, None) => Source::ApiServer(ApiServer::in_cluster()?),
        };
        let state = self
            .state
            .clone()
            .unwrap_or_else(|| SequenceState::default_path(credential_file));
        Ok(Reporter::new(
            source,
            credential,
            &state,
            self.interval.as_secs(),
        ))
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(Command::Report(report)) => write_report(report).await,
        None => {
            let server = args.server.context("ferry agent needs --server")?;
            let reporter = args.common.reporter()?;
            let cluster = reporter.credential().cluster.clone();
            let agent = Agent::new(reporter, &server, args.ca.as_deref(), args.common.interval)?;
            tracing::info!(
                cluster = %cluster,
                server = %server,
                interval_seconds = args.common.interval.as_secs(),
                "agent started"
            );
            agent.run(args.once).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn write_report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let reporter = args.common.reporter()?;
    let signed = reporter.next(unix_now()).await?;
    let mut json = serde_json::to_vec_pretty(&signed)?;
    json.push(b'\n');
    std::fs::write(&args.out, json)
        .with_context(|| format!("cannot write the report to {}", args.out.display()))?;
    outln!(
        "wrote report {} of cluster {} to {} ({} pods, {} nodes, {} GitOps objects)",
        signed.report.sequence,
        signed.report.cluster,
        args.out.display(),
        signed.report.pods.len(),
        signed.report.nodes.len(),
        signed.report.gitops.len()
    );
    Ok(ExitCode::SUCCESS)
}
