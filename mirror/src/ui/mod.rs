//! The appliance's web UI at `/ui/`: pages rendered on the server (maud) from the same library
//! calls the API makes, every asset compiled into the binary and nothing fetched from outside.
//! Reading works without JavaScript; forms post back and redirect.
//!
//! Access is the API's: the htpasswd users and their roles, anonymous reads only where anonymous
//! pull is on. A login gives a session cookie ([`session`]); every route sits behind a route
//! layer for the role it needs ([`auth`]), and every POST also carries the session's CSRF token.

mod auth;
mod layout;
mod pages;
pub mod session;
mod svg;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::fleet::Fleet;
use crate::server::access::Access;
use crate::store::Store;

/// What the UI's handlers read.
#[derive(Clone)]
pub struct UiState {
    pub store: Store,
    pub access: Arc<Access>,
    pub fleet: Option<Fleet>,
    pub sessions: Arc<session::Sessions>,
    /// Served over TLS: cookies are `Secure`.
    pub secure: bool,
}

/// Every UI route, each group behind the guard of the role it needs.
pub fn routes<S>(state: UiState) -> Router<S> {
    use axum::middleware::from_fn_with_state as layer;
    let read = Router::new()
        .route("/ui/", get(pages::dashboard::page))
        .route("/ui/bundles", get(pages::bundles::page))
        .route("/ui/clusters", get(pages::clusters::list))
        .route("/ui/clusters/{name}", get(pages::clusters::one))
        .route("/ui/rollouts", get(pages::rollouts::list))
        .route("/ui/rollouts/{id}", get(pages::rollouts::one))
        .route("/ui/search", get(pages::search::page))
        .route("/ui/logout", post(auth::logout))
        .route_layer(layer(state.clone(), auth::require_pull));
    let operate = Router::new()
        .route(
            "/ui/rollouts/{id}/{action}",
            get(pages::rollouts::confirm).post(pages::rollouts::act),
        )
        .route_layer(layer(state.clone(), auth::require_operate));
    let admin = Router::new()
        .route("/ui/audit", get(pages::audit::page))
        .route_layer(layer(state.clone(), auth::require_admin));
    Router::new()
        .route(
            "/ui",
            get(|| async { axum::response::Redirect::permanent("/ui/") }),
        )
        .route("/ui/login", get(auth::login_form).post(auth::login))
        .route("/ui/assets/ui.css", get(layout::stylesheet))
        .route("/ui/assets/favicon.svg", get(layout::icon))
        .merge(read)
        .merge(operate)
        .merge(admin)
        .with_state(state)
}
