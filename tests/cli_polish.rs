//! What users expect of a command-line tool: completions, man pages, a version with the commit,
//! bundles others can read, sizes before a build, counts that add up, and errors said once.

mod harness;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use ferry_testkit::Registry;
use harness::{push_image, sha256_file, Dir};

#[test]
fn completion_scripts_name_the_commands() {
    let dir = Dir::new();
    let bash = dir.ok(&["completion", "bash"]);
    assert!(bash.contains("complete -F"), "{bash}");
    for command in [
        "build",
        "lock",
        "serve",
        "cluster-config",
        "completion",
        "man",
    ] {
        assert!(bash.contains(command), "bash completion lacks {command}");
    }
    assert!(dir.ok(&["completion", "zsh"]).contains("#compdef ferry"));
    assert!(dir
        .ok(&["completion", "fish"])
        .contains("complete -c ferry"));
}

#[test]
fn man_pages_render() {
    let dir = Dir::new();
    let page = dir.ok(&["man"]);
    assert!(page.contains(".TH ferry 1"), "{page}");
    dir.ok(&["man", "--out", "man"]);
    let build = dir.path("man/ferry-build.1");
    let text = std::fs::read_to_string(&build).unwrap();
    assert!(text.contains(".TH ferry-build 1"), "{text}");
    if ferry_testkit::tools::installed("groff") {
        let out = Command::new("groff")
            .args(["-man", "-Tascii", "-ww"])
            .arg(&build)
            .output()
            .unwrap();
        // -ww: every groff warning on; a well-formed page has none.
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && warnings.is_empty(), "{warnings}");
        let rendered = String::from_utf8_lossy(&out.stdout);
        assert!(rendered.contains("Bundle file to write"), "{rendered}");
    }
}

#[test]
fn version_names_the_commit() {
    let dir = Dir::new();
    let version = dir.ok(&["--version"]);
    let commit = version
        .split("(commit ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no commit in {version:?}"));
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    match head {
        Some(head) => assert_eq!(commit, String::from_utf8_lossy(&head.stdout).trim()),
        None => assert!(!commit.is_empty(), "{version}"),
    }
}

#[test]
fn a_bad_configuration_is_reported_once() {
    let dir = Dir::new();
    dir.write("bad.yaml", "data: store\npsuh: true\n");
    let err = dir.fails(1, &["serve", "--config", "bad.yaml"]);
    assert_eq!(err.matches("unknown field").count(), 1, "{err}");
    assert!(err.contains("bad.yaml:2:"), "names file and line: {err}");
}

#[test]
fn listen_accepts_a_bare_port_and_a_host_name() {
    let dir = Dir::new();
    // Valid addresses get past argument parsing (to the missing data directory); a bad one does not.
    for listen in [":5000", "localhost:5000"] {
        let err = dir.fails(1, &["serve", "--listen", listen]);
        assert!(err.contains("no data directory"), "{listen}: {err}");
    }
    let err = dir.fails(2, &["serve", "--listen", "5000"]);
    assert!(err.contains("5000"), "{err}");
}

/// A profile with an image of `registry` and a local file without a sha256.
fn profile(registry: &Registry) -> Dir {
    push_image(registry, "demo/app", "1.0", "app");
    let dir = Dir::new();
    dir.write("profiles/files/notes.txt", "read me\n");
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{}/demo/app:1.0]\n      - files: [{{path: files/notes.txt}}]\n",
            registry.host()
        ),
    );
    dir
}

/// `(blobs, fetched, from cache)` from build's summary line.
fn counts(summary: &str) -> (usize, usize, usize) {
    let number_before = |marker: &str| -> usize {
        let head = &summary[..summary
            .find(marker)
            .unwrap_or_else(|| panic!("{marker:?} in {summary}"))];
        head.rsplit([' ', '(', ';'])
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{summary}"))
    };
    (
        number_before(" blobs,"),
        number_before(" blobs fetched"),
        number_before(" from cache"),
    )
}

