//! The API server source against a real HTTP server on 127.0.0.1 that answers as the
//! Kubernetes API does: typed lists (`PodList`) in pages of `limit` with `continue` tokens,
//! a bearer token required, and 404 for an API group that is not installed (here Argo CD's).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ferry_agent::kube::{list_all, ApiServer, Files, KubeError, KubeSource, Resource};
use ferry_agent::report::{build, Header};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/kube")
        .join(name)
}

#[derive(Clone)]
struct Cluster {
    dir: PathBuf,
    token: Arc<Mutex<String>>,
    /// Every request's path and query, to see the pages asked for.
    seen: Arc<Mutex<Vec<String>>>,
    /// Plurals the token may not list (a ClusterRole without their rule): 403.
    forbidden: Vec<&'static str>,
}

fn forbidden(plural: &str) -> Response {
    status(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!("{plural} is forbidden: User \"system:serviceaccount:ferry-system:ferry-agent\" cannot list resource \"{plural}\" at the cluster scope"),
    )
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let doc = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                     "message": message, "reason": reason, "code": code.as_u16()});
    (code, Json(doc)).into_response()
}

/// The fixture as the API server would send it: `<Kind>List`, items without kind and
/// apiVersion, cut into pages whose continue tokens are base64 (with `+`, `/` and `=`).
async fn serve(
    cluster: &Cluster,
    plural: &str,
    kind: &str,
    headers: &HeaderMap,
    query: HashMap<String, String>,
) -> Response {
    let expected = format!("Bearer {}", cluster.token.lock().unwrap());
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
    }
    if cluster.forbidden.contains(&plural) {
        return forbidden(plural);
    }
    let Ok(bytes) = std::fs::read(cluster.dir.join(format!("{plural}.json"))) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
    let mut items: Vec<Value> = doc["items"].as_array().unwrap().clone();
    for item in &mut items {
        let o = item.as_object_mut().unwrap();
        o.remove("kind");
        o.remove("apiVersion");
    }
    let limit: usize = query
        .get("limit")
        .map(|l| l.parse().unwrap())
        .unwrap_or(usize::MAX);
    let start = match query.get("continue") {
        None => 0,
        Some(c) => match c.strip_prefix("b+/=") {
            Some(n) => n.parse().unwrap(),
            None => {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "invalid continue token",
                )
            }
        },
    };
    let end = (start + limit).min(items.len());
    let mut meta = json!({"resourceVersion": "48213"});
    if end < items.len() {
        meta["continue"] = json!(format!("b+/={end}"));
    }
    doc["kind"] = json!(format!("{kind}List"));
    doc["apiVersion"] = json!("v1");
    doc["metadata"] = meta;
    doc["items"] = Value::Array(items[start..end].to_vec());
    Json(doc).into_response()
}

fn router(cluster: Cluster) -> Router {
    let core = |plural: &'static str, kind: &'static str| {
        get(
            move |State(c): State<Cluster>,
                  h: HeaderMap,
                  Query(q): Query<HashMap<String, String>>| async move {
                c.seen
                    .lock()
                    .unwrap()
                    .push(format!("/api/v1/{plural}?{}", sorted(&q)));
                serve(&c, plural, kind, &h, q).await
            },
        )
    };
    Router::new()
        .route("/api/v1/pods", core("pods", "Pod"))
        .route("/api/v1/nodes", core("nodes", "Node"))
        // Flux's groups are installed; argoproj.io is not, so its path falls through to 404.
        .route(
            "/apis/{group}/{version}/{plural}",
            get(
                |State(c): State<Cluster>,
                 Path((group, version, plural)): Path<(String, String, String)>,
                 h: HeaderMap,
                 Query(q): Query<HashMap<String, String>>| async move {
                    if c.forbidden.contains(&plural.as_str()) {
                        return forbidden(&plural);
                    }
                    let kind = match (group.as_str(), version.as_str(), plural.as_str()) {
                        ("source.toolkit.fluxcd.io", "v1", "ocirepositories") => "OCIRepository",
                        ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations") => "Kustomization",
                        ("helm.toolkit.fluxcd.io", "v2", "helmreleases") => "HelmRelease",
                        _ => {
                            return (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
                        }
                    };
                    serve(&c, &plural, kind, &h, q).await
                },
            ),
        )
        .with_state(cluster)
}

async fn start(cluster: Cluster) -> String {
    let app = router(cluster);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The same API over HTTPS with a certificate for 127.0.0.1; returns the URL and the CA's PEM
/// (the certificate itself, as a self-signed ca.crt would be).
async fn start_tls(cluster: Cluster) -> (String, String) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let pem = key.cert.pem();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(key.cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(cluster);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            });
        }
    });
    (format!("https://{addr}"), pem)
}

