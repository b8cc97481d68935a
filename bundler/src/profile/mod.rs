//! Cluster profiles: the YAML files that say what a bundle must carry.
//!
//! A profile is an ordered list of layers (os, k8s, cni, csi, addon), each naming its sources:
//! Helm charts, plain manifests, Spectro packs, images and files. Loading parses strictly
//! (unknown fields are errors with `file:line:col`), validates, and resolves relative paths
//! against the profile file's directory so later stages never depend on the working directory.

mod error;
mod load;
mod location;
mod model;
mod validate;

pub use error::ProfileError;
pub use load::load_dir;
pub use location::normalise;
pub use model::{
    ChartSource, FileSource, Layer, LayerKind, ManifestsSource, PackSource, Profile, ProfileType,
    Source,
};
