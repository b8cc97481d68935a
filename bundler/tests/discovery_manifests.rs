//! Manifest and pack discovery.

use std::path::{Path, PathBuf};

use ferry_bundler::discover::{discover_manifests, discover_pack};

const CRONJOB_AND_MORE: &str = r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: wait
              image: busybox:1.36
          containers:
            - name: backup
              image: ghcr.io/acme/backup:2.1.0
              args: ["--helper-image=quay.io/acme/helper:0.1"]
              env:
                - name: WORKER_IMAGE
                  value: acme/worker:3
                - name: MODE
                  value: fast
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox:1.36
  ephemeralContainers:
    - name: dbg
      image: nicolaka/netshoot@sha256:0000000000000000000000000000000000000000000000000000000000000000
---
apiVersion: example.io/v1
kind: Database
metadata:
  name: db
spec:
  image: "{{ .Values.db }}"
"#;

#[test]
fn manifests_cover_cronjobs_init_ephemeral_args_env_and_warn_on_templates() {
    let found = discover_manifests("app.yaml", CRONJOB_AND_MORE);
    insta::assert_yaml_snapshot!(found);
}

fn pack_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/packs/hello-pack")
}

const PACK_IMAGES: [&str; 4] = [
    "docker.io/library/alpine:3.20",
    "docker.io/library/busybox:1.36",
    "docker.io/library/nginx:1.27.0",
    "registry.example/tools/cleanup:0.3.1",
];

#[test]
fn pack_directory_lists_content_images_chart_with_pack_values_and_manifests() {
    let found = discover_pack(&pack_dir()).expect("pack is readable");
    // The chart default tag (appVersion 1.0.0) and disabled sidecar are replaced by the pack's
    // charts.hello values: nginx:1.27.0 and alpine:3.20, not nginx:1.0.0.
    assert_eq!(found.references(), PACK_IMAGES);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let nginx = &found.images[2];
    assert!(
        nginx
            .origins
            .iter()
            .any(|o| o.to_string().contains("pack.content.images")),
        "{:?}",
        nginx.origins
    );
    assert!(
        nginx
            .origins
            .iter()
            .any(|o| o.to_string().contains("chart hello 0.1.0")),
        "{:?}",
        nginx.origins
    );
}

#[test]
fn pack_tarball_gives_the_same_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tarball = dir.path().join("hello-0.1.0.tar.gz");
    let file = std::fs::File::create(&tarball).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    builder
        .append_dir_all("hello", pack_dir())
        .expect("append pack");
    builder.into_inner().expect("tar").finish().expect("gzip");
    let found = discover_pack(&tarball).expect("pack tarball is readable");
    assert_eq!(found.references(), PACK_IMAGES);
}

#[test]
fn pack_without_pack_json_is_an_error_naming_the_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("values.yaml"), "pack: {}\n").expect("write");
    let err = discover_pack(dir.path()).expect_err("no pack.json");
    assert!(err.to_string().contains("pack.json"), "{err}");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
}

#[test]
fn pack_values_with_unquoted_palette_macros_are_read_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in walkdir::WalkDir::new(pack_dir()) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(pack_dir()).expect("under pack");
        let target = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
    let values = "pack:\n  namespace: {{ .spectro.system.namespace }}\n  content:\n    images:\n      - image: docker.io/library/busybox:1.36\ncharts:\n  hello:\n    clusterName: {{ .spectro.system.cluster.name }}\n";
    std::fs::write(dir.path().join("values.yaml"), values).expect("write");
    let found = discover_pack(dir.path()).expect("macros tolerated");
    assert!(
        found
            .references()
            .contains(&"docker.io/library/busybox:1.36"),
        "{:?}",
        found.references()
    );
    assert!(
        found.warnings.iter().any(|w| w.message.contains("macros")),
        "{:?}",
        found.warnings
    );
}

