//! `POST reports` (an agent, for its own cluster) and `POST reports/import` (an operator, a
//! report file carried by hand; its MAC proves the cluster wrote it).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::Json;
use ferry_bundler::format::report::MAX_REPORT_SIZE;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiResult, Caller, ErrorBody, FleetRoutes};
use crate::fleet::reports::{self, Ingested, ReportError};
use crate::fleet::Fleet;

pub fn routes() -> FleetRoutes {
    let limit = DefaultBodyLimit::max(MAX_REPORT_SIZE as usize);
    FleetRoutes {
        read: OpenApiRouter::new(),
        write: OpenApiRouter::new()
            .routes(routes!(import_report))
            .layer(limit),
        agent: OpenApiRouter::new()
            .routes(routes!(post_report))
            .layer(limit),
    }
}

/// An agent's report for its own cluster.
#[utoipa::path(
    post,
    path = "/api/v1/fleet/reports",
    tag = "fleet",
    request_body(content = serde_json::Value, description = "A SignedReport (format::report)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, or a duplicate of one received before", body = Ingested),
        (status = 400, description = "Not a report", body = ErrorBody),
        (status = 403, description = "Another cluster's report, a bad MAC, or a deregistered cluster", body = ErrorBody),
        (status = 409, description = "Older than the latest report received", body = ErrorBody),
    )
)]
async fn post_report(
    State(fleet): State<Fleet>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Ingested> {
    let Some(cluster) = caller.cluster.as_deref() else {
        return Err(ReportError::NotAnAgent(caller.actor).into());
    };
    let signed = reports::parse(&body)?;
    let now = crate::store::now_unix();
    Ok(Json(
        reports::ingest_as(&fleet, &signed, Some(cluster), &caller.actor, now).await?,
    ))
}

/// A report file imported by an operator (sites with only sneakernet).
#[utoipa::path(
    post,
    path = "/api/v1/fleet/reports/import",
    tag = "fleet",
    request_body(content = serde_json::Value, description = "A SignedReport (format::report)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, or a duplicate of one received before", body = Ingested),
        (status = 400, description = "Not a report", body = ErrorBody),
        (status = 403, description = "A bad MAC, or a deregistered cluster", body = ErrorBody),
        (status = 404, description = "The cluster is not registered", body = ErrorBody),
        (status = 409, description = "Older than the latest report received", body = ErrorBody),
    )
)]
async fn import_report(
    State(fleet): State<Fleet>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Ingested> {
    let signed = reports::parse(&body)?;
    let now = crate::store::now_unix();
    Ok(Json(
        reports::ingest_as(&fleet, &signed, None, &caller.actor, now).await?,
    ))
}
