//! The mirror's OCI Distribution Spec v1.1 registry on `/v2/`, plus `/healthz` and `/metrics`.
//!
//! Who may do what is decided in [`access`]: users and roles from an htpasswd file, the bearer
//! token flow, anonymous pull when allowed. Push and delete are also off unless `push` is set.

pub mod access;
mod api;
mod audit_hook;
mod blob_body;
mod charts;
mod conn_activity;
mod discovery;
pub mod error;
mod files;
mod listener;
mod metrics;
pub mod path;
mod pull;
mod push;
mod sendfile;
mod service_error;
mod v2;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tokio::sync::Semaphore;

use access::Access;
pub use access::{AccessConfig, Htpasswd, HtpasswdError, LoginLimit, Rate, Role};
use error::{ErrorCode, RegistryError};
pub use listener::ConnectionLimits;
use metrics::Metrics;
use path::Reference;

use crate::store::Store;

/// How the registry listens and what it allows.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Enables push and delete (content management). Off by default: a mirror serves what was
    /// imported. Even then only pushers push and only admins delete.
    pub push: bool,
    /// Users, roles, anonymous pull and tokens.
    pub access: AccessConfig,
    /// Requests handled at once (including streaming responses); more wait their turn.
    /// `/healthz` takes no turn. The derived default connection bound is at most this.
    pub max_concurrent_requests: usize,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Open connections at most, and how long each client may take.
    pub connections: ConnectionLimits,
    /// The management instance: its routes under `/api/v1/fleet/` and its clusters' logins.
    /// Without one those routes answer 404 (the OpenAPI document is served either way).
    pub fleet: Option<crate::fleet::Fleet>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            push: false,
            access: AccessConfig::default(),
            max_concurrent_requests: 1024,
            tls: None,
            connections: ConnectionLimits::default(),
            fleet: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving on {addr}: {source}")]
    Serve {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("push is enabled but no htpasswd file is configured")]
    PushWithoutCredentials,
    #[error("nobody could pull: configure users (htpasswd) or allow anonymous pull")]
    NobodyCanPull,
    #[error(transparent)]
    Htpasswd(#[from] HtpasswdError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    store: Store,
    /// Whether push and delete are enabled at all.
    push: bool,
    access: Arc<Access>,
    metrics: Arc<Metrics>,
    limit: Arc<Semaphore>,
}

/// Builds the registry router. Users are loaded here; if they cannot be, every login fails
/// (use [`serve`] to get that as an error up front).
pub fn router(store: Store, cfg: &ServerConfig) -> Router {
    let state = AppState {
        store,
        push: cfg.push,
        access: Arc::new(
            Access::load(&cfg.access, cfg.tls.is_some()).with_fleet(cfg.fleet.clone()),
        ),
        metrics: Arc::new(Metrics::default()),
        limit: Arc::new(Semaphore::new(cfg.max_concurrent_requests.max(1))),
    };
    let admin = Router::new()
        .route("/metrics", get(metrics_text))
        .merge(api::admin_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard::require_admin,
        ));
    let readers = api::enclave_routes().route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        access::guard::require_pull,
    ));
    let openapi = Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard::require_pull,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/v2", any(v2::dispatch))
        .route("/v2/", any(v2::dispatch))
        .route("/v2/{*rest}", any(v2::dispatch))
        .merge(access::token_route::routes())
        .merge(admin)
        .merge(readers)
        .merge(openapi)
        .merge(fleet_routes(&state, cfg.fleet.clone()))
        .merge(crate::ui::routes(crate::ui::UiState {
            store: state.store.clone(),
            access: state.access.clone(),
            fleet: cfg.fleet.clone(),
            sessions: Default::default(),
            secure: cfg.tls.is_some(),
        }))
        .fallback(|uri: Uri| async move {
            RegistryError::new(
                ErrorCode::NameUnknown,
                format!("no endpoint at {}", uri.path()),
            )
            .with_status(StatusCode::NOT_FOUND)
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit_hook::audit_writes,
        ))
        .with_state(state)
}

/// The fleet's routes, each group behind its guard: reads for pullers and above, writes for
/// operators and admins, the agent routes for clusters' credentials.
fn fleet_routes(state: &AppState, fleet: Option<crate::fleet::Fleet>) -> Router<AppState> {
    let Some(fleet) = fleet else {
        return Router::new();
    };
    let groups = crate::fleet::api::routes();
    let guarded = |routes: utoipa_axum::router::OpenApiRouter<crate::fleet::Fleet>,
                   layer: &dyn Fn(Router<AppState>) -> Router<AppState>| {
        let router = routes
            .split_for_parts()
            .0
            .with_state::<AppState>(fleet.clone());
        // A group no area has routes in yet has nothing to guard (and axum refuses the layer).
        if router.has_routes() {
            layer(router)
        } else {
            router
        }
    };
    let (s1, s2, s3) = (state.clone(), state.clone(), state.clone());
    Router::new()
        .merge(guarded(groups.read, &move |r| {
            r.route_layer(axum::middleware::from_fn_with_state(
                s1.clone(),
                access::guard::require_pull,
            ))
        }))
        .merge(guarded(groups.write, &move |r| {
            r.route_layer(axum::middleware::from_fn_with_state(
                s2.clone(),
                access::guard::require_operate,
            ))
        }))
        .merge(guarded(groups.agent, &move |r| {
            r.route_layer(axum::middleware::from_fn_with_state(
                s3.clone(),
                access::guard::require_agent,
            ))
        }))
}

