//! What `kubectl get … -A -o json` prints for a cluster in a given state, written as files for
//! the agent's `--from-dir` source: the stand-in for a Kubernetes API server, which cannot run
//! here. The documents have the shape real clusters return (List, full metadata, owner
//! references, conditions, container statuses with the pulled `imageID`), with contents the
//! end-to-end tests and the demo choose: which revision Flux applied, which images run, and
//! whether the cluster is healthy.

use std::path::Path;

use serde_json::{json, Value};

/// One image running in the simulated cluster.
#[derive(Debug, Clone)]
pub struct RunningImage {
    /// As the pod spec names it (`mirror:5000/docker.io/library/busybox@sha256:…`).
    pub reference: String,
    /// What the node pulled: `sha256:…`.
    pub digest: String,
}

#[derive(Debug, Clone)]
pub struct ClusterState {
    pub cluster: String,
    /// The OCIRepository's artifact revision and the Kustomization's last applied one
    /// (`current@sha256:…`); `None` before Flux fetched anything.
    pub revision: Option<String>,
    /// Every pod Ready and Flux's objects Ready; `false` gives a crash-looping workload and a
    /// Kustomization whose health check failed.
    pub healthy: bool,
    pub images: Vec<RunningImage>,
    /// RFC 3339 time for the documents' timestamps.
    pub time: String,
}

impl ClusterState {
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let docs = [
            ("pods.json", self.pods()),
            ("nodes.json", self.nodes()),
            ("ocirepositories.json", self.oci_repositories()),
            ("kustomizations.json", self.kustomizations()),
            ("helmreleases.json", list(vec![])),
        ];
        for (name, doc) in docs {
            let bytes = serde_json::to_vec_pretty(&doc).expect("json");
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }

    fn pods(&self) -> Value {
        let pods = self
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| self.pod(i, image))
            .collect();
        list(pods)
    }

    fn pod(&self, i: usize, image: &RunningImage) -> Value {
        let app = format!("workload-{i}");
        let rs = format!("{app}-5d8f9c7b6d");
        let repo = image
            .reference
            .split('@')
            .next()
            .unwrap_or(&image.reference);
        let repo = match repo.rfind(':') {
            Some(c) if !repo[c..].contains('/') => &repo[..c],
            _ => repo,
        };
        let ready = self.healthy;
        let state = if ready {
            json!({"running": {"startedAt": self.time}})
        } else {
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}})
        };
        let cond = |t: &str| json!({"type": t, "status": if ready || t == "PodScheduled" || t == "Initialized" { "True" } else { "False" }, "lastTransitionTime": self.time});
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("{rs}-x{i:04}"),
                "namespace": "ferry-apps",
                "uid": format!("0b1c2d3e-0000-4000-8000-{i:012}"),
                "creationTimestamp": self.time,
                "labels": {"app.kubernetes.io/name": app, "pod-template-hash": "5d8f9c7b6d"},
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                    "uid": format!("1b1c2d3e-0000-4000-8000-{i:012}"),
                    "controller": true, "blockOwnerDeletion": true
                }]
            },
            "spec": {
                "nodeName": format!("{}-node-1", self.cluster),
                "containers": [{"name": "main", "image": image.reference, "imagePullPolicy": "IfNotPresent"}],
                "restartPolicy": "Always"
            },
            "status": {
                "phase": "Running",
                "conditions": [cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
                "containerStatuses": [{
                    "name": "main",
                    "image": image.reference,
                    "imageID": format!("{repo}@{}", image.digest),
                    "ready": ready,
                    "started": ready,
                    "restartCount": if ready { 0 } else { 7 },
                    "state": state
                }],
                "hostIP": "10.0.0.11",
                "podIP": format!("10.42.0.{}", 10 + i % 200),
                "qosClass": "BestEffort",
                "startTime": self.time
            }
        })
    }

    fn nodes(&self) -> Value {
        list(vec![json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": format!("{}-node-1", self.cluster), "labels": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}},
            "status": {
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
                ],
                "nodeInfo": {"architecture": "amd64", "kubeletVersion": "v1.33.1", "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "containerd://1.7.24", "operatingSystem": "linux"}
            }
        })])
    }

    fn oci_repositories(&self) -> Value {
        let Some(revision) = &self.revision else {
            return list(vec![]);
        };
        let digest = revision.rsplit('@').next().unwrap_or_default();
        list(vec![json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "OCIRepository",
            "metadata": {"name": "ferry-desired", "namespace": "ferry-system", "generation": 1},
            "spec": {"interval": "1m", "ref": {"tag": "current"}, "url": format!("oci://mirror/fleet/{}", self.cluster), "verify": {"provider": "cosign", "secretRef": {"name": "cosign-pub"}}},
            "status": {
                "artifact": {"digest": digest, "lastUpdateTime": self.time, "path": "ocirepository/ferry-system/ferry-desired/x.tar.gz", "revision": revision, "size": 1024, "url": "http://source-controller.flux-system.svc.cluster.local./x.tar.gz"},
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "Succeeded", "message": format!("stored artifact for digest '{revision}'"), "lastTransitionTime": self.time, "observedGeneration": 1},
                    {"type": "SourceVerified", "status": "True", "reason": "Succeeded", "message": "verified signature of revision", "lastTransitionTime": self.time, "observedGeneration": 1}
                ],
                "observedGeneration": 1
            }
        })])
    }

    fn kustomizations(&self) -> Value {
        let Some(revision) = &self.revision else {
            return list(vec![]);
        };
        let ready = if self.healthy {
            json!({"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": format!("Applied revision: {revision}"), "lastTransitionTime": self.time, "observedGeneration": 1})
        } else {
            json!({"type": "Ready", "status": "False", "reason": "HealthCheckFailed", "message": "health check failed after 5m0s: timeout waiting for: [Deployment/ferry-apps/workload-0 status: 'InProgress']", "lastTransitionTime": self.time, "observedGeneration": 1})
        };
        let mut status = json!({"conditions": [ready], "lastAttemptedRevision": revision, "observedGeneration": 1});
        if self.healthy {
            status["lastAppliedRevision"] = json!(revision);
        }
        list(vec![json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": "ferry-desired", "namespace": "ferry-system", "generation": 1},
            "spec": {"interval": "5m", "path": "./", "prune": true, "wait": true, "sourceRef": {"kind": "OCIRepository", "name": "ferry-desired"}},
            "status": status
        })])
    }
}

fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})
}
