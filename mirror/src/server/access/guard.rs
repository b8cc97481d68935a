//! Access checks for the routes outside `/v2` (charts, files, API, metrics), as route layers so
//! that no handler can forget one. Refusals there carry a `Basic` challenge: helm's HTTP chart
//! repositories and curl send basic credentials, not registry tokens.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{basic_challenge, retry_after, Action, ClientAddr, Need, Principal, Refusal};
use crate::fleet::api::Caller;
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

/// The fleet's writes: operators and admins.
pub(in crate::server) async fn require_operate(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Operate).await
}

/// The fleet's agent routes: a cluster's credential only.
pub(in crate::server) async fn require_agent(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    guard(state, req, next, Action::Agent).await
}

async fn guard(state: AppState, mut req: Request, next: Next, action: Action) -> Response {
    let access = &state.access;
    let client = ClientAddr::of(req.extensions());
    let principal = match access.authenticate(req.headers(), client).await {
        Ok(p) => p,
        Err(refusal) => return refuse(refusal),
    };
    if let Err(refusal) = access.authorize(&principal, Need::Service(action)) {
        return refuse(refusal);
    }
    // Who the fleet's handlers record as the actor, and the cluster an agent speaks for.
    let cluster = match &principal {
        Principal::Agent { cluster, .. } => Some(cluster.clone()),
        Principal::Token(c) => super::agent::cluster_of(&c.sub).map(str::to_owned),
        _ => None,
    };
    req.extensions_mut().insert(Caller {
        actor: principal
            .actor()
            .unwrap_or(crate::audit::events::ANONYMOUS)
            .to_owned(),
        cluster,
    });
    next.run(req).await
}

fn refuse(refusal: Refusal) -> Response {
    let failed = refusal.login_failed();
    let (status, message) = match &refusal {
        Refusal::Challenge { .. } => (
            StatusCode::UNAUTHORIZED,
            "authentication required".to_owned(),
        ),
        Refusal::Denied { user, role } => (
            StatusCode::FORBIDDEN,
            format!("user {user:?} with role {role} may not do this"),
        ),
        Refusal::Limited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed logins; try again later".to_owned(),
        ),
    };
    let body = serde_json::json!({ "error": message }).to_string();
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    match refusal {
        Refusal::Challenge { .. } => {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, basic_challenge());
        }
        Refusal::Limited { retry_after: s, .. } => {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after(s));
        }
        Refusal::Denied { .. } => {}
    }
    if let Some(failed) = failed {
        resp.extensions_mut().insert(failed);
    }
    resp
}
