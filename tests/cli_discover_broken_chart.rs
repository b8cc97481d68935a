//! One chart whose values.yaml is broken does not abort `ferry discover`: it is reported as a
//! warning naming the chart, the file and the line, never the cache path, and the other
//! profiles' images are still found (issue 11, "Robust YAML").

mod harness;

use harness::Dir;

const BROKEN_VALUES: &str = "image:\n  repository: bitnami/redis\n  tag: [7.2.1\nreplicas: 1\n";

#[test]
fn a_broken_chart_is_a_warning_and_the_other_profiles_are_still_discovered() {
    let dir = Dir::new();
    dir.write(
        "charts/redis/Chart.yaml",
        "apiVersion: v2\nname: redis\nversion: 18.1.0\n",
    );
    dir.write("charts/redis/values.yaml", BROKEN_VALUES);
    dir.write(
        "profiles/broken.yaml",
        "name: broken\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {path: ../charts/redis}\n",
    );
    dir.write(
        "profiles/fine.yaml",
        "name: fine\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [nginx:1.27]\n",
    );
    let stdout = dir.ok(&["discover", "-p", "profiles", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let images: Vec<_> = doc["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["reference"].as_str().expect("reference").to_owned())
        .collect();
    assert_eq!(images, ["docker.io/library/nginx:1.27"]);
    let warnings = doc["warnings"].as_array().expect("warnings");
    let text: Vec<String> = warnings
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["location"].as_str().unwrap_or_default(),
                w["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let broken = text
        .iter()
        .find(|w| w.contains("values.yaml"))
        .unwrap_or_else(|| panic!("no warning names values.yaml: {text:?}"));
    assert!(broken.contains("redis"), "{broken}");
    assert!(broken.contains("values.yaml line 4"), "{broken}");
    assert!(!broken.contains(".ferry-cache"), "{broken}");
    assert!(!broken.contains("sha256"), "{broken}");
    assert!(
        !broken.contains(&dir.path("").display().to_string()),
        "{broken}"
    );
}

/// A profile's own values file is chart YAML too: a long comment block after an empty value
/// must not stop it being read.
#[test]
fn a_profile_values_file_with_a_long_comment_block_is_read() {
    let dir = Dir::new();
    dir.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    dir.write(
        "charts/web/values.yaml",
        "image:\n  repository: nginx\n  tag: \"1.26\"\n",
    );
    dir.write(
        "charts/web/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n",
    );
    let comments: String = (0..300)
        .map(|i| format!("# note {i} on the empty value\n"))
        .collect();
    dir.write(
        "values/site.yaml",
        &format!("nameOverride:\n{comments}image:\n  tag: \"1.27\"\n"),
    );
    dir.write(
        "profiles/site.yaml",
        "name: site\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {path: ../charts/web, values: [../values/site.yaml]}\n",
    );
    let stdout = dir.ok(&["discover", "-p", "profiles", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(
        doc["images"][0]["reference"], "docker.io/library/nginx:1.27",
        "{doc}"
    );
}
