//! Profile definitions end to end: `ferry build` of testdata/profiles against a real
//! docker-registry seeded with the images they name, twice (byte-identical), then an import
//! into a real store, which gives each profile's layer definitions back: chart values merged
//! from values files and `set`, manifests as written, a pack's files rendered, every image
//! pinned to the digest the registry served. gc keeps them; a damaged one is refused.

mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_bundler::format::profile_definition::{PinnedImage, ProfileDefinition, Unit};
use ferry_bundler::format::{BundleManifest, TrustedKey};
use ferry_mirror::import::{import_bundle, ImportOptions};
use ferry_mirror::store::{gc_with, retire_bundle, GcOptions, Store, StoredDefinition};
use ferry_testkit::Registry;
use harness::{push_image, sha256_file, Dir};
use serde_json::{json, Value};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every image the testdata profiles name, pushed to `registry` under its upstream host (as
/// scripts/demo seeds them): reference -> index digest. Returns the `--upstream-mirror` flags.
fn seed(dir: &Dir, registry: &Registry, profiles: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let discovered: Value =
        serde_json::from_str(&dir.ok(&["discover", "-p", profiles, "--output", "json"])).unwrap();
    let mut digests = BTreeMap::new();
    let mut hosts = Vec::new();
    for image in discovered["images"].as_array().unwrap() {
        let reference = image["reference"].as_str().unwrap().to_owned();
        if digests.contains_key(&reference) {
            continue;
        }
        let (name, tag) = reference.rsplit_once(':').unwrap();
        assert!(
            !name.contains('@'),
            "{reference}: a digest cannot be seeded"
        );
        digests.insert(
            reference.clone(),
            push_image(registry, name, tag, &reference),
        );
        let host = name.split('/').next().unwrap().to_owned();
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    let mirrors = hosts
        .iter()
        .flat_map(|h| {
            [
                "--upstream-mirror".to_owned(),
                format!("{h}={}/{h}", registry.host()),
            ]
        })
        .collect();
    (digests, mirrors)
}

/// `ferry build` of `profiles` into `out`, signed, with `extra` flags (the upstream mirrors).
fn build(dir: &Dir, profiles: &str, extra: &[String], out: &str, locked: bool) {
    let mut args: Vec<&str> = vec![
        "build",
        "-p",
        profiles,
        "--platform",
        "linux/amd64",
        "--key",
        "keys/ferry.key",
        "-o",
        out,
    ];
    if locked {
        args.push("--locked");
    }
    args.extend(extra.iter().map(String::as_str));
    dir.ok(&args);
}

fn manifest_of(dir: &Dir, bundle: &str) -> BundleManifest {
    let json: Value =
        serde_json::from_str(&dir.ok(&["inspect", bundle, "--output", "json"])).unwrap();
    serde_json::from_value(json["manifest"].clone()).unwrap()
}

fn find<'a>(defs: &'a [StoredDefinition], name: &str) -> &'a StoredDefinition {
    defs.iter()
        .find(|d| d.definition.name == name)
        .unwrap_or_else(|| panic!("no definition of {name}"))
}

fn pinned(digests: &BTreeMap<String, String>, references: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = references
        .iter()
        .map(|r| (r.to_string(), digests[*r].clone()))
        .collect();
    out.sort();
    out
}

fn yaml(text: &str) -> Value {
    ferry_bundler::discover::parse_helm_yaml("", "", text).unwrap()
}

fn images(layer: &[PinnedImage]) -> Vec<(String, String)> {
    layer
        .iter()
        .map(|i| (i.reference.clone(), i.digest.to_string()))
        .collect()
}

