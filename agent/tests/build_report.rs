//! The report each fixture cluster turns into: snapshots of the whole report, and explicit
//! checks of what the appliance relies on (imageID digests, owners, restarts, Flux revisions).

use std::path::PathBuf;

use ferry_agent::kube::{list_all, Files, KubeSource, Resource};
use ferry_agent::report::{build, BuildError, Header, Lists};
use ferry_bundler::format::report::{ContainerReport, GitOpsObject, PodReport, Report};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/kube")
        .join(name)
}

fn header(cluster: &str) -> Header {
    Header {
        cluster: cluster.to_owned(),
        sequence: 7,
        generated_at: "2026-12-01T22:30:00Z".to_owned(),
        interval_seconds: 60,
    }
}

async fn report_of(name: &str, cluster: &str) -> Report {
    let lists = list_all(&Files::new(fixture(name))).await.unwrap();
    build(&lists, header(cluster)).unwrap()
}

fn pod<'a>(r: &'a Report, ns: &str, name: &str) -> &'a PodReport {
    r.pods
        .iter()
        .find(|p| p.namespace == ns && p.name == name)
        .unwrap_or_else(|| panic!("no pod {ns}/{name}"))
}

fn container<'a>(p: &'a PodReport, name: &str) -> &'a ContainerReport {
    p.containers.iter().find(|c| c.name == name).unwrap()
}

