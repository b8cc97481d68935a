//! Tokens and logins: challenges that name their scope, the `/token` endpoint (password grant,
//! several scopes, invalid names), malformed names without credentials, a mount through the
//! token flow, and unknown users that take as long as wrong passwords.

mod access_support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine as _;
use ferry_bundler::format::Digest;
use ferry_mirror::server::{router, AccessConfig, ServerConfig};
use ferry_mirror::store::Store;
use tower::ServiceExt;

use access_support::*;

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
