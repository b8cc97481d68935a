//! Every route × every kind of caller: nobody gets more than their role, and everybody gets what
//! their role allows. Callers present basic credentials or bearer tokens from `/token` (the
//! Docker/OCI token flow), with anonymous pull off (the default) and on.
//!
//! Each caller gets a fresh registry holding one pushed image, so a delete allowed in one case
//! cannot change another's outcome.

mod access_support;
mod fleet_support;

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

// The fleet: every route of every area in the design (docs/fleet.md), by who may call it.
// A route that is not there (404 from the fallback, 405) counts as neither allowed nor refused:
// it is a failure, so that an area cannot go missing unnoticed.

/// Who a fleet route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FleetNeed {
    /// Reads: pullers and above.
    Read,
    /// Writes: operators and admins.
    Write,
    /// The agent routes: a cluster's credential.
    Agent,
    /// Pulling cluster `a`'s desired state: users who pull, and `a`'s agent.
    PullOwn,
    /// Any other registry read: users who pull.
    PullOther,
}

#[derive(Debug, Clone, Copy)]
enum FleetCaller {
    Anonymous,
    User(&'static str),
    WrongAgentSecret,
    AgentA,
    AgentB,
    /// `a`'s agent with a bearer token from `/token`.
    AgentAToken,
}

fn fleet_routes() -> Vec<(Method, &'static str, FleetNeed)> {
    use FleetNeed::*;
    let f = |m: Method, uri: &'static str, need| (m, uri, need);
    vec![
        f(Method::GET, "/api/v1/openapi.json", Read),
        // catalog and assignments
        f(Method::GET, "/api/v1/fleet/profiles", Read),
        f(Method::GET, "/api/v1/fleet/profiles/edge-infra/1.0.0", Read),
        f(
            Method::GET,
            "/api/v1/fleet/profiles/diff?from=edge-infra@1.0.0&to=edge-infra@1.1.0&cluster=a",
            Read,
        ),
        f(Method::POST, "/api/v1/fleet/profiles/sync", Write),
        f(Method::PUT, "/api/v1/fleet/clusters/a/assignment", Write),
        f(Method::GET, "/api/v1/fleet/clusters/a/assignment", Read),
        f(
            Method::PUT,
            "/api/v1/fleet/clusters/a/overrides/podinfo",
            Write,
        ),
        f(
            Method::DELETE,
            "/api/v1/fleet/clusters/a/overrides/podinfo",
            Write,
        ),
        f(
            Method::PUT,
            "/api/v1/fleet/groups/prod/overrides/podinfo",
            Write,
        ),
        f(
            Method::DELETE,
            "/api/v1/fleet/groups/prod/overrides/podinfo",
            Write,
        ),
        f(Method::PUT, "/api/v1/fleet/clusters/a/variables", Write),
        f(Method::PUT, "/api/v1/fleet/groups/prod/variables", Write),
        f(Method::POST, "/api/v1/fleet/clusters/a/clone", Write),
        // clusters and groups
        f(Method::GET, "/api/v1/fleet/clusters", Read),
        f(Method::GET, "/api/v1/fleet/clusters?all=true", Read),
        f(Method::GET, "/api/v1/fleet/clusters/a", Read),
        f(Method::GET, "/api/v1/fleet/groups", Read),
        f(Method::GET, "/api/v1/fleet/groups/prod", Read),
        f(Method::POST, "/api/v1/fleet/clusters", Write),
        f(Method::PUT, "/api/v1/fleet/clusters/a/labels", Write),
        f(Method::PUT, "/api/v1/fleet/groups/prod", Write),
        // desired state
        f(Method::GET, "/api/v1/fleet/clusters/a/revisions", Read),
        f(Method::POST, "/api/v1/fleet/clusters/a/publish", Write),
        // reports, status, queries
        f(Method::POST, "/api/v1/fleet/reports", Agent),
        f(Method::POST, "/api/v1/fleet/reports/import", Write),
        f(Method::GET, "/api/v1/fleet/status", Read),
        f(Method::GET, "/api/v1/fleet/clusters/a/status", Read),
        f(
            Method::GET,
            "/api/v1/fleet/query/image?ref=docker.io/library/busybox:1.36",
            Read,
        ),
        f(Method::POST, "/api/v1/fleet/query/affected", Read),
        f(
            Method::GET,
            "/api/v1/fleet/query/profile?name=edge-infra&below=1.1.0",
            Read,
        ),
        f(Method::GET, "/api/v1/fleet/query/pending", Read),
        // rollouts
        f(Method::POST, "/api/v1/fleet/rollouts", Write),
        f(Method::GET, "/api/v1/fleet/rollouts", Read),
        f(Method::GET, "/api/v1/fleet/rollouts/1", Read),
        f(Method::POST, "/api/v1/fleet/rollouts/1/pause", Write),
        f(Method::POST, "/api/v1/fleet/rollouts/1/resume", Write),
        f(Method::POST, "/api/v1/fleet/rollouts/1/abort", Write),
        f(Method::POST, "/api/v1/fleet/rollouts/1/rollback", Write),
        // the registry as agents see it
        f(Method::GET, "/v2/fleet/a/manifests/current", PullOwn),
        f(Method::HEAD, "/v2/fleet/a/manifests/current", PullOwn),
        f(Method::GET, "/v2/fleet/a/tags/list", PullOwn),
        f(Method::GET, "/v2/fleet/zz/manifests/current", PullOther),
        f(Method::GET, "/v2/team/app/manifests/1.0", PullOther),
        f(Method::GET, "/v2/_catalog", PullOther),
        f(Method::GET, "/api/v1/repositories", PullOther),
        // Last: it ends `a`'s registration (and its agent's login).
        f(Method::POST, "/api/v1/fleet/clusters/a/credential", Write),
        f(Method::DELETE, "/api/v1/fleet/clusters/a", Write),
    ]
}

/// Whether `caller` may, and if not, whether the refusal is 403 (known, not allowed) or 401.
fn fleet_allowed(caller: FleetCaller, need: FleetNeed) -> (bool, bool) {
    use FleetNeed::*;
    match caller {
        FleetCaller::Anonymous | FleetCaller::WrongAgentSecret => (false, false),
        FleetCaller::User(u) => {
            let operates = matches!(u, "operator" | "admin");
            let ok = match need {
                Read | PullOwn | PullOther => true,
                Write => operates,
                Agent => false,
            };
            (ok, true)
        }
        FleetCaller::AgentA | FleetCaller::AgentAToken => (matches!(need, Agent | PullOwn), true),
        FleetCaller::AgentB => (need == Agent, true),
    }
}

async fn agent_token(router: &axum::Router, credential: &str) -> String {
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .uri("/token?service=ferry&scope=repository:fleet/a:pull,push&scope=repository:team/app:pull&scope=registry:catalog:*")
        .header(header::HOST, "mirror.test")
        .header(header::AUTHORIZATION, fleet_support::basic(credential))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    json["token"].as_str().unwrap().to_owned()
}

/// The routes of clusters and groups, the OpenAPI document and the registry as agents see it.
fn is_clusters_area(uri: &str) -> bool {
    uri.starts_with("/v2/")
        || uri == "/api/v1/openapi.json"
        || uri == "/api/v1/repositories"
        || uri.starts_with("/api/v1/fleet/groups")
            && !uri.contains("/overrides/")
            && !uri.ends_with("/variables")
        || uri.starts_with("/api/v1/fleet/clusters")
            && ["", "/a", "/a/labels", "/a/credential", "?all=true"]
                .iter()
                .any(|tail| uri == format!("/api/v1/fleet/clusters{tail}"))
}

#[tokio::test]
async fn clusters_and_agent_registry_routes_by_role() {
    fleet_matrix(is_clusters_area).await;
}

/// Every area's routes: passes once every area's handlers are merged.
#[tokio::test]
async fn every_fleet_route_by_role() {
    fleet_matrix(|_| true).await;
}

async fn fleet_matrix(only: impl Fn(&str) -> bool) {
    use tower::ServiceExt;
    use FleetCaller::*;
    let callers = [
        Anonymous,
        User("reader"),
        User("puller"),
        User("pusher"),
        User("operator"),
        User("admin"),
        WrongAgentSecret,
        AgentA,
        AgentB,
        AgentAToken,
    ];
    let mut failures = Vec::new();
    for caller in callers {
        // A fresh fleet for each caller: a write one allowed cannot change another's outcome.
        let s = fleet_support::server().await;
        let router = ferry_mirror::server::router(s.t.fleet.store.clone(), &s.cfg);
        let auth = match caller {
            Anonymous => None,
            User(u) => Some(fleet_support::basic(&format!(
                "{u}:{}",
                fleet_support::PASSWORD
            ))),
            WrongAgentSecret => Some(fleet_support::basic("cluster/a:not-the-secret")),
            AgentA => Some(fleet_support::basic(&s.cred_a)),
            AgentB => Some(fleet_support::basic(&s.cred_b)),
            AgentAToken => Some(format!("Bearer {}", agent_token(&router, &s.cred_a).await)),
        };
        for (method, uri, need) in fleet_routes().into_iter().filter(|r| only(r.1)) {
            let mut req = axum::http::Request::builder()
                .method(method.clone())
                .uri(uri)
                .header(header::HOST, "mirror.test");
            if let Some(a) = &auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let resp = router
                .clone()
                .oneshot(req.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            let (may, known) = fleet_allowed(caller, need);
            // A fleet handler's 404 says `{"error":{"code":"not_found",…}}`; the fallback's
            // (no such route) does not. A registry 404 (no manifest yet) is the registry's.
            let missing_route = status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND
                    && uri.starts_with("/api/")
                    && !text.contains("\"code\":\"not_found\""));
            let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
            let ok = if missing_route {
                false
            } else if may {
                !refused
            } else if known {
                status == StatusCode::FORBIDDEN
            } else {
                status == StatusCode::UNAUTHORIZED
            };
            if !ok {
                failures.push(format!(
                    "{caller:?} {method} {uri} ({need:?}): got {status}, may {may}: {text}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
