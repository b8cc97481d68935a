//! Chart discovery by rendering, and the heuristic fallback for templates that fail: what the
//! fallback adds is a guess, and it never repeats an image rendering found under another tag.

use std::path::Path;

use ferry_bundler::discover::discover_chart_as;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const CHART: &str = "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"1.0\"\n";

const VALUES: &str = r#"
app:
  image:
    repository: acme/app
    tag: "1.2"
worker:
  image:
    repository: acme/worker
    tag: "3.4"
"#;

/// The app's tag gets a suffix the heuristic cannot know; the worker's template fails.
const APP: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.app.image.repository }}:{{ .Values.app.image.tag }}-distroless"
"#;

const WORKER: &str = r#"{{- $secret := required "worker.secret is required" .Values.worker.secret -}}
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: "{{ .Values.worker.image.repository }}:{{ .Values.worker.image.tag }}"
"#;

#[test]
fn a_failed_template_is_a_warning_and_its_images_are_guesses() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", CHART),
            ("values.yaml", VALUES),
            ("templates/app.yaml", APP),
            ("templates/worker.yaml", WORKER),
        ],
    );
    let found = discover_chart_as(dir.path(), "chart web 1.0.0", &[]).expect("chart reads");

    let certain: Vec<&str> = found
        .images
        .iter()
        .filter(|i| !i.is_guess())
        .map(|i| i.reference.as_str())
        .collect();
    let guessed: Vec<&str> = found
        .images
        .iter()
        .filter(|i| i.is_guess())
        .map(|i| i.reference.as_str())
        .collect();
    assert_eq!(certain, ["docker.io/acme/app:1.2-distroless"]);
    // The heuristic reads `acme/app:1.2` too, but rendering found that repository: dropped.
    assert_eq!(guessed, ["docker.io/acme/worker:3.4"]);
    assert_eq!(found.guesses(), 1);
    assert!(found.images[1].origin.to_string().ends_with("(guess)"));

    let warning = found
        .warnings
        .iter()
        .find(|w| w.message.contains("worker.secret is required"))
        .unwrap_or_else(|| panic!("no warning for the failed template: {:?}", found.warnings));
    let text = warning.to_string();
    for part in ["chart web 1.0.0", "templates/worker.yaml", ":1:"] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
}

#[test]
fn a_chart_that_renders_gets_no_guesses() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", CHART),
            ("values.yaml", VALUES),
            ("templates/app.yaml", APP),
        ],
    );
    let found = discover_chart_as(dir.path(), "chart web 1.0.0", &[]).expect("chart reads");
    assert_eq!(found.references(), ["docker.io/acme/app:1.2-distroless"]);
    assert_eq!(found.guesses(), 0);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}
