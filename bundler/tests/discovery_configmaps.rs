//! Images in ConfigMap `data` and Secret `stringData` values that hold YAML or JSON: parsed and
//! walked like documents, with images composed from split registry/repository/tag fields.

use ferry_bundler::discover::discover_manifests;
use rstest::rstest;

const OPERATOR_CONFIG: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: op-config
data:
  config.yaml: |
    agent:
      image:
        registry: quay.io
        repository: acme/agent
        tag: v1.2.3
    pullPolicy: IfNotPresent
"#;

const JSON_VALUE: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  settings.json: '{"frontend": {"image": "ghcr.io/acme/web:2.0", "replicas": 2}}'
"#;

const BARE_NAMES: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: jobs
data:
  jobs.yaml: |
    jobs:
      - name: cleanup
        image: busybox
      - name: probe
        image: alpine
"#;

const SHELL_SCRIPT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts
data:
  run.sh: |
    #!/bin/sh
    echo "image: foo"
    exec /bin/agent --image foo
"#;

const SECRET_SPLIT_FIELDS: &str = r#"---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  values.yaml: |
    sidecar:
      image: acme/sidecar
      tag: "0.9"
    db:
      repository: bitnami/postgresql
      digest: sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7
"#;

const RELEASE_NAME_AND_TAG: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: channels
data:
  channels.yaml: |
    - name: stable
      tag: v3
    - name: agent
      registry: quay.io/acme
      tag: v3
"#;

/// Keys an operator reads through `envFrom`, and values that are not config at all.
const ENV_KEYS_AND_BROKEN_TEXT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: operator-env
data:
  RELATED_IMAGE_DB: registry.example.com/acme/db:15.7
  IMAGE_PULL_POLICY: Always
  LOG_LEVEL: debug
  broken.yaml: "image: {registry: quay.io, tag: [1"
  motd: "image: nginx:1.27 is what we run"
"#;

/// trivy-operator's flat keys: split fields under a dotted prefix, and a whole `imageRef`; a
/// repository without a tag (`trivy.dbRepository`) is data, not an image.
const DOTTED_KEYS: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: trivy-operator-trivy-config
data:
  trivy.repository: "mirror.gcr.io/aquasec/trivy"
  trivy.tag: "0.72.0"
  trivy.dbRepository: "mirror.gcr.io/aquasec/trivy-db"
  node.collector.imageRef: "ghcr.io/aquasecurity/node-collector:0.3.1"
  node.collector.imagePullSecret: "pull-secret"
"#;

#[rstest]
#[case::dotted_keys_compose_images(
    DOTTED_KEYS,
    &[
        (
            "ghcr.io/aquasecurity/node-collector:0.3.1",
            "manifests x.yaml:1 ConfigMap/trivy-operator-trivy-config data node.collector.imageRef",
        ),
        (
            "mirror.gcr.io/aquasec/trivy:0.72.0",
            "manifests x.yaml:1 ConfigMap/trivy-operator-trivy-config data trivy.*",
        ),
    ]
)]
#[case::env_keys_and_broken_text(
    ENV_KEYS_AND_BROKEN_TEXT,
    &[(
        "registry.example.com/acme/db:15.7",
        "manifests x.yaml:1 ConfigMap/operator-env data RELATED_IMAGE_DB",
    )]
)]
#[case::operator_yaml_split_fields(
    OPERATOR_CONFIG,
    &[("quay.io/acme/agent:v1.2.3", "manifests x.yaml:1 ConfigMap/op-config data config.yaml")]
)]
#[case::json_value(
    JSON_VALUE,
    &[("ghcr.io/acme/web:2.0", "manifests x.yaml:1 ConfigMap/web-config data settings.json")]
)]
#[case::bare_untagged_names_are_not_library_images(BARE_NAMES, &[])]
#[case::shell_script_is_not_line_scanned(SHELL_SCRIPT, &[])]
#[case::name_beside_a_tag_counts_only_with_a_registry(
    RELEASE_NAME_AND_TAG,
    &[("quay.io/acme/agent:v3", "manifests x.yaml:1 ConfigMap/channels data channels.yaml")]
)]
#[case::secret_string_data(
    SECRET_SPLIT_FIELDS,
    &[
        (
            "docker.io/acme/sidecar:0.9",
            "manifests x.yaml:2 Secret/creds stringData values.yaml",
        ),
        (
            "docker.io/bitnami/postgresql@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7",
            "manifests x.yaml:2 Secret/creds stringData values.yaml",
        ),
    ]
)]
fn configmap_data_images(#[case] yaml: &str, #[case] expected: &[(&str, &str)]) {
    let found = discover_manifests("x.yaml", yaml);
    let json = serde_json::to_value(&found).expect("discovery serialises");
    let mut got: Vec<(String, String)> = json["images"]
        .as_array()
        .expect("images")
        .iter()
        .flat_map(|image| {
            let reference = image["reference"].as_str().unwrap_or_default().to_owned();
            image["origins"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |o| (reference.clone(), o.as_str().unwrap_or_default().to_owned()))
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(r, o)| ((*r).to_owned(), (*o).to_owned()))
        .collect();
    want.sort();
    assert_eq!(got, want, "warnings: {:?}", found.warnings);
}
