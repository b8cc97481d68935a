//! Real values files must parse whatever their comments or size (issue 11, "Robust YAML"), and a
//! values file that is genuinely broken is reported by the chart's name and the file inside it.

use std::fmt::Write as _;
use std::path::Path;

use ferry_bundler::discover::{discover_chart, discover_chart_as};
use rstest::rstest;

const CHART_YAML: &str = "apiVersion: v2\nname: redis\nversion: 18.1.0\nappVersion: \"7.2.1\"\n";
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: {{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}\n";

fn write_chart(root: &Path, values: &str) {
    std::fs::create_dir_all(root.join("templates")).expect("mkdir templates");
    std::fs::write(root.join("Chart.yaml"), CHART_YAML).expect("write Chart.yaml");
    std::fs::write(root.join("templates/deployment.yaml"), DEPLOYMENT).expect("write template");
    std::fs::write(root.join("values.yaml"), values).expect("write values.yaml");
}

/// `key:` with an empty value, then `comments` comment lines, then the image block: the shape
/// that made the reader stop with "too many buffered comments while looking ahead". With the
/// reader's default options 32 such lines parse and 33 fail.
fn commented_values(comments: usize) -> String {
    let mut text = String::from("nameOverride:\n");
    for i in 0..comments {
        writeln!(
            text,
            "## line {i} of a long explanation of the option above"
        )
        .expect("write");
    }
    text.push_str("image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.1\n");
    text
}

#[rstest]
#[case::under_the_old_limit(30)]
#[case::just_over_the_old_limit(33)]
#[case::a_few_hundred(400)]
#[case::thousands(20_000)]
fn comments_after_an_empty_value_do_not_stop_discovery(#[case] comments: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path(), &commented_values(comments));
    let found = discover_chart(dir.path(), &[]).expect("values.yaml with long comments parses");
    assert_eq!(found.references(), ["docker.io/bitnami/redis:7.2.1"]);
}

#[test]
fn a_four_megabyte_values_file_parses() {
    let mut values =
        String::from("image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.1\n");
    let mut component = 0;
    while values.len() < 4 << 20 {
        writeln!(
            values,
            "component{component}:\n  enabled: false\n  # the component's own settings\n  \
             replicas: 3\n  labels:\n    app.kubernetes.io/part-of: platform\n    team: storage\n  \
             resources:\n    limits: {{cpu: 500m, memory: 512Mi}}\n  args: [--verbose, --port=80]"
        )
        .expect("write");
        component += 1;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path(), &values);
    let found = discover_chart(dir.path(), &[]).expect("a large values.yaml parses");
    assert_eq!(found.references(), ["docker.io/bitnami/redis:7.2.1"]);
}

fn nested_flow(depth: usize) -> String {
    format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn many_nodes(count: usize) -> String {
    format!("a: [{}]\n", vec!["0"; count].join(","))
}

fn alias_bomb() -> String {
    let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let prev = level - 1;
        let refs = vec![format!("*l{prev}"); 10].join(", ");
        writeln!(text, "l{level}: &l{level} [{refs}]").expect("write");
    }
    text
}

/// The raised limits still bound what a hostile chart can make the reader build.
#[rstest]
#[case::nesting_ten_thousand_deep(nested_flow(10_000))]
#[case::three_million_nodes(many_nodes(3_000_000))]
#[case::alias_expansion(alias_bomb())]
fn hostile_values_are_still_refused(#[case] values: String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path(), &values);
    let err = discover_chart_as(dir.path(), "chart redis 18.1.0", &[]).expect_err("bounded");
    let text = err.to_string();
    assert!(
        text.starts_with("chart redis 18.1.0: values.yaml line "),
        "{text}"
    );
}

#[test]
fn a_broken_values_file_is_named_by_chart_file_and_line_not_by_cache_path() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().join("blobs").join("sha256-0123");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_chart(
        &dir,
        "image:\n  repository: bitnami/redis\n  tag: [7.2.1\nreplicas: 1\n",
    );
    let err = discover_chart_as(&dir, "chart redis 18.1.0", &[]).expect_err("broken YAML");
    let text = err.to_string();
    assert!(
        text.starts_with("chart redis 18.1.0: values.yaml line "),
        "{text}"
    );
    assert!(
        !text.contains(&cache.path().display().to_string()),
        "{text}"
    );
    assert!(!text.contains("sha256-0123"), "{text}");
}
