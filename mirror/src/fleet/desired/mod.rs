//! Each cluster's desired state, rendered and published into the appliance's own store as a
//! signed OCI artifact that the cluster's Flux (or Argo CD) pulls: repository `fleet/<cluster>`,
//! tags `rev-<N>` and the moving `current`.
//!
//! - [`input`]: what a desired state is made from (recorded with every revision);
//! - [`render()`]: pure, input → files → deterministic tar.gz → OCI manifest and digest;
//! - [`publish`]: store the artifact, move `current`, sign it cosign-style, record the revision;
//! - [`current`], [`revisions`]: what was published.
//!
//! docs/fleet-artifact.md describes the artifact and what Flux and Argo CD need to consume it.

mod flux;
pub mod input;
mod macros;
pub mod oci;
mod publish;
pub mod render;
pub mod sign;
mod tarball;

use axum::http::StatusCode;
use ferry_bundler::format::profile_definition::PinnedImage;
use ferry_bundler::format::Digest;
use serde::Serialize;
use sqlx::Row;

pub use flux::{CA_SECRET, FLUX_NAMESPACE, REGISTRY_SECRET};
pub use input::{Input, InputProfile};
pub use publish::{publish_cluster, publish_input, Published};
pub use render::{render, Artifact};

use super::{Fleet, FleetError};

/// The moving tag a cluster's `OCIRepository` follows.
pub const CURRENT_TAG: &str = "current";

#[derive(Debug, thiserror::Error)]
pub enum DesiredError {
    #[error("{0:?} is not a cluster name: a DNS-1123 label of at most 63 characters")]
    ClusterName(String),
    #[error("cluster {cluster}, profile {profile}, {file}: no variable {variable:?}")]
    UnknownVariable {
        cluster: String,
        profile: String,
        file: String,
        variable: String,
    },
    #[error("cluster {cluster}, profile {profile}, layer {layer}: chart name {name:?} cannot name a Helm release (a DNS-1123 label of at most 53 characters)")]
    ReleaseName {
        cluster: String,
        profile: String,
        layer: String,
        name: String,
    },
    #[error("cluster {cluster}: chart {name} is released by both {first} and {second}")]
    DuplicateRelease {
        cluster: String,
        name: String,
        first: String,
        second: String,
    },
    #[error("cluster {cluster}: two rendered files would both be {path}")]
    DuplicatePath { cluster: String, path: String },
    #[error("cluster {cluster}, {file}: cannot point images at the mirror: {reason}")]
    Rewrite {
        cluster: String,
        file: String,
        reason: String,
    },
    #[error("packing the desired state: {0}")]
    Tarball(std::io::Error),
    #[error("cluster {0}: no signing key is configured, so no desired state is published (start the server with a fleet signing key)")]
    NoSigner(String),
    #[error("signing the desired state of cluster {cluster}: {source}")]
    Sign {
        cluster: String,
        #[source]
        source: ferry_bundler::sign::SignError,
    },
    #[error("cluster {cluster}: revision record is corrupt: {reason}")]
    Record { cluster: String, reason: String },
}

impl DesiredError {
    pub fn status(&self) -> StatusCode {
        match self {
            DesiredError::ClusterName(_) => StatusCode::BAD_REQUEST,
            DesiredError::UnknownVariable { .. }
            | DesiredError::ReleaseName { .. }
            | DesiredError::DuplicateRelease { .. }
            | DesiredError::DuplicatePath { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            DesiredError::NoSigner(_) => StatusCode::CONFLICT,
            DesiredError::Rewrite { .. }
            | DesiredError::Tarball(_)
            | DesiredError::Sign { .. }
            | DesiredError::Record { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub(crate) fn is_cluster_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The repository a cluster's artifact is published in.
pub fn repository(cluster: &str) -> String {
    format!("fleet/{cluster}")
}

/// The tag of revision `n`.
pub fn revision_tag(n: i64) -> String {
    format!("rev-{n}")
}

/// One published revision of a cluster's desired state.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub revision: i64,
    #[schema(value_type = String)]
    pub digest: Digest,
    /// The inputs that made it, secret variables as `sha256:<hex>`.
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub images: Vec<PinnedImage>,
    pub created_at: i64,
    pub actor: String,
}

fn corrupt(cluster: &str, reason: impl ToString) -> DesiredError {
    DesiredError::Record {
        cluster: cluster.to_owned(),
        reason: reason.to_string(),
    }
}

/// The revision and digest `current` points at, if anything was published for `cluster`.
pub async fn current(fleet: &Fleet, cluster: &str) -> Result<Option<(i64, Digest)>, FleetError> {
    let row = sqlx::query("SELECT revision, digest FROM desired_current WHERE cluster = $1")
        .bind(cluster)
        .fetch_optional(fleet.db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let digest: String = row.try_get("digest")?;
    let digest = Digest::parse(&digest).map_err(|e| corrupt(cluster, e))?;
    Ok(Some((row.try_get("revision")?, digest)))
}

/// Every published revision of `cluster`, oldest first.
pub async fn revisions(fleet: &Fleet, cluster: &str) -> Result<Vec<Revision>, FleetError> {
    let rows = sqlx::query(
        "SELECT revision, digest, inputs, images, created_at, actor FROM desired_revisions
         WHERE cluster = $1 ORDER BY revision",
    )
    .bind(cluster)
    .fetch_all(fleet.db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let digest: String = row.try_get("digest")?;
            let inputs: String = row.try_get("inputs")?;
            let images: String = row.try_get("images")?;
            Ok(Revision {
                revision: row.try_get("revision")?,
                digest: Digest::parse(&digest).map_err(|e| corrupt(cluster, e))?,
                inputs: serde_json::from_str(&inputs).map_err(|e| corrupt(cluster, e))?,
                images: serde_json::from_str(&images).map_err(|e| corrupt(cluster, e))?,
                created_at: row.try_get("created_at")?,
                actor: row.try_get("actor")?,
            })
        })
        .collect()
}
