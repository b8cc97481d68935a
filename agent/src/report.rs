//! The report from the cluster's List documents: a pure function, so each fixture in
//! `testdata/kube/` pins exactly what a cluster's state turns into.

use std::collections::BTreeMap;

use ferry_bundler::format::report::{
    clip, ContainerReport, GitOpsObject, NodeReport, PodReport, Report, ReportError, SCHEMA_VERSION,
};
use serde_json::Value;

use crate::kube::Resource;

/// One List document per resource.
pub type Lists = BTreeMap<Resource, Value>;

/// What the report says about itself rather than about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub cluster: String,
    pub sequence: u64,
    /// RFC 3339 UTC.
    pub generated_at: String,
    pub interval_seconds: u64,
}

/// `ferry <version>`, the report's `agent` field.
pub const AGENT: &str = concat!("ferry ", env!("CARGO_PKG_VERSION"));

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no {0} List document was given")]
    Missing(Resource),
    #[error("the {resource} document is not a List of {kind}: {found}")]
    NotAList {
        resource: Resource,
        kind: &'static str,
        found: String,
    },
    #[error("{resource} item {index} ({name}): {reason}")]
    Item {
        resource: Resource,
        index: usize,
        name: String,
        reason: String,
    },
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// The report of one cluster from its List documents. Pods, nodes and GitOps objects are
/// sorted by name, so the same cluster state always gives the same report (and MAC).
pub fn build(lists: &Lists, header: Header) -> Result<Report, BuildError> {
    let mut pods = Vec::new();
    for (index, item) in items(lists, Resource::Pods)?.iter().enumerate() {
        pods.push(pod(item).map_err(|reason| item_err(Resource::Pods, index, item, reason))?);
    }
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));

    let mut nodes = Vec::new();
    for (index, item) in items(lists, Resource::Nodes)?.iter().enumerate() {
        nodes.push(node(item).map_err(|reason| item_err(Resource::Nodes, index, item, reason))?);
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));

    let mut gitops = Vec::new();
    for what in [
        Resource::OciRepositories,
        Resource::Kustomizations,
        Resource::HelmReleases,
        Resource::ArgoApplications,
    ] {
        for (index, item) in items(lists, what)?.iter().enumerate() {
            let object = if what == Resource::ArgoApplications {
                argo_application(item)
            } else {
                flux_object(what, item)
            };
            gitops.push(object.map_err(|reason| item_err(what, index, item, reason))?);
        }
    }
    gitops.sort_by(|a, b| (&a.kind, &a.namespace, &a.name).cmp(&(&b.kind, &b.namespace, &b.name)));

    let report = Report {
        schema_version: SCHEMA_VERSION,
        cluster: header.cluster,
        sequence: header.sequence,
        generated_at: header.generated_at,
        agent: AGENT.to_owned(),
        interval_seconds: header.interval_seconds,
        pods,
        nodes,
        gitops,
    };
    report.check()?;
    Ok(report)
}

fn item_err(resource: Resource, index: usize, item: &Value, reason: String) -> BuildError {
    let name = match (
        text(item, "/metadata/namespace"),
        text(item, "/metadata/name"),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_owned(),
        _ => "no name".to_owned(),
    };
    BuildError::Item {
        resource,
        index,
        name,
        reason,
    }
}

/// The items of a List of `what`: `kind: List` (kubectl) or `kind: <Kind>List` (the API
/// server), and every item that names its kind of the expected one.
fn items(lists: &Lists, what: Resource) -> Result<&[Value], BuildError> {
    let doc = lists.get(&what).ok_or(BuildError::Missing(what))?;
    let not_a_list = |found: String| BuildError::NotAList {
        resource: what,
        kind: what.kind(),
        found,
    };
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "List" && kind != format!("{}List", what.kind()) {
        return Err(not_a_list(if kind.is_empty() {
            "the document has no kind".to_owned()
        } else {
            format!("its kind is {kind}")
        }));
    }
    let Some(Value::Array(items)) = doc.get("items") else {
        return Err(not_a_list("it has no items array".to_owned()));
    };
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(not_a_list(format!("item {i} is not an object")));
        }
        if let Some(k) = item.get("kind").and_then(Value::as_str) {
            if k != what.kind() {
                return Err(not_a_list(format!("item {i} is a {k}")));
            }
        }
    }
    Ok(items)
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn owned(v: &Value, pointer: &str) -> Option<String> {
    text(v, pointer).filter(|s| !s.is_empty()).map(clip)
}

fn required(v: &Value, pointer: &str) -> Result<String, String> {
    owned(v, pointer).ok_or_else(|| format!("{pointer} is missing"))
}

/// The condition of `type` in `status.conditions`.
fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

