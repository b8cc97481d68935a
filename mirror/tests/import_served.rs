//! End to end: what an import records is what the real registry serves, byte for byte, to a real
//! client (skopeo), and what gc removes after a retire is no longer served.

mod import_support;

use std::process::{Command, Output};
use std::time::Duration;

use ferry_bundler::format::Digest;
use ferry_mirror::import::import_bundle;
use ferry_mirror::server::{serve, AccessConfig, ServerConfig};
use ferry_mirror::store::{gc_with, retire_bundle, GcOptions, Store};
use import_support::*;

struct Served {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    async fn start(store: &Store) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let cfg = ServerConfig {
            listen: addr,
            access: AccessConfig {
                anonymous_pull: true,
                ..AccessConfig::default()
            },
            ..ServerConfig::default()
        };
        let store = store.clone();
        let task = tokio::spawn(async move {
            serve(store, &cfg, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.task.await;
    }
}

async fn skopeo(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new("skopeo").args(&args).output().unwrap())
        .await
        .unwrap()
}

fn image_ref(addr: std::net::SocketAddr, repo_and_tag: &str) -> String {
    format!("docker://{addr}/{repo_and_tag}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_images_are_served_exactly_and_retired_ones_go_away_after_gc() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bundle_a(dir.path()), bundle_b(dir.path()));
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    import_bundle(&store, &b.path, &trusting()).await.unwrap();
    let server = Served::start(&store).await;
    let app = image_ref(server.addr, "docker.io/library/app:1.0");
    let index = &a
        .manifest
        .artifacts
        .iter()
        .find(|x| x.repository == "docker.io/library/app")
        .unwrap()
        .digest;

    // The index comes back with its exact bytes.
    let raw = skopeo(vec![
        "inspect".into(),
        "--tls-verify=false".into(),
        "--raw".into(),
        app.clone(),
    ])
    .await;
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    assert_eq!(&Digest::of_bytes(&raw.stdout), index);

    // A full copy of every platform, digests preserved, lands every blob of the image.
    let layout = dir.path().join("copy");
    let copy = skopeo(vec![
        "copy".into(),
        "--src-tls-verify=false".into(),
        "--all".into(),
        "--preserve-digests".into(),
        app.clone(),
        format!("oci:{}:app", layout.display()),
    ])
    .await;
    assert!(
        copy.status.success(),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    let image_blobs = image_blob_digests(&a);
    for d in &image_blobs {
        let copied = layout.join("blobs/sha256").join(d.hex());
        assert_eq!(
            std::fs::read(&copied).ok().as_ref(),
            a.content.blobs.get(d),
            "blob {d} copied intact"
        );
    }

    // Retire A and collect: its image is gone, B's image (sharing a layer) still pulls.
    retire_bundle(&store, &a.manifest_digest()).await.unwrap();
    gc_with(
        &store,
        &GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        },
    )
    .await
    .unwrap();
    let gone = skopeo(vec![
        "inspect".into(),
        "--tls-verify=false".into(),
        "--raw".into(),
        app,
    ])
    .await;
    assert!(
        !gone.status.success(),
        "retired and collected image is still served"
    );
    let by_digest = image_ref(server.addr, &format!("docker.io/library/app@{index}"));
    let gone = skopeo(vec![
        "inspect".into(),
        "--tls-verify=false".into(),
        "--raw".into(),
        by_digest,
    ])
    .await;
    assert!(
        !gone.status.success(),
        "retired and collected index is still served by digest"
    );

    let web = image_ref(server.addr, "docker.io/library/web:2.0");
    let copy_b = skopeo(vec![
        "copy".into(),
        "--src-tls-verify=false".into(),
        "--override-arch=amd64".into(),
        "--override-os=linux".into(),
        "--preserve-digests".into(),
        web,
        format!("oci:{}:web", dir.path().join("copy-b").display()),
    ])
    .await;
    assert!(
        copy_b.status.success(),
        "{}",
        String::from_utf8_lossy(&copy_b.stderr)
    );
    server.stop().await;
}

/// Every blob of bundle A's image (index, platform manifests, configs, layers), not its
/// signature or file artifact, which `skopeo copy` of the tag does not fetch.
fn image_blob_digests(a: &Fixture) -> Vec<Digest> {
    let image = a
        .manifest
        .artifacts
        .iter()
        .find(|x| x.repository == "docker.io/library/app")
        .unwrap();
    let mut out = vec![image.digest.clone()];
    let index: serde_json::Value = serde_json::from_slice(&a.content.blobs[&image.digest]).unwrap();
    for m in index["manifests"].as_array().unwrap() {
        let md = Digest::parse(m["digest"].as_str().unwrap()).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&a.content.blobs[&md]).unwrap();
        out.push(Digest::parse(manifest["config"]["digest"].as_str().unwrap()).unwrap());
        for l in manifest["layers"].as_array().unwrap() {
            out.push(Digest::parse(l["digest"].as_str().unwrap()).unwrap());
        }
        out.push(md);
    }
    out
}

/// An import's blobs are served under the repository its artifacts name, and nowhere else; a
/// layer two bundles share is served under both repositories.
#[tokio::test]
async fn imported_layers_are_served_under_their_repository_only() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bundle_a(dir.path()), bundle_b(dir.path()));
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    import_bundle(&store, &b.path, &trusting()).await.unwrap();
    let cfg = ServerConfig {
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let router = ferry_mirror::server::router(store.clone(), &cfg);
    let status = |repo: &str, digest: &Digest| {
        let req = axum::http::Request::get(format!("/v2/{repo}/blobs/{digest}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let router = router.clone();
        async move { router.oneshot(req).await.unwrap().status().as_u16() }
    };
    let (app, web) = ("docker.io/library/app", "docker.io/library/web");
    let image = image_blob_digests(&a);
    let (shared, own): (Vec<&Digest>, Vec<&Digest>) =
        image.iter().partition(|d| b.content.blobs.contains_key(*d));
    assert!(
        !own.is_empty() && !shared.is_empty(),
        "the bundles share a base layer"
    );
    for d in own {
        assert_eq!(status(app, d).await, 200, "{d} in its repository");
        for other in [web, "files/talos.iso", "docker.io/library/nginx"] {
            assert_eq!(status(other, d).await, 404, "{d} through {other}");
        }
    }
    for d in shared {
        assert_eq!((status(app, d).await, status(web, d).await), (200, 200));
    }
    // The bundle manifest is kept as a blob, for audits, not served by any repository.
    assert_eq!(status(app, &a.manifest_digest()).await, 404);
}