#[test]
fn bundles_carry_profile_definitions_the_store_gives_back() {
    let registry = Registry::start();
    let dir = Dir::new();
    let profiles = repo("testdata/profiles");
    let profiles = profiles.to_str().unwrap();
    let (digests, mirrors) = seed(&dir, &registry, profiles);
    dir.ok(&["keygen", "--out", "keys"]);
    build(&dir, profiles, &mirrors, "site.ferry", false);
    build(&dir, profiles, &mirrors, "again.ferry", true);
    assert_eq!(
        sha256_file(&dir.path("site.ferry")),
        sha256_file(&dir.path("again.ferry")),
        "the definitions are part of a reproducible build"
    );
    let manifest = manifest_of(&dir, "site.ferry");
    assert_eq!(manifest, manifest_of(&dir, "again.ferry"));
    for p in &manifest.profiles {
        let def = p
            .definition
            .as_ref()
            .unwrap_or_else(|| panic!("{}", p.name));
        assert!(
            manifest.blobs.contains(def),
            "{}: definition is a blob",
            p.name
        );
    }
    dir.ok(&["verify", "site.ferry", "--key", "keys/ferry.pub"]);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(dir.path("store")).await.unwrap();
        let options = ImportOptions {
            trusted_keys: vec![TrustedKey::from_file(&dir.path("keys/ferry.pub")).unwrap()],
            ..Default::default()
        };
        let report = import_bundle(&store, &dir.path("site.ferry"), &options)
            .await
            .unwrap();
        let defs = store.profile_definitions().await.unwrap();
        assert_eq!(defs.len(), 3, "one per profile");
        for d in &defs {
            assert_eq!(d.bundle, report.manifest_digest);
            let entry = manifest
                .profiles
                .iter()
                .find(|p| p.name == d.definition.name)
                .unwrap();
            assert_eq!(
                Some(&d.digest),
                entry.definition.as_ref().map(|b| &b.digest)
            );
            assert_eq!(d.definition.digest(), d.digest, "canonical encoding");
        }
        check_edge_infra(&find(&defs, "edge-infra").definition, &manifest, &digests);
        check_hello_addon(&find(&defs, "hello-addon").definition, &digests);

        // gc keeps what active bundles' manifests name, even with no grace at all.
        let no_grace = GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        };
        gc_with(&store, &no_grace).await.unwrap();
        assert_eq!(store.profile_definitions().await.unwrap(), defs);

        // A definition damaged in the store is refused, naming the bundle and the blob.
        let edge = find(&defs, "edge-infra");
        let path = store.blob_path(&edge.digest);
        let original = std::fs::read(&path).unwrap();
        let tampered = String::from_utf8(original.clone())
            .unwrap()
            .replace("\"replicaCount\":3", "\"replicaCount\":9");
        assert_ne!(tampered.as_bytes(), original);
        std::fs::write(&path, tampered).unwrap();
        let err = store.profile_definitions().await.unwrap_err().to_string();
        assert!(err.contains(&report.manifest_digest.to_string()), "{err}");
        assert!(err.contains(&edge.digest.to_string()), "{err}");
        assert!(err.contains("edge-infra@1.2.0"), "{err}");
        std::fs::write(&path, &original).unwrap();

        // Retired, the bundle's definitions are neither listed nor kept.
        retire_bundle(&store, &report.manifest_digest)
            .await
            .unwrap();
        assert!(store.profile_definitions().await.unwrap().is_empty());
        gc_with(&store, &no_grace).await.unwrap();
        assert!(!store.has_blob(&edge.digest).unwrap());
    });
}

