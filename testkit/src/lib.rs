//! Test harness for ferry: real peers on 127.0.0.1 and seeded content, never mocks.
//!
//! - [`Registry`]: Debian's `docker-registry` (CNCF distribution 2.8) with filesystem storage.
//! - [`HelmRepo`]: a static HTTP server (`python3 -m http.server`) over a chart directory.
//! - [`OciLayout`] + [`images`]: deterministic OCI images, indexes, cosign signatures,
//!   referrers and Helm chart artifacts written as an OCI layout, pushed with `skopeo`.
//! - [`postgres`]: Debian's PostgreSQL, a fresh database per test; [`postgres::fleet_backends`]
//!   runs a fleet store test on SQLite and PostgreSQL.
//!
//! Everything a peer or builder creates lives in a temporary directory removed on drop.
//! Functions panic on failure: this crate only runs inside tests.

pub mod helm;
pub mod images;
pub mod kube_state;
pub mod layout;
pub mod postgres;
mod process;
pub mod registry;
pub mod seed;
pub mod tmpfs;
pub mod tools;
pub mod zstd_frames;

pub use helm::{
    chart_json, pack_chart, push_chart_oci, write_chart, write_index, ChartEntry, HelmRepo,
};
pub use images::{CorpusImage, Image, ImageOptions, MultiArch};
pub use layout::{Descriptor, OciLayout};
pub use process::free_port;
pub use registry::Registry;
pub use seed::SeededBytes;
