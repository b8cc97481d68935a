//! A cluster's desired state published into a real store and pulled back out of the registry
//! on a real socket: skopeo reads the artifact (media types, one layer, its tree), curl reads
//! the signature and the referrers API, and openssl verifies the signature on its own.
//! Re-publishing equal inputs changes nothing, a changed override makes rev-2 and moves
//! `current`, and restoring the old inputs gives the old digest back.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use ferry_bundler::format::profile_definition::{
    ChartUnit, FilesUnit, LayerDefinition, ManifestFile, ManifestsUnit, PinnedImage,
    ProfileDefinition, Unit, Variable, VariableType,
};
use ferry_bundler::format::Digest;
use ferry_bundler::sign::{keygen, SigningKey};
use ferry_mirror::fleet::desired::{self, Input, InputProfile};
use ferry_mirror::fleet::{Backend, Fleet, FleetDb, FleetError, FleetSettings};
use ferry_mirror::server::{serve_on, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;
use ferry_testkit::tools::installed;
use serde_json::{json, Value};
use tokio::process::Command;

const USER: &str = "reader";
const PASSWORD: &str = "reader-password";
const CLUSTER: &str = "edge-07";
const SECRET_TOKEN: &str = "s3cr3t-token-value";

fn busybox_digest() -> Digest {
    Digest::of_bytes(b"busybox 1.36 index")
}

fn nginx_digest() -> Digest {
    Digest::of_bytes(b"nginx index")
}

fn definition() -> ProfileDefinition {
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\n  namespace: {{{{ .spectro.var.namespace }}}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: hello\n          image: busybox:1.36\n          env:\n            - name: TOKEN\n              value: \"{{{{.spectro.var.token}}}}\"\n        - name: web\n          image: nginx@{}\n",
        nginx_digest()
    );
    ProfileDefinition {
        schema_version: 1,
        name: "edge-infra".into(),
        version: "1.0.0".into(),
        profile_type: "infra".into(),
        variables: vec![
            Variable {
                name: "namespace".into(),
                var_type: VariableType::String,
                default: Some(json!("hello")),
                pattern: None,
                required: false,
                secret: false,
                description: None,
            },
            Variable {
                name: "token".into(),
                var_type: VariableType::String,
                default: None,
                pattern: None,
                required: true,
                secret: true,
                description: None,
            },
            Variable {
                name: "replicas".into(),
                var_type: VariableType::Number,
                default: Some(json!(2)),
                pattern: None,
                required: false,
                secret: false,
                description: None,
            },
        ],
        layers: vec![
            LayerDefinition {
                name: "podinfo".into(),
                kind: "addon".into(),
                units: vec![Unit::Chart(ChartUnit {
                    name: "podinfo".into(),
                    version: "6.5.0".into(),
                    reference: "oci://ghcr.io/stefanprodan/charts/podinfo:6.5.0".into(),
                    repository: "charts/podinfo".into(),
                    digest: Digest::of_bytes(b"podinfo chart"),
                    values: json!({
                        "replicaCount": "{{ .spectro.var.replicas }}",
                        "ui": {"color": "blue", "message": "hello from {{ .spectro.var.namespace }}"},
                    })
                    .as_object()
                    .unwrap()
                    .clone(),
                })],
                images: vec![],
            },
            LayerDefinition {
                name: "hello".into(),
                kind: "addon".into(),
                units: vec![
                    Unit::Manifests(ManifestsUnit {
                        files: vec![ManifestFile {
                            name: "manifests/hello.yaml".into(),
                            content: deployment,
                        }],
                    }),
                    Unit::Files(FilesUnit {
                        names: vec!["readme.txt".into()],
                    }),
                ],
                images: vec![
                    PinnedImage {
                        reference: "docker.io/library/busybox:1.36".into(),
                        repository: "docker.io/library/busybox".into(),
                        digest: busybox_digest(),
                    },
                    PinnedImage {
                        reference: format!("docker.io/library/nginx@{}", nginx_digest()),
                        repository: "docker.io/library/nginx".into(),
                        digest: nginx_digest(),
                    },
                ],
            },
        ],
    }
}

fn input(replicas_override: i64) -> Input {
    let definition = definition();
    Input {
        cluster: CLUSTER.into(),
        labels: [("site".to_owned(), "north".to_owned())].into(),
        profiles: vec![InputProfile {
            name: definition.name.clone(),
            version: definition.version.clone(),
            revision: 1,
            definition_digest: definition.digest(),
            layer_values: [(
                "podinfo".to_owned(),
                json!({"replicaCount": replicas_override, "ui": {"color": "green"}})
                    .as_object()
                    .unwrap()
                    .clone(),
            )]
            .into(),
            variables: [
                ("namespace".to_owned(), json!("hello")),
                ("token".to_owned(), json!(SECRET_TOKEN)),
                ("replicas".to_owned(), json!(2)),
            ]
            .into(),
            definition,
        }],
    }
}

struct Served {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(store: Store, listener: tokio::net::TcpListener, dir: &Path) -> Served {
    let addr = listener.local_addr().unwrap();
    let htpasswd = dir.join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
    )
    .unwrap();
    let cfg = ServerConfig {
        access: AccessConfig {
            htpasswd: Some(htpasswd),
            roles: [(USER.to_owned(), Role::Admin)].into(),
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_on(listener, store, &cfg, async {
            let _ = rx.await;
        })
        .await
        .expect("registry serves");
    });
    Served { addr, stop, task }
}

async fn run(cmd: &mut Command) -> Vec<u8> {
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
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
    out.stdout
}

async fn inspect_raw(addr: SocketAddr, reference: &str) -> Vec<u8> {
    run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &format!("{USER}:{PASSWORD}"),
        &format!("docker://{addr}/fleet/{CLUSTER}:{reference}"),
    ]))
    .await
}

