//! Push (blob uploads, manifests) and content management (deletes). Access was checked by the
//! dispatcher before any of these run.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_bundler::format::Digest;

use super::error::{ErrorCode, RegistryError};
use super::path::{self, Reference};
use super::pull::{header_value, DIGEST_HEADER};
use super::{reference_location, AppState, Params};
use crate::store::{ManifestPushError, UploadError, MAX_MANIFEST_SIZE};

const UPLOAD_UUID_HEADER: &str = "Docker-Upload-UUID";

impl From<UploadError> for RegistryError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Unknown(id) => RegistryError::new(
                ErrorCode::BlobUploadUnknown,
                format!("upload {id} is unknown"),
            ),
            e @ UploadError::OutOfOrder { .. } => {
                RegistryError::new(ErrorCode::BlobUploadInvalid, e.to_string())
                    .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
            }
            e @ (UploadError::Busy(_) | UploadError::RangeMismatch { .. }) => {
                RegistryError::new(ErrorCode::BlobUploadInvalid, e.to_string())
                    .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
            }
            e @ UploadError::Body { .. } => {
                RegistryError::new(ErrorCode::BlobUploadInvalid, e.to_string())
            }
            UploadError::Store(e) => e.into(),
        }
    }
}

impl From<ManifestPushError> for RegistryError {
    fn from(e: ManifestPushError) -> Self {
        match e {
            e @ ManifestPushError::Invalid(_) => {
                RegistryError::new(ErrorCode::ManifestInvalid, e.to_string())
            }
            ManifestPushError::BlobUnknown(d) => RegistryError::new(
                ErrorCode::ManifestBlobUnknown,
                format!("manifest references unknown blob {d}"),
            )
            .with_detail(serde_json::json!({ "digest": d })),
            e @ ManifestPushError::DigestMismatch { .. } => {
                RegistryError::new(ErrorCode::DigestInvalid, e.to_string())
            }
            e @ ManifestPushError::SizeMismatch { .. } => {
                RegistryError::new(ErrorCode::SizeInvalid, e.to_string())
            }
            ManifestPushError::Store(e) => e.into(),
        }
    }
}

fn upload_location(name: &str, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

fn blob_created(name: &str, digest: &Digest) -> Response {
    let mut resp = StatusCode::CREATED.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::LOCATION,
        header_value(&format!("/v2/{name}/blobs/{digest}")),
    );
    h.insert(DIGEST_HEADER, header_value(&digest.to_string()));
    resp
}

/// The session's state as the spec reports it: Location, `Range: 0-<last byte>`, upload id.
fn session_response(status: StatusCode, name: &str, id: &str, size: u64) -> Response {
    let mut resp = status.into_response();
    let h = resp.headers_mut();
    h.insert(header::LOCATION, header_value(&upload_location(name, id)));
    h.insert(
        header::RANGE,
        header_value(&format!("0-{}", size.saturating_sub(1))),
    );
    h.insert(UPLOAD_UUID_HEADER, header_value(id));
    h.insert(header::CONTENT_LENGTH, 0.into());
    resp
}

fn query_digest(params: &Params) -> Result<Option<Digest>, RegistryError> {
    params.get("digest").map(path::digest).transpose()
}

/// `POST /v2/<name>/blobs/uploads/`: cross-repository mount, monolithic upload, or a new session.
pub async fn start_upload(
    state: &AppState,
    name: &str,
    params: &Params,
    body: Body,
) -> Result<Response, RegistryError> {
    if let Some(mount) = params.get("mount") {
        let digest = path::digest(mount)?;
        // Only from a repository that has the blob; without `from`, or when it lacks it, the
        // client gets a plain upload session, as the spec lets a registry answer.
        if let Some(from) = params.get("from") {
            let from = path::repository_name(from, None)?;
            if state.store.mount_blob(&from, name, &digest).await? {
                return Ok(blob_created(name, &digest));
            }
        }
    } else if let Some(digest) = query_digest(params)? {
        let id = state.store.upload_start(name)?;
        let stored = async {
            state
                .store
                .upload_append(name, &id, None, body.into_data_stream())
                .await?;
            state.store.upload_finish(name, &id, &digest).await
        }
        .await;
        if let Err(e) = stored {
            let _ = state.store.upload_cancel(name, &id);
            return Err(e.into());
        }
        return Ok(blob_created(name, &digest));
    }
    let id = state.store.upload_start(name)?;
    Ok(session_response(StatusCode::ACCEPTED, name, &id, 0))
}

