//! The streaming phase of an import (blocking I/O): the head decision, then every blob verified
//! into the store. Nothing here touches the database, so nothing here can make content visible.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use ferry_bundler::format::signature::verify_signature;
use ferry_bundler::format::validate::check_manifest;
use ferry_bundler::format::{
    open_bundle, read_bundle, BundleEntry, BundleHead, BundleManifest, Digest, EntryKind,
    HeadDecision, SignatureError,
};

use super::pipeline::{self, Pipeline};
use super::{available_space, ImportError, ImportEvent, ImportOptions};
use crate::store::{Store, StoreError};

/// What the streaming phase established, for the recording phase.
pub(super) struct Streamed {
    pub manifest: BundleManifest,
    pub manifest_bytes: Vec<u8>,
    pub manifest_digest: Digest,
    pub signed_by: Option<String>,
    pub already_imported: bool,
    /// Blobs of an already imported bundle that were missing or damaged and were written again.
    pub blobs_repaired: usize,
    pub blobs_written: usize,
    pub blobs_reused: usize,
    pub bytes_written: u64,
}

pub(super) fn stream_bundle(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    active_bundles: &BTreeSet<Digest>,
) -> Result<Streamed, ImportError> {
    let emit = |event: ImportEvent| {
        if let Some(progress) = &options.progress {
            progress(&event);
        }
    };
    let mut accepted: Option<Streamed> = None;
    let mut written = (0usize, 0usize, 0u64);
    // For a bundle already imported: the blobs the store lost or holds damaged.
    let repair: std::cell::RefCell<BTreeSet<Digest>> = Default::default();
    let bundle = open_bundle(path)?;
    pipeline::run(store, options, |pipe| {
        read_bundle::<_, ImportError, _, _>(
            bundle,
            |head| {
                let signed_by = check_signature(head, options, path)?;
                let manifest_digest = Digest::of_bytes(&head.manifest_bytes);
                let already_imported = active_bundles.contains(&manifest_digest);
                if already_imported {
                    let damaged = damaged_blobs(store, head, options.rehash_stored)?;
                    *repair.borrow_mut() = damaged;
                    let repair = repair.borrow();
                    if !repair.is_empty() {
                        tracing::warn!(bundle = %manifest_digest, blobs = repair.len(), "the store lost or damaged blobs of this imported bundle; restoring them");
                        emit(ImportEvent::HeadAccepted {
                            manifest_digest: manifest_digest.clone(),
                            blobs: repair.len(),
                            total_bytes: repair_size(head, &repair),
                        });
                    }
                } else {
                    check_manifest(&head.manifest)?;
                    check_external(store, &head.manifest)?;
                    check_space(store, &head.manifest)?;
                    emit(ImportEvent::HeadAccepted {
                        manifest_digest: manifest_digest.clone(),
                        blobs: head.manifest.blobs.len(),
                        total_bytes: head.manifest.total_blob_size(),
                    });
                }
                accepted = Some(Streamed {
                    manifest: head.manifest.clone(),
                    manifest_bytes: head.manifest_bytes.clone(),
                    manifest_digest,
                    signed_by,
                    already_imported,
                    blobs_repaired: 0,
                    blobs_written: 0,
                    blobs_reused: 0,
                    bytes_written: 0,
                });
                Ok(if already_imported && repair.borrow().is_empty() {
                    HeadDecision::Stop
                } else {
                    HeadDecision::Continue
                })
            },
            |_, entry| {
                // `oci-layout` and `index.json` are verified by the reader and not needed afterwards.
                let EntryKind::Blob(digest) = entry.kind().clone() else {
                    return Ok(());
                };
                // A stored copy of the wrong size (damaged outside ferry) is replaced, not trusted;
                // so is one a repair found damaged. A re-import writes nothing else.
                let reused = match &*repair.borrow() {
                    r if r.is_empty() => store.blob_size(&digest)? == Some(entry.size()),
                    r => !r.contains(&digest),
                };
                emit(ImportEvent::BlobStarted {
                    digest: digest.clone(),
                    size: entry.size(),
                    reused,
                });
                if reused {
                    // Still read and verified by the reader; refresh the mtime so a concurrent `gc`
                    // (which spares young blobs) does not remove it before this import commits.
                    store.touch_blob(&digest)?;
                    entry.finish()?;
                    pipe.reused(digest)?;
                    written.1 += 1;
                } else {
                    written.2 += store_blob(store, digest, entry, pipe)?;
                    written.0 += 1;
                }
                Ok(())
            },
        )
    })?;
    let Some(mut streamed) = accepted else {
        return Err(ImportError::Aborted {
            path: path.to_path_buf(),
            reason: "the bundle head was never read".into(),
        });
    };
    (
        streamed.blobs_written,
        streamed.blobs_reused,
        streamed.bytes_written,
    ) = written;
    let manifest_repaired = repair.borrow().contains(&streamed.manifest_digest);
    if streamed.already_imported {
        streamed.blobs_repaired = streamed.blobs_written + usize::from(manifest_repaired);
    }
    if !streamed.already_imported || manifest_repaired {
        // Kept for audit: the exact signed document, under its own digest.
        let mut w = store.blob_writer()?;
        w.write_all(&streamed.manifest_bytes)
            .map_err(|e| StoreError::io(store.tmp_dir(), e))?;
        w.commit(
            &streamed.manifest_digest,
            Some(streamed.manifest_bytes.len() as u64),
        )?;
    }
    Ok(streamed)
}