/// `True` / `False`; `Unknown` (and anything else) is `None`.
fn condition_status(c: Option<&Value>) -> Option<bool> {
    match c?.get("status")?.as_str()? {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

fn pod(item: &Value) -> Result<PodReport, String> {
    let owner = item
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        })
        .and_then(|r| Some(format!("{}/{}", text(r, "/kind")?, text(r, "/name")?)))
        .map(|o| clip(&o));
    let mut containers = Vec::new();
    for (spec, statuses, init) in [
        (
            "/spec/initContainers",
            "/status/initContainerStatuses",
            true,
        ),
        ("/spec/containers", "/status/containerStatuses", false),
    ] {
        let statuses = item.pointer(statuses).and_then(Value::as_array);
        for c in item
            .pointer(spec)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required(c, "/name")?;
            let status = statuses.and_then(|s| {
                s.iter()
                    .find(|s| s.get("name").and_then(Value::as_str) == Some(&name))
            });
            let restarts = status
                .and_then(|s| s.get("restartCount"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            containers.push(ContainerReport {
                image: required(c, "/image").map_err(|e| format!("container {name}: {e}"))?,
                // The kubelet writes "" until the image has been pulled.
                image_id: status.and_then(|s| owned(s, "/imageID")),
                ready: status
                    .and_then(|s| s.get("ready"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                restarts: u32::try_from(restarts).unwrap_or(u32::MAX),
                init,
                name,
            });
        }
    }
    Ok(PodReport {
        namespace: required(item, "/metadata/namespace")?,
        name: required(item, "/metadata/name")?,
        owner,
        node: owned(item, "/spec/nodeName"),
        // The API server sets Pending when it creates a pod; a document captured before that
        // (or by a tool that drops empty status) says nothing else.
        phase: owned(item, "/status/phase").unwrap_or_else(|| "Pending".to_owned()),
        ready: condition_status(condition(item, "Ready")) == Some(true),
        containers,
    })
}

fn node(item: &Value) -> Result<NodeReport, String> {
    Ok(NodeReport {
        name: required(item, "/metadata/name")?,
        ready: condition_status(condition(item, "Ready")) == Some(true),
        kubelet_version: owned(item, "/status/nodeInfo/kubeletVersion"),
        os_image: owned(item, "/status/nodeInfo/osImage"),
        architecture: owned(item, "/status/nodeInfo/architecture"),
    })
}

/// OCIRepository, Kustomization or HelmRelease: the Ready condition as Flux's controllers set
/// it, and the revisions each kind records.
fn flux_object(what: Resource, item: &Value) -> Result<GitOpsObject, String> {
    let ready_condition = condition(item, "Ready");
    // A Ready condition observed at an older generation speaks of the previous spec: the
    // controller has not reconciled the change yet, so it is neither ready nor failed.
    let generation = item.pointer("/metadata/generation").and_then(Value::as_u64);
    let observed = ready_condition
        .and_then(|c| c.get("observedGeneration"))
        .and_then(Value::as_u64);
    let stale = matches!((generation, observed), (Some(g), Some(o)) if o < g);
    let mut object = GitOpsObject {
        kind: what.kind().to_owned(),
        namespace: required(item, "/metadata/namespace")?,
        name: required(item, "/metadata/name")?,
        ready: if stale {
            None
        } else {
            condition_status(ready_condition)
        },
        reason: ready_condition.and_then(|c| owned(c, "/reason")),
        message: ready_condition.and_then(|c| owned(c, "/message")),
        artifact_revision: None,
        source_verified: None,
        last_applied_revision: None,
        last_attempted_revision: None,
    };
    match what {
        Resource::OciRepositories => {
            object.artifact_revision = owned(item, "/status/artifact/revision");
            object.source_verified = condition_status(condition(item, "SourceVerified"));
        }
        Resource::Kustomizations => {
            object.last_applied_revision = owned(item, "/status/lastAppliedRevision");
            object.last_attempted_revision = owned(item, "/status/lastAttemptedRevision");
        }
        Resource::HelmReleases => {
            // helm.toolkit.fluxcd.io/v2 keeps its releases in status.history (newest first);
            // lastAppliedRevision is only written by older controllers.
            // After a failed upgrade the newest snapshot is `failed` and the one before it
            // is still `deployed`: that one runs.
            let deployed = item
                .pointer("/status/history")
                .and_then(Value::as_array)
                .and_then(|h| h.iter().find(|s| text(s, "/status") == Some("deployed")))
                .and_then(|s| owned(s, "/chartVersion"));
            object.last_applied_revision =
                deployed.or_else(|| owned(item, "/status/lastAppliedRevision"));
            object.last_attempted_revision = owned(item, "/status/lastAttemptedRevision");
        }
        _ => {}
    }
    Ok(object)
}

/// An Argo CD Application: ready when Healthy and Synced; failed when Degraded, Missing or
/// OutOfSync; unknown while Progressing or before Argo CD has looked at it.
fn argo_application(item: &Value) -> Result<GitOpsObject, String> {
    let sync = text(item, "/status/sync/status");
    let health = text(item, "/status/health/status");
    let ready = match (sync, health) {
        (Some("Synced"), Some("Healthy")) => Some(true),
        (_, Some("Progressing" | "Suspended")) | (None, _) | (_, None) => None,
        (Some("Unknown"), Some("Healthy")) | (Some(_), Some("Unknown")) => None,
        _ => Some(false),
    };
    let reason = match (sync, health) {
        (None, None) => None,
        (s, h) => Some(format!(
            "{}/{}",
            s.unwrap_or("Unknown"),
            h.unwrap_or("Unknown")
        )),
    };
    let message = owned(item, "/status/health/message").or_else(|| {
        item.pointer("/status/conditions/0")
            .and_then(|c| owned(c, "/message"))
    });
    Ok(GitOpsObject {
        kind: Resource::ArgoApplications.kind().to_owned(),
        namespace: required(item, "/metadata/namespace")?,
        name: required(item, "/metadata/name")?,
        ready,
        reason,
        message,
        artifact_revision: None,
        source_verified: None,
        last_applied_revision: owned(item, "/status/sync/revision"),
        last_attempted_revision: owned(item, "/status/operationState/syncResult/revision"),
    })
}