fn sorted(q: &HashMap<String, String>) -> String {
    let mut pairs: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join("&")
}

fn cluster(dir: &str, token: &str) -> Cluster {
    Cluster {
        dir: fixture(dir),
        token: Arc::new(Mutex::new(token.to_owned())),
        seen: Arc::default(),
        forbidden: vec![],
    }
}

fn token_file(dir: &tempfile::TempDir, token: &str) -> PathBuf {
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path
}

fn header() -> Header {
    Header {
        cluster: "edge-07".into(),
        sequence: 1,
        generated_at: "2026-12-01T22:30:00Z".into(),
        interval_seconds: 60,
    }
}

#[tokio::test]
async fn the_api_server_gives_the_same_report_as_the_kubectl_documents() {
    let c = cluster("healthy", "sa-token-1");
    let url = start(c.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let api = ApiServer::new(&url, Some(&token_file(&tmp, "sa-token-1")), None).unwrap();

    let from_api = list_all(&api).await.unwrap();
    assert_eq!(from_api[&Resource::Pods]["kind"], "PodList");
    let from_files = list_all(&Files::new(fixture("healthy"))).await.unwrap();
    assert_eq!(
        build(&from_api, header()).unwrap(),
        build(&from_files, header()).unwrap()
    );
    // Argo CD is not installed: its group's 404 lists as nothing.
    assert_eq!(from_api[&Resource::ArgoApplications]["items"], json!([]));
}

#[tokio::test]
async fn a_list_smaller_than_a_page_is_one_request() {
    let c = cluster("healthy", "t");
    let url = start(c.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let api = ApiServer::new(&url, Some(&token_file(&tmp, "t")), None).unwrap();
    let pods = api.list(Resource::Pods).await.unwrap();
    assert_eq!(pods["items"].as_array().unwrap().len(), 11);
    assert!(pods["metadata"].get("continue").is_none());
    assert_eq!(
        c.seen.lock().unwrap().as_slice(),
        ["/api/v1/pods?limit=500"]
    );
}

#[tokio::test]
async fn continue_tokens_are_followed_and_escaped() {
    // A directory with more pods than one page: the healthy pods, repeated.
    let tmp = tempfile::tempdir().unwrap();
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(fixture("healthy").join("pods.json")).unwrap())
            .unwrap();
    // Small pods: the page logic is under test, not JSON throughput.
    let one = json!({"metadata": {"namespace": "kube-system"}, "spec": {"containers": []}});
    let many: Vec<Value> = (0..1203)
        .map(|i| {
            let mut p = one.clone();
            p["metadata"]["name"] = json!(format!("coredns-{i:04}"));
            p
        })
        .collect();
    doc["items"] = Value::Array(many);
    std::fs::write(
        tmp.path().join("pods.json"),
        serde_json::to_vec(&doc).unwrap(),
    )
    .unwrap();
    let c = Cluster {
        dir: tmp.path().to_owned(),
        token: Arc::new(Mutex::new("t".into())),
        seen: Arc::default(),
        forbidden: vec![],
    };
    let url = start(c.clone()).await;
    let api = ApiServer::new(&url, Some(&token_file(&tmp, "t")), None).unwrap();
    let pods = api.list(Resource::Pods).await.unwrap();
    let names: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 1203);
    assert_eq!((names[0], names[1202]), ("coredns-0000", "coredns-1202"));
    assert!(pods["metadata"].get("continue").is_none());
    // The server received the tokens intact (`+`, `/`, `=` escaped on the way).
    assert_eq!(
        c.seen.lock().unwrap().as_slice(),
        [
            "/api/v1/pods?limit=500",
            "/api/v1/pods?continue=b+/=500&limit=500",
            "/api/v1/pods?continue=b+/=1000&limit=500",
        ]
    );
}

