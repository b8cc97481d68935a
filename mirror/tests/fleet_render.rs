//! Rendering is a pure function of its input: the same input gives the same bytes (so the same
//! digest) however often it runs, any change of content gives another digest, and bad input is
//! refused with an error that names the cluster, profile and file.

use std::collections::BTreeMap;

use ferry_bundler::format::profile_definition::{
    ChartUnit, LayerDefinition, ManifestFile, ManifestsUnit, PackUnit, ProfileDefinition, Unit,
};
use ferry_bundler::format::Digest;
use ferry_mirror::fleet::desired::{render, DesiredError, Input, InputProfile};
use ferry_mirror::fleet::FleetSettings;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn chart(name: &str, values: Value) -> Unit {
    Unit::Chart(ChartUnit {
        name: name.into(),
        version: "1.2.3".into(),
        reference: format!("oci://example.org/charts/{name}:1.2.3"),
        repository: format!("charts/{name}"),
        digest: Digest::of_bytes(name.as_bytes()),
        values: values.as_object().unwrap().clone(),
    })
}

fn manifests(name: &str, content: &str) -> Unit {
    Unit::Manifests(ManifestsUnit {
        files: vec![ManifestFile {
            name: name.into(),
            content: content.into(),
        }],
    })
}

fn profile(name: &str, layers: Vec<(&str, Vec<Unit>)>) -> InputProfile {
    let definition = ProfileDefinition {
        schema_version: 1,
        name: name.into(),
        version: "1.0.0".into(),
        profile_type: "add-on".into(),
        variables: vec![],
        layers: layers
            .into_iter()
            .map(|(layer, units)| LayerDefinition {
                name: layer.into(),
                kind: "addon".into(),
                units,
                images: vec![],
            })
            .collect(),
    };
    InputProfile {
        name: name.into(),
        version: "1.0.0".into(),
        revision: 1,
        definition_digest: definition.digest(),
        definition,
        layer_values: BTreeMap::new(),
        variables: BTreeMap::new(),
    }
}

fn input(profiles: Vec<InputProfile>) -> Input {
    Input {
        cluster: "edge-01".into(),
        labels: BTreeMap::new(),
        profiles,
    }
}

fn settings() -> FleetSettings {
    FleetSettings {
        mirror_host: "mirror.enclave:5000".into(),
        ..FleetSettings::default()
    }
}

fn sample(replicas: i64, color: &str, site: &str) -> Input {
    let mut p = profile(
        "apps",
        vec![
            (
                "web",
                vec![chart(
                    "web",
                    json!({"replicaCount": 1, "color": "{{ .spectro.var.color }}"}),
                )],
            ),
            (
                "cfg",
                vec![manifests(
                    "cm.yaml",
                    "kind: ConfigMap\ndata:\n  site: {{ .spectro.var.site }}\n  image: redis:7\n",
                )],
            ),
        ],
    );
    p.layer_values.insert(
        "web".into(),
        json!({"replicaCount": replicas})
            .as_object()
            .unwrap()
            .clone(),
    );
    p.variables.insert("color".into(), json!(color));
    p.variables.insert("site".into(), json!(site));
    input(vec![p])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn same_input_same_digest_and_content_changes_change_it(
        replicas in 0i64..1000, color in "[a-z]{1,12}", site in "[a-z0-9-]{1,20}"
    ) {
        let a = render(&sample(replicas, &color, &site), &settings()).unwrap();
        let b = render(&sample(replicas, &color, &site), &settings()).unwrap();
        prop_assert_eq!(&a.manifest, &b.manifest);
        prop_assert_eq!(&a.layer, &b.layer);
        prop_assert_eq!(&a.digest, &b.digest);
        prop_assert_eq!(Digest::of_bytes(&a.manifest), a.digest.clone());
        let other = render(&sample(replicas + 1, &color, &site), &settings()).unwrap();
        prop_assert_ne!(&other.digest, &a.digest);
    }
}

#[test]
fn the_revision_annotation_lists_profile_refs_and_nothing_that_varies() {
    let mut i = sample(3, "red", "north");
    let mut addon = profile(
        "hello",
        vec![("hello", vec![manifests("a.yaml", "kind: A\n")])],
    );
    addon.revision = 2;
    i.profiles.push(addon);
    let a = render(&i, &settings()).unwrap();
    let manifest: Value = serde_json::from_slice(&a.manifest).unwrap();
    assert_eq!(
        manifest["annotations"],
        json!({"org.opencontainers.image.source": "ferry fleet",
               "org.opencontainers.image.revision": "apps@1.0.0+r1,hello@1.0.0+r2"})
    );
    // Rendering again later gives the same manifest: no time in it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(render(&i, &settings()).unwrap().manifest, a.manifest);
}

