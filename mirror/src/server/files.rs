//! The file server: `GET /files/` lists the plain files in the store (JSON, or HTML for browsers),
//! `GET|HEAD /files/<name>` streams one in place, with ranges and its sha256 in headers.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use serde::Serialize;

use super::pull::{self, header_value};
use super::service_error::{check_name, ServiceError};
use super::AppState;
use crate::store::catalog::rfc3339;
use crate::store::{BlobDescriptor, StoredFile};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/files", get(listing))
        .route("/files/", get(listing))
        .route("/files/{name}", get(download))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileEntry {
    name: String,
    /// Relative to `/files/`.
    url: String,
    size: u64,
    /// sha256 of the file's bytes, `sha256:<hex>`.
    digest: String,
    manifest: String,
    /// `null` when the file artifact carries no title (absent is null, docs/json.md).
    title: Option<String>,
    created_at: String,
}

impl From<StoredFile> for FileEntry {
    fn from(f: StoredFile) -> Self {
        Self {
            url: f.name.clone(),
            name: f.name,
            size: f.content.size,
            digest: f.content.digest.to_string(),
            manifest: f.manifest.to_string(),
            title: f.title,
            created_at: rfc3339(f.created_at),
        }
    }
}

async fn listing(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ServiceError> {
    let files: Vec<FileEntry> = state
        .store
        .files()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        return Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html_listing(&files),
        )
            .into_response());
    }
    Ok(axum::Json(serde_json::json!({ "files": files })).into_response())
}

fn html_listing(files: &[FileEntry]) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>files</title></head><body>\n<h1>files</h1>\n<table>\n<tr><th>name</th><th>size</th><th>sha256</th><th>created</th></tr>\n",
    );
    for f in files {
        out.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(&percent_encode(&f.url)),
            escape_html(&f.name),
            f.size,
            escape_html(f.digest.trim_start_matches("sha256:")),
            escape_html(&f.created_at),
        ));
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved URL characters, for links.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn download(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServiceError> {
    let Path(name) = name.map_err(|e| ServiceError::BadRequest(format!("file name: {e}")))?;
    check_name(&name)?;
    let file = state
        .store
        .file(&name)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no file {name:?}")))?;
    stream_blob(
        &state,
        &file.content,
        &headers,
        method == Method::HEAD,
        "application/octet-stream",
        Some(&name),
    )
    .await
}

/// Streams a stored blob in place (ranges as the registry does them) with the headers download
/// tools check: `Content-Length`, `X-Checksum-Sha256: <hex>`, `Digest: sha-256=<base64>`, and
/// `Content-Disposition: attachment` when `attachment` names the file.
pub(super) async fn stream_blob(
    state: &AppState,
    blob: &BlobDescriptor,
    headers: &HeaderMap,
    head: bool,
    content_type: &'static str,
    attachment: Option<&str>,
) -> Result<Response, ServiceError> {
    // A file or chart the catalog lists is served under its own route, not a repository's.
    let mut resp = pull::blob_file(state, &blob.digest, headers, head).await?;
    if !matches!(resp.status(), StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
        return Ok(resp);
    }
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert("X-Checksum-Sha256", header_value(blob.digest.hex()));
    let b64 = base64::engine::general_purpose::STANDARD.encode(blob.digest.to_bytes());
    h.insert("Digest", header_value(&format!("sha-256={b64}")));
    if let Some(name) = attachment {
        // Names passed check_name: no quotes or control characters to escape.
        h.insert(
            header::CONTENT_DISPOSITION,
            header_value(&format!("attachment; filename=\"{name}\"")),
        );
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_links_encoded() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(percent_encode("a b<.iso"), "a%20b%3C.iso");
    }
}
