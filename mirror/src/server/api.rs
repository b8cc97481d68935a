//! The read-only JSON API under `/api/v1`: packs, repositories and imported bundles for anyone
//! who may pull, and the audit log for admins. Repositories, bundles and the audit log are the
//! same types `ferry store list`, `ferry store bundles` and `ferry audit show` print with
//! `--output json`, so the two cannot drift (docs/json.md).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::service_error::ServiceError;
use super::{charts, files, AppState};
use crate::store::catalog::{rfc3339, PACKS_PREFIX};
use crate::store::{list, list_bundles, BundleList, PackVersion, RepositoryList};

/// The routes only admins reach.
pub(super) fn admin_routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(audit))
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    since: Option<String>,
}

/// The audit log, as `ferry audit show --output json` prints it.
async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<crate::audit::AuditLog>, ServiceError> {
    let entries = crate::audit::list(state.store.db(), q.since.as_deref())
        .await
        .map_err(|e| match e {
            crate::audit::AuditError::BadTime(_) => ServiceError::BadRequest(e.to_string()),
            other => ServiceError::Audit(other),
        })?;
    let head = crate::audit::head(state.store.db())
        .await
        .map_err(ServiceError::Audit)?;
    Ok(Json(crate::audit::AuditLog { entries, head }))
}

/// Every enclave service route: the chart repository, the file server and this API.
pub(super) fn enclave_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/packs", get(packs))
        .route("/api/v1/repositories", get(repositories))
        .route("/api/v1/bundles", get(bundles))
        .merge(charts::routes())
        .merge(files::routes())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PackEntry {
    name: String,
    version: String,
    /// The pack's OCI reference on this mirror (`spectro-packs/archive/<name>:<version>`).
    reference: String,
    /// Digest of the pack's OCI manifest.
    digest: String,
    /// The pack archive layer (`application/vnd.ferry.pack.layer.v1.tar+gzip`).
    layer: String,
    size: u64,
    created_at: String,
    /// The pack's own `pack.json`, when it could be read from the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pack_json: Option<serde_json::Map<String, serde_json::Value>>,
}

impl From<PackVersion> for PackEntry {
    fn from(p: PackVersion) -> Self {
        Self {
            reference: format!("{PACKS_PREFIX}{}:{}", p.name, p.version),
            name: p.name,
            version: p.version,
            digest: p.manifest.to_string(),
            layer: p.layer.digest.to_string(),
            size: p.layer.size,
            created_at: rfc3339(p.created_at),
            pack_json: p.pack_json,
        }
    }
}

async fn packs(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ServiceError> {
    let packs: Vec<PackEntry> = state
        .store
        .packs()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "packs": packs })))
}

async fn repositories(State(state): State<AppState>) -> Result<Json<RepositoryList>, ServiceError> {
    let repositories = list(&state.store).await?;
    Ok(Json(RepositoryList { repositories }))
}

async fn bundles(State(state): State<AppState>) -> Result<Json<BundleList>, ServiceError> {
    let bundles = list_bundles(&state.store).await?;
    Ok(Json(BundleList { bundles }))
}
