//! Chart loading and Helm's dependency processing (conditions, tags, aliases, import-values,
//! library charts, missing subcharts) on small charts written to temporary directories.

use std::path::Path;

use ferry_bundler::discover::FileSet;
use ferry_bundler::render::{
    coalesce_values, load_chart, merge_user_layers, process_dependencies, Chart, ImportValue,
    RenderError,
};
use rstest::rstest;
use serde_json::{json, Value};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn load(root: &Path) -> (Chart, Vec<(String, String)>) {
    let files = FileSet::from_path_as(root, "chart umbrella").unwrap();
    let mut warnings = Vec::new();
    let chart = load_chart(&files, &mut warnings).unwrap();
    (chart, warnings)
}

const UMBRELLA: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2
name: umbrella
version: 1.0.0
dependencies:
  - name: web
    version: 1.0.0
    condition: web.enabled
    tags: [frontend]
  - name: db
    version: 1.0.0
    condition: db.enabled,global.db.enabled
    tags: [backend]
  - name: common
    alias: first
  - name: common
    alias: second
    condition: second.enabled
  - name: helpers
  - name: ghost
",
    ),
    ("values.yaml", "web:\n  enabled: true\ndb: {}\ntags:\n  backend: false\nglobal:\n  registry: corp.example\n"),
    (
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: cache\n    condition: cache.enabled\n",
    ),
    ("charts/web/values.yaml", "image: web\n"),
    ("charts/web/charts/cache/Chart.yaml", "apiVersion: v2\nname: cache\nversion: 0.1.0\n"),
    ("charts/web/charts/cache/values.yaml", "enabled: true\n"),
    ("charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 1.0.0\n"),
    ("charts/common/Chart.yaml", "apiVersion: v2\nname: common\nversion: 2.0.0\n"),
    ("charts/common/values.yaml", "image: common\nglobal:\n  registry: docker.io\n  own: common\n"),
    ("charts/helpers/Chart.yaml", "apiVersion: v2\nname: helpers\nversion: 1.0.0\ntype: library\n"),
    ("charts/helpers/templates/_names.tpl", "{{ define \"helpers.name\" }}x{{ end }}"),
    ("charts/extra/Chart.yaml", "apiVersion: v2\nname: extra\nversion: 1.0.0\n"),
];

fn names(chart: &Chart) -> Vec<String> {
    let mut names: Vec<String> = chart
        .subcharts
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    names.sort();
    names
}

#[rstest]
#[case::defaults(json!({}), &["extra", "first", "helpers", "second", "web"])]
#[case::tag_enables(json!({"tags": {"backend": true}}), &["db", "extra", "first", "helpers", "second", "web"])]
#[case::condition_beats_tag(json!({"db": {"enabled": true}}), &["db", "extra", "first", "helpers", "second", "web"])]
#[case::false_condition_beats_true_tag(json!({"web": {"enabled": false}, "tags": {"frontend": true}}), &["extra", "first", "helpers", "second"])]
#[case::second_condition_path(json!({"global": {"db": {"enabled": true}}}), &["db", "extra", "first", "helpers", "second", "web"])]
#[case::alias_condition(json!({"second": {"enabled": false}}), &["extra", "first", "helpers", "web"])]
#[case::null_condition_is_no_answer(json!({"web": {"enabled": null}, "tags": {"frontend": false}}), &["extra", "first", "helpers", "second"])]
fn conditions_and_tags_choose_subcharts(#[case] user: Value, #[case] want: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), UMBRELLA);
    let (mut chart, mut warnings) = load(dir.path());
    process_dependencies(
        &mut chart,
        &merge_user_layers(&[user]),
        "chart umbrella",
        &mut warnings,
    );
    assert_eq!(names(&chart), want);
    let deps: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for name in want.iter().filter(|n| **n != "extra") {
        assert!(
            deps.contains(name),
            "{name} kept in Chart.yaml dependencies: {deps:?}"
        );
    }
}

