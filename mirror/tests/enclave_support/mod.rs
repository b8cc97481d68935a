//! A store holding a real, signed, imported bundle with Helm charts, a Spectro pack and files,
//! wrapped the way ferry's bundler wraps them (bundler/src/net/wrap.rs), plus a router on it.
#![allow(dead_code)] // each test crate uses a different part

use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use ferry_bundler::format::layout::media;
use ferry_bundler::format::{Artifact, ArtifactKind, Attached, Digest, Provenance};
use ferry_bundler::writer::Compression;
use ferry_mirror::import::import_bundle;
use ferry_mirror::server::{router, AccessConfig, ServerConfig};
use ferry_mirror::store::Store;
use serde_json::json;
use tower::ServiceExt;

use crate::import_support::{keys, noise, trusting, write, Content, Fixture, MTIME};

/// A chart package as `helm package` makes it: a gzip tar of `<name>/...`.
pub struct Chart {
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub description: String,
    pub tgz: Vec<u8>,
    pub prov: Option<Vec<u8>>,
    pub manifest: Digest,
}

pub struct Pack {
    pub name: String,
    pub version: String,
    pub layer: Vec<u8>,
    pub manifest: Digest,
}

pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
    pub manifest: Digest,
}

pub struct Enclave {
    pub store: Store,
    pub router: Router,
    pub fixture: Fixture,
    pub charts: Vec<Chart>,
    pub pack: Pack,
    pub files: Vec<File>,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not json ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

impl Enclave {
    /// Builds, signs and imports the bundle into a fresh store.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Content::default();
        let charts = vec![
            chart(&mut c, "podinfo", "6.5.0", true, true),
            chart(&mut c, "podinfo", "6.10.1", false, false),
            chart(&mut c, "cert-manager", "1.14.0-rc.1", false, false),
        ];
        let pack = pack(&mut c, "cilium", "1.15.3");
        let files = vec![
            file(&mut c, "talos.iso", noise(7, 70_000)),
            file(&mut c, "notes.txt", b"hello from the enclave\n".to_vec()),
        ];
        let fixture = write(
            dir.path(),
            "enclave.ferry",
            &c,
            Some(keys()),
            Compression::default(),
        );
        let store = Store::open(dir.path().join("store")).await.unwrap();
        import_bundle(&store, &fixture.path, &trusting())
            .await
            .unwrap();
        let cfg = ServerConfig {
            access: AccessConfig {
                anonymous_pull: true,
                ..AccessConfig::default()
            },
            ..ServerConfig::default()
        };
        let router = router(store.clone(), &cfg);
        Self {
            store,
            router,
            fixture,
            charts,
            pack,
            files,
            _dir: dir,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, &[]).await
    }

    pub async fn request(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A second signed bundle carrying only chart `name` at `version`.
pub fn chart_bundle(dir: &std::path::Path, name: &str, version: &str) -> (Fixture, Chart) {
    let mut c = Content::default();
    let chart = chart(&mut c, name, version, false, false);
    let fixture = write(
        dir,
        &format!("{name}-{version}.ferry"),
        &c,
        Some(keys()),
        Compression::default(),
    );
    (fixture, chart)
}

fn add(c: &mut Content, bytes: Vec<u8>) -> (Digest, u64) {
    let d = Digest::of_bytes(&bytes);
    let size = bytes.len() as u64;
    c.blobs.insert(d.clone(), bytes);
    (d, size)
}

fn provenance() -> Vec<Provenance> {
    vec![Provenance {
        profile: "edge".into(),
        layer: "addon".into(),
        origin: "test".into(),
    }]
}

/// A gzip tar of `entries` with fixed metadata, as packaging tools write them.
pub fn tar_gz(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(MTIME);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, path, bytes.as_slice()).unwrap();
    }
    let raw = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    gz.finish().unwrap()
}

