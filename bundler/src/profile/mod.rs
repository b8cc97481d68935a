//! Cluster profiles: the YAML files that say what a bundle must carry.
//!
//! A profile is an ordered list of layers (os, k8s, cni, csi, addon), each naming its sources:
//! Helm charts, plain manifests, Spectro packs, images and files; and the typed variables
//! its values and manifests use. Loading parses strictly
//! (unknown fields are errors with `file:line:col`), validates, and resolves relative paths
//! against the profile file's directory so later stages never depend on the working directory.

mod error;
mod load;
mod location;
mod model;
mod validate;
mod variables;

pub use error::ProfileError;
pub use load::load_dir;
pub use location::normalise;
pub use model::{
    ChartSource, FileSource, Layer, LayerKind, ManifestsSource, PackSource, Profile, ProfileType,
    Source,
};
pub use variables::{full_match, is_variable_name, type_name, ProfileVariable};
