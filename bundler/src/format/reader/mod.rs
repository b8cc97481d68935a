//! Streaming, bounded bundle reader.
//!
//! The reader walks the archive once, in the order the format fixes, and checks every header and
//! every byte against the bundle manifest before the caller may rely on it. It never reads more
//! than the manifest declares plus tar framing, so a hostile stream cannot make it read (or
//! decompress) without bound, and it holds only the small JSON documents in memory.

mod entry;
mod frames;
mod header;
mod stream;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::digest::Digest;
use super::error::FormatError;
use super::layout::{
    INDEX_ENTRY, MANIFEST_ENTRY, MAX_DOCUMENT_SIZE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_ENTRY,
    SIGNATURE_ENTRY,
};
use super::manifest::BundleManifest;
use super::signature::SigstoreBundle;
use super::signature_shape::parse_signature_document;
use super::timestamp::unix_seconds;
use super::ustar::{padding_len, BLOCK_SIZE};

use entry::EntryState;
pub use entry::{BundleEntry, EntryKind};
pub use frames::ZstdFramingError;
use header::{EntryName, RawHeader};
use stream::{io_error, TarStream};
pub use stream::{ZSTD_MAGIC, ZSTD_WINDOW_LOG_MAX};

/// Everything before the first blob that the caller decides on: the manifest and its signature.
#[derive(Debug, Clone)]
pub struct BundleHead {
    /// Exact bytes of `ferry-bundle.json`: what the signature covers.
    pub manifest_bytes: Vec<u8>,
    pub manifest: BundleManifest,
    /// Exact bytes of `ferry-bundle.sigstore.json`, if the bundle is signed.
    pub signature_bytes: Option<Vec<u8>>,
    pub signature: Option<SigstoreBundle>,
    /// Whether the archive was zstd-compressed.
    pub compressed: bool,
}

/// Whether to go on reading after the head (e.g. `inspect` stops, `import` continues).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadDecision {
    Continue,
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadSummary {
    pub compressed: bool,
    /// True if the head callback asked to stop; nothing after the head was checked then.
    pub stopped: bool,
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Length of the (decompressed) tar stream.
    pub tar_bytes: u64,
}

/// Opens a bundle file for [`read_bundle`], which detects compression itself.
pub fn open_bundle(path: &Path) -> Result<BufReader<File>, FormatError> {
    let file = File::open(path).map_err(|source| FormatError::Open {
        path: path.display().to_string(),
        source,
    })?;
    Ok(BufReader::with_capacity(256 * 1024, file))
}

