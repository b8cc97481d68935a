//! Profiles: the example profiles load, agree with docs/profile.schema.json, resolve their
//! local sources, and bad profiles fail with errors naming file and line.

use std::path::{Path, PathBuf};

use ferry_bundler::discover::{discover_chart, discover_manifests, discover_pack};
use ferry_bundler::profile::{load_dir, Profile, ProfileError, Source};
use rstest::rstest;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn profiles_dir() -> PathBuf {
    repo_root().join("testdata/profiles")
}

fn schema() -> Value {
    let text = std::fs::read_to_string(repo_root().join("docs/profile.schema.json")).expect("schema readable");
    serde_json::from_str(&text).expect("schema is JSON")
}

/// A small JSON Schema checker for the keywords profile.schema.json uses.
fn check(schema: &Value, root: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return check(&root["$defs"][name], root, value, at);
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: expected {kind}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} not in enum"));
        }
    }
    if let (Some(min), Some(s)) = (schema.get("minLength").and_then(Value::as_u64), value.as_str()) {
        if (s.len() as u64) < min {
            return Err(format!("{at}: too short"));
        }
    }
    if let Some(items) = value.as_array() {
        if schema.get("minItems").and_then(Value::as_u64).is_some_and(|m| (items.len() as u64) < m) {
            return Err(format!("{at}: too few items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, root, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(map) = value.as_object() {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !map.contains_key(key) {
                return Err(format!("{at}: missing {key}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, child) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => check(child_schema, root, child, &format!("{at}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: unknown field {key}"))
                }
                None => {}
            }
        }
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options.iter().filter(|o| check(o, root, value, at).is_ok()).count();
        if matching != 1 {
            return Err(format!("{at}: matches {matching} of oneOf"));
        }
    }
    Ok(())
}

#[test]
fn example_profiles_load_and_match_the_schema() {
    let profiles = load_dir(&profiles_dir()).expect("example profiles load");
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["edge-infra", "hello-addon", "hello-chart"]);
    let schema = schema();
    for profile in &profiles {
        let raw = std::fs::read_to_string(&profile.source_file).expect("readable");
        let as_written: Value = serde_saphyr::from_str(&raw).expect("yaml");
        check(&schema, &schema, &as_written, &profile.name).expect("profile as written matches the schema");
        let as_loaded = serde_json::to_value(profile).expect("serialises");
        check(&schema, &schema, &as_loaded, &profile.name).expect("loaded profile matches the schema");
    }
}

#[test]
fn example_profiles_resolve_local_sources_that_discovery_can_read() {
    let mut images = Vec::new();
    for profile in load_dir(&profiles_dir()).expect("load") {
        for layer in &profile.layers {
            assert!(!layer.effective_platforms(&profile).is_empty() || profile.platforms.is_empty());
            for source in &layer.sources {
                match source {
                    Source::Chart(chart) => {
                        let path = chart.path.as_ref().expect("examples use local charts");
                        assert!(path.exists(), "{}", path.display());
                        let mut layers: Vec<Value> = chart
                            .values
                            .iter()
                            .map(|v| serde_saphyr::from_str(&std::fs::read_to_string(v).expect("values file")).expect("yaml"))
                            .collect();
                        layers.extend(chart.set.clone().map(Value::Object));
                        images.extend(discover_chart(path, &layers).expect("chart").references().into_iter().map(str::to_owned));
                    }
                    Source::Pack(pack) => {
                        let path = pack.path.as_ref().expect("examples use local packs");
                        images.extend(discover_pack(path).expect("pack").references().into_iter().map(str::to_owned));
                    }
                    Source::Manifests(manifests) => {
                        for file in &manifests.files {
                            let text = std::fs::read_to_string(file).expect("manifest file");
                            images.extend(discover_manifests("f", &text).references().into_iter().map(str::to_owned));
                        }
                        for text in &manifests.inline {
                            images.extend(discover_manifests("inline", text).references().into_iter().map(str::to_owned));
                        }
                    }
                    Source::Images(list) => images.extend(list.iter().cloned()),
                    Source::Files(files) => {
                        for file in files {
                            let path = file.path.as_ref().expect("examples use local files");
                            let digest = hex::encode(Sha256::digest(std::fs::read(path).expect("file")));
                            assert_eq!(Some(digest), file.sha256, "{}", path.display());
                        }
                    }
                }
            }
        }
    }
    images.sort();
    images.dedup();
    insta::assert_yaml_snapshot!(images);
}

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(Path::new("profiles/bad.yaml"), text)
}

const HEAD: &str = "name: p\nversion: 1.0.0\ntype: infra\nlayers:\n  - name: l\n    kind: addon\n    sources:\n";

