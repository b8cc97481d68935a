//! `ferry verify`: offline; the signature first, then every blob's digest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_bundler::format::{verify_bundle, FormatError, TrustedKey, VerifyError};

use super::output::{human_bytes, json_on_error, print_json, OutputFormat};
use super::VerifyFailed;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle file.
    pub bundle: PathBuf,
    /// Trusted public key (repeatable); the signature must verify with one of them.
    #[arg(long = "key", required_unless_present = "insecure_skip_signature")]
    pub keys: Vec<PathBuf>,
    /// Check every digest but not the signature.
    #[arg(long)]
    pub insecure_skip_signature: bool,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let output = args.output;
    json_on_error(output, verify(args))
}

fn verify(args: Args) -> anyhow::Result<ExitCode> {
    let keys = load_keys(&args.keys)?;
    let report = verify_bundle(&args.bundle, &keys, !args.insecure_skip_signature)
        .map_err(|e| classify(e, &args.bundle))?;
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            match &report.signed_by {
                Some(key) => outln!("signature: ok (verified with {key})"),
                None if report.signature_present => outln!("signature: present, not checked"),
                None => outln!("signature: none (unsigned bundle)"),
            }
            outln!(
                "blobs: ok ({} blobs, {}, every sha256 checked)",
                report.blobs,
                human_bytes(report.blob_bytes)
            );
            outln!(
                "manifest {} ({} artifacts, {} profiles)",
                report.manifest_digest,
                report.artifacts,
                report.profiles
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn load_keys(paths: &[PathBuf]) -> anyhow::Result<Vec<TrustedKey>> {
    paths
        .iter()
        .map(|p| {
            TrustedKey::from_file(p)
                .with_context(|| format!("cannot load public key {}", p.display()))
        })
        .collect()
}

/// Tampering and bad signatures exit with 3; a file that cannot be opened, or is not a bundle at
/// all, is an ordinary failure.
fn classify(e: VerifyError, bundle: &std::path::Path) -> anyhow::Error {
    let is_io = matches!(
        &e,
        VerifyError::Format(FormatError::Open { .. } | FormatError::NotABundle { .. })
    );
    let err = anyhow::Error::new(e).context(format!("{} does not verify", bundle.display()));
    if is_io {
        err
    } else {
        err.context(VerifyFailed)
    }
}
