//! Chart discovery on small charts written to disk: value shapes, tag defaulting,
//! enabled flags, subchart conditions, hooks and warnings.

use std::io::Write;
use std::path::Path;

use ferry_bundler::discover::{discover_chart, Discovery};
use serde_json::json;

fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write fixture");
    }
}

fn chart_yaml(name: &str, app_version: &str) -> String {
    format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\nappVersion: \"{app_version}\"\n")
}

fn discover(files: &[(&str, &str)], overrides: &[serde_json::Value]) -> Discovery {
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(dir.path(), files);
    discover_chart(dir.path(), overrides).expect("chart is readable")
}

const DEPLOYMENT_HEAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n";

#[test]
fn printf_v_app_version_in_a_helper_prefixes_the_default_tag() {
    let helpers = "{{- define \"c.image\" -}}\n{{- printf \"%s:%s\" .Values.image.repository (default (printf \"v%s\" .Chart.AppVersion) .Values.image.tag) }}\n{{- end }}\n";
    let deployment = format!(
        "{DEPLOYMENT_HEAD}        - name: a\n          image: {{{{ include \"c.image\" . }}}}\n"
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("c", "0.8.0")),
            (
                "values.yaml",
                "image:\n  repository: registry.k8s.io/c/c\n  tag: \"\"\n",
            ),
            ("templates/_helpers.tpl", helpers),
            ("templates/deployment.yaml", &deployment),
        ],
        &[],
    );
    assert_eq!(found.references(), ["registry.k8s.io/c/c:v0.8.0"]);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn plain_app_version_default_and_with_scope_registry_image_shape() {
    let deployment = format!(
        "{DEPLOYMENT_HEAD}        {{{{- with .Values.controller.image }}}}\n        - name: c\n          image: {{{{ if .repository }}}}{{{{ .repository }}}}{{{{ else }}}}{{{{ .registry }}}}/{{{{ .image }}}}{{{{ end }}}}:{{{{ .tag | default $.Chart.AppVersion }}}}{{{{ if .digest }}}}@{{{{ .digest }}}}{{{{ end }}}}\n        {{{{- end }}}}\n"
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("n", "1.2.3")),
            ("values.yaml", "controller:\n  image:\n    registry: registry.k8s.io\n    image: n/controller\n    repository: \"\"\n    tag: \"\"\n"),
            ("templates/deployment.yaml", &deployment),
        ],
        &[],
    );
    assert_eq!(found.references(), ["registry.k8s.io/n/controller:1.2.3"]);
}

#[test]
fn disabled_blocks_and_false_branches_contribute_nothing() {
    let deployment = format!(
        "{DEPLOYMENT_HEAD}        - name: main\n          image: {{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}\n{{{{- if .Values.redis.enabled }}}}\n        - name: redis\n          image: {{{{ .Values.redis.repository }}}}:{{{{ .Values.redis.tag }}}}\n{{{{- end }}}}\n{{{{- if and .Values.persistence.enabled .Values.initChown.enabled }}}}\n        - name: chown\n          image: {{{{ .Values.initChown.image }}}}\n{{{{- end }}}}\n"
    );
    let values = "image:\n  repository: ghcr.io/a/main\n  tag: 1.0.0\nredis:\n  enabled: false\n  repository: redis\n  tag: 7.0.7\npersistence:\n  enabled: false\ninitChown:\n  enabled: true\n  image: busybox:1.36\nunused:\n  image:\n    repository: quay.io/never/referenced\n    tag: \"1\"\n";
    let files = [
        ("Chart.yaml", chart_yaml("p", "1.0.0")),
        ("values.yaml", values.to_owned()),
        ("templates/deployment.yaml", deployment),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    assert_eq!(
        discover(&borrowed, &[]).references(),
        ["ghcr.io/a/main:1.0.0"]
    );

    // Overrides switch the optional parts on; later layers win.
    let on = discover(
        &borrowed,
        &[
            json!({"redis": {"enabled": true}}),
            json!({"persistence": {"enabled": true}, "image": {"tag": "2.0.0"}}),
        ],
    );
    assert_eq!(
        on.references(),
        [
            "docker.io/library/busybox:1.36",
            "docker.io/library/redis:7.0.7",
            "ghcr.io/a/main:2.0.0"
        ]
    );
}

#[test]
fn helm_test_hooks_are_excluded_and_install_hooks_included() {
    let test_pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    \"helm.sh/hook\": test-success\nspec:\n  containers:\n    - name: t\n      image: curlimages/curl:7.69.0\n";
    let install_job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: j\n          image: \"{{ .Values.certgen.image.registry }}/{{ .Values.certgen.image.repository }}:{{ .Values.certgen.image.tag }}\"\n";
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("h", "1.0.0")),
            ("values.yaml", "certgen:\n  image:\n    registry: registry.k8s.io\n    repository: ingress-nginx/kube-webhook-certgen\n    tag: v1.4.4\n"),
            ("templates/tests/test-pod.yaml", test_pod),
            ("templates/job.yaml", install_job),
        ],
        &[],
    );
    assert_eq!(
        found.references(),
        ["registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.4"]
    );
}

