//! Assignments, overrides, variable values and cloning: what is refused and why (errors name
//! the cluster, profile, layer or variable), the precedence profile < groups < cluster, the
//! effective input of a cluster's desired state, and what the audit log records (a secret
//! variable's hash only). Each case runs on SQLite and PostgreSQL.

#[path = "catalog_support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use ferry_mirror::audit::events;
use ferry_mirror::fleet::assign::{self, Scope};
use ferry_mirror::fleet::catalog::{self, ProfileRef};
use ferry_mirror::fleet::{variables, Fleet};
use serde_json::{json, Map, Value};
use support::*;

fn r(s: &str) -> ProfileRef {
    s.parse().unwrap()
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn vals(pairs: &[(&str, Option<Value>)]) -> BTreeMap<String, Option<Value>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

async fn catalog_of_three(f: &Fleet) {
    for def in [
        edge_infra("1.0.0"),
        edge_infra("1.1.0"),
        hello_addon("0.1.0"),
        full_profile(),
    ] {
        catalog::record_definition(f, &bundle(1), &def, "cli:0")
            .await
            .unwrap();
    }
}

async fn assignment_rules(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    catalog_of_three(f).await;
    add_cluster(f, "edge-07", &[]).await;
    add_cluster(f, "gone", &[]).await;
    deregister(f, "gone").await;

    let refused = |cluster: &'static str, refs: &'static [&'static str]| async move {
        let refs: Vec<ProfileRef> = refs.iter().map(|s| r(s)).collect();
        let e = assign::set_assignment(f, cluster, &refs, "cli:0")
            .await
            .unwrap_err();
        (e.status().as_u16(), e.to_string())
    };
    assert_eq!(
        refused("edge-99", &["edge-infra@1.0.0"]).await,
        (404, "cluster edge-99 is not registered".into())
    );
    assert_eq!(
        refused("gone", &["edge-infra@1.0.0"]).await,
        (
            409,
            "cluster gone is deregistered; its history is kept but it gets no new settings".into()
        )
    );
    assert_eq!(
        refused("edge-07", &["edge-infra@3.0.0"]).await,
        (
            404,
            "profile version edge-infra@3.0.0 is not in the catalog".into()
        )
    );
    assert_eq!(
        refused("edge-07", &["edge-infra@1.0.0", "whole-site@2.0.0"]).await,
        (
            422,
            "cluster edge-07: at most one infra or full profile version, given edge-infra@1.0.0 (infra), whole-site@2.0.0 (full)".into()
        )
    );
    assert_eq!(
        refused("edge-07", &["edge-infra@1.0.0", "edge-infra@1.1.0"]).await,
        (
            422,
            "cluster edge-07: profile edge-infra is given more than once (edge-infra@1.0.0, edge-infra@1.1.0)".into()
        )
    );
    assert!(audit_entries(f)
        .await
        .iter()
        .all(|(a, _, _)| a != events::FLEET_ASSIGNED));

    let refs = [r("hello-addon@0.1.0"), r("edge-infra@1.0.0")];
    assign::set_assignment(f, "edge-07", &refs, "alice")
        .await
        .unwrap();
    assert_eq!(assign::assignment(f, "edge-07").await.unwrap(), refs);
    // A version change keeps the order given and replaces the previous assignment.
    let next = [r("edge-infra@1.1.0"), r("hello-addon@0.1.0")];
    assign::set_assignment(f, "edge-07", &next, "alice")
        .await
        .unwrap();
    assert_eq!(assign::assignment(f, "edge-07").await.unwrap(), next);
    // Add-ons only, or nothing, are fine too.
    assign::set_assignment(f, "edge-07", &[r("hello-addon@0.1.0")], "alice")
        .await
        .unwrap();
    assign::set_assignment(f, "edge-07", &[], "alice")
        .await
        .unwrap();
    assert!(assign::assignment(f, "edge-07").await.unwrap().is_empty());

    let assigned: Vec<(String, String, Value)> = audit_entries(f)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == events::FLEET_ASSIGNED)
        .collect();
    assert_eq!(assigned.len(), 4);
    assert_eq!(assigned[1].1, "cluster/edge-07");
    assert_eq!(
        assigned[1].2,
        json!({"profiles": ["edge-infra@1.1.0", "hello-addon@0.1.0"],
               "previous": ["hello-addon@0.1.0", "edge-infra@1.0.0"]})
    );
}

