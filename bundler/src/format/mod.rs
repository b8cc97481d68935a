//! The bundle format: types, reader and verifier.
//!
//! This module is the trusted core that both sides share (like kube-core): it does no network
//! I/O, and everything it accepts has been checked against a sha256 it was told in advance.

pub mod digest;
pub mod document;
pub mod error;
pub mod host;
pub mod layout;
pub mod manifest;
pub mod names;
pub mod profile_definition;
pub mod reader;
pub mod report;
pub mod signature;
pub mod signature_shape;
pub mod timestamp;
pub mod units;
pub mod ustar;
pub mod validate;
pub mod verify;

pub use digest::{Digest, DigestError, Hasher, HashingReader, HashingWriter};
pub use error::FormatError;
pub use manifest::{
    Artifact, ArtifactKind, Attached, BlobRef, BundleKind, BundleManifest, LayerEntry,
    ManifestError, OmittedChild, ProfileEntry, Provenance,
};
pub use reader::{
    open_bundle, read_bundle, BundleEntry, BundleHead, EntryKind, HeadDecision, ReadSummary,
};
pub use signature::{verify_signature, SignatureError, SigstoreBundle, TrustedKey};
pub use signature_shape::{parse_signature_document, SignatureShapeError};
pub use verify::{check_head_signature, verify_bundle, VerifyError, VerifyReport};
