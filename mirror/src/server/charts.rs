//! The Helm chart repository: `GET /charts/index.yaml` generated from every chart in the store, and
//! `GET /charts/<name>-<version>.tgz` (plus `.tgz.prov`) streamed from the chart's OCI layer. The
//! same charts are served as `oci://<mirror>/charts/<name>:<version>` by `/v2/`.
//!
//! The index is generated per request from the database and the (small) Helm config blobs.

use std::collections::BTreeMap;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::files::stream_blob;
use super::service_error::{check_name, ServiceError};
use super::AppState;
use crate::store::catalog::rfc3339;
use crate::store::{now_unix, ChartVersion};

const PROV_SUFFIX: &str = ".tgz.prov";
const TGZ_SUFFIX: &str = ".tgz";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/charts/index.yaml", get(index))
        .route("/charts/{file}", get(package))
}

/// Helm's repository index (`repo.IndexFile`): entries are Chart.yaml fields plus urls, created
/// and digest.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    api_version: &'static str,
    entries: BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    generated: String,
}

async fn index(State(state): State<AppState>) -> Result<Response, ServiceError> {
    let mut charts = state.store.charts().await?;
    // Newest version first, as `helm repo index` writes them (helm sorts again on load).
    charts.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| version_order(b, a)));
    let mut entries: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for chart in charts {
        let name = chart.name.clone();
        entries.entry(name).or_default().push(entry(chart));
    }
    let doc = IndexFile {
        api_version: "v1",
        entries,
        generated: rfc3339(now_unix()),
    };
    let yaml = serde_saphyr::to_string(&doc).map_err(|e| ServiceError::Render {
        what: "charts/index.yaml",
        message: e.to_string(),
    })?;
    Ok(([(header::CONTENT_TYPE, "application/x-yaml")], yaml).into_response())
}

/// Semantic version order where both parse, else plain text order.
fn version_order(a: &ChartVersion, b: &ChartVersion) -> std::cmp::Ordering {
    let parse = |v: &str| semver::Version::parse(v.trim_start_matches('v')).ok();
    match (parse(&a.version), parse(&b.version)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.version.cmp(&b.version),
    }
}

fn entry(chart: ChartVersion) -> serde_json::Map<String, serde_json::Value> {
    let url = format!("{}-{}{TGZ_SUFFIX}", chart.name, chart.version);
    let mut e = chart.metadata;
    e.insert("name".into(), chart.name.into());
    e.insert("version".into(), chart.version.into());
    // Relative to the index, as `helm repo index` writes them without --url.
    e.insert("urls".into(), serde_json::json!([url]));
    e.insert("created".into(), rfc3339(chart.created_at).into());
    e.insert("digest".into(), chart.package.digest.hex().into());
    e
}

async fn package(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServiceError> {
    let Path(file) = file.map_err(|e| ServiceError::BadRequest(format!("chart file: {e}")))?;
    check_name(&file)?;
    let not_found = || ServiceError::NotFound(format!("no chart package {file:?}"));
    let (stem, prov) = if let Some(stem) = file.strip_suffix(PROV_SUFFIX) {
        (stem, true)
    } else if let Some(stem) = file.strip_suffix(TGZ_SUFFIX) {
        (stem, false)
    } else {
        return Err(not_found());
    };
    let chart = find(&state, stem).await?.ok_or_else(not_found)?;
    let (blob, content_type) = if prov {
        let blob = chart.provenance.as_ref().ok_or_else(not_found)?;
        (blob, "application/octet-stream")
    } else {
        (&chart.package, "application/gzip")
    };
    stream_blob(
        &state,
        blob,
        &headers,
        method == Method::HEAD,
        content_type,
        Some(&file),
    )
    .await
}

/// `<name>-<version>` is ambiguous (both may contain `-`): try every split, name first shortest.
async fn find(state: &AppState, stem: &str) -> Result<Option<ChartVersion>, ServiceError> {
    for (i, _) in stem.match_indices('-') {
        let (name, version) = (&stem[..i], &stem[i + 1..]);
        if name.is_empty() || version.is_empty() {
            continue;
        }
        if let Some(chart) = state.store.chart(name, version).await? {
            return Ok(Some(chart));
        }
    }
    Ok(None)
}