/// One chart version under `charts/<name>:<version>`, optionally with a provenance layer and a
/// cosign-style `.sig` tag in the same repository (which is not a chart and must not be listed).
fn chart(c: &mut Content, name: &str, version: &str, prov: bool, signed: bool) -> Chart {
    let app_version = format!("{version}-app");
    let description = format!("{name} for the enclave");
    let chart_yaml = format!(
        "apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{app_version}\"\ndescription: {description}\ntype: application\n"
    );
    let tgz = tar_gz(&[
        (format!("{name}/Chart.yaml"), chart_yaml.into_bytes()),
        (format!("{name}/values.yaml"), b"replicas: 1\n".to_vec()),
        (
            format!("{name}/templates/configmap.yaml"),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n".to_vec(),
        ),
    ]);
    let config = json!({
        "apiVersion": "v2", "name": name, "version": version, "appVersion": app_version,
        "description": description, "type": "application",
    })
    .to_string()
    .into_bytes();
    let (config, config_size) = add(c, config);
    let (layer, layer_size) = add(c, tgz.clone());
    let mut layers =
        vec![json!({"mediaType": media::HELM_CHART, "digest": layer, "size": layer_size})];
    let prov_bytes = prov.then(|| {
        format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: {name}\nversion: {version}\n...\nfiles:\n  {name}-{version}.tgz: sha256:{}\n-----BEGIN PGP SIGNATURE-----\n\nwsBcBAEBCgAQBQJ\n-----END PGP SIGNATURE-----\n", layer.hex())
            .into_bytes()
    });
    if let Some(p) = &prov_bytes {
        let (d, size) = add(c, p.clone());
        layers.push(json!({"mediaType": media::HELM_PROV, "digest": d, "size": size}));
    }
    let manifest = json!({
        "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::HELM_CONFIG, "digest": config, "size": config_size},
        "layers": layers,
    })
    .to_string()
    .into_bytes();
    let (digest, size) = add(c, manifest);
    let mut attached = vec![];
    if signed {
        let (sig_config, sig_config_size) = add(c, b"{}".to_vec());
        let (payload, payload_size) = add(
            c,
            format!("{{\"critical\":{{\"image\":\"{digest}\"}}}}").into_bytes(),
        );
        let sig = json!({
            "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sig_config, "size": sig_config_size},
            "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": payload, "size": payload_size}],
        })
        .to_string()
        .into_bytes();
        let (sig_digest, sig_size) = add(c, sig);
        attached.push(Attached {
            relation: "signature".into(),
            tag: Some(format!("sha256-{}.sig", digest.hex())),
            digest: sig_digest,
            media_type: media::OCI_MANIFEST.into(),
            size: sig_size,
            artifact_type: None,
        });
    }
    c.artifacts.push(Artifact {
        kind: ArtifactKind::Chart,
        reference: format!("https://charts.example/{name}:{version}"),
        repository: format!("charts/{name}"),
        tag: Some(version.to_owned()),
        digest: digest.clone(),
        media_type: media::OCI_MANIFEST.into(),
        size,
        platforms: vec![],
        omitted_children: vec![],
        attached,
        provenance: provenance(),
    });
    Chart {
        name: name.into(),
        version: version.into(),
        app_version,
        description,
        tgz,
        prov: prov_bytes,
        manifest: digest,
    }
}

fn wrapped(c: &mut Content, layer: serde_json::Value, artifact_type: &str) -> (Digest, u64) {
    let (config, config_size) = add(c, b"{}".to_vec());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": media::OCI_EMPTY, "digest": config, "size": config_size},
        "layers": [layer],
    })
    .to_string()
    .into_bytes();
    add(c, manifest)
}

fn pack(c: &mut Content, name: &str, version: &str) -> Pack {
    let layer = tar_gz(&[
        (
            format!("{name}/pack.json"),
            json!({"name": name, "version": version, "layer": "cni"})
                .to_string()
                .into_bytes(),
        ),
        (
            format!("{name}/values.yaml"),
            b"pack:\n  namespace: kube-system\n".to_vec(),
        ),
    ]);
    let (d, size) = add(c, layer.clone());
    let (digest, msize) = wrapped(
        c,
        json!({"mediaType": media::PACK_LAYER, "digest": d, "size": size}),
        media::PACK_ARTIFACT,
    );
    let repository = format!("spectro-packs/archive/{name}");
    c.artifacts.push(Artifact {
        kind: ArtifactKind::Pack,
        reference: format!("{repository}:{version}"),
        repository,
        tag: Some(version.into()),
        digest: digest.clone(),
        media_type: media::OCI_MANIFEST.into(),
        size: msize,
        platforms: vec![],
        omitted_children: vec![],
        attached: vec![],
        provenance: provenance(),
    });
    Pack {
        name: name.into(),
        version: version.into(),
        layer,
        manifest: digest,
    }
}

/// A file as the bundler wraps it: untagged, its name in the layer's title annotation.
fn file(c: &mut Content, name: &str, bytes: Vec<u8>) -> File {
    let (d, size) = add(c, bytes.clone());
    let (digest, msize) = wrapped(
        c,
        json!({"mediaType": media::FILE_LAYER, "digest": d, "size": size,
               "annotations": {"org.opencontainers.image.title": name}}),
        media::FILE_ARTIFACT,
    );
    let repository = format!("files/{name}");
    c.artifacts.push(Artifact {
        kind: ArtifactKind::File,
        reference: repository.clone(),
        repository,
        tag: None,
        digest: digest.clone(),
        media_type: media::OCI_MANIFEST.into(),
        size: msize,
        platforms: vec![],
        omitted_children: vec![],
        attached: vec![],
        provenance: provenance(),
    });
    File {
        name: name.into(),
        bytes,
        manifest: digest,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of_bytes(bytes).hex().to_owned()
}
