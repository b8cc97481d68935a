//! `ferry copy`: push a bundle's or a store's content into an existing registry (Harbor, Quay,
//! distribution), keeping every digest, the way Hauler's `store copy` and oc-mirror's
//! disk-to-mirror do.
//!
//! - [`plan`] (no network): what goes where: blobs, manifests in push order, tags;
//! - [`target`]: `docker://HOST[/PREFIX]` and the repository mapping;
//! - [`push`]: HEAD before upload (resume), cross-repository mounts, chunked uploads committed
//!   with `?digest=` only after the source verified the last byte;
//! - [`bundle`]: a bundle as the source, streamed twice through the format reader (once to
//!   learn its manifests, once to send its blobs), every byte checked against the signed manifest;
//! - [`files`]: blobs from files named by digest (a mirror store), re-hashed as they are sent.

pub mod plan;

#[cfg(feature = "net")]
pub mod bundle;
#[cfg(feature = "net")]
pub mod files;
#[cfg(feature = "net")]
pub mod push;
#[cfg(feature = "net")]
pub mod target;

pub use plan::{CopyPlan, CopyReport, PlannedManifest, RepositoryPlan};

#[cfg(feature = "net")]
pub use error::CopyError;

#[cfg(feature = "net")]
mod error {
    use crate::format::{Digest, FormatError, SignatureError};
    use crate::net::oci::OciError;

    use super::push::PushError;
    use super::target::TargetError;

    #[derive(Debug, thiserror::Error)]
    pub enum CopyError {
        #[error(transparent)]
        Format(#[from] FormatError),
        #[error(transparent)]
        Signature(#[from] SignatureError),
        /// The bundle manifest fails the validation `verify` and `import` run.
        #[error(transparent)]
        Validation(#[from] crate::format::validate::ValidationError),
        #[error("a signature is required but no trusted public key was given")]
        NoTrustedKeys,
        #[error("{path} changed during the copy: its manifest is now {now}, it was {was}")]
        Changed {
            path: String,
            was: Digest,
            now: Digest,
        },
        #[error("{by} names {digest}, which the source does not carry")]
        Missing { by: String, digest: Digest },
        #[error(transparent)]
        Manifest(#[from] OciError),
        #[error(transparent)]
        Push(#[from] PushError),
        #[error(transparent)]
        Target(#[from] TargetError),
        #[error(
            "blob {expected} ({path}) does not match its digest: its {size} bytes hash to {actual}"
        )]
        BlobMismatch {
            path: String,
            expected: Digest,
            actual: Digest,
            size: u64,
        },
        #[error("cannot read {path}: {source}")]
        Io {
            path: String,
            source: std::io::Error,
        },
    }

    impl CopyError {
        /// Tampering, a bad signature or a blob that does not match its digest (exit code 3),
        /// as opposed to a source that cannot be opened or a registry that refuses.
        pub fn is_verification_failure(&self) -> bool {
            match self {
                CopyError::Format(FormatError::Open { .. } | FormatError::NotABundle { .. }) => {
                    false
                }
                CopyError::Format(_)
                | CopyError::Signature(_)
                | CopyError::Validation(_)
                | CopyError::NoTrustedKeys
                | CopyError::Changed { .. }
                | CopyError::BlobMismatch { .. } => true,
                _ => false,
            }
        }
    }
}
