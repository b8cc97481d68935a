//! The end-to-end tests feed the agent `ferry_testkit::kube_state` clusters: the reports of
//! those documents carry the revision and image digests the test chose.

use ferry_agent::kube::{list_all, Files};
use ferry_agent::report::{build, Header};
use ferry_testkit::kube_state::{ClusterState, RunningImage};

fn state(healthy: bool, digest: &str) -> ClusterState {
    ClusterState {
        cluster: "edge-07".into(),
        revision: Some(format!("current@sha256:{}", "c".repeat(64))),
        healthy,
        images: vec![RunningImage {
            reference: "mirror:5000/docker.io/library/busybox:1.36.1".into(),
            digest: digest.into(),
        }],
        time: "2026-12-01T22:30:00Z".into(),
    }
}

async fn report(s: &ClusterState) -> ferry_bundler::format::report::Report {
    let dir = tempfile::tempdir().unwrap();
    s.write_dir(dir.path()).unwrap();
    let lists = list_all(&Files::new(dir.path())).await.unwrap();
    let header = Header {
        cluster: s.cluster.clone(),
        sequence: 1,
        generated_at: s.time.clone(),
        interval_seconds: 60,
    };
    build(&lists, header).unwrap()
}

#[tokio::test]
async fn a_healthy_simulated_cluster_reports_its_revision_and_digests() {
    let digest = format!("sha256:{}", "d".repeat(64));
    let r = report(&state(true, &digest)).await;
    let revision = format!("current@sha256:{}", "c".repeat(64));
    let repo = r.gitops.iter().find(|g| g.kind == "OCIRepository").unwrap();
    assert_eq!(repo.artifact_revision.as_deref(), Some(revision.as_str()));
    let ks = r.gitops.iter().find(|g| g.kind == "Kustomization").unwrap();
    assert_eq!(
        (ks.ready, ks.last_applied_revision.as_deref()),
        (Some(true), Some(revision.as_str()))
    );
    let workload: Vec<_> = r
        .pods
        .iter()
        .flat_map(|p| &p.containers)
        .filter(|c| c.image.contains("busybox"))
        .collect();
    assert_eq!(workload.len(), 1);
    assert!(workload[0].image_id.as_deref().unwrap().ends_with(&digest));
    assert!(r.pods.iter().all(|p| p.ready));
}

#[tokio::test]
async fn an_unhealthy_simulated_cluster_reports_failure() {
    let r = report(&state(false, &format!("sha256:{}", "e".repeat(64)))).await;
    assert!(r.pods.iter().any(|p| !p.ready));
    let ks = r.gitops.iter().find(|g| g.kind == "Kustomization").unwrap();
    assert_eq!(ks.ready, Some(false));
}
