//! `ferry rewrite`: point image references in manifests and Helm values at the mirror.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kubernetes YAML or Helm values files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The mirror's registry address as nodes reach it: HOST:PORT.
    #[arg(long)]
    pub mirror: String,
    /// Rewrite the files in place (atomically) instead of printing them.
    #[arg(long)]
    pub in_place: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    for (n, path) in args.files.iter().enumerate() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let rewritten = ferry_mirror::rewrite::rewrite(&text, &args.mirror)?;
        for c in &rewritten.changes {
            tracing::info!(file = %path.display(), line = c.line, from = %c.from, to = %c.to, "rewritten");
        }
        if args.in_place {
            if rewritten.changes.is_empty() {
                continue;
            }
            let mode = std::fs::metadata(path)
                .with_context(|| format!("cannot stat {}", path.display()))?
                .permissions()
                .mode();
            super::cluster_config::write_atomically(path, rewritten.text.as_bytes(), mode)?;
            eprintln!(
                "{}: {} reference(s) rewritten",
                path.display(),
                rewritten.changes.len()
            );
        } else {
            // Several files print as one YAML stream, one document group per file.
            if n > 0 {
                outln!("---");
            }
            // `out!` quits quietly on a closed stdout (`ferry rewrite ... | head`).
            out!("{}", rewritten.text);
        }
    }
    Ok(ExitCode::SUCCESS)
}
