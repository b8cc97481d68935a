//! The pieces of rendering that need no template execution: Helm's manifest splitting, test
//! hooks, document parsing, `.Files`, `.Capabilities` and how template errors are worded.

use std::collections::BTreeMap;
use std::rc::Rc;

use ferry_bundler::render::{
    api_versions, clean_output, exec_error_text, is_test_hook, parse_document, parse_error_text,
    split_manifests, Files, Pattern,
};
use ferry_gotmpl::{Object, Value};
use rstest::rstest;
use serde_json::json;

#[rstest]
#[case("a: 1", &["a: 1"])]
#[case("---\na: 1\n---\nb: 2\n", &["a: 1", "b: 2"])]
// The second `---` lost its newline to the first separator, so Helm keeps it.
#[case("\n\n  a: 1\n---\n\n---\nb: 2", &["a: 1", "---\nb: 2"])]
#[case("a: 1   \n  \n--- \t\nb: 2", &["a: 1", "b: 2"])]
#[case("a: |\n  x\n  ---\n  y\n", &["a: |\n  x\n  ---\n  y"])]
#[case("a: 1 --- b\n", &["a: 1 --- b"])]
#[case("a: 1\n--- # second\nb: 2", &["a: 1", "# second\nb: 2"])]
#[case("a: 1\n----\nb: 2", &["a: 1", "-\nb: 2"])]
#[case("---", &[])]
#[case("  \n ", &[])]
fn manifests_split_as_helm_splits_them(#[case] text: &str, #[case] want: &[&str]) {
    assert_eq!(split_manifests(text), want);
}

#[test]
fn no_value_is_erased() {
    assert_eq!(
        clean_output("tag: <no value>\nx: a<no value>b"),
        "tag: \nx: ab"
    );
}

#[rstest]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "test"}}}), true)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "pre-install, test-success"}}}), false)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "test-failure"}}}), true)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "pre-install,post-upgrade"}}}), false)]
// Helm lower-cases each entry before it looks it up.
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "Test-Success, test"}}}), true)]
// Also a post-install hook: it runs on install, so it is not only a test.
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "post-install, Test"}}}), false)]
// Only the whole entry counts: a hook named like a test is not one.
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "testing"}}}), false)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "test-cleanup"}}}), false)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": "pre-test"}}}), false)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook": ""}}}), false)]
#[case(json!({"metadata": {"annotations": {"helm.sh/hook-weight": "test"}}}), false)]
#[case(json!({"metadata": {"name": "x"}}), false)]
fn test_hooks_are_recognised(#[case] object: serde_json::Value, #[case] want: bool) {
    assert_eq!(is_test_hook(&object), want);
}

#[rstest]
#[case("kind: Pod\nmetadata:\n  name: x", Ok(Some(json!({"kind": "Pod", "metadata": {"name": "x"}}))))]
#[case("# only a comment", Ok(None))]
#[case("", Ok(None))]
#[case("- a\n- b", Err("not a mapping: [\"a\",\"b\"]".to_owned()))]
fn documents_are_read_into_json(
    #[case] doc: &str,
    #[case] want: Result<Option<serde_json::Value>, String>,
) {
    assert_eq!(parse_document(doc), want);
}

#[test]
fn a_broken_document_names_its_line() {
    let err = parse_document("kind: Pod\nmetadata:\n  name: [x\n").unwrap_err();
    assert!(err.starts_with("line "), "{err}");
    assert!(!err.contains("line 0"), "{err}");
}

#[test]
fn default_api_versions_are_group_versions_as_in_helm_template() {
    let versions = api_versions();
    for gv in [
        "v1",
        "apps/v1",
        "batch/v1",
        "networking.k8s.io/v1",
        "policy/v1",
        "apiextensions.k8s.io/v1",
        "autoscaling/v2",
    ] {
        assert!(versions.iter().any(|v| v == gv), "{gv}");
    }
    // `helm template` knows no custom resources and no kinds unless told.
    assert!(!versions.iter().any(|v| v == "monitoring.coreos.com/v1"));
    assert!(!versions.iter().any(|v| v.matches('/').count() > 1));
}

