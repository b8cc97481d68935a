//! A Helm chart from an OCI registry through the binary, with an empty cache: its package must
//! be fetched before discovery can read the images it names.

mod harness;

use ferry_testkit::{helm, Registry};
use harness::{push_image, Dir};

#[test]
fn oci_chart_images_are_discovered_from_a_cold_cache() {
    let registry = Registry::start();
    let host = registry.host();
    let app = format!("{host}/demo/app:1.0");
    let app_digest = push_image(&registry, "demo/app", "1.0", "app");
    let src = tempfile::tempdir().unwrap();
    let chart_dir = helm::write_chart(src.path(), "demo", "0.4.2", "1.0", &[&app]);
    let tgz = helm::pack_chart(&chart_dir, "demo", "0.4.2", src.path());
    helm::push_chart_oci(
        &registry,
        &tgz,
        &helm::chart_json("demo", "0.4.2", "1.0"),
        "helm/demo",
        "0.4.2",
    );
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {{ oci: \"oci://{host}/helm/demo\", version: \"0.4.2\" }}\n"
        ),
    );
    dir.ok(&["lock", "-p", "profiles"]);
    let lock = std::fs::read_to_string(dir.path("ferry.lock")).unwrap();
    assert!(
        lock.contains(&app_digest),
        "the chart's image is locked:\n{lock}"
    );
}
