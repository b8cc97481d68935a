//! Signed reports as the appliance meets them: hostile documents refused with a clear error,
//! and the MAC checked against an independent implementation (openssl).

use ferry_bundler::format::report::{
    mac, secret_sha256, verify_mac, ReportError, SignedReport, MAX_CONTAINERS_PER_POD, MAX_NODES,
    MAX_PODS, MAX_REPORT_SIZE, MAX_STRING_LEN,
};
use rstest::rstest;
use serde_json::{json, Value};

const SECRET: &str = "q3V9cHcXlV1g8yC2m3eUQyE2r4dJk9wPq1nKx0zT5aA";

/// A report as an agent writes it, MAC included.
fn valid() -> Value {
    let report = json!({
        "schemaVersion": 1,
        "cluster": "edge-07",
        "sequence": 3,
        "generatedAt": "2026-12-01T22:30:00Z",
        "agent": "ferry 0.1.0",
        "intervalSeconds": 60,
        "pods": [{
            "namespace": "podinfo", "name": "podinfo-6d8f7b9c5-7kq2m",
            "owner": "ReplicaSet/podinfo-6d8f7b9c5", "node": "edge-07-cp-1",
            "phase": "Running", "ready": true,
            "containers": [{
                "name": "podinfo", "image": "mirror.enclave:5000/stefanprodan/podinfo:6.7.1",
                "imageId": format!("mirror.enclave:5000/stefanprodan/podinfo@sha256:{}", "a".repeat(64)),
                "ready": true, "restarts": 0
            }]
        }],
        "nodes": [{"name": "edge-07-cp-1", "ready": true, "kubeletVersion": "v1.31.4+k3s1"}],
        "gitops": [{
            "kind": "OCIRepository", "namespace": "flux-system", "name": "ferry-desired",
            "ready": true, "artifactRevision": format!("current@sha256:{}", "b".repeat(64)),
            "sourceVerified": true
        }]
    });
    let parsed = serde_json::from_value(report.clone()).unwrap();
    json!({"report": report, "mac": mac(&secret_sha256(SECRET), &parsed)})
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn pods(n: usize) -> Value {
    let pod =
        json!({"namespace": "a", "name": "p", "phase": "Running", "ready": true, "containers": []});
    Value::Array(vec![pod; n])
}

#[test]
fn a_valid_report_parses_and_its_mac_verifies() {
    let signed = SignedReport::from_slice(&bytes(&valid())).unwrap();
    assert_eq!(signed.report.cluster, "edge-07");
    assert!(verify_mac(&secret_sha256(SECRET), &signed));
    assert!(!verify_mac(&secret_sha256("another-secret"), &signed));
}

#[rstest]
#[case::unknown_top_field(|v: &mut Value| v["extra"] = json!(1), "unknown field `extra`")]
#[case::unknown_report_field(|v: &mut Value| v["report"]["labels"] = json!({}), "unknown field `labels`")]
#[case::unknown_container_field(
    |v: &mut Value| v["report"]["pods"][0]["containers"][0]["privileged"] = json!(true),
    "at report.pods[0].containers[0].privileged: unknown field `privileged`")]
#[case::missing_sequence(|v: &mut Value| { v["report"].as_object_mut().unwrap().remove("sequence"); }, "missing field `sequence`")]
#[case::negative_sequence(|v: &mut Value| v["report"]["sequence"] = json!(-1), "at report.sequence: invalid value")]
#[case::restarts_as_text(|v: &mut Value| v["report"]["pods"][0]["containers"][0]["restarts"] = json!("3"), "report.pods[0].containers[0].restarts")]
#[case::schema_2(|v: &mut Value| v["report"]["schemaVersion"] = json!(2), "has schema version 2; this appliance reads version 1")]
#[case::schema_0(|v: &mut Value| v["report"]["schemaVersion"] = json!(0), "has schema version 0")]
#[case::cluster_upper(|v: &mut Value| v["report"]["cluster"] = json!("Edge-07"), "report names cluster \"Edge-07\", which is not a cluster name")]
#[case::cluster_dot(|v: &mut Value| v["report"]["cluster"] = json!("edge.07"), "\"edge.07\", which is not a cluster name")]
#[case::cluster_dash(|v: &mut Value| v["report"]["cluster"] = json!("edge-"), "\"edge-\", which is not a cluster name")]
#[case::cluster_empty(|v: &mut Value| v["report"]["cluster"] = json!(""), "\"\", which is not a cluster name")]
#[case::cluster_path(|v: &mut Value| v["report"]["cluster"] = json!("../edge-07"), "which is not a cluster name")]
#[case::cluster_64(|v: &mut Value| v["report"]["cluster"] = json!("a".repeat(64)), "which is not a cluster name")]
#[case::too_many_pods(|v: &mut Value| v["report"]["pods"] = pods(MAX_PODS + 1), "carries 200001 pods, more than the limit of 200000")]
#[case::too_many_nodes(
    |v: &mut Value| v["report"]["nodes"] = Value::Array(vec![json!({"name": "n", "ready": true}); MAX_NODES + 1]),
    "carries 10001 nodes, more than the limit of 10000")]
