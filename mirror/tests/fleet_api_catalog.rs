//! The catalog and assignment routes through the fleet router (oneshot): status codes, answers,
//! error documents that name the profile, cluster, layer or variable, secret values hidden, the
//! caller recorded as the actor, and every route in the OpenAPI document.

#[path = "catalog_support/mod.rs"]
mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::{Extension, Router};
use ferry_mirror::audit::events;
use ferry_mirror::fleet::api::{self, Caller};
use ferry_mirror::fleet::{catalog, Fleet};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::*;
use tower::ServiceExt;

fn app(f: &Fleet) -> Router {
    let r = api::routes();
    let (read, _) = r.read.split_for_parts();
    let (write, _) = r.write.split_for_parts();
    read.merge(write)
        .layer(Extension(Caller {
            actor: "erin".into(),
            cluster: None,
        }))
        .with_state(f.clone())
}

async fn call(f: &Fleet, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder().method(method).uri(uri);
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = app(f).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let doc = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, doc)
}

fn error_of(doc: &Value) -> (&str, &str) {
    (
        doc["error"]["code"].as_str().unwrap(),
        doc["error"]["message"].as_str().unwrap(),
    )
}

async fn seeded(url: &str) -> Env {
    let env = fleet(url).await;
    let f = &env.fleet;
    for def in [
        edge_infra("1.0.0"),
        edge_infra("1.1.0"),
        hello_addon("0.1.0"),
        full_profile(),
    ] {
        catalog::record_definition(f, &bundle(1), &def, "import")
            .await
            .unwrap();
    }
    add_cluster(f, "edge-07", &[("tier", "prod")]).await;
    add_cluster(f, "edge-08", &[("tier", "dev")]).await;
    add_group(f, "prod", "tier=prod").await;
    env
}

async fn profiles_list_show_and_diff(url: &str) {
    let env = seeded(url).await;
    let f = &env.fleet;
    let (s, doc) = call(f, Method::GET, "/api/v1/fleet/profiles", None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<String> = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["profileType"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "edge-infra@1.0.0 infra",
            "edge-infra@1.1.0 infra",
            "hello-addon@0.1.0 add-on",
            "whole-site@2.0.0 full"
        ]
    );
    assert_eq!(doc["profiles"][0]["layers"], json!(["cni", "podinfo"]));
    assert_eq!(
        doc["profiles"][0]["digest"],
        edge_infra("1.0.0").digest().to_string()
    );

    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/edge-infra/1.1.0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["revision"], 1);
    assert_eq!(doc["definition"]["layers"][1]["name"], "monitoring");
    assert_eq!(doc["revisions"].as_array().unwrap().len(), 1);
    assert_eq!(doc["pendingClusters"], json!([]));

    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/edge-infra/7.0.0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        error_of(&doc),
        (
            "not_found",
            "profile version edge-infra@7.0.0 is not in the catalog"
        )
    );

    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/diff?from=edge-infra@1.0.0&to=edge-infra@1.1.0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["layersAdded"], json!(["monitoring"]));
    assert_eq!(doc["layersRemoved"], json!(["cni"]));
    assert_eq!(
        doc["layersChanged"][0]["charts"][0],
        json!({"unit": "chart/podinfo", "from": "6.5.0", "to": "6.6.0"})
    );
    assert!(doc.get("overrides").is_none());

    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/overrides/podinfo",
        Some(json!({"values": {"replicaCount": 4}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/diff?from=edge-infra@1.0.0&to=edge-infra@1.1.0&cluster=edge-07",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["overrides"], json!({"podinfo": {"replicaCount": 4}}));
    assert_eq!(doc["cluster"], "edge-07");

    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/diff?from=edge-infra&to=edge-infra@1.1.0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(&doc).1,
        "\"edge-infra\" is not a profile reference: expected NAME@VERSION (edge-infra@1.2.0)"
    );
    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/diff?from=edge-infra@1.0.0&to=edge-infra@1.1.0&cluster=edge-99",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&doc).1, "cluster edge-99 is not registered");
}

async fn assignment_routes(url: &str) {
    let env = seeded(url).await;
    let f = &env.fleet;
    let put = |cluster: &'static str, profiles: Value| async move {
        call(
            f,
            Method::PUT,
            &format!("/api/v1/fleet/clusters/{cluster}/assignment"),
            Some(json!({"profiles": profiles})),
        )
        .await
    };
    let (s, doc) = put("edge-07", json!(["edge-infra@1.0.0", "hello-addon@0.1.0"])).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(
        doc["profiles"],
        json!(["edge-infra@1.0.0", "hello-addon@0.1.0"])
    );
    assert_eq!(doc["groups"], json!(["prod"]));
    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/clusters/edge-07/assignment",
        None,
    )
    .await;
    assert_eq!(
        (s, &doc["profiles"]),
        (
            StatusCode::OK,
            &json!(["edge-infra@1.0.0", "hello-addon@0.1.0"])
        )
    );

    let (s, doc) = put("edge-99", json!(["edge-infra@1.0.0"])).await;
    assert_eq!(
        (s, error_of(&doc)),
        (
            StatusCode::NOT_FOUND,
            ("not_found", "cluster edge-99 is not registered")
        )
    );
    let (s, doc) = put("edge-07", json!(["edge-infra@9.0.0"])).await;
    assert_eq!(
        (s, error_of(&doc).1),
        (
            StatusCode::NOT_FOUND,
            "profile version edge-infra@9.0.0 is not in the catalog"
        )
    );
    let (s, doc) = put("edge-07", json!(["edge-infra@1.0.0", "whole-site@2.0.0"])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&doc),
        ("unprocessable_entity", "cluster edge-07: at most one infra or full profile version, given edge-infra@1.0.0 (infra), whole-site@2.0.0 (full)")
    );
    let (s, doc) = put("edge-07", json!(["edge infra"])).await;
    assert_eq!(
        (s, error_of(&doc).0),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (s, _) = call(
        f,
        Method::GET,
        "/api/v1/fleet/clusters/edge-99/assignment",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The caller is the audit actor.
    let assigned: Vec<(String, String, Value)> = audit_entries(f)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == events::FLEET_ASSIGNED)
        .collect();
    assert_eq!(assigned.len(), 1);
    let actor: String = sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = $1")
        .bind(events::FLEET_ASSIGNED)
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    assert_eq!(actor, "erin");
}