async fn overrides_merge_by_precedence(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    catalog_of_three(f).await;
    add_cluster(f, "edge-07", &[("site", "north"), ("tier", "prod")]).await;
    add_cluster(f, "edge-08", &[("site", "south"), ("tier", "prod")]).await;
    add_group(f, "a-north", "site=north").await;
    add_group(f, "b-prod", "tier=prod, !gpu").await;
    add_group(f, "c-gpu", "gpu").await;
    assert_eq!(
        assign::groups_of(f, "edge-07").await.unwrap(),
        ["a-north", "b-prod"]
    );
    assert_eq!(
        assign::clusters_in_scope(f, &Scope::Group("b-prod".into()))
            .await
            .unwrap(),
        ["edge-07", "edge-08"]
    );

    let (north, prod, edge) = (
        Scope::Group("a-north".into()),
        Scope::Group("b-prod".into()),
        Scope::Cluster("edge-07".into()),
    );
    assign::set_override(
        f,
        &north,
        "podinfo",
        obj(json!({"ui": {"color": "green", "logo": "n.png"}, "replicaCount": 3})),
        "bob",
    )
    .await
    .unwrap();
    // b-prod comes after a-north by name, so its color wins; a-north's logo stays.
    assign::set_override(
        f,
        &prod,
        "podinfo",
        obj(json!({"ui": {"color": "red"}})),
        "bob",
    )
    .await
    .unwrap();
    assign::set_override(f, &edge, "podinfo", obj(json!({"replicaCount": 5})), "bob")
        .await
        .unwrap();
    // --set adds to what the override has; a plain set replaces it.
    assign::merge_override(
        f,
        &edge,
        "podinfo",
        obj(json!({"image": {"pullPolicy": "Always"}})),
        "bob",
    )
    .await
    .unwrap();
    assign::set_override(f, &edge, "hello", obj(json!({"message": "first"})), "bob")
        .await
        .unwrap();
    assign::set_override(f, &edge, "hello", obj(json!({"extra": true})), "bob")
        .await
        .unwrap();

    let effective = assign::effective_overrides(f, "edge-07").await.unwrap();
    assert_eq!(
        serde_json::to_value(&effective).unwrap(),
        json!({
            "hello": {"extra": true},
            "podinfo": {"image": {"pullPolicy": "Always"}, "replicaCount": 5,
                        "ui": {"color": "red", "logo": "n.png"}}
        })
    );
    // edge-08 is only in b-prod.
    assert_eq!(
        serde_json::to_value(assign::effective_overrides(f, "edge-08").await.unwrap()).unwrap(),
        json!({"podinfo": {"ui": {"color": "red"}}})
    );

    // The effective input carries each profile's own layers' overrides.
    assign::set_assignment(
        f,
        "edge-07",
        &[r("edge-infra@1.0.0"), r("hello-addon@0.1.0")],
        "bob",
    )
    .await
    .unwrap();
    assign::set_variables(
        f,
        &edge,
        &vals(&[("region", Some(json!("north-1")))]),
        "bob",
    )
    .await
    .unwrap();
    let input = assign::effective(f, "edge-07").await.unwrap();
    assert_eq!(input.labels, labels(&[("site", "north"), ("tier", "prod")]));
    assert_eq!(input.profiles.len(), 2);
    assert_eq!(
        input.profiles[0].layer_values.keys().collect::<Vec<_>>(),
        ["podinfo"]
    );
    assert_eq!(
        input.profiles[0].layer_values["podinfo"],
        effective["podinfo"]
    );
    assert_eq!(
        input.profiles[1].layer_values.keys().collect::<Vec<_>>(),
        ["hello"]
    );
    // Overrides survive a version change: 1.1.0 has the podinfo layer too.
    assign::set_assignment(f, "edge-07", &[r("edge-infra@1.1.0")], "bob")
        .await
        .unwrap();
    let input = assign::effective(f, "edge-07").await.unwrap();
    assert_eq!(input.profiles[0].version, "1.1.0");
    assert_eq!(
        input.profiles[0].layer_values["podinfo"],
        effective["podinfo"]
    );

    // Refused: a layer no profile has, a hostile layer name, an unknown group, no override.
    let e = assign::set_override(f, &edge, "podinf0", Map::new(), "bob")
        .await
        .unwrap_err();
    assert_eq!(
        (e.status().as_u16(), e.to_string()),
        (
            404,
            "no profile version in the catalog has a layer podinf0".into()
        )
    );
    let e = assign::set_override(f, &edge, "../x", Map::new(), "bob")
        .await
        .unwrap_err();
    assert_eq!(e.status().as_u16(), 400, "{e}");
    let e = assign::set_override(
        f,
        &Scope::Group("nope".into()),
        "podinfo",
        Map::new(),
        "bob",
    )
    .await
    .unwrap_err();
    assert_eq!(e.to_string(), "group nope does not exist");
    assign::remove_override(f, &edge, "hello", "bob")
        .await
        .unwrap();
    let e = assign::remove_override(f, &edge, "hello", "bob")
        .await
        .unwrap_err();
    assert_eq!(
        (e.status().as_u16(), e.to_string()),
        (
            404,
            "cluster/edge-07 has no override for layer hello".into()
        )
    );

    let logged: Vec<(String, Value)> = audit_entries(f)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == events::FLEET_OVERRIDE)
        .map(|(_, s, d)| (s, d))
        .collect();
    assert_eq!(logged.len(), 7);
    assert_eq!(logged[0].0, "group/a-north");
    assert_eq!(
        logged[3].1["values"],
        json!({"image": {"pullPolicy": "Always"}, "replicaCount": 5})
    );
    assert_eq!(logged[6].1, json!({"layer": "hello", "removed": true}));
    assert_chain_intact(f).await;
}

