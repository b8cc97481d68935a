//! A registry router on a fresh store, and helpers to talk to it.

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use axum::Router;
use base64::Engine as _;
use ferry_bundler::format::Digest;
use ferry_mirror::server::{router, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;
use tower::ServiceExt;

pub const USER: &str = "pusher";
pub const PASSWORD: &str = "s3cret-pass";

pub struct Registry {
    pub router: Router,
    pub store: Store,
    cfg: ServerConfig,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
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

    /// The first error code of a spec error body.
    pub fn error_code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Registry {
    /// A registry with push enabled for `USER`.
    pub async fn with_push() -> Self {
        Self::new(true).await
    }

    pub async fn read_only() -> Self {
        Self::new(false).await
    }

    async fn new(push: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        // Cost 4: the lowest bcrypt allows, to keep tests fast; production files use htpasswd -B.
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        std::fs::write(&htpasswd, format!("# users\n{USER}:{hash}\n")).unwrap();
        let store = Store::open(dir.path().join("data")).await.unwrap();
        // Without push there are no users: an open, read-only mirror.
        let cfg = ServerConfig {
            push,
            access: AccessConfig {
                htpasswd: push.then_some(htpasswd),
                roles: [(USER.to_owned(), Role::Admin)].into(),
                anonymous_pull: true,
                ..AccessConfig::default()
            },
            ..ServerConfig::default()
        };
        Self {
            router: router(store.clone(), &cfg),
            store,
            cfg,
            _dir: dir,
        }
    }

    /// The server restarted on the same data directory: nothing held in memory survives.
    pub async fn restart(&mut self) {
        self.store = Store::open(self.store.root().to_path_buf()).await.unwrap();
        self.router = router(self.store.clone(), &self.cfg);
    }

    /// A bearer token from `/token` for `USER`, asking for `scope`.
    pub async fn token(&self, scope: &str) -> String {
        let r = self
            .auth(
                Method::GET,
                &format!("/token?service=ferry&scope={scope}"),
                &[],
                Vec::new(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
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

    /// Anonymous request without body.
    pub async fn get(&self, method: Method, uri: &str) -> Reply {
        self.send(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Authenticated request.
    pub async fn auth(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, basic(USER, PASSWORD));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(body.into()).unwrap()).await
    }

    /// Monolithic blob upload; returns the digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> Digest {
        let digest = Digest::of_bytes(bytes);
        let r = self
            .auth(
                Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
                &[],
                bytes.to_vec(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        digest
    }

    pub async fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        doc: &serde_json::Value,
    ) -> Reply {
        let bytes = serde_json::to_vec(doc).unwrap();
        self.auth(
            Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("content-type", media_type)],
            bytes,
        )
        .await
    }

    /// Pushes a config and one layer and an image manifest tagged `tag`; returns (manifest bytes, digest, layer digest).
    pub async fn push_image(
        &self,
        repo: &str,
        tag: &str,
        layer: &[u8],
    ) -> (Vec<u8>, Digest, Digest) {
        let config = self
            .push_blob(repo, br#"{"architecture":"amd64","os":"linux"}"#)
            .await;
        let layer_digest = self.push_blob(repo, layer).await;
        let doc = image_manifest(&config, 37, &layer_digest, layer.len(), None);
        let r = self.push_manifest(repo, tag, OCI_MANIFEST, &doc).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let bytes = serde_json::to_vec(&doc).unwrap();
        let digest = Digest::of_bytes(&bytes);
        assert_eq!(
            r.header("docker-content-digest"),
            Some(digest.to_string().as_str())
        );
        (bytes, digest, layer_digest)
    }
}

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub fn image_manifest(
    config: &Digest,
    config_size: usize,
    layer: &Digest,
    layer_size: usize,
    subject: Option<(&Digest, &str)>,
) -> serde_json::Value {
    let mut doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size }]
    });
    if let Some((d, artifact_type)) = subject {
        doc["subject"] = serde_json::json!({ "mediaType": OCI_MANIFEST, "digest": d, "size": 1 });
        doc["artifactType"] = artifact_type.into();
        doc["annotations"] = serde_json::json!({ "org.example.kind": artifact_type });
    }
    doc
}

pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