#[test]
fn an_unknown_variable_names_cluster_profile_and_file() {
    let p = profile(
        "apps",
        vec![(
            "cfg",
            vec![manifests("conf/cm.yaml", "x: {{ .spectro.var.missing }}\n")],
        )],
    );
    let err = render(&input(vec![p]), &settings()).unwrap_err();
    assert!(
        matches!(&err, DesiredError::UnknownVariable { variable, .. } if variable == "missing")
    );
    let msg = err.to_string();
    for part in ["edge-01", "apps@1.0.0", "conf/cm.yaml", "missing"] {
        assert!(msg.contains(part), "{msg} does not name {part}");
    }
    let p = profile(
        "apps",
        vec![(
            "web",
            vec![chart("web", json!({"a": "{{.spectro.var.nope}}"}))],
        )],
    );
    let msg = render(&input(vec![p]), &settings())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("web/web values") && msg.contains("nope"),
        "{msg}"
    );
}

#[test]
fn hostile_names_are_refused_or_made_safe() {
    let bad_cluster = Input {
        cluster: "../etc".into(),
        ..input(vec![])
    };
    assert!(matches!(
        render(&bad_cluster, &settings()),
        Err(DesiredError::ClusterName(_))
    ));
    let p = profile("apps", vec![("web", vec![chart("Web_Chart", json!({}))])]);
    assert!(matches!(
        render(&input(vec![p]), &settings()),
        Err(DesiredError::ReleaseName { .. })
    ));
    // Two profiles releasing one chart name would fight over one release.
    let twice = vec![
        profile("a", vec![("web", vec![chart("web", json!({}))])]),
        profile("b", vec![("web", vec![chart("web", json!({}))])]),
    ];
    let err = render(&input(twice), &settings()).unwrap_err();
    assert!(
        matches!(err, DesiredError::DuplicateRelease { .. }),
        "{err}"
    );
    // Path-like profile, layer and file names stay inside their own directory.
    let p = profile(
        "../../up",
        vec![("../x", vec![manifests("../../../etc/passwd", "kind: A\n")])],
    );
    let a = render(&input(vec![p]), &settings()).unwrap();
    for path in a.files.keys() {
        assert!(
            !path.split('/').any(|s| s == ".." || s.starts_with('.')),
            "{path}"
        );
    }
}

#[test]
fn pack_files_are_rewritten_and_files_units_and_unknown_layers_add_nothing() {
    let pack = Unit::Pack(PackUnit {
        name: "cni".into(),
        version: "1.0".into(),
        reference: "cni:1.0".into(),
        repository: "packs/cni".into(),
        digest: Digest::of_bytes(b"cni"),
        values: Map::new(),
        files: vec![ManifestFile {
            name: "cni.yaml".into(),
            content: "spec:\n  image: quay.io/cilium/cilium:v1.15.0\n".into(),
        }],
    });
    let mut p = profile("infra", vec![("cni", vec![pack])]);
    // An override for a layer this version no longer has is kept by the fleet, ignored here.
    p.layer_values.insert("gone".into(), Map::new());
    let a = render(&input(vec![p]), &settings()).unwrap();
    let cni = String::from_utf8(a.files["infra/cni/01-cni.yaml"].clone()).unwrap();
    assert_eq!(
        cni,
        "spec:\n  image: mirror.enclave:5000/quay.io/cilium/cilium:v1.15.0\n"
    );
    assert_eq!(a.files.len(), 2, "{:?}", a.files.keys());
}

/// The whole rendered tree and manifest of a small input, as a reviewer reads it. The digest is
/// in it too, so a change of format, or of anything that would move digests of equal inputs,
/// shows up here.
#[test]
fn rendered_tree_and_manifest() {
    let a = render(&sample(3, "red", "north"), &settings()).unwrap();
    let mut out = String::new();
    for (path, content) in &a.files {
        out.push_str(&format!("--- {path}\n{}", String::from_utf8_lossy(content)));
    }
    out.push_str(&format!(
        "--- manifest {}\n{}\n",
        a.digest,
        String::from_utf8_lossy(&a.manifest)
    ));
    insta::assert_snapshot!(out);
}
