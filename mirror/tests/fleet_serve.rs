//! Over real sockets: an operator registers a cluster through the API; the cluster's credential
//! then pulls its own `fleet/<name>` (nothing published yet: 404, not 401/403) with curl's basic
//! auth, with the bearer token flow, and with skopeo, and is refused on another cluster's
//! repository, on ordinary images and on the users' API. Deregistering ends the credential.

mod fleet_support;

use std::process::Command;

use ferry_mirror::server::serve_on;
use fleet_support::*;
use serde_json::{json, Value};

struct Curl {
    base: String,
}

impl Curl {
    /// Status and body of `curl -X method` with `auth` (`-u user:pw`, or a bearer token).
    fn call(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-S", "-o", "-", "-w", "\n%{http_code}", "-X", method]);
        match auth {
            Some(a) if a.starts_with("Bearer ") => {
                cmd.args(["-H", &format!("Authorization: {a}")]);
            }
            Some(a) => {
                cmd.args(["-u", a]);
            }
            None => {}
        }
        if let Some(b) = body {
            cmd.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                &b.to_string(),
            ]);
        }
        let out = cmd.arg(format!("{}{path}", self.base)).output().unwrap();
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_owned())
    }
}

fn skopeo_inspect(port: u16, repo: &str, creds: &str) -> (bool, String) {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", "--creds", creds])
        .arg(format!("docker://127.0.0.1:{port}/{repo}:current"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_lowercase(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_cluster_pulls_only_its_own_artifact() {
    if !ferry_testkit::tools::installed("curl") {
        return;
    }
    let s = server().await;
    // Bound here, on a port of its own: accepted as soon as it is served, and no other server
    // can take the port in between.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = s.cfg.clone();
    let store = s.t.fleet.store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        serve_on(listener, store, &cfg, async {
            let _ = stopped.await;
        })
        .await
    });
    let curl = Curl {
        base: format!("http://127.0.0.1:{port}"),
    };
    let operator = format!("operator:{PASSWORD}");
    let reader = format!("reader:{PASSWORD}");

    let (code, body) = tokio::task::block_in_place(|| {
        curl.call(
            "POST",
            "/api/v1/fleet/clusters",
            Some(&operator),
            Some(&json!({"name": "edge-07", "labels": {"tier": "prod"}, "reportIntervalSeconds": 30})),
        )
    });
    assert_eq!(code, 201, "{body}");
    let registered: Value = serde_json::from_str(&body).unwrap();
    let credential = registered["credential"].as_str().unwrap().to_owned();
    assert!(credential.starts_with("cluster/edge-07:"));
    assert!(registered["bootstrap"]
        .as_str()
        .unwrap()
        .contains("fleet/edge-07"));
    assert_eq!(registered["cluster"]["reportIntervalSeconds"], 30);

    tokio::task::block_in_place(|| {
        // A reader may not register; registering a live name again is a conflict.
        let (code, _) = curl.call(
            "POST",
            "/api/v1/fleet/clusters",
            Some(&reader),
            Some(&json!({"name": "x"})),
        );
        assert_eq!(code, 403);
        let (code, body) = curl.call(
            "POST",
            "/api/v1/fleet/clusters",
            Some(&operator),
            Some(&json!({"name": "edge-07"})),
        );
        assert_eq!(code, 409, "{body}");
        assert!(
            body.contains("\"code\":\"conflict\"") && body.contains("edge-07"),
            "{body}"
        );
        let (code, body) = curl.call(
            "POST",
            "/api/v1/fleet/clusters",
            Some(&operator),
            Some(&json!({"name": "Bad_Name"})),
        );
        assert_eq!(code, 400, "{body}");

        // Basic auth: its own repository is allowed (nothing published yet), the rest is not.
        let (code, body) = curl.call(
            "GET",
            "/v2/fleet/edge-07/manifests/current",
            Some(&credential),
            None,
        );
        assert_eq!(code, 404, "{body}");
        assert!(body.contains("MANIFEST_UNKNOWN"), "{body}");
        for path in [
            "/v2/fleet/a/manifests/current",
            "/v2/team/app/manifests/1.0",
            "/v2/_catalog",
            "/api/v1/fleet/clusters",
            "/api/v1/repositories",
        ] {
            let (code, body) = curl.call("GET", path, Some(&credential), None);
            assert_eq!(code, 403, "{path}: {body}");
        }
        let (code, _) = curl.call(
            "PUT",
            "/v2/fleet/edge-07/manifests/current",
            Some(&credential),
            Some(&json!({})),
        );
        assert_eq!(
            code, 403,
            "an agent never pushes, even to its own repository"
        );
        let wrong = format!("{}x", credential);
        let (code, _) = curl.call(
            "GET",
            "/v2/fleet/edge-07/manifests/current",
            Some(&wrong),
            None,
        );
        assert_eq!(code, 401);

        // The token flow grants pull on its own repository only.
        let (code, body) = curl.call(
            "GET",
            "/token?service=ferry&scope=repository:fleet/edge-07:pull,push&scope=repository:fleet/a:pull",
            Some(&credential),
            None,
        );
        assert_eq!(code, 200, "{body}");
        let token = serde_json::from_str::<Value>(&body).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let bearer = format!("Bearer {token}");
        let (code, _) = curl.call(
            "GET",
            "/v2/fleet/edge-07/manifests/current",
            Some(&bearer),
            None,
        );
        assert_eq!(code, 404);
        let (code, _) = curl.call("GET", "/v2/fleet/a/manifests/current", Some(&bearer), None);
        assert!(code == 401 || code == 403, "{code}");

        // Users: a reader sees the cluster and the OpenAPI document.
        let (code, body) = curl.call("GET", "/api/v1/fleet/clusters/edge-07", Some(&reader), None);
        assert_eq!(code, 200, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["labels"]["tier"],
            "prod"
        );
        let (code, body) = curl.call("GET", "/api/v1/openapi.json", Some(&reader), None);
        assert_eq!(code, 200);
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        for path in [
            "/api/v1/fleet/clusters",
            "/api/v1/fleet/clusters/{name}",
            "/api/v1/fleet/groups/{name}",
        ] {
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} in the OpenAPI document"
            );
        }
        let (code, _) = curl.call("GET", "/api/v1/openapi.json", None, None);
        assert_eq!(code, 401);
    });

    if ferry_testkit::tools::installed("skopeo") {
        let (ok, err) =
            tokio::task::block_in_place(|| skopeo_inspect(port, "fleet/edge-07", &credential));
        assert!(
            !ok && err.contains("manifest unknown"),
            "own repository: {err}"
        );
        let (ok, err) =
            tokio::task::block_in_place(|| skopeo_inspect(port, "fleet/a", &credential));
        assert!(
            !ok && !err.contains("manifest unknown"),
            "another cluster's: {err}"
        );
        assert!(
            err.contains("denied") || err.contains("unauthorized"),
            "{err}"
        );
    }

    // Deregistering ends the credential at once.
    tokio::task::block_in_place(|| {
        let (code, body) = curl.call(
            "DELETE",
            "/api/v1/fleet/clusters/edge-07",
            Some(&operator),
            None,
        );
        assert_eq!(code, 200, "{body}");
        let (code, _) = curl.call(
            "GET",
            "/v2/fleet/edge-07/manifests/current",
            Some(&credential),
            None,
        );
        assert_eq!(code, 401);
        let (code, body) = curl.call(
            "GET",
            "/api/v1/fleet/clusters?all=true",
            Some(&reader),
            None,
        );
        assert_eq!(code, 200);
        let all: Value = serde_json::from_str(&body).unwrap();
        let gone = all
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "edge-07")
            .unwrap();
        assert!(gone["deregisteredAt"].is_i64(), "{gone}");
    });

    // The audit chain: the registration by the operator, the agent's failed login (its name,
    // never its secret), the deregistration.
    let entries = ferry_mirror::audit::list(s.t.fleet.store.db(), None)
        .await
        .unwrap();
    let has = |actor: &str, action: &str, subject: &str| {
        entries
            .iter()
            .any(|e| e.actor == actor && e.action == action && e.subject == subject)
    };
    assert!(
        has("operator", "fleet.cluster.registered", "cluster/edge-07"),
        "{entries:#?}"
    );
    assert!(
        has("operator", "fleet.cluster.deregistered", "cluster/edge-07"),
        "{entries:#?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "login.failed" && e.detail["user"] == "cluster/edge-07"),
        "{entries:#?}"
    );
    let secret = credential.split_once(':').unwrap().1;
    assert!(!serde_json::to_string(&entries).unwrap().contains(secret));
    let report = ferry_mirror::audit::verify(s.t.fleet.store.db(), None)
        .await
        .unwrap();
    assert!(report.tamper.is_none(), "{report:?}");

    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}
