//! What a cluster's desired state is rendered from: [`crate::fleet::desired::Input`], which
//! [`super::effective`] builds and the desired-state renderer reads.

pub use crate::fleet::desired::{Input, InputProfile};
