//! `ferry import`: verify a bundle and import it into the store, atomically.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use ferry_mirror::import::{import_bundle, ImportError, ImportEvent, ImportOptions};

use super::appliance::ApplianceArgs;
use super::output::{human_bytes, print_json, OutputFormat};
use super::progress::Reporter;
use super::VerifyFailed;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle file.
    pub bundle: PathBuf,
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// Trusted public key (repeatable); adds to `trustedKeys` from the configuration file.
    #[arg(long = "trust-key")]
    pub trust_keys: Vec<PathBuf>,
    /// Import unsigned bundles or bundles signed by unknown keys. Logged as a warning.
    #[arg(long)]
    pub insecure_skip_signature: bool,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.appliance.config()?;
    let store = args.appliance.open_store(&config).await?;
    let mut key_paths = config.trusted_keys.clone();
    key_paths.extend(args.trust_keys.iter().cloned());
    let trusted_keys = super::verify::load_keys(&key_paths)?;
    let reporter = Arc::new(Reporter::default());
    let progress_reporter = reporter.clone();
    let written = std::sync::atomic::AtomicU64::new(0);
    let total = std::sync::atomic::AtomicU64::new(0);
    let progress = move |e: &ImportEvent| {
        use std::sync::atomic::Ordering::Relaxed;
        match e {
            ImportEvent::HeadAccepted { total_bytes, .. } => total.store(*total_bytes, Relaxed),
            ImportEvent::BlobStarted { size, .. } => {
                let done = written.fetch_add(*size, Relaxed);
                progress_reporter.update("import", done, total.load(Relaxed));
            }
            _ => {}
        }
    };
    let options = ImportOptions {
        trusted_keys,
        insecure_skip_signature: args.insecure_skip_signature,
        progress: Some(Arc::new(progress)),
    };
    let result = import_bundle(&store, &args.bundle, &options).await;
    if let Ok(r) = Arc::try_unwrap(reporter) {
        r.finish();
    }
    let report = result.map_err(|e| {
        let tampered = matches!(e, ImportError::Signature(_) | ImportError::Format(_));
        let err = anyhow::Error::new(e).context(format!("cannot import {}", args.bundle.display()));
        if tampered {
            err.context(VerifyFailed)
        } else {
            err
        }
    })?;
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text if report.already_imported => {
            outln!(
                "{} is already imported ({}); nothing to do",
                args.bundle.display(),
                report.manifest_digest
            )
        }
        OutputFormat::Text => {
            match &report.signed_by {
                Some(k) => outln!("signature: ok ({k})"),
                None => outln!("signature: not checked (--insecure-skip-signature)"),
            }
            outln!(
                "imported {}: {} artifacts, {} blobs ({} new, {}; {} already in the store), {} tags",
                report.manifest_digest,
                report.artifacts,
                report.blobs,
                report.blobs_written,
                human_bytes(report.bytes_written),
                report.blobs_reused,
                report.tags_set
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
