//! Rendering small charts end to end: Helm's built-in objects, the shared template set across
//! parent, subcharts and library charts, what is and is not output, and how failures are
//! reported while the rest still renders.

use std::path::Path;

use ferry_bundler::discover::FileSet;
use ferry_bundler::render::{render_chart, KubeVersion, RenderOptions, Rendered};
use rstest::rstest;
use serde_json::{json, Value};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn render_with(files: &[(&str, &str)], overrides: &[Value], options: &RenderOptions) -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let set = FileSet::from_path_as(dir.path(), "chart app 1.0.0").unwrap();
    render_chart(&set, overrides, options).unwrap()
}

fn render(files: &[(&str, &str)]) -> Rendered {
    render_with(files, &[], &RenderOptions::default())
}

const CHART_YAML: &str = "apiVersion: v2
name: app
version: 1.2.3
appVersion: \"4.5\"
description: demo
annotations:
  team: blue
";

/// The value a one-line ConfigMap template gives `data.v`.
fn rendered_value(template: &str, overrides: &[Value], options: &RenderOptions) -> Value {
    let text = format!("kind: ConfigMap\ndata:\n  v: {template}\n");
    let rendered = render_with(
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "image:\n  tag: \"1.0\"\nreplicas: 2\n"),
            ("templates/cm.yaml", &text),
            ("files/a.txt", "alpha"),
            ("files/b.txt", "beta\n"),
        ],
        overrides,
        options,
    );
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    rendered.documents[0].object["data"]["v"].clone()
}

#[rstest]
#[case("{{ .Release.Name }}", json!("release-name"))]
#[case("{{ .Release.Namespace }}", json!("default"))]
#[case("{{ .Release.IsInstall }}-{{ .Release.IsUpgrade }}-{{ .Release.Revision }}", json!("true-false-1"))]
#[case("{{ .Release.Service }}", json!("Helm"))]
#[case("{{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}", json!("app-1.2.3-4.5"))]
#[case("{{ .Chart.APIVersion }}-{{ .Chart.Description }}-{{ .Chart.IsRoot }}", json!("v2-demo-true"))]
#[case("{{ .Chart.Annotations.team }}", json!("blue"))]
#[case("{{ .Template.Name }}", json!("app/templates/cm.yaml"))]
#[case("{{ .Template.BasePath }}", json!("app/templates"))]
// Unquoted, a value prints as YAML reads it: `1.0` is a number again.
#[case("{{ .Values.image.tag }}", json!(1.0))]
#[case("{{ .Values.image.tag | quote }}", json!("1.0"))]
#[case("{{ .Values.replicas }}", json!(2))]
#[case("'{{ .Values.missing }}'", json!(""))]
#[case("{{ .Files.Get \"files/a.txt\" }}", json!("alpha"))]
#[case("{{ len (.Files.Lines \"files/b.txt\") }}", json!(1))]
#[case("'{{ (.Files.Glob \"files/*\").AsConfig | replace \"\\n\" \" \" }}'", json!("a.txt: alpha b.txt: |   beta"))]
#[case("'{{ range $path, $_ := .Files.Glob \"files/*\" }}{{ $path }}={{ $.Files.Get $path | trim }} {{ end }}'", json!("files/a.txt=alpha files/b.txt=beta "))]
#[case("{{ len (.Files.Glob \"files/*\") }}", json!(2))]
#[case("{{ has \"apps/v1\" .Capabilities.APIVersions }}", json!(true))]
#[case("{{ .Capabilities.APIVersions | has \"monitoring.coreos.com/v1/ServiceMonitor\" }}", json!(false))]
#[case("{{ keys (.Files.Glob \"files/*\") | sortAlpha | join \",\" }}", json!("files/a.txt,files/b.txt"))]
#[case("{{ .Capabilities.KubeVersion.Version }}", json!("v1.33.0"))]
#[case("{{ .Capabilities.KubeVersion.Minor }}", json!(33))]
#[case("{{ .Capabilities.APIVersions.Has \"apps/v1\" }}", json!(true))]
#[case("{{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}", json!(false))]
#[case("{{ semverCompare \">=1.30-0\" .Capabilities.KubeVersion.GitVersion }}", json!(true))]
fn built_in_objects_are_helms(#[case] template: &str, #[case] want: Value) {
    assert_eq!(
        rendered_value(template, &[], &RenderOptions::default()),
        want
    );
}

