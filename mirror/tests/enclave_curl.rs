//! The enclave services over a real socket, with curl as the client: the chart repository fetched
//! the way helm does it (index.yaml, then the entry's url, then the digest check) and a file
//! downloaded whole and by range.

mod enclave_support;
mod import_support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_mirror::server::{serve, AccessConfig, ServerConfig};
use serde::Deserialize;

use enclave_support::{sha256_hex, Enclave};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelmIndex {
    api_version: String,
    entries: std::collections::BTreeMap<String, Vec<HelmEntry>>,
}

#[derive(Deserialize)]
struct HelmEntry {
    version: String,
    digest: String,
    urls: Vec<String>,
}

/// Runs curl (failing on HTTP errors) and returns its stdout.
async fn curl(args: Vec<String>) -> Vec<u8> {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--fail"])
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "curl {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn arg(s: impl AsRef<str>) -> String {
    s.as_ref().to_owned()
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_fetches_index_then_chart_then_file() {
    let e = Enclave::new().await;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cfg = ServerConfig {
        listen: addr,
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let store = e.store.clone();
    let server = tokio::spawn(async move {
        serve(store, &cfg, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    wait_listening(addr).await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://{addr}/charts");

    // helm repo add: the index.
    let yaml = curl(vec![format!("{base}/index.yaml")]).await;
    eprintln!("{}", String::from_utf8_lossy(&yaml));
    let index: HelmIndex = serde_saphyr::from_slice(&yaml).unwrap();
    assert_eq!(index.api_version, "v1");
    let podinfo = &index.entries["podinfo"][0];
    assert_eq!(podinfo.version, "6.10.1");

    // helm pull: the entry's url relative to the repository, then its digest.
    let tgz = dir.path().join("podinfo.tgz");
    let headers = dir.path().join("headers.txt");
    curl(vec![
        arg("--dump-header"),
        path_arg(&headers),
        arg("--output"),
        path_arg(&tgz),
        format!("{base}/{}", podinfo.urls[0]),
    ])
    .await;
    let bytes = std::fs::read(&tgz).unwrap();
    assert_eq!(sha256_hex(&bytes), podinfo.digest);
    let chart = e
        .charts
        .iter()
        .find(|c| c.name == "podinfo" && c.version == podinfo.version)
        .unwrap();
    assert_eq!(bytes, chart.tgz);
    let headers = std::fs::read_to_string(&headers).unwrap();
    assert_eq!(
        header(&headers, "x-checksum-sha256"),
        Some(podinfo.digest.as_str())
    );

    // A file whole, then resumed from an offset as `curl -C` does.
    let file = e.files.iter().find(|f| f.name == "talos.iso").unwrap();
    let url = format!("http://{addr}/files/talos.iso");
    let whole = curl(vec![url.clone()]).await;
    assert_eq!(whole, file.bytes);
    let partial = dir.path().join("talos.iso");
    std::fs::write(&partial, &file.bytes[..30_000]).unwrap();
    curl(vec![
        arg("--continue-at"),
        arg("-"),
        arg("--output"),
        path_arg(&partial),
        url.clone(),
    ])
    .await;
    assert_eq!(std::fs::read(&partial).unwrap(), file.bytes);
    let head = String::from_utf8(curl(vec![arg("--head"), url]).await).unwrap();
    assert_eq!(
        header(&head, "content-length"),
        Some(file.bytes.len().to_string().as_str())
    );
    assert_eq!(
        header(&head, "x-checksum-sha256"),
        Some(sha256_hex(&file.bytes).as_str())
    );

    let _ = stop.send(());
    server.await.unwrap();
}

fn path_arg(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

async fn wait_listening(addr: SocketAddr) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on {addr} did not start");
}
