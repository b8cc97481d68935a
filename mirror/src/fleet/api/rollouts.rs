//! `/api/v1/fleet/rollouts`: start a rollout, list and show rollouts, and pause, resume, abort
//! or roll one back. Reads are open to pullers; the rest are writes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiResult, Caller, ErrorBody, FleetRoutes};
use crate::fleet::rollout::{self, RollbackReport, Rollout, RolloutRow, RolloutSpec};
use crate::fleet::Fleet;
use crate::store::now_unix;

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new()
            .routes(routes!(list))
            .routes(routes!(status)),
        write: OpenApiRouter::new()
            .routes(routes!(start))
            .routes(routes!(pause))
            .routes(routes!(resume))
            .routes(routes!(abort))
            .routes(routes!(rollback)),
        agent: OpenApiRouter::new(),
    }
}

/// Start a rollout: targets resolved and frozen now, wave 1 started unless a maintenance window
/// holds it in Pending.
#[utoipa::path(post, path = "/api/v1/fleet/rollouts", tag = "fleet", request_body = RolloutSpec,
    responses((status = 201, body = Rollout), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start(
    State(fleet): State<Fleet>,
    caller: Caller,
    Json(spec): Json<RolloutSpec>,
) -> Result<(StatusCode, Json<Rollout>), ApiError> {
    let r = rollout::start(&fleet, spec, &caller.actor, now_unix()).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Every rollout, newest first.
#[utoipa::path(get, path = "/api/v1/fleet/rollouts", tag = "fleet",
    responses((status = 200, body = Vec<RolloutRow>)))]
async fn list(State(fleet): State<Fleet>) -> ApiResult<Vec<RolloutRow>> {
    Ok(Json(rollout::list(&fleet).await?))
}

/// One rollout, its clusters and the live gates of its current wave.
#[utoipa::path(get, path = "/api/v1/fleet/rollouts/{id}", tag = "fleet",
    params(("id" = i64, Path, description = "The rollout")),
    responses((status = 200, body = Rollout), (status = 404, body = ErrorBody)))]
async fn status(State(fleet): State<Fleet>, Path(id): Path<i64>) -> ApiResult<Rollout> {
    Ok(Json(rollout::status(&fleet, id, now_unix()).await?))
}

/// Pause a Pending or Progressing rollout.
#[utoipa::path(post, path = "/api/v1/fleet/rollouts/{id}/pause", tag = "fleet",
    params(("id" = i64, Path, description = "The rollout")),
    responses((status = 200, body = Rollout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn pause(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Rollout> {
    Ok(Json(
        rollout::pause(&fleet, id, &caller.actor, now_unix()).await?,
    ))
}

/// Resume a paused rollout; the current wave's gate clock restarts.
#[utoipa::path(post, path = "/api/v1/fleet/rollouts/{id}/resume", tag = "fleet",
    params(("id" = i64, Path, description = "The rollout")),
    responses((status = 200, body = Rollout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resume(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Rollout> {
    Ok(Json(
        rollout::resume(&fleet, id, &caller.actor, now_unix()).await?,
    ))
}

/// Abort a rollout where it is (state Failed, nothing reverted).
#[utoipa::path(post, path = "/api/v1/fleet/rollouts/{id}/abort", tag = "fleet",
    params(("id" = i64, Path, description = "The rollout")),
    responses((status = 200, body = Rollout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn abort(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Rollout> {
    Ok(Json(
        rollout::abort(&fleet, id, &caller.actor, now_unix()).await?,
    ))
}

/// Put every cluster the rollout touched back on its previous assignment and artifact digest.
#[utoipa::path(post, path = "/api/v1/fleet/rollouts/{id}/rollback", tag = "fleet",
    params(("id" = i64, Path, description = "The rollout")),
    responses((status = 200, body = RollbackReport), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 500, body = ErrorBody)))]
async fn rollback(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<RollbackReport> {
    Ok(Json(
        rollout::rollback(&fleet, id, &caller.actor, now_unix()).await?,
    ))
}