/// `.Capabilities.KubeVersion`'s fields as Helm fills them (`chartutil.ParseKubeVersion`):
/// `Version` and `GitVersion` are `v` and the full semantic version, vendor suffix included.
#[rstest]
#[case("v1.33.0", "v1.33.0", "1", "33")]
#[case("1.30", "v1.30.0", "1", "30")]
#[case("v1.29.4-gke.100", "v1.29.4-gke.100", "1", "29")]
#[case("1.28.3+k3s1", "v1.28.3+k3s1", "1", "28")]
fn capabilities_show_the_kube_version_as_helm_does(
    #[case] set: &str,
    #[case] version: &str,
    #[case] major: &str,
    #[case] minor: &str,
) {
    let options = RenderOptions {
        kube_version: KubeVersion::parse(set).unwrap(),
        ..RenderOptions::default()
    };
    let template = "'{{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.GitVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion }}'";
    assert_eq!(
        rendered_value(template, &[], &options),
        json!(format!("{version} {version} {major} {minor} {version}"))
    );
}

#[test]
fn release_kube_version_and_api_versions_are_settable() {
    let options = RenderOptions {
        release_name: "prod".into(),
        namespace: "apps".into(),
        kube_version: KubeVersion::parse("1.27").unwrap(),
        api_versions: vec!["monitoring.coreos.com/v1".into()],
        include_crds: true,
    };
    let template = "{{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Capabilities.KubeVersion }}/{{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}";
    assert_eq!(
        rendered_value(template, &[], &options),
        json!("prod/apps/v1.27.0/true")
    );
}

#[test]
fn overrides_layer_over_defaults_and_set_wins() {
    let layers = [
        json!({"image": {"tag": "2.0"}}),
        json!({"image": {"tag": "3.0"}}),
    ];
    assert_eq!(
        rendered_value(
            "{{ .Values.image.tag }}",
            &layers,
            &RenderOptions::default()
        ),
        json!(3.0)
    );
}

const UMBRELLA: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - name: lib
  - name: web
    alias: front
  - name: web
    alias: back
    condition: back.enabled
",
    ),
    ("values.yaml", "global:\n  registry: corp.example\nfront:\n  image: nginx\nback:\n  enabled: true\n"),
    (
        "templates/_helpers.tpl",
        "{{- define \"app.name\" -}}parent-{{ .Chart.Name }}{{- end -}}",
    ),
    (
        "templates/cm.yaml",
        "kind: ConfigMap\nmetadata:\n  name: {{ include \"lib.fullname\" . }}\ndata:\n  sub: {{ .Subcharts.front.Values.image }}\n",
    ),
    ("templates/NOTES.txt", "{{ fail \"notes are not rendered\" }}"),
    ("charts/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n"),
    (
        "charts/lib/templates/_lib.tpl",
        "{{- define \"lib.fullname\" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}",
    ),
    ("charts/lib/templates/not-rendered.yaml", "kind: Secret\n"),
    ("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"),
    ("charts/web/values.yaml", "image: httpd\nglobal:\n  registry: docker.io\n"),
    (
        "charts/web/templates/_helpers.tpl",
        "{{- define \"app.name\" -}}child{{- end -}}",
    ),
    (
        "charts/web/templates/deploy.yaml",
        "kind: Deployment
metadata:
  name: {{ .Chart.Name }}
  labels:
    helper: {{ include \"app.name\" . }}
    template: {{ .Template.Name }}
spec:
  template:
    spec:
      containers:
        - name: c
          image: {{ .Values.global.registry }}/{{ .Values.image }}
",
    ),
];

fn deployment<'a>(rendered: &'a Rendered, name: &str) -> &'a Value {
    &rendered
        .documents
        .iter()
        .find(|d| d.object["kind"] == "Deployment" && d.object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no Deployment {name}"))
        .object
}

