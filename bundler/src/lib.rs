//! ferry's connected side.
//!
//! `format` is the trusted core shared with the enclave: pure types and checks, no network I/O.
//! Everything that talks to a registry or a Helm repository lives under `net` behind the
//! default `net` feature, so the mirror can depend on this crate without pulling a client in.

pub mod copy;
pub mod discover;
pub mod format;
pub mod profile;
pub mod render;
pub mod sign;
pub mod writer;

#[cfg(feature = "net")]
pub mod net;
#[cfg(feature = "net")]
pub mod pipeline;
