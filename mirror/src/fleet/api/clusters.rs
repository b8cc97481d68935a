//! `/api/v1/fleet/clusters` and `/api/v1/fleet/groups`: register, list, show, relabel and
//! deregister clusters; rotate a cluster's credential; define groups as label selectors.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiResult, Caller, ErrorBody, FleetRoutes};
use crate::fleet::clusters::{self, Cluster, Group, Registered, Selector, DEFAULT_REPORT_INTERVAL};
use crate::fleet::Fleet;

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new()
            .routes(routes!(list_clusters))
            .routes(routes!(get_cluster))
            .routes(routes!(list_groups))
            .routes(routes!(get_group)),
        write: OpenApiRouter::new()
            .routes(routes!(register))
            .routes(routes!(deregister))
            .routes(routes!(set_labels))
            .routes(routes!(rotate_credential))
            .routes(routes!(put_group)),
        // Agents only pull their artifact and report; nothing of clusters is theirs to call.
        agent: OpenApiRouter::new(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How often the agent reports (default 60).
    pub report_interval_seconds: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelsRequest {
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupRequest {
    /// Comma-separated `key=value`, `key!=value`, `key`, `!key`.
    pub selector: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Include deregistered clusters.
    #[serde(default)]
    pub all: bool,
}

/// Register a cluster: its one-time credential and bootstrap manifest.
#[utoipa::path(post, path = "/api/v1/fleet/clusters", tag = "fleet", request_body = RegisterRequest,
    responses((status = 201, body = Registered), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register(
    State(fleet): State<Fleet>,
    caller: Caller,
    Json(req): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let interval = req
        .report_interval_seconds
        .unwrap_or(DEFAULT_REPORT_INTERVAL);
    let r = clusters::register(&fleet, &req.name, &req.labels, interval, &caller.actor).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Registered clusters (with `all`, deregistered ones too).
#[utoipa::path(get, path = "/api/v1/fleet/clusters", tag = "fleet", params(ListQuery),
    responses((status = 200, body = Vec<Cluster>)))]
async fn list_clusters(
    State(fleet): State<Fleet>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Vec<Cluster>> {
    Ok(Json(clusters::list(&fleet, q.all).await?))
}

/// One cluster, registered or deregistered.
#[utoipa::path(get, path = "/api/v1/fleet/clusters/{name}", tag = "fleet", params(("name" = String, Path)),
    responses((status = 200, body = Cluster), (status = 404, body = ErrorBody)))]
async fn get_cluster(State(fleet): State<Fleet>, Path(name): Path<String>) -> ApiResult<Cluster> {
    Ok(Json(clusters::get(&fleet, &name).await?))
}

/// Deregister a cluster: its credential stops working; its history is kept.
#[utoipa::path(delete, path = "/api/v1/fleet/clusters/{name}", tag = "fleet", params(("name" = String, Path)),
    responses((status = 200, body = Cluster), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn deregister(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Cluster> {
    Ok(Json(
        clusters::deregister(&fleet, &name, &caller.actor).await?,
    ))
}

/// Replace a cluster's labels.
#[utoipa::path(put, path = "/api/v1/fleet/clusters/{name}/labels", tag = "fleet", params(("name" = String, Path)),
    request_body = LabelsRequest,
    responses((status = 200, body = Cluster), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_labels(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(req): Json<LabelsRequest>,
) -> ApiResult<Cluster> {
    Ok(Json(
        clusters::set_labels(&fleet, &name, &req.labels, &caller.actor).await?,
    ))
}

/// Give a cluster a new credential (the old one stops working) and its new bootstrap manifest.
#[utoipa::path(post, path = "/api/v1/fleet/clusters/{name}/credential", tag = "fleet", params(("name" = String, Path)),
    responses((status = 200, body = Registered), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rotate_credential(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Registered> {
    Ok(Json(
        clusters::rotate_credential(&fleet, &name, &caller.actor).await?,
    ))
}

/// Groups with their members now.
#[utoipa::path(get, path = "/api/v1/fleet/groups", tag = "fleet", responses((status = 200, body = Vec<Group>)))]
async fn list_groups(State(fleet): State<Fleet>) -> ApiResult<Vec<Group>> {
    Ok(Json(clusters::list_groups(&fleet).await?))
}

/// One group with its members now.
#[utoipa::path(get, path = "/api/v1/fleet/groups/{name}", tag = "fleet", params(("name" = String, Path)),
    responses((status = 200, body = Group), (status = 404, body = ErrorBody)))]
async fn get_group(State(fleet): State<Fleet>, Path(name): Path<String>) -> ApiResult<Group> {
    Ok(Json(clusters::get_group(&fleet, &name).await?))
}

/// Create a group or replace its selector.
#[utoipa::path(put, path = "/api/v1/fleet/groups/{name}", tag = "fleet", params(("name" = String, Path)),
    request_body = GroupRequest,
    responses((status = 200, body = Group), (status = 400, body = ErrorBody)))]
async fn put_group(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(req): Json<GroupRequest>,
) -> ApiResult<Group> {
    let selector = Selector::parse(&req.selector).map_err(crate::fleet::FleetError::from)?;
    Ok(Json(
        clusters::put_group(&fleet, &name, &selector, &caller.actor).await?,
    ))
}
