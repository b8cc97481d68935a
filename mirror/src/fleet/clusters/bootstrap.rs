//! A cluster's bootstrap manifest: what `kubectl apply -f` needs once so that the cluster's Flux
//! follows its desired-state artifact and its agent reports back. Deterministic (the same
//! cluster, credential and settings give the same bytes), multi-document YAML:
//!
//! - Namespace `ferry-system`;
//! - Secret `ferry-mirror-credentials` (`kubernetes.io/dockerconfigjson`): the cluster's credential for
//!   the mirror, the OCIRepository's `secretRef` (it may pull only `fleet/<name>`);
//! - Secret `cosign-pub` with `cosign.pub`, the appliance's signing key, for `verify`;
//! - Secret `ferry-mirror-ca` with `ca.crt`, when the mirror's CA is configured (`certSecretRef`);
//! - OCIRepository `ferry-desired` following `oci://<mirror>/fleet/<name>:current`;
//! - Kustomization `ferry-desired` applying it (prune, wait);
//! - the agent: ServiceAccount, ClusterRole (read pods, nodes and Flux objects),
//!   ClusterRoleBinding, Secret `ferry-agent-credential`, Deployment `ferry-agent`.
//!
//! The agent's image is `<mirror>/ferry/agent:<version>`: a name this appliance does not make
//! up content for; import the agent image under it (or edit the Deployment) before applying.

use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::Cluster;
use crate::fleet::Fleet;

pub const NAMESPACE: &str = "ferry-system";
/// Repository of the agent's image in the mirror; the tag is this appliance's version.
pub const AGENT_IMAGE_REPOSITORY: &str = "ferry/agent";
const SOURCE: &str = "ferry-desired";
/// The desired state's chart sources name the same Secret.
const REGISTRY_SECRET: &str = crate::fleet::desired::REGISTRY_SECRET;
const COSIGN_SECRET: &str = "cosign-pub";
const CA_SECRET: &str = "ferry-mirror-ca";
const AGENT: &str = "ferry-agent";
const AGENT_CREDENTIAL_SECRET: &str = "ferry-agent-credential";

/// A YAML node whose maps keep the order written (Kubernetes readers expect `apiVersion` and
/// `kind` first; serde_json's maps would sort them).
enum Y {
    S(String),
    B(bool),
    I(i64),
    M(Vec<(&'static str, Y)>),
    L(Vec<Y>),
}

impl Serialize for Y {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Y::S(v) => s.serialize_str(v),
            Y::B(v) => s.serialize_bool(*v),
            Y::I(v) => s.serialize_i64(*v),
            Y::M(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Y::L(items) => {
                let mut l = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    l.serialize_element(i)?;
                }
                l.end()
            }
        }
    }
}

fn s(v: impl Into<String>) -> Y {
    Y::S(v.into())
}

fn strs(items: &[&str]) -> Y {
    Y::L(items.iter().map(|i| s(*i)).collect())
}

fn object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespaced: bool,
    rest: Vec<(&'static str, Y)>,
) -> Y {
    let mut meta = vec![("name", s(name))];
    if namespaced {
        meta.push(("namespace", s(NAMESPACE)));
    }
    meta.push((
        "labels",
        Y::M(vec![("app.kubernetes.io/managed-by", s("ferry"))]),
    ));
    let mut entries = vec![
        ("apiVersion", s(api_version)),
        ("kind", s(kind)),
        ("metadata", Y::M(meta)),
    ];
    entries.extend(rest);
    Y::M(entries)
}