#[test]
fn a_missing_subchart_and_a_non_bool_condition_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), UMBRELLA);
    let (mut chart, mut warnings) = load(dir.path());
    let user = json!({"web": {"enabled": "yes"}});
    process_dependencies(&mut chart, &user, "chart umbrella", &mut warnings);
    let text: Vec<String> = warnings.iter().map(|(l, m)| format!("{l}: {m}")).collect();
    assert!(
        text.contains(&"chart umbrella: umbrella Chart.yaml dependencies: enabled dependency ghost is not vendored under charts/; it is not rendered".to_owned()),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|w| w
                .ends_with("condition path 'web.enabled' for chart web returned non-bool value")),
        "{text:#?}"
    );
    // A non-bool condition is no answer: the tags decide, and `frontend` is unset.
    assert!(names(&chart).contains(&"web".to_owned()));
}

#[rstest]
#[case(json!({}), &["cache"])]
#[case(json!({"web": {"cache": {"enabled": false}}}), &[])]
fn conditions_of_nested_subcharts_are_read_under_their_parent(
    #[case] user: Value,
    #[case] want: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), UMBRELLA);
    let (mut chart, mut warnings) = load(dir.path());
    process_dependencies(&mut chart, &user, "chart umbrella", &mut warnings);
    let web = chart.subcharts.iter().find(|c| c.name() == "web").unwrap();
    assert_eq!(names(web), want);
}

#[test]
fn aliases_copy_a_chart_and_globals_flow_down_parent_first() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), UMBRELLA);
    let (mut chart, mut warnings) = load(dir.path());
    let user = json!({"second": {"image": "custom"}});
    process_dependencies(&mut chart, &user, "chart umbrella", &mut warnings);
    let mut coalesce_warnings = Vec::new();
    let values = coalesce_values(&chart, &user, &mut coalesce_warnings);
    assert_eq!(values["first"]["image"], "common");
    assert_eq!(values["second"]["image"], "custom");
    // The parent's global wins over the subchart's own default; the subchart's other
    // globals stay; the parent does not see the subchart's globals.
    assert_eq!(values["first"]["global"]["registry"], "corp.example");
    assert_eq!(values["first"]["global"]["own"], "common");
    assert_eq!(values["global"], json!({"registry": "corp.example"}));
    assert_eq!(values["web"]["cache"]["global"]["registry"], "corp.example");
    assert!(coalesce_warnings.is_empty(), "{coalesce_warnings:?}");
}

#[test]
fn import_values_lift_child_tables_under_the_parents_own_values() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2
name: parent
version: 1.0.0
dependencies:
  - name: child
    alias: kid
    import-values:
      - data
      - child: config
        parent: imported.deep
      - child: absent
        parent: nowhere
",
            ),
            ("values.yaml", "a: parent-a\nimported:\n  deep:\n    own: parent\n"),
            ("charts/child/Chart.yaml", "apiVersion: v2\nname: child\nversion: 1.0.0\n"),
            (
                "charts/child/values.yaml",
                "exports:\n  data:\n    a: child-a\n    b: child-b\nconfig:\n  own: child\n  x: 1\n",
            ),
        ],
    );
    let (mut chart, mut warnings) = load(dir.path());
    process_dependencies(&mut chart, &json!({}), "chart parent", &mut warnings);
    let values = coalesce_values(&chart, &json!({}), &mut Vec::new());
    assert_eq!(
        values["a"], "parent-a",
        "the parent's value wins over an import"
    );
    assert_eq!(values["b"], "child-b");
    assert_eq!(values["imported"]["deep"], json!({"own": "parent", "x": 1}));
    assert_eq!(values["kid"]["config"]["x"], 1);
    assert_eq!(
        chart.metadata.dependencies[0].import_values[0],
        ImportValue::Exports("data".into())
    );
    assert!(
        warnings
            .iter()
            .any(|(_, m)| m == "missing table kid.absent to import from chart kid"),
        "{warnings:?}"
    );
}

