//! Small charts that exercise one rule of Helm's each (values layers, nulls, globals, aliases,
//! conditions, tags, import-values), rendered by ferry and by `helm template` (Helm 3.17.3,
//! installed by scripts/setup) with the same user values, and compared as parsed objects.

use std::path::Path;
use std::process::Command;

use ferry_bundler::discover::{chart_yaml_options, FileSet};
use ferry_bundler::render::{parse_document, render_chart, split_manifests, RenderOptions};
use rstest::rstest;
use serde_json::Value;

/// Prints everything a template can see of values as one ConfigMap, so any difference shows.
const DUMP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Chart.Name }}-values}
data:
  values: {{ toJson .Values | quote }}
"#;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn helm_objects(helm: &Path, chart: &Path, user: &Path) -> Vec<Value> {
    let out = Command::new(helm)
        .args(["template", "release-name"])
        .arg(chart)
        .arg("-f")
        .arg(user)
        .args(["--kube-version", "1.33.0"])
        .output()
        .expect("helm runs");
    assert!(
        out.status.success(),
        "helm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut objects: Vec<Value> = split_manifests(&text)
        .iter()
        .filter_map(|d| parse_document(d).unwrap())
        .collect();
    objects.sort_by_key(|o| o.to_string());
    objects
}

#[rstest]
#[case::user_nulls_delete_defaults_and_stay_elsewhere(
    &[("values.yaml", "a: 1\nb: {c: 1, d: 2}\nlist: [1, 2]\n")],
    "a: null\nb: {c: null, e: null}\nlist: null\nnew: null\n"
)]
#[case::maps_merge_and_scalars_replace(
    &[("values.yaml", "m: {x: 1, k: {z: 2}}\ns: text\n")],
    "m: {k: {w: 3}}\ns: {now: map}\n"
)]
#[case::globals_flow_down_and_parent_wins(
    &[
        ("values.yaml", "global: {registry: parent.io, only: p}\nsub: {x: 1}\n"),
        ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
        ("charts/sub/values.yaml", "global: {registry: sub.io, own: s}\nx: 0\nq: 2\n"),
        ("charts/sub/templates/dump.yaml", DUMP),
    ],
    "global: {registry: user.io}\n"
)]
#[case::aliases_condition_and_tags(
    &[
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - {name: sub, version: 0.1.0, alias: one, condition: one.enabled}\n  - {name: sub, version: 0.1.0, alias: two, tags: [extra]}\n  - {name: sub, version: 0.1.0, alias: three, condition: three.enabled, tags: [extra]}\n"),
        ("values.yaml", "one: {enabled: true}\nthree: {enabled: false}\ntags: {extra: true}\n"),
        ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
        ("charts/sub/values.yaml", "x: 1\n"),
        ("charts/sub/templates/dump.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-{{ .Values.x }}-{{ .Template.Name | replace \"/\" \".\" }}}\n"),
    ],
    "two: {x: 2}\n"
)]
#[case::import_values_both_forms(
    &[
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    import-values:\n      - data\n      - {child: deep.inner, parent: fromchild}\n"),
        ("values.yaml", "fromchild: {kept: parent}\n"),
        ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
        ("charts/sub/values.yaml", "exports: {data: {exported: 1}}\ndeep: {inner: {kept: child, added: child}}\n"),
    ],
    "{}\n"
)]
#[case::library_chart_files_tpl_and_capabilities(
    &[
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\nappVersion: 2.1.0\ndependencies:\n  - {name: lib, version: 0.1.0}\n"),
        ("values.yaml", "image: {repository: acme/app, tag: \"\"}\nconf: \"{{ .Release.Name }}-{{ .Chart.AppVersion }}\"\n"),
        ("files/app.conf", "name={{ .Values.image.repository }}\n"),
        ("templates/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  image: {{ include \"lib.image\" (dict \"image\" .Values.image \"root\" $) | quote }}\n  conf: {{ tpl .Values.conf . | quote }}\n  file: {{ tpl (.Files.Get \"files/app.conf\") . | quote }}\n  glob: {{ (.Files.Glob \"files/*\").AsConfig | quote }}\n  apps: {{ .Capabilities.APIVersions.Has \"apps/v1\" | quote }}\n  new: {{ semverCompare \">=1.30-0\" .Capabilities.KubeVersion.GitVersion | quote }}\n  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n"),
        ("charts/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n"),
        ("charts/lib/templates/_image.tpl", "{{- define \"lib.image\" -}}\n{{- $tag := .image.tag | default .root.Chart.AppVersion -}}\n{{ printf \"%s:v%s\" .image.repository $tag }}\n{{- end -}}\n"),
    ],
    "conf: \"{{ .Release.Namespace }}\"\n"
)]
#[case::two_aliases_of_two_vendored_versions(
    &[
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n  - {name: sub, version: \"~2.0.0\", alias: two}\n  - {name: sub, version: \"~1.0.0\", alias: one}\n"),
        ("charts/sub1/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 1.0.0\n"),
        ("charts/sub1/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}-{{ .Chart.Version }}}\n"),
        ("charts/sub2/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 2.0.1\n"),
        ("charts/sub2/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}-{{ .Chart.Version }}}\n"),
    ],
    "{}\n"
)]
#[case::helm_version_is_the_tested_release(
    &[("templates/hv.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hv}\ndata:\n  v: {{ .Capabilities.HelmVersion.Version | quote }}\n  c: {{ .Capabilities.HelmVersion.GitCommit | quote }}\n  g: {{ .Capabilities.HelmVersion.GoVersion | quote }}\n  t: {{ .Capabilities.HelmVersion.GitTreeState | quote }}\n  semver: {{ semverCompare \">=3.17.0\" .Capabilities.HelmVersion.Version | quote }}\n")],
    "{}\n"
)]
fn renders_as_helm_does(#[case] files: &[(&str, &str)], #[case] user: &str) {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("top");
    write(&chart, &[("templates/dump.yaml", DUMP)]);
    if !files.iter().any(|(name, _)| *name == "Chart.yaml") {
        write(
            &chart,
            &[("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n")],
        );
    }
    write(&chart, files);
    let user_file = dir.path().join("user.yaml");
    std::fs::write(&user_file, user).unwrap();

    let theirs = helm_objects(&helm, &chart, &user_file);
    let layer: Value = serde_saphyr::from_str_with_options(user, chart_yaml_options()).unwrap();
    let files = FileSet::from_path_as(&chart, "top").unwrap();
    let rendered = render_chart(&files, &[layer], &RenderOptions::default()).unwrap();
    let mut ours: Vec<Value> = rendered.documents.into_iter().map(|d| d.object).collect();
    ours.sort_by_key(|o| o.to_string());
    assert_eq!(
        serde_json::to_string_pretty(&ours).unwrap(),
        serde_json::to_string_pretty(&theirs).unwrap()
    );
}
