//! The bundle format: types, reader and verifier.
//!
//! This module is the trusted core that both sides share (like kube-core): it does no network
//! I/O, and everything it accepts has been checked against a sha256 it was told in advance.

pub mod digest;
pub mod layout;
pub mod manifest;

pub use digest::{Digest, DigestError, Hasher, HashingReader, HashingWriter};
pub use manifest::{
    Artifact, ArtifactKind, Attached, BlobRef, BundleKind, BundleManifest, LayerEntry,
    ManifestError, OmittedChild, ProfileEntry, Provenance,
};
