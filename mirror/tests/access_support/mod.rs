//! The registry of the access tests: one pushed image, four users (one per role), and requests
//! as each kind of caller.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use ferry_bundler::format::Digest;
use ferry_mirror::server::{router, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;
use tower::ServiceExt;

pub const PASSWORD: &str = "matrix-Pa55word";
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// What a caller may do at most: `None` when nothing but public routes.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    Anonymous,
    WrongPassword,
    UnknownUser,
    ForgedToken,
    Basic(&'static str),
    Token(&'static str),
    AnonymousToken,
}

pub struct Mirror {
    pub router: Router,
    pub blob: Digest,
    pub manifest: Digest,
    pub _dir: tempfile::TempDir,
}

impl Mirror {
    pub async fn new(anonymous_pull: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        // `reader` has no role: a puller.
        let users: String = ["reader", "puller", "pusher", "admin"]
            .iter()
            .map(|u| format!("{u}:{hash}\n"))
            .collect();
        std::fs::write(&htpasswd, users).unwrap();
        let cfg = ServerConfig {
            push: true,
            access: AccessConfig {
                htpasswd: Some(htpasswd),
                roles: [
                    ("puller".to_owned(), Role::Puller),
                    ("pusher".to_owned(), Role::Pusher),
                    ("admin".to_owned(), Role::Admin),
                ]
                .into(),
                anonymous_pull,
                ..AccessConfig::default()
            },
            ..ServerConfig::default()
        };
        let store = Store::open(dir.path().join("data")).await.unwrap();
        let router = router(store, &cfg);
        let mut m = Self {
            router,
            blob: Digest::of_bytes(b""),
            manifest: Digest::of_bytes(b""),
            _dir: dir,
        };
        m.seed().await;
        m
    }

    /// One image `team/app:1.0` and a spare tag, pushed by the admin.
    pub async fn seed(&mut self) {
        let admin = Caller::Basic("admin");
        let config = b"{}".to_vec();
        let layer = b"layer bytes".to_vec();
        for bytes in [&config, &layer] {
            let d = Digest::of_bytes(bytes);
            let r = self
                .call(
                    admin,
                    Method::POST,
                    &format!("/v2/team/app/blobs/uploads/?digest={d}"),
                    bytes.clone(),
                )
                .await;
            assert_eq!(r.0, StatusCode::CREATED);
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::of_bytes(&config).to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": Digest::of_bytes(&layer).to_string(), "size": layer.len()}],
        })
        .to_string()
        .into_bytes();
        for tag in ["1.0", "spare"] {
            let r = self
                .call(
                    admin,
                    Method::PUT,
                    &format!("/v2/team/app/manifests/{tag}"),
                    manifest.clone(),
                )
                .await;
            assert_eq!(r.0, StatusCode::CREATED);
        }
        self.blob = Digest::of_bytes(&layer);
        self.manifest = Digest::of_bytes(&manifest);
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, headers, body)
    }

    /// A token from `/token` for `user` (or anonymous), asking for everything on `team/app`.
    pub async fn token(&self, user: Option<&str>) -> String {
        let mut req = Request::builder()
            .uri("/token?service=ferry&scope=repository:team/app:pull,push,delete&scope=registry:catalog:*")
            .header(header::HOST, "mirror.test");
        if let Some(user) = user {
            req = req.header(header::AUTHORIZATION, basic(user, PASSWORD));
        }
        let (status, _, body) = self.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["token"].as_str().unwrap().to_owned()
    }

    pub async fn call(
        &self,
        caller: Caller,
        method: Method,
        uri: &str,
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::HOST, "mirror.test");
        let auth = match caller {
            Caller::Anonymous => None,
            Caller::WrongPassword => Some(basic("admin", "not-the-password")),
            Caller::UnknownUser => Some(basic("mallory", PASSWORD)),
            Caller::ForgedToken => Some(format!("Bearer {}", forged_token())),
            Caller::Basic(user) => Some(basic(user, PASSWORD)),
            Caller::Token(user) => Some(format!("Bearer {}", self.token(Some(user)).await)),
            Caller::AnonymousToken => Some(format!("Bearer {}", self.token(None).await)),
        };
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        if method == Method::PUT && uri.contains("/manifests/") {
            req = req.header(header::CONTENT_TYPE, MANIFEST_TYPE);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }
}

pub fn basic(user: &str, password: &str) -> String {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {creds}")
}

/// A well-formed JWT claiming admin rights, signed with a key the mirror never had.
pub fn forged_token() -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(
        r#"{"iss":"ferry","sub":"admin","aud":"ferry","exp":9999999999,"nbf":0,"iat":0,"jti":"x","access":[{"type":"repository","name":"team/app","actions":["pull","push","delete"]}]}"#,
    );
    format!("{header}.{claims}.{}", b64.encode([7u8; 32]))
}

/// The claims of a token, unverified (the test only reads what it was granted).
pub fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

impl Mirror {
    /// `/token?{query}` as `user`; the token it answers.
    pub async fn token_for(&self, user: &str, query: &str) -> String {
        let req = Request::builder()
            .uri(format!("/token?service=ferry&{query}"))
            .header(header::AUTHORIZATION, basic(user, PASSWORD))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["token"].as_str().unwrap().to_owned()
    }
}
