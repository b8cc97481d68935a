//! Deterministic, streaming bundle writer.
//!
//! The same manifest, index, signature and blobs always give the same archive bytes: headers are
//! canonical (see `format::ustar`), entry order is fixed by the format, and zstd runs with a fixed
//! worker count. The archive is written to a temp file next to the target, fsynced and renamed,
//! so a bundle path either holds a complete archive or nothing.

mod archive_file;
mod blob_source;
mod compression;
mod partial;
mod sink;
pub mod temp_files;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::layout::{
    blob_entry, INDEX_ENTRY, MANIFEST_ENTRY, MAX_DOCUMENT_SIZE, OCI_LAYOUT_CONTENT,
    OCI_LAYOUT_ENTRY, SIGNATURE_ENTRY,
};
use crate::format::timestamp::{unix_seconds, TimestampError};
use crate::format::ustar::{canonical_header, padding_len, BLOCK_SIZE, END_OF_ARCHIVE_LEN};
use crate::format::{
    BlobRef, BundleManifest, Digest, HashingReader, ManifestError, SigstoreBundle,
};

pub use blob_source::{BlobSource, DirBlobSource};
pub use compression::{Compression, CompressionParseError, DEFAULT_ZSTD_LEVEL, ZSTD_WORKERS};
pub use partial::BUNDLE_MODE;
use partial::{partial_owner, Partial};
use sink::{Progress, Sink};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("bundle manifest: {0}")]
    Manifest(#[from] ManifestError),
    #[error("bundle manifest: {0}")]
    Created(#[from] TimestampError),
    #[error("index.json has digest {actual} and {actual_size} bytes but the manifest says {expected} and {expected_size}")]
    IndexMismatch {
        expected: Digest,
        expected_size: u64,
        actual: Digest,
        actual_size: u64,
    },
    #[error("{entry} is {size} bytes, more than the {max} bytes a bundle document may have")]
    DocumentTooLarge {
        entry: &'static str,
        size: u64,
        max: u64,
    },
    #[error("signature document is not a sigstore bundle: {0}")]
    Signature(#[source] serde_json::Error),
    #[error("cannot write bundle {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot read blob {digest}: {source}")]
    ReadBlob {
        digest: Digest,
        #[source]
        source: io::Error,
    },
    #[error(
        "blob {digest} has {actual} bytes in the blob source but the manifest says {expected}"
    )]
    BlobSize {
        digest: Digest,
        expected: u64,
        actual: String,
    },
    #[error("blob source returned bytes with digest {actual} for blob {digest}")]
    BlobDigest { digest: Digest, actual: Digest },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteSummary {
    pub path: PathBuf,
    /// sha256 of the archive file as written (compressed if compressed).
    pub sha256: Digest,
    pub size: u64,
    /// Length of the uncompressed tar stream.
    pub tar_bytes: u64,
}

/// Length of the tar stream for these documents: what `progress` counts up to.
pub fn tar_size(manifest: &BundleManifest, manifest_len: u64, signature_len: Option<u64>) -> u64 {
    let entry = |size: u64| BLOCK_SIZE + size + padding_len(size);
    entry(manifest_len)
        + signature_len.map_or(0, entry)
        + entry(OCI_LAYOUT_CONTENT.len() as u64)
        + entry(manifest.index.size)
        + manifest.blobs.iter().map(|b| entry(b.size)).sum::<u64>()
        + END_OF_ARCHIVE_LEN
}

/// Writes the bundle to `out_path` (replacing any file there only once it is complete).
/// `progress` receives the number of tar bytes written so far (see [`tar_size`]).
pub fn write_bundle(
    out_path: &Path,
    manifest: &BundleManifest,
    index_json: &[u8],
    signature: Option<&[u8]>,
    blobs: &dyn BlobSource,
    compression: Compression,
    progress: &dyn Fn(u64),
) -> Result<WriteSummary, WriteError> {
    manifest.check()?;
    unix_seconds(&manifest.created)?;
    let manifest_bytes = manifest.to_vec();
    check_documents(manifest, &manifest_bytes, index_json, signature)?;

    let io_err = |source: io::Error| WriteError::Io {
        path: out_path.display().to_string(),
        source,
    };
    let dir = match out_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let stale = temp_files::remove_stale(dir, partial_owner);
    if !stale.is_empty() {
        tracing::info!(dir = %dir.display(), files = ?stale, "removed partial bundles of interrupted builds");
    }
    // Dropping the temp file on any error below deletes it: nothing half-written stays behind.
    let temp = Partial::create(dir).map_err(io_err)?;
    let (sha256, size, tar_bytes) = write_archive(
        &temp.file,
        manifest,
        &manifest_bytes,
        index_json,
        signature,
        blobs,
        compression,
        progress,
        &io_err,
    )?;
    temp.persist(out_path).map_err(io_err)?;
    sync_dir(dir).map_err(io_err)?;
    Ok(WriteSummary {
        path: out_path.to_owned(),
        sha256,
        size,
        tar_bytes,
    })
}

/// Writes the whole tar stream into `file`; returns the archive digest, size and tar length.
#[allow(clippy::too_many_arguments)]
fn write_archive(
    file: &File,
    manifest: &BundleManifest,
    manifest_bytes: &[u8],
    index_json: &[u8],
    signature: Option<&[u8]>,
    blobs: &dyn BlobSource,
    compression: Compression,
    progress: &dyn Fn(u64),
    io_err: &dyn Fn(io::Error) -> WriteError,
) -> Result<(Digest, u64, u64), WriteError> {
    let mtime = unix_seconds(&manifest.created)?;
    let mut tar = Progress {
        inner: Sink::new(file, compression).map_err(io_err)?,
        written: 0,
        report: progress,
    };
    let mut documents: Vec<(&str, &[u8])> = vec![(MANIFEST_ENTRY, manifest_bytes)];
    documents.extend(signature.map(|s| (SIGNATURE_ENTRY, s)));
    documents.push((OCI_LAYOUT_ENTRY, OCI_LAYOUT_CONTENT));
    documents.push((INDEX_ENTRY, index_json));
    for (path, bytes) in documents {
        write_header(&mut tar, path, bytes.len() as u64, mtime).map_err(io_err)?;
        tar.write_all(bytes).map_err(io_err)?;
        write_padding(&mut tar, bytes.len() as u64).map_err(io_err)?;
    }
    for blob in &manifest.blobs {
        let read_err = |source| WriteError::ReadBlob {
            digest: blob.digest.clone(),
            source,
        };
        let mut reader = blobs.open(&blob.digest).map_err(read_err)?;
        // Peek at the first bytes to pick the frame level; they are re-read through the chain.
        let mut prefix = Vec::with_capacity(6);
        (&mut reader)
            .take(6)
            .read_to_end(&mut prefix)
            .map_err(read_err)?;
        tar.inner
            .prepare_for(sink::is_precompressed(&prefix))
            .map_err(io_err)?;
        let verify = !blobs.verified_in_this_process(&blob.digest);
        write_blob(
            &mut tar,
            blob,
            io::Cursor::new(prefix).chain(reader),
            verify,
            mtime,
            io_err,
        )?;
    }
    tar.write_all(&[0u8; END_OF_ARCHIVE_LEN as usize])
        .map_err(io_err)?;
    let tar_bytes = tar.written;
    let (sha256, size) = tar.inner.finish().map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok((sha256, size, tar_bytes))
}

/// Refuses documents the reader would refuse, before any byte is written.
fn check_documents(
    manifest: &BundleManifest,
    manifest_bytes: &[u8],
    index_json: &[u8],
    signature: Option<&[u8]>,
) -> Result<(), WriteError> {
    let sizes = [
        (MANIFEST_ENTRY, manifest_bytes.len()),
        (INDEX_ENTRY, index_json.len()),
        (SIGNATURE_ENTRY, signature.map_or(0, <[u8]>::len)),
    ];
    for (entry, size) in sizes {
        if size as u64 > MAX_DOCUMENT_SIZE {
            return Err(WriteError::DocumentTooLarge {
                entry,
                size: size as u64,
                max: MAX_DOCUMENT_SIZE,
            });
        }
    }
    let actual = Digest::of_bytes(index_json);
    if actual != manifest.index.digest || index_json.len() as u64 != manifest.index.size {
        return Err(WriteError::IndexMismatch {
            expected: manifest.index.digest.clone(),
            expected_size: manifest.index.size,
            actual,
            actual_size: index_json.len() as u64,
        });
    }
    if let Some(sig) = signature {
        serde_json::from_slice::<SigstoreBundle>(sig).map_err(WriteError::Signature)?;
    }
    Ok(())
}

/// Streams one blob from the source, re-hashing it unless `verify` is off; a short or long blob
/// is refused, and so is an altered one when hashed.
fn write_blob<W: Write>(
    tar: &mut W,
    blob: &BlobRef,
    source: impl Read,
    verify: bool,
    mtime: u64,
    io_err: &dyn Fn(io::Error) -> WriteError,
) -> Result<(), WriteError> {
    write_header(tar, &blob_entry(&blob.digest), blob.size, mtime).map_err(io_err)?;
    let actual = if verify {
        let mut reader = HashingReader::new(source);
        copy_blob(&mut reader, tar, blob, io_err)?;
        Some(reader.finish().0)
    } else {
        let mut source = source;
        copy_blob(&mut source, tar, blob, io_err)?;
        None
    };
    if let Some(actual) = actual.filter(|a| a != &blob.digest) {
        return Err(WriteError::BlobDigest {
            digest: blob.digest.clone(),
            actual,
        });
    }
    write_padding(tar, blob.size).map_err(io_err)
}

/// Copies exactly the blob's size, refusing a source with fewer or more bytes.
fn copy_blob<R: Read, W: Write>(
    reader: &mut R,
    tar: &mut W,
    blob: &BlobRef,
    io_err: &dyn Fn(io::Error) -> WriteError,
) -> Result<(), WriteError> {
    let read_err = |source| WriteError::ReadBlob {
        digest: blob.digest.clone(),
        source,
    };
    let copied = copy_exact(reader, tar, blob.size, &read_err, io_err)?;
    if copied < blob.size {
        return Err(WriteError::BlobSize {
            digest: blob.digest.clone(),
            expected: blob.size,
            actual: copied.to_string(),
        });
    }
    if reader.read(&mut [0u8; 1]).map_err(read_err)? != 0 {
        return Err(WriteError::BlobSize {
            digest: blob.digest.clone(),
            expected: blob.size,
            actual: "more".into(),
        });
    }
    Ok(())
}

/// Copies at most `limit` bytes, keeping read errors and write errors apart.
fn copy_exact<R: Read, W: Write>(
    reader: &mut R,
    writer: &mut W,
    limit: u64,
    read_err: &dyn Fn(io::Error) -> WriteError,
    write_err: &dyn Fn(io::Error) -> WriteError,
) -> Result<u64, WriteError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut copied = 0u64;
    while copied < limit {
        let want = buf
            .len()
            .min(usize::try_from(limit - copied).unwrap_or(usize::MAX));
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e)),
        };
        writer.write_all(&buf[..n]).map_err(write_err)?;
        copied += n as u64;
    }
    Ok(copied)
}

fn write_header<W: Write>(tar: &mut W, path: &str, size: u64, mtime: u64) -> io::Result<()> {
    let header = canonical_header(path, size, mtime)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    tar.write_all(header.as_bytes())
}

fn write_padding<W: Write>(tar: &mut W, size: u64) -> io::Result<()> {
    tar.write_all(&[0u8; BLOCK_SIZE as usize][..padding_len(size) as usize])
}

/// Makes the rename durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
