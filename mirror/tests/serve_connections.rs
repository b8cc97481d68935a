//! `serve` on plain HTTP against clients that hold its resources without using them: an
//! HTTP/2 client that never opens its flow-control window, pulls that hold every request
//! permit, and one address opening more connections than its share.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferry_bundler::format::Digest;
use ferry_mirror::server::{serve_on, AccessConfig, ServerConfig};
use ferry_mirror::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A store holding `blob` in repository `repo`, served with anonymous pull as `tune` says;
/// returns the address once `/healthz` answers, and the blob's digest.
async fn server(
    dir: &std::path::Path,
    repo: &str,
    blob: &[u8],
    tune: impl FnOnce(&mut ServerConfig),
) -> (SocketAddr, Digest) {
    let (addr, digest, _) = server_until(dir, repo, blob, tune, std::future::pending()).await;
    (addr, digest)
}

/// [`server`] until `shutdown` resolves; the serving task is returned too.
async fn server_until(
    dir: &std::path::Path,
    repo: &str,
    blob: &[u8],
    tune: impl FnOnce(&mut ServerConfig),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (
    SocketAddr,
    Digest,
    tokio::task::JoinHandle<Result<(), ferry_mirror::server::ServerError>>,
) {
    let store = Store::open(dir.join("data")).await.unwrap();
    let digest = Digest::of_bytes(blob);
    let mut w = store.blob_writer().unwrap();
    w.write_all(blob).unwrap();
    w.commit(&digest, Some(blob.len() as u64)).unwrap();
    store.link_blob(repo, &digest).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = ServerConfig {
        listen: listener.local_addr().unwrap(),
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    tune(&mut cfg);
    let addr = cfg.listen;
    let served = tokio::spawn(async move { serve_on(listener, store, &cfg, shutdown).await });
    let t0 = Instant::now();
    while health(addr, None).await.is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "serve did not come up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (addr, digest, served)
}

/// Connects to `addr` from `from` (any 127.x address reaches a loopback listener).
async fn connect_from(addr: SocketAddr, from: Option<[u8; 4]>) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = from {
        socket.bind(SocketAddr::from((ip, 0)))?;
    }
    socket.connect(addr).await
}

/// `GET /healthz` from `from`; the answer, if one came within a second.
async fn health(addr: SocketAddr, from: Option<[u8; 4]>) -> Option<String> {
    let asked = async {
        let mut s = connect_from(addr, from).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut got = String::new();
        s.read_to_string(&mut got).await.ok()?;
        (!got.is_empty()).then_some(got)
    };
    tokio::time::timeout(Duration::from_secs(1), asked)
        .await
        .ok()
        .flatten()
}

/// Whether the server closes `s` within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

fn blob(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// An h2c (prior knowledge) GET of `digest` in `repo` from a client whose window stays shut:
/// the response headers come, the body never can. Returns the connection's task, and the
/// client's handles that keep the stream open.
async fn zero_window_get(
    addr: SocketAddr,
    repo: &str,
    digest: &Digest,
) -> (
    tokio::task::JoinHandle<Result<(), h2::Error>>,
    Box<dyn std::any::Any + Send>,
) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, axum::body::Bytes>(tcp)
        .await
        .unwrap();
    let driven = tokio::spawn(connection);
    let req = axum::http::Request::get(format!("http://{addr}/v2/{repo}/blobs/{digest}"))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(req, true).unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), response)
        .await
        .expect("response headers")
        .unwrap();
    assert_eq!(response.status(), 200);
    // The client's handles keep the stream open.
    (driven, Box::new((client, response)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_client_with_a_zero_window_is_cut_off_at_the_body_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, digest) = server(dir.path(), "window", &blob(1 << 20), |cfg| {
        cfg.connections.body_timeout = Duration::from_secs(1);
    })
    .await;
    let (driven, _stream) = zero_window_get(addr, "window", &digest).await;
    ends_within_5s(driven, "the connection after its response headers").await;
}

/// Asserts that `task` ends within 5 s (waiting up to 8 s to tell how late it is).
async fn ends_within_5s<T>(task: tokio::task::JoinHandle<T>, what: &str) {
    let t0 = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(8), task).await;
    assert!(
        ended.is_ok(),
        "{what}: still going after {:?}",
        t0.elapsed()
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "{what}: ended after {:?}",
        t0.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_despite_an_h2_client_with_a_zero_window() {
    let dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, digest, served) = server_until(
        dir.path(),
        "shutdown",
        &blob(1 << 20),
        |cfg| cfg.connections.body_timeout = Duration::from_secs(1),
        async move {
            let _ = stopped.await;
        },
    )
    .await;
    let _open = zero_window_get(addr, "shutdown", &digest).await;
    stop.send(()).unwrap();
    ends_within_5s(served, "serve after shutdown").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_connection_gets_a_bounded_number_of_streams() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = server(dir.path(), "streams", b"x", |_| {}).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (_client, mut connection) = h2::client::handshake(tcp).await.unwrap();
    // Driving the connection a moment reads the server's SETTINGS.
    let _ = tokio::time::timeout(Duration::from_millis(300), &mut connection).await;
    assert_eq!(connection.max_concurrent_send_streams(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_pulls_hold_every_request_permit() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, digest) = server(dir.path(), "permits", &blob(16 << 20), |cfg| {
        cfg.max_concurrent_requests = 2;
        // The derived bound would be 2 as well (no more connections than requests at once).
        cfg.connections.max_connections = Some(8);
        cfg.connections.max_per_client = Some(8);
    })
    .await;
    // Two downloads far larger than the socket buffers, never read: each holds its permit.
    let mut pulls = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET /v2/permits/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        pulls.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t0 = Instant::now();
    let answer = health(addr, None).await;
    let answer = answer.unwrap_or_else(|| panic!("no /healthz within {:?}", t0.elapsed()));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_cannot_fill_the_connection_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = server(dir.path(), "share", b"x", |cfg| {
        cfg.connections.max_connections = Some(40);
        cfg.connections.max_per_client = Some(10);
    })
    .await;
    // More idle connections from 127.0.0.1 than the whole bound.
    let mut idle = Vec::new();
    for _ in 0..45 {
        idle.push(connect_from(addr, Some([127, 0, 0, 1])).await.unwrap());
    }
    let t0 = Instant::now();
    let answer = health(addr, Some([127, 0, 0, 2])).await;
    let answer = answer.unwrap_or_else(|| panic!("no /healthz within {:?}", t0.elapsed()));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut closed = 0;
    for s in &mut idle {
        if closed_within(s, Duration::from_millis(100)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 35, "only the first 10 of 45 stay open");
    let mut eleventh = connect_from(addr, Some([127, 0, 0, 1])).await.unwrap();
    assert!(
        closed_within(&mut eleventh, Duration::from_millis(500)).await,
        "an 11th connection from 127.0.0.1 is closed at once"
    );
}