#[test]
fn subcharts_aliases_and_library_charts_share_one_template_set() {
    let rendered = render(UMBRELLA);
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let front = deployment(&rendered, "front");
    assert_eq!(
        front["spec"]["template"]["spec"]["containers"][0]["image"],
        "corp.example/nginx"
    );
    // The parent's define, parsed last, wins over the subchart's of the same name.
    assert_eq!(front["metadata"]["labels"]["helper"], "parent-front");
    assert_eq!(
        front["metadata"]["labels"]["template"],
        "app/charts/front/templates/deploy.yaml"
    );
    let back = deployment(&rendered, "back");
    assert_eq!(
        back["spec"]["template"]["spec"]["containers"][0]["image"],
        "corp.example/httpd"
    );
    let cm = rendered
        .documents
        .iter()
        .find(|d| d.object["kind"] == "ConfigMap")
        .unwrap();
    // The library's define runs with the caller's context.
    assert_eq!(cm.object["metadata"]["name"], "release-name-app");
    assert_eq!(cm.object["data"]["sub"], "nginx");
    let kinds: Vec<&str> = rendered
        .documents
        .iter()
        .filter_map(|d| d.object["kind"].as_str())
        .collect();
    assert!(
        !kinds.contains(&"Secret"),
        "a library chart renders nothing: {kinds:?}"
    );
    let charts: Vec<&str> = rendered
        .documents
        .iter()
        .map(|d| d.chart.as_str())
        .collect();
    assert!(charts.contains(&"app/charts/back"));
}

#[test]
fn a_condition_switches_an_alias_off() {
    let rendered = render_with(
        UMBRELLA,
        &[json!({"back": {"enabled": false}})],
        &RenderOptions::default(),
    );
    let names: Vec<&Value> = rendered
        .documents
        .iter()
        .map(|d| &d.object["metadata"]["name"])
        .collect();
    assert!(!names.contains(&&json!("back")), "{names:?}");
    assert!(names.contains(&&json!("front")));
}