/// `Content-Range: <start>-<end>` (the spec's form; `bytes ` prefix tolerated): the chunk's first
/// and last byte.
fn chunk_range(headers: &HeaderMap) -> Result<Option<(u64, u64)>, RegistryError> {
    let Some(v) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let invalid = || {
        RegistryError::new(
            ErrorCode::BlobUploadInvalid,
            "Content-Range must be <start>-<end>",
        )
        .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
    };
    let s = v.to_str().map_err(|_| invalid())?.trim();
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    let (a, b) = s.split_once('-').ok_or_else(invalid)?;
    let a: u64 = a.trim().parse().map_err(|_| invalid())?;
    let b: u64 = b.trim().parse().map_err(|_| invalid())?;
    if b < a {
        return Err(invalid());
    }
    Ok(Some((a, b)))
}

pub async fn patch_upload(
    state: &AppState,
    name: &str,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let range = chunk_range(headers)?;
    let size = state
        .store
        .upload_append(name, id, range, body.into_data_stream())
        .await?;
    Ok(session_response(StatusCode::ACCEPTED, name, id, size))
}

pub async fn upload_status(
    state: &AppState,
    name: &str,
    id: &str,
) -> Result<Response, RegistryError> {
    let size = state.store.upload_size(name, id)?.ok_or_else(|| {
        RegistryError::new(
            ErrorCode::BlobUploadUnknown,
            format!("upload {id} is unknown"),
        )
    })?;
    Ok(session_response(StatusCode::NO_CONTENT, name, id, size))
}

/// `PUT <upload>?digest=`: the last chunk (possibly empty), then verify and publish.
pub async fn finish_upload(
    state: &AppState,
    name: &str,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let digest = query_digest(params)?.ok_or_else(|| {
        RegistryError::new(ErrorCode::DigestInvalid, "closing an upload needs ?digest=")
    })?;
    let range = chunk_range(headers)?;
    state
        .store
        .upload_append(name, id, range, body.into_data_stream())
        .await?;
    state.store.upload_finish(name, id, &digest).await?;
    Ok(blob_created(name, &digest))
}

pub async fn cancel_upload(
    state: &AppState,
    name: &str,
    id: &str,
) -> Result<Response, RegistryError> {
    if state.store.upload_cancel(name, id)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(RegistryError::new(
            ErrorCode::BlobUploadUnknown,
            format!("upload {id} is unknown"),
        ))
    }
}

pub async fn put_manifest(
    state: &AppState,
    name: &str,
    reference: &Reference,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let too_big = || {
        RegistryError::new(
            ErrorCode::ManifestInvalid,
            format!("manifest exceeds {MAX_MANIFEST_SIZE} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_MANIFEST_SIZE as u64) {
        return Err(too_big());
    }
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_SIZE)
        .await
        .map_err(|_| too_big())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (tag, by_digest) = match reference {
        Reference::Tag(t) => (Some(t.as_str()), None),
        Reference::Digest(d) => (None, Some(d)),
    };
    let pushed = state
        .store
        .push_manifest(name, tag, by_digest, content_type, bytes.to_vec())
        .await
        .map_err(|e| {
            let mut e = RegistryError::from(e);
            let at = match reference {
                Reference::Tag(t) => format!("{name}:{t}"),
                Reference::Digest(d) => format!("{name}@{d}"),
            };
            e.message = format!("{at}: {}", e.message);
            e
        })?;
    let mut resp = StatusCode::CREATED.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::LOCATION,
        header_value(&reference_location(
            name,
            &Reference::Digest(pushed.digest.clone()),
        )),
    );
    h.insert(DIGEST_HEADER, header_value(&pushed.digest.to_string()));
    if let Some(subject) = pushed.subject {
        h.insert("OCI-Subject", header_value(&subject.to_string()));
    }
    Ok(resp)
}

pub async fn delete_manifest(
    state: &AppState,
    name: &str,
    reference: &Reference,
) -> Result<Response, RegistryError> {
    let deleted = match reference {
        Reference::Digest(d) => state.store.delete_manifest(name, d).await?,
        Reference::Tag(t) => state.store.delete_tag(name, t).await?,
    };
    if deleted {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(RegistryError::new(
            ErrorCode::ManifestUnknown,
            format!("manifest {name}:{reference} is unknown"),
        ))
    }
}

/// Unlinks the blob from `name` only: other repositories keep serving it, and `gc` removes the
/// file once nothing refers to it.
pub async fn delete_blob(
    state: &AppState,
    name: &str,
    digest: &Digest,
) -> Result<Response, RegistryError> {
    if state.store.unlink_blob(name, digest).await? {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(RegistryError::new(
            ErrorCode::BlobUnknown,
            format!("blob {digest} is unknown in {name}"),
        ))
    }
}
