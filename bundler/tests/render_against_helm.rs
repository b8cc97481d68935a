//! ferry's chart renderer against Helm itself: every chart of testdata/charts is rendered by
//! `helm template` (Helm 3.17.3, installed by scripts/setup) and by `render::render_chart`, and
//! the two outputs are compared document by document, as parsed objects.
//!
//! Documents that Helm itself renders differently on two runs (random passwords, generated
//! certificates, `now`) cannot be compared and are counted apart. Every other document must be
//! identical, and the images found in both outputs (by the same extractor) must be the same.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_bundler::discover::{discover_object, FileSet, ObjectSource};
use ferry_bundler::render::{parse_document, render_chart, split_manifests, RenderOptions};
use serde_json::Value;

/// (kind, namespace, name): how a document is matched across the two outputs. Not the file:
/// Helm prints a file's own leading `---` after its `# Source:` line, which leaves the
/// document without one.
type Key = (String, String, String);

fn charts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/charts");
    let mut charts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/charts is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    charts.sort();
    charts
}

fn key(object: &Value) -> Key {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let meta = object.get("metadata");
    (
        text(object.get("kind")),
        text(meta.and_then(|m| m.get("namespace"))),
        text(meta.and_then(|m| m.get("name"))),
    )
}

/// `helm template` output as documents keyed like ferry's.
fn helm_documents(helm: &Path, chart: &Path) -> BTreeMap<Key, Vec<Value>> {
    let out = Command::new(helm)
        .args(["template", "release-name"])
        .arg(chart)
        .args(["--kube-version", "1.33.0", "--include-crds"])
        .output()
        .expect("helm runs");
    assert!(
        out.status.success(),
        "helm template {}: {}",
        chart.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("helm prints UTF-8");
    let mut docs: BTreeMap<Key, Vec<Value>> = BTreeMap::new();
    for doc in split_manifests(&text) {
        if let Some(object) = parse_document(&doc).expect("helm's output is YAML") {
            docs.entry(key(&object)).or_default().push(object);
        }
    }
    docs
}

fn images(docs: &BTreeMap<Key, Vec<Value>>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for objects in docs.values() {
        for object in objects {
            // Test pods are skipped by their `helm.sh/hook: test` annotation.
            let source = ObjectSource {
                chart: "chart",
                file: "template",
                kube_version: None,
                helm_test: false,
            };
            found.extend(
                discover_object(object, &source)
                    .images
                    .into_iter()
                    .map(|i| i.reference),
            );
        }
    }
    found
}

#[test]
fn every_corpus_chart_renders_as_helm_template_renders_it() {
    let Some(helm) = ferry_testkit::tools::helm() else {
        return;
    };
    let (mut total, mut same, mut unstable, mut failures) = (0, 0, 0, Vec::new());
    for chart in charts() {
        let name = chart.file_name().unwrap().to_string_lossy().into_owned();
        let first = helm_documents(&helm, &chart);
        let second = helm_documents(&helm, &chart);
        let files = FileSet::from_path_as(&chart, &name).expect("chart reads");
        let rendered = render_chart(&files, &[], &RenderOptions::default()).expect("chart renders");
        let mut ours: BTreeMap<Key, Vec<Value>> = BTreeMap::new();
        for doc in &rendered.documents {
            ours.entry(key(&doc.object))
                .or_default()
                .push(doc.object.clone());
        }

        let (mut c_same, mut c_unstable, mut c_diff) = (0, 0, Vec::new());
        for (k, theirs) in &first {
            total += theirs.len();
            if second.get(k) != Some(theirs) {
                c_unstable += theirs.len();
                continue;
            }
            match ours.get(k) {
                Some(mine) if mine == theirs => c_same += theirs.len(),
                Some(mine) => c_diff.push(format!(
                    "differs: {k:?}: {}",
                    first_difference(&Value::from(theirs.clone()), &Value::from(mine.clone()), "")
                )),
                None => c_diff.push(format!("missing: {k:?}")),
            }
        }
        // A name Helm draws at random (`randAlphaNum` in a test pod's name) differs on each
        // run; ferry's is fixed. Such a document is matched by kind alone.
        let random_names: BTreeSet<&String> = first
            .keys()
            .filter(|k| !second.contains_key(*k))
            .map(|(kind, ..)| kind)
            .collect();
        for k in ours.keys().filter(|k| !first.contains_key(*k)) {
            if random_names.contains(&k.0) {
                continue;
            }
            c_diff.push(format!("extra:   {k:?}"));
        }
        let (helm_images, our_images) = (images(&first), images(&ours));
        println!(
            "{name:32} documents {:4}  identical {c_same:4}  helm-unstable {c_unstable:3}  different {:3}  images helm {} ferry {}  warnings {}",
            first.values().map(Vec::len).sum::<usize>(),
            c_diff.len(),
            helm_images.len(),
            our_images.len(),
            rendered.warnings.len(),
        );
        for d in &c_diff {
            println!("    {d}");
        }
        for w in &rendered.warnings {
            println!("    warning {w}");
        }
        for i in helm_images.symmetric_difference(&our_images) {
            println!(
                "    image only in {}: {i}",
                if helm_images.contains(i) {
                    "helm"
                } else {
                    "ferry"
                }
            );
        }
        same += c_same;
        unstable += c_unstable;
        if !c_diff.is_empty() || helm_images != our_images {
            failures.push(name);
        }
    }
    println!("OVERALL documents {total}, identical {same}, helm-unstable {unstable}, charts differing: {failures:?}");
    assert!(
        failures.is_empty(),
        "charts rendered unlike helm: {failures:?}"
    );
}

/// Where two objects first differ: the path and both values, cut short.
fn first_difference(helm: &Value, ours: &Value, path: &str) -> String {
    match (helm, ours) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return first_difference(v, w, &format!("{path}.{k}")),
                    None => return format!("{path}.{k} only in helm"),
                }
            }
            let extra = b.keys().find(|k| !a.contains_key(*k));
            format!(
                "{path}.{} only in ferry",
                extra.map(String::as_str).unwrap_or("?")
            )
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]")))
            .unwrap_or_default(),
        _ => format!("{path}: helm {} ferry {}", cut(helm), cut(ours)),
    }
}

fn cut(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}