fn chart_files() -> Files {
    let files: BTreeMap<String, Vec<u8>> = [
        ("README.md", "readme"),
        ("dashboards/a.json", "{\"a\": 1}"),
        ("dashboards/b.json", "{\"b\": 2}\n"),
        ("dashboards/sub/c.json", "c"),
        ("config/app.ini", "line one\nline two\n"),
        ("crds/crd.yaml", "kind: CustomResourceDefinition"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
    .collect();
    Files(Rc::new(files))
}

#[rstest]
#[case("dashboards/*.json", &["dashboards/a.json", "dashboards/b.json"])]
#[case("dashboards/**.json", &["dashboards/a.json", "dashboards/b.json", "dashboards/sub/c.json"])]
#[case("dashboards/?.json", &["dashboards/a.json", "dashboards/b.json"])]
#[case("dashboards/[a].json", &["dashboards/a.json"])]
#[case("dashboards/[!a].json", &["dashboards/b.json"])]
#[case("{README.md,crds/*}", &["README.md", "crds/crd.yaml"])]
#[case("*", &["README.md"])]
#[case("**", &["README.md", "config/app.ini", "crds/crd.yaml", "dashboards/a.json", "dashboards/b.json", "dashboards/sub/c.json"])]
#[case("[unclosed", &["README.md", "config/app.ini", "crds/crd.yaml", "dashboards/a.json", "dashboards/b.json", "dashboards/sub/c.json"])]
#[case("nothing/*", &[])]
fn files_glob_as_helm(#[case] pattern: &str, #[case] want: &[&str]) {
    let found = chart_files().glob(pattern);
    let names: Vec<&str> = found.0.keys().map(String::as_str).collect();
    assert_eq!(names, want, "{pattern}");
}

#[rstest]
#[case("a/*/c", "a/b/c", true)]
#[case("a/*/c", "a/b/x/c", false)]
#[case("a/**/c", "a/b/x/c", true)]
#[case("*.{yaml,yml}", "x.yml", true)]
#[case("[a-c]x", "bx", true)]
#[case("[a-c]x", "dx", false)]
#[case("\\*", "*", true)]
fn glob_patterns(#[case] pattern: &str, #[case] text: &str, #[case] want: bool) {
    assert_eq!(Pattern::compile(pattern).unwrap().matches(text), want);
}

#[test]
fn files_as_config_and_secrets_read_back_as_the_file_contents() {
    let files = chart_files().glob("dashboards/*.json");
    let config: serde_json::Value = serde_saphyr::from_str(&files.as_config()).unwrap();
    assert_eq!(
        config,
        json!({"a.json": "{\"a\": 1}", "b.json": "{\"b\": 2}\n"})
    );
    let secrets: serde_json::Value = serde_saphyr::from_str(&files.as_secrets()).unwrap();
    assert_eq!(
        secrets,
        json!({"a.json": "eyJhIjogMX0=", "b.json": "eyJiIjogMn0K"})
    );
    assert_eq!(chart_files().glob("none/*").as_config(), "");
}

#[test]
fn files_methods_answer_like_helms() {
    let files = chart_files();
    let call = |name: &str, arg: &str| {
        files
            .method(name, &[Value::String(arg.into())])
            .expect("a method")
            .expect("no error")
            .to_string()
    };
    assert_eq!(call("Get", "README.md"), "readme");
    assert_eq!(call("Get", "missing"), "");
    assert_eq!(call("GetBytes", "README.md"), "readme");
    assert_eq!(call("Lines", "config/app.ini"), "[line one line two]");
    assert_eq!(call("Lines", "missing"), "[]");
    let glob = files
        .method("Glob", &[Value::String("crds/*".into())])
        .unwrap()
        .unwrap();
    let Value::Object(glob) = &glob else {
        panic!("Glob gives Files")
    };
    assert_eq!(
        glob.field("AsConfig").unwrap().to_string(),
        // go-yaml quotes a value holding ": " with single quotes, as Helm prints it.
        "crd.yaml: 'kind: CustomResourceDefinition'"
    );
    assert!(files.method("Get", &[Value::Int(1)]).unwrap().is_err());
    assert!(files.method("Nope", &[]).is_none());
}

fn error(template: &str, line: usize, column: usize, message: &str) -> ferry_gotmpl::Error {
    ferry_gotmpl::Error {
        template: template.into(),
        line,
        column: Some(column),
        message: message.into(),
    }
}

#[rstest]
#[case(
    error(
        "app/templates/x.yaml",
        3,
        4,
        "executing \"app/templates/x.yaml\" at <fail \"boom\">: error calling fail: boom"
    ),
    "execution error at (app/templates/x.yaml:3:4): boom"
)]
#[case(
    error("app/templates/x.yaml", 5, 20, "executing \"app/templates/x.yaml\" at <required \"image is required\" .Values.image>: error calling required: image is required"),
    "execution error at (app/templates/x.yaml:5:20): image is required"
)]
#[case(
    error("app/templates/x.yaml", 18, 4, "executing \"app/templates/x.yaml\" at <include \"lib.tls\" .>: error calling include: template: app/templates/_lib.tpl:42:10: executing \"lib.tls\" at <$host>: wrong type for value; expected string; got interface {}"),
    "execution error at (app/templates/_lib.tpl:42:10): wrong type for value; expected string; got interface {}"
)]
#[case(
    error("app/templates/x.yaml", 2, 9, "executing \"app/templates/x.yaml\" at <index .Values.list 3>: error calling index: index out of range: 3"),
    "execution error at (app/templates/x.yaml:2:9): error calling index: index out of range: 3"
)]
fn template_errors_read_as_helms(#[case] e: ferry_gotmpl::Error, #[case] want: &str) {
    assert_eq!(exec_error_text(&e), want);
}

#[test]
fn parse_errors_read_as_helms() {
    let e = error(
        "app/templates/x.yaml",
        7,
        12,
        "function \"nope\" not defined",
    );
    assert_eq!(
        parse_error_text(&e),
        "parse error at (app/templates/x.yaml:7): function \"nope\" not defined"
    );
}

#[rstest]
#[case("1.10", Some("1.1"))]
#[case("1.0", Some("1"))]
#[case("2", Some("2"))]
#[case("0.25", Some("0.25"))]
#[case("true", Some("true"))]
#[case("v1.2.3", Some("v1.2.3"))]
#[case("\"1.10\"", Some("1.10"))]
#[case("~", None)]
#[case("[a]", None)]
fn chart_yaml_scalars_read_as_go_strings(#[case] yaml: &str, #[case] want: Option<&str>) {
    let value: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
    assert_eq!(ferry_bundler::render::scalar_text(&value).as_deref(), want);
}