#[test]
fn resolve_types_defaults_patterns_and_errors() {
    let def = edge_infra("1.0.0");
    let given = |pairs: &[(&str, Value)]| -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    let ok = variables::resolve("edge-07", &def, &given(&[("region", json!("north-1"))])).unwrap();
    // replicas comes from its default; token (optional, no default) is left out.
    assert_eq!(
        ok,
        given(&[("region", json!("north-1")), ("replicas", json!(2))])
    );
    let all = variables::resolve(
        "edge-07",
        &def,
        &given(&[
            ("region", json!("a-2")),
            ("replicas", json!(4)),
            ("token", json!("s3cr3t")),
        ]),
    )
    .unwrap();
    assert_eq!(all["replicas"], 4);

    let err = |pairs: &[(&str, Value)]| {
        variables::resolve("edge-07", &def, &given(pairs))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&[]),
        "cluster edge-07: profile edge-infra@1.0.0 needs variable region, which has no value and no default"
    );
    assert_eq!(
        err(&[("region", json!(7))]),
        "cluster edge-07: profile edge-infra@1.0.0: variable region must be a string, not a number"
    );
    assert_eq!(
        err(&[("region", json!("north-1")), ("replicas", json!("many"))]),
        "cluster edge-07: profile edge-infra@1.0.0: variable replicas must be a number, not a string"
    );
    // The pattern must match the whole value; the message does not echo it.
    let e = err(&[("region", json!("north-1; rm -rf"))]);
    assert_eq!(
        e,
        "cluster edge-07: profile edge-infra@1.0.0: the value of variable region does not match its pattern \"[a-z]+-[0-9]+\""
    );
    assert_eq!(
        err(&[("region", json!("north-1")), ("colour", json!("red"))]),
        "cluster edge-07: profile edge-infra@1.0.0 declares no variable colour"
    );
}

