//! Pull: manifests by tag or digest, blobs streamed in place with single-range support.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_bundler::format::Digest;

use super::error::{ErrorCode, RegistryError};
use super::path::Reference;
use super::AppState;

pub const DIGEST_HEADER: &str = "Docker-Content-Digest";

/// GET/HEAD a manifest. The stored media type is returned whatever the client's `Accept` says,
/// as distribution does: runtimes send long Accept lists and the bytes must stay exact anyway.
pub async fn manifest(
    state: &AppState,
    name: &str,
    reference: &Reference,
    head: bool,
) -> Result<Response, RegistryError> {
    let unknown = || {
        RegistryError::new(
            ErrorCode::ManifestUnknown,
            format!("manifest {name}:{reference} is unknown"),
        )
    };
    let digest = match reference {
        Reference::Digest(d) => d.clone(),
        Reference::Tag(tag) => state
            .store
            .tag_digest(name, tag)
            .await?
            .ok_or_else(unknown)?,
    };
    let record = state
        .store
        .manifest_record(name, &digest)
        .await?
        .ok_or_else(unknown)?;
    let body = if head {
        Body::empty()
    } else {
        let path = state.store.blob_path(&digest);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(unknown()),
            Err(e) => return Err(crate::store::StoreError::io(path, e).into()),
        };
        Body::from(bytes)
    };
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(&record.media_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(record.size));
    h.insert(DIGEST_HEADER, header_value(&digest.to_string()));
    h.insert(header::ETAG, header_value(&format!("\"{digest}\"")));
    Ok(resp)
}

/// GET/HEAD a blob of `name`. Only a blob linked to `name` in the database is served: one
/// primary-key lookup before the file is opened.
pub async fn blob(
    state: &AppState,
    name: &str,
    digest: &Digest,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response, RegistryError> {
    if !state.store.blob_linked(name, digest).await? {
        return Err(RegistryError::new(
            ErrorCode::BlobUnknown,
            format!("blob {digest} is unknown in {name}"),
        ));
    }
    blob_file(state, digest, headers, head).await
}

/// A stored blob streamed from its file, for a caller that checked the database says it may be
/// served. Only a file at its digest path can be served, and files only get there after their
/// digest was checked.
pub async fn blob_file(
    state: &AppState,
    digest: &Digest,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response, RegistryError> {
    let path = state.store.blob_path(digest);
    let unknown =
        || RegistryError::new(ErrorCode::BlobUnknown, format!("blob {digest} is unknown"));
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(unknown()),
        Err(e) => return Err(crate::store::StoreError::io(path, e).into()),
    };
    let len = file
        .metadata()
        .await
        .map_err(|e| crate::store::StoreError::io(&path, e))?
        .len();
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(spec) => match parse_range(spec, len) {
            RangeRequest::Ignore => None,
            RangeRequest::Satisfiable(a, b) => Some((a, b)),
            RangeRequest::Unsatisfiable => {
                let mut resp = RegistryError::new(
                    ErrorCode::BlobUnknown,
                    format!("range {spec:?} is outside blob {digest} of {len} bytes"),
                )
                .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
                .into_response();
                resp.headers_mut().insert(
                    header::CONTENT_RANGE,
                    header_value(&format!("bytes */{len}")),
                );
                return Ok(resp);
            }
        },
        None => None,
    };
    let (status, start, count) = match range {
        Some((a, b)) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        None => (StatusCode::OK, 0, len),
    };
    let body = if head || count == 0 {
        Body::empty()
    } else {
        super::blob_body::mapped_body(file.into_std().await, start, count)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(DIGEST_HEADER, header_value(&digest.to_string()));
    h.insert(header::ETAG, header_value(&format!("\"{digest}\"")));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            header_value(&format!("bytes {}-{}/{len}", start, start + count - 1)),
        );
    }
    Ok(resp)
}

#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// Not a single byte range we understand: serve the whole blob (RFC 9110 allows ignoring Range).
    Ignore,
    /// Inclusive first and last byte.
    Satisfiable(u64, u64),
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` against a blob of `len` bytes.
pub fn parse_range(spec: &str, len: u64) -> RangeRequest {
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignore;
    };
    if set.contains(',') {
        return RangeRequest::Ignore;
    }
    let Some((a, b)) = set.trim().split_once('-') else {
        return RangeRequest::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (a.trim(), b.trim()) {
        ("", suffix) => match num(suffix) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) if len > 0 => RangeRequest::Satisfiable(len.saturating_sub(n), len - 1),
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Ignore,
        },
        (first, last) => {
            let Some(first) = num(first) else {
                return RangeRequest::Ignore;
            };
            let last = if last.is_empty() {
                u64::MAX
            } else {
                match num(last) {
                    Some(l) if l >= first => l,
                    _ => return RangeRequest::Ignore,
                }
            };
            if first >= len {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Satisfiable(first, last.min(len - 1))
            }
        }
    }
}

/// Header values built from validated names and digests; anything odd degrades to empty.
pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("bytes=0-9", 100),
            RangeRequest::Satisfiable(0, 9)
        );
        assert_eq!(
            parse_range("bytes=90-", 100),
            RangeRequest::Satisfiable(90, 99)
        );
        assert_eq!(
            parse_range("bytes=90-200", 100),
            RangeRequest::Satisfiable(90, 99)
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            RangeRequest::Satisfiable(90, 99)
        );
        assert_eq!(
            parse_range("bytes=-1000", 100),
            RangeRequest::Satisfiable(0, 99)
        );
        assert_eq!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), RangeRequest::Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeRequest::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeRequest::Ignore);
        assert_eq!(parse_range("bytes=x-1", 100), RangeRequest::Ignore);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 100),
            RangeRequest::Ignore
        );
    }
}