/// The blobs of an imported bundle (its signed manifest included) that the store no longer holds
/// whole: missing or of the wrong size, or, with `rehash`, whose bytes no longer hash to their
/// digest (what `store verify` reports).
fn damaged_blobs(
    store: &Store,
    head: &BundleHead,
    rehash: bool,
) -> Result<BTreeSet<Digest>, ImportError> {
    let manifest_digest = Digest::of_bytes(&head.manifest_bytes);
    let wanted = head
        .manifest
        .blobs
        .iter()
        .map(|b| (&b.digest, b.size))
        .chain([(&manifest_digest, head.manifest_bytes.len() as u64)]);
    let mut damaged = BTreeSet::new();
    for (digest, size) in wanted {
        let whole = store.blob_size(digest)? == Some(size)
            && (!rehash || rehashes_to(&store.blob_path(digest), digest)?);
        if !whole {
            damaged.insert(digest.clone());
        }
    }
    Ok(damaged)
}

fn rehashes_to(path: &Path, digest: &Digest) -> Result<bool, StoreError> {
    let (actual, _) = Digest::of_file(path).map_err(|e| StoreError::io(path, e))?;
    Ok(&actual == digest)
}

fn repair_size(head: &BundleHead, repair: &BTreeSet<Digest>) -> u64 {
    head.manifest
        .blobs
        .iter()
        .filter(|b| repair.contains(&b.digest))
        .map(|b| b.size)
        .sum()
}

/// Signature first: the head is trusted only if it verifies with a trusted key, unless the
/// operator explicitly chose to skip that.
fn check_signature(
    head: &BundleHead,
    options: &ImportOptions,
    path: &Path,
) -> Result<Option<String>, ImportError> {
    let verified = match &head.signature {
        None => Err(ImportError::Signature(SignatureError::Unsigned)),
        Some(_) if options.trusted_keys.is_empty() => Err(ImportError::NoTrustedKeys),
        Some(sig) => verify_signature(&head.manifest_bytes, sig, &options.trusted_keys)
            .map(|key| key.name().to_owned())
            .map_err(ImportError::from),
    };
    match verified {
        Ok(name) => Ok(Some(name)),
        Err(e) if options.insecure_skip_signature => {
            tracing::warn!(bundle = %path.display(), reason = %e, "importing WITHOUT a verified signature (--insecure-skip-signature)");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A delta bundle builds on blobs the store must already hold.
fn check_external(store: &Store, manifest: &BundleManifest) -> Result<(), ImportError> {
    for blob in &manifest.external_blobs {
        if store.blob_size(&blob.digest)? != Some(blob.size) {
            return Err(ImportError::MissingExternalBlob {
                digest: blob.digest.clone(),
                size: blob.size,
            });
        }
    }
    Ok(())
}

/// Refuses before anything is written if the blobs the store lacks do not fit.
fn check_space(store: &Store, manifest: &BundleManifest) -> Result<(), ImportError> {
    let mut needed: u64 = 0;
    for blob in &manifest.blobs {
        if store.blob_size(&blob.digest)? != Some(blob.size) {
            needed = needed.saturating_add(blob.size);
        }
    }
    let available = available_space(store.root())?;
    if needed > available {
        return Err(ImportError::InsufficientSpace {
            path: store.root().to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

/// Streams one blob into the store through the pipeline; published only after the reader
/// verified every byte of it against the signed manifest (the writer does not hash the same
/// bytes a second time).
fn store_blob(
    store: &Store,
    digest: Digest,
    mut entry: BundleEntry<'_>,
    pipe: &Pipeline,
) -> Result<u64, ImportError> {
    let size = entry.size();
    // The head's check counted the whole bundle, but space can go since (or a repair skipped that
    // check): a blob that cannot fit is refused before a byte of it is staged.
    let available = available_space(&store.tmp_dir())?;
    if size > available {
        return Err(ImportError::BlobDoesNotFit {
            digest,
            size,
            available,
            path: store.tmp_dir(),
        });
    }
    pipe.start(store.blob_writer()?.without_hashing(), digest)?;
    loop {
        let mut buf = pipe.buffer();
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // `finish` below re-reads and reports the precise reason (truncation, bad zstd frame);
            // should it somehow succeed, the writer's length check refuses the partial copy.
            Err(_) => break,
        };
        pipe.write(buf, n)?;
    }
    let verified = entry.finish()?;
    pipe.finish(verified, size)?;
    Ok(size)
}