async fn variables_per_scope_with_secrets(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    catalog_of_three(f).await;
    add_cluster(f, "edge-07", &[("site", "north")]).await;
    add_group(f, "north", "site=north").await;
    let (edge, north) = (
        Scope::Cluster("edge-07".into()),
        Scope::Group("north".into()),
    );
    assign::set_assignment(f, "edge-07", &[r("edge-infra@1.0.0")], "carol")
        .await
        .unwrap();

    // A required variable without a value blocks the effective input, naming all three.
    let e = assign::effective(f, "edge-07").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "cluster edge-07: profile edge-infra@1.0.0 needs variable region, which has no value and no default"
    );

    // The group gives region and replicas; the cluster's own replicas beats the group's.
    // "3" arrives as text (as `--set` may give it) and is stored as the declared number.
    assign::set_variables(
        f,
        &north,
        &vals(&[
            ("region", Some(json!("north-1"))),
            ("replicas", Some(json!(3))),
        ]),
        "carol",
    )
    .await
    .unwrap();
    let shown = assign::set_variables(
        f,
        &edge,
        &vals(&[
            ("replicas", Some(json!("7"))),
            ("token", Some(json!("hunter2"))),
        ]),
        "carol",
    )
    .await
    .unwrap();
    assert_eq!(
        shown,
        [
            ("replicas".to_owned(), json!(7)),
            ("token".to_owned(), json!("(secret)"))
        ]
        .into()
    );
    assert_eq!(
        assign::variable_values(f, &edge).await.unwrap()["token"],
        "hunter2"
    );
    let input = assign::effective(f, "edge-07").await.unwrap();
    assert_eq!(
        input.profiles[0].variables,
        [
            ("region".to_owned(), json!("north-1")),
            ("replicas".to_owned(), json!(7)),
            ("token".to_owned(), json!("hunter2"))
        ]
        .into()
    );

    // The audit log has the secret's hash, never the secret.
    let logged: Vec<(String, Value)> = audit_entries(f)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == events::FLEET_VARIABLE)
        .map(|(_, s, d)| (s, d))
        .collect();
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1].0, "cluster/edge-07");
    assert_eq!(logged[1].1["set"]["replicas"], 7);
    assert_eq!(
        logged[1].1["set"]["token"]["sha256"],
        variables::value_hash(&json!("hunter2"))
    );
    let all_audit = serde_json::to_string(&audit_entries(f).await).unwrap();
    assert!(!all_audit.contains("hunter2"));

    // Refused: a variable no assigned profile declares, a wrong type, a pattern mismatch,
    // a hostile name. Nothing is written then.
    let refused = |pairs: Vec<(&'static str, Option<Value>)>, scope: Scope| async move {
        assign::set_variables(f, &scope, &vals(&pairs), "carol")
            .await
            .unwrap_err()
    };
    let e = refused(vec![("debug", Some(json!(true)))], edge.clone()).await;
    assert_eq!(
        (e.status().as_u16(), e.to_string()),
        (
            404,
            "cluster edge-07: no profile assigned to it declares a variable debug".into()
        )
    );
    // A group is checked against the whole catalog: hello-addon declares debug.
    assign::set_variables(f, &north, &vals(&[("debug", Some(json!("true")))]), "carol")
        .await
        .unwrap();
    assert_eq!(
        assign::variable_values(f, &north).await.unwrap()["debug"],
        json!(true)
    );
    let e = refused(vec![("replicas", Some(json!({"a": 1})))], edge.clone()).await;
    assert_eq!(
        e.to_string(),
        "cluster edge-07: profile edge-infra@1.0.0: variable replicas must be a number, not a map"
    );
    let e = refused(vec![("region", Some(json!("NORTH")))], north.clone()).await;
    assert!(
        e.to_string().starts_with(
            "group north: profile edge-infra@1.0.0: the value of variable region does not match"
        ),
        "{e}"
    );
    let e = refused(vec![("bad name", Some(json!(1)))], edge.clone()).await;
    assert_eq!(e.status().as_u16(), 400);
    // null removes a value: the group's replicas shows through again.
    assign::set_variables(f, &edge, &vals(&[("replicas", None)]), "carol")
        .await
        .unwrap();
    let input = assign::effective(f, "edge-07").await.unwrap();
    assert_eq!(input.profiles[0].variables["replicas"], 3);
}

