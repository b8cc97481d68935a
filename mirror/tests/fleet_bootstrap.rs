//! The bootstrap manifest parses back, document by document, into what Flux and Kubernetes
//! need: the source follows `oci://<mirror>/fleet/<name>:current` with the cluster's credential,
//! verifies with the appliance's key (or says why not), trusts the mirror's CA when given, and
//! the agent runs with the credential. The same inputs give the same bytes.

mod fleet_support;

use std::collections::BTreeMap;

use base64::Engine as _;
use ferry_mirror::fleet::clusters::{self, bootstrap_manifest};
use fleet_support::*;
use serde_json::Value;

fn documents(yaml: &str) -> Vec<Value> {
    yaml.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}\n{d}")))
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

#[tokio::test]
async fn signed_with_ca_has_every_document() {
    let t = fleet(None, true, Some(CA)).await;
    let labels = BTreeMap::from([("site".to_owned(), "north".to_owned())]);
    let r = clusters::register(&t.fleet, "edge-07", &labels, 45, "alice")
        .await
        .unwrap();
    let docs = documents(&r.bootstrap);
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["apiVersion"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("v1", "Namespace"),
            ("v1", "Secret"),
            ("v1", "Secret"),
            ("v1", "Secret"),
            ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
            ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
            ("v1", "ServiceAccount"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("v1", "Secret"),
            ("apps/v1", "Deployment"),
        ]
    );
    for d in &docs[1..] {
        if !matches!(
            d["kind"].as_str(),
            Some("ClusterRole" | "ClusterRoleBinding")
        ) {
            assert_eq!(d["metadata"]["namespace"], "ferry-system", "{d}");
        }
    }
    let (user, secret) = r.credential.split_once(':').unwrap();

    let registry = find(&docs, "Secret", "ferry-mirror-credentials");
    assert_eq!(registry["type"], "kubernetes.io/dockerconfigjson");
    let config: Value = serde_json::from_str(
        registry["stringData"][".dockerconfigjson"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let auth = &config["auths"]["mirror.enclave:5000"];
    assert_eq!(
        (auth["username"].as_str(), auth["password"].as_str()),
        (Some(user), Some(secret))
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth["auth"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, r.credential.as_bytes());

    let cosign = find(&docs, "Secret", "cosign-pub");
    assert_eq!(
        cosign["stringData"]["cosign.pub"].as_str().unwrap(),
        t.fleet.signer.as_ref().unwrap().public_key_pem()
    );
    assert_eq!(
        find(&docs, "Secret", "ferry-mirror-ca")["stringData"]["ca.crt"],
        CA
    );

    let source = &find(&docs, "OCIRepository", "ferry-desired")["spec"];
    assert_eq!(source["url"], "oci://mirror.enclave:5000/fleet/edge-07");
    assert_eq!(source["ref"]["tag"], "current");
    assert_eq!(source["interval"], "1m");
    assert_eq!(source["secretRef"]["name"], "ferry-mirror-credentials");
    assert_eq!(source["certSecretRef"]["name"], "ferry-mirror-ca");
    assert_eq!(source["verify"]["provider"], "cosign");
    assert_eq!(source["verify"]["secretRef"]["name"], "cosign-pub");

    let ks = &find(&docs, "Kustomization", "ferry-desired")["spec"];
    assert_eq!(ks["sourceRef"]["kind"], "OCIRepository");
    assert_eq!(ks["sourceRef"]["name"], "ferry-desired");
    assert_eq!(
        (
            ks["path"].as_str(),
            ks["prune"].as_bool(),
            ks["wait"].as_bool()
        ),
        (Some("./"), Some(true), Some(true))
    );
    assert_eq!(ks["interval"], "5m");

    let cred = find(&docs, "Secret", "ferry-agent-credential");
    assert_eq!(
        cred["stringData"]["credential"]
            .as_str()
            .unwrap()
            .trim_end(),
        r.credential
    );
    let rules = find(&docs, "ClusterRole", "ferry-agent")["rules"]
        .as_array()
        .unwrap();
    let resources: Vec<&str> = rules
        .iter()
        .flat_map(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
        })
        .collect();
    for want in [
        "pods",
        "nodes",
        "ocirepositories",
        "kustomizations",
        "helmreleases",
    ] {
        assert!(resources.contains(&want), "{want}");
    }
    for r in rules {
        assert_eq!(
            r["verbs"],
            serde_json::json!(["get", "list"]),
            "read only: {r}"
        );
    }
    let pod = &find(&docs, "Deployment", "ferry-agent")["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "ferry-agent");
    let c = &pod["containers"][0];
    assert_eq!(
        c["image"],
        format!(
            "mirror.enclave:5000/ferry/agent:{}",
            env!("CARGO_PKG_VERSION")
        )
    );
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "agent",
            "--server",
            "https://mirror.enclave:5000",
            "--credential",
            "/etc/ferry/credential",
            "--interval",
            "45s",
            "--state",
            "/var/lib/ferry/agent.state",
            "--ca",
            "/etc/ferry/ca/ca.crt"
        ]
    );

    // Deterministic: the same cluster, credential and settings give the same bytes.
    let same = bootstrap_manifest(&t.fleet, &r.cluster, &r.credential);
    assert_eq!(same, r.bootstrap);
}

#[tokio::test]
async fn without_a_signing_key_it_says_so_and_does_not_verify() {
    let t = fleet(None, false, None).await;
    let r = clusters::register(&t.fleet, "lab-1", &BTreeMap::new(), 60, "alice")
        .await
        .unwrap();
    assert!(
        r.bootstrap.contains("# this appliance has no signing key"),
        "{}",
        r.bootstrap
    );
    let docs = documents(&r.bootstrap);
    assert!(!docs.iter().any(|d| d["metadata"]["name"] == "cosign-pub"));
    assert!(!docs
        .iter()
        .any(|d| d["metadata"]["name"] == "ferry-mirror-ca"));
    let source = &find(&docs, "OCIRepository", "ferry-desired")["spec"];
    assert!(
        source.get("verify").is_none() && source.get("certSecretRef").is_none(),
        "{source}"
    );
    assert_eq!(source["url"], "oci://mirror.enclave:5000/fleet/lab-1");
    let args = &find(&docs, "Deployment", "ferry-agent")["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    assert!(!args.as_array().unwrap().iter().any(|a| a == "--ca"));
}
