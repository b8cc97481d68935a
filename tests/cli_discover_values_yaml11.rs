//! A profile's values file is read as `helm template -f` reads it (YAML 1.1): `tag: 010` is
//! the number 8 and `sidecar: {enabled: n}` is false, so `ferry discover` lists the images
//! Helm would render (issue 11, "render charts the way helm template does").

mod harness;

use harness::Dir;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: \"nginx:{{ .Values.tag }}\"\n{{- if .Values.sidecar.enabled }}\n        - name: sidecar\n          image: busybox:1.36\n{{- end }}\n";

#[test]
fn a_values_file_with_yaml_1_1_scalars_discovers_what_helm_renders() {
    let dir = Dir::new();
    dir.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    dir.write(
        "charts/web/values.yaml",
        "tag: \"1.27\"\nsidecar:\n  enabled: true\n",
    );
    dir.write("charts/web/templates/deployment.yaml", DEPLOYMENT);
    dir.write("values/site.yaml", "tag: 010\nsidecar:\n  enabled: n\n");
    dir.write(
        "profiles/site.yaml",
        "name: site\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {path: ../charts/web, values: [../values/site.yaml]}\n",
    );
    let stdout = dir.ok(&["discover", "-p", "profiles", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let images: Vec<&str> = doc["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["reference"].as_str().expect("reference"))
        .collect();
    // helm template -f values/site.yaml renders `nginx:8` and no sidecar.
    assert_eq!(images, ["docker.io/library/nginx:8"]);
}
