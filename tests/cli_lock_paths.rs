//! The lock is a function of the profiles' content and of paths relative to the profile
//! directory: how `-p` is spelled, where ferry runs from and which `--cache` it uses must not
//! change it, and `build --locked` must accept every such variation (issue: false drift).

mod harness;

use std::path::Path;

use ferry_testkit::Registry;
use harness::{push_image, sha256_file, Dir};

/// td/profiles/site.yaml with a local chart directory, a local pack directory, a manifests
/// file and a local file, all named by paths relative to the profile file.
fn setup(registry: &Registry) -> Dir {
    push_image(registry, "demo/app", "1.0", "app");
    push_image(registry, "demo/db", "2.0", "db");
    push_image(registry, "demo/job", "3.0", "job");
    let host = registry.host();
    let dir = Dir::new();
    ferry_testkit::write_chart(
        &dir.path("td/charts"),
        "hello",
        "0.1.0",
        "1.0",
        &[&format!("{host}/demo/app:1.0")],
    );
    dir.write(
        "td/packs/tools/pack.json",
        r#"{"name": "tools", "version": "1.2.0", "layer": "addon"}"#,
    );
    dir.write(
        "td/packs/tools/values.yaml",
        &format!("pack:\n  content:\n    images:\n      - image: {host}/demo/db:2.0\n"),
    );
    dir.write(
        "td/profiles/manifests/job.yaml",
        &format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: j\n          image: {host}/demo/job:3.0\n"),
    );
    dir.write("td/profiles/files/notes.txt", "carried across\n");
    let sum = sha256_file(&dir.path("td/profiles/files/notes.txt"));
    dir.write(
        "td/profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - chart: {{path: ../charts/hello}}\n      - pack: {{path: ./../packs/tools}}\n      - manifests: {{files: [manifests/job.yaml]}}\n      - files: [{{path: files/notes.txt, sha256: {sum}}}]\n"
        ),
    );
    dir
}

fn lock_text(dir: &Dir) -> String {
    std::fs::read_to_string(dir.path("ferry.lock")).expect("lock written")
}

#[test]
fn the_lock_does_not_depend_on_path_spelling_working_directory_or_cache() {
    let registry = Registry::start();
    let dir = setup(&registry);
    dir.ok(&["lock", "-p", "td/profiles", "--cache", "cache-a"]);
    let lock = lock_text(&dir);
    // Nothing machine- or invocation-specific is recorded.
    for leak in [
        "cache-a",
        "packaged",
        "td/",
        dir.tmp.path().to_str().unwrap(),
    ] {
        assert!(!lock.contains(leak), "the lock mentions {leak:?}:\n{lock}");
    }
    for location in [
        "\"path\": \"../charts/hello\"",
        "\"path\": \"../packs/tools\"",
        "\"path\": \"files/notes.txt\"",
        "manifests/job.yaml",
    ] {
        assert!(lock.contains(location), "no {location} in:\n{lock}");
    }

    // Another spelling of -p, another cache, and both at once: all locked, all identical.
    let mut bundles = Vec::new();
    for (i, (profiles, cache)) in [
        ("./td/profiles", "cache-a"),
        ("td//profiles/", "cache-b"),
        ("td/../td/profiles/.", "cache-c"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = format!("site-{i}.ferry");
        dir.ok(&[
            "build", "-p", profiles, "--locked", "--cache", cache, "-o", &out,
        ]);
        bundles.push(sha256_file(&dir.path(&out)));
    }

    // From another working directory, with the lock and the cache named from there.
    let sub = Dir {
        tmp: tempfile::tempdir_in(dir.path("td")).unwrap(),
    };
    let from_sub = |rel: &str| {
        Path::new("..")
            .join("..")
            .join(rel)
            .to_string_lossy()
            .into_owned()
    };
    let out = from_sub("site-sub.ferry");
    sub.ok(&[
        "build",
        "-p",
        &from_sub("td/profiles"),
        "--lockfile",
        &from_sub("ferry.lock"),
        "--locked",
        "--cache",
        "fresh-cache",
        "-o",
        &out,
    ]);
    bundles.push(sha256_file(&dir.path("site-sub.ferry")));
    assert!(
        bundles.windows(2).all(|w| w[0] == w[1]),
        "one lock, one bundle: {bundles:?}"
    );

    // Relocking from there changes nothing either.
    sub.ok(&[
        "lock",
        "-p",
        &from_sub("td/profiles"),
        "--lockfile",
        &from_sub("ferry.lock"),
        "--cache",
        "fresh-cache",
    ]);
    assert_eq!(lock_text(&dir), lock);
}
