//! Images a container passes on to what it runs: `*IMAGE*` environment values (one image or a
//! `version=image` map) and image flags in `args`/`command`, in every workload kind's pod spec.

use ferry_bundler::discover::discover_manifests;
use rstest::rstest;

/// An operator in the style of OLM bundles: the operand images are `RELATED_IMAGE_*` env vars.
const OPERATOR: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: db-operator
spec:
  template:
    spec:
      containers:
        - name: manager
          image: quay.io/acme/db-operator:v2.4.0
          args:
            - --leader-elect
            - --sidecar-image
            - quay.io/acme/db-sidecar:v2.4.0
            - --metrics-bind-address=:8080
          env:
            - name: RELATED_IMAGE_POSTGRES
              value: registry.acme.io/postgres:16.3
            - name: RELATED_IMAGE_PGBOUNCER
              value: "registry.acme.io/pgbouncer:1.22.1"
            - name: BACKUP_IMAGE
              value: ghcr.io/acme/backup@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7
            - name: POSTGRES_VERSIONS_IMAGES
              value: 15=registry.acme.io/postgres:15.7,16=registry.acme.io/postgres:16.3
            - name: LOG_LEVEL
              value: info
            - name: IMAGE_PULL_POLICY
              value: Always
            - name: IMAGE_PULL_SECRET
              value: regcred
            - name: DEFAULT_IMAGE_PULL_SECRET
              value: acme/secret:1
            - name: EXPORTER_IMAGE
              value: "{{ .Values.exporter }}"
            - name: NOTE_IMAGE
              value: "see acme/worker:3 here"
            - name: WATCH_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
"#;

/// prometheus-operator passes its reloader as `--prometheus-config-reloader=<ref>`.
const PROMETHEUS_OPERATOR: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: prometheus-operator
spec:
  template:
    spec:
      containers:
        - name: operator
          image: quay.io/prometheus-operator/prometheus-operator:v0.75.0
          args:
            - --kubelet-service=kube-system/kubelet
            - --prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:v0.75.0
            - --config-reloader-cpu-request=10m
            - --web.listen-address=0.0.0.0:8080
            - --thanos-default-base-image=quay.io/thanos/thanos:v0.35.1
"#;

/// A CronJob whose init container passes an image; the job's own container takes one in `command`.
const CRONJOB: &str = r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: mirror-sync
spec:
  schedule: "*/30 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: prepare
              image: busybox:1.36
              env:
                - name: SIDECAR_IMAGE
                  value: docker.io/acme/sync-sidecar:1.0.2
          containers:
            - name: sync
              image: ghcr.io/acme/sync:2.0.0
              command: ["/sync", "--image=ghcr.io/acme/payload:2.0.0", "--tmp=/tmp"]
"#;

/// Longhorn's manager names its engine and instance-manager images as container args.
const DAEMONSET: &str = r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: longhorn-manager
spec:
  template:
    spec:
      containers:
        - name: longhorn-manager
          image: longhornio/longhorn-manager:v1.7.2
          command:
            - longhorn-manager
            - daemon
            - --engine-image
            - "longhornio/longhorn-engine:v1.7.2"
            - --instance-manager-image
            - longhornio/longhorn-instance-manager:v1.7.2
            - --manager-image
            - --service-account
            - longhorn-service-account
"#;

#[rstest]
#[case::operator_env(
    OPERATOR,
    &[
        "ghcr.io/acme/backup@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7",
        "quay.io/acme/db-operator:v2.4.0",
        "quay.io/acme/db-sidecar:v2.4.0",
        "registry.acme.io/pgbouncer:1.22.1",
        "registry.acme.io/postgres:15.7",
        "registry.acme.io/postgres:16.3",
    ]
)]
#[case::prometheus_operator_args(
    PROMETHEUS_OPERATOR,
    &[
        "quay.io/prometheus-operator/prometheus-config-reloader:v0.75.0",
        "quay.io/prometheus-operator/prometheus-operator:v0.75.0",
        "quay.io/thanos/thanos:v0.35.1",
    ]
)]
#[case::cronjob_init_env_and_command(
    CRONJOB,
    &[
        "docker.io/acme/sync-sidecar:1.0.2",
        "docker.io/library/busybox:1.36",
        "ghcr.io/acme/payload:2.0.0",
        "ghcr.io/acme/sync:2.0.0",
    ]
)]
#[case::daemonset_standalone_flags(
    DAEMONSET,
    &[
        "docker.io/longhornio/longhorn-engine:v1.7.2",
        "docker.io/longhornio/longhorn-instance-manager:v1.7.2",
        "docker.io/longhornio/longhorn-manager:v1.7.2",
    ]
)]
fn finds_exactly_the_images_pod_specs_pass_on(#[case] yaml: &str, #[case] expected: &[&str]) {
    let found = discover_manifests("workload.yaml", yaml);
    assert_eq!(found.references(), expected, "{:#?}", found.images);
}