async fn curl(addr: SocketAddr, path: &str) -> Vec<u8> {
    run(Command::new("curl").args([
        "-sSf",
        "-u",
        &format!("{USER}:{PASSWORD}"),
        &format!("http://{addr}/v2/fleet/{CLUSTER}/{path}"),
    ]))
    .await
}

/// Every file of the artifact's layer, read entry by entry (never unpacked onto disk).
fn read_layer(tar_gz: &[u8]) -> BTreeMap<String, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tar_gz));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header();
        assert_eq!(header.entry_type(), tar::EntryType::Regular);
        assert_eq!(
            (
                header.mode().unwrap(),
                header.uid().unwrap(),
                header.mtime().unwrap()
            ),
            (0o644, 0, 0)
        );
        let path = entry.path().unwrap().display().to_string();
        let mut body = String::new();
        entry.read_to_string(&mut body).unwrap();
        files.insert(path, body);
    }
    files
}

/// A fleet on a store in `dir`, with its tables in the store's own file or, given a URL, in
/// that database (PostgreSQL), and a new signing key.
async fn fleet_with_signer(dir: &Path, mirror_host: &str, db_url: Option<&str>) -> (Fleet, String) {
    let store = Store::open(dir.join("data")).await.unwrap();
    let db = match db_url {
        Some(url) => FleetDb::connect(url).await.unwrap(),
        None => FleetDb::open_in_store(&dir.join("data")).await.unwrap(),
    };
    let keys = keygen(dir, b"fleet-key-password").unwrap();
    let signer = SigningKey::load(&keys.private_key, b"fleet-key-password").unwrap();
    let public_pem = signer.public_key_pem().to_owned();
    let fleet = Fleet {
        db,
        store,
        signer: Some(Arc::new(signer)),
        settings: FleetSettings {
            mirror_host: mirror_host.to_owned(),
            ..FleetSettings::default()
        },
    };
    (fleet, public_pem)
}

#[tokio::test]
async fn published_artifact_is_pulled_by_skopeo_and_its_signature_verifies_with_openssl() {
    if !installed("skopeo") || !installed("openssl") || !installed("curl") {
        return;
    }
    for backend in ferry_testkit::postgres::fleet_backends() {
        // On SQLite the fleet's tables are in the store's own file, as the server opens them.
        let url = (backend.name != "sqlite").then_some(backend.url.as_str());
        publish_and_pull(url).await;
    }
}

#[tokio::test]
async fn published_artifact_on_postgres_is_pulled_by_skopeo_and_verifies() {
    if !installed("skopeo") || !installed("openssl") || !installed("curl") {
        return;
    }
    if let Some(db) = ferry_testkit::postgres::database() {
        publish_and_pull(Some(db.url())).await;
    }
}

