//! `/api/v1/fleet/clusters/{name}/…` and `/api/v1/fleet/groups/{name}/…`: assignment,
//! overrides, variable values and cloning. Every write answers with the scope's settings as
//! they now are (secret variable values shown as `"(secret)"`), and republishes the desired
//! state of the clusters it reaches.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::{ApiResult, Caller, ErrorBody, FleetRoutes};
use crate::fleet::assign::{self, AssignError, Cloned, Scope};
use crate::fleet::catalog::ProfileRef;
use crate::fleet::{desired, Fleet, FleetError};

pub fn routes() -> FleetRoutes {
    FleetRoutes {
        read: OpenApiRouter::new().routes(routes!(get_assignment)),
        write: OpenApiRouter::new()
            .routes(routes!(put_assignment))
            .routes(routes!(put_cluster_override, delete_cluster_override))
            .routes(routes!(put_group_override, delete_group_override))
            .routes(routes!(put_cluster_variables))
            .routes(routes!(put_group_variables))
            .routes(routes!(clone_cluster)),
        agent: OpenApiRouter::new(),
    }
}

/// A cluster's settings: its assignment, its own overrides and variables, the groups it is in
/// and what all of them give it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSettings {
    pub cluster: String,
    pub profiles: Vec<ProfileRef>,
    /// Groups whose selector matches it, weakest first (name order).
    pub groups: Vec<String>,
    #[schema(value_type = Object)]
    pub overrides: BTreeMap<String, Map<String, Value>>,
    #[schema(value_type = Object)]
    pub variables: BTreeMap<String, Value>,
    /// Groups' and its own overrides merged, per layer.
    #[schema(value_type = Object)]
    pub effective_overrides: BTreeMap<String, Map<String, Value>>,
    #[schema(value_type = Object)]
    pub effective_variables: BTreeMap<String, Value>,
    /// Desired state published after this change.
    #[serde(default)]
    pub published: Vec<PublishOutcome>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupSettings {
    pub group: String,
    /// Registered clusters its selector matches.
    pub clusters: Vec<String>,
    #[schema(value_type = Object)]
    pub overrides: BTreeMap<String, Map<String, Value>>,
    #[schema(value_type = Object)]
    pub variables: BTreeMap<String, Value>,
    #[serde(default)]
    pub published: Vec<PublishOutcome>,
}

/// What republishing one cluster's desired state gave.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishOutcome {
    pub cluster: String,
    pub revision: Option<i64>,
    pub digest: Option<String>,
    pub changed: bool,
    /// Why it could not be published (a required variable without a value, no signing key…).
    pub error: Option<String>,
}

/// Republishes the desired state of `clusters` after a change that alters it: each one's
/// effective input rendered and published (nothing is written when the artifact is `current`
/// already). A cluster with nothing assigned and nothing published yet is skipped. Each
/// outcome, or why it failed (a required variable without a value, no signing key), goes into
/// the answer; the change itself is committed either way.
async fn publish(fleet: &Fleet, clusters: &[String], actor: &str) -> Vec<PublishOutcome> {
    let mut out = Vec::new();
    for cluster in clusters {
        let result: Result<Option<desired::Published>, FleetError> = async {
            let assigned = !assign::assignment(fleet, cluster).await?.is_empty();
            if !assigned && desired::current(fleet, cluster).await?.is_none() {
                return Ok(None);
            }
            Ok(Some(desired::publish_cluster(fleet, cluster, actor).await?))
        }
        .await;
        match result {
            Ok(None) => {}
            Ok(Some(p)) => out.push(PublishOutcome {
                cluster: cluster.clone(),
                revision: Some(p.revision),
                digest: Some(p.digest.to_string()),
                changed: p.changed,
                error: None,
            }),
            Err(e) => out.push(PublishOutcome {
                cluster: cluster.clone(),
                revision: None,
                digest: None,
                changed: false,
                error: Some(e.to_string()),
            }),
        }
    }
    out
}

async fn cluster_settings(fleet: &Fleet, cluster: &str) -> Result<ClusterSettings, FleetError> {
    let scope = Scope::Cluster(cluster.to_owned());
    let secret = assign::secret_names(fleet).await?;
    let effective_variables = assign::effective_variables(fleet, cluster)
        .await?
        .into_iter()
        .map(|(k, v)| {
            let shown = crate::fleet::variables::shown(secret.contains(&k), &v);
            (k, shown)
        })
        .collect();
    Ok(ClusterSettings {
        cluster: cluster.to_owned(),
        profiles: assign::assignment(fleet, cluster).await?,
        groups: assign::groups_of(fleet, cluster).await?,
        overrides: assign::overrides(fleet, &scope).await?,
        variables: assign::shown_variables(fleet, &scope).await?,
        effective_overrides: assign::effective_overrides(fleet, cluster).await?,
        effective_variables,
        published: Vec::new(),
    })
}

