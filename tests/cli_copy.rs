//! `ferry copy` through the real binary: a signed bundle (and a store it was imported into)
//! pushed into a second, fresh docker-registry, with digests, cosign tags, resume and refusals.

mod harness;

use ferry_testkit::Registry;
use harness::{build_uncompressed, file_profile, push_image, sha256_file, Dir};
use serde_json::Value;

/// Two multi-platform images (each with a cosign signature tag) and a file, in a signed,
/// uncompressed bundle `site.ferry`. Returns the directory, the app's index digest and the
/// file's sha256 hex.
fn bundle(upstream: &Registry) -> (Dir, String, String) {
    bundle_with(upstream, "")
}

/// [`bundle`], with extra top-level profile lines (`platforms: [...]`).
fn bundle_with(upstream: &Registry, extra: &str) -> (Dir, String, String) {
    let app = push_image(upstream, "registry.example/demo/app", "1.0", "app");
    push_image(upstream, "registry.example/demo/db", "2.0", "db");
    let dir = Dir::new();
    dir.write("profiles/files/readme.txt", "hello enclave\n");
    let sum = sha256_file(&dir.path("profiles/files/readme.txt"));
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\n{extra}layers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [registry.example/demo/app:1.0, registry.example/demo/db:2.0]\n      - files: [{{path: files/readme.txt, sha256: {sum}}}]\n"
        ),
    );
    dir.ok(&["keygen", "--out", "keys"]);
    // The images are named as upstream names them and fetched from the test registry.
    let mirror = format!("registry.example={}/registry.example", upstream.host());
    dir.ok(&[
        "build",
        "--upstream-mirror",
        &mirror,
        "-p",
        "profiles",
        "--key",
        "keys/ferry.key",
        "--compression",
        "none",
        "-o",
        "site.ferry",
    ]);
    (dir, app, sum)
}