async fn publish_and_pull(db_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    // Bound first: the artifacts name the mirror's address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let host = addr.to_string();
    let (fleet, public_pem) = fleet_with_signer(dir.path(), &host, db_url).await;

    let first = desired::publish_input(&fleet, &input(5), "alice")
        .await
        .unwrap();
    assert_eq!((first.revision, first.changed), (1, true));
    let served = start(fleet.store.clone(), listener, dir.path()).await;

    // The manifest as a client gets it: Flux's media types, one layer, the annotations.
    let raw = inspect_raw(addr, "current").await;
    assert_eq!(Digest::of_bytes(&raw), first.digest);
    let manifest: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.cncf.flux.config.v1+json"
    );
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.cncf.flux.content.v1.tar+gzip"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.source"],
        "ferry fleet"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        "edge-infra@1.0.0+r1"
    );
    assert_eq!(inspect_raw(addr, "rev-1").await, raw);

    // skopeo copies it out; the layer is read entry by entry.
    let layout = dir.path().join("pulled");
    run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &format!("{USER}:{PASSWORD}"),
        &format!("docker://{addr}/fleet/{CLUSTER}:current"),
        &format!("oci:{}:current", layout.display()),
    ]))
    .await;
    let layer_digest = Digest::parse(layers[0]["digest"].as_str().unwrap()).unwrap();
    let layer = std::fs::read(layout.join("blobs/sha256").join(layer_digest.hex())).unwrap();
    let config_digest = Digest::parse(manifest["config"]["digest"].as_str().unwrap()).unwrap();
    assert_eq!(
        std::fs::read(layout.join("blobs/sha256").join(config_digest.hex())).unwrap(),
        b"{}"
    );
    let files = read_layer(&layer);
    let kustomization: Value = serde_json::from_str(&files["kustomization.yaml"]).unwrap();
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let others: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "kustomization.yaml")
        .collect();
    assert_eq!(resources, others);
    assert_eq!(
        others,
        [
            "edge-infra/hello/01-manifests-hello.yaml",
            "edge-infra/podinfo/podinfo.helmrelease.yaml",
            "edge-infra/podinfo/podinfo.ocirepository.yaml",
        ]
    );

    let release: Value =
        serde_json::from_str(&files["edge-infra/podinfo/podinfo.helmrelease.yaml"]).unwrap();
    assert_eq!(release["apiVersion"], "helm.toolkit.fluxcd.io/v2");
    assert_eq!(release["spec"]["releaseName"], "podinfo");
    assert_eq!(release["spec"]["install"]["createNamespace"], true);
    assert_eq!(
        release["spec"]["chartRef"],
        json!({"kind": "OCIRepository", "name": "podinfo", "namespace": "ferry-system"})
    );
    // The override beats the profile's value; the variable in a nested string is substituted.
    assert_eq!(
        release["spec"]["values"],
        json!({"replicaCount": 5, "ui": {"color": "green", "message": "hello from hello"}})
    );
    let source: Value =
        serde_json::from_str(&files["edge-infra/podinfo/podinfo.ocirepository.yaml"]).unwrap();
    assert_eq!(source["apiVersion"], "source.toolkit.fluxcd.io/v1");
    assert_eq!(
        source["spec"]["url"],
        format!("oci://{host}/charts/podinfo")
    );
    assert_eq!(source["spec"]["ref"]["tag"], "6.5.0");
    assert_eq!(
        source["spec"]["layerSelector"],
        json!({"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"})
    );
    assert_eq!(
        source["spec"]["secretRef"]["name"],
        "ferry-mirror-credentials"
    );

    let hello = &files["edge-infra/hello/01-manifests-hello.yaml"];
    assert!(
        hello.contains(&format!(
            "image: {host}/docker.io/library/busybox:1.36@{}\n",
            busybox_digest()
        )),
        "{hello}"
    );
    assert!(
        hello.contains(&format!(
            "image: {host}/docker.io/library/nginx@{}\n",
            nginx_digest()
        )),
        "{hello}"
    );
    assert!(hello.contains("namespace: hello\n"), "{hello}");
    assert!(
        hello.contains(SECRET_TOKEN),
        "the cluster gets the secret's value"
    );

    // The signature, read as cosign reads it, verified by openssl alone.
    let sig_manifest = inspect_raw(addr, &format!("sha256-{}.sig", first.digest.hex())).await;
    let sig_manifest: Value = serde_json::from_slice(&sig_manifest).unwrap();
    let sig_layer = &sig_manifest["layers"][0];
    assert_eq!(
        sig_layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload = curl(
        addr,
        &format!("blobs/{}", sig_layer["digest"].as_str().unwrap()),
    )
    .await;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(
            sig_layer["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let payload_doc: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        payload_doc["critical"]["image"]["docker-manifest-digest"],
        first.digest.to_string()
    );
    assert_eq!(
        payload_doc["critical"]["identity"]["docker-reference"],
        format!("{host}/fleet/{CLUSTER}")
    );
    assert_eq!(
        payload_doc["critical"]["type"],
        "cosign container image signature"
    );
    let (pub_pem, sig_der, payload_file) = (
        dir.path().join("pub.pem"),
        dir.path().join("sig.der"),
        dir.path().join("payload.json"),
    );
    std::fs::write(&pub_pem, &public_pem).unwrap();
    std::fs::write(&sig_der, &signature).unwrap();
    std::fs::write(&payload_file, &payload).unwrap();
    let verified = run(Command::new("openssl").args([
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-verify".as_ref(),
        pub_pem.as_os_str(),
        "-signature".as_ref(),
        sig_der.as_os_str(),
        payload_file.as_os_str(),
    ]))
    .await;
    assert_eq!(String::from_utf8_lossy(&verified).trim(), "Verified OK");

    // The same signature as an OCI 1.1 referrer of the artifact.
    let referrers: Value =
        serde_json::from_slice(&curl(addr, &format!("referrers/{}", first.digest)).await).unwrap();
    let found = referrers["manifests"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{referrers}");
    assert_eq!(
        found[0]["artifactType"],
        "application/vnd.dev.cosign.artifact.sig.v1+json"
    );
    let referrer: Value = serde_json::from_slice(
        &curl(
            addr,
            &format!("manifests/{}", found[0]["digest"].as_str().unwrap()),
        )
        .await,
    )
    .unwrap();
    assert_eq!(referrer["subject"]["digest"], first.digest.to_string());
    assert_eq!(referrer["layers"], sig_manifest["layers"]);

    // Equal inputs: nothing changes.
    let again = desired::publish_input(&fleet, &input(5), "bob")
        .await
        .unwrap();
    assert_eq!(
        (again.revision, again.changed, &again.digest),
        (1, false, &first.digest)
    );

    // A changed override: rev-2, and `current` moves; rev-1 stays.
    let second = desired::publish_input(&fleet, &input(7), "alice")
        .await
        .unwrap();
    assert_eq!((second.revision, second.changed), (2, true));
    assert_ne!(second.digest, first.digest);
    assert_eq!(
        Digest::of_bytes(&inspect_raw(addr, "current").await),
        second.digest
    );
    assert_eq!(
        Digest::of_bytes(&inspect_raw(addr, "rev-2").await),
        second.digest
    );
    assert_eq!(
        Digest::of_bytes(&inspect_raw(addr, "rev-1").await),
        first.digest
    );

    // Restoring the first inputs gives the first digest back, as a new revision.
    let restored = desired::publish_input(&fleet, &input(5), "alice")
        .await
        .unwrap();
    assert_eq!((restored.revision, &restored.digest), (3, &first.digest));
    assert_eq!(
        Digest::of_bytes(&inspect_raw(addr, "current").await),
        first.digest
    );
    assert_eq!(
        desired::current(&fleet, CLUSTER).await.unwrap(),
        Some((3, first.digest.clone()))
    );

    let revisions = desired::revisions(&fleet, CLUSTER).await.unwrap();
    let summary: Vec<(i64, &Digest, &str)> = revisions
        .iter()
        .map(|r| (r.revision, &r.digest, r.actor.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, &first.digest, "alice"),
            (2, &second.digest, "alice"),
            (3, &first.digest, "alice")
        ]
    );
    let recorded = revisions[0].inputs.to_string();
    assert!(!recorded.contains(SECRET_TOKEN), "{recorded}");
    let token = &revisions[0].inputs["profiles"][0]["variables"]["token"];
    assert!(token.as_str().unwrap().starts_with("sha256:"), "{token}");
    assert_eq!(
        revisions[0].inputs["profiles"][0]["layerValues"]["podinfo"]["replicaCount"],
        5
    );
    let mut images: Vec<&str> = revisions[0]
        .images
        .iter()
        .map(|i| i.repository.as_str())
        .collect();
    images.sort();
    assert_eq!(
        images,
        ["docker.io/library/busybox", "docker.io/library/nginx"]
    );

    // Each publish is in the audit chain, and the chain holds.
    let published: Vec<(String, String)> = sqlx::query_as(
        "SELECT subject, detail FROM audit_log WHERE action = 'fleet.published' ORDER BY seq",
    )
    .fetch_all(fleet.db.pool())
    .await
    .unwrap();
    assert_eq!(published.len(), 3);
    let last: Value = serde_json::from_str(&published[2].1).unwrap();
    assert_eq!(
        (last["revision"].as_i64(), last["restoresRevision"].as_i64()),
        (Some(3), Some(1))
    );
    if fleet.db.backend() == Backend::Sqlite {
        // On SQLite the fleet shares the store's chain; `ferry audit verify` reads it there.
        let report = ferry_mirror::audit::verify(fleet.store.db(), None)
            .await
            .unwrap();
        assert!(report.tamper.is_none(), "{report:?}");
    }

    let _ = served.stop.send(());
    tokio::time::timeout(Duration::from_secs(20), served.task)
        .await
        .unwrap()
        .unwrap();
    let _ = served.addr;
}

#[tokio::test]
async fn without_a_signer_nothing_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let (mut fleet, _) = fleet_with_signer(dir.path(), "127.0.0.1:5000", None).await;
    fleet.signer = None;
    let err = desired::publish_input(&fleet, &input(5), "alice")
        .await
        .unwrap_err();
    assert_eq!(err.status(), axum::http::StatusCode::CONFLICT);
    assert!(err.to_string().contains("edge-07"), "{err}");
    assert!(matches!(
        err,
        FleetError::Desired(desired::DesiredError::NoSigner(_))
    ));
    assert_eq!(desired::current(&fleet, CLUSTER).await.unwrap(), None);
    assert!(fleet
        .store
        .tag_digest("fleet/edge-07", "current")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn revisions_route_lists_what_was_published() {
    use tower::ServiceExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (fleet, _) = fleet_with_signer(dir.path(), "mirror.enclave:5000", None).await;
    let one = desired::publish_input(&fleet, &input(5), "alice")
        .await
        .unwrap();
    let two = desired::publish_input(&fleet, &input(6), "bob")
        .await
        .unwrap();
    let (router, _) = ferry_mirror::fleet::api::routes().read.split_for_parts();
    let router = router.with_state(fleet);
    let get = |uri: &str| {
        axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let response = router
        .clone()
        .oneshot(get("/api/v1/fleet/clusters/edge-07/revisions"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list["repository"], "fleet/edge-07");
    assert_eq!(
        list["current"],
        json!({"revision": 2, "digest": two.digest.to_string()})
    );
    let revisions = list["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["digest"], one.digest.to_string());
    assert_eq!(revisions[1]["actor"], "bob");
    assert!(!String::from_utf8_lossy(&body).contains(SECRET_TOKEN));

    let response = router
        .oneshot(get("/api/v1/fleet/clusters/Not_A_Cluster/revisions"))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "bad_request");
}

#[tokio::test]
async fn gc_keeps_every_revision_and_its_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (fleet, _) = fleet_with_signer(dir.path(), "mirror.enclave:5000", None).await;
    let one = desired::publish_input(&fleet, &input(5), "alice")
        .await
        .unwrap();
    let two = desired::publish_input(&fleet, &input(6), "alice")
        .await
        .unwrap();
    let options = ferry_mirror::store::GcOptions {
        grace: Duration::ZERO,
        dry_run: false,
    };
    let report = ferry_mirror::store::gc_with(&fleet.store, &options)
        .await
        .unwrap();
    assert!(report.manifests_removed.is_empty(), "{report:?}");
    assert!(report.blobs_removed.is_empty(), "{report:?}");
    let repo = "fleet/edge-07";
    for published in [&one, &two] {
        let sig_tag = format!("sha256-{}.sig", published.digest.hex());
        let sig = fleet
            .store
            .tag_digest(repo, &sig_tag)
            .await
            .unwrap()
            .unwrap();
        assert!(fleet.store.has_blob(&sig).unwrap());
        let referrers = fleet
            .store
            .referrers(repo, &published.digest, None)
            .await
            .unwrap();
        assert_eq!(referrers.len(), 1, "{referrers:?}");
    }
    assert_eq!(
        fleet.store.tag_digest(repo, "rev-1").await.unwrap(),
        Some(one.digest)
    );
}