/// Reads a bundle (plain or zstd tar) from `source`.
///
/// `on_head` sees the parsed manifest and signature before any blob is read; `on_entry` then
/// sees `oci-layout`, `index.json` and every blob in order. An entry the callback does not
/// finish is drained and verified by the reader; any mismatch ends the read with an error.
pub fn read_bundle<R, E, H, F>(source: R, on_head: H, mut on_entry: F) -> Result<ReadSummary, E>
where
    R: Read,
    E: From<FormatError>,
    H: FnOnce(&BundleHead) -> Result<HeadDecision, E>,
    F: FnMut(&BundleHead, BundleEntry<'_>) -> Result<(), E>,
{
    let mut tar = TarStream::detect(source)?;
    let (head, mtime, next) = read_head(&mut tar)?;
    let mut summary = ReadSummary {
        compressed: head.compressed,
        stopped: false,
        blobs: 0,
        blob_bytes: 0,
        tar_bytes: 0,
    };
    if on_head(&head)? == HeadDecision::Stop {
        summary.stopped = true;
        summary.tar_bytes = tar.offset();
        return Ok(summary);
    }

    let layout_digest = Digest::of_bytes(OCI_LAYOUT_CONTENT);
    let layout_size = OCI_LAYOUT_CONTENT.len() as u64;
    let raw = expect_named(next, OCI_LAYOUT_ENTRY)?;
    raw.check(OCI_LAYOUT_ENTRY, layout_size, mtime)?;
    stream_entry(
        &mut tar,
        &head,
        EntryKind::OciLayout,
        &raw,
        layout_digest,
        &mut on_entry,
    )?;

    let index = &head.manifest.index;
    let raw = expect_named(RawHeader::read(&mut tar, INDEX_ENTRY)?, INDEX_ENTRY)?;
    if raw.size > MAX_DOCUMENT_SIZE {
        return Err(too_large(INDEX_ENTRY, raw.size).into());
    }
    raw.check(INDEX_ENTRY, index.size, mtime)?;
    stream_entry(
        &mut tar,
        &head,
        EntryKind::Index,
        &raw,
        index.digest.clone(),
        &mut on_entry,
    )?;

    let blobs = &head.manifest.blobs;
    for (i, expected) in blobs.iter().enumerate() {
        let Some(raw) = RawHeader::read(&mut tar, "the next blob")? else {
            return Err(FormatError::MissingBlobs {
                missing: blobs.len() - i,
                first: expected.digest.clone(),
            }
            .into());
        };
        let digest = match raw.name()? {
            EntryName::Blob(d) => d,
            _ => return Err(out_of_order(&raw.path, "a blob").into()),
        };
        if digest != expected.digest {
            return Err(misplaced_blob(&head.manifest, i, digest).into());
        }
        raw.check(&raw.path, expected.size, mtime)?;
        stream_entry(
            &mut tar,
            &head,
            EntryKind::Blob(digest),
            &raw,
            expected.digest.clone(),
            &mut on_entry,
        )?;
        summary.blobs += 1;
        summary.blob_bytes += expected.size;
    }

    if let Some(raw) = RawHeader::read(&mut tar, "the end of the archive")? {
        return Err(match raw.name()? {
            EntryName::Blob(d) => misplaced_blob(&head.manifest, blobs.len(), d),
            _ => out_of_order(&raw.path, "the end of the archive"),
        }
        .into());
    }
    read_end(&mut tar)?;
    summary.tar_bytes = tar.offset();
    Ok(summary)
}

/// Reads the manifest and the optional signature; returns the header that follows them.
fn read_head<R: Read>(
    tar: &mut TarStream<R>,
) -> Result<(BundleHead, u64, Option<RawHeader>), FormatError> {
    let raw = first_header(tar)?;
    let manifest_bytes = read_document(tar, &raw)?;
    let manifest = BundleManifest::from_slice(&manifest_bytes)?;
    let mtime = unix_seconds(&manifest.created)?;
    raw.check(MANIFEST_ENTRY, raw.size, mtime)?;

    let mut next = RawHeader::read(tar, SIGNATURE_ENTRY)?;
    let mut signature_bytes = None;
    let mut signature = None;
    if let Some(raw) = next.as_ref().filter(|r| r.path == SIGNATURE_ENTRY) {
        let bytes = read_document(tar, raw)?;
        raw.check(SIGNATURE_ENTRY, raw.size, mtime)?;
        signature = Some(parse_signature_document(&bytes)?);
        signature_bytes = Some(bytes);
        next = RawHeader::read(tar, OCI_LAYOUT_ENTRY)?;
    }
    let compressed = tar.is_compressed();
    let head = BundleHead {
        manifest_bytes,
        manifest,
        signature_bytes,
        signature,
        compressed,
    };
    Ok((head, mtime, next))
}

/// The archive's first header, which must be `ferry-bundle.json`. A file that does not even
/// start like a bundle (not tar, an empty tar, some other tar) is named as what it is, rather
/// than described as a damaged bundle.
fn first_header<R: Read>(tar: &mut TarStream<R>) -> Result<RawHeader, FormatError> {
    let not_a_bundle = |reason: String| FormatError::NotABundle { reason };
    let what = if tar.is_compressed() {
        "its zstd stream does not hold a tar archive"
    } else {
        "it is neither a zstd stream nor a tar archive"
    };
    let raw = match RawHeader::read(tar, MANIFEST_ENTRY) {
        Ok(Some(raw)) => raw,
        Ok(None) => return Err(not_a_bundle("it is an empty tar archive".into())),
        Err(FormatError::Truncated { .. }) if tar.offset() == 0 && !tar.is_compressed() => {
            return Err(not_a_bundle("the file is empty".into()))
        }
        Err(FormatError::Truncated { .. }) => {
            return Err(not_a_bundle(format!(
                "{what} (it ends after {} bytes, before the first tar header)",
                tar.offset()
            )))
        }
        Err(FormatError::HeaderChecksum { .. }) => return Err(not_a_bundle(what.into())),
        // Not a single tar byte came out of the zstd stream.
        Err(FormatError::Io { source, .. }) if tar.offset() == 0 && tar.is_compressed() => {
            return Err(not_a_bundle(format!(
                "its zstd stream cannot be read: {source}"
            )))
        }
        // A tar, but not one ferry wrote (GNU or v7 headers), unless it starts like a bundle.
        Err(FormatError::NotUstar { path, .. }) if path != MANIFEST_ENTRY => {
            return Err(not_a_bundle(first_entry(&path)))
        }
        Err(
            FormatError::ExtensionHeader { path, .. } | FormatError::NotRegularFile { path, .. },
        ) => return Err(not_a_bundle(first_entry(&path))),
        Err(other) => return Err(other),
    };
    match raw.name() {
        Ok(_) => {}
        Err(FormatError::UnknownPath { path }) => return Err(not_a_bundle(first_entry(&path))),
        Err(other) => return Err(other),
    }
    expect_named(Some(raw), MANIFEST_ENTRY)
}

fn first_entry(path: &str) -> String {
    format!("its first entry is {path:?}, not {MANIFEST_ENTRY}")
}

/// Reads a small JSON entry whole, after bounding its size.
fn read_document<R: Read>(tar: &mut TarStream<R>, raw: &RawHeader) -> Result<Vec<u8>, FormatError> {
    if raw.size > MAX_DOCUMENT_SIZE {
        return Err(too_large(&raw.path, raw.size));
    }
    let mut bytes = vec![0u8; raw.size as usize];
    tar.read_exact_in(&mut bytes, &raw.path)?;
    skip_padding(tar, &raw.path, raw.size)?;
    Ok(bytes)
}

fn stream_entry<R, E, F>(
    tar: &mut TarStream<R>,
    head: &BundleHead,
    kind: EntryKind,
    raw: &RawHeader,
    expected: Digest,
    on_entry: &mut F,
) -> Result<(), E>
where
    R: Read,
    E: From<FormatError>,
    F: FnMut(&BundleHead, BundleEntry<'_>) -> Result<(), E>,
{
    let mut state = EntryState::new(raw.path.clone(), expected, raw.size);
    on_entry(head, BundleEntry::new(kind, raw.size, &mut state, tar))?;
    state.complete(tar)?;
    skip_padding(tar, &raw.path, raw.size)?;
    Ok(())
}

fn skip_padding<R: Read>(tar: &mut TarStream<R>, path: &str, size: u64) -> Result<(), FormatError> {
    let mut pad = [0u8; BLOCK_SIZE as usize];
    let pad = &mut pad[..padding_len(size) as usize];
    tar.read_exact_in(pad, path)?;
    if pad.iter().any(|b| *b != 0) {
        return Err(FormatError::NonZeroPadding {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// The first zero block was read; the second must follow, and then nothing at all.
fn read_end<R: Read>(tar: &mut TarStream<R>) -> Result<(), FormatError> {
    let mut block = [0u8; BLOCK_SIZE as usize];
    let offset = tar.offset();
    if !tar.read_block(&mut block, "the end of the archive")? {
        return Err(FormatError::Truncated {
            entry: "the end of the archive".into(),
        });
    }
    if block.iter().any(|b| *b != 0) {
        return Err(FormatError::TrailingData { offset });
    }
    let offset = tar.offset();
    let mut one = [0u8; 1];
    // One byte is enough to tell: a stream that keeps expanding is never read further.
    match tar.read(&mut one) {
        Ok(0) => Ok(()),
        Ok(_) => Err(FormatError::TrailingData { offset }),
        Err(source) => Err(io_error("the end of the archive", source)),
    }
}

fn expect_named(raw: Option<RawHeader>, name: &str) -> Result<RawHeader, FormatError> {
    let Some(raw) = raw else {
        return Err(FormatError::Truncated {
            entry: name.to_owned(),
        });
    };
    raw.name()?;
    if raw.path != name {
        return Err(out_of_order(&raw.path, name));
    }
    Ok(raw)
}

fn out_of_order(path: &str, expected: &str) -> FormatError {
    FormatError::OutOfOrder {
        path: path.to_owned(),
        expected: expected.to_owned(),
    }
}

fn too_large(path: &str, size: u64) -> FormatError {
    FormatError::DocumentTooLarge {
        path: path.to_owned(),
        size,
        max: MAX_DOCUMENT_SIZE,
    }
}

/// Explains why blob `digest` is not the one expected at position `at`.
fn misplaced_blob(manifest: &BundleManifest, at: usize, digest: Digest) -> FormatError {
    match manifest.blobs.binary_search_by(|b| b.digest.cmp(&digest)) {
        Ok(j) if j < at => FormatError::DuplicateBlob { digest },
        // Blobs follow the manifest order, so the one expected here is not in its place.
        Ok(_) => FormatError::MissingBlob {
            missing: manifest.blobs[at].digest.clone(),
            found: digest,
        },
        Err(_) => FormatError::UnlistedBlob { digest },
    }
}