#[rstest]
#[case::env_var(
    OPERATOR,
    "registry.acme.io/pgbouncer:1.22.1",
    "manifests workload.yaml:20 Deployment/db-operator container manager env RELATED_IMAGE_PGBOUNCER"
)]
#[case::version_map(
    OPERATOR,
    "registry.acme.io/postgres:15.7",
    "manifests workload.yaml:24 Deployment/db-operator container manager env POSTGRES_VERSIONS_IMAGES"
)]
#[case::standalone_flag(
    OPERATOR,
    "quay.io/acme/db-sidecar:v2.4.0",
    "manifests workload.yaml:14 Deployment/db-operator container manager arg --sidecar-image"
)]
#[case::flag_with_value(
    PROMETHEUS_OPERATOR,
    "quay.io/prometheus-operator/prometheus-config-reloader:v0.75.0",
    "manifests workload.yaml:13 Deployment/prometheus-operator container operator arg --prometheus-config-reloader"
)]
#[case::init_container_env(
    CRONJOB,
    "docker.io/acme/sync-sidecar:1.0.2",
    "manifests workload.yaml:16 CronJob/mirror-sync container prepare env SIDECAR_IMAGE"
)]
#[case::command_flag(
    CRONJOB,
    "ghcr.io/acme/payload:2.0.0",
    "manifests workload.yaml:20 CronJob/mirror-sync container sync arg --image"
)]
fn origin_names_the_container_and_the_variable_or_flag(
    #[case] yaml: &str,
    #[case] reference: &str,
    #[case] origin: &str,
) {
    let found = discover_manifests("workload.yaml", yaml);
    let image = found
        .images
        .iter()
        .find(|i| i.reference == reference)
        .unwrap_or_else(|| panic!("{reference} not found in {:#?}", found.images));
    assert_eq!(image.origin.to_string(), origin);
}

/// Longhorn's driver deployer passes CSI sidecar images only as env values (literal or rendered
/// from values, next to pull settings and templated values nothing explains); its manager takes
/// the engine image as the item after a lone `--engine-image` flag.
#[test]
fn chart_templates_env_values_and_lone_image_flags_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: csi\nversion: 1.0.0\nappVersion: \"1.0.0\"\n",
        ),
        (
            "values.yaml",
            "csi:\n  provisionerTag: v5.0.1\n  pullPolicy: IfNotPresent\n",
        ),
        (
            "templates/deployer.yaml",
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: driver-deployer
spec:
  template:
    spec:
      containers:
        - name: deployer
          image: longhornio/longhorn-manager:v1.7.2
          env:
            - name: CSI_ATTACHER_IMAGE
              value: "longhornio/csi-attacher:v4.6.1"
            - name: CSI_PROVISIONER_IMAGE
              value: longhornio/csi-provisioner:{{ .Values.csi.provisionerTag }}
            - name: IMAGE_PULL_POLICY
              value: {{ .Values.csi.pullPolicy }}
            - name: CSI_SNAPSHOTTER_IMAGE
              value: longhornio/csi-snapshotter:{{ .Values.csi.unknownTag }}
            - name: LOG_LEVEL
              value: "acme/not-an-image:1"
"#,
        ),
        (
            "templates/manager.yaml",
            r#"apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: manager
spec:
  template:
    spec:
      containers:
        - name: manager
          image: longhornio/longhorn-manager:v1.7.2
          command:
            - longhorn-manager
            - --engine-image
            - "longhornio/longhorn-engine:{{ .Values.csi.provisionerTag }}"
            - --backing-image-manager-image
            - --service-account
            - longhorn-service-account
"#,
        ),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let found = ferry_bundler::discover::discover_chart(dir.path(), &[]).expect("chart reads");
    assert_eq!(
        found.references(),
        [
            "docker.io/longhornio/csi-attacher:v4.6.1",
            "docker.io/longhornio/csi-provisioner:v5.0.1",
            "docker.io/longhornio/longhorn-engine:v5.0.1",
            "docker.io/longhornio/longhorn-manager:v1.7.2",
        ],
        "{:#?}",
        found
    );
    // The deployer renders `value: longhornio/csi-snapshotter:` (the tag is unset), which is
    // not YAML, as Helm also finds: rendering reaches no image in that document, so the
    // heuristic reads the template's env lines, and what it finds there is a guess.
    let attacher = &found.images[0];
    assert_eq!(
        attacher.origin.to_string(),
        "template chart csi 1.0.0 templates/deployer.yaml:13 for Kubernetes v1.33.0 (guess)"
    );
    let manager = &found.images[2];
    assert!(!manager.is_guess(), "{manager:?}");
    let warnings: Vec<String> = found.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].ends_with("csi/templates/deployer.yaml: document 1: rendered YAML not readable: line 19, column 48: mapping values are not allowed in this context"),
        "{warnings:#?}"
    );
    assert_eq!(
        warnings[1],
        "chart csi 1.0.0 templates/deployer.yaml:19: templated image not resolved from values: \
         image: longhornio/csi-snapshotter:{{…}}"
    );
}