#[rstest]
#[case::unknown_top_field("name: p\nversion: 1.0.0\ntype: infra\ncolour: red\nlayers: []\n", "profiles/bad.yaml:4:")]
#[case::unknown_chart_field(&format!("{HEAD}      - chart: {{ path: c, colour: red }}\n"), "profiles/bad.yaml:8:")]
#[case::unknown_source_kind(&format!("{HEAD}      - helmfile: {{ path: c }}\n"), "profiles/bad.yaml:8:")]
#[case::bad_kind("name: p\nversion: 1.0.0\ntype: infra\nlayers:\n  - name: l\n    kind: kernel\n    sources: []\n", "profiles/bad.yaml:6:")]
#[case::bad_type("name: p\nversion: 1.0.0\ntype: base\nlayers: []\n", "profiles/bad.yaml:3:")]
#[case::missing_name("version: 1.0.0\ntype: infra\nlayers: []\n", "profiles/bad.yaml:3:1: missing field `name`")]
fn malformed_profiles_name_file_and_line(#[case] text: &str, #[case] expected: &str) {
    let err = parse(text).expect_err("must fail").to_string();
    assert!(err.starts_with(expected), "{err}");
}

#[rstest]
#[case::empty_name(&format!("{}      - images: [nginx:1.27]\n", HEAD.replace("name: p", "name: \"\"")), "name must not be empty")]
#[case::no_sources("name: p\nversion: 1.0.0\ntype: infra\nlayers:\n  - name: l\n    kind: addon\n    sources: []\n", "at least one source")]
#[case::bad_platform(&format!("platforms: [linux]\n{HEAD}      - images: [nginx:1.27]\n"), "not os/arch")]
#[case::two_chart_origins(&format!("{HEAD}      - chart: {{ path: c, oci: \"oci://r.example/c\", version: 1.0.0 }}\n"), "exactly one of repo, oci or path")]
#[case::repo_without_name(&format!("{HEAD}      - chart: {{ repo: \"https://charts.example\", version: 1.0.0 }}\n"), "needs a name")]
#[case::oci_without_version(&format!("{HEAD}      - chart: {{ oci: \"oci://r.example/charts/c\" }}\n"), "version is required")]
#[case::bad_range(&format!("{HEAD}      - chart: {{ oci: \"oci://r.example/charts/c\", version: \"not-a-version\" }}\n"), "not a semver")]
#[case::bad_image(&format!("{HEAD}      - images: [\"UPPER/Case:1\"]\n"), "invalid repository name")]
#[case::bad_sha(&format!("{HEAD}      - files: [{{ url: \"https://example/t.iso\", sha256: abc }}]\n"), "not 64 lower-case hex")]
#[case::url_without_sha(&format!("{HEAD}      - files: [{{ url: \"https://example/t.iso\" }}]\n"), "needs a sha256")]
#[case::pack_both(&format!("{HEAD}      - pack: {{ path: p, oci: \"oci://r.example/p\", version: 1.0.0 }}\n"), "exactly one of path or oci")]
#[case::empty_manifests(&format!("{HEAD}      - manifests: {{}}\n"), "needs files or inline")]
fn invalid_profiles_are_rejected_with_the_file_named(#[case] text: &str, #[case] expected: &str) {
    let err = parse(text).expect_err("must fail").to_string();
    assert!(err.starts_with("profiles/bad.yaml: "), "{err}");
    assert!(err.contains(expected), "{err}");
}

#[rstest]
#[case::exact("6.4.0")]
#[case::caret("^6.4")]
#[case::wildcard("6.x")]
#[case::v_prefixed("v1.15.3")]
fn chart_versions_accept_exact_and_ranges(#[case] version: &str) {
    let text = format!("{HEAD}      - chart: {{ repo: \"https://charts.example/stable\", name: podinfo, version: \"{version}\" }}\n");
    parse(&text).expect("valid version");
}

#[test]
fn relative_paths_resolve_against_the_profile_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("site");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let file = sub.join("p.yaml");
    std::fs::write(&file, format!("{HEAD}      - chart: {{ path: charts/c, values: [v.yaml] }}\n      - pack: {{ path: /abs/pack }}\n")).expect("write");
    let profile = Profile::load(&file).expect("loads");
    match &profile.layers[0].sources[..] {
        [Source::Chart(chart), Source::Pack(pack)] => {
            assert_eq!(chart.path.as_deref(), Some(sub.join("charts/c").as_path()));
            assert_eq!(chart.values, [sub.join("v.yaml")]);
            assert_eq!(pack.path.as_deref(), Some(Path::new("/abs/pack")));
        }
        other => panic!("unexpected sources {other:?}"),
    }
}

#[test]
fn duplicate_profile_names_in_a_directory_are_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!("{HEAD}      - images: [nginx:1.27]\n");
    std::fs::write(dir.path().join("a.yaml"), &text).expect("write");
    std::fs::write(dir.path().join("b.yml"), &text).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "ignored").expect("write");
    let err = load_dir(dir.path()).expect_err("duplicate").to_string();
    assert!(err.contains("duplicate profile name \"p\"") && err.contains("a.yaml") && err.contains("b.yml"), "{err}");
}

#[test]
fn unknown_field_error_names_the_field() {
    let err = parse(&format!("{HEAD}      - chart: {{ path: c, colour: red }}\n")).expect_err("unknown field").to_string();
    insta::assert_snapshot!(err);
}