#[test]
fn literal_template_images_args_env_and_cr_spec_image() {
    let deployment = format!(
        "{DEPLOYMENT_HEAD}        - name: op\n          image: quay.io/op/operator:v1\n          args:\n            - --reloader-image={{{{ .Values.reloader.image.repository }}}}:{{{{ .Values.reloader.image.tag }}}}\n            - --helper-image=docker.io/library/alpine:3.20\n          env:\n            - name: SIDECAR_IMAGE\n              value: \"{{{{ .Values.sidecar.image }}}}\"\n---\napiVersion: monitoring.example/v1\nkind: Prometheus\nmetadata:\n  name: p\nspec:\n  image: \"{{{{ .Values.server.image.registry }}}}/{{{{ .Values.server.image.repository }}}}:{{{{ .Values.server.image.tag }}}}\"\n"
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("o", "1.0.0")),
            ("values.yaml", "reloader:\n  image:\n    repository: quay.io/op/reloader\n    tag: v2\nsidecar:\n  image: ghcr.io/x/sidecar:1.0\nserver:\n  image:\n    registry: quay.io\n    repository: prometheus/prometheus\n    tag: v3.5.0\n"),
            ("templates/deployment.yaml", &deployment),
        ],
        &[],
    );
    assert_eq!(
        found.references(),
        [
            "docker.io/library/alpine:3.20",
            "ghcr.io/x/sidecar:1.0",
            "quay.io/op/operator:v1",
            "quay.io/op/reloader:v2",
            "quay.io/prometheus/prometheus:v3.5.0",
        ]
    );
}

#[test]
fn release_name_in_an_image_renders_as_helm_template_renders_it() {
    let deployment = format!(
        "{DEPLOYMENT_HEAD}        - name: a\n          image: {{{{ .Release.Name }}}}/app:1\n"
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("w", "1.0.0")),
            ("values.yaml", ""),
            ("templates/deployment.yaml", &deployment),
        ],
        &[],
    );
    assert_eq!(found.references(), ["docker.io/release-name/app:1"]);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn annotations_list_images() {
    let chart = format!(
        "{}annotations:\n  artifacthub.io/images: |\n    - name: app\n      image: ghcr.io/a/app:v1\n  helm.sh/images: |\n    - image: nginx:1.27\n",
        chart_yaml("a", "1")
    );
    let found = discover(&[("Chart.yaml", &chart), ("values.yaml", "")], &[]);
    assert_eq!(
        found.references(),
        ["docker.io/library/nginx:1.27", "ghcr.io/a/app:v1"]
    );
}

/// A subchart as a nested .tgz in the `helm package` layout.
fn sub_tgz(name: &str, values: &str, template: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, text) in [
        ("Chart.yaml", chart_yaml(name, "2.17.0")),
        ("values.yaml", values.to_owned()),
        ("templates/_helpers.tpl", format!("{{{{- define \"{name}.image\" -}}}}\n{{{{- printf \"%s/%s:%s\" (.Values.global.imageRegistry | default .Values.image.registry) .Values.image.repository (default (printf \"v%s\" .Chart.AppVersion) .Values.image.tag) }}}}\n{{{{- end }}}}\n")),
        ("templates/deployment.yaml", template.to_owned()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("{name}/{path}"), text.as_bytes())
            .expect("append");
    }
    let encoder = builder.into_inner().expect("finish tar");
    let mut bytes = encoder.finish().expect("finish gzip");
    bytes.flush().expect("flush");
    bytes
}