fn gitops<'a>(r: &'a Report, kind: &str, name: &str) -> &'a GitOpsObject {
    r.gitops
        .iter()
        .find(|g| g.kind == kind && g.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The digest inside a fixture's document, read independently of the builder.
fn status_image_id(dir: &str, ns: &str, pod: &str, container: &str) -> String {
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture(dir).join("pods.json")).unwrap()).unwrap();
    let item = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["namespace"] == ns && i["metadata"]["name"] == pod)
        .unwrap();
    let statuses = item["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .chain(item["status"]["initContainerStatuses"].as_array())
        .flatten();
    statuses
        .into_iter()
        .find(|s| s["name"] == container)
        .unwrap()["imageID"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn healthy_cluster() {
    let r = report_of("healthy", "edge-07").await;
    insta::assert_json_snapshot!("healthy", r);

    assert_eq!(
        (r.cluster.as_str(), r.sequence, r.schema_version),
        ("edge-07", 7, 1)
    );
    assert!(r.agent.starts_with("ferry "));
    assert_eq!(r.pods.len(), 11);
    assert!(r.nodes.iter().all(|n| n.ready));
    assert_eq!(r.nodes[1].architecture.as_deref(), Some("arm64"));
    assert_eq!(r.nodes[0].kubelet_version.as_deref(), Some("v1.31.4+k3s1"));

    let hello = pod(&r, "hello", "hello-0");
    assert_eq!(hello.owner.as_deref(), Some("StatefulSet/hello"));
    assert!(hello.ready);
    let init = container(hello, "wait-for-config");
    assert!(init.init);
    assert!(!container(hello, "hello").init);
    // Init containers come first, as the kubelet runs them.
    assert_eq!(hello.containers[0].name, "wait-for-config");
    let busybox = status_image_id("healthy", "hello", "hello-0", "wait-for-config");
    assert!(busybox.starts_with("docker.io/library/busybox@sha256:"));
    assert_eq!(init.image_id.as_deref(), Some(busybox.as_str()));
    assert_eq!(init.image, "docker.io/library/busybox:1.36.1");

    let podinfo: Vec<_> = r.pods.iter().filter(|p| p.namespace == "podinfo").collect();
    assert_eq!(podinfo.len(), 2);
    for p in &podinfo {
        assert_eq!(p.owner.as_deref(), Some("ReplicaSet/podinfo-6d8f7b9c5"));
        let c = container(p, "podinfo");
        assert!(c.ready && c.restarts == 0);
        assert!(c
            .image_id
            .as_deref()
            .unwrap()
            .starts_with("mirror.enclave:5000/stefanprodan/podinfo@sha256:"));
    }
    // cri-dockerd's form is kept as written.
    let exporters: Vec<_> = r
        .pods
        .iter()
        .filter(|p| p.namespace == "monitoring")
        .collect();
    assert!(exporters
        .iter()
        .all(|p| p.owner.as_deref() == Some("DaemonSet/node-exporter")));
    assert!(exporters.iter().any(|p| container(p, "node-exporter")
        .image_id
        .as_deref()
        .unwrap()
        .starts_with("docker-pullable://quay.io/prometheus/node-exporter@sha256:")));
    let job = pod(&r, "hello", "hello-migrate-4xk2p");
    assert_eq!((job.phase.as_str(), job.ready), ("Succeeded", false));
    assert_eq!(job.owner.as_deref(), Some("Job/hello-migrate"));

    let repo = gitops(&r, "OCIRepository", "ferry-desired");
    assert_eq!((repo.ready, repo.source_verified), (Some(true), Some(true)));
    let revision = repo.artifact_revision.as_deref().unwrap();
    assert!(revision.starts_with("current@sha256:") && revision.len() == 15 + 64);
    let ks = gitops(&r, "Kustomization", "ferry-desired");
    assert_eq!(ks.ready, Some(true));
    assert_eq!(ks.last_applied_revision.as_deref(), Some(revision));
    let hr = gitops(&r, "HelmRelease", "podinfo");
    assert_eq!(hr.last_applied_revision.as_deref(), Some("6.7.1"));
    assert_eq!(hr.namespace, "podinfo");
}

#[tokio::test]
async fn failing_cluster() {
    let r = report_of("failing", "edge-09").await;
    insta::assert_json_snapshot!("failing", r);

    let crash = pod(&r, "podinfo", "podinfo-58c9f6d7b4-2bq7x");
    assert!(!crash.ready);
    assert_eq!(crash.phase, "Running");
    let c = container(crash, "podinfo");
    assert_eq!((c.ready, c.restarts), (false, 17));
    assert_eq!(
        c.image_id.as_deref(),
        Some(status_image_id("failing", "podinfo", "podinfo-58c9f6d7b4-2bq7x", "podinfo").as_str())
    );
    let pull = pod(&r, "podinfo", "podinfo-extra-7d4b9c8f6-kx9pl");
    assert_eq!(
        container(pull, "podinfo").image_id,
        None,
        "an empty imageID is no digest"
    );
    let unscheduled = pod(&r, "podinfo", "podinfo-58c9f6d7b4-m3n8z");
    assert_eq!(
        (unscheduled.node.as_deref(), unscheduled.phase.as_str()),
        (None, "Pending")
    );
    assert_eq!(container(unscheduled, "podinfo").image_id, None);
    let fresh = pod(&r, "hello", "hello-migrate-8wq5n");
    assert!(!fresh.ready && !fresh.containers[0].ready);
    let init = container(pod(&r, "hello", "hello-0"), "wait-for-config");
    assert_eq!((init.init, init.ready, init.restarts), (true, false, 3));

    let worker = r
        .nodes
        .iter()
        .find(|n| n.name == "edge-09-worker-1")
        .unwrap();
    assert!(!worker.ready, "Ready Unknown is not ready");
    assert_eq!(worker.kubelet_version.as_deref(), Some("v1.30.8+k3s1"));

    let repo = gitops(&r, "OCIRepository", "ferry-desired");
    assert_eq!(
        (repo.ready, repo.source_verified),
        (Some(false), Some(false))
    );
    assert_eq!(repo.reason.as_deref(), Some("VerificationError"));
    assert!(repo
        .message
        .as_deref()
        .unwrap()
        .contains("no matching signatures"));
    let ks = gitops(&r, "Kustomization", "ferry-desired");
    assert_eq!(ks.ready, Some(false));
    assert_eq!(ks.reason.as_deref(), Some("HealthCheckFailed"));
    assert_ne!(ks.last_applied_revision, ks.last_attempted_revision);
    let stale = gitops(&r, "Kustomization", "ferry-addons");
    assert_eq!(
        stale.ready, None,
        "a Ready condition of an older generation is unknown"
    );
    let hr = gitops(&r, "HelmRelease", "podinfo");
    assert_eq!(hr.ready, Some(false));
    assert_eq!(hr.last_applied_revision.as_deref(), Some("6.7.1"));
    assert_eq!(hr.last_attempted_revision.as_deref(), Some("6.8.0"));
}

#[tokio::test]
async fn argo_cluster_without_flux() {
    let source = Files::new(fixture("argo"));
    // No Flux CRDs in this cluster: the files are absent and list as empty.
    let none = source.list(Resource::OciRepositories).await.unwrap();
    assert_eq!(none["items"], json!([]));
    let r = report_of("argo", "edge-11").await;
    insta::assert_json_snapshot!("argo", r);

    assert!(r.gitops.iter().all(|g| g.kind == "Application"));
    let ready = |name| gitops(&r, "Application", name).ready;
    assert_eq!(ready("podinfo"), Some(true));
    assert_eq!(ready("hello"), Some(false));
    assert_eq!(
        ready("metrics"),
        None,
        "Progressing is neither ready nor failed"
    );
    assert_eq!(
        gitops(&r, "Application", "hello").reason.as_deref(),
        Some("OutOfSync/Degraded")
    );
    let imported = container(pod(&r, "podinfo", "podinfo-0"), "podinfo");
    assert!(imported.image_id.as_deref().unwrap().starts_with("sha256:"));
}

#[tokio::test]
async fn the_same_cluster_state_gives_the_same_report() {
    let a = report_of("healthy", "edge-07").await;
    let b = report_of("healthy", "edge-07").await;
    assert_eq!(
        serde_json::to_vec(&a).unwrap(),
        serde_json::to_vec(&b).unwrap()
    );
}

async fn lists_with(what: Resource, doc: serde_json::Value) -> Lists {
    let mut lists = list_all(&Files::new(fixture("healthy"))).await.unwrap();
    lists.insert(what, doc);
    lists
}

#[tokio::test]
async fn documents_that_are_not_lists_of_the_resource_are_refused() {
    let single_pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}});
    let nodes_as_pods = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(fixture("healthy").join("nodes.json")).unwrap(),
    )
    .unwrap();
    let cases = [
        (Resource::Pods, single_pod, "the pods document is not a List of Pod: its kind is Pod"),
        (Resource::Pods, nodes_as_pods, "the pods document is not a List of Pod: item 0 is a Node"),
        (
            Resource::Nodes,
            json!({"kind": "NodeList"}),
            "the nodes document is not a List of Node: it has no items array",
        ),
        (
            Resource::Kustomizations,
            json!({"kind": "List", "items": [3]}),
            "the kustomizations.kustomize.toolkit.fluxcd.io document is not a List of Kustomization: item 0 is not an object",
        ),
        (
            Resource::HelmReleases,
            json!({"items": []}),
            "the helmreleases.helm.toolkit.fluxcd.io document is not a List of HelmRelease: the document has no kind",
        ),
    ];
    for (what, doc, message) in cases {
        let err = build(&lists_with(what, doc).await, header("edge-07")).unwrap_err();
        assert!(matches!(err, BuildError::NotAList { .. }), "{err}");
        assert_eq!(err.to_string(), message);
    }
    // An API server's typed list is accepted as well as kubectl's `List`.
    let typed = json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": []});
    let r = build(&lists_with(Resource::Pods, typed).await, header("edge-07")).unwrap();
    assert!(r.pods.is_empty());
}

