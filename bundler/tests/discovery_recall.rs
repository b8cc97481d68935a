//! Recall and precision of chart image discovery against the hand-checked corpus in
//! testdata/charts (expected-images.yaml; non-required-images.yaml entries score neither way),
//! per chart and over the whole corpus, counted per image. Images only the heuristic fallback
//! found (guesses) are counted like the rest and also shown apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ferry_bundler::discover::discover_chart;

fn charts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/charts")
}

fn read_yaml<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = charts_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn recall_and_precision_over_the_chart_corpus() {
    let expected: BTreeMap<String, Vec<String>> = read_yaml("expected-images.yaml");
    let neutral: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        read_yaml("non-required-images.yaml");

    let mut chart_dirs: Vec<PathBuf> = std::fs::read_dir(charts_dir())
        .expect("testdata/charts is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    chart_dirs.sort();
    assert_eq!(
        chart_dirs.len(),
        expected.len(),
        "every corpus chart has expectations"
    );

    let (mut hits, mut misses, mut false_positives, mut guesses) = (0usize, 0usize, 0usize, 0usize);
    for dir in &chart_dirs {
        let item = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let want: BTreeSet<&str> = expected[&item].iter().map(String::as_str).collect();
        let ignore: BTreeSet<&str> = neutral
            .get(&item)
            .into_iter()
            .flat_map(|m| m.values().flatten())
            .map(String::as_str)
            .collect();
        let discovery = discover_chart(dir, &[]).unwrap_or_else(|e| panic!("{item}: {e}"));
        let got: BTreeSet<&str> = discovery.references().into_iter().collect();

        let hit = want.intersection(&got).count();
        let missed: Vec<&&str> = want.difference(&got).collect();
        let extra: Vec<&&str> = got
            .iter()
            .filter(|g| !want.contains(*g) && !ignore.contains(*g))
            .collect();
        let scored = hit + extra.len();
        println!(
            "{item:32} recall {:.2} ({hit}/{}) precision {:.2} ({hit}/{scored}) guesses {} warnings {}",
            ratio(hit, want.len()),
            want.len(),
            ratio(hit, scored),
            discovery.guesses(),
            discovery.warnings.len()
        );
        for m in &missed {
            println!("    missed   {m}");
        }
        for x in &extra {
            let origin = discovery
                .images
                .iter()
                .find(|i| i.reference == **x)
                .map(|i| i.origin.to_string())
                .unwrap_or_default();
            println!("    extra    {x}  <- {origin}");
        }
        for w in &discovery.warnings {
            println!("    warning  {w}");
        }
        guesses += discovery.guesses();
        hits += hit;
        misses += missed.len();
        false_positives += extra.len();
    }
    let recall = ratio(hits, hits + misses);
    let precision = ratio(hits, hits + false_positives);
    println!(
        "OVERALL {} charts: recall {recall:.3} ({hits}/{}) precision {precision:.3} ({hits}/{}) guesses {guesses}",
        chart_dirs.len(),
        hits + misses,
        hits + false_positives
    );
    assert!(recall >= 0.98, "overall recall {recall:.3} below 0.98");
    assert!(
        precision >= 0.95,
        "overall precision {precision:.3} below 0.95"
    );
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}