async fn clone_copies_assignment_overrides_and_variables(url: &str) {
    let env = fleet(url).await;
    let f = &env.fleet;
    catalog_of_three(f).await;
    add_cluster(f, "edge-07", &[("tier", "staging")]).await;
    add_cluster(f, "edge-08", &[("tier", "prod")]).await;
    add_group(f, "prod", "tier=prod").await;
    let (from, to) = (
        Scope::Cluster("edge-07".into()),
        Scope::Cluster("edge-08".into()),
    );
    assign::set_assignment(
        f,
        "edge-07",
        &[r("edge-infra@1.1.0"), r("hello-addon@0.1.0")],
        "dave",
    )
    .await
    .unwrap();
    assign::set_override(f, &from, "podinfo", obj(json!({"replicaCount": 9})), "dave")
        .await
        .unwrap();
    assign::set_variables(
        f,
        &from,
        &vals(&[
            ("region", Some(json!("south-2"))),
            ("token", Some(json!("t0k"))),
        ]),
        "dave",
    )
    .await
    .unwrap();
    // What edge-08 had before is replaced.
    assign::set_override(f, &to, "hello", obj(json!({"message": "old"})), "dave")
        .await
        .unwrap();

    let cloned = assign::clone_settings(f, "edge-07", &to, "dave")
        .await
        .unwrap();
    assert_eq!(cloned.to, "cluster/edge-08");
    assert_eq!(cloned.layers, ["podinfo"]);
    assert_eq!(cloned.variables, ["region", "token"]);
    assert_eq!(
        assign::assignment(f, "edge-08").await.unwrap(),
        assign::assignment(f, "edge-07").await.unwrap()
    );
    assert_eq!(
        assign::overrides(f, &to).await.unwrap(),
        assign::overrides(f, &from).await.unwrap()
    );
    assert_eq!(
        assign::variable_values(f, &to).await.unwrap(),
        assign::variable_values(f, &from).await.unwrap()
    );
    let a = assign::effective(f, "edge-07").await.unwrap();
    let b = assign::effective(f, "edge-08").await.unwrap();
    assert_eq!(a.profiles, b.profiles);

    // To a group: overrides and variables (a group has no assignment).
    let cloned = assign::clone_settings(f, "edge-07", &Scope::Group("prod".into()), "dave")
        .await
        .unwrap();
    assert!(cloned.profiles.is_empty());
    assert_eq!(
        assign::overrides(f, &Scope::Group("prod".into()))
            .await
            .unwrap(),
        assign::overrides(f, &from).await.unwrap()
    );

    let e = assign::clone_settings(f, "edge-07", &from, "dave")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cluster edge-07: cannot clone a cluster's settings onto itself"
    );
    let e = assign::clone_settings(f, "edge-07", &Scope::Cluster("edge-99".into()), "dave")
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "cluster edge-99 is not registered");

    let clones: Vec<(String, Value)> = audit_entries(f)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == events::FLEET_CLONED)
        .map(|(_, s, d)| (s, d))
        .collect();
    assert_eq!(clones.len(), 2);
    assert_eq!(clones[0].0, "cluster/edge-07");
    assert_eq!(clones[0].1["to"], "cluster/edge-08");
    assert!(!serde_json::to_string(&clones).unwrap().contains("t0k"));
    assert_chain_intact(f).await;
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
    assignment_rules,
    overrides_merge_by_precedence,
    variables_per_scope_with_secrets,
    clone_copies_assignment_overrides_and_variables
);
