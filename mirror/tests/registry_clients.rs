//! The registry on a real socket against real clients: skopeo pushes into it and copies back out,
//! podman pulls from it, containerd (ctr) pulls through it as a docker.io mirror (`?ns=`).
//!
//! A client binary that is not installed skips its test with a message; a client that is there
//! but fails makes the test fail with its output.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ferry_bundler::format::Digest;
use ferry_mirror::server::{serve, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;
use ferry_testkit::tools::installed;
use tokio::process::Command;

const USER: &str = "ci";
const PASSWORD: &str = "ci-password";
/// Where the seeded image lives in the mirror: upstream host first, as imports name it.
const REPO: &str = "docker.io/library/ferrytest";
const TAG: &str = "1.0";

struct Mirror {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    dir: tempfile::TempDir,
}

impl Mirror {
    /// A mirror with anonymous pull.
    async fn start() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(anonymous_pull: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        std::fs::write(
            &htpasswd,
            format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
        )
        .unwrap();
        let store = Store::open(dir.path().join("data")).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let cfg = ServerConfig {
            listen: addr,
            push: true,
            access: AccessConfig {
                htpasswd: Some(htpasswd),
                roles: [(USER.to_owned(), Role::Pusher)].into(),
                anonymous_pull,
                ..AccessConfig::default()
            },
            ..ServerConfig::default()
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(store, &cfg, async {
                let _ = rx.await;
            })
            .await
            .expect("registry serves");
        });
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            addr,
            stop: Some(tx),
            task: Some(task),
            dir,
        }
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("graceful shutdown")
                .unwrap();
        }
    }
}

async fn run(cmd: &mut Command) -> Output {
    let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{cmd:?} timed out"))
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn write_blob(layout: &Path, bytes: &[u8]) -> (Digest, usize) {
    let d = Digest::of_bytes(bytes);
    std::fs::write(layout.join("blobs/sha256").join(d.hex()), bytes).unwrap();
    (d, bytes.len())
}

/// A runnable single-layer linux/amd64 image in an OCI layout, tagged `TAG`. Returns the manifest digest.
fn seed_layout(layout: &Path) -> Digest {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let rootfs = layout.parent().unwrap().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(
        rootfs.join("etc/ferry-release"),
        b"ferry registry client test\n",
    )
    .unwrap();
    let tar = layout.parent().unwrap().join("layer.tar");
    let status = std::process::Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-cf",
        ])
        .arg(&tar)
        .arg("-C")
        .arg(&rootfs)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    let (layer, layer_size) = write_blob(layout, &std::fs::read(&tar).unwrap());
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Cmd": ["/bin/true"] },
        "rootfs": { "type": "layers", "diff_ids": [layer] }
    });
    let (config, config_size) = write_blob(layout, &serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size }]
    });
    let (manifest, manifest_size) = write_blob(layout, &serde_json::to_vec(&manifest).unwrap());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": manifest_size,
            "annotations": { "org.opencontainers.image.ref.name": TAG }
        }]
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    manifest
}

/// Seeds a layout and pushes it into the mirror with skopeo. Returns the manifest digest.
async fn push_seeded(mirror: &Mirror) -> Digest {
    let layout = mirror.dir.path().join("src/layout");
    let digest = seed_layout(&layout);
    run(Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "--dest-creds",
        ])
        .arg(format!("{USER}:{PASSWORD}"))
        .arg(format!("oci:{}:{TAG}", layout.display()))
        .arg(format!("docker://{}/{REPO}:{TAG}", mirror.host())))
    .await;
    digest
}