async fn group_settings(fleet: &Fleet, group: &str) -> Result<GroupSettings, FleetError> {
    let scope = Scope::Group(group.to_owned());
    Ok(GroupSettings {
        group: group.to_owned(),
        clusters: assign::clusters_in_scope(fleet, &scope).await?,
        overrides: assign::overrides(fleet, &scope).await?,
        variables: assign::shown_variables(fleet, &scope).await?,
        published: Vec::new(),
    })
}

async fn cluster_answer(fleet: &Fleet, cluster: &str, actor: &str) -> ApiResult<ClusterSettings> {
    let published = publish(fleet, &[cluster.to_owned()], actor).await;
    let mut s = cluster_settings(fleet, cluster).await?;
    s.published = published;
    Ok(Json(s))
}

async fn group_answer(fleet: &Fleet, group: &str, actor: &str) -> ApiResult<GroupSettings> {
    let mut s = group_settings(fleet, group).await?;
    s.published = publish(fleet, &s.clusters, actor).await;
    Ok(Json(s))
}

#[utoipa::path(get, path = "/api/v1/fleet/clusters/{name}/assignment", tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    responses((status = 200, description = "The cluster's settings", body = ClusterSettings),
              (status = 404, description = "No such cluster", body = ErrorBody)))]
async fn get_assignment(
    State(fleet): State<Fleet>,
    Path(name): Path<String>,
) -> ApiResult<ClusterSettings> {
    assign::require_cluster(&fleet, &name).await?;
    Ok(Json(cluster_settings(&fleet, &name).await?))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentBody {
    /// NAME@VERSION of each profile version, at most one infra or full.
    pub profiles: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/fleet/clusters/{name}/assignment", tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    request_body = AssignmentBody,
    responses((status = 200, description = "The cluster's settings", body = ClusterSettings),
              (status = 400, description = "Not NAME@VERSION", body = ErrorBody),
              (status = 404, description = "No such cluster or profile version", body = ErrorBody),
              (status = 422, description = "More than one infra or full profile", body = ErrorBody)))]
async fn put_assignment(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<AssignmentBody>,
) -> ApiResult<ClusterSettings> {
    let profiles = body
        .profiles
        .iter()
        .map(|p| p.parse::<ProfileRef>())
        .collect::<Result<Vec<_>, _>>()?;
    assign::set_assignment(&fleet, &name, &profiles, &caller.actor).await?;
    cluster_answer(&fleet, &name, &caller.actor).await
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideBody {
    /// Values for the layer.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
    /// Deep-merge into the override the layer has, instead of replacing it.
    #[serde(default)]
    pub merge: bool,
}

async fn write_override(
    fleet: &Fleet,
    scope: &Scope,
    layer: &str,
    body: OverrideBody,
    actor: &str,
) -> Result<(), FleetError> {
    if body.merge {
        assign::merge_override(fleet, scope, layer, body.values, actor).await?;
    } else {
        assign::set_override(fleet, scope, layer, body.values, actor).await?;
    }
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/fleet/clusters/{name}/overrides/{layer}", tag = "fleet",
    params(("name" = String, Path, description = "Cluster name"), ("layer" = String, Path, description = "Layer name")),
    request_body = OverrideBody,
    responses((status = 200, description = "The cluster's settings", body = ClusterSettings),
              (status = 404, description = "No such cluster, or no profile has the layer", body = ErrorBody)))]
async fn put_cluster_override(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path((name, layer)): Path<(String, String)>,
    Json(body): Json<OverrideBody>,
) -> ApiResult<ClusterSettings> {
    write_override(
        &fleet,
        &Scope::Cluster(name.clone()),
        &layer,
        body,
        &caller.actor,
    )
    .await?;
    cluster_answer(&fleet, &name, &caller.actor).await
}

#[utoipa::path(delete, path = "/api/v1/fleet/clusters/{name}/overrides/{layer}", tag = "fleet",
    params(("name" = String, Path, description = "Cluster name"), ("layer" = String, Path, description = "Layer name")),
    responses((status = 200, description = "The cluster's settings", body = ClusterSettings),
              (status = 404, description = "No such override", body = ErrorBody)))]