/// `/api/v1/openapi.json`: the OpenAPI 3.1 document of the fleet's API, from its handlers.
async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| {
        crate::fleet::api::openapi()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    ([(header::CONTENT_TYPE, "application/json")], doc.clone()).into_response()
}

/// The access settings, checked: the users load, and somebody can pull (and push, if enabled).
pub fn check_access(cfg: &ServerConfig) -> Result<(), ServerError> {
    cfg.access
        .htpasswd
        .as_deref()
        .map(Htpasswd::load)
        .transpose()?;
    if cfg.push && cfg.access.htpasswd.is_none() {
        return Err(ServerError::PushWithoutCredentials);
    }
    if !cfg.access.anonymous_pull && cfg.access.htpasswd.is_none() {
        return Err(ServerError::NobodyCanPull);
    }
    Ok(())
}

/// Serves the registry on `cfg.listen` until `shutdown` resolves; then stops accepting and waits
/// for in-flight requests (downloads included) to finish.
pub async fn serve(
    store: Store,
    cfg: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| ServerError::Bind {
            addr: cfg.listen,
            source: e,
        })?;
    serve_on(listener, store, cfg, shutdown).await
}

/// [`serve`] on a socket already bound (`cfg.listen` is not read): a caller that binds port 0
/// knows its port before anything is served, with no moment in which another takes it.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Store,
    cfg: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    check_access(cfg)?;
    let tls = cfg
        .tls
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()?;
    let addr = listener.local_addr().unwrap_or(cfg.listen);
    tracing::info!(%addr, push = cfg.push, tls = tls.is_some(), anonymous_pull = cfg.access.anonymous_pull, "registry listening");
    if cfg.push {
        tokio::spawn(prune_abandoned_uploads(store.clone()));
    }
    // Rollouts move on without reports too (a gate times out, a window opens); half a minute
    // is finer than any gate timeout.
    if let Some(fleet) = cfg.fleet.clone() {
        // The catalog is current before the first request, not a moment after.
        if let Err(e) = crate::fleet::catalog::sync(&fleet, crate::fleet::catalog::SYNC_ACTOR).await
        {
            tracing::warn!(error = %e, "syncing the fleet catalog failed");
        }
        // Publishing keeps the desired-image index current; this catches up a database an
        // older version wrote.
        if let Err(e) = crate::fleet::query::index::refresh(&fleet).await {
            tracing::warn!(error = %e, "bringing the desired-image index up to date failed");
        }
        tokio::spawn(tick_rollouts(fleet.clone()));
        // Imports run in another process; the catalog follows the store's bundles.
        crate::fleet::catalog::spawn_follow(fleet, std::time::Duration::from_secs(2));
    }
    let app = router(store, cfg);
    // More connections than requests that can run at once would only wait for a permit.
    let max = cfg.connections.max_connections.unwrap_or_else(|| {
        listener::derived_max_connections().min(cfg.max_concurrent_requests.max(1))
    });
    let limits = &ConnectionLimits {
        max_connections: Some(max),
        ..cfg.connections.clone()
    };
    let served = match tls {
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            listener::serve_connections(listener, app, limits, shutdown, move |tcp, peer| {
                crate::tls::handshake(acceptor.clone(), tcp, peer)
            })
            .await
        }
        // Plain HTTP writes through the sendfile stream, so blob bodies go out with sendfile(2).
        None => {
            listener::serve_connections(listener, app, limits, shutdown, |tcp, _| async move {
                Some(sendfile::SendfileStream(tcp))
            })
            .await
        }
    };
    served.map_err(|e| ServerError::Serve { addr, source: e })
}

async fn tick_rollouts(fleet: crate::fleet::Fleet) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = crate::fleet::rollout::tick(&fleet, crate::store::now_unix()).await {
            tracing::warn!(error = %e, "advancing rollouts failed");
        }
    }
}

/// Sessions a client abandoned would otherwise hold disk forever; a day is longer than any push.
async fn prune_abandoned_uploads(store: Store) {
    const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let s = store.clone();
        match tokio::task::spawn_blocking(move || s.prune_uploads(MAX_AGE)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(removed = n, "pruned abandoned uploads"),
            Ok(Err(e)) => tracing::warn!(error = %e, "pruning uploads failed"),
            Err(e) => tracing::warn!(error = %e, "pruning uploads task failed"),
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let root = state.store.root().to_path_buf();
    let (blobs, bytes) = tokio::task::spawn_blocking(move || metrics::store_usage(&root))
        .await
        .unwrap_or((0, 0));
    let text = state.metrics.render(blobs, bytes);
    ([(header::CONTENT_TYPE, metrics::text_content_type())], text).into_response()
}

/// Query parameters of a request; malformed queries read as empty.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    fn of(uri: &Uri) -> Self {
        Params(
            Query::<Vec<(String, String)>>::try_from_uri(uri)
                .map(|q| q.0)
                .unwrap_or_default(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn reference_location(name: &str, reference: &Reference) -> String {
    format!("/v2/{name}/manifests/{reference}")
}
