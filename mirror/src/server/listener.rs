//! The accept loop shared by plain HTTP and HTTPS: a bound on open connections, and timeouts so
//! that clients which are idle, slow to send a request or slow to send a body cannot hold one.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt;

use super::access::limit::address_key;
use super::conn_activity::{Activity, BodyRate, InFlightBody, ProgressBody, Timeouts, Watched};

/// How many connections the server keeps open and how long it waits for each client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; more are closed as soon as they are accepted. `None` derives
    /// it from the descriptor limit (see [`derived_max_connections`]), and `serve` keeps that
    /// at most its `max_concurrent_requests`.
    pub max_connections: Option<usize>,
    /// Open connections at most from one client address (IPv4 address, IPv6 /64), so that one
    /// client cannot fill the bound. `None`: a quarter of the bound.
    pub max_per_client: Option<usize>,
    /// From accepting a connection, or from the first byte of a request after an idle spell, to
    /// the end of that request's header. Also bounds a TLS handshake.
    pub header_timeout: Duration,
    /// A keep-alive connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// The window over which a request body must keep `min_body_bytes_per_second` (slow-drip
    /// uploads are aborted); a response the client takes none of for this long is cut off.
    pub body_timeout: Duration,
    /// A request body must deliver at least this many bytes per second, averaged over each
    /// `body_timeout` (one byte per window when 0), or it is aborted.
    pub min_body_bytes_per_second: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: None,
            max_per_client: None,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            min_body_bytes_per_second: 1024,
        }
    }
}

/// Descriptors kept back from connections: the database pool, the audit log, the listener,
/// the runtime's own, and blob files opened outside a download (imports, gc, metrics).
const RESERVED_DESCRIPTORS: u64 = 128;
/// The bound whatever the descriptor limit: each open connection costs a task, buffers and
/// kernel socket memory, and more than this many clients at once is not a mirror's load.
const MAX_CONNECTIONS_CAP: usize = 4096;
/// How often refused connections and failed accepts are summarised in the log.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// HTTP/2 streams one connection may have open at once (hyper allows 200): each holds a
/// request permit while its response waits, so a few connections could take them all.
pub const MAX_H2_STREAMS: u32 = 32;
/// The pause after a failed accept (out of descriptors, say), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The default bound on open connections. The soft descriptor limit is first raised to the
/// hard one (as Go's runtime does for distribution). Each connection is one descriptor, plus
/// one for the blob file while it downloads, so it gets two of what is left after
/// [`RESERVED_DESCRIPTORS`]; at most [`MAX_CONNECTIONS_CAP`]. 1024 descriptors give 448.
pub fn derived_max_connections() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    let mut nofile = limit.current.unwrap_or(u64::MAX);
    // `None` is unlimited; a soft limit cannot be that for descriptors, so only a finite hard one.
    if let Some(hard) = limit.maximum.filter(|&hard| hard > nofile) {
        let raised = rustix::process::Rlimit {
            current: Some(hard),
            maximum: Some(hard),
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            nofile = hard;
        }
    }
    let spare = nofile.saturating_sub(RESERVED_DESCRIPTORS) / 2;
    usize::try_from(spare)
        .unwrap_or(usize::MAX)
        .clamp(1, MAX_CONNECTIONS_CAP)
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for the
/// open connections' in-flight requests. `handshake` turns an accepted socket into the stream
/// hyper reads and writes (the sendfile stream, or TLS); `None` drops the connection.
pub(crate) async fn serve_connections<S, H, Fut>(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    handshake: H,
) -> io::Result<()>
where
    H: Fn(TcpStream, SocketAddr) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Option<S>> + Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let max = limits
        .max_connections
        .unwrap_or_else(derived_max_connections)
        .max(1);
    let per_client = limits.max_per_client.unwrap_or(max / 4).clamp(1, max);
    tracing::info!(
        max_connections = max,
        max_per_client = per_client,
        min_body_bytes_per_second = limits.min_body_bytes_per_second,
        header_timeout_s = limits.header_timeout.as_secs_f64(),
        idle_timeout_s = limits.idle_timeout.as_secs_f64(),
        body_timeout_s = limits.body_timeout.as_secs_f64(),
        "connection limits"
    );
    let permits = Arc::new(Semaphore::new(max));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(MAX_H2_STREAMS);
    let clients = Arc::new(Clients::default());
    let mut refusals = Refusals::new(max, per_client);
    let mut tick = tokio::time::interval(REFUSAL_LOG_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = tick.tick() => {
                refusals.report();
                continue;
            }
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                refusals.accept_failed(e);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // At the bound the connection is closed at once, unread: that costs nothing, works the
        // same under TLS, and clients retry; a 503 would need a write the client may not read.
        let Some(client) = Clients::admit(&clients, peer, per_client) else {
            drop(tcp);
            refusals.refused_client();
            continue;
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(tcp);
            refusals.refused();
            continue;
        };
        let connection = Connection {
            app: app.clone(),
            builder: builder.clone(),
            watcher: graceful.watcher(),
            limits: limits.clone(),
            peer,
        };
        let handshake = handshake.clone();
        tokio::spawn(async move {
            let _permit = (permit, client);
            let header = connection.limits.header_timeout;
            match tokio::time::timeout(header, handshake(tcp, peer)).await {
                Ok(Some(stream)) => connection.run(stream).await,
                Ok(None) => {}
                Err(_) => tracing::debug!(%peer, "handshake timed out"),
            }
        });
    }
    drop(listener);
    refusals.report();
    graceful.shutdown().await;
    Ok(())
}

