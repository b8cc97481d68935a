//! The agent's whole view of Kubernetes: list GETs of six resources, behind [`KubeSource`].
//!
//! The agent only ever lists pods, nodes and a few GitOps custom resources, so it talks the
//! Kubernetes REST API directly over reqwest ([`ApiServer`]) instead of pulling kube-rs and
//! k8s-openapi: those generate types for the whole API and add minutes to every clean build,
//! for six GET requests whose answers the report builder reads as plain JSON anyway. The
//! other implementation, [`Files`], reads the same List documents from a directory
//! (`kubectl get pods -A -o json > pods.json`), for tests and for debugging a cluster offline.
//!
//! The agent needs `list` on those six resources and nothing more ([`cluster_role_rules`]).

mod api_server;
mod files;

use std::future::Future;

pub use api_server::{ApiServer, SERVICE_ACCOUNT_DIR};
pub use files::Files;

/// What the agent lists. Each is one `GET` of the cluster-wide collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Pods,
    Nodes,
    /// `source.toolkit.fluxcd.io/v1` OCIRepository.
    OciRepositories,
    /// `kustomize.toolkit.fluxcd.io/v1` Kustomization.
    Kustomizations,
    /// `helm.toolkit.fluxcd.io/v2` HelmRelease.
    HelmReleases,
    /// `argoproj.io/v1alpha1` Application.
    ArgoApplications,
}

impl Resource {
    pub const ALL: [Resource; 6] = [
        Resource::Pods,
        Resource::Nodes,
        Resource::OciRepositories,
        Resource::Kustomizations,
        Resource::HelmReleases,
        Resource::ArgoApplications,
    ];

    /// The API group and version, empty group for the core API.
    pub fn group_version(self) -> (&'static str, &'static str) {
        match self {
            Resource::Pods | Resource::Nodes => ("", "v1"),
            Resource::OciRepositories => ("source.toolkit.fluxcd.io", "v1"),
            Resource::Kustomizations => ("kustomize.toolkit.fluxcd.io", "v1"),
            Resource::HelmReleases => ("helm.toolkit.fluxcd.io", "v2"),
            Resource::ArgoApplications => ("argoproj.io", "v1alpha1"),
        }
    }

    /// The resource's plural name, as in its URL and as `kubectl get <plural>`.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Pods => "pods",
            Resource::Nodes => "nodes",
            Resource::OciRepositories => "ocirepositories",
            Resource::Kustomizations => "kustomizations",
            Resource::HelmReleases => "helmreleases",
            Resource::ArgoApplications => "applications",
        }
    }

    /// The kind of one item (`Pod`); a list is `<Kind>List` from the API server, `List` from kubectl.
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Pods => "Pod",
            Resource::Nodes => "Node",
            Resource::OciRepositories => "OCIRepository",
            Resource::Kustomizations => "Kustomization",
            Resource::HelmReleases => "HelmRelease",
            Resource::ArgoApplications => "Application",
        }
    }

    /// The collection's path on the API server (`/api/v1/pods`, `/apis/<group>/<version>/<plural>`).
    pub fn path(self) -> String {
        match self.group_version() {
            ("", version) => format!("/api/{version}/{}", self.plural()),
            (group, version) => format!("/apis/{group}/{version}/{}", self.plural()),
        }
    }

    /// Core resources always exist; a custom resource whose CRD is not installed (no Flux, or
    /// no Argo CD, in this cluster) simply has no objects.
    pub fn is_optional(self) -> bool {
        !matches!(self, Resource::Pods | Resource::Nodes)
    }

    /// An empty List document, what a resource whose CRD is not installed lists as.
    pub fn empty_list(self) -> serde_json::Value {
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": []})
    }
}

/// The RBAC rules the agent's service account needs (`rules:` of its ClusterRole): `list`
/// on each resource and nothing else, so a bootstrap manifest grants exactly what is read.
pub fn cluster_role_rules() -> serde_json::Value {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for what in Resource::ALL {
        let (group, _) = what.group_version();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, plurals)) => plurals.push(what.plural()),
            None => groups.push((group, vec![what.plural()])),
        }
    }
    groups
        .into_iter()
        .map(|(group, plurals)| {
            serde_json::json!({"apiGroups": [group], "resources": plurals, "verbs": ["list"]})
        })
        .collect()
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.group_version() {
            ("", _) => f.write_str(self.plural()),
            (group, _) => write!(f, "{}.{group}", self.plural()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("reading {what} {path}: {reason}")]
    File {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("{0} is not a Kubernetes API URL: expected https:// or http://")]
    BadUrl(String),
    #[error("listing {resource}: GET {url}: {reason}")]
    Http {
        resource: Resource,
        url: String,
        reason: String,
    },
    #[error("listing {resource}: GET {url}: {status}: {message}")]
    Status {
        resource: Resource,
        url: String,
        status: u16,
        message: String,
    },
    #[error("listing {resource}: {origin} is not JSON: {reason}")]
    NotJson {
        resource: Resource,
        origin: String,
        reason: String,
    },
    #[error("no Kubernetes API configured: not in a pod ({SERVICE_ACCOUNT_DIR} or KUBERNETES_SERVICE_HOST missing); give --kube-api and --kube-token-file, or --from-dir")]
    NotInCluster,
}

/// Where the agent's List documents come from. One method, so that a new source (kube-rs,
/// a proxy) is one impl.
pub trait KubeSource {
    /// The cluster-wide List document of `what` (`kind: List` or `<Kind>List`, with `items`).
    /// A custom resource whose CRD is not installed lists as an empty List, not an error.
    fn list(
        &self,
        what: Resource,
    ) -> impl Future<Output = Result<serde_json::Value, KubeError>> + Send;
}

/// The sources the `ferry agent` command chooses between at run time.
#[derive(Debug)]
pub enum Source {
    ApiServer(ApiServer),
    Files(Files),
}

impl KubeSource for Source {
    async fn list(&self, what: Resource) -> Result<serde_json::Value, KubeError> {
        match self {
            Source::ApiServer(s) => s.list(what).await,
            Source::Files(s) => s.list(what).await,
        }
    }
}

/// Every resource's List, in [`Resource::ALL`] order: what [`crate::report::build`] reads.
pub async fn list_all<S: KubeSource>(source: &S) -> Result<crate::report::Lists, KubeError> {
    let mut lists = crate::report::Lists::default();
    for what in Resource::ALL {
        lists.insert(what, source.list(what).await?);
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_rules_of_every_resource() {
        let paths: Vec<String> = Resource::ALL.iter().map(|r| r.path()).collect();
        assert_eq!(
            paths,
            [
                "/api/v1/pods",
                "/api/v1/nodes",
                "/apis/source.toolkit.fluxcd.io/v1/ocirepositories",
                "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
                "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
                "/apis/argoproj.io/v1alpha1/applications",
            ]
        );
        assert_eq!(
            cluster_role_rules(),
            serde_json::json!([
                {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["list"]},
                {"apiGroups": ["source.toolkit.fluxcd.io"], "resources": ["ocirepositories"], "verbs": ["list"]},
                {"apiGroups": ["kustomize.toolkit.fluxcd.io"], "resources": ["kustomizations"], "verbs": ["list"]},
                {"apiGroups": ["helm.toolkit.fluxcd.io"], "resources": ["helmreleases"], "verbs": ["list"]},
                {"apiGroups": ["argoproj.io"], "resources": ["applications"], "verbs": ["list"]},
            ])
        );
        assert_eq!(
            Resource::HelmReleases.to_string(),
            "helmreleases.helm.toolkit.fluxcd.io"
        );
    }
}