/// `curl` GET of a registry path: (status, body).
fn get(registry: &Registry, path: &str) -> (u16, String) {
    let out = std::process::Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-H"])
        .arg("Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
        .arg(format!("{}{path}", registry.url()))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

/// Cosign's tag for signatures (`sig`) of `digest`.
fn cosign_tag_for(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replacen(':', "-", 1))
}

fn copy(dir: &Dir, source: &str, target: &Registry) -> Value {
    let to = format!("docker://{}", target.host());
    let out = dir.ok(&[
        "copy",
        source,
        &to,
        "--key",
        "keys/ferry.pub",
        "--output",
        "json",
    ]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Where the test registry keeps upstream's `registry.example/<repo>`, and where the copy puts
/// it in the target: the same name, upstream host first.
fn repo(name: &str) -> String {
    format!("registry.example/{name}")
}

/// Every manifest the copy should have pushed has the upstream digest in the target.
fn assert_same_digests(upstream: &Registry, target: &Registry, app: &str) {
    let app_repo = repo("demo/app");
    assert_eq!(target.skopeo_digest(&app_repo, "1.0"), app);
    assert_eq!(
        target.skopeo_digest(&repo("demo/db"), "2.0"),
        upstream.skopeo_digest(&repo("demo/db"), "2.0")
    );
    let sig = cosign_tag_for(app, "sig");
    assert_eq!(
        target.skopeo_digest(&app_repo, &sig),
        upstream.skopeo_digest(&app_repo, &sig),
        "the cosign signature tag arrived with its digest"
    );
    // Both platform manifests of the index are there by digest (the whole index was carried).
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--raw"])
        .arg(format!("docker://{}/{app_repo}:1.0", target.host()))
        .output()
        .unwrap();
    let index: Value = serde_json::from_slice(&out.stdout).unwrap();
    for child in index["manifests"].as_array().unwrap() {
        let d = child["digest"].as_str().unwrap();
        let (status, _) = get(target, &format!("/v2/{app_repo}/manifests/{d}"));
        assert_eq!(status, 200, "child {d} in the target");
    }
}

#[test]
fn copy_keeps_digests_and_signatures_and_a_second_copy_sends_nothing() {
    let upstream = Registry::start();
    let (dir, app, _) = bundle(&upstream);
    let target = Registry::start();

    let first = copy(&dir, "site.ferry", &target);
    assert_eq!(first["artifacts"], 3, "{first}");
    // The key given as `keys/ferry.pub`, named by its absolute path.
    let key = std::fs::canonicalize(dir.path("keys/ferry.pub")).unwrap();
    assert_eq!(first["signedBy"], key.display().to_string(), "{first}");
    assert!(first["blobsPushed"].as_u64().unwrap() > 0, "{first}");
    assert_eq!(first["blobsPresent"], 0, "{first}");
    assert_same_digests(&upstream, &target, &app);

    // Resume: everything is there, so nothing is sent again.
    let second = copy(&dir, "site.ferry", &target);
    assert_eq!(second["blobsPushed"], 0, "{second}");
    assert_eq!(second["bytesPushed"], 0, "{second}");
    assert_eq!(second["manifestsPushed"], 0, "{second}");
    assert_eq!(
        second["blobsPresent"].as_u64().unwrap(),
        first["blobsPushed"].as_u64().unwrap() + first["blobsMounted"].as_u64().unwrap(),
        "{second}"
    );
    let text = dir.ok(&[
        "copy",
        "site.ferry",
        &format!("docker://{}", target.host()),
        "--key",
        "keys/ferry.pub",
    ]);
    assert!(text.contains("0 blobs pushed"), "{text}");

    // A prefix from the URL, then --prefix, goes in front of every repository.
    dir.ok(&[
        "copy",
        "site.ferry",
        &format!("docker://{}/site-a", target.host()),
        "--prefix",
        "edge",
        "--key",
        "keys/ferry.pub",
    ]);
    assert_eq!(
        target.skopeo_digest(&format!("site-a/edge/{}", repo("demo/app")), "1.0"),
        app
    );
}

#[test]
fn a_copy_that_stopped_halfway_completes_without_resending() {
    let upstream = Registry::start();
    let (dir, app, _) = bundle(&upstream);
    let target = Registry::start();
    // An earlier copy got as far as the app image (its blobs and manifests) before it stopped.
    let app_repo = repo("demo/app");
    let out = std::process::Command::new("skopeo")
        .args(["copy", "--all", "--preserve-digests", "-q"])
        .args(["--src-tls-verify=false", "--dest-tls-verify=false"])
        .arg(format!("docker://{}/{app_repo}:1.0", upstream.host()))
        .arg(format!("docker://{}/{app_repo}:1.0", target.host()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let report = copy(&dir, "site.ferry", &target);
    // Two platforms of the app: two configs and two layers were already there.
    assert!(report["blobsPresent"].as_u64().unwrap() >= 4, "{report}");
    assert!(
        report["manifestsPresent"].as_u64().unwrap() >= 3,
        "{report}"
    );
    assert!(report["blobsPushed"].as_u64().unwrap() > 0, "{report}");
    // db shares its base layer with app: linked from app's repository, not sent again.
    assert!(report["blobsMounted"].as_u64().unwrap() >= 1, "{report}");
    assert_same_digests(&upstream, &target, &app);
}

#[test]
fn a_copy_killed_in_the_middle_of_a_blob_completes_on_rerun() {
    let dir = Dir::new();
    // 48 MiB: a dozen chunk uploads, so the copy is caught with an upload under way.
    let data: Vec<u8> = (0..48u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    file_profile(&dir, "big.bin", &data);
    let sum = sha256_file(&dir.path("profiles/files/big.bin"));
    build_uncompressed(&dir, "b.ferry", false);
    let target = Registry::start();
    let to = format!("docker://{}", target.host());

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .args(["copy", "b.ferry", &to, "--insecure-skip-signature"])
        .current_dir(dir.tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let uploads = target
        .storage_dir()
        .join("docker/registry/v2/repositories/files/big.bin/_uploads");
    let started = std::time::Instant::now();
    let caught = loop {
        let partial = walkdir_sizes(&uploads).into_iter().any(|n| n > 0);
        if partial {
            child.kill().unwrap();
            break true;
        }
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 60 {
            let _ = child.kill(); // leave no copy running behind a failed test
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let _ = child.wait();
    assert!(caught, "the copy was not caught with an upload in progress");
    let (status, _) = get(
        &target,
        "/v2/files/big.bin/blobs/sha256:{sum}"
            .replace("{sum}", &sum)
            .as_str(),
    );
    assert_eq!(status, 404, "the half-sent blob was not committed");

    let out = dir.ok(&[
        "copy",
        "b.ferry",
        &to,
        "--insecure-skip-signature",
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["manifestsPushed"], 1, "{report}");
    let (status, _) = get(&target, &format!("/v2/files/big.bin/blobs/sha256:{sum}"));
    assert_eq!(status, 200, "{report}");
    let again: Value = serde_json::from_str(&dir.ok(&[
        "copy",
        "b.ferry",
        &to,
        "--insecure-skip-signature",
        "--output",
        "json",
    ]))
    .unwrap();
    assert_eq!(again["blobsPushed"], 0, "{again}");
}

/// Sizes of the `data` files under `dir` (a registry's in-progress uploads), if any.
fn walkdir_sizes(dir: &std::path::Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::metadata(e.path().join("data")).ok())
        .map(|m| m.len())
        .collect()
}

#[test]
fn a_tampered_bundle_is_refused_naming_the_blob_and_nothing_is_pushed() {
    let upstream = Registry::start();
    let (dir, _, sum) = bundle(&upstream);
    let target = Registry::start();
    let mut bytes = std::fs::read(dir.path("site.ferry")).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"hello enclave")
        .expect("the file's bytes are in the uncompressed bundle");
    bytes[at] ^= 0x01;
    std::fs::write(dir.path("tampered.ferry"), &bytes).unwrap();

    let err = dir.fails(
        3,
        &[
            "copy",
            "tampered.ferry",
            &format!("docker://{}", target.host()),
            "--key",
            "keys/ferry.pub",
        ],
    );
    assert!(err.contains(&format!("sha256:{sum}")), "{err}");
    // Every blob is checked before the first byte goes out.
    let (_, catalog) = get(&target, "/v2/_catalog");
    assert!(catalog.contains(r#""repositories":[]"#), "{catalog}");

    // A wrong key is a verification failure too.
    dir.ok(&["keygen", "--out", "other"]);
    dir.fails(
        3,
        &[
            "copy",
            "site.ferry",
            &format!("docker://{}", target.host()),
            "--key",
            "other/ferry.pub",
        ],
    );
}

#[test]
fn a_store_copies_like_the_bundle_it_imported() {
    let upstream = Registry::start();
    let (dir, app, _) = bundle(&upstream);
    dir.ok(&[
        "import",
        "site.ferry",
        "--data",
        "data",
        "--trust-key",
        "keys/ferry.pub",
    ]);
    let target = Registry::start();
    let first = copy(&dir, "data", &target);
    assert_eq!(first["artifacts"], 3, "{first}");
    assert!(first["blobsPushed"].as_u64().unwrap() > 0, "{first}");
    assert_same_digests(&upstream, &target, &app);
    let second = copy(&dir, "data", &target);
    assert_eq!(second["blobsPushed"], 0, "{second}");

    // A damaged store blob is refused, naming it, not replicated.
    let fresh = Registry::start();
    let layer = std::fs::read_dir(dir.path("data/blobs/sha256"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a layer in the store");
    let mut bytes = std::fs::read(&layer).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&layer, &bytes).unwrap();
    let name = layer.file_name().unwrap().to_string_lossy().into_owned();
    let err = dir.fails(3, &["copy", "data", &format!("docker://{}", fresh.host())]);
    assert!(err.contains(&name), "{err}");
}

#[test]
fn a_sparse_index_refused_by_the_registry_is_explained() {
    let upstream = Registry::start();
    let (dir, _, _) = bundle_with(&upstream, "platforms: [linux/amd64]\n");
    let target = Registry::start();
    // distribution checks that every child of an index exists; the arm64 child was left out.
    let err = dir.fails(
        1,
        &[
            "copy",
            "site.ferry",
            &format!("docker://{}", target.host()),
            "--key",
            "keys/ferry.pub",
        ],
    );
    assert!(err.contains("linux/arm64"), "{err}");
    assert!(err.contains("demo/app@sha256:"), "{err}");
}

#[test]
fn credentials_come_from_a_docker_config_file() {
    let upstream = Registry::start();
    let (dir, app, _) = bundle(&upstream);
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let htpasswd = dir.write("htpasswd", &format!("alice:{hash}\n"));
    let target = Registry::start_with_htpasswd(&htpasswd);
    let to = format!("docker://{}", target.host());

    let copy_with = |authfile: &str| {
        let args = [
            "copy",
            "site.ferry",
            &to,
            "--key",
            "keys/ferry.pub",
            "--authfile",
            authfile,
        ];
        dir.ferry(&args)
    };
    let failed = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // A credentials file the user names must exist: a typo is not an anonymous push.
    let err = failed(copy_with("none.json"));
    assert!(
        err.contains("credentials file none.json does not exist"),
        "{err}"
    );

    // Without credentials the registry refuses, and the error names where and why.
    dir.write("empty/config.json", r#"{"auths": {}}"#);
    let err = failed(copy_with("empty/config.json"));
    assert!(err.contains(&target.host()), "{err}");
    let lower = err.to_lowercase();
    assert!(
        lower.contains("401") || lower.contains("unauthorized") || lower.contains("authentication"),
        "the refusal is the registry's: {err}"
    );

    // base64("alice:s3cret"), as `docker login` writes it.
    dir.write(
        "auth.json",
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            target.host()
        ),
    );
    let report = copy_with_authfile(&dir, &to, "auth.json");
    assert!(report["blobsPushed"].as_u64().unwrap() > 0, "{report}");
    let app_tag = format!("{}/{}:1.0", target.host(), repo("demo/app"));
    assert_eq!(digest_as(&app_tag, "alice:s3cret"), app);
}

/// `ferry copy site.ferry` into `to` with the credentials file `authfile`: its JSON report.
fn copy_with_authfile(dir: &Dir, to: &str, authfile: &str) -> Value {
    let out = dir.ok(&[
        "copy",
        "site.ferry",
        to,
        "--key",
        "keys/ferry.pub",
        "--authfile",
        authfile,
        "--output",
        "json",
    ]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The digest of `host/repo:tag` as skopeo reads it with `creds`.
fn digest_as(reference: &str, creds: &str) -> String {
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--raw", "--creds", creds])
        .arg(format!("docker://{reference}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("sha256:{}", sha256_bytes(&out.stdout))
}

fn sha256_bytes(bytes: &[u8]) -> String {
    ferry_bundler::format::Digest::of_bytes(bytes)
        .hex()
        .to_owned()
}

/// `ferry serve` as the target: it checks every pushed manifest against its repository and binds
/// uploads to theirs, and a copy (uploads, mounts, indexes after their children) passes both.
#[test]
fn a_ferry_serve_target_takes_a_copy_and_a_second_copy_sends_nothing() {
    let upstream = Registry::start();
    let (dir, app, _) = bundle(&upstream);
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    dir.write("htpasswd", &format!("alice:{hash}\n"));
    let served = dir.serve(&[
        "--data",
        "target",
        "--push",
        "--htpasswd",
        "htpasswd",
        "--role",
        "alice=pusher",
    ]);
    let addr = served.addr;
    // base64("alice:s3cret"), as `docker login` writes it.
    dir.write(
        "auth.json",
        &format!(r#"{{"auths":{{"{addr}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#),
    );
    let to = format!("docker://{addr}");
    let copy = || copy_with_authfile(&dir, &to, "auth.json");
    let first = copy();
    assert!(first["blobsPushed"].as_u64().unwrap() > 0, "{first}");
    let app_tag = format!("{addr}/{}:1.0", repo("demo/app"));
    assert_eq!(digest_as(&app_tag, "alice:s3cret"), app);
    let second = copy();
    assert_eq!(second["blobsPushed"], 0, "{second}");
    assert_eq!(second["manifestsPushed"], 0, "{second}");
}