fn check_edge_infra(
    def: &ProfileDefinition,
    manifest: &BundleManifest,
    digests: &BTreeMap<String, String>,
) {
    assert_eq!(
        (def.version.as_str(), def.profile_type.as_str()),
        ("1.2.0", "infra")
    );
    let layers: Vec<(&str, &str)> = def
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l.kind.as_str()))
        .collect();
    assert_eq!(
        layers,
        [("os-docs", "os"), ("cni", "cni"), ("podinfo", "addon")]
    );

    let [Unit::Files(files)] = &def.layers[0].units[..] else {
        panic!("os-docs: {:?}", def.layers[0].units)
    };
    assert_eq!(files.names, ["notes.txt"]);

    let [Unit::Manifests(cni)] = &def.layers[1].units[..] else {
        panic!("cni: {:?}", def.layers[1].units)
    };
    assert_eq!(cni.files.len(), 1);
    assert_eq!(cni.files[0].name, "manifests/cni.yaml");
    assert_eq!(
        cni.files[0].content,
        std::fs::read_to_string(repo("testdata/profiles/manifests/cni.yaml")).unwrap()
    );
    assert_eq!(
        images(&def.layers[1].images),
        pinned(
            digests,
            &[
                "docker.io/library/busybox:1.36",
                "docker.io/library/nginx:1.27.0"
            ]
        )
    );

    let podinfo = &def.layers[2];
    let [Unit::Chart(chart)] = &podinfo.units[..] else {
        panic!("podinfo: {:?}", podinfo.units)
    };
    let artifact = manifest
        .artifacts
        .iter()
        .find(|a| a.repository == "charts/podinfo")
        .unwrap();
    assert_eq!(
        (chart.name.as_str(), chart.version.as_str()),
        ("podinfo", "6.4.0")
    );
    assert_eq!(
        (&chart.reference, &chart.repository, &chart.digest),
        (&artifact.reference, &artifact.repository, &artifact.digest)
    );
    // values/podinfo-edge.yaml says 2 replicas; the profile's `set` says 3 and wins.
    let file =
        yaml(&std::fs::read_to_string(repo("testdata/profiles/values/podinfo-edge.yaml")).unwrap());
    assert_eq!(file["replicaCount"], 2);
    assert_eq!(
        Value::Object(chart.values.clone()),
        json!({"replicaCount": 3, "ui": file["ui"]})
    );
    assert_eq!(
        images(&podinfo.images),
        pinned(
            digests,
            &[
                "docker.io/library/busybox:1.36",
                "ghcr.io/stefanprodan/podinfo:6.4.0"
            ]
        )
    );
}

fn check_hello_addon(def: &ProfileDefinition, digests: &BTreeMap<String, String>) {
    assert_eq!(
        (def.version.as_str(), def.profile_type.as_str()),
        ("0.1.0", "add-on")
    );
    let hello = &def.layers[0];
    let [Unit::Pack(pack), Unit::Manifests(inline)] = &hello.units[..] else {
        panic!("hello: {:?}", hello.units)
    };
    assert_eq!(
        (pack.name.as_str(), pack.version.as_str()),
        ("hello", "0.1.0")
    );
    assert_eq!(pack.repository, "spectro-packs/archive/hello");
    assert_eq!(pack.values["charts"]["hello"]["image"]["tag"], "1.27.0");
    let names: Vec<&str> = pack.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["manifests/cleanup-cronjob.yaml", "charts/hello.yaml"]
    );
    assert_eq!(
        pack.files[0].content,
        std::fs::read_to_string(repo(
            "testdata/packs/hello-pack/manifests/cleanup-cronjob.yaml"
        ))
        .unwrap()
    );
    // The pack's chart, rendered with the pack's `charts.hello` values: release `hello`, the
    // web image at the pack's tag, and the sidecar the pack turns on.
    let rendered: Vec<Value> = pack.files[1]
        .content
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(yaml)
        .collect();
    let deployment = rendered
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .unwrap_or_else(|| panic!("{}", pack.files[1].content));
    assert_eq!(deployment["metadata"]["name"], "hello-hello");
    let containers: Vec<(&str, &str)> = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["image"].as_str().unwrap()))
        .collect();
    assert_eq!(containers.len(), 2, "{containers:?}");
    assert_eq!(containers[0].0, "web");
    assert!(containers[0].1.ends_with(":1.27.0"), "{containers:?}");
    assert_eq!(containers[1].0, "sidecar");

    assert_eq!(inline.files.len(), 1);
    assert_eq!(inline.files[0].name, "inline-1.yaml");
    assert!(inline.files[0].content.contains("name: hello-probe"));
    let pinned_refs: Vec<String> = hello.images.iter().map(|i| i.reference.clone()).collect();
    for reference in &pinned_refs {
        assert!(digests.contains_key(reference), "{reference} was seeded");
    }
    assert!(pinned_refs.contains(&"docker.io/library/nginx:1.27.0".to_owned()));
    assert!(pinned_refs.contains(&"registry.example/tools/cleanup:0.3.1".to_owned()));
    assert_eq!(
        images(&hello.images),
        pinned(
            digests,
            &pinned_refs.iter().map(String::as_str).collect::<Vec<_>>()
        )
    );
}

