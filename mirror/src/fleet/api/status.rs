//! `GET status` (every cluster) and `GET clusters/{name}/status` (one, with layers and drift).

use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiResult, ErrorBody, FleetRoutes};
use crate::fleet::status::{self, ClusterStatus, FleetStatus};
use crate::fleet::Fleet;

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new()
            .routes(routes!(fleet_status))
            .routes(routes!(cluster_status)),
        write: OpenApiRouter::new(),
        agent: OpenApiRouter::new(),
    }
}

/// Every registered cluster: desired and applied revision, state, last report.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/status",
    tag = "fleet",
    responses((status = 200, description = "The fleet's status", body = FleetStatus))
)]
async fn fleet_status(State(fleet): State<Fleet>) -> ApiResult<FleetStatus> {
    Ok(Json(
        status::fleet_status(&fleet, crate::store::now_unix()).await?,
    ))
}

/// One cluster: its state and why, per-layer readiness, image drift.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/clusters/{name}/status",
    tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    responses(
        (status = 200, description = "The cluster's status", body = ClusterStatus),
        (status = 404, description = "No such cluster", body = ErrorBody),
    )
)]
async fn cluster_status(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
) -> ApiResult<ClusterStatus> {
    Ok(Json(
        status::cluster_status(&fleet, &name, crate::store::now_unix()).await?,
    ))
}