#[tokio::test]
async fn a_wrong_token_is_an_error_naming_the_resource_and_a_rotated_token_is_read_again() {
    let c = cluster("healthy", "new-token");
    let url = start(c.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let file = token_file(&tmp, "old-token");
    let api = ApiServer::new(&url, Some(&file), None).unwrap();
    let err = api.list(Resource::Nodes).await.unwrap_err();
    assert!(matches!(
        err,
        KubeError::Status {
            status: 401,
            resource: Resource::Nodes,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!("listing nodes: GET {url}/api/v1/nodes?limit=500: 401: Unauthorized")
    );
    // The kubelet rotates the projected token in place; the next list uses the new one.
    token_file(&tmp, "new-token");
    let nodes = api.list(Resource::Nodes).await.unwrap();
    assert_eq!(nodes["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_missing_core_resource_is_an_error_but_a_missing_crd_group_is_none() {
    // A directory with no pods.json: the server answers 404 for /api/v1/pods.
    let tmp = tempfile::tempdir().unwrap();
    let c = Cluster {
        dir: tmp.path().to_owned(),
        token: Arc::new(Mutex::new("t".into())),
        seen: Arc::default(),
        forbidden: vec![],
    };
    let url = start(c).await;
    let api = ApiServer::new(&url, Some(&token_file(&tmp, "t")), None).unwrap();
    let err = api.list(Resource::Pods).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!("listing pods: GET {url}/api/v1/pods?limit=500: 404: the server could not find the requested resource")
    );
    let apps = api.list(Resource::ArgoApplications).await.unwrap();
    assert_eq!(apps, Resource::ArgoApplications.empty_list());
    let ks = api.list(Resource::Kustomizations).await.unwrap();
    assert_eq!(ks["items"], json!([]));
}

#[tokio::test]
async fn an_unreachable_api_server_and_bad_configuration_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = ApiServer::new(&format!("http://127.0.0.1:{port}"), None, None).unwrap();
    let err = api.list(Resource::Pods).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "listing pods: GET http://127.0.0.1:{port}/api/v1/pods?limit=500: "
        )),
        "{err}"
    );

    let missing = tmp.path().join("no-token");
    let err = ApiServer::new("https://10.96.0.1", Some(&missing), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "reading Kubernetes bearer token {}: ",
            missing.display()
        )),
        "{err}"
    );
    let bad_ca = tmp.path().join("ca.crt");
    std::fs::write(&bad_ca, "not a certificate").unwrap();
    let err = ApiServer::new("https://10.96.0.1", None, Some(&bad_ca))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "reading Kubernetes CA certificate {}: no PEM certificate in it",
            bad_ca.display()
        )
    );
    let err = ApiServer::new("10.96.0.1:443", None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a Kubernetes API URL"), "{err}");
}

#[tokio::test]
async fn over_https_the_cluster_ca_is_trusted_and_nothing_else() {
    let (url, ca_pem) = start_tls(cluster("healthy", "t")).await;
    let tmp = tempfile::tempdir().unwrap();
    let token = token_file(&tmp, "t");
    let ca = tmp.path().join("ca.crt");
    std::fs::write(&ca, &ca_pem).unwrap();
    let api = ApiServer::new(&url, Some(&token), Some(&ca)).unwrap();
    let nodes = api.list(Resource::Nodes).await.unwrap();
    assert_eq!(nodes["kind"], "NodeList");
    assert_eq!(nodes["items"].as_array().unwrap().len(), 2);

    // Another CA (another cluster's): the handshake fails, and the error says which list.
    let (_, other_pem) = start_tls(cluster("healthy", "t")).await;
    let other = tmp.path().join("other-ca.crt");
    std::fs::write(&other, other_pem).unwrap();
    let api = ApiServer::new(&url, Some(&token), Some(&other)).unwrap();
    let err = api.list(Resource::Nodes).await.unwrap_err();
    assert!(
        matches!(
            err,
            KubeError::Http {
                resource: Resource::Nodes,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_forbidden_crd_group_lists_as_none_but_forbidden_pods_fail() {
    // The API server authorizes before it routes: a Flux-only ClusterRole gets 403 for Argo
    // CD's group whether or not it is installed. For pods, 403 is an RBAC error.
    let mut c = cluster("healthy", "t");
    c.forbidden = vec!["applications", "pods"];
    let url = start(c).await;
    let tmp = tempfile::tempdir().unwrap();
    let api = ApiServer::new(&url, Some(&token_file(&tmp, "t")), None).unwrap();
    let apps = api.list(Resource::ArgoApplications).await.unwrap();
    assert_eq!(apps, Resource::ArgoApplications.empty_list());
    let err = api.list(Resource::Pods).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "listing pods: GET {url}/api/v1/pods?limit=500: 403: pods is forbidden: "
        )),
        "{err}"
    );
}