async fn delete_cluster_override(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path((name, layer)): Path<(String, String)>,
) -> ApiResult<ClusterSettings> {
    assign::remove_override(&fleet, &Scope::Cluster(name.clone()), &layer, &caller.actor).await?;
    cluster_answer(&fleet, &name, &caller.actor).await
}

#[utoipa::path(put, path = "/api/v1/fleet/groups/{name}/overrides/{layer}", tag = "fleet",
    params(("name" = String, Path, description = "Group name"), ("layer" = String, Path, description = "Layer name")),
    request_body = OverrideBody,
    responses((status = 200, description = "The group's settings", body = GroupSettings),
              (status = 404, description = "No such group, or no profile has the layer", body = ErrorBody)))]
async fn put_group_override(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path((name, layer)): Path<(String, String)>,
    Json(body): Json<OverrideBody>,
) -> ApiResult<GroupSettings> {
    write_override(
        &fleet,
        &Scope::Group(name.clone()),
        &layer,
        body,
        &caller.actor,
    )
    .await?;
    group_answer(&fleet, &name, &caller.actor).await
}

#[utoipa::path(delete, path = "/api/v1/fleet/groups/{name}/overrides/{layer}", tag = "fleet",
    params(("name" = String, Path, description = "Group name"), ("layer" = String, Path, description = "Layer name")),
    responses((status = 200, description = "The group's settings", body = GroupSettings),
              (status = 404, description = "No such override", body = ErrorBody)))]
async fn delete_group_override(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path((name, layer)): Path<(String, String)>,
) -> ApiResult<GroupSettings> {
    assign::remove_override(&fleet, &Scope::Group(name.clone()), &layer, &caller.actor).await?;
    group_answer(&fleet, &name, &caller.actor).await
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariablesBody {
    /// Values by variable name; `null` removes one.
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Option<Value>>,
}

#[utoipa::path(put, path = "/api/v1/fleet/clusters/{name}/variables", tag = "fleet",
    params(("name" = String, Path, description = "Cluster name")),
    request_body = VariablesBody,
    responses((status = 200, description = "The cluster's settings", body = ClusterSettings),
              (status = 404, description = "No such cluster, or no profile declares the variable", body = ErrorBody),
              (status = 422, description = "Wrong type or pattern mismatch", body = ErrorBody)))]
async fn put_cluster_variables(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<VariablesBody>,
) -> ApiResult<ClusterSettings> {
    assign::set_variables(
        &fleet,
        &Scope::Cluster(name.clone()),
        &body.values,
        &caller.actor,
    )
    .await?;
    cluster_answer(&fleet, &name, &caller.actor).await
}

#[utoipa::path(put, path = "/api/v1/fleet/groups/{name}/variables", tag = "fleet",
    params(("name" = String, Path, description = "Group name")),
    request_body = VariablesBody,
    responses((status = 200, description = "The group's settings", body = GroupSettings),
              (status = 404, description = "No such group, or no profile declares the variable", body = ErrorBody),
              (status = 422, description = "Wrong type or pattern mismatch", body = ErrorBody)))]
async fn put_group_variables(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<VariablesBody>,
) -> ApiResult<GroupSettings> {
    assign::set_variables(
        &fleet,
        &Scope::Group(name.clone()),
        &body.values,
        &caller.actor,
    )
    .await?;
    group_answer(&fleet, &name, &caller.actor).await
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloneBody {
    pub to_cluster: Option<String>,
    pub to_group: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloneAnswer {
    #[serde(flatten)]
    pub cloned: Cloned,
    #[serde(default)]
    pub published: Vec<PublishOutcome>,
}

#[utoipa::path(post, path = "/api/v1/fleet/clusters/{name}/clone", tag = "fleet",
    params(("name" = String, Path, description = "Cluster whose settings are copied")),
    request_body = CloneBody,
    responses((status = 200, description = "What was copied", body = CloneAnswer),
              (status = 400, description = "Not exactly one target, or the cluster itself", body = ErrorBody),
              (status = 404, description = "No such cluster or group", body = ErrorBody)))]
async fn clone_cluster(
    State(fleet): State<Fleet>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<CloneBody>,
) -> ApiResult<CloneAnswer> {
    let to = match (body.to_cluster, body.to_group) {
        (Some(c), None) => Scope::Cluster(c),
        (None, Some(g)) => Scope::Group(g),
        _ => return Err(AssignError::CloneTarget(name).into()),
    };
    let cloned = assign::clone_settings(&fleet, &name, &to, &caller.actor).await?;
    let reached = assign::clusters_in_scope(&fleet, &to).await?;
    Ok(Json(CloneAnswer {
        cloned,
        published: publish(&fleet, &reached, &caller.actor).await,
    }))
}
