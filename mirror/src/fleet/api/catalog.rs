//! `/api/v1/fleet/profiles…`: the profile catalog (list, show, diff, sync), and the routes of
//! [`settings`]: assignments, overrides, variable values and cloning.

mod settings;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::routes;

use super::{ApiResult, FleetRoutes};
use crate::fleet::catalog::{self, ProfileDiff, ProfileRef, ProfileVersion};
use crate::fleet::variables::SECRET_SHOWN;
use crate::fleet::Fleet;

pub fn routes() -> FleetRoutes {
    let profiles = FleetRoutes {
        read: utoipa_axum::router::OpenApiRouter::new()
            .routes(routes!(list_profiles))
            .routes(routes!(profile_diff))
            .routes(routes!(show_profile)),
        write: sync_routes(),
        agent: utoipa_axum::router::OpenApiRouter::new(),
    };
    let s = settings::routes();
    FleetRoutes {
        read: profiles.read.merge(s.read),
        write: profiles.write.merge(s.write),
        agent: profiles.agent.merge(s.agent),
    }
}

/// The current revision of a profile version, as listings show it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub name: String,
    pub version: String,
    pub revision: i64,
    /// `infra`, `add-on` or `full`.
    pub profile_type: String,
    /// The layer definitions' digest.
    pub digest: String,
    /// The bundle manifest it came from.
    pub bundle: String,
    pub created_at: i64,
    pub layers: Vec<String>,
    pub variables: Vec<String>,
}

impl From<&ProfileVersion> for ProfileSummary {
    fn from(p: &ProfileVersion) -> Self {
        Self {
            name: p.name.clone(),
            version: p.version.clone(),
            revision: p.revision,
            profile_type: p.profile_type.clone(),
            digest: p.digest.to_string(),
            bundle: p.bundle.clone(),
            created_at: p.created_at,
            layers: p.definition.layers.iter().map(|l| l.name.clone()).collect(),
            variables: p
                .definition
                .variables
                .iter()
                .map(|v| v.name.clone())
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileList {
    pub profiles: Vec<ProfileSummary>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionInfo {
    pub revision: i64,
    pub digest: String,
    pub bundle: String,
    pub created_at: i64,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDetail {
    #[serde(flatten)]
    pub summary: ProfileSummary,
    /// The current revision's definition (a secret variable's default shown as `"(secret)"`).
    #[schema(value_type = Object)]
    pub definition: Value,
    pub revisions: Vec<RevisionInfo>,
    pub assigned_clusters: Vec<String>,
    /// Assigned clusters whose desired state was rendered from an older revision.
    pub pending_clusters: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/fleet/profiles", tag = "fleet",
    responses((status = 200, description = "Current revision of every profile version", body = ProfileList)))]
async fn list_profiles(State(fleet): State<Fleet>) -> ApiResult<ProfileList> {
    let list = catalog::list(&fleet).await?;
    Ok(Json(ProfileList {
        profiles: list.iter().map(ProfileSummary::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/fleet/profiles/{name}/{version}", tag = "fleet",
    params(("name" = String, Path, description = "Profile name"), ("version" = String, Path, description = "Profile version")),
    responses((status = 200, description = "A profile version and its revisions", body = ProfileDetail),
              (status = 404, description = "Not in the catalog", body = super::ErrorBody)))]
async fn show_profile(
    State(fleet): State<Fleet>,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<ProfileDetail> {
    let p = ProfileRef::new(&name, &version)?;
    let shown = catalog::show(&fleet, &p.name, &p.version).await?;
    let mut definition = shown.current.definition.clone();
    for v in &mut definition.variables {
        if v.secret && v.default.is_some() {
            v.default = Some(Value::String(SECRET_SHOWN.into()));
        }
    }
    Ok(Json(ProfileDetail {
        summary: ProfileSummary::from(&shown.current),
        definition: serde_json::to_value(&definition).expect("definition serialises"),
        revisions: shown
            .revisions
            .iter()
            .map(|r| RevisionInfo {
                revision: r.revision,
                digest: r.digest.to_string(),
                bundle: r.bundle.clone(),
                created_at: r.created_at,
            })
            .collect(),
        assigned_clusters: shown.assigned_clusters,
        pending_clusters: shown.pending_clusters,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// NAME@VERSION of the old side.
    pub from: String,
    /// NAME@VERSION of the new side.
    pub to: String,
    /// Merge this cluster's effective overrides into both sides, and list them.
    pub cluster: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/fleet/profiles/diff", tag = "fleet", params(DiffQuery),
    responses((status = 200, description = "What changes from one version to the other", body = ProfileDiff),
              (status = 400, description = "Not NAME@VERSION", body = super::ErrorBody),
              (status = 404, description = "A version or the cluster is unknown", body = super::ErrorBody)))]
async fn profile_diff(
    State(fleet): State<Fleet>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<ProfileDiff> {
    let from: ProfileRef = q.from.parse()?;
    let to: ProfileRef = q.to.parse()?;
    Ok(Json(
        catalog::diff(&fleet, &from, &to, q.cluster.as_deref()).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncAnswer {
    pub recorded: Vec<catalog::Recorded>,
}

#[utoipa::path(post, path = "/api/v1/fleet/profiles/sync", tag = "fleet",
    responses((status = 200, description = "Every active bundle's profile definitions recorded", body = SyncAnswer)))]
async fn sync_profiles(State(fleet): State<Fleet>, caller: super::Caller) -> ApiResult<SyncAnswer> {
    Ok(Json(SyncAnswer {
        recorded: catalog::sync(&fleet, &caller.actor).await?,
    }))
}

fn sync_routes() -> utoipa_axum::router::OpenApiRouter<Fleet> {
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(sync_profiles))
}