async fn override_variable_and_clone_routes(url: &str) {
    let env = seeded(url).await;
    let f = &env.fleet;
    let (s, _) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/assignment",
        Some(json!({"profiles": ["edge-infra@1.0.0"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/groups/prod/overrides/podinfo",
        Some(json!({"values": {"ui": {"color": "red"}}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["clusters"], json!(["edge-07"]));
    assert_eq!(
        doc["overrides"],
        json!({"podinfo": {"ui": {"color": "red"}}})
    );
    let (s, _) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/overrides/podinfo",
        Some(json!({"values": {"replicaCount": 2}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/overrides/podinfo",
        Some(json!({"values": {"image": {"tag": "x"}}, "merge": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        doc["overrides"],
        json!({"podinfo": {"image": {"tag": "x"}, "replicaCount": 2}})
    );
    assert_eq!(
        doc["effectiveOverrides"],
        json!({"podinfo": {"image": {"tag": "x"}, "replicaCount": 2, "ui": {"color": "red"}}})
    );

    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/overrides/nolayer",
        Some(json!({"values": {}})),
    )
    .await;
    assert_eq!(
        (s, error_of(&doc).1),
        (
            StatusCode::NOT_FOUND,
            "no profile version in the catalog has a layer nolayer"
        )
    );
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/groups/nogroup/overrides/podinfo",
        Some(json!({"values": {}})),
    )
    .await;
    assert_eq!(
        (s, error_of(&doc).1),
        (StatusCode::NOT_FOUND, "group nogroup does not exist")
    );
    let (s, doc) = call(
        f,
        Method::DELETE,
        "/api/v1/fleet/groups/prod/overrides/podinfo",
        None,
    )
    .await;
    assert_eq!((s, &doc["overrides"]), (StatusCode::OK, &json!({})));
    let (s, doc) = call(
        f,
        Method::DELETE,
        "/api/v1/fleet/groups/prod/overrides/podinfo",
        None,
    )
    .await;
    assert_eq!(
        (s, error_of(&doc).1),
        (
            StatusCode::NOT_FOUND,
            "group/prod has no override for layer podinfo"
        )
    );
    let (s, doc) = call(
        f,
        Method::DELETE,
        "/api/v1/fleet/clusters/edge-07/overrides/podinfo",
        None,
    )
    .await;
    assert_eq!((s, &doc["overrides"]), (StatusCode::OK, &json!({})));

    // Variables: a secret never comes back.
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/variables",
        Some(json!({"values": {"region": "north-1", "token": "hunter2"}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(
        doc["variables"],
        json!({"region": "north-1", "token": "(secret)"})
    );
    assert_eq!(doc["effectiveVariables"]["token"], "(secret)");
    assert!(!doc.to_string().contains("hunter2"));
    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/clusters/edge-07/assignment",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!doc.to_string().contains("hunter2"));
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/variables",
        Some(json!({"values": {"region": "North"}})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&doc).1.starts_with(
        "cluster edge-07: profile edge-infra@1.0.0: the value of variable region does not match"
    ));
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/groups/prod/variables",
        Some(json!({"values": {"replicas": "4"}})),
    )
    .await;
    assert_eq!(
        (s, &doc["variables"]),
        (StatusCode::OK, &json!({"replicas": 4}))
    );
    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/groups/prod/variables",
        Some(json!({"values": {"colour": "red"}})),
    )
    .await;
    assert_eq!(
        (s, error_of(&doc).1),
        (
            StatusCode::NOT_FOUND,
            "group prod: no profile in the catalog declares a variable colour"
        )
    );

    // Clone onto another cluster; exactly one target.
    let (s, doc) = call(
        f,
        Method::POST,
        "/api/v1/fleet/clusters/edge-07/clone",
        Some(json!({"toCluster": "edge-08"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["to"], "cluster/edge-08");
    assert_eq!(doc["profiles"], json!(["edge-infra@1.0.0"]));
    assert_eq!(doc["variables"], json!(["region", "token"]));
    let (s, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/clusters/edge-08/assignment",
        None,
    )
    .await;
    assert_eq!(
        (s, &doc["variables"]),
        (
            StatusCode::OK,
            &json!({"region": "north-1", "token": "(secret)"})
        )
    );
    let (s, doc) = call(
        f,
        Method::POST,
        "/api/v1/fleet/clusters/edge-07/clone",
        Some(json!({"toCluster": "edge-08", "toGroup": "prod"})),
    )
    .await;
    assert_eq!(
        (s, error_of(&doc).1),
        (
            StatusCode::BAD_REQUEST,
            "cluster edge-07: clone needs exactly one target, toCluster or toGroup"
        )
    );
    let (s, doc) = call(
        f,
        Method::POST,
        "/api/v1/fleet/clusters/edge-07/clone",
        Some(json!({"toGroup": "prod"})),
    )
    .await;
    assert_eq!((s, &doc["to"]), (StatusCode::OK, &json!("group/prod")));
}

/// With a signing key, every change republishes the clusters it reaches; a cluster that cannot
/// be rendered (a required variable without a value) says why, and the change stays. An
/// in-place revision then leaves the cluster pending until its next publish.
async fn changes_publish_desired_state(url: &str) {
    let env = fleet_with(url, true).await;
    let f = &env.fleet;
    catalog::record_definition(f, &bundle(1), &edge_infra("1.0.0"), "import")
        .await
        .unwrap();
    add_cluster(f, "edge-07", &[("tier", "prod")]).await;
    add_group(f, "prod", "tier=prod").await;
    let published = |doc: &Value| doc["published"].as_array().unwrap().clone();

    let (s, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/assignment",
        Some(json!({"profiles": ["edge-infra@1.0.0"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    let p = published(&doc);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["cluster"], "edge-07");
    assert_eq!(
        p[0]["error"],
        "cluster edge-07: profile edge-infra@1.0.0 needs variable region, which has no value and no default"
    );
    assert_eq!(doc["profiles"], json!(["edge-infra@1.0.0"]));

    let body = json!({"values": {"region": "north-1"}});
    let (_, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/variables",
        Some(body.clone()),
    )
    .await;
    let p = published(&doc);
    assert_eq!(
        (
            p[0]["revision"].clone(),
            p[0]["changed"].clone(),
            p[0]["error"].clone()
        ),
        (json!(1), json!(true), Value::Null),
        "{doc}"
    );
    let first_digest = p[0]["digest"].clone();
    // The same settings again render the same artifact: nothing new is published.
    let (_, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/variables",
        Some(body),
    )
    .await;
    let p = published(&doc);
    assert_eq!(
        (
            p[0]["revision"].clone(),
            p[0]["changed"].clone(),
            p[0]["digest"].clone()
        ),
        (json!(1), json!(false), first_digest.clone())
    );
    // A group's override reaches its clusters.
    let (_, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/groups/prod/overrides/podinfo",
        Some(json!({"values": {"replicaCount": 3}})),
    )
    .await;
    let p = published(&doc);
    assert_eq!(
        (
            p[0]["cluster"].clone(),
            p[0]["revision"].clone(),
            p[0]["changed"].clone()
        ),
        (json!("edge-07"), json!(2), json!(true)),
        "{doc}"
    );
    assert_ne!(p[0]["digest"], first_digest);

    // An in-place revision of 1.0.0: edge-07 is pending until it is published again.
    let mut revised = edge_infra("1.0.0");
    revised.layers[1].images[1].digest =
        ferry_bundler::format::digest::Digest::of_bytes(b"busybox-fixed");
    let rec = catalog::record_definition(f, &bundle(2), &revised, "import")
        .await
        .unwrap();
    assert_eq!(rec.pending_clusters, ["edge-07"]);
    let (_, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/edge-infra/1.0.0",
        None,
    )
    .await;
    assert_eq!(doc["pendingClusters"], json!(["edge-07"]));
    let (_, doc) = call(
        f,
        Method::PUT,
        "/api/v1/fleet/clusters/edge-07/overrides/podinfo",
        Some(json!({"values": {"ui": {"color": "red"}}})),
    )
    .await;
    assert_eq!(published(&doc)[0]["revision"], 3, "{doc}");
    let (_, doc) = call(
        f,
        Method::GET,
        "/api/v1/fleet/profiles/edge-infra/1.0.0",
        None,
    )
    .await;
    assert_eq!(doc["pendingClusters"], json!([]));
    assert_chain_intact(f).await;
}

#[test]
fn every_route_is_in_the_openapi_document() {
    let doc = serde_json::to_value(api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/fleet/profiles", &["get"][..]),
        ("/api/v1/fleet/profiles/{name}/{version}", &["get"]),
        ("/api/v1/fleet/profiles/diff", &["get"]),
        ("/api/v1/fleet/clusters/{name}/assignment", &["get", "put"]),
        (
            "/api/v1/fleet/clusters/{name}/overrides/{layer}",
            &["put", "delete"],
        ),
        (
            "/api/v1/fleet/groups/{name}/overrides/{layer}",
            &["put", "delete"],
        ),
        ("/api/v1/fleet/clusters/{name}/variables", &["put"]),
        ("/api/v1/fleet/groups/{name}/variables", &["put"]),
        ("/api/v1/fleet/clusters/{name}/clone", &["post"]),
        ("/api/v1/fleet/profiles/sync", &["post"]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*m)).is_some(),
                "{m} {path} missing"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "ProfileList",
        "ProfileDetail",
        "ProfileDiff",
        "ClusterSettings",
        "GroupSettings",
        "CloneAnswer",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
}

/// Each case on a temp SQLite file, then on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($case:ident),*) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite_and_postgres() {
                for backend in ferry_testkit::postgres::fleet_backends() {
                    eprintln!("backend {}", backend.name);
                    super::$case(&backend.url).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = ferry_testkit::postgres::database() {
                    super::$case(db.url()).await;
                }
            }
        }
    )*};
}

on_both_backends!(
    profiles_list_show_and_diff,
    assignment_routes,
    override_variable_and_clone_routes,
    changes_publish_desired_state
);