#[test]
fn subchart_conditions_values_overrides_and_global_registry() {
    let parent_chart = format!(
        "{}dependencies:\n  - name: ksm\n    version: 1.0.0\n    condition: kubeStateMetrics.enabled\n  - name: exporter\n    version: 1.0.0\n    condition: exporter.enabled\n  - name: web\n    alias: frontend\n    version: 1.0.0\n    condition: frontend.enabled\n",
        chart_yaml("parent", "1.0.0")
    );
    let sub_template = format!(
        "{DEPLOYMENT_HEAD}        - name: a\n          image: {{{{ include \"SUB.image\" . }}}}\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write_files(
        dir.path(),
        &[
            ("Chart.yaml", &parent_chart),
            ("values.yaml", "kubeStateMetrics:\n  enabled: true\nexporter:\n  enabled: false\nksm:\n  image:\n    tag: v9.9.9\nfrontend:\n  enabled: true\nglobal:\n  imageRegistry: \"\"\n"),
            ("charts/web/Chart.yaml", &chart_yaml("web", "3.0.0")),
            ("charts/web/values.yaml", "image:\n  registry: docker.io\n  repository: grafana/grafana\n"),
            ("charts/web/templates/deployment.yaml", &format!("{DEPLOYMENT_HEAD}        - name: w\n          image: {{{{ .Values.image.registry }}}}/{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag | default .Chart.AppVersion }}}}\n")),
        ],
    );
    let ksm_values = "image:\n  registry: registry.k8s.io\n  repository: kube-state-metrics/kube-state-metrics\n  tag: \"\"\n";
    std::fs::write(
        dir.path().join("charts/ksm-1.0.0.tgz"),
        sub_tgz("ksm", ksm_values, &sub_template.replace("SUB", "ksm")),
    )
    .expect("write tgz");
    let exporter_values =
        "image:\n  registry: quay.io\n  repository: prometheus/node-exporter\n  tag: \"\"\n";
    std::fs::write(
        dir.path().join("charts/exporter-1.0.0.tgz"),
        sub_tgz(
            "exporter",
            exporter_values,
            &sub_template.replace("SUB", "exporter"),
        ),
    )
    .expect("write tgz");

    let found = discover_chart(dir.path(), &[]).expect("readable");
    assert_eq!(
        found.references(),
        [
            "docker.io/grafana/grafana:3.0.0",
            "registry.k8s.io/kube-state-metrics/kube-state-metrics:v9.9.9"
        ]
    );

    // The disabled subchart's condition flips; global.imageRegistry flows into every subchart,
    // and is used where a template reads it (the exporter helper) but not where it does not (web).
    let flipped = discover_chart(
        dir.path(),
        &[json!({"exporter": {"enabled": true}, "kubeStateMetrics": {"enabled": false}, "global": {"imageRegistry": "mirror.local:5000"}})],
    )
    .expect("readable");
    assert_eq!(
        flipped.references(),
        [
            "docker.io/grafana/grafana:3.0.0",
            "mirror.local:5000/prometheus/node-exporter:v2.17.0"
        ]
    );
}

#[test]
fn images_inside_range_loops_over_values_maps_and_lists() {
    let deployment = format!(
        "{DEPLOYMENT_HEAD}{{{{- range $name, $c := .Values.components }}}}\n        - name: {{{{ $name }}}}\n          image: \"{{{{ $c.image.repository }}}}:{{{{ $c.image.tag }}}}\"\n{{{{- end }}}}\n{{{{- with .Values.extraContainers }}}}\n{{{{ toYaml . | indent 8 }}}}\n{{{{- end }}}}\n"
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("r", "1.0.0")),
            ("values.yaml", "components:\n  api:\n    image:\n      repository: ghcr.io/r/api\n      tag: \"1\"\n  worker:\n    enabled: false\n    image:\n      repository: ghcr.io/r/worker\n      tag: \"1\"\nextraContainers:\n  - name: shell\n    image: busybox:1.36\n"),
            ("templates/deployment.yaml", &deployment),
        ],
        &[],
    );
    // The template ranges over every component without reading `enabled`, so Helm renders
    // the worker too, and so does ferry.
    assert_eq!(
        found.references(),
        [
            "docker.io/library/busybox:1.36",
            "ghcr.io/r/api:1",
            "ghcr.io/r/worker:1"
        ]
    );
}

fn corpus(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/charts")
        .join(name)
}

#[test]
fn corpus_origins_are_human_readable() {
    // metallb: the frr-k8s .tgz subchart is opened (its condition is read) but disabled.
    let metallb = discover_chart(&corpus("metallb-0.14.9"), &[]).expect("metallb");
    insta::assert_yaml_snapshot!("metallb", metallb);
    let kps = discover_chart(&corpus("kube-prometheus-stack-77.5.0"), &[])
        .expect("kube-prometheus-stack");
    let summary: Vec<String> = kps
        .images
        .iter()
        .map(|i| {
            let origins: Vec<String> = i.origins.iter().map(ToString::to_string).collect();
            format!("{} <- {}", i.reference, origins.join(" | "))
        })
        .collect();
    insta::assert_yaml_snapshot!("kube-prometheus-stack", summary);
}

#[test]
fn corpus_chart_as_tgz_matches_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tgz = dir.path().join("podinfo-6.4.0.tgz");
    let file = std::fs::File::create(&tgz).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    builder
        .append_dir_all("podinfo", corpus("podinfo-6.4.0"))
        .expect("append");
    builder.into_inner().expect("tar").finish().expect("gzip");
    let from_tgz = discover_chart(&tgz, &[]).expect("tgz");
    let from_dir = discover_chart(&corpus("podinfo-6.4.0"), &[]).expect("dir");
    assert_eq!(
        from_tgz.references(),
        ["ghcr.io/stefanprodan/podinfo:6.4.0"]
    );
    assert_eq!(from_tgz.references(), from_dir.references());
}

