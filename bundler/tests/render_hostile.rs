//! Hostile charts never abort or crash discovery, nor exhaust its stack or memory: each case
//! is one template of a chart whose other template holds a real image, discovered through
//! `discover_chart_as` on a thread with a 2 MiB stack (the size of tokio's and test threads),
//! in a debug build. A stack overflow aborts the process, so a case that passes here proves the
//! render ran where it could not overflow.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use ferry_bundler::discover::{discover_chart_as, Discovery};
use rstest::rstest;

const LABEL: &str = "chart hostile 0.1.0";
const GOOD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.0\n";

fn write_chart(root: &Path, values: &str, bad: &str) {
    std::fs::create_dir_all(root.join("templates")).expect("mkdir");
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: hostile\nversion: 0.1.0\n",
    )
    .expect("write");
    std::fs::write(root.join("values.yaml"), values).expect("write");
    std::fs::write(root.join("templates/good.yaml"), GOOD).expect("write");
    std::fs::write(root.join("templates/bad.yaml"), bad).expect("write");
}

/// Discovers `root` on a thread with a 2 MiB stack, as the CLI's runtime threads have.
fn discover_small_stack(root: &Path) -> (Result<Discovery, String>, Duration) {
    let root = root.to_owned();
    let started = Instant::now();
    let found = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || discover_chart_as(&root, LABEL, &[]).map_err(|e| e.to_string()))
        .expect("spawn")
        .join()
        .expect("discovery does not panic");
    (found, started.elapsed())
}

fn nested_controls(depth: usize, inner: &str) -> String {
    let mut text = String::new();
    for i in 0..depth {
        text.push_str(["{{ if true }}", "{{ with . }}", "{{ range list 1 }}"][i % 3]);
    }
    text.push_str(inner);
    text.push_str(&"{{ end }}".repeat(depth));
    text
}

fn alias_bomb_yaml() -> String {
    let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        writeln!(text, "l{level}: &l{level} [{refs}]").expect("write");
    }
    text
}

/// (values.yaml, bad.yaml, words the warning's message holds, its line: none for the output
/// bound, which no one node passes).
#[rstest]
#[case::include_of_itself(
    "",
    "a: 1\n{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}\nb: {{ include \"loop\" . }}\n",
    "nested reference name",
    Some(2)
)]
#[case::mutual_include_through_tpl(
    "again: '{{ include \"again\" . }}'\n",
    "{{ define \"again\" }}{{ tpl .Values.again . }}{{ end }}\n\nb: {{ include \"again\" . }}\n",
    "exceeded maximum template depth (100)",
    Some(1)
)]
#[case::deep_controls_in_deep_includes(
    "",
    &format!("{{{{ define \"deep\" }}}}{}{{{{ end }}}}\nb: {{{{ include \"deep\" . }}}}\n", nested_controls(99, "{{ include \"deep\" . }}")),
    "nested reference name",
    Some(1)
)]
#[case::deep_controls_in_deep_tpl(
    &format!("again: {:?}\n", nested_controls(99, "{{ tpl $.Values.again $ }}")),
    "a: 1\nb: {{ tpl .Values.again . }}\n",
    "exceeded maximum template depth (100)",
    Some(1)
)]
#[case::repeat_beyond_memory("", "a: 1\nb: {{ repeat 1000000000000 \"x\" }}\n", "repeat", Some(2))]
#[case::output_blow_up(
    "",
    "a: 1\nb: {{ range until 1000 }}{{ range until 1000 }}{{ repeat 100 \"x\" }}{{ end }}{{ end }}\n",
    "output exceeds 64 MiB",
    None
)]
#[case::range_of_a_huge_until(
    "",
    "a: 1\n\nb: {{ range until 100000000 }}x{{ end }}\n",
    "until",
    Some(3)
)]
#[case::alias_bomb_through_from_yaml(
    "",
    &format!("a: 1\nb: {{{{ fromYaml {:?} | toJson | len }}}}\n{{{{ fail \"after fromYaml\" }}}}\n", alias_bomb_yaml()),
    "after fromYaml",
    Some(3)
)]
#[case::fail_and_required(
    "",
    "a: 1\n{{ required \"image.tag is required\" .Values.nothing }}\n{{ fail \"chart says no\" }}\n",
    "image.tag is required",
    Some(2)
)]
#[case::parse_error("", "a: 1\nb: {{ if }}\n", "missing value for if", Some(2))]
fn a_hostile_template_is_a_warning_and_the_other_images_are_found(
    #[case] values: &str,
    #[case] bad: &str,
    #[case] words: &str,
    #[case] line: Option<usize>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path(), values, bad);
    let (found, took) = discover_small_stack(dir.path());
    let found = found.expect("a hostile template does not fail discovery");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        found
            .references()
            .contains(&"docker.io/library/nginx:1.27.0"),
        "{:?}",
        found.references()
    );
    let warning = found
        .warnings
        .iter()
        .find(|w| w.location.contains("templates/bad.yaml"))
        .unwrap_or_else(|| panic!("no warning names templates/bad.yaml: {:?}", found.warnings));
    assert!(warning.location.starts_with(LABEL), "{warning}");
    assert!(warning.message.contains(words), "{warning}");
    // Recursion does not repeat itself into the message.
    assert!(warning.message.len() < 400, "{warning}");
    match line {
        Some(line) => assert!(
            warning.message.contains(&format!("bad.yaml:{line}:"))
                || warning.message.contains(&format!("bad.yaml:{line})")),
            "{warning}"
        ),
        None => assert!(
            warning.message.contains("(hostile/templates/bad.yaml)"),
            "{warning}"
        ),
    }
}

/// A values.yaml that expands without bound is refused quickly, by name, on a small stack:
/// the run's pipeline reports it as a warning (tests/cli_discover_broken_chart.rs).
#[test]
fn an_alias_bomb_in_values_is_refused_by_chart_file_and_line() {
    let mut values = alias_bomb_yaml();
    writeln!(values, "l10: &l10 [{}]", ["*l9"; 10].join(", ")).expect("write");
    writeln!(values, "l11: &l11 [{}]", ["*l10"; 10].join(", ")).expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    write_chart(dir.path(), &values, "a: 1\n");
    let (found, took) = discover_small_stack(dir.path());
    let err = found.expect_err("refused");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        err.starts_with(&format!("{LABEL}: values.yaml line ")),
        "{err}"
    );
}
