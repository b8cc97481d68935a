//! `ferry copy`: push a bundle's or a store's content into an existing registry, digests kept.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use ferry_bundler::copy::bundle::{copy_bundle, BundleSource};
use ferry_bundler::copy::files::copy_files;
use ferry_bundler::copy::push::{PushOptions, Pusher};
use ferry_bundler::copy::target::Target;
use ferry_bundler::copy::{CopyError, CopyReport};
use ferry_mirror::store::{Store, StoreError};

use super::output::{human_bytes, json_on_error, print_json, OutputFormat};
use super::VerifyFailed;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A bundle file, or a store's data directory (after `ferry import`).
    pub source: PathBuf,
    /// The registry to push into: docker://HOST[:PORT][/PREFIX]. Repositories keep their
    /// upstream host as the first path component, as `ferry serve` names them.
    pub target: String,
    /// Trusted public key for a bundle's signature (repeatable).
    #[arg(long = "key", visible_alias = "trust-key")]
    pub keys: Vec<PathBuf>,
    /// Copy a bundle without checking its signature (every digest is still checked).
    #[arg(long)]
    pub insecure_skip_signature: bool,
    /// Repository path prefix in the target (after the one in the URL), e.g. a Harbor project.
    #[arg(long)]
    pub prefix: Option<String>,
    /// Speak plain HTTP to the target (loopback targets always do).
    #[arg(long)]
    pub plain_http: bool,
    /// Registry credentials file (docker config.json); default: the usual docker/podman files.
    #[arg(long = "authfile")]
    pub auth_files: Vec<PathBuf>,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let output = args.output;
    json_on_error(output, copy(args).await)
}

async fn copy(args: Args) -> anyhow::Result<ExitCode> {
    let target = Target::parse(&args.target, args.prefix.as_deref())?;
    let options = PushOptions {
        plain_http: args.plain_http,
        credential_files: args.auth_files.clone(),
    };
    let pusher = Arc::new(Pusher::new(target, &options)?);
    let source = args.source.display().to_string();
    let result = if args.source.is_dir() {
        let store = Store::open_existing(&args.source)
            .await
            .with_context(|| format!("cannot open the store at {source}"))?;
        let plan = store.copy_plan().await.map_err(|e| {
            let corrupt = matches!(e, StoreError::DigestMismatch { .. });
            let err = anyhow::Error::new(e).context(format!("cannot read the store at {source}"));
            if corrupt {
                err.context(VerifyFailed)
            } else {
                err
            }
        })?;
        copy_files(&source, &plan, |d| store.blob_path(d), pusher).await
    } else {
        let bundle = BundleSource {
            path: args.source.clone(),
            trusted_keys: super::verify::load_keys(&args.keys)?,
            require_signature: !args.insecure_skip_signature,
        };
        copy_bundle(bundle, pusher).await
    };
    let report = result.map_err(|e| classify(e, &source, &args.target))?;
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_text(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &CopyReport) {
    if let Some(key) = &r.signed_by {
        outln!("signature: ok ({key})");
    }
    outln!(
        "copied {} artifacts ({} repositories) to {}: {} blobs pushed ({}), {} mounted, {} already present; {} manifests pushed, {} already present; {} tags",
        r.artifacts,
        r.repositories,
        r.target,
        r.blobs_pushed,
        human_bytes(r.bytes_pushed),
        r.blobs_mounted,
        r.blobs_present,
        r.manifests_pushed,
        r.manifests_present,
        r.tags
    );
}

/// Tampering (a bad signature, a blob that does not match its digest) exits with 3.
fn classify(e: CopyError, source: &str, target: &str) -> anyhow::Error {
    let tampered = e.is_verification_failure();
    let err = anyhow::Error::new(e).context(format!("cannot copy {source} to {target}"));
    if tampered {
        err.context(VerifyFailed)
    } else {
        err
    }
}
