//! Why a bundle archive was refused.

use super::digest::Digest;
use super::manifest::ManifestError;
use super::timestamp::TimestampError;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("cannot open bundle {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("reading bundle at {entry}: {source}")]
    Io {
        entry: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a ferry bundle: {reason}")]
    NotABundle { reason: String },
    #[error("bundle is truncated: it ends inside {entry}")]
    Truncated { entry: String },
    #[error("tar header at offset {offset} ({position}) is damaged: its checksum does not match")]
    HeaderChecksum { offset: u64, position: String },
    #[error("tar header at offset {offset} ({path:?}) is not a ustar header")]
    NotUstar { offset: u64, path: String },
    #[error("tar entry {path:?} is a {kind} extension header; bundles contain ustar headers only")]
    ExtensionHeader { path: String, kind: char },
    #[error("tar entry {path:?} is not a regular file (type {kind:?}); bundles contain regular files only")]
    NotRegularFile { path: String, kind: char },
    #[error("tar entry {path:?} is not a bundle entry name")]
    UnknownPath { path: String },
    #[error("tar entry {path:?} is out of order: expected {expected}")]
    OutOfOrder { path: String, expected: String },
    #[error("tar header of {path} is not the canonical ferry header (mode 0644, uid/gid 0, no user names, mtime of the manifest)")]
    NonCanonicalHeader { path: String },
    #[error("{path} is {size} bytes, more than the {max} bytes a bundle document may have")]
    DocumentTooLarge { path: String, size: u64, max: u64 },
    #[error("ferry-bundle.json: {0}")]
    Manifest(#[from] ManifestError),
    #[error("ferry-bundle.json: {0}")]
    Created(#[from] TimestampError),
    #[error(transparent)]
    SignatureDocument(#[from] super::signature_shape::SignatureShapeError),
    #[error("blob {digest} is in the archive but not listed in the bundle manifest")]
    UnlistedBlob { digest: Digest },
    #[error("blob {digest} appears more than once in the archive")]
    DuplicateBlob { digest: Digest },
    #[error("blob {missing} listed in the bundle manifest is missing from the archive where the manifest order puts it: blob {found} comes there instead (a reader cannot tell whether {missing} is absent or comes later; the writer never reorders)")]
    MissingBlob { missing: Digest, found: Digest },
    #[error("{path} is {actual} bytes but the bundle manifest says {expected}")]
    SizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("{path} has digest {actual} but the bundle manifest says {expected}")]
    DigestMismatch {
        path: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("blob {first} listed in the bundle manifest is missing from the archive: the archive ends before it ({missing} listed blob(s) missing)")]
    MissingBlobs { missing: usize, first: Digest },
    #[error("padding after {path} is not zero")]
    NonZeroPadding { path: String },
    #[error("bundle has data after the end of the tar archive at offset {offset}")]
    TrailingData { offset: u64 },
    #[error("{0}")]
    ZstdFraming(#[from] super::reader::ZstdFramingError),
    #[error("entry {path} was left unverified after an earlier read error")]
    EntryFailed { path: String },
}
