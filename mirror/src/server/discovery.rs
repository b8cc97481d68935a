//! Content discovery: tag lists and the catalog (paginated), and the referrers API.

use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;

use super::error::{ErrorCode, RegistryError};
use super::pull::header_value;
use super::{AppState, Params};

/// Page size from `n`: absent or unreadable means everything.
fn page_size(params: &Params) -> Option<u32> {
    params.get("n").and_then(|n| n.parse().ok())
}

/// Fetches one more than asked to know whether a next page exists, and builds its `Link`.
fn paginate(
    mut items: Vec<String>,
    n: Option<u32>,
    base: &str,
    extra: &str,
) -> (Vec<String>, Option<HeaderValue>) {
    let Some(n) = n else { return (items, None) };
    if items.len() <= n as usize {
        return (items, None);
    }
    items.truncate(n as usize);
    let link = items
        .last()
        .map(|last| header_value(&format!("<{base}?n={n}&last={last}{extra}>; rel=\"next\"")));
    (items, link)
}

pub async fn tags(
    state: &AppState,
    uri: &Uri,
    name: &str,
    params: &Params,
) -> Result<Response, RegistryError> {
    let n = page_size(params);
    let last = params.get("last");
    let tags = state
        .store
        .list_tags(name, n.map(|n| n.saturating_add(1)), last)
        .await?
        .ok_or_else(|| {
            RegistryError::new(
                ErrorCode::NameUnknown,
                format!("repository {name} is unknown"),
            )
        })?;
    // The next page is asked for on the path the client used (containerd's ns stays a parameter).
    let extra = params
        .get("ns")
        .map(|ns| format!("&ns={ns}"))
        .unwrap_or_default();
    let (tags, link) = paginate(tags, n, uri.path(), &extra);
    let body = serde_json::json!({ "name": name, "tags": tags });
    Ok(json_response(body, "application/json", link))
}

pub async fn catalog(state: &AppState, params: &Params) -> Result<Response, RegistryError> {
    let n = page_size(params);
    let repos = state
        .store
        .catalog(n.map(|n| n.saturating_add(1)), params.get("last"))
        .await?;
    let (repos, link) = paginate(repos, n, "/v2/_catalog", "");
    Ok(json_response(
        serde_json::json!({ "repositories": repos }),
        "application/json",
        link,
    ))
}

/// An OCI index of the manifests whose subject is `digest`; empty (never 404) when there are none.
pub async fn referrers(
    state: &AppState,
    name: &str,
    digest: &Digest,
    params: &Params,
) -> Result<Response, RegistryError> {
    let filter = params.get("artifactType").filter(|t| !t.is_empty());
    let found = state.store.referrers(name, digest, filter).await?;
    let manifests: Vec<serde_json::Value> = found
        .into_iter()
        .map(|r| {
            let mut d = serde_json::json!({ "mediaType": r.media_type, "digest": r.digest, "size": r.size });
            if let Some(t) = r.artifact_type {
                d["artifactType"] = t.into();
            }
            if let Some(a) = r.annotations {
                d["annotations"] = a;
            }
            d
        })
        .collect();
    let index = serde_json::json!({ "schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests });
    let mut resp = json_response(index, media::OCI_INDEX, None);
    if filter.is_some() {
        resp.headers_mut().insert(
            "OCI-Filters-Applied",
            HeaderValue::from_static("artifactType"),
        );
    }
    Ok(resp)
}

fn json_response(
    body: serde_json::Value,
    content_type: &'static str,
    link: Option<HeaderValue>,
) -> Response {
    let mut resp = body.to_string().into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(link) = link {
        resp.headers_mut().insert(header::LINK, link);
    }
    resp
}