/// One accepted connection and what serving it needs.
struct Connection {
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    watcher: Watcher,
    limits: ConnectionLimits,
    peer: SocketAddr,
}

impl Connection {
    async fn run<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(self, stream: S) {
        let activity = Activity::new();
        let io = TokioIo::new(Watched {
            stream,
            activity: Arc::clone(&activity),
        });
        let (app, peer) = (self.app, self.peer);
        let body_rate = BodyRate {
            window: self.limits.body_timeout,
            min_bytes_per_second: self.limits.min_body_bytes_per_second,
        };
        let requests = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_flight = requests.begin_request();
            let mut req = req.map(|b| Body::new(ProgressBody::new(b, body_rate)));
            // The client's address, for the per-address login limit and the audit log.
            req.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let Ok(response) = app.oneshot(req).await;
                Ok::<_, Infallible>(
                    response.map(|body| Body::new(InFlightBody::new(body, in_flight))),
                )
            }
        });
        let conn = self.builder.serve_connection_with_upgrades(io, service);
        let conn = self.watcher.watch(conn.into_owned());
        tokio::pin!(conn);
        let timeouts = Timeouts {
            header: self.limits.header_timeout,
            idle: self.limits.idle_timeout,
            write: self.limits.body_timeout,
        };
        loop {
            // With a request in flight and its response being read, look again a timeout later.
            let deadline = activity.deadline(timeouts);
            let wake = deadline.unwrap_or_else(|| Instant::now() + timeouts.write);
            tokio::select! {
                _ = activity.changed.notified() => {}
                ended = &mut conn => {
                    if let Err(e) = ended {
                        tracing::debug!(peer = %self.peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = tokio::time::sleep_until(wake) => {
                    if activity.deadline(timeouts).is_some_and(|d| d <= Instant::now()) {
                        // Nothing in flight, or a response the client stopped reading.
                        tracing::debug!(peer = %self.peer, "closing an idle or stalled connection");
                        return;
                    }
                }
            }
        }
    }
}

/// Open connections per client address.
#[derive(Default)]
struct Clients(Mutex<HashMap<IpAddr, usize>>);

/// One client's open connection, counted until it drops.
struct ClientSlot {
    clients: Arc<Clients>,
    key: IpAddr,
}

impl Clients {
    /// A slot for `peer`, unless its address already has `max` connections open.
    fn admit(clients: &Arc<Self>, peer: SocketAddr, max: usize) -> Option<ClientSlot> {
        let key = address_key(peer);
        let mut open = clients.0.lock().ok()?;
        let n = open.entry(key).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            clients: Arc::clone(clients),
            key,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.clients.0.lock() {
            if let Some(n) = open.get_mut(&self.key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.key);
                }
            }
        }
    }
}

/// Refused connections and failed accepts, counted and logged once per interval.
struct Refusals {
    max: usize,
    per_client: usize,
    refused: u64,
    refused_client: u64,
    failed: u64,
    last_error: Option<io::Error>,
    logged: Option<Instant>,
}

impl Refusals {
    fn new(max: usize, per_client: usize) -> Self {
        Self {
            max,
            per_client,
            refused: 0,
            refused_client: 0,
            failed: 0,
            last_error: None,
            logged: None,
        }
    }

    fn refused(&mut self) {
        self.refused += 1;
        self.report_if_quiet();
    }

    fn refused_client(&mut self) {
        self.refused_client += 1;
        self.report_if_quiet();
    }

    fn accept_failed(&mut self, e: io::Error) {
        self.failed += 1;
        self.last_error = Some(e);
        self.report_if_quiet();
    }

    /// The first event after a quiet interval is logged at once; later ones wait for the tick.
    fn report_if_quiet(&mut self) {
        if self
            .logged
            .is_none_or(|t| t.elapsed() >= REFUSAL_LOG_INTERVAL)
        {
            self.report();
        }
    }

    fn report(&mut self) {
        if self.refused > 0 || self.refused_client > 0 {
            tracing::warn!(
                refused = self.refused + self.refused_client,
                refused_per_client = self.refused_client,
                max_connections = self.max,
                max_per_client = self.per_client,
                "at the connection limit: refused {} new connections ({} over their client's share)",
                self.refused + self.refused_client,
                self.refused_client
            );
        }
        if let Some(e) = self.last_error.take() {
            tracing::warn!(failed = self.failed, error = %e, "accepting connections failed {} times", self.failed);
        }
        if self.refused > 0 || self.refused_client > 0 || self.failed > 0 {
            self.logged = Some(Instant::now());
        }
        self.refused = 0;
        self.refused_client = 0;
        self.failed = 0;
    }
}
