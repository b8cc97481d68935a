//! What a user sees when references do not resolve: every failing reference in one run, each
//! named with the profile, layer and source that asked for it; a chart missing from its
//! repository is reported as missing, with the versions listed when only the version is wrong.

mod harness;

use ferry_testkit::{helm, HelmRepo, Registry};
use harness::{push_image, Dir};

#[test]
fn every_failing_reference_is_reported_in_one_run_with_where_it_came_from() {
    let registry = Registry::start();
    push_image(&registry, "demo/app", "1.0", "app");
    let host = registry.host();
    let src = tempfile::tempdir().unwrap();
    let served = tempfile::tempdir().unwrap();
    let chart = helm::write_chart(src.path(), "web", "1.4.0", "1.0", &[]);
    let tgz = helm::pack_chart(&chart, "web", "1.4.0", served.path());
    helm::write_index(
        served.path(),
        &[helm::ChartEntry {
            name: "web".into(),
            version: "1.4.0".into(),
            app_version: "1.0".into(),
            file: tgz,
            url: "web-1.4.0.tgz".into(),
            with_digest: true,
        }],
    );
    let repo = HelmRepo::start(served.path());
    let url = repo.url();
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: base\n    kind: os\n    sources:\n      - images: [{host}/demo/app:1.0, {host}/demo/gone:1.0]\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{host}/demo/missing:2.0]\n      - chart: {{repo: \"{url}\", name: wbe, version: 1.4.0}}\n      - chart: {{repo: \"{url}\", name: web, version: 9.9.9}}\n"
        ),
    );
    let err = dir.fails(1, &["lock", "-p", "profiles", "--platform", "linux/amd64"]);
    assert!(
        err.contains("cannot resolve 4 references:"),
        "all four failures in one run:\n{err}"
    );
    for (reference, layer, source) in [
        (
            format!("{host}/demo/gone:1.0"),
            "base",
            "images (listed by hand)",
        ),
        (
            format!("{host}/demo/missing:2.0"),
            "apps",
            "images (listed by hand)",
        ),
        ("chart wbe 1.4.0 from".to_owned(), "apps", "chart wbe 1.4.0"),
        ("chart web 9.9.9 from".to_owned(), "apps", "chart web 9.9.9"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&reference))
            .unwrap_or_else(|| panic!("no line for {reference}:\n{err}"));
        assert!(
            line.contains(&format!("profile site, layer {layer}, {source}")),
            "{line}"
        );
    }
    let line = |needle: &str| err.lines().find(|l| l.contains(needle)).unwrap().to_owned();
    let missing_chart = line("chart wbe 1.4.0 from");
    assert!(
        missing_chart.contains("chart wbe is not in")
            && missing_chart.contains("did you mean web?"),
        "{missing_chart}"
    );
    let wrong_version = line("chart web 9.9.9 from");
    assert!(
        wrong_version.contains("no version") && wrong_version.contains("available: 1.4.0"),
        "{wrong_version}"
    );
    assert!(!dir.path("ferry.lock").exists(), "no lock is written");
}

#[test]
fn read_only_commands_refuse_a_data_directory_without_a_store() {
    let dir = Dir::new();
    for args in [
        vec!["store", "list", "--data", "typo"],
        vec!["store", "verify", "--data", "typo"],
        vec!["audit", "verify", "--data", "typo"],
        vec!["serve", "--data", "typo", "--listen", "127.0.0.1:0"],
    ] {
        let err = dir.fails(1, &args);
        assert!(err.contains("no store at typo"), "{args:?}: {err}");
        assert!(!dir.path("typo").exists(), "{args:?} created a store");
    }
    // --init asks for one.
    dir.ok(&["store", "list", "--data", "fresh", "--init"]);
    assert!(dir.path("fresh/ferry.db").is_file());
    dir.ok(&["store", "list", "--data", "fresh"]);
}
