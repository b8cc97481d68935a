//! Renders the real charts of testdata/charts with their default values and checks facts read
//! off their templates and values by hand (the image of a named workload's container, a CR's
//! image, that tests are marked), and that every template file of the corpus renders.

use std::path::PathBuf;

use ferry_bundler::discover::{normalize_reference, FileSet};
use ferry_bundler::render::{render_chart, RenderOptions, Rendered};
use rstest::rstest;

fn chart_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/charts")
        .join(name)
}

fn render(name: &str) -> Rendered {
    let files = FileSet::from_path_as(&chart_dir(name), &format!("chart {name}")).unwrap();
    render_chart(&files, &[], &RenderOptions::default()).unwrap()
}

/// The images of a workload's containers and init containers.
fn workload_images(rendered: &Rendered, kind: &str, name: &str) -> Vec<String> {
    let doc = rendered
        .documents
        .iter()
        .find(|d| d.object["kind"] == kind && d.object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} among {:#?}", kinds_and_names(rendered)));
    let pod = if kind == "CronJob" {
        &doc.object["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &doc.object["spec"]["template"]["spec"]
    };
    ["initContainers", "containers"]
        .iter()
        .filter_map(|k| pod[k].as_array())
        .flatten()
        .filter_map(|c| c["image"].as_str())
        .map(|i| normalize_reference(i).unwrap_or_else(|e| panic!("{i}: {e}")))
        .collect()
}

fn kinds_and_names(rendered: &Rendered) -> Vec<String> {
    rendered
        .documents
        .iter()
        .map(|d| format!("{} {}", d.object["kind"], d.object["metadata"]["name"]))
        .collect()
}

#[rstest]
#[case(
    "podinfo-6.4.0",
    "Deployment",
    "release-name-podinfo",
    "ghcr.io/stefanprodan/podinfo:6.4.0"
)]
#[case(
    "dex-0.24.0",
    "Deployment",
    "release-name-dex",
    "ghcr.io/dexidp/dex:v2.44.0"
)]
#[case(
    "metrics-server-3.13.0",
    "Deployment",
    "release-name-metrics-server",
    "registry.k8s.io/metrics-server/metrics-server:v0.8.0"
)]
#[case(
    "sealed-secrets-2.17.1",
    "Deployment",
    "release-name-sealed-secrets",
    "docker.io/bitnami/sealed-secrets-controller:0.28.0"
)]
#[case("ingress-nginx-4.11.3", "Deployment", "release-name-ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7")]
#[case("ingress-nginx-4.11.3", "Job", "release-name-ingress-nginx-admission-create", "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.4@sha256:a9f03b34a3cbfbb26d103a14046ab2c5130a80c3d69d526ff8063d2b37b9fd3f")]
#[case(
    "metallb-0.14.9",
    "Deployment",
    "release-name-metallb-controller",
    "quay.io/metallb/controller:v0.14.9"
)]
#[case(
    "metallb-0.14.9",
    "DaemonSet",
    "release-name-metallb-speaker",
    "quay.io/metallb/speaker:v0.14.9"
)]
#[case(
    "metallb-0.14.9",
    "DaemonSet",
    "release-name-metallb-speaker",
    "quay.io/frrouting/frr:9.1.0"
)]
#[case(
    "longhorn-1.11.2",
    "DaemonSet",
    "longhorn-manager",
    "docker.io/longhornio/longhorn-manager:v1.11.2"
)]
#[case(
    "longhorn-1.11.2",
    "Deployment",
    "longhorn-ui",
    "docker.io/longhornio/longhorn-ui:v1.11.2"
)]
#[case(
    "kube-prometheus-stack-77.5.0",
    "Deployment",
    "release-name-kube-promethe-operator",
    "quay.io/prometheus-operator/prometheus-operator:v0.85.0"
)]
#[case(
    "kube-prometheus-stack-77.5.0",
    "Deployment",
    "release-name-grafana",
    "docker.io/grafana/grafana:12.1.1"
)]
#[case(
    "kube-prometheus-stack-77.5.0",
    "Deployment",
    "release-name-kube-state-metrics",
    "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0"
)]
#[case(
    "kube-prometheus-stack-77.5.0",
    "DaemonSet",
    "release-name-prometheus-node-exporter",
    "quay.io/prometheus/node-exporter:v1.9.1"
)]
fn workloads_run_the_images_their_templates_compose(
    #[case] chart: &str,
    #[case] kind: &str,
    #[case] name: &str,
    #[case] image: &str,
) {
    let rendered = render(chart);
    let images = workload_images(&rendered, kind, name);
    assert!(
        images.iter().any(|i| i == image),
        "{kind} {name}: {images:?}"
    );
}