#[test]
fn enabled_dependency_that_is_not_vendored_is_a_warning() {
    let chart = format!(
        "{}dependencies:\n  - name: redis\n    version: 18.x\n    condition: redis.enabled\n  - name: postgresql\n    version: 13.x\n    condition: postgresql.enabled\n",
        chart_yaml("app", "1.0.0")
    );
    let found = discover(
        &[
            ("Chart.yaml", &chart),
            (
                "values.yaml",
                "redis:\n  enabled: true\npostgresql:\n  enabled: false\n",
            ),
        ],
        &[],
    );
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    assert!(
        found.warnings[0].message.contains("redis"),
        "{}",
        found.warnings[0]
    );
}

#[test]
fn helper_built_tags_render_with_the_assumed_kubernetes_version() {
    let helpers = "{{- define \"chart.KubernetesVersion\" -}}\n{{- $minorVersion := .Capabilities.KubeVersion.Minor | regexFind \"[0-9]+\" -}}\n{{- printf \"%s.%s\" .Capabilities.KubeVersion.Major $minorVersion -}}\n{{- end -}}\n{{- define \"k.kubectl.image\" -}}\n{{- if .Values.kubectl.image.digest -}}\n{{- printf \"%s@%s\" .Values.kubectl.image.repository .Values.kubectl.image.digest -}}\n{{- else if .Values.kubectl.image.tag -}}\n{{- printf \"%s:%s\" .Values.kubectl.image.repository .Values.kubectl.image.tag -}}\n{{- else -}}\n{{- printf \"%s:%s\" .Values.kubectl.image.repository (include \"chart.KubernetesVersion\" .) -}}\n{{- end -}}\n{{- end -}}\n";
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: crds\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: kubectl\n          image: {{ template \"k.kubectl.image\" . }}\n";
    let found = discover(
        &[
            ("Chart.yaml", &chart_yaml("k", "1.14.0")),
            (
                "values.yaml",
                "kubectl:\n  image:\n    repository: docker.io/bitnami/kubectl\n",
            ),
            ("templates/_helpers.tpl", helpers),
            ("templates/job.yaml", job),
        ],
        &[],
    );
    assert_eq!(found.references(), ["docker.io/bitnami/kubectl:1.33"]);
}

#[test]
fn dict_argument_helpers_fall_back_to_the_value_block_with_global_registry() {
    // Bitnami style: the image helper takes a dict, so the line cannot be rendered; the block
    // it is given is rendered from values, `global.imageRegistry` winning over the block's own.
    let helpers = "{{- define \"common.images.image\" -}}\n{{- $registryName := default .imageRoot.registry ((.global).imageRegistry) -}}\n{{- printf \"%s/%s:%s\" $registryName .imageRoot.repository .imageRoot.tag -}}\n{{- end -}}\n{{- define \"app.image\" -}}\n{{ include \"common.images.image\" (dict \"imageRoot\" .Values.image \"global\" .Values.global) }}\n{{- end -}}\n";
    let deployment = format!("{DEPLOYMENT_HEAD}        - name: app\n          image: {{{{ template \"app.image\" . }}}}\n{{{{- if .Values.metrics.enabled }}}}\n        - name: metrics\n          image: {{{{ include \"common.images.image\" (dict \"imageRoot\" .Values.metrics.image \"global\" .Values.global) }}}}\n{{{{- end }}}}\n");
    let values = "global:\n  imageRegistry: \"\"\nimage:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4-debian-12-r9\n  digest: \"\"\nmetrics:\n  enabled: false\n  image:\n    registry: docker.io\n    repository: bitnami/redis-exporter\n    tag: 1.58.0\n";
    let files = [
        ("Chart.yaml", chart_yaml("redis", "7.2.4")),
        ("values.yaml", values.to_owned()),
        ("templates/_helpers.tpl", helpers.to_owned()),
        ("templates/deployment.yaml", deployment),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let found = discover(&borrowed, &[]);
    assert_eq!(
        found.references(),
        ["docker.io/bitnami/redis:7.2.4-debian-12-r9"]
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let mirrored = discover(
        &borrowed,
        &[json!({"global": {"imageRegistry": "mirror.local:5000"}, "metrics": {"enabled": true}})],
    );
    assert_eq!(
        mirrored.references(),
        [
            "mirror.local:5000/bitnami/redis-exporter:1.58.0",
            "mirror.local:5000/bitnami/redis:7.2.4-debian-12-r9"
        ]
    );
}
