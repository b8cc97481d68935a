//! Records the registry's writes and failed logins in the audit log, as a middleware so the
//! handlers stay unaware of it: a successful PUT or DELETE of a manifest, tag or blob is recorded
//! with the user the access check let through ([`Actor`]); refused credentials ([`LoginFailed`],
//! from any route, the token endpoint included) are a failed login, counted per window by
//! [`crate::audit::failed_logins`] so that a flood cannot fill the log. Passwords and tokens are never recorded.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::access::{Actor, ClientAddr, LoginFailed, LoginFailure};
use super::path::{self, Endpoint, Reference};
use super::pull::DIGEST_HEADER;
use super::{AppState, Params};
use crate::audit::events::{
    ANONYMOUS, BLOB_DELETED, MANIFEST_DELETED, MANIFEST_PUSHED, TAG_DELETED,
};
use crate::audit::failed_logins::FailedLogin;
use crate::audit::{record, Event};

pub(super) async fn audit_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let client = ClientAddr::of(req.extensions());
    let resp = next.run(req).await;
    if let Some(failed) = resp.extensions().get::<LoginFailed>() {
        let login = login_failed(failed, client, &method, uri.path());
        state.access.failures.note(state.store.db(), login).await;
        return resp;
    }
    let event = if resp.status().is_success() && method != Method::GET && method != Method::HEAD {
        let actor = resp
            .extensions()
            .get::<Actor>()
            .and_then(|a| a.0.clone())
            .map(|u| u.chars().take(MAX_USER_CHARS).collect::<String>())
            .unwrap_or_else(|| ANONYMOUS.to_owned());
        let ns = Params::of(&uri);
        path::parse(uri.path(), ns.get("ns"))
            .ok()
            .and_then(|endpoint| write_event(endpoint, &method, resp.headers()))
            .map(|(action, subject, detail)| Event::new(actor, action, subject, detail))
    } else {
        None
    };
    if let Some(event) = event {
        record(state.store.db(), event).await;
    }
    resp
}

fn login_failed(
    failed: &LoginFailed,
    client: ClientAddr,
    method: &Method,
    path: &str,
) -> FailedLogin {
    FailedLogin {
        address: client.0.map(|a| a.ip().to_string()),
        user: failed
            .user
            .as_ref()
            .map(|u| u.chars().take(MAX_USER_CHARS).collect()),
        reason: failed.reason.as_str(),
        limited: matches!(failed.reason, LoginFailure::Limited { .. }),
        method: method.as_str().to_owned(),
        path: path.chars().take(MAX_PATH_CHARS).collect(),
    }
}

/// What a successful write changed: (action, subject, detail).
fn write_event(
    endpoint: Endpoint,
    method: &Method,
    headers: &HeaderMap,
) -> Option<(&'static str, String, serde_json::Value)> {
    match (endpoint, method.as_str()) {
        (Endpoint::Manifest { name, reference }, "PUT") => {
            let digest = headers.get(DIGEST_HEADER)?.to_str().ok()?.to_owned();
            let tag = match &reference {
                Reference::Tag(t) => Some(t.clone()),
                Reference::Digest(_) => None,
            };
            let subject = headers
                .get("OCI-Subject")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Some((
                MANIFEST_PUSHED,
                format!("{name}@{digest}"),
                json!({ "repository": name, "digest": digest, "tag": tag, "subject": subject }),
            ))
        }
        (
            Endpoint::Manifest {
                name,
                reference: Reference::Digest(d),
            },
            "DELETE",
        ) => Some((
            MANIFEST_DELETED,
            format!("{name}@{d}"),
            json!({ "repository": name, "digest": d.to_string() }),
        )),
        (
            Endpoint::Manifest {
                name,
                reference: Reference::Tag(t),
            },
            "DELETE",
        ) => Some((
            TAG_DELETED,
            format!("{name}:{t}"),
            json!({ "repository": name, "tag": t }),
        )),
        (Endpoint::Blob { name, digest }, "DELETE") => Some((
            BLOB_DELETED,
            digest.to_string(),
            json!({ "repository": name, "digest": digest.to_string() }),
        )),
        _ => None,
    }
}

/// Longest user name recorded; longer ones (only ever hostile) are cut.
const MAX_USER_CHARS: usize = 128;
/// Longest request path recorded.
const MAX_PATH_CHARS: usize = 512;