#[test]
fn a_failing_template_is_a_warning_and_the_others_render() {
    let rendered = render(&[
        ("Chart.yaml", CHART_YAML),
        (
            "templates/a.yaml",
            "kind: A\n{{ fail \"the chart says no\" }}\n",
        ),
        (
            "templates/b.yaml",
            "kind: B\nname: {{ required \"name is required\" .Values.name }}\n",
        ),
        ("templates/c.yaml", "kind: C\n{{ nosuchfunction }}\n"),
        (
            "templates/d.yaml",
            "kind: D\n{{ include \"missing.define\" . }}\n",
        ),
        ("templates/e.yaml", "kind: E\nbad: [unclosed\n"),
        (
            "templates/ok.yaml",
            "kind: Ok\n---\n# only a comment\n---\n\n",
        ),
    ]);
    let kinds: Vec<&str> = rendered
        .documents
        .iter()
        .filter_map(|d| d.object["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["Ok"]);
    let warnings: Vec<String> = rendered.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 5, "{warnings:#?}");
    assert_eq!(
        warnings[0],
        "chart app 1.0.0: app/templates/a.yaml: execution error at (app/templates/a.yaml:2:3): the chart says no"
    );
    assert!(
        warnings[1].ends_with("): name is required"),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[1].contains("(app/templates/b.yaml:2:"),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[2].contains("parse error at (app/templates/c.yaml:2)"),
        "{}",
        warnings[2]
    );
    assert!(
        warnings[3].contains("app/templates/d.yaml:2:"),
        "{}",
        warnings[3]
    );
    assert!(
        warnings[4].starts_with(
            "chart app 1.0.0: app/templates/e.yaml: document 1: rendered YAML not readable: line "
        ),
        "{}",
        warnings[4]
    );
    assert_eq!(
        (rendered.templates_executed, rendered.templates_failed),
        (6, 4)
    );
}

#[test]
fn tests_crds_and_hooks_are_marked() {
    let files = [
        ("Chart.yaml", CHART_YAML),
        ("templates/tests/test-connection.yaml", "kind: Pod\nmetadata:\n  name: t\n"),
        (
            "templates/hook.yaml",
            "kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n---\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    \"helm.sh/hook\": test\n",
        ),
        (
            "crds/widget.yaml",
            "kind: CustomResourceDefinition\nmetadata:\n  name: \"{{ not templated }}\"\n",
        ),
        ("templates/empty.yaml", "{{- if false }}\nkind: Never\n{{- end }}\n"),
    ];
    let rendered = render(&files);
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let summary: Vec<(String, bool, bool)> = rendered
        .documents
        .iter()
        .map(|d| (d.object["metadata"]["name"].to_string(), d.test_hook, d.crd))
        .collect();
    assert_eq!(
        summary,
        [
            ("\"{{ not templated }}\"".to_owned(), false, true),
            ("\"migrate\"".to_owned(), false, false),
            ("\"smoke\"".to_owned(), true, false),
            // Under templates/tests/ but without a test hook: Helm installs it.
            ("\"t\"".to_owned(), false, false),
        ]
    );
    let without_crds = render_with(
        &files,
        &[],
        &RenderOptions {
            include_crds: false,
            ..RenderOptions::default()
        },
    );
    assert!(without_crds.documents.iter().all(|d| !d.crd));
}

#[test]
fn a_top_level_library_chart_renders_nothing_with_a_warning() {
    let rendered = render(&[
        (
            "Chart.yaml",
            "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
        ),
        ("templates/x.yaml", "kind: X\n"),
    ]);
    assert!(rendered.documents.is_empty());
    assert_eq!(rendered.warnings.len(), 1);
}

#[rstest]
#[case(">=1.25.0-0", "v1.33.0", true)]
#[case(">=1.25.0-0", "v1.24.9", false)]
#[case("^1.8.0-0", "v1.33.0", true)]
#[case(">= 1.19.0-0", "v1.29.4-gke.100", true)]
#[case(">=1.21.0", "v1.29.4-gke.100", false)]
#[case("~1.2.0 || 2.x", "2.5.1", true)]
#[case("1.2 - 1.4", "1.5.0", false)]
fn version_ranges_are_masterminds(#[case] range: &str, #[case] version: &str, #[case] want: bool) {
    let funcs = ferry_gotmpl::helm::functions();
    assert_eq!(
        ferry_bundler::render::in_range(&funcs, range, version),
        Ok(want)
    );
}

#[rstest]
#[case("1.30", 1)]
#[case("1.33.1", 0)]
fn a_kube_version_outside_the_charts_range_is_a_warning(
    #[case] kube: &str,
    #[case] warnings: usize,
) {
    let rendered = render_with(
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: \">=1.31.0-0\"\n",
            ),
            ("templates/cm.yaml", "kind: ConfigMap\n"),
        ],
        &[],
        &RenderOptions {
            kube_version: KubeVersion::parse(kube).unwrap(),
            ..RenderOptions::default()
        },
    );
    assert_eq!(rendered.warnings.len(), warnings, "{:?}", rendered.warnings);
    if warnings == 1 {
        assert_eq!(
            rendered.warnings[0].to_string(),
            "chart app 1.0.0: Chart.yaml kubeVersion: chart requires kubeVersion: >=1.31.0-0 which is incompatible with Kubernetes v1.30.0; rendered anyway"
        );
    }
    assert_eq!(rendered.documents.len(), 1, "rendered anyway");
}

#[rstest]
#[case("1.x", 0)]
#[case("2.0.0", 1)]
#[case("", 0)]
fn a_vendored_chart_outside_its_dependency_range_is_used_with_a_warning(
    #[case] range: &str,
    #[case] warnings: usize,
) {
    let chart_yaml = format!(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: web\n    version: \"{range}\"\n"
    );
    let rendered = render(&[
        ("Chart.yaml", &chart_yaml),
        (
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 1.4.0\n",
        ),
        ("charts/web/templates/cm.yaml", "kind: ConfigMap\n"),
    ]);
    assert_eq!(rendered.warnings.len(), warnings, "{:?}", rendered.warnings);
    assert_eq!(rendered.documents.len(), 1);
}
