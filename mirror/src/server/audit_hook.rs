//! Records the registry's writes and failed logins in the audit log, as a middleware so the
//! handlers stay unaware of it: a successful PUT or DELETE of a manifest, tag or blob is recorded
//! with the user who made it; a 401 to a request that carried credentials is a failed login.
//! The password is never read: whether the user exists tells a wrong password from an unknown user.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use serde_json::json;

use super::path::{self, Endpoint, Reference};
use super::pull::DIGEST_HEADER;
use super::{AppState, Params, Writers};
use crate::audit::events::{
    ANONYMOUS, BLOB_DELETED, LOGIN_FAILED, MANIFEST_DELETED, MANIFEST_PUSHED, TAG_DELETED,
};
use crate::audit::{record, Event};

pub(super) async fn audit_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let presented = presented_user(req.headers());
    let resp = next.run(req).await;
    let event = if resp.status() == StatusCode::UNAUTHORIZED {
        presented.map(|user| login_failed(&state, user, &method, uri.path()))
    } else if resp.status().is_success() && method != Method::GET && method != Method::HEAD {
        let ns = Params::of(&uri);
        path::parse(uri.path(), ns.get("ns"))
            .ok()
            .and_then(|endpoint| write_event(endpoint, &method, resp.headers()))
            .map(|(action, subject, detail)| {
                Event::new(
                    presented.flatten().unwrap_or_else(|| ANONYMOUS.to_owned()),
                    action,
                    subject,
                    detail,
                )
            })
    } else {
        None
    };
    if let Some(event) = event {
        record(&state.store, event).await;
    }
    resp
}

fn login_failed(state: &AppState, user: Option<String>, method: &Method, path: &str) -> Event {
    let Some(user) = user else {
        return Event::new(
            ANONYMOUS,
            LOGIN_FAILED,
            "",
            json!({ "user": null, "reason": "malformed credentials", "method": method.as_str(), "path": path }),
        );
    };
    let known = match state.writers.as_deref() {
        Some(Writers::Users(users)) => users.has_user(&user),
        _ => false,
    };
    let reason = if known {
        "wrong password"
    } else {
        "unknown user"
    };
    Event::new(
        ANONYMOUS,
        LOGIN_FAILED,
        user.clone(),
        json!({ "user": user, "reason": reason, "method": method.as_str(), "path": path }),
    )
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

/// Who the request says it is: `None` without an `Authorization` header, `Some(None)` for one
/// that is not well-formed basic credentials (its value is never recorded: it may be a token),
/// `Some(Some(user))` otherwise. The password is dropped unread.
fn presented_user(headers: &HeaderMap) -> Option<Option<String>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(basic_user)
            .map(|u| u.chars().take(MAX_USER_CHARS).collect()),
    )
}

fn basic_user(value: &str) -> Option<String> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, _password) = text.split_once(':')?;
    Some(user.to_owned())
}
