//! Fleet queries: `GET query/image?ref=`, `POST query/affected`, `GET query/profile?name=&below=`,
//! `GET query/pending`. All reads (affected is a POST only because its list can be long). The
//! answers that grow with the fleet come in pages (`?limit=&after=`, see `fleet::page`).

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiResult, ErrorBody, FleetRoutes};
use crate::fleet::page::{Page, PageParams};
use crate::fleet::query::{self, AffectedAnswer, ImageAnswer, PendingAnswer, ProfileBelow};
use crate::fleet::Fleet;

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new()
            .routes(routes!(image))
            .routes(routes!(affected))
            .routes(routes!(profile_below))
            .routes(routes!(pending)),
        write: OpenApiRouter::new(),
        agent: OpenApiRouter::new(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ImageParams {
    /// `repository`, `repository:tag`, `repository@sha256:…` or a bare digest.
    #[serde(rename = "ref")]
    reference: String,
}

/// Which clusters desire and which run an image.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/query/image",
    tag = "fleet",
    params(ImageParams, PageParams),
    responses(
        (status = 200, description = "One page of the clusters desiring or running it", body = ImageAnswer),
        (status = 400, description = "Not an image reference, or a limit out of range", body = ErrorBody),
    )
)]
async fn image(
    State(fleet): State<Fleet>,
    Query(p): Query<ImageParams>,
    Query(page): Query<PageParams>,
) -> ApiResult<ImageAnswer> {
    let page = Page::from_params(page)?;
    Ok(Json(query::image(&fleet, &p.reference, &page).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AffectedRequest {
    /// Digests (`sha256:…`) or image references.
    references: Vec<String>,
}

/// Which clusters are affected by a list of digests or references (a CVE list).
#[utoipa::path(
    post,
    path = "/api/v1/fleet/query/affected",
    tag = "fleet",
    params(PageParams),
    request_body = AffectedRequest,
    responses(
        (status = 200, description = "One page of the affected clusters, desired vs running", body = AffectedAnswer),
        (status = 400, description = "An entry is not a digest or reference, or a limit out of range", body = ErrorBody),
    )
)]
async fn affected(
    State(fleet): State<Fleet>,
    Query(page): Query<PageParams>,
    Json(r): Json<AffectedRequest>,
) -> ApiResult<AffectedAnswer> {
    let page = Page::from_params(page)?;
    Ok(Json(query::affected(&fleet, &r.references, &page).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ProfileParams {
    name: String,
    /// A semantic version.
    below: String,
}

/// Clusters assigned or given a version of a profile below a version.
#[utoipa::path(
    get,
    path = "/api/v1/fleet/query/profile",
    tag = "fleet",
    params(ProfileParams),
    responses(
        (status = 200, description = "Clusters below the version", body = [ProfileBelow]),
        (status = 400, description = "Not a semantic version", body = ErrorBody),
    )
)]
async fn profile_below(
    State(fleet): State<Fleet>,
    Query(p): Query<ProfileParams>,
) -> ApiResult<Vec<ProfileBelow>> {
    Ok(Json(query::profile_below(&fleet, &p.name, &p.below).await?))
}

/// Clusters with a pending update (a newer profile revision, an unpublished assignment, or a
/// desired revision not applied yet).
#[utoipa::path(
    get,
    path = "/api/v1/fleet/query/pending",
    tag = "fleet",
    params(PageParams),
    responses(
        (status = 200, description = "One page of the clusters with pending updates", body = PendingAnswer),
        (status = 400, description = "A limit out of range", body = ErrorBody),
    )
)]
async fn pending(
    State(fleet): State<Fleet>,
    Query(page): Query<PageParams>,
) -> ApiResult<PendingAnswer> {
    let page = Page::from_params(page)?;
    Ok(Json(query::pending(&fleet, &page).await?))
}
