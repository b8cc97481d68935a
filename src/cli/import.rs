//! `ferry import`: verify a bundle and import it into the store, atomically.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use ferry_bundler::format::{open_bundle, FormatError};
use ferry_mirror::import::{import_bundle, ImportError, ImportEvent, ImportOptions};

use super::appliance::ApplianceArgs;
use super::output::{human_bytes, json_on_error, print_json, OutputFormat};
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
    /// For a bundle already imported: re-hash its blobs in the store and replace any that
    /// `store verify` would report damaged (missing ones are restored by any re-import).
    #[arg(long)]
    pub repair: bool,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let output = args.output;
    json_on_error(output, import(args).await)
}

async fn import(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.appliance.config()?;
    let mut key_paths = config.trusted_keys.clone();
    key_paths.extend(args.trust_keys.iter().cloned());
    let trusted_keys = super::verify::load_keys(&key_paths)?;
    // A bundle that cannot even be opened is a plain failure that touches nothing: checked
    // before the store (and its directory) is created.
    open_bundle(&args.bundle)
        .with_context(|| format!("cannot import {}", args.bundle.display()))?;
    let store = args.appliance.open_or_create_store(&config).await?;
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
        rehash_stored: args.repair,
        progress: Some(Arc::new(progress)),
    };
    let result = import_bundle(&store, &args.bundle, &options).await;
    if let Ok(r) = Arc::try_unwrap(reporter) {
        r.finish();
    }
    let report = result.map_err(|e| {
        let tampered = match &e {
            ImportError::Format(FormatError::Open { .. } | FormatError::NotABundle { .. }) => false,
            ImportError::Signature(_) | ImportError::Format(_) | ImportError::Validation(_) => true,
            _ => false,
        };
        let err = anyhow::Error::new(e).context(format!("cannot import {}", args.bundle.display()));
        if tampered {
            err.context(VerifyFailed)
        } else {
            err
        }
    })?;
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text if report.already_imported && report.blobs_repaired > 0 => {
            outln!(
                "{} is already imported ({}); restored {} blobs the store had lost or damaged",
                args.bundle.display(),
                report.manifest_digest,
                report.blobs_repaired
            )
        }
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
