//! Every route × every kind of caller: nobody gets more than their role, and everybody gets what
//! their role allows. Callers present basic credentials or bearer tokens from `/token` (the
//! Docker/OCI token flow), with anonymous pull off (the default) and on.
//!
//! Each caller gets a fresh registry holding one pushed image, so a delete allowed in one case
//! cannot change another's outcome.

mod access_support;

use axum::http::{header, Method, StatusCode};

use access_support::*;

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