/// The fleet test profiles (testdata/fleet): two versions of edge-infra in two bundles, one
/// store. Their definitions carry the `site` variable, and the `{{ .spectro.var.site }}`
/// macros stay as written for the enclave to fill in per cluster.
#[test]
fn the_fleet_profiles_give_two_versions_of_one_profile() {
    let registry = Registry::start();
    let dir = Dir::new();
    dir.ok(&["keygen", "--out", "keys"]);
    let mut digests = BTreeMap::new();
    for version in ["v1", "v2"] {
        let profiles = repo(&format!("testdata/fleet/{version}"));
        let profiles = profiles.to_str().unwrap();
        let (seeded, mirrors) = seed(&dir, &registry, profiles);
        digests.extend(seeded);
        let mut extra = vec!["--lockfile".to_owned(), format!("{version}.lock")];
        extra.extend(mirrors);
        build(&dir, profiles, &extra, &format!("{version}.ferry"), false);
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let defs = runtime.block_on(async {
        let store = Store::open(dir.path("store")).await.unwrap();
        let options = ImportOptions {
            trusted_keys: vec![TrustedKey::from_file(&dir.path("keys/ferry.pub")).unwrap()],
            ..Default::default()
        };
        for version in ["v1", "v2"] {
            let path = dir.path(&format!("{version}.ferry"));
            import_bundle(&store, &path, &options).await.unwrap();
        }
        store.profile_definitions().await.unwrap()
    });
    let versions: Vec<(&str, &str)> = defs
        .iter()
        .map(|d| (d.definition.name.as_str(), d.definition.version.as_str()))
        .collect();
    assert_eq!(versions, [("edge-infra", "1.0.0"), ("edge-infra", "1.1.0")]);
    assert_ne!(defs[0].bundle, defs[1].bundle);
    assert_ne!(defs[0].digest, defs[1].digest);

    let mut added = Vec::new();
    for (d, replicas) in defs.iter().zip([2, 3]) {
        let def = &d.definition;
        let [site] = &def.variables[..] else {
            panic!("{:?}", def.variables)
        };
        assert_eq!((site.name.as_str(), site.required), ("site", true));
        assert_eq!(site.pattern.as_deref(), Some("[a-z0-9-]+"));
        let [Unit::Chart(chart)] = &def.layers[0].units[..] else {
            panic!("{:?}", def.layers[0].units)
        };
        assert_eq!(chart.values["replicaCount"], replicas);
        assert_eq!(
            chart.values["ui"]["message"],
            "edge site {{ .spectro.var.site }}"
        );
        let [Unit::Manifests(tools)] = &def.layers[1].units[..] else {
            panic!("{:?}", def.layers[1].units)
        };
        assert!(tools.files[0]
            .content
            .contains("site: \"{{ .spectro.var.site }}\""));
        assert_eq!(
            images(&def.layers[0].images),
            pinned(&digests, &["ghcr.io/stefanprodan/podinfo:6.4.0"])
        );
        added.push(images(&def.layers[1].images));
    }
    assert_eq!(
        added[0],
        pinned(&digests, &["docker.io/library/busybox:1.36"])
    );
    assert_eq!(
        added[1],
        pinned(
            &digests,
            &[
                "docker.io/library/alpine:3.20",
                "docker.io/library/busybox:1.36"
            ]
        )
    );
}
