//! `.helmignore` as Helm applies it, with the cases of Go's `filepath.Match` tests and Helm's
//! `pkg/ignore` tests rewritten as tables, and a chart directory whose ignored files vanish.

use ferry_bundler::discover::FileSet;
use ferry_bundler::render::{go_match, load_chart, IgnoreRules};
use rstest::rstest;

#[rstest]
#[case("abc", "abc", Some(true))]
#[case("*", "abc", Some(true))]
#[case("*c", "abc", Some(true))]
#[case("a*", "a", Some(true))]
#[case("a*", "abc", Some(true))]
#[case("a*", "ab/c", Some(false))]
#[case("a*/b", "abc/b", Some(true))]
#[case("a*/b", "a/c/b", Some(false))]
#[case("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true))]
#[case("a*b*c*d*e*/f", "axbxcxdxexxx/f", Some(true))]
#[case("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Some(false))]
#[case("a*b?c*x", "abxbbxdbxebxczzx", Some(true))]
#[case("a*b?c*x", "abxbbxdbxebxczzy", Some(false))]
#[case("ab[c]", "abc", Some(true))]
#[case("ab[b-d]", "abc", Some(true))]
#[case("ab[e-g]", "abc", Some(false))]
#[case("ab[^c]", "abc", Some(false))]
#[case("ab[^b-d]", "abc", Some(false))]
#[case("ab[^e-g]", "abc", Some(true))]
#[case("a\\*b", "a*b", Some(true))]
#[case("a\\*b", "ab", Some(false))]
#[case("a?b", "a☺b", Some(true))]
#[case("a[^a]b", "a☺b", Some(true))]
#[case("a???b", "a☺b", Some(false))]
#[case("[a-ζ]*", "α", Some(true))]
#[case("*[a-ζ]", "A", Some(false))]
#[case("a?b", "a/b", Some(false))]
#[case("a*b", "a/b", Some(false))]
#[case("[\\]a]", "]", Some(true))]
#[case("[\\-]", "-", Some(true))]
#[case("[x\\-]", "x", Some(true))]
#[case("[x\\-]", "-", Some(true))]
#[case("[x\\-]", "z", Some(false))]
#[case("[\\-x]", "x", Some(true))]
#[case("[]a]", "]", None)]
#[case("[-]", "-", None)]
#[case("[x-]", "x", None)]
#[case("[a-b-c]", "a", None)]
#[case("[", "a", None)]
#[case("[^", "a", None)]
#[case("[^bc", "a", None)]
#[case("a[", "a", None)]
#[case("a[", "ab", None)]
#[case("a[", "x", None)]
#[case("a/b[", "x", None)]
#[case("*x", "xxx", Some(true))]
fn go_filepath_match(#[case] pattern: &str, #[case] name: &str, #[case] want: Option<bool>) {
    assert_eq!(go_match(pattern, name), want, "{pattern} {name}");
}

#[rstest]
#[case("helm.txt", "helm.txt", true)]
#[case("helm.*", "helm.txt", true)]
#[case("helm.*", "rudder.txt", false)]
#[case("*.txt", "tiller.txt", true)]
#[case("*.txt", "cargo/a.txt", true)]
#[case("cargo/*.txt", "cargo/a.txt", true)]
#[case("cargo/*.*", "cargo/a.txt", true)]
#[case("cargo/*.txt", "mast/a.txt", false)]
#[case("ru[c-e]?er.txt", "rudder.txt", true)]
#[case("", "templates/.dotfile", true)]
#[case("", "charts/sub/templates/.dotfile", false)]
#[case("", "templates/deploy.yaml", false)]
#[case(".*", ".joonix", true)]
#[case(".*", "helm.txt", false)]
#[case("cargo/", "cargo/a.txt", true)]
#[case("cargo/", "mast/a.txt", false)]
#[case("helm.txt/", "helm.txt", false)]
#[case("!helm.txt", "helm.txt", false)]
#[case("!helm.txt", "tiller.txt", true)]
#[case("!*.txt", "cargo", true)]
#[case("/a.txt", "a.txt", true)]
#[case("/a.txt", "cargo/a.txt", false)]
#[case("/cargo/a.txt", "cargo/a.txt", true)]
#[case("ci/", "ci/values.yaml", true)]
#[case("# a comment\n\n*.tmp", "x.tmp", true)]
fn helmignore_rules(#[case] rules: &str, #[case] path: &str, #[case] ignored: bool) {
    let rules = IgnoreRules::parse(rules).unwrap();
    assert_eq!(rules.ignores_file(path), ignored, "{path}");
}

#[rstest]
#[case("docs/**")]
#[case("a[")]
fn helm_refuses_some_rules(#[case] rule: &str) {
    assert!(IgnoreRules::parse(rule).is_err());
}

#[test]
fn ignored_files_are_not_part_of_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n"),
        (".helmignore", "ci/\n*.bak\ntemplates/skip.yaml\n"),
        ("ci/values.yaml", "a: 1\n"),
        ("templates/skip.yaml", "kind: Skipped\n"),
        ("templates/keep.yaml", "kind: Kept\n"),
        ("templates/old.yaml.bak", "kind: Old\n"),
        ("templates/.swap", "x"),
        ("files/a.txt", "a"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        ),
        ("charts/sub/.helmignore", "*.yaml\n"),
        ("charts/sub/templates/x.yaml", "kind: X\n"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let files = FileSet::from_path_as(dir.path(), "chart app").unwrap();
    let chart = load_chart(&files, &mut Vec::new()).unwrap();
    let templates: Vec<&str> = chart.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(templates, ["templates/keep.yaml"]);
    let other: Vec<&str> = chart.files.keys().map(String::as_str).collect();
    assert_eq!(other, [".helmignore", "files/a.txt"]);
    // Only the top chart's rules count; the subchart's own .helmignore is not read.
    let sub = &chart.subcharts[0];
    assert_eq!(sub.templates.len(), 1);
}
