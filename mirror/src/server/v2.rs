//! `/v2`: every registry request is parsed, checked against [`super::access`], and handed to
//! its endpoint's handler; the user it was allowed as rides along on the response for the audit
//! hook.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use super::access::{self, Actor, ClientAddr, Need, Refusal};
use super::error::{ErrorCode, RegistryError};
use super::path::{self, Endpoint};
use super::{discovery, pull, push, AppState, Params};

/// Every `/v2` request: parse the path, check access, hand over to the endpoint's handler.
pub(super) async fn dispatch(
    State(state): State<AppState>,
    client: ClientAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = Params::of(&uri);
    match route(&state, client, &method, &uri, &params, &headers, body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

/// Credentials are checked before the path is parsed: a client that may not use this mirror
/// learns nothing from it, not even whether a name is well-formed.
async fn route(
    state: &AppState,
    client: ClientAddr,
    method: &Method,
    uri: &Uri,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let head = method == Method::HEAD;
    let reading = method == Method::GET || head;
    if !reading && !state.push {
        return Err(RegistryError::new(
            ErrorCode::Unsupported,
            "push and delete are disabled on this mirror",
        ));
    }
    let access = &state.access;
    let principal = match access.authenticate(headers, client).await {
        Ok(p) => p,
        Err(refusal) => return Ok(refused(state, headers, refusal)),
    };
    let endpoint = match path::parse(uri.path(), params.get("ns")) {
        Ok(endpoint) => endpoint,
        // Without credentials, the same challenge as any request that needs them; with
        // anonymous pull a read may learn that its name is malformed.
        Err(_) if principal.actor().is_none() && !(reading && access.anonymous_reads()) => {
            let refusal = Refusal::Challenge {
                failure: None,
                scope: None,
                insufficient_scope: false,
            };
            return Ok(refused(state, headers, refusal));
        }
        // A reference that is no valid tag names no manifest there is to read.
        Err(e) if reading && e.code == ErrorCode::ManifestInvalid => {
            return Err(RegistryError::new(
                ErrorCode::ManifestUnknown,
                format!("manifest unknown: {}", e.message),
            ))
        }
        Err(e) => return Err(e),
    };
    let in_path = path::name_in_path(&endpoint, params.get("ns"));
    let need = need_of(&endpoint, method, &in_path, params);
    if let Err(refusal) = access.authorize(&principal, need) {
        return Ok(refused(state, headers, refusal));
    }
    let actor = Actor(principal.actor().map(str::to_owned));
    let mut resp = handle(state, endpoint, method, uri, params, headers, body, head).await?;
    resp.extensions_mut().insert(actor);
    Ok(resp)
}

/// The access a `/v2` request needs. A mount also needs pull on `from` (a well-formed one; the
/// upload refuses the rest).
fn need_of<'a>(
    endpoint: &'a Endpoint,
    method: &Method,
    in_path: &'a str,
    params: &'a Params,
) -> Need<'a> {
    use access::Action;
    let action = match *method {
        Method::GET | Method::HEAD => Action::Pull,
        Method::DELETE => Action::Delete,
        _ => Action::Push,
    };
    match endpoint {
        Endpoint::Base => Need::Login,
        Endpoint::Catalog => Need::Catalog,
        // Upload status and cancelling are as private as the upload itself.
        Endpoint::Upload { name, .. } => Need::Repository {
            names: [in_path, name.as_str()],
            action: Action::Push,
        },
        Endpoint::UploadStart { name } if params.get("mount").is_some() => {
            match params.get("from").filter(|f| path::is_valid_name(f)) {
                Some(from) => Need::Mount {
                    names: [in_path, name.as_str()],
                    from,
                },
                None => Need::Repository {
                    names: [in_path, name.as_str()],
                    action,
                },
            }
        }
        Endpoint::Tags { name }
        | Endpoint::Referrers { name, .. }
        | Endpoint::Manifest { name, .. }
        | Endpoint::Blob { name, .. }
        | Endpoint::UploadStart { name } => Need::Repository {
            names: [in_path, name.as_str()],
            action,
        },
    }
}

/// A refusal as the registry renders it: the OCI error body, a bearer challenge on 401.
fn refused(state: &AppState, headers: &HeaderMap, refusal: Refusal) -> Response {
    let failed = refusal.login_failed();
    let mut resp = match refusal {
        Refusal::Challenge {
            scope,
            insufficient_scope,
            ..
        } => {
            let challenge =
                state
                    .access
                    .bearer_challenge(headers, scope.as_deref(), insufficient_scope);
            let mut resp = RegistryError::new(ErrorCode::Unauthorized, "authentication required")
                .into_response();
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
            resp
        }
        Refusal::Denied { user, role } => RegistryError::new(
            ErrorCode::Denied,
            format!("user {user:?} with role {role} may not do this"),
        )
        .into_response(),
        Refusal::Limited { retry_after, .. } => access::too_many_failed_logins(retry_after),
    };
    if let Some(failed) = failed {
        resp.extensions_mut().insert(failed);
    }
    resp
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    state: &AppState,
    endpoint: Endpoint,
    method: &Method,
    uri: &Uri,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
    head: bool,
) -> Result<Response, RegistryError> {
    match (endpoint, method.as_str()) {
        (Endpoint::Base, "GET" | "HEAD") => {
            Ok(([("Docker-Distribution-API-Version", "registry/2.0")], "{}").into_response())
        }
        (Endpoint::Catalog, "GET" | "HEAD") => discovery::catalog(state, params).await,
        (Endpoint::Tags { name }, "GET" | "HEAD") => {
            discovery::tags(state, uri, &name, params).await
        }
        (Endpoint::Referrers { name, digest }, "GET" | "HEAD") => {
            discovery::referrers(state, &name, &digest, params).await
        }
        (Endpoint::Manifest { name, reference }, "GET" | "HEAD") => {
            pull::manifest(state, &name, &reference, head).await
        }
        (Endpoint::Blob { name, digest }, "GET" | "HEAD") => {
            pull::blob(state, &name, &digest, headers, head).await
        }
        (Endpoint::Manifest { name, reference }, "PUT") => {
            push::put_manifest(state, &name, &reference, headers, body).await
        }
        (Endpoint::Manifest { name, reference }, "DELETE") => {
            push::delete_manifest(state, &name, &reference).await
        }
        (Endpoint::Blob { name, digest }, "DELETE") => {
            push::delete_blob(state, &name, &digest).await
        }
        (Endpoint::UploadStart { name }, "POST") => {
            push::start_upload(state, &name, params, body).await
        }
        (Endpoint::Upload { name, id }, "GET") => push::upload_status(state, &name, &id).await,
        (Endpoint::Upload { name, id }, "PATCH") => {
            push::patch_upload(state, &name, &id, headers, body).await
        }
        (Endpoint::Upload { name, id }, "PUT") => {
            push::finish_upload(state, &name, &id, params, headers, body).await
        }
        (Endpoint::Upload { name, id }, "DELETE") => push::cancel_upload(state, &name, &id).await,
        (_, m) => Err(RegistryError::new(
            ErrorCode::Unsupported,
            format!("method {m} is not supported here"),
        )),
    }
}
