//! What `helm template` reports as the cluster's capabilities when there is no cluster: a
//! Kubernetes version (settable through `RenderOptions::kube_version`, a
//! [`KubeVersion`](crate::discover::KubeVersion) with the profiles' default) and the API
//! group/versions compiled into Helm's Kubernetes client. Like `helm template`, the default
//! set holds group/versions only (`apps/v1`, not `apps/v1/Deployment`); callers add more
//! (Helm's `--api-versions`) through `RenderOptions::api_versions`.

/// The Helm release whose behaviour the renderer follows and is tested against
/// (`bundler/tests/render_against_helm.rs`), as `.Capabilities.HelmVersion` shows it:
/// version, git commit, tree state and Go version of that release's build.
pub const HELM_VERSION: [&str; 4] = [
    "v3.17.3",
    "e4da49785aa6e6ee2b86efd5dd9e43400318262b",
    "clean",
    "go1.23.7",
];

/// Helm's client-go (v0.33) scheme: every group/version it registers, with the
/// apiextensions groups Helm adds for CRDs.
const BUILT_IN_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1alpha1",
    "certificates.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1alpha1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1alpha1",
    "rbac.authorization.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1beta2",
    "scheduling.k8s.io/v1",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storage.k8s.io/v1beta1",
    "storagemigration.k8s.io/v1alpha1",
    "apiextensions.k8s.io/v1",
    "apiextensions.k8s.io/v1beta1",
];

/// The default API versions, in Helm's spelling.
pub fn api_versions() -> Vec<String> {
    BUILT_IN_API_VERSIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}
