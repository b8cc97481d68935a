//! Access checks for the routes outside `/v2` (charts, files, API, metrics), as route layers so
//! that no handler can forget one. Refusals there carry a `Basic` challenge: helm's HTTP chart
//! repositories and curl send basic credentials, not registry tokens.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{basic_challenge, Action, LoginFailed, Need, Refusal};
use crate::server::AppState;

pub(in crate::server) async fn require_pull(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Pull).await
}

pub(in crate::server) async fn require_admin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Admin).await
}

async fn guard(state: AppState, req: Request, next: Next, action: Action) -> Response {
    let access = &state.access;
    let principal = match access.authenticate(req.headers()).await {
        Ok(p) => p,
        Err(refusal) => return refuse(refusal),
    };
    if let Err(refusal) = access.authorize(&principal, Need::Service(action)) {
        return refuse(refusal);
    }
    next.run(req).await
}

fn refuse(refusal: Refusal) -> Response {
    let (status, message, failure) = match refusal {
        Refusal::Challenge { failure, .. } => (
            StatusCode::UNAUTHORIZED,
            "authentication required".to_owned(),
            failure,
        ),
        Refusal::Denied { user, role } => (
            StatusCode::FORBIDDEN,
            format!("user {user:?} with role {} may not do this", role.as_str()),
            None,
        ),
    };
    let body = serde_json::json!({ "error": message }).to_string();
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, basic_challenge());
    }
    if let Some((user, reason)) = failure {
        resp.extensions_mut().insert(LoginFailed { user, reason });
    }
    resp
}
