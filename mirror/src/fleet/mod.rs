//! The management instance: the enclave's fleet control plane.
//!
//! Profile versions come from imported bundles ([`catalog`]); clusters, groups, assignments,
//! overrides and variables are the operators' ([`clusters`], [`assign`], [`variables`]). Each
//! cluster's desired state is rendered and published into the store as a signed OCI artifact
//! that the cluster's Flux or Argo CD pulls ([`desired`]); the appliance never pushes into a
//! cluster. Agents report what runs ([`reports`]), which gives status and drift ([`status`]),
//! gates rollouts ([`rollout`]) and answers fleet queries ([`query`]). [`api`] serves all of it
//! under `/api/v1/fleet/`.
//!
//! Its tables live in [`db::FleetDb`] (SQLite or PostgreSQL); every change appends to the
//! hash-chained audit log in the same transaction.

pub mod api;
pub mod assign;
pub mod catalog;
pub mod clusters;
pub mod db;
pub mod desired;
pub mod page;
pub mod query;
pub mod reports;
pub mod rollout;
pub mod status;
pub mod unapplied;
pub mod variables;

use std::sync::Arc;

use axum::http::StatusCode;

pub use db::{Backend, FleetDb};

use crate::store::Store;

/// Everything the management instance works with.
#[derive(Clone)]
pub struct Fleet {
    pub db: FleetDb,
    /// The store desired-state artifacts are published into, and profile versions read from.
    pub store: Store,
    /// The appliance's signing key for desired-state artifacts; without one nothing is published.
    pub signer: Option<Arc<ferry_bundler::sign::SigningKey>>,
    pub settings: FleetSettings,
}

#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// How clusters reach this appliance's registry (`mirror.enclave:5000`): written into
    /// bootstrap manifests, HelmRelease chart sources and rewritten image references.
    pub mirror_host: String,
    /// The CA clusters trust for the mirror (PEM), put into bootstrap manifests.
    pub mirror_ca_pem: Option<String>,
    /// A cluster is Offline after this many missed report intervals.
    pub offline_after_intervals: u32,
}

impl Default for FleetSettings {
    fn default() -> Self {
        Self {
            mirror_host: "127.0.0.1:5000".into(),
            mirror_ca_pem: None,
            offline_after_intervals: 3,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("fleet database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:?} is not a fleet database URL: expected sqlite://PATH or postgres://…")]
    DatabaseUrl(String),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error(transparent)]
    Cluster(#[from] clusters::ClusterError),
    #[error(transparent)]
    Assign(#[from] assign::AssignError),
    #[error(transparent)]
    Variable(#[from] variables::VariableError),
    #[error(transparent)]
    Desired(#[from] desired::DesiredError),
    #[error(transparent)]
    Report(#[from] reports::ReportError),
    #[error(transparent)]
    Rollout(#[from] rollout::RolloutError),
    #[error(transparent)]
    Query(#[from] query::QueryError),
}

impl FleetError {
    /// The HTTP status an API answer carries for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            FleetError::Db(_) | FleetError::Audit(_) | FleetError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            FleetError::DatabaseUrl(_) => StatusCode::BAD_REQUEST,
            FleetError::Catalog(e) => e.status(),
            FleetError::Cluster(e) => e.status(),
            FleetError::Assign(e) => e.status(),
            FleetError::Variable(e) => e.status(),
            FleetError::Desired(e) => e.status(),
            FleetError::Report(e) => e.status(),
            FleetError::Rollout(e) => e.status(),
            FleetError::Query(e) => e.status(),
        }
    }
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("backend", &self.db.backend())
            .field("store", &self.store.root())
            .field("signer", &self.signer.as_ref().map(|k| k.hint()))
            .field("settings", &self.settings)
            .finish()
    }
}
