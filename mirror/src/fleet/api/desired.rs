//! `clusters/{name}/revisions` (read): every published desired state of a cluster and which one
//! `current` is; `clusters/{name}/publish` (write): render and publish it now.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiResult, Caller, FleetRoutes};
use crate::fleet::desired::{self, DesiredError, Published, Revision};
use crate::fleet::Fleet;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentRevision {
    pub revision: i64,
    pub digest: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionList {
    pub cluster: String,
    /// The repository the cluster pulls (`fleet/<name>`), tagged `rev-<N>` and `current`.
    pub repository: String,
    /// What the tag `current` points at; absent until the first publish.
    pub current: Option<CurrentRevision>,
    /// Oldest first.
    pub revisions: Vec<Revision>,
}

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new().routes(routes!(list_revisions)),
        write: OpenApiRouter::new().routes(routes!(publish)),
        agent: OpenApiRouter::new(),
    }
}

/// A cluster's published desired states.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/clusters/{name}/revisions",
    tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    responses(
        (status = 200, description = "Published revisions, oldest first", body = RevisionList),
        (status = 400, description = "Not a cluster name", body = super::ErrorBody),
    )
)]
async fn list_revisions(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
) -> ApiResult<RevisionList> {
    if !desired::is_cluster_name(&name) {
        return Err(DesiredError::ClusterName(name).into());
    }
    let current = desired::current(&fleet, &name)
        .await?
        .map(|(revision, digest)| CurrentRevision {
            revision,
            digest: digest.to_string(),
        });
    let revisions = desired::revisions(&fleet, &name).await?;
    Ok(Json(RevisionList {
        repository: desired::repository(&name),
        cluster: name,
        current,
        revisions,
    }))
}

/// Renders the cluster's desired state from its assignment, overrides and variables and, if it
/// differs from `current`, publishes it as the next revision (signed) and moves `current`.
#[utoipa::path(
    post,
    path = "/api/v1/fleet/clusters/{name}/publish",
    tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    responses(
        (status = 200, description = "What `current` is now; `changed` is false when it already was", body = Published),
        (status = 400, description = "Not a cluster name", body = super::ErrorBody),
        (status = 404, description = "No such cluster or profile version", body = super::ErrorBody),
        (status = 409, description = "No signing key is configured", body = super::ErrorBody),
        (status = 422, description = "The desired state cannot be rendered (a variable without a value, …)", body = super::ErrorBody),
    )
)]
async fn publish(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Published> {
    if !desired::is_cluster_name(&name) {
        return Err(DesiredError::ClusterName(name).into());
    }
    Ok(Json(
        desired::publish_cluster(&fleet, &name, &caller.actor).await?,
    ))
}