#[case::too_many_containers(
    |v: &mut Value| {
        let c = v["report"]["pods"][0]["containers"][0].clone();
        v["report"]["pods"][0]["containers"] = Value::Array(vec![c; MAX_CONTAINERS_PER_POD + 1]);
    },
    "carries 129 containers in pod 0, more than the limit of 128")]
#[case::long_image(
    |v: &mut Value| v["report"]["pods"][0]["containers"][0]["image"] = json!("a".repeat(MAX_STRING_LEN + 1)),
    "pods[0].containers[0].image is 4097 bytes, more than the limit of 4096")]
#[case::long_message(
    |v: &mut Value| v["report"]["gitops"][0]["message"] = json!("x".repeat(100_000)),
    "gitops[0].message is 100000 bytes")]
#[case::long_node(
    |v: &mut Value| v["report"]["nodes"][0]["osImage"] = json!("x".repeat(5000)),
    "nodes[0].osImage is 5000 bytes")]
#[case::pod_twice(
    |v: &mut Value| {
        let p = v["report"]["pods"][0].clone();
        v["report"]["pods"].as_array_mut().unwrap().push(p);
    },
    "pods[1], pod podinfo/podinfo-6d8f7b9c5-7kq2m, appears twice")]
#[case::container_twice(
    |v: &mut Value| {
        let c = v["report"]["pods"][0]["containers"][0].clone();
        v["report"]["pods"][0]["containers"].as_array_mut().unwrap().push(c);
    },
    "pods[0].containers[1], container podinfo of pod podinfo/podinfo-6d8f7b9c5-7kq2m, appears twice")]
#[case::mac_upper(|v: &mut Value| v["mac"] = json!(v["mac"].as_str().unwrap().to_uppercase()), "the mac is not 64 lower-case hex digits")]
#[case::mac_short(|v: &mut Value| v["mac"] = json!("abcd"), "the mac is not 64 lower-case hex digits")]
#[case::mac_number(|v: &mut Value| v["mac"] = json!(12), "at mac: invalid type")]
#[case::pods_not_array(|v: &mut Value| v["report"]["pods"] = json!({}), "at report.pods: invalid type")]
fn hostile_reports_are_refused(#[case] damage: fn(&mut Value), #[case] expected: &str) {
    let mut doc = valid();
    damage(&mut doc);
    let err = SignedReport::from_slice(&bytes(&doc)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(expected),
        "{message:?} does not say {expected:?}"
    );
    if expected.contains("cluster \"") || expected.contains("which is not") {
        assert!(matches!(err, ReportError::ClusterName(_)));
    }
}

#[rstest]
#[case::empty(b"".to_vec())]
#[case::not_json(b"report=1".to_vec())]
#[case::truncated(bytes(&valid())[..100].to_vec())]
#[case::array(b"[]".to_vec())]
#[case::deep(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes())]
fn documents_that_are_no_report_are_refused(#[case] doc: Vec<u8>) {
    let err = SignedReport::from_slice(&doc).unwrap_err();
    assert!(matches!(err, ReportError::Parse(_)), "{err}");
    assert!(err
        .to_string()
        .starts_with("report is not a valid signed report document"));
}

#[test]
fn an_oversized_report_is_refused_before_it_is_parsed() {
    let mut doc = bytes(&valid());
    doc.resize(MAX_REPORT_SIZE as usize + 1, b' ');
    let err = SignedReport::from_slice(&doc).unwrap_err();
    assert!(matches!(err, ReportError::TooLarge { size } if size == MAX_REPORT_SIZE + 1));
    // Padding up to the limit is still a report.
    doc.truncate(MAX_REPORT_SIZE as usize);
    SignedReport::from_slice(&doc).unwrap();
}

#[test]
fn a_changed_report_no_longer_verifies() {
    let key = secret_sha256(SECRET);
    let mut signed = SignedReport::from_slice(&bytes(&valid())).unwrap();
    signed.report.sequence += 1;
    assert!(!verify_mac(&key, &signed));
    let resigned = SignedReport::sign(signed.report.clone(), &key);
    assert!(verify_mac(&key, &resigned));
    signed.mac = "zz".repeat(32);
    assert!(
        !verify_mac(&key, &signed),
        "a MAC that is not hex never verifies"
    );
}

/// The key is sha256(secret) (as the appliance stores it) and the MAC is HMAC-SHA256 over the
/// report's serde_json bytes: checked against openssl, not against this crate's own code.
#[test]
fn the_mac_is_hmac_sha256_keyed_by_the_secrets_sha256_as_openssl_computes_it() {
    assert_eq!(
        hex::encode(secret_sha256("abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let signed = SignedReport::from_slice(&bytes(&valid())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("report.json");
    std::fs::write(&msg, serde_json::to_vec(&signed.report).unwrap()).unwrap();
    let key = hex::encode(secret_sha256(SECRET));
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-mac", "HMAC", "-macopt"])
        .arg(format!("hexkey:{key}"))
        .arg(&msg)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let openssl_mac = line.trim().rsplit(' ').next().unwrap();
    assert_eq!(openssl_mac, signed.mac);
}