/// Read as a chart's rendered objects are: `helm test` hooks, policies and CRDs hold no images
/// to fetch; other hooks are deployed.
const HOOKS_POLICIES_AND_CRDS: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: smoke
  annotations:
    helm.sh/hook: test
spec:
  containers:
    - name: t
      image: busybox:1.36
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest
spec:
  rules:
    - name: tag
      validate:
        pattern:
          spec:
            containers:
              - image: "!*:latest"
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          properties:
            image:
              default: example/widget:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: pre
  annotations:
    helm.sh/hook: pre-install
spec:
  containers:
    - name: migrate
      image: ghcr.io/acme/migrate:1.0
"#;

/// An unknown kind's `image` counts only when it is plainly a reference; an operator's counts
/// as written; a Tekton step is named like a container.
const UNKNOWN_AND_OPERATOR_KINDS: &str = r#"apiVersion: example.io/v1
kind: Widget
metadata:
  name: w
spec:
  image: widget
  sidecar:
    image: ghcr.io/acme/sidecar:2.0
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: main
spec:
  image: quay.io/prometheus/prometheus
---
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: build
spec:
  steps:
    - name: compile
      image: golang:1.22
"#;

/// Secret `data` is base64; an IstioOperator composes its images from `hub` and `tag`.
const SECRET_DATA_AND_COMPOSED: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: op
data:
  RELATED_IMAGE_DB: cmVnaXN0cnkuZXhhbXBsZS5jb20vYWNtZS9kYjoxNS43
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane
spec:
  hub: docker.io/istio
  tag: 1.22.1
"#;

const IMAGE_VOLUME: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: with-volume
spec:
  containers:
    - name: app
      image: nginx:1.27
  volumes:
    - name: models
      image:
        reference: quay.io/acme/models:v1
"#;

#[rstest::rstest]
#[case::test_hooks_policies_and_crds_are_skipped(
    HOOKS_POLICIES_AND_CRDS,
    &[("ghcr.io/acme/migrate:1.0", "manifests x.yaml:47 Pod/pre container migrate")]
)]
#[case::unknown_kinds_need_a_reference_operators_do_not(
    UNKNOWN_AND_OPERATOR_KINDS,
    &[
        ("docker.io/library/golang:1.22", "manifests x.yaml:24 Task/build container compile"),
        ("ghcr.io/acme/sidecar:2.0", "manifests x.yaml:8 Widget/w"),
        ("quay.io/prometheus/prometheus", "manifests x.yaml:15 Prometheus/main"),
    ]
)]
#[case::secret_data_and_composed_images(
    SECRET_DATA_AND_COMPOSED,
    &[
        ("docker.io/istio/pilot:1.22.1", "manifests x.yaml:8 IstioOperator/control-plane spec.hub+spec.tag (pilot)"),
        ("docker.io/istio/proxyv2:1.22.1", "manifests x.yaml:8 IstioOperator/control-plane spec.hub+spec.tag (proxyv2)"),
        ("registry.example.com/acme/db:15.7", "manifests x.yaml:1 Secret/op data RELATED_IMAGE_DB"),
    ]
)]
#[case::image_volumes(
    IMAGE_VOLUME,
    &[
        ("docker.io/library/nginx:1.27", "manifests x.yaml:8 Pod/with-volume container app"),
        ("quay.io/acme/models:v1", "manifests x.yaml:12 Pod/with-volume volume models"),
    ]
)]
fn manifests_are_read_as_rendered_objects_are(
    #[case] yaml: &str,
    #[case] expected: &[(&str, &str)],
) {
    let found = discover_manifests("x.yaml", yaml);
    let got: Vec<(&str, String)> = found
        .images
        .iter()
        .flat_map(|i| {
            i.origins
                .iter()
                .map(|o| (i.reference.as_str(), o.to_string()))
        })
        .collect();
    let want: Vec<(&str, String)> = expected
        .iter()
        .map(|(r, o)| (*r, (*o).to_owned()))
        .collect();
    assert_eq!(got, want);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}