#[test]
fn builds_report_sizes_and_counts_that_add_up_and_pin_local_files() {
    let registry = Registry::start();
    let dir = profile(&registry);

    // A first build finds nothing in the cache; every blob is fetched in this run.
    let first = dir.ok(&["build", "-p", "profiles", "-o", "site.ferry"]);
    let (blobs, fetched, cached) = counts(&first);
    assert_eq!((fetched, cached), (blobs, 0), "{first}");
    let mode = std::fs::metadata(dir.path("site.ferry"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "others may read the bundle");

    // The lock pins the local file's sha256, computed since the profile gives none.
    let lock = std::fs::read_to_string(dir.path("ferry.lock")).unwrap();
    let sum = sha256_file(&dir.path("profiles/files/notes.txt"));
    assert!(lock.contains(&sum), "lock pins {sum}:\n{lock}");

    let locked = dir.ok(&["lock", "-p", "profiles"]);
    assert!(locked.contains("bundle about "), "{locked}");
    assert!(locked.contains(&format!("{blobs} blobs")), "{locked}");

    // A second build takes everything from the cache but the local file, which it reads again.
    let second = dir.ok(&["build", "-p", "profiles", "--locked", "-o", "again.ferry"]);
    assert_eq!(counts(&second), (blobs, 1, blobs - 1), "{second}");
    assert!(second.contains("1 blobs fetched, 8 B;"), "{second}");

    // A changed file is drift under --locked.
    dir.write("profiles/files/notes.txt", "changed\n");
    let err = dir.fails(1, &["build", "-p", "profiles", "--locked", "-o", "x.ferry"]);
    assert!(err.contains("notes.txt"), "{err}");
}

#[test]
fn a_url_file_without_sha256_names_the_profile_and_layer() {
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: os\n    kind: os\n    sources:\n      - files: [{url: \"http://127.0.0.1:9/talos.iso\"}]\n",
    );
    let err = dir.fails(1, &["lock", "-p", "profiles"]);
    assert!(err.contains("site.yaml"), "{err}");
    assert!(err.contains("layer \"os\""), "{err}");
    assert!(err.contains("needs a sha256"), "{err}");
}

/// docs/bundle-format.md's "Taking one image out of a bundle with skopeo", command for command.
#[test]
fn skopeo_takes_one_image_out_of_an_extracted_bundle() {
    for tool in ["skopeo", "zstd", "tar"] {
        if !ferry_testkit::tools::installed(tool) {
            return;
        }
    }
    let registry = Registry::start();
    let dir = profile(&registry);
    dir.ok(&["build", "-p", "profiles", "-o", "site.ferry"]);
    let sh = |script: &str| {
        let out = Command::new("sh")
            .args(["-euc", script])
            .current_dir(dir.tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    sh("mkdir layout && zstd -dc site.ferry | tar -xf - -C layout");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("layout/index.json")).unwrap())
            .unwrap();
    let reference = format!("{}/demo/app:1.0", registry.host());
    assert!(
        index["manifests"].as_array().unwrap().iter().any(|m| {
            m["annotations"]["org.opencontainers.image.ref.name"] == reference.as_str()
        }),
        "{index}"
    );
    let inspected = sh(&format!(
        "skopeo inspect --override-os linux --override-arch amd64 oci:layout:{reference}"
    ));
    assert!(
        inspected.contains("\"Architecture\": \"amd64\""),
        "{inspected}"
    );
    sh(&format!(
        "skopeo copy -q --override-os linux --override-arch amd64 oci:layout:{reference} docker-archive:app.tar:demo/app:1.0"
    ));
    let listing = sh("tar -tf app.tar");
    assert!(listing.contains("manifest.json"), "{listing}");
    let manifest = sh("tar -xOf app.tar manifest.json");
    assert!(manifest.contains("demo/app:1.0"), "{manifest}");
}
