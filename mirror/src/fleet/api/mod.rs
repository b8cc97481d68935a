//! `/api/v1/fleet/`: the management instance's REST JSON API, and its OpenAPI 3.1 document
//! (generated from the handlers by utoipa, served at `/api/v1/openapi.json`).
//!
//! Handlers are thin: they parse, call a fleet function and return its result as JSON. Each
//! area's routes come in three groups by who may call them; the server puts its access guard
//! on each group (reads: puller and above; writes: operator and admin; agent: a cluster's
//! credential, for its own cluster only).

mod catalog;
mod clusters;
mod desired;
mod query;
mod reports;
mod rollouts;
mod status;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::{Fleet, FleetError};

/// The routes of every area, grouped by who may call them.
pub struct FleetRoutes {
    pub read: OpenApiRouter<Fleet>,
    pub write: OpenApiRouter<Fleet>,
    pub agent: OpenApiRouter<Fleet>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ferry management instance",
        description = "The enclave's fleet control plane: profile versions, clusters, desired state, reports, rollouts and fleet queries."
    ),
    tags((name = "fleet", description = "The management instance"))
)]
struct ApiDoc;

pub fn routes() -> FleetRoutes {
    let mut all = FleetRoutes {
        read: OpenApiRouter::with_openapi(ApiDoc::openapi()),
        write: OpenApiRouter::new(),
        agent: OpenApiRouter::new(),
    };
    for area in [
        catalog::routes(),
        clusters::routes(),
        desired::routes(),
        reports::routes(),
        status::routes(),
        query::routes(),
        rollouts::routes(),
    ] {
        all.read = all.read.merge(area.read);
        all.write = all.write.merge(area.write);
        all.agent = all.agent.merge(area.agent);
    }
    all
}

/// The OpenAPI document of every fleet route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let r = routes();
    let (_, read) = r.read.split_for_parts();
    let (_, write) = r.write.split_for_parts();
    let (_, agent) = r.agent.split_for_parts();
    let mut doc = read;
    doc.merge(write);
    doc.merge(agent);
    doc
}

/// Who is calling, as the server's access guard established it (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user name, `anonymous`, or `cluster/<name>` for an agent credential.
    pub actor: String,
    /// The cluster an agent credential belongs to.
    pub cluster: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or(Caller {
            actor: crate::audit::events::ANONYMOUS.to_owned(),
            cluster: None,
        }))
    }
}

/// A fleet error as the API answers it: its status and `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub FleetError);

impl<E: Into<FleetError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// The HTTP reason in snake case (`not_found`, `conflict`, …).
    pub code: String,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "fleet request failed");
        }
        let code = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace(' ', "_");
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.0.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;
