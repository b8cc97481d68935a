//! Values, `Chart.yaml` and user layers are read as Helm reads them (`sigs.k8s.io/yaml`,
//! go-yaml v2: YAML 1.1), checked against `helm template` (Helm 3.17.3): booleans spelled
//! `yes`/`no`/`on`/`off`/`y`/`n`, numbers spelled `010`, `0o17`, `0x1F`, `0b101`, `1_000`,
//! `.5`, `1e3`, and such keys, in values (a subchart's `condition` among them), in a values
//! file and in a profile's `set:`, all render the same objects as Helm's.

use std::path::Path;
use std::process::Command;

use ferry_bundler::discover::{parse_helm_yaml, FileSet};
use ferry_bundler::profile::{Profile, Source};
use ferry_bundler::render::{parse_document, render_chart, split_manifests, RenderOptions};
use serde_json::Value;

const SCALARS: &str = concat!(
    "  yes1: yes\n",
    "  yes2: Yes\n",
    "  yes3: YES\n",
    "  no1: no\n",
    "  no2: NO\n",
    "  on1: on\n",
    "  on2: On\n",
    "  off1: off\n",
    "  off2: OFF\n",
    "  y1: y\n",
    "  y2: Y\n",
    "  n1: n\n",
    "  n2: N\n",
    "  true1: True\n",
    "  oct: 010\n",
    "  oct2: 0o17\n",
    "  negoct: -010\n",
    "  hex: 0x1F\n",
    "  bin: 0b101\n",
    "  under: 1_000\n",
    "  half: .5\n",
    "  exp: 1e3\n",
    "  exp2: 1E+3\n",
    "  plus: +12\n",
    "  dot: 1.\n",
    "  sixty: 1:30\n",
    "  tilde: ~\n",
    "  nul: Null\n",
    "  big: 12345678901234567890\n",
    "  date: 2024-01-02\n",
);

const KEYS: &str = concat!(
    "  yes: a\n",
    "  on: b\n",
    "  n: c\n",
    "  010: d\n",
    "  0x1F: e\n",
    "  1_0: f\n",
    "  .5: g\n",
);

const TEMPLATE: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name }}
data:
  values: {{ toJson .Values | quote }}
  kinds: {{ $k := dict }}{{ range $key, $v := .Values.s }}{{ $_ := set $k $key (printf "%s %v" (kindOf $v) $v) }}{{ end }}{{ toJson $k | quote }}
  truth: "{{ if .Values.s.off1 }}off true{{ else }}off false{{ end }} {{ if .Values.s.n1 }}n true{{ else }}n false{{ end }}"
  appVersion: {{ .Chart.AppVersion | quote }}
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A chart whose values hold every case, with two subcharts switched by `condition`s
/// written `no` and `n` (a subchart whose own values say `enabled: yes`).
fn write_chart(root: &Path) {
    write(
        &root.join("Chart.yaml"),
        "apiVersion: v2\nname: yaml11\nversion: 0.1.0\nappVersion: 010\ndependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n  - name: other\n    version: 0.1.0\n    condition: other.enabled\n",
    );
    write(
        &root.join("values.yaml"),
        &format!(
            "name: values\nsub:\n  enabled: no\nother:\n  enabled: n\ns:\n{SCALARS}keys:\n{KEYS}"
        ),
    );
    write(&root.join("templates/cm.yaml"), TEMPLATE);
    for sub in ["sub", "other"] {
        let dir = root.join("charts").join(sub);
        write(
            &dir.join("Chart.yaml"),
            &format!("apiVersion: v2\nname: {sub}\nversion: 0.1.0\n"),
        );
        write(&dir.join("values.yaml"), "enabled: yes\n");
        write(
            &dir.join("templates/cm.yaml"),
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {sub}-rendered\n"),
        );
    }
}

fn helm_objects(helm: &Path, chart: &Path, values_files: &[&Path]) -> Vec<Value> {
    let mut command = Command::new(helm);
    command.args(["template", "release-name"]).arg(chart);
    for file in values_files {
        command.arg("-f").arg(file);
    }
    let out = command.output().expect("helm runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    split_manifests(&text)
        .iter()
        .filter_map(|doc| parse_document(doc).expect("helm's output is YAML"))
        .collect()
}

fn ferry_objects(chart: &Path, overrides: &[Value]) -> Vec<Value> {
    let files = FileSet::from_path_as(chart, "yaml11").expect("chart reads");
    let rendered = render_chart(&files, overrides, &RenderOptions::default()).expect("renders");
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    rendered.documents.into_iter().map(|d| d.object).collect()
}

#[test]
fn values_and_chart_yaml_read_as_helm_reads_them() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path());
    let theirs = helm_objects(&helm, dir.path(), &[]);
    assert_eq!(theirs.len(), 1, "helm disables both subcharts: {theirs:?}");
    assert_eq!(ferry_objects(dir.path(), &[]), theirs);
}

#[test]
fn a_values_file_reads_as_helm_reads_it() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("chart");
    write_chart(&chart);
    let text = format!("name: from-file\nsub:\n  enabled: on\ns:\n{SCALARS}keys:\n{KEYS}");
    let file = dir.path().join("site.yaml");
    write(&file, &text);
    let theirs = helm_objects(&helm, &chart, &[&file]);
    assert_eq!(theirs.len(), 2, "helm enables sub: {theirs:?}");
    let layer = parse_helm_yaml("site", "site.yaml", &text).expect("reads");
    assert_eq!(ferry_objects(&chart, &[layer]), theirs);
}

/// A profile's `set:` is a values layer written inline: its scalars read as a values file's.
#[test]
fn a_profile_set_reads_as_a_values_file() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("chart");
    write_chart(&chart);
    let set = format!("name: from-set\nsub:\n  enabled: on\ns:\n{SCALARS}");
    let file = dir.path().join("set.yaml");
    write(&file, &set);
    let indented: String = set.lines().map(|l| format!("            {l}\n")).collect();
    let profile_text = format!(
        "name: site\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart:\n          path: ../chart\n          set:\n{indented}"
    );
    let profile = Profile::parse(Path::new("site.yaml"), &profile_text).expect("profile parses");
    let Source::Chart(source) = &profile.layers[0].sources[0] else {
        panic!("a chart source")
    };
    let layer = Value::Object(source.set.clone().expect("set"));
    assert_eq!(
        ferry_objects(&chart, &[layer]),
        helm_objects(&helm, &chart, &[&file])
    );
}

/// What JSON cannot hold fails as Helm fails, naming the chart and file.
#[test]
fn an_infinite_value_is_refused_by_chart_and_file() {
    let err = parse_helm_yaml("chart web 1.0.0", "values.yaml", "a: .inf\n").expect_err("refused");
    assert_eq!(
        err.to_string(),
        "chart web 1.0.0: values.yaml line 0, column 0: error converting YAML to JSON: json: unsupported value: +Inf"
    );
}
