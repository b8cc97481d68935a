//! `verify`: the signature first, then every byte of the archive, streaming.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::digest::Digest;
use super::document::{DocumentError, OciDocument, MAX_MANIFEST_SIZE};
use super::error::FormatError;
use super::manifest::BundleKind;
use super::reader::{open_bundle, read_bundle, BundleEntry, EntryKind, HeadDecision};
use super::signature::{verify_signature, SignatureError, TrustedKey};
use super::validate::{check_documents, check_manifest, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("a signature is required but no trusted public key was given")]
    NoTrustedKeys,
}

/// The signature check every reader of a bundle makes (`verify`, `copy`) before any blob is
/// read: a present signature must verify with one of `trusted_keys` when any are given, and an
/// unsigned bundle is refused when a signature is required. The key's name, if one verified.
pub fn check_head_signature(
    head: &super::reader::BundleHead,
    trusted_keys: &[TrustedKey],
    require_signature: bool,
) -> Result<Option<String>, SignatureError> {
    match &head.signature {
        Some(sig) if !trusted_keys.is_empty() => Ok(Some(
            verify_signature(&head.manifest_bytes, sig, trusted_keys)?
                .name()
                .to_owned(),
        )),
        None if require_signature => Err(SignatureError::Unsigned),
        _ => Ok(None),
    }
}

/// What `verify` checked, for people and for `--output json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The bundle file, as given.
    #[serde(rename = "path")]
    pub bundle: String,
    pub compressed: bool,
    /// Name (path) of the trusted key the signature verified with; `None` if unsigned or unchecked.
    pub signed_by: Option<String>,
    /// True if the bundle carries a signature, whether or not it was checked.
    pub signature_present: bool,
    /// sha256 of `ferry-bundle.json`: the bundle's identity (`digest` in every JSON document).
    #[serde(rename = "digest")]
    pub manifest_digest: Digest,
    pub kind: BundleKind,
    /// When the bundle was built (RFC 3339 UTC, from its manifest).
    #[serde(rename = "createdAt")]
    pub created: String,
    pub generator: String,
    pub profiles: usize,
    pub artifacts: usize,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub external_blobs: usize,
    pub tar_bytes: u64,
}

/// Verifies the bundle at `path`. With trusted keys a present signature must verify with one of
/// them; `require_signature` refuses unsigned bundles. The manifest is then validated as
/// `import` validates it ([`super::validate`]), every blob is hashed and checked, and the OCI
/// documents among them are followed.
pub fn verify_bundle(
    path: &Path,
    trusted_keys: &[TrustedKey],
    require_signature: bool,
) -> Result<VerifyReport, VerifyError> {
    if require_signature && trusted_keys.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    let mut report = None;
    let mut manifest = None;
    // Every carried blob small enough to be a manifest, parsed (or why it is not a document):
    // which of them are documents is only known once the indexes among them are read.
    let mut documents: HashMap<Digest, Result<OciDocument, DocumentError>> = HashMap::new();
    let summary = read_bundle::<_, VerifyError, _, _>(
        open_bundle(path)?,
        |head| {
            let signed_by = check_head_signature(head, trusted_keys, require_signature)?;
            let m = &head.manifest;
            check_manifest(m)?;
            manifest = Some(m.clone());
            report = Some(VerifyReport {
                bundle: path.display().to_string(),
                compressed: head.compressed,
                signed_by,
                signature_present: head.signature.is_some(),
                manifest_digest: Digest::of_bytes(&head.manifest_bytes),
                kind: m.kind,
                created: m.created.clone(),
                generator: m.generator.clone(),
                profiles: m.profiles.len(),
                artifacts: m.artifacts.len(),
                blobs: 0,
                blob_bytes: 0,
                external_blobs: m.external_blobs.len(),
                tar_bytes: 0,
            });
            Ok(HeadDecision::Continue)
        },
        |_, entry| {
            if let EntryKind::Blob(digest) = entry.kind().clone() {
                let document = read_document(&digest, entry)?;
                documents.insert(digest, document);
            } else {
                entry.finish()?;
            }
            Ok(())
        },
    )?;
    let mut report = report.ok_or_else(|| FormatError::Truncated {
        entry: "ferry-bundle.json".into(),
    })?;
    if let Some(manifest) = manifest {
        check_documents::<VerifyError>(&manifest, |digest| {
            match documents.remove(digest) {
                Some(parsed) => Ok(parsed.map_err(ValidationError::from)?),
                // Every carried blob was read above, and only carried ones are loaded.
                None => Err(ValidationError::Missing {
                    referenced_by: "the bundle manifest".into(),
                    digest: digest.clone(),
                }
                .into()),
            }
        })?;
    }
    report.blobs = summary.blobs;
    report.blob_bytes = summary.blob_bytes;
    report.tar_bytes = summary.tar_bytes;
    Ok(report)
}

/// Reads a verified blob whole if it may be a manifest and parses it; a larger blob is only
/// verified, and is too large to be a document.
fn read_document(
    digest: &Digest,
    mut entry: BundleEntry<'_>,
) -> Result<Result<OciDocument, DocumentError>, FormatError> {
    if entry.size() > MAX_MANIFEST_SIZE {
        let size = entry.size();
        entry.finish()?;
        return Ok(Err(DocumentError::TooLarge {
            digest: digest.clone(),
            size,
        }));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    // A read error is reported, precisely, by `finish`.
    let read = entry.read_to_end(&mut bytes);
    entry.finish()?;
    read.map_err(|source| FormatError::Io {
        entry: super::layout::blob_entry(digest),
        source,
    })?;
    Ok(OciDocument::parse(digest, &bytes))
}
