//! The mirror's OCI Distribution Spec v1.1 registry on `/v2/`, plus `/healthz` and `/metrics`.
//!
//! Pull and discovery are anonymous. Push and delete are off unless `push` is set, and then need
//! HTTP basic credentials from an htpasswd file of bcrypt hashes.

mod api;
mod audit_hook;
mod auth;
mod charts;
mod discovery;
pub mod error;
mod files;
mod metrics;
pub mod path;
mod pull;
mod push;
mod service_error;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tokio::sync::Semaphore;

pub use auth::{Htpasswd, HtpasswdError};
use error::{ErrorCode, RegistryError};
use metrics::Metrics;
use path::{Endpoint, Reference};

use crate::store::Store;

/// How the registry listens and what it allows.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Enables push and delete (content management). Off by default: a mirror serves what was imported.
    pub push: bool,
    /// htpasswd file (bcrypt) whose users may push and delete. Required when `push` is set.
    pub htpasswd: Option<PathBuf>,
    /// Requests handled at once (including streaming responses); more wait their turn.
    pub max_concurrent_requests: usize,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            push: false,
            htpasswd: None,
            max_concurrent_requests: 1024,
            tls: None,
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
    #[error(transparent)]
    Htpasswd(#[from] HtpasswdError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    store: Store,
    /// `None`: writes are refused. `Some`: writes need these credentials.
    writers: Option<Arc<Writers>>,
    metrics: Arc<Metrics>,
    limit: Arc<Semaphore>,
}

/// Who may write, or why nobody can.
enum Writers {
    Users(Htpasswd),
    /// Push was asked for but the credentials could not be loaded: fail closed.
    Broken(String),
}

/// Builds the registry router. Credentials are loaded here; if they cannot be, writes are
/// refused (use [`serve`] to get that as an error up front).
pub fn router(store: Store, cfg: &ServerConfig) -> Router {
    let writers = cfg.push.then(|| {
        Arc::new(match load_writers(cfg) {
            Ok(users) => Writers::Users(users),
            Err(e) => {
                tracing::error!(error = %e, "push disabled: credentials unavailable");
                Writers::Broken(e.to_string())
            }
        })
    });
    let state = AppState {
        store,
        writers,
        metrics: Arc::new(Metrics::default()),
        limit: Arc::new(Semaphore::new(cfg.max_concurrent_requests.max(1))),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics_text))
        .route("/v2", any(dispatch))
        .route("/v2/", any(dispatch))
        .route("/v2/{*rest}", any(dispatch))
        .merge(api::enclave_routes())
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

fn load_writers(cfg: &ServerConfig) -> Result<Htpasswd, ServerError> {
    let path = cfg
        .htpasswd
        .as_ref()
        .ok_or(ServerError::PushWithoutCredentials)?;
    Ok(Htpasswd::load(path)?)
}

/// Serves the registry on `cfg.listen` until `shutdown` resolves; then stops accepting and waits
/// for in-flight requests (downloads included) to finish.
pub async fn serve(
    store: Store,
    cfg: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    if cfg.push {
        load_writers(cfg)?;
    }
    let tls = cfg
        .tls
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| ServerError::Bind {
            addr: cfg.listen,
            source: e,
        })?;
    let addr = listener.local_addr().unwrap_or(cfg.listen);
    tracing::info!(%addr, push = cfg.push, tls = tls.is_some(), "registry listening");
    if cfg.push {
        tokio::spawn(prune_abandoned_uploads(store.clone()));
    }
    if let Some(tls) = tls {
        return crate::tls::serve_tls(listener, router(store, cfg), tls, shutdown)
            .await
            .map_err(|e| ServerError::Serve { addr, source: e });
    }
    axum::serve(listener, router(store, cfg))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServerError::Serve { addr, source: e })
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

/// Every `/v2` request: parse the path, check access, hand over to the endpoint's handler.
async fn dispatch(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = Params::of(&uri);
    match route(&state, &method, &uri, &params, &headers, body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn route(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let endpoint = path::parse(uri.path(), params.get("ns"))?;
    let head = method == Method::HEAD;
    let reading = method == Method::GET || head;
    if !reading {
        require_writer(state, headers).await?;
    }
    match (endpoint, method.as_str()) {
        (Endpoint::Base, "GET" | "HEAD") => base(state, headers).await,
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
        (Endpoint::Blob { digest, .. }, "GET" | "HEAD") => {
            pull::blob(state, &digest, headers, head).await
        }
        (Endpoint::Manifest { name, reference }, "PUT") => {
            push::put_manifest(state, &name, &reference, headers, body).await
        }
        (Endpoint::Manifest { name, reference }, "DELETE") => {
            push::delete_manifest(state, &name, &reference).await
        }
        (Endpoint::Blob { digest, .. }, "DELETE") => push::delete_blob(state, &digest).await,
        (Endpoint::UploadStart { name }, "POST") => {
            push::start_upload(state, &name, params, body).await
        }
        (Endpoint::Upload { name, id }, "GET") => {
            require_writer(state, headers).await?;
            push::upload_status(state, &name, &id).await
        }
        (Endpoint::Upload { name, id }, "PATCH") => {
            push::patch_upload(state, &name, &id, headers, body).await
        }
        (Endpoint::Upload { name, id }, "PUT") => {
            push::finish_upload(state, &name, &id, params, headers, body).await
        }
        (Endpoint::Upload { id, .. }, "DELETE") => push::cancel_upload(state, &id).await,
        (_, m) => Err(RegistryError::new(
            ErrorCode::Unsupported,
            format!("method {m} is not supported here"),
        )),
    }
}

/// `/v2/`: 200 for anonymous readers; when push is on, clients learn the basic challenge here
/// (401 without credentials) and send credentials with their writes.
async fn base(state: &AppState, headers: &HeaderMap) -> Result<Response, RegistryError> {
    if state.writers.is_some() {
        require_writer(state, headers).await?;
    }
    Ok(([("Docker-Distribution-API-Version", "registry/2.0")], "{}").into_response())
}

async fn require_writer(state: &AppState, headers: &HeaderMap) -> Result<(), RegistryError> {
    match state.writers.as_deref() {
        None => Err(RegistryError::new(
            ErrorCode::Unsupported,
            "push and delete are disabled on this mirror",
        )),
        Some(Writers::Broken(why)) => Err(RegistryError::new(
            ErrorCode::Denied,
            format!("push is unavailable: {why}"),
        )),
        Some(Writers::Users(users)) => users.check(headers).await,
    }
}

pub(crate) fn reference_location(name: &str, reference: &Reference) -> String {
    format!("/v2/{name}/manifests/{reference}")
}
