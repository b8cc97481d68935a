//! Errors of the enclave services (chart repository, files, `/api/v1`): plain statuses with a
//! small JSON body `{"error": ".."}`, as those clients (helm, curl, browsers) expect.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::RegistryError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request names something that can never exist (bad characters, traversal).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The store failed: the server's problem, logged in full and told to the client briefly.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Streaming a blob failed in the shared registry code (already a rendered error).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Audit(crate::audit::AuditError),
    #[error("rendering {what}: {message}")]
    Render { what: &'static str, message: String },
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ServiceError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ServiceError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ServiceError::Registry(e) => return e.into_response(),
            e @ (ServiceError::Store(_) | ServiceError::Audit(_) | ServiceError::Render { .. }) => {
                tracing::error!(error = %e, "enclave service failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal store error".to_owned(),
                )
            }
        };
        let body = serde_json::json!({ "error": message }).to_string();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}

/// Checks a single name taken from a URL path (a file, or a chart package's file name): no path
/// separators, no `..`, no control characters, nothing that could not be quoted in a header.
pub fn check_name(name: &str) -> Result<(), ServiceError> {
    let bad = |why: &str| Err(ServiceError::BadRequest(format!("name {name:?} {why}")));
    if name.is_empty() || name.len() > 255 {
        return bad("must be 1 to 255 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("must not contain a path separator");
    }
    if name.contains("..") || name.starts_with('.') {
        return bad("must not start with a dot or contain \"..\"");
    }
    if name.chars().any(|c| c.is_control() || c == '"') {
        return bad("must not contain control characters or quotes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["talos.iso", "podinfo-6.5.0.tgz", "a b", "ünï"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "..", ".", ".hidden", "a/b", "a\\b", "a..b", "a\0", "a\nb", "q\"", "\u{7f}",
        ] {
            assert!(
                matches!(check_name(bad), Err(ServiceError::BadRequest(_))),
                "{bad:?}"
            );
        }
        assert!(check_name(&"x".repeat(256)).is_err());
    }
}