fn secret(name: &str, kind: &str, data: Vec<(&'static str, Y)>) -> Y {
    object(
        "v1",
        "Secret",
        name,
        true,
        vec![("type", s(kind)), ("stringData", Y::M(data))],
    )
}

/// The manifest for `cluster` with `credential` (`cluster/<name>:<secret>`).
pub fn bootstrap_manifest(fleet: &Fleet, cluster: &Cluster, credential: &str) -> String {
    let settings = &fleet.settings;
    let host = settings.mirror_host.as_str();
    let public_key = fleet.signer.as_ref().map(|k| k.public_key_pem().to_owned());
    let (user, password) = credential.split_once(':').unwrap_or((credential, ""));
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let docker_config = serde_json::json!({
        "auths": {host: {"username": user, "password": password, "auth": auth}}
    })
    .to_string();

    let mut docs: Vec<(Option<String>, Y)> = Vec::new();
    docs.push((
        Some(format!(
            "ferry bootstrap for cluster {} (mirror {host}); apply once: kubectl apply -f FILE",
            cluster.name
        )),
        object("v1", "Namespace", NAMESPACE, false, vec![]),
    ));
    docs.push((
        None,
        secret(
            REGISTRY_SECRET,
            "kubernetes.io/dockerconfigjson",
            vec![(".dockerconfigjson", s(docker_config))],
        ),
    ));
    if let Some(pem) = &public_key {
        docs.push((
            None,
            secret(
                COSIGN_SECRET,
                "Opaque",
                vec![("cosign.pub", s(pem.clone()))],
            ),
        ));
    }
    if let Some(ca) = &settings.mirror_ca_pem {
        docs.push((
            None,
            secret(CA_SECRET, "Opaque", vec![("ca.crt", s(ca.clone()))]),
        ));
    }
    let mut spec = vec![
        ("interval", s("1m")),
        ("url", s(format!("oci://{host}/fleet/{}", cluster.name))),
        ("ref", Y::M(vec![("tag", s("current"))])),
        ("secretRef", Y::M(vec![("name", s(REGISTRY_SECRET))])),
    ];
    if settings.mirror_ca_pem.is_some() {
        spec.push(("certSecretRef", Y::M(vec![("name", s(CA_SECRET))])));
    }
    if public_key.is_some() {
        spec.push((
            "verify",
            Y::M(vec![
                ("provider", s("cosign")),
                ("secretRef", Y::M(vec![("name", s(COSIGN_SECRET))])),
            ]),
        ));
    }
    let unsigned_note = public_key.is_none().then(|| {
        "this appliance has no signing key (serve --fleet-key): its artifacts are unsigned, \
         so the OCIRepository below does not verify them"
            .to_owned()
    });
    docs.push((
        unsigned_note,
        object(
            "source.toolkit.fluxcd.io/v1",
            "OCIRepository",
            SOURCE,
            true,
            vec![("spec", Y::M(spec))],
        ),
    ));
    docs.push((
        None,
        object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            SOURCE,
            true,
            vec![(
                "spec",
                Y::M(vec![
                    ("interval", s("5m")),
                    (
                        "sourceRef",
                        Y::M(vec![("kind", s("OCIRepository")), ("name", s(SOURCE))]),
                    ),
                    ("path", s("./")),
                    ("prune", Y::B(true)),
                    ("wait", Y::B(true)),
                ]),
            )],
        ),
    ));
    docs.extend(agent_documents(
        cluster,
        credential,
        host,
        settings.mirror_ca_pem.is_some(),
    ));

    let mut out = String::new();
    for (comment, doc) in docs {
        out.push_str("---\n");
        if let Some(c) = comment {
            out.push_str(&format!("# {c}\n"));
        }
        // Serializing these plain strings, booleans, maps and lists cannot fail.
        out.push_str(&serde_saphyr::to_string(&doc).unwrap_or_default());
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn agent_documents(
    cluster: &Cluster,
    credential: &str,
    host: &str,
    with_ca: bool,
) -> Vec<(Option<String>, Y)> {
    let read = |groups: &[&str], resources: &[&str]| {
        Y::M(vec![
            ("apiGroups", strs(groups)),
            ("resources", strs(resources)),
            ("verbs", strs(&["get", "list"])),
        ])
    };
    let rules = Y::L(vec![
        read(&[""], &["pods", "nodes"]),
        read(
            &["source.toolkit.fluxcd.io"],
            &["ocirepositories", "helmrepositories", "helmcharts"],
        ),
        read(&["kustomize.toolkit.fluxcd.io"], &["kustomizations"]),
        read(&["helm.toolkit.fluxcd.io"], &["helmreleases"]),
        // Without it the API server answers 403 whether or not Argo CD is installed.
        read(&["argoproj.io"], &["applications"]),
    ]);
    let mut args = vec![
        "agent".to_owned(),
        "--server".to_owned(),
        format!("https://{host}"),
        "--credential".to_owned(),
        "/etc/ferry/credential".to_owned(),
        "--interval".to_owned(),
        format!("{}s", cluster.report_interval_seconds),
        // The credential is a read-only Secret mount; the sequence state needs a writable place.
        "--state".to_owned(),
        "/var/lib/ferry/agent.state".to_owned(),
    ];
    let mut mounts = vec![Y::M(vec![
        ("name", s("credential")),
        ("mountPath", s("/etc/ferry/credential")),
        ("subPath", s("credential")),
        ("readOnly", Y::B(true)),
    ])];
    mounts.push(Y::M(vec![
        ("name", s("state")),
        ("mountPath", s("/var/lib/ferry")),
    ]));
    let mut volumes = vec![
        Y::M(vec![
            ("name", s("credential")),
            (
                "secret",
                Y::M(vec![("secretName", s(AGENT_CREDENTIAL_SECRET))]),
            ),
        ]),
        Y::M(vec![("name", s("state")), ("emptyDir", Y::M(vec![]))]),
    ];
    if with_ca {
        args.extend(["--ca".to_owned(), "/etc/ferry/ca/ca.crt".to_owned()]);
        mounts.push(Y::M(vec![
            ("name", s("mirror-ca")),
            ("mountPath", s("/etc/ferry/ca")),
            ("readOnly", Y::B(true)),
        ]));
        volumes.push(Y::M(vec![
            ("name", s("mirror-ca")),
            ("secret", Y::M(vec![("secretName", s(CA_SECRET))])),
        ]));
    }
    let selector = || Y::M(vec![("app.kubernetes.io/name", s(AGENT))]);
    let container = Y::M(vec![
        ("name", s("agent")),
        (
            "image",
            s(format!(
                "{host}/{AGENT_IMAGE_REPOSITORY}:{}",
                env!("CARGO_PKG_VERSION")
            )),
        ),
        ("command", strs(&["ferry"])),
        ("args", Y::L(args.into_iter().map(Y::S).collect())),
        ("volumeMounts", Y::L(mounts)),
        (
            "securityContext",
            Y::M(vec![
                ("runAsNonRoot", Y::B(true)),
                ("readOnlyRootFilesystem", Y::B(true)),
                ("allowPrivilegeEscalation", Y::B(false)),
            ]),
        ),
    ]);
    vec![
        (
            Some(format!(
                "the agent: reads pods, nodes and Flux objects, reports as cluster/{}",
                cluster.name
            )),
            object("v1", "ServiceAccount", AGENT, true, vec![]),
        ),
        (
            None,
            object(
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                AGENT,
                false,
                vec![("rules", rules)],
            ),
        ),
        (
            None,
            object(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                AGENT,
                false,
                vec![
                    (
                        "roleRef",
                        Y::M(vec![
                            ("apiGroup", s("rbac.authorization.k8s.io")),
                            ("kind", s("ClusterRole")),
                            ("name", s(AGENT)),
                        ]),
                    ),
                    (
                        "subjects",
                        Y::L(vec![Y::M(vec![
                            ("kind", s("ServiceAccount")),
                            ("name", s(AGENT)),
                            ("namespace", s(NAMESPACE)),
                        ])]),
                    ),
                ],
            ),
        ),
        (
            None,
            secret(
                AGENT_CREDENTIAL_SECRET,
                "Opaque",
                vec![("credential", s(format!("{credential}\n")))],
            ),
        ),
        (
            None,
            object(
                "apps/v1",
                "Deployment",
                AGENT,
                true,
                vec![(
                    "spec",
                    Y::M(vec![
                        ("replicas", Y::I(1)),
                        ("selector", Y::M(vec![("matchLabels", selector())])),
                        (
                            "template",
                            Y::M(vec![
                                ("metadata", Y::M(vec![("labels", selector())])),
                                (
                                    "spec",
                                    Y::M(vec![
                                        ("serviceAccountName", s(AGENT)),
                                        ("containers", Y::L(vec![container])),
                                        ("volumes", Y::L(volumes)),
                                    ]),
                                ),
                            ]),
                        ),
                    ]),
                )],
            ),
        ),
    ]
}
