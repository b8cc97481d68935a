//! `GET status` (every cluster) and `GET clusters/{name}/status` (one, with layers and drift).

use axum::extract::{Path, Query, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiResult, ErrorBody, FleetRoutes};
use crate::fleet::page::{Page, PageParams};
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

/// One page of the registered clusters (desired and applied revision, state, last report) and
/// the whole fleet's count per state.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/status",
    tag = "fleet",
    params(PageParams),
    responses(
        (status = 200, description = "The fleet's status", body = FleetStatus),
        (status = 400, description = "A limit out of range", body = ErrorBody),
    )
)]
async fn fleet_status(
    State(fleet): State<Fleet>,
    Query(page): Query<PageParams>,
) -> ApiResult<FleetStatus> {
    let page = Page::from_params(page)?;
    Ok(Json(
        status::fleet_status(&fleet, crate::store::now_unix(), &page).await?,
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
