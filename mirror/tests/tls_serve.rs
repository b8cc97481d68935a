//! `serve` with TLS on a real socket, against curl: the certificate from `tls::init` is trusted
//! through its CA only, plain HTTP is not spoken on the TLS port, and shutdown is graceful.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferry_mirror::server::{serve_on, AccessConfig, ServerConfig, ServerError};
use ferry_mirror::store::Store;
use ferry_mirror::tls::{crypto_provider, init, InitOptions, IssuedFiles, TlsFiles};
use tokio::process::Command;

/// A socket on a port the kernel chose, bound before anything is served.
async fn bound() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

async fn curl(args: &[&str]) -> (Option<i32>, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args(args)
            .output(),
    )
    .await
    .expect("curl finishes")
    .expect("curl runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A store, certificates for `names` from `tls::init`, and an HTTPS configuration with
/// anonymous pull on a socket bound to a free port, all under `dir`.
async fn https_server(
    dir: &Path,
    names: &[&str],
) -> (Store, IssuedFiles, ServerConfig, tokio::net::TcpListener) {
    let issued = init(
        &dir.join("tls"),
        &InitOptions {
            names: names.iter().map(|n| n.to_string()).collect(),
            days: 2,
        },
    )
    .unwrap();
    let store = Store::open(dir.join("data")).await.unwrap();
    let listener = bound().await;
    let cfg = ServerConfig {
        listen: listener.local_addr().unwrap(),
        tls: Some(TlsFiles {
            cert: issued.server_cert.clone(),
            key: issued.server_key.clone(),
        }),
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    (store, issued, cfg, listener)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_trusted_through_the_enclave_ca() {
    if !ferry_testkit::tools::installed("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (store, issued, cfg, listener) =
        https_server(dir.path(), &["mirror.enclave", "127.0.0.1"]).await;
    let addr = cfg.listen;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_on(listener, store, &cfg, async {
            let _ = stopped.await;
        })
        .await
    });
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let ca = issued.ca_cert.display().to_string();
    let url = format!("https://{addr}/v2/");
    assert_eq!(
        curl(&["--cacert", &ca, &url]).await,
        (Some(0), "200".into())
    );
    let by_name = format!("https://mirror.enclave:{}/v2/", addr.port());
    let resolve = format!("mirror.enclave:{}:127.0.0.1", addr.port());
    assert_eq!(
        curl(&["--http2", "--cacert", &ca, "--resolve", &resolve, &by_name]).await,
        (Some(0), "200".into())
    );
    // Not trusted without the CA (curl 60: peer certificate cannot be authenticated).
    assert_eq!(curl(&[&url]).await.0, Some(60));
    // The TLS port does not answer plain HTTP.
    let plain = curl(&[&format!("http://{addr}/v2/")]).await;
    assert_ne!(plain.1, "200", "{plain:?}");

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("graceful shutdown")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn bad_key_fails_at_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let cert = dir.path().join("server.crt");
    std::fs::write(&cert, "not a certificate\n").unwrap();
    let cfg = ServerConfig {
        tls: Some(TlsFiles {
            cert: cert.clone(),
            key: dir.path().join("server.key"),
        }),
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let err = serve_on(bound().await, store, &cfg, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(err, ServerError::Tls(_)), "{err}");
    assert!(
        err.to_string().contains(&cert.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_closed_at_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (store, _issued, mut cfg, listener) = https_server(dir.path(), &["127.0.0.1"]).await;
    cfg.connections.header_timeout = Duration::from_secs(1);
    let addr = cfg.listen;
    tokio::spawn(async move { serve_on(listener, store, &cfg, std::future::pending()).await });
    let mut stalled = loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    // The first bytes of a TLS record header, and then nothing.
    stalled.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    let t0 = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "still open after {:?}: {read:?}",
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_client_with_a_zero_window_over_tls_is_cut_off_at_the_body_timeout() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (store, issued, mut cfg, listener) = https_server(dir.path(), &["127.0.0.1"]).await;
    cfg.connections.body_timeout = Duration::from_secs(1);
    let blob = vec![5u8; 1 << 20];
    let digest = ferry_bundler::format::Digest::of_bytes(&blob);
    let mut w = store.blob_writer().unwrap();
    w.write_all(&blob).unwrap();
    w.commit(&digest, Some(blob.len() as u64)).unwrap();
    store.link_blob("window", &digest).await.unwrap();
    let addr = cfg.listen;
    tokio::spawn(async move { serve_on(listener, store, &cfg, std::future::pending()).await });

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&issued.ca_cert).unwrap())
        .unwrap();
    let mut client_cfg = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // HTTP/2 by ALPN, as browsers and Go clients negotiate it.
    client_cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client_cfg))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, axum::body::Bytes>(tls)
        .await
        .unwrap();
    let driven = tokio::spawn(connection);
    let req = axum::http::Request::get(format!("https://127.0.0.1/v2/window/blobs/{digest}"))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(req, true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    let t0 = std::time::Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(8), driven).await;
    assert!(ended.is_ok(), "still open after {:?}", t0.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}