fn layout_manifest_digest(layout: &Path) -> String {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_pushes_in_and_copies_out_identically() {
    if !installed("skopeo") {
        return;
    }
    let mirror = Mirror::start().await;
    let digest = push_seeded(&mirror).await;

    let out_layout = mirror.dir.path().join("out");
    run(Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--src-tls-verify=false",
        ])
        .arg(format!("docker://{}/{REPO}:{TAG}", mirror.host()))
        .arg(format!("oci:{}:{TAG}", out_layout.display())))
    .await;
    assert_eq!(layout_manifest_digest(&out_layout), digest.to_string());
    let src = mirror.dir.path().join("src/layout/blobs/sha256");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name();
        let copied = std::fs::read(out_layout.join("blobs/sha256").join(&name)).unwrap();
        assert_eq!(
            copied,
            std::fs::read(src.join(&name)).unwrap(),
            "blob {name:?} differs"
        );
    }

    let inspect = run(Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{}/{REPO}@{digest}", mirror.host())))
    .await;
    assert_eq!(
        Digest::of_bytes(&inspect.stdout),
        digest,
        "raw manifest bytes are exact"
    );

    let tags = run(Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false"])
        .arg(format!("docker://{}/{REPO}", mirror.host())))
    .await;
    let tags: serde_json::Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!([TAG]));
    mirror.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_logs_in_and_pulls_from_the_mirror() {
    if !installed("skopeo") || !installed("podman") {
        return;
    }
    // Anonymous pull off: podman must log in, through the bearer token flow.
    let mirror = Mirror::start_with(false).await;
    let digest = push_seeded(&mirror).await;
    let storage = mirror.dir.path().join("podman");
    let podman = |args: &[&str]| {
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(storage.join("root"))
            .arg("--runroot")
            .arg(storage.join("runroot"))
            .args([
                "--storage-driver",
                "vfs",
                "--events-backend",
                "none",
                "--cgroup-manager",
                "cgroupfs",
            ])
            .args(args);
        c
    };
    let image = format!("{}/{REPO}:{TAG}", mirror.host());
    // An empty auth file of its own, so the user's logins play no part.
    let authfile = mirror.dir.path().join("auth.json");
    std::fs::write(&authfile, "{\"auths\": {}}\n").unwrap();
    let authfile = authfile.to_str().unwrap();
    let pull = [
        "pull",
        "--quiet",
        "--tls-verify=false",
        "--authfile",
        authfile,
        &image,
    ];
    let anonymous = podman(&pull).output().await.unwrap();
    assert!(!anonymous.status.success(), "an anonymous client pulled");
    assert!(
        String::from_utf8_lossy(&anonymous.stderr).contains("unauthorized"),
        "{}",
        String::from_utf8_lossy(&anonymous.stderr)
    );
    run(&mut podman(&[
        "login",
        "--tls-verify=false",
        "--authfile",
        authfile,
        "--username",
        USER,
        "--password",
        PASSWORD,
        &mirror.host(),
    ]))
    .await;
    run(&mut podman(&pull)).await;
    let inspect = run(&mut podman(&[
        "image",
        "inspect",
        "--format",
        "{{.Digest}}",
        &image,
    ]))
    .await;
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        digest.to_string()
    );
    mirror.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containerd_pulls_docker_io_through_the_mirror() {
    if !installed("skopeo") || !installed("containerd") || !installed("ctr") {
        return;
    }
    let mirror = Mirror::start().await;
    let digest = push_seeded(&mirror).await;

    let base = mirror.dir.path().join("ctrd");
    let socket = base.join("c.sock");
    let config = base.join("config.toml");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(
        &config,
        format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = base.join("root").display(),
            state = base.join("state").display(),
            sock = socket.display(),
        ),
    )
    .unwrap();
    let hosts = base.join("hosts");
    std::fs::create_dir_all(hosts.join("docker.io")).unwrap();
    std::fs::write(
        hosts.join("docker.io/hosts.toml"),
        format!(
            "server = \"https://registry-1.docker.io\"\n\n[host.\"http://{}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
            mirror.host()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(base.join("containerd.log")).unwrap();
    let mut daemon = Command::new("containerd")
        .arg("--config")
        .arg(&config)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("containerd starts");
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        socket.exists(),
        "containerd did not open {}: {}",
        socket.display(),
        daemon_log(&base)
    );

    let ctr_in = |namespace: &str, args: &[&str]| {
        let mut c = Command::new("ctr");
        c.arg("--address")
            .arg(&socket)
            .args(["--namespace", namespace])
            .args(args);
        c
    };
    let ctr = |args: &[&str]| ctr_in("ferrytest", args);
    let image = format!("{REPO}:{TAG}");
    let hosts_dir = hosts.display().to_string();
    let pulled = tokio::time::timeout(
        Duration::from_secs(180),
        ctr(&[
            "images",
            "pull",
            "--snapshotter",
            "native",
            "--hosts-dir",
            &hosts_dir,
            &image,
        ])
        .output(),
    )
    .await
    .expect("ctr pull timed out")
    .expect("ctr runs");
    assert!(
        pulled.status.success(),
        "ctr pull failed:\n{}\n{}\ncontainerd log:\n{}",
        String::from_utf8_lossy(&pulled.stdout),
        String::from_utf8_lossy(&pulled.stderr),
        daemon_log(&base)
    );
    let listed = run(&mut ctr(&["images", "ls"])).await;
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        listed.contains(&image) && listed.contains(&digest.to_string()),
        "{listed}"
    );

    // By digest too, into a fresh namespace so nothing comes from containerd's own content store.
    let by_digest = format!("{REPO}@{digest}");
    run(&mut ctr_in(
        "ferrytest2",
        &[
            "images",
            "pull",
            "--snapshotter",
            "native",
            "--hosts-dir",
            &hosts_dir,
            &by_digest,
        ],
    ))
    .await;

    // The image exists only as docker.io/library/ferrytest: containerd asked for
    // /v2/library/ferrytest/...?ns=docker.io, since the bare path names nothing.
    assert_eq!(
        http_status(
            mirror.addr,
            &format!("/v2/library/ferrytest/manifests/{TAG}")
        )
        .await,
        404
    );
    assert_eq!(
        http_status(
            mirror.addr,
            &format!("/v2/library/ferrytest/manifests/{TAG}?ns=docker.io")
        )
        .await,
        200
    );

    let _ = daemon.kill().await;
    mirror.stop().await;
}

