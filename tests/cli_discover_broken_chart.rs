//! One chart whose values.yaml is broken does not abort `ferry discover`: it is reported as a
//! warning naming the chart, the file and the line, never the cache path, and the other
//! profiles' images are still found (issue 11, "Robust YAML").

mod harness;

use harness::Dir;

const BROKEN_VALUES: &str = "image:\n  repository: bitnami/redis\n  tag: [7.2.1\nreplicas: 1\n";

/// Writes `charts/<chart>/Chart.yaml` and `profiles/<profile>.yaml` with one layer holding `source`.
fn chart_and_profile(dir: &Dir, chart: &str, version: &str, profile: &str, source: &str) {
    dir.write(
        &format!("charts/{chart}/Chart.yaml"),
        &format!("apiVersion: v2\nname: {chart}\nversion: {version}\n"),
    );
    dir.write(
        &format!("profiles/{profile}.yaml"),
        &format!("name: {profile}\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - {source}\n"),
    );
}

#[test]
fn a_broken_chart_is_a_warning_and_the_other_profiles_are_still_discovered() {
    let dir = Dir::new();
    chart_and_profile(
        &dir,
        "redis",
        "18.1.0",
        "broken",
        "chart: {path: ../charts/redis}",
    );
    dir.write("charts/redis/values.yaml", BROKEN_VALUES);
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

/// Chart `web` and profile `site` applying `values/site.yaml`, which holds `values`.
fn web_with_site_values(values: &str) -> Dir {
    let dir = Dir::new();
    let source = "chart: {path: ../charts/web, values: [../values/site.yaml]}";
    chart_and_profile(&dir, "web", "1.0.0", "site", source);
    dir.write("values/site.yaml", values);
    dir
}

/// A profile's own values file is chart YAML too: a long comment block after an empty value
/// must not stop it being read.
#[test]
fn a_profile_values_file_with_a_long_comment_block_is_read() {
    let comments: String = (0..300)
        .map(|i| format!("# note {i} on the empty value\n"))
        .collect();
    let dir = web_with_site_values(&format!(
        "nameOverride:\n{comments}image:\n  tag: \"1.27\"\n"
    ));
    dir.write(
        "charts/web/values.yaml",
        "image:\n  repository: nginx\n  tag: \"1.26\"\n",
    );
    dir.write(
        "charts/web/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n",
    );
    let stdout = dir.ok(&["discover", "-p", "profiles", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(
        doc["images"][0]["reference"], "docker.io/library/nginx:1.27",
        "{doc}"
    );
}

/// A profile's own broken values file is the user's error: it fails the run, naming the file
/// and the line once, in the form profile errors use.
#[test]
fn a_broken_profile_values_file_fails_naming_file_and_line() {
    let dir = web_with_site_values(BROKEN_VALUES);
    let stderr = dir.fails(1, &["discover", "-p", "profiles"]);
    assert!(
        stderr.contains("values/site.yaml: line 4, column 9: illegal placement"),
        "{stderr}"
    );
}
