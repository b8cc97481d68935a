//! The Kubernetes version (and API versions) charts are discovered for: set per profile or
//! layer, refused with file and line when malformed, carried by the plan to discovery, and
//! named in the origins of what a chart gave.

use std::path::Path;

use ferry_bundler::discover::{discover_chart_with, DiscoverOptions, KubeVersion};
use ferry_bundler::pipeline::plan;
use ferry_bundler::profile::{Profile, ProfileError};
use rstest::rstest;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(Path::new("profiles/site.yaml"), text)
}

const LAYER: &str = "  - name: apps\n    kind: addon\n";
const SOURCES: &str = "    sources:\n      - images: [nginx:1.27]\n";

fn profile_text(top: &str, layer: &str) -> String {
    format!("name: site\nversion: 1.0.0\ntype: add-on\n{top}layers:\n{LAYER}{layer}{SOURCES}")
}

#[rstest]
#[case::profile_word(
    profile_text("kubeVersion: latest\n", ""),
    "profiles/site.yaml:4:",
    "kubeVersion \"latest\" is not a Kubernetes version"
)]
#[case::profile_one_part(
    profile_text("kubeVersion: \"1\"\n", ""),
    "profiles/site.yaml:4:",
    "kubeVersion \"1\""
)]
#[case::layer_bad(
    profile_text("", "    kubeVersion: v1.31.x\n"),
    "profiles/site.yaml:7:18:",
    "kubeVersion \"v1.31.x\""
)]
#[case::profile_api_version(
    profile_text("apiVersions: [apps/v1, monitoring]\n", ""),
    "profiles/site.yaml:4:",
    "apiVersions entry \"monitoring\""
)]
#[case::layer_api_version(
    profile_text("", "    apiVersions:\n      - apps/v1/deployment\n"),
    "profiles/site.yaml:8:9:",
    "apiVersions entry \"apps/v1/deployment\""
)]
fn malformed_versions_name_file_and_line(
    #[case] text: String,
    #[case] at: &str,
    #[case] message: &str,
) {
    let err = parse(&text).expect_err("refused").to_string();
    assert!(err.starts_with(at), "{err}");
    assert!(err.contains(message), "{err}");
}

#[rstest]
#[case::defaults("", "", "v1.33.0", &[])]
#[case::profile_sets(
    "kubeVersion: 1.31.4\napiVersions: [monitoring.coreos.com/v1]\n",
    "",
    "v1.31.4",
    &["monitoring.coreos.com/v1"]
)]
#[case::with_v("kubeVersion: v1.30.2\n", "", "v1.30.2", &[])]
#[case::layer_overrides(
    "kubeVersion: 1.31.4\napiVersions: [monitoring.coreos.com/v1]\n",
    "    kubeVersion: \"1.29\"\n    apiVersions: [cert-manager.io/v1/Certificate]\n",
    "v1.29.0",
    &["cert-manager.io/v1/Certificate"]
)]
#[case::layer_keeps_profile_apis(
    "apiVersions: [monitoring.coreos.com/v1]\n",
    "    kubeVersion: 1.32.1\n",
    "v1.32.1",
    &["monitoring.coreos.com/v1"]
)]
fn layer_settings_override_the_profile(
    #[case] top: &str,
    #[case] layer: &str,
    #[case] version: &str,
    #[case] apis: &[&str],
) {
    let profile = parse(&profile_text(top, layer)).expect("valid");
    let options = profile.layers[0].discover_options(&profile);
    assert_eq!(options.kube_version.to_string(), version);
    let listed: Vec<&str> = options.api_versions.iter().map(|a| a.as_str()).collect();
    assert_eq!(listed, apis);
}

#[test]
fn versions_round_trip_as_written_strings() {
    let profile = parse(&profile_text("kubeVersion: 1.31.4\n", "")).expect("valid");
    let json = serde_json::to_value(&profile).expect("serialises");
    assert_eq!(json["kubeVersion"], "v1.31.4");
    assert!(json["layers"][0].get("kubeVersion").is_none());
}

/// A chart that picks its image tag by cluster version, as real charts do for kubectl images.
fn version_picking_chart(root: &Path) {
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: kubectl\nversion: 1.0.0\nappVersion: \"1.0.0\"\n",
        ),
        ("values.yaml", "{}\n"),
        (
            "templates/job.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: k\nspec:\n  template:\n    spec:\n      containers:\n        - name: k\n{{- if eq .Capabilities.KubeVersion.Minor \"31\" }}\n          image: registry.k8s.io/kubectl:v1.31.4\n{{- else }}\n          image: registry.k8s.io/kubectl:v1.33.0\n{{- end }}\n",
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

#[rstest]
#[case::default(
    DiscoverOptions::default(),
    "registry.k8s.io/kubectl:v1.33.0",
    "templates/job.yaml Job/k spec.template.spec.containers{k}.image for Kubernetes v1.33.0"
)]
#[case::set(
    DiscoverOptions { kube_version: KubeVersion::parse("1.31.4").expect("version"), ..Default::default() },
    "registry.k8s.io/kubectl:v1.31.4",
    "templates/job.yaml Job/k spec.template.spec.containers{k}.image for Kubernetes v1.31.4"
)]
fn the_version_reaches_chart_discovery(
    #[case] options: DiscoverOptions,
    #[case] image: &str,
    #[case] origin_end: &str,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    version_picking_chart(dir.path());
    let found =
        discover_chart_with(dir.path(), "chart kubectl 1.0.0", &[], &options).expect("readable");
    assert_eq!(found.references(), [image]);
    let origin = found.images[0].origin.to_string();
    assert!(origin.ends_with(origin_end), "{origin}");
    assert_eq!(
        found.images[0].origin.kube_version,
        Some(options.kube_version.to_string())
    );
}

#[test]
fn the_plan_carries_each_layers_version_to_its_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    version_picking_chart(&dir.path().join("charts/kubectl"));
    let file = dir.path().join("site.yaml");
    let text = "name: site\nversion: 1.0.0\ntype: add-on\nkubeVersion: 1.31.4\nlayers:\n  - name: old\n    kind: addon\n    sources:\n      - chart: { path: charts/kubectl }\n  - name: new\n    kind: addon\n    kubeVersion: 1.32.0\n    sources:\n      - chart: { path: charts/kubectl }\n";
    std::fs::write(&file, text).expect("write profile");
    let profile = Profile::load(&file).expect("loads");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let planned = plan(&[profile], &[], &work).expect("plans");
    let versions: Vec<(String, String)> = planned
        .charts
        .iter()
        .map(|c| {
            (
                c.provenance.layer.clone(),
                c.options.kube_version.to_string(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("old".to_owned(), "v1.31.4".to_owned()),
            ("new".to_owned(), "v1.32.0".to_owned())
        ]
    );
}
