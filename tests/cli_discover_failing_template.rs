//! A chart with one template that fails (`fail`, as real charts do for an unsupported
//! setting) does not fail `ferry discover`: the failure is printed as a warning naming the
//! chart, the file, the line and the chart's own message, the images of the chart's other
//! templates are still listed, and the exit status is 0 (issue 11, "one chart never aborts").

mod harness;

use harness::Dir;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image }}\"\n";
const FAILING: &str = "apiVersion: v1\nkind: ConfigMap\n{{- if not .Values.legacy }}\n{{ fail \"legacy mode is gone; set legacy: true\" }}\n{{- end }}\n";

fn chart_with_a_failing_template() -> Dir {
    let dir = Dir::new();
    dir.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 2.0.0\n",
    );
    dir.write(
        "charts/web/values.yaml",
        "image: nginx:1.27.0\nlegacy: false\n",
    );
    dir.write("charts/web/templates/deployment.yaml", DEPLOYMENT);
    dir.write("charts/web/templates/legacy.yaml", FAILING);
    dir.write(
        "profiles/site.yaml",
        "name: site\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {path: ../charts/web}\n",
    );
    dir
}

#[test]
fn a_failing_template_is_a_warning_with_chart_file_line_and_message() {
    let dir = chart_with_a_failing_template();
    let stdout = dir.ok(&["discover", "-p", "profiles", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let images: Vec<&str> = doc["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["reference"].as_str().expect("reference"))
        .collect();
    assert_eq!(images, ["docker.io/library/nginx:1.27.0"]);
    let warnings: Vec<String> = doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["location"].as_str().unwrap_or_default(),
                w["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let failed = warnings
        .iter()
        .find(|w| w.contains("legacy.yaml"))
        .unwrap_or_else(|| panic!("no warning names legacy.yaml: {warnings:?}"));
    assert!(failed.contains("web"), "{failed}");
    assert!(failed.contains("templates/legacy.yaml:4:"), "{failed}");
    assert!(
        failed.contains("legacy mode is gone; set legacy: true"),
        "{failed}"
    );
    assert!(
        !failed.contains(&dir.path("").display().to_string()),
        "{failed}"
    );
}

#[test]
fn the_text_report_prints_the_warning_and_the_image_and_exits_zero() {
    let dir = chart_with_a_failing_template();
    let out = dir.ferry(&["discover", "-p", "profiles"]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert!(
        printed.contains("docker.io/library/nginx:1.27.0"),
        "{printed}"
    );
    let line = printed
        .lines()
        .find(|l| l.contains("legacy.yaml"))
        .unwrap_or_else(|| panic!("no line names legacy.yaml: {printed}"));
    assert!(line.contains("web"), "{line}");
    assert!(line.contains("legacy.yaml:4:"), "{line}");
    assert!(line.contains("legacy mode is gone"), "{line}");
}