/// Status code of a plain GET on the mirror.
async fn http_status(addr: SocketAddr, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: mirror\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).await.unwrap();
    let text = String::from_utf8_lossy(&resp);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response {text}"))
}

fn daemon_log(base: &Path) -> String {
    let text = std::fs::read_to_string(base.join("containerd.log")).unwrap_or_default();
    text.lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Puts `content` into the mirror's store as a blob of repository `any` and returns its digest.
async fn store_blob(mirror: &Mirror, content: &[u8]) -> Digest {
    let store = Store::open(mirror.dir.path().join("data")).await.unwrap();
    let id = store.upload_start("any").unwrap();
    let chunk = futures_util::stream::iter([Ok::<_, std::io::Error>(
        axum::body::Bytes::copy_from_slice(content),
    )]);
    let range = Some((0, content.len() as u64 - 1));
    store.upload_append("any", &id, range, chunk).await.unwrap();
    let digest = Digest::of_bytes(content);
    store.upload_finish("any", &id, &digest).await.unwrap();
    digest
}

/// Where the body starts in a raw HTTP/1.1 response: after the blank line that ends the head.
fn body_start(response: &[u8]) -> usize {
    response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
}

/// Shutdown stops accepting but lets a download in flight finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_inflight_downloads() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mirror = Mirror::start().await;
    let content: Vec<u8> = (0..32 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let digest = store_blob(&mirror, &content).await;

    let mut conn = tokio::net::TcpStream::connect(mirror.addr).await.unwrap();
    let req =
        format!("GET /v2/any/blobs/{digest} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 4096];
    let n = conn.read(&mut first).await.unwrap();
    assert!(
        first[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );

    let addr = mirror.addr;
    let stopping = tokio::spawn(mirror.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections while draining"
    );

    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.unwrap();
    let mut all = first[..n].to_vec();
    all.extend_from_slice(&rest);
    let body_at = body_start(&all);
    assert_eq!(
        all.len() - body_at,
        content.len(),
        "download completed across shutdown"
    );
    assert_eq!(Digest::of_bytes(&all[body_at..]), digest);
    stopping.await.unwrap();
}

/// Plain-HTTP blob bodies go out with sendfile from mapped chunks: ranges that start and end off
/// page and chunk boundaries, and two downloads on one kept-alive connection, come out exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_and_kept_alive_downloads_over_a_real_socket_are_exact() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mirror = Mirror::start().await;
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 777u32)
        .map(|i| (i * 13 % 251) as u8)
        .collect();
    let digest = store_blob(&mirror, &content).await;

    let len = content.len();
    for (first, last) in [
        (0, len - 1),
        (1, 4096),
        (4095, 1024 * 1024 + 1),
        (1024 * 1024 - 3, 2 * 1024 * 1024 + 5),
        (len - 1, len - 1),
    ] {
        let mut conn = tokio::net::TcpStream::connect(mirror.addr).await.unwrap();
        let req = format!(
            "GET /v2/any/blobs/{digest} HTTP/1.1\r\nHost: x\r\nRange: bytes={first}-{last}\r\nConnection: close\r\n\r\n"
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        let mut all = Vec::new();
        conn.read_to_end(&mut all).await.unwrap();
        let body_at = body_start(&all);
        let head = String::from_utf8_lossy(&all[..body_at]);
        assert!(head.starts_with("HTTP/1.1 206"), "{head}");
        assert!(
            all[body_at..] == content[first..=last],
            "range {first}-{last}: {} bytes back",
            all.len() - body_at
        );
    }

    // Two whole downloads back to back on one connection: the second response's head must
    // follow the first body exactly.
    let mut conn = tokio::net::TcpStream::connect(mirror.addr).await.unwrap();
    let get = format!("GET /v2/any/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n");
    let last =
        format!("GET /v2/any/blobs/{digest} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    conn.write_all(format!("{get}{last}").as_bytes())
        .await
        .unwrap();
    let mut all = Vec::new();
    conn.read_to_end(&mut all).await.unwrap();
    let mut rest = &all[..];
    for n in 1..=2 {
        let body_at = body_start(rest);
        let head = String::from_utf8_lossy(&rest[..body_at]);
        assert!(head.starts_with("HTTP/1.1 200"), "response {n}: {head}");
        assert_eq!(
            Digest::of_bytes(&rest[body_at..body_at + len]),
            digest,
            "response {n}"
        );
        rest = &rest[body_at + len..];
    }
    assert!(rest.is_empty());
}