#[tokio::test]
async fn a_pod_without_a_name_is_refused_with_its_index() {
    let doc = json!({"kind": "List", "items": [{"metadata": {"namespace": "a"}, "spec": {"containers": []}}]});
    let err = build(&lists_with(Resource::Pods, doc).await, header("edge-07")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pods item 0 (no name): /metadata/name is missing"
    );
}

#[tokio::test]
async fn a_long_flux_message_is_clipped_to_the_report_limit() {
    let mut doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("failing").join("kustomizations.json")).unwrap(),
    )
    .unwrap();
    let long = "é".repeat(5000);
    doc["items"][0]["status"]["conditions"][0]["message"] = json!(long);
    let r = build(
        &lists_with(Resource::Kustomizations, doc).await,
        header("edge-07"),
    )
    .unwrap();
    let failing = gitops(&r, "Kustomization", "ferry-desired");
    let message = failing.message.as_deref().unwrap();
    assert_eq!(message.len(), 4096);
    assert!(long.starts_with(message));
}

#[tokio::test]
async fn a_missing_pods_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = list_all(&Files::new(dir.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("reading List document "), "{err}");
    assert!(err.contains("pods.json"), "{err}");
}

#[tokio::test]
async fn a_pod_with_no_status_at_all_is_pending_and_not_ready() {
    let doc = json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "web",
                     "ownerReferences": [
                         {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "1"},
                         {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "2", "controller": true}]},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    }]});
    let r = build(&lists_with(Resource::Pods, doc).await, header("edge-07")).unwrap();
    let p = &r.pods[0];
    assert_eq!(
        (p.phase.as_str(), p.ready, p.node.as_deref()),
        ("Pending", false, None)
    );
    assert_eq!(
        p.owner.as_deref(),
        Some("StatefulSet/web"),
        "the controlling owner, not the first"
    );
    assert_eq!(
        p.containers,
        [ContainerReport {
            name: "web".into(),
            image: "nginx:1.27".into(),
            image_id: None,
            ready: false,
            restarts: 0,
            init: false,
        }]
    );
}