#[test]
fn kube_prometheus_stack_renders_its_custom_resources_and_subcharts() {
    let rendered = render("kube-prometheus-stack-77.5.0");
    let prometheus = rendered
        .documents
        .iter()
        .find(|d| d.object["kind"] == "Prometheus")
        .expect("a Prometheus resource");
    assert_eq!(
        prometheus.object["spec"]["image"],
        "quay.io/prometheus/prometheus:v3.5.0"
    );
    let charts: std::collections::BTreeSet<&str> = rendered
        .documents
        .iter()
        .map(|d| d.chart.as_str())
        .collect();
    for sub in ["grafana", "kube-state-metrics", "prometheus-node-exporter"] {
        let path = format!("kube-prometheus-stack/charts/{sub}");
        assert!(charts.contains(path.as_str()), "{path} in {charts:?}");
    }
    // Windows exporter is off by default (condition windowsMonitoring.enabled).
    assert!(!charts
        .iter()
        .any(|c| c.ends_with("prometheus-windows-exporter")));
    // Grafana's test pod is a test, not deployed.
    let tests: Vec<&str> = rendered
        .documents
        .iter()
        .filter(|d| d.test_hook)
        .map(|d| d.template.as_str())
        .collect();
    assert!(
        tests
            .iter()
            .any(|t| t.starts_with("kube-prometheus-stack/charts/grafana/templates/tests/")),
        "{tests:?}"
    );
    // CRDs come raw from the crds subchart.
    assert!(rendered
        .documents
        .iter()
        .any(|d| d.crd && d.object["kind"] == "CustomResourceDefinition"));
}

#[test]
fn the_whole_corpus_renders_without_template_errors() {
    let mut failures = Vec::new();
    let (mut executed, mut failed) = (0, 0);
    for entry in std::fs::read_dir(chart_dir("")).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("Chart.yaml").exists() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rendered = render(&name);
        println!(
            "{name}: {} template files executed, {} failed, {} documents",
            rendered.templates_executed,
            rendered.templates_failed,
            rendered.documents.len()
        );
        executed += rendered.templates_executed;
        failed += rendered.templates_failed;
        failures.extend(rendered.warnings.iter().map(|w| w.to_string()));
    }
    println!("corpus: {executed} template files executed, {failed} failed");
    assert!(executed > 300, "the corpus has hundreds of template files");
    assert_eq!(failures, Vec::<String>::new());
}

fn render_with(name: &str, overrides: serde_json::Value) -> Rendered {
    let files = FileSet::from_path_as(&chart_dir(name), &format!("chart {name}")).unwrap();
    let rendered = render_chart(&files, &[overrides], &RenderOptions::default()).unwrap();
    assert!(rendered.warnings.is_empty(), "{:#?}", rendered.warnings);
    rendered
}

fn charts_of(rendered: &Rendered) -> std::collections::BTreeSet<String> {
    rendered.documents.iter().map(|d| d.chart.clone()).collect()
}

#[test]
fn conditions_of_a_real_umbrella_chart_follow_the_values() {
    let kps = "kube-prometheus-stack-77.5.0";
    let without_grafana = render_with(kps, serde_json::json!({"grafana": {"enabled": false}}));
    assert!(!charts_of(&without_grafana).contains("kube-prometheus-stack/charts/grafana"));
    let windows = render_with(
        kps,
        serde_json::json!({"windowsMonitoring": {"enabled": true}}),
    );
    assert!(
        charts_of(&windows).contains("kube-prometheus-stack/charts/prometheus-windows-exporter")
    );
}