fn tgz(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, text) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, text.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn loader_sorts_files_as_helm_does() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", "name: old\nversion: 0.1.0\n"),
            (
                "requirements.yaml",
                "dependencies:\n  - name: packed\n    version: 1.0.0\n",
            ),
            ("requirements.lock", "digest: x\n"),
            ("values.yaml", ""),
            ("values.schema.json", "{}"),
            ("templates/deploy.yaml", "kind: Deployment"),
            ("templates/.hidden.yaml", "kind: Secret"),
            ("templates/NOTES.txt", "hi"),
            ("crds/crd.yaml", "kind: CustomResourceDefinition"),
            ("crds/README.md", "not a manifest"),
            ("files/config.ini", "a=1"),
            (
                "charts/_ignored/Chart.yaml",
                "name: ignored\nversion: 1.0.0\n",
            ),
            ("charts/broken/values.yaml", "a: 1\n"),
            ("charts/stray.txt", "x"),
        ],
    );
    std::fs::write(
        dir.path().join("charts/packed-1.0.0.tgz"),
        tgz(&[
            (
                "packed/Chart.yaml",
                "apiVersion: v2\nname: packed\nversion: 1.0.0\n",
            ),
            ("packed/values.yaml", "image: packed\n"),
        ]),
    )
    .unwrap();
    let (chart, warnings) = load(dir.path());
    assert_eq!(
        chart.metadata.api_version, "v1",
        "no apiVersion means a Helm 2 chart"
    );
    assert_eq!(chart.metadata.dependencies[0].name, "packed");
    let templates: Vec<&str> = chart.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(templates, ["templates/NOTES.txt", "templates/deploy.yaml"]);
    let files: Vec<&str> = chart.files.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "crds/README.md",
            "crds/crd.yaml",
            "files/config.ini",
            "requirements.lock",
            "requirements.yaml"
        ]
    );
    let crds: Vec<&str> = chart.crd_files().map(|(n, _)| n).collect();
    assert_eq!(crds, ["crds/crd.yaml"]);
    assert_eq!(names(&chart), ["packed"]);
    assert_eq!(chart.subcharts[0].values, json!({"image": "packed"}));
    let locations: Vec<&str> = warnings.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        locations,
        [
            "chart umbrella/charts/broken",
            "chart umbrella/charts/stray.txt"
        ],
        "{warnings:?}"
    );
}

#[rstest]
#[case(&[("values.yaml", "a: 1\n")], "chart umbrella: missing Chart.yaml")]
#[case(&[("Chart.yaml", "name: x\n"), ("values.yaml", "a: [1\n")], "chart umbrella: values.yaml is not readable")]
#[case(&[("Chart.yaml", "- a\n")], "chart umbrella: Chart.yaml is not readable: not a mapping")]
#[case(&[("Chart.yaml", "version: 1.0.0\n")], "chart umbrella: Chart.yaml is not readable: the chart has no name")]
fn an_unreadable_top_chart_is_an_error(#[case] files: &[(&str, &str)], #[case] want: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let set = FileSet::from_path_as(dir.path(), "chart umbrella").unwrap();
    let err: RenderError = load_chart(&set, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().starts_with(want), "{err}");
}

#[test]
fn a_missing_subchart_that_is_disabled_is_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: ghost\n    alias: spirit\n    condition: spirit.enabled\n",
        )],
    );
    let (mut chart, _) = load(dir.path());
    let mut warnings = Vec::new();
    process_dependencies(
        &mut chart,
        &json!({"spirit": {"enabled": false}}),
        "chart app",
        &mut warnings,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (mut chart, _) = load(dir.path());
    process_dependencies(&mut chart, &json!({}), "chart app", &mut warnings);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].1.contains("enabled dependency spirit"),
        "{warnings:?}"
    );
}
