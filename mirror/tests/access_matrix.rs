//! Every route × every kind of caller: nobody gets more than their role, and everybody gets what
//! their role allows. Callers present basic credentials or bearer tokens from `/token` (the
//! Docker/OCI token flow), with anonymous pull off (the default) and on.
//!
//! Each caller gets a fresh registry holding one pushed image, so a delete allowed in one case
//! cannot change another's outcome.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use ferry_bundler::format::Digest;
use ferry_mirror::server::{router, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::Store;
use tower::ServiceExt;

const PASSWORD: &str = "matrix-Pa55word";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// What a route needs, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Public,
    Login,
    Pull,
    Push,
    Delete,
    Admin,
}

/// What a caller may do at most: `None` when nothing but public routes.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Anonymous,
    WrongPassword,
    UnknownUser,
    ForgedToken,
    Basic(&'static str),
    Token(&'static str),
    AnonymousToken,
}

struct Mirror {
    router: Router,
    blob: Digest,
    manifest: Digest,
    _dir: tempfile::TempDir,
}

impl Mirror {
    async fn new(anonymous_pull: bool) -> Self {
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
    async fn seed(&mut self) {
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

    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
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
    async fn token(&self, user: Option<&str>) -> String {
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

    async fn call(
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

fn basic(user: &str, password: &str) -> String {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {creds}")
}

/// A well-formed JWT claiming admin rights, signed with a key the mirror never had.
fn forged_token() -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(
        r#"{"iss":"ferry","sub":"admin","aud":"ferry","exp":9999999999,"nbf":0,"iat":0,"jti":"x","access":[{"type":"repository","name":"team/app","actions":["pull","push","delete"]}]}"#,
    );
    format!("{header}.{claims}.{}", b64.encode([7u8; 32]))
}

/// A route, what it needs, and the status it answers when allowed.
struct Route {
    method: Method,
    uri: String,
    level: Level,
    ok: StatusCode,
}

fn routes(m: &Mirror) -> Vec<Route> {
    let r = |method: Method, uri: String, level, ok| Route {
        method,
        uri,
        level,
        ok,
    };
    let (blob, manifest) = (&m.blob, &m.manifest);
    use Level::*;
    vec![
        r(Method::GET, "/healthz".into(), Public, StatusCode::OK),
        r(Method::GET, "/v2/".into(), Login, StatusCode::OK),
        r(Method::GET, "/v2/_catalog".into(), Pull, StatusCode::OK),
        r(
            Method::GET,
            "/v2/team/app/tags/list".into(),
            Pull,
            StatusCode::OK,
        ),
        r(
            Method::GET,
            "/v2/team/app/manifests/1.0".into(),
            Pull,
            StatusCode::OK,
        ),
        r(
            Method::HEAD,
            format!("/v2/team/app/manifests/{manifest}"),
            Pull,
            StatusCode::OK,
        ),
        r(
            Method::GET,
            format!("/v2/team/app/blobs/{blob}"),
            Pull,
            StatusCode::OK,
        ),
        r(
            Method::GET,
            format!("/v2/team/app/referrers/{manifest}"),
            Pull,
            StatusCode::OK,
        ),
        // containerd's mirror form: the name in the path, the namespace in `ns`.
        r(
            Method::GET,
            "/v2/app/manifests/1.0?ns=team".into(),
            Pull,
            StatusCode::OK,
        ),
        r(
            Method::GET,
            "/charts/index.yaml".into(),
            Pull,
            StatusCode::OK,
        ),
        r(Method::GET, "/files/".into(), Pull, StatusCode::OK),
        r(Method::GET, "/api/v1/packs".into(), Pull, StatusCode::OK),
        r(
            Method::GET,
            "/api/v1/repositories".into(),
            Pull,
            StatusCode::OK,
        ),
        r(Method::GET, "/api/v1/bundles".into(), Pull, StatusCode::OK),
        r(
            Method::POST,
            "/v2/team/app/blobs/uploads/".into(),
            Push,
            StatusCode::ACCEPTED,
        ),
        r(
            Method::PUT,
            "/v2/team/app/manifests/2.0".into(),
            Push,
            StatusCode::CREATED,
        ),
        r(
            Method::DELETE,
            "/v2/team/app/manifests/spare".into(),
            Delete,
            StatusCode::ACCEPTED,
        ),
        r(
            Method::DELETE,
            format!("/v2/team/app/blobs/{blob}"),
            Delete,
            StatusCode::ACCEPTED,
        ),
        r(Method::GET, "/api/v1/audit".into(), Admin, StatusCode::OK),
        r(Method::GET, "/metrics".into(), Admin, StatusCode::OK),
    ]
}

/// The most a caller may do, and whether a refusal is 403 (a known user whose role forbids
/// it) rather than 401 (credentials missing, wrong, or not enough).
fn allowed(caller: Caller, anonymous_pull: bool) -> (Level, bool) {
    let anonymous = if anonymous_pull {
        Level::Pull
    } else {
        Level::Public
    };
    match caller {
        Caller::Anonymous | Caller::AnonymousToken => (anonymous, false),
        Caller::WrongPassword | Caller::UnknownUser | Caller::ForgedToken => (Level::Public, false),
        Caller::Basic(u) | Caller::Token(u) => (
            match u {
                "reader" | "puller" => Level::Pull,
                "pusher" => Level::Push,
                "admin" => Level::Admin,
                other => panic!("no user {other}"),
            },
            true,
        ),
    }
}

async fn matrix(anonymous_pull: bool) {
    use Caller::*;
    let callers = [
        Anonymous,
        WrongPassword,
        UnknownUser,
        ForgedToken,
        AnonymousToken,
        Basic("reader"),
        Basic("puller"),
        Basic("pusher"),
        Basic("admin"),
        Token("reader"),
        Token("pusher"),
        Token("admin"),
    ];
    let mut failures = Vec::new();
    for caller in callers {
        let m = Mirror::new(anonymous_pull).await;
        let (max, known) = allowed(caller, anonymous_pull);
        for route in routes(&m) {
            let body = if route.method == Method::PUT {
                // The seeded manifest again, under a new tag.
                let (_, _, b) = m
                    .call(
                        Basic("admin"),
                        Method::GET,
                        "/v2/team/app/manifests/1.0",
                        vec![],
                    )
                    .await;
                b
            } else {
                vec![]
            };
            let (status, headers, reply) =
                m.call(caller, route.method.clone(), &route.uri, body).await;
            // `/v2/` challenges anonymous callers whenever users exist, so that clients learn
            // the token realm; an anonymous token then passes it.
            let may =
                route.level <= max && !(route.level == Level::Login && matches!(caller, Anonymous));
            let want = if may {
                route.ok
            } else if known && route.level != Level::Login {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            if status != want {
                failures.push(format!(
                    "{caller:?} {} {}: got {status}, want {want}: {}",
                    route.method,
                    route.uri,
                    String::from_utf8_lossy(&reply[..reply.len().min(200)])
                ));
            }
            if status == StatusCode::UNAUTHORIZED {
                let challenge = headers
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let expected = if route.uri.starts_with("/v2") {
                    "Bearer realm=\"http://mirror.test/token\",service=\"ferry\""
                } else {
                    "Basic realm="
                };
                if !challenge.starts_with(expected) {
                    failures.push(format!("{caller:?} {}: challenge {challenge:?}", route.uri));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn roles_by_route_with_anonymous_pull_off() {
    matrix(false).await;
}

#[tokio::test]
async fn roles_by_route_with_anonymous_pull_on() {
    matrix(true).await;
}

/// The challenge names the scope a client must ask for, and the token endpoint grants only what
/// the role allows: a puller asking for push gets pull alone.
#[tokio::test]
async fn challenges_name_the_scope_and_tokens_carry_only_the_role() {
    let m = Mirror::new(false).await;
    let (status, headers, _) = m
        .call(
            Caller::Anonymous,
            Method::POST,
            "/v2/team/app/blobs/uploads/",
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers[header::WWW_AUTHENTICATE],
        "Bearer realm=\"http://mirror.test/token\",service=\"ferry\",scope=\"repository:team/app:pull,push\""
    );

    let token = m.token(Some("puller")).await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "puller");
    assert_eq!(
        claims["access"],
        serde_json::json!([
            {"type": "repository", "name": "team/app", "actions": ["pull"]},
            {"type": "registry", "name": "catalog", "actions": ["*"]},
        ])
    );

    // A token for one repository does not open another: 401 with the scope to ask for.
    let (status, headers, _) = m
        .send(
            Request::builder()
                .uri("/v2/other/app/tags/list")
                .header(header::HOST, "mirror.test")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("scope=\"repository:other/app:pull\"")
            && challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );

    // Wrong credentials at the token endpoint: 401, no token.
    let (status, _, body) = m
        .send(
            Request::builder()
                .uri("/token?scope=repository:team/app:pull")
                .header(header::AUTHORIZATION, basic("admin", "wrong"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!String::from_utf8_lossy(&body).contains("token\""));
}

/// containerd asks with an OAuth2 password grant (POST, form-encoded) before trying GET.
#[tokio::test]
async fn token_endpoint_takes_the_oauth2_password_grant() {
    let m = Mirror::new(false).await;
    let post = |form: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap()
    };
    let (status, _, body) = m
        .send(post(format!(
            "grant_type=password&username=pusher&password={PASSWORD}&service=ferry&client_id=containerd-client&scope=repository%3Ateam%2Fapp%3Apull%2Cpush%20repository%3Aother%3Apull"
        )))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let token = json["access_token"].as_str().unwrap();
    assert!(json["expires_in"].as_u64().unwrap() > 0);
    let (status, _, _) = m
        .send(
            Request::builder()
                .uri("/v2/other/tags/list")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    // Authorized: the repository simply does not exist.
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, _) = m
        .send(post("grant_type=password&username=pusher&password=wrong&scope=repository%3Ateam%2Fapp%3Apull".to_owned()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = m
        .send(post(
            "grant_type=refresh_token&refresh_token=abc".to_owned(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("unsupported_grant_type"));
}

/// The claims of a token, unverified (the test only reads what it was granted).
fn claims_of(token: &str) -> serde_json::Value {
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
    async fn token_for(&self, user: &str, query: &str) -> String {
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

/// Without credentials, a malformed name gets the challenge every unauthenticated request gets
/// (anonymous pull off), not a 400 that echoes it back.
#[rstest::rstest]
#[case::dotdot(Method::GET, "/v2/../x/manifests/latest")]
#[case::upper_case(Method::GET, "/v2/Secret/tags/list")]
#[case::encoded_dotdot(Method::HEAD, "/v2/%2e%2e/manifests/latest")]
#[case::bad_digest(Method::GET, "/v2/a/blobs/sha256:Secret")]
#[case::bad_tag(Method::GET, "/v2/a/manifests/.Secret")]
#[case::bad_ns(Method::GET, "/v2/a/manifests/x?ns=Secret/..")]
#[case::long_name(Method::GET, &format!("/v2/{}/tags/list", "Secret".repeat(60)))]
#[case::put(Method::PUT, "/v2/Secret/manifests/x")]
#[case::post(Method::POST, "/v2/a/../Secret/blobs/uploads/")]
#[case::delete(Method::DELETE, "/v2/Secret/blobs/sha256:00")]
#[tokio::test]
async fn malformed_names_without_credentials_get_the_challenge(
    #[case] method: Method,
    #[case] uri: &str,
) {
    let m = Mirror::new(false).await;
    let (status, headers, body) = m.call(Caller::Anonymous, method, uri, vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"http://mirror.test/token\""),
        "{challenge}"
    );
    let body = String::from_utf8_lossy(&body);
    assert!(
        !body.contains("Secret") && !challenge.contains("Secret"),
        "{body}"
    );
}

/// `/token` takes several scopes, repeated and space-separated, and grants none on a name that is
/// not a valid repository name.
#[tokio::test]
async fn token_endpoint_takes_several_scopes_and_refuses_invalid_names() {
    let m = Mirror::new(false).await;
    let expected = serde_json::json!([
        {"type": "repository", "name": "team/app", "actions": ["pull", "push"]},
        {"type": "repository", "name": "other", "actions": ["pull"]},
    ]);
    for query in [
        "scope=repository:team/app:pull,push&scope=repository:other:pull",
        "scope=repository:team/app:pull,push%20repository:other:pull",
        "scope=repository:team/app:pull,push+repository:other:pull",
    ] {
        let token = m.token_for("pusher", query).await;
        assert_eq!(claims_of(&token)["access"], expected, "{query}");
    }
    let token = m
        .token_for(
            "admin",
            "scope=repository:../etc:pull&scope=repository:Team/App:pull,push&scope=repository:a//b:pull&scope=repository:ok:pull",
        )
        .await;
    assert_eq!(
        claims_of(&token)["access"],
        serde_json::json!([{"type": "repository", "name": "ok", "actions": ["pull"]}])
    );
}

/// A cross-repository mount through the token flow: the challenge asks for pull on `from` too, the
/// token for both scopes mounts (201), and the blob is readable in the target.
#[tokio::test]
async fn a_mount_through_the_token_flow_is_created() {
    let m = Mirror::new(false).await;
    // The seeded image's layer lives in team/app; push it there again so it is linked to `from`
    // however mounts are checked.
    let layer = b"layer bytes".to_vec();
    let digest = Digest::of_bytes(&layer);
    let (status, _, _) = m
        .call(
            Caller::Basic("pusher"),
            Method::POST,
            &format!("/v2/team/app/blobs/uploads/?digest={digest}"),
            layer.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mount = format!("/v2/team/copy/blobs/uploads/?mount={digest}&from=team/app");
    let post = |token: Option<String>| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(&mount)
            .header(header::HOST, "mirror.test");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.body(Body::empty()).unwrap()
    };
    let (status, headers, _) = m.send(post(None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("scope=\"repository:team/copy:pull,push repository:team/app:pull\""),
        "{challenge}"
    );
    // A token for the target alone is not enough to mount: the same challenge, not an upload.
    let target_only = m
        .token_for("pusher", "scope=repository:team/copy:pull,push")
        .await;
    let (status, headers, _) = m.send(post(Some(target_only))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("repository:team/app:pull\"")
            && challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    // What a client does with the challenge: ask for its scope, as it is written there.
    let scope = challenge
        .split("scope=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let query = format!("scope={}", scope.replace(' ', "%20"));
    let token = m.token_for("pusher", &query).await;
    let (status, headers, body) = m.send(post(Some(token.clone()))).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        headers[header::LOCATION],
        format!("/v2/team/copy/blobs/{digest}")
    );
    let (status, _, body) = m
        .send(
            Request::builder()
                .uri(format!("/v2/team/copy/blobs/{digest}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, layer);
}

/// An unknown user takes about as long to refuse as a wrong password for a known one (both cost
/// one bcrypt check), so timing does not tell which names exist.
#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    // A cost high enough that one check clearly outweighs the rest of a request.
    let hash = bcrypt::hash(PASSWORD, 8).unwrap();
    std::fs::write(&htpasswd, format!("admin:{hash}\n")).unwrap();
    let cfg = ServerConfig {
        access: AccessConfig {
            htpasswd: Some(htpasswd),
            ..AccessConfig::default()
        },
        ..ServerConfig::default()
    };
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let router = router(store, &cfg);
    let time = |user: &'static str| {
        let router = router.clone();
        async move {
            let req = Request::builder()
                .uri("/v2/")
                .header(header::AUTHORIZATION, basic(user, "not-the-password"))
                .body(Body::empty())
                .unwrap();
            let start = std::time::Instant::now();
            let resp = router.oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{user}");
            start.elapsed()
        }
    };
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        unknown.push(time("mallory").await);
        wrong.push(time("admin").await);
    }
    unknown.sort();
    wrong.sort();
    let (unknown, wrong) = (unknown[3], wrong[3]);
    assert!(
        unknown.as_secs_f64() >= 0.5 * wrong.as_secs_f64(),
        "unknown user {unknown:?}, wrong password {wrong:?}"
    );
}