#[test]
fn a_global_registry_reaches_the_parents_and_subcharts_templates() {
    let rendered = render_with(
        "kube-prometheus-stack-77.5.0",
        serde_json::json!({"global": {"imageRegistry": "mirror.example"}}),
    );
    let operator = workload_images(
        &rendered,
        "Deployment",
        "release-name-kube-promethe-operator",
    );
    assert_eq!(
        operator,
        ["mirror.example/prometheus-operator/prometheus-operator:v0.85.0"]
    );
}

#[test]
fn a_values_override_changes_the_workload_kind() {
    let rendered = render_with(
        "ingress-nginx-4.11.3",
        serde_json::json!({"controller": {"kind": "DaemonSet"}}),
    );
    let images = workload_images(
        &rendered,
        "DaemonSet",
        "release-name-ingress-nginx-controller",
    );
    assert_eq!(images.len(), 1);
    assert!(images[0].starts_with("registry.k8s.io/ingress-nginx/controller:v1.11.3@"));
    assert!(!rendered
        .documents
        .iter()
        .any(|d| d.object["kind"] == "Deployment"
            && d.object["metadata"]["name"] == "release-name-ingress-nginx-controller"));
}

#[test]
fn files_glob_ranges_over_a_charts_dashboards() {
    let rendered = render_with(
        "sealed-secrets-2.17.1",
        serde_json::json!({"metrics": {"dashboards": {"create": true}}}),
    );
    let config = rendered
        .documents
        .iter()
        .find(|d| {
            d.object["metadata"]["name"] == "release-name-sealed-secrets-sealed-secrets-controller"
        })
        .expect("the dashboard ConfigMap");
    let embedded = config.object["data"]["sealed-secrets-controller.json"]
        .as_str()
        .unwrap();
    let file = std::fs::read_to_string(chart_dir(
        "sealed-secrets-2.17.1/dashboards/sealed-secrets-controller.json",
    ))
    .unwrap();
    let parsed = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(parsed(embedded), parsed(&file));
}

/// Every image a rendered (non-test) pod spec runs is in the corpus's ground truth
/// (testdata/charts/expected-images.yaml, with non-required-images.yaml's optional ones):
/// the renderer produces what `helm template` produces, chart by chart.
#[test]
fn rendered_pod_images_match_the_corpus_ground_truth() {
    let read = |name: &str| -> serde_json::Value {
        serde_saphyr::from_str(&std::fs::read_to_string(chart_dir(name)).unwrap()).unwrap()
    };
    let expected = read("expected-images.yaml");
    let optional = read("non-required-images.yaml");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (chart, images) in expected.as_object().unwrap() {
        if !chart_dir(chart).join("Chart.yaml").exists() {
            continue;
        }
        let mut allowed: Vec<String> = images
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect();
        allowed.extend(
            optional[chart.as_str()]["optional"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_str().map(str::to_owned)),
        );
        let rendered = render(chart);
        for doc in rendered.documents.iter().filter(|d| !d.test_hook && !d.crd) {
            let kind = doc.object["kind"].as_str().unwrap_or_default();
            let pod = match kind {
                "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" => {
                    &doc.object["spec"]["template"]["spec"]
                }
                "CronJob" => &doc.object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                "Pod" => &doc.object["spec"],
                _ => continue,
            };
            for list in ["initContainers", "containers"] {
                for container in pod[list].as_array().into_iter().flatten() {
                    let Some(image) = container["image"].as_str() else {
                        continue;
                    };
                    checked += 1;
                    let normalized =
                        normalize_reference(image).unwrap_or_else(|e| format!("{image} ({e})"));
                    if !allowed.contains(&normalized) {
                        wrong.push(format!(
                            "{chart}: {kind} {}: {normalized}",
                            doc.object["metadata"]["name"]
                        ));
                    }
                }
            }
        }
    }
    println!("{checked} pod images checked against the ground truth");
    assert!(checked > 100);
    assert_eq!(wrong, Vec::<String>::new());
}
