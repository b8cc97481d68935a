//! One JSON vocabulary (docs/json.md) through the real binary: the CLI's `--output json` and
//! `ferry serve`'s `/api/v1/` print the same documents, failures are JSON documents too, and
//! the errors for a missing file, a file that is not a bundle and a missing key say what is wrong.

mod harness;

use std::process::Command;

use harness::{build_uncompressed, file_profile, Dir};
use serde_json::Value;

/// A signed bundle carrying one file (no registry needed): `site.ferry`, keys in `keys/`.
fn built() -> Dir {
    let dir = Dir::new();
    file_profile(&dir, "readme.txt", b"hello enclave\n");
    build_uncompressed(&dir, "site.ferry", true);
    dir
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"))
}

fn stdout_json(dir: &Dir, args: &[&str]) -> Value {
    json(&dir.ok(args))
}

/// Runs `args`, which must fail with `code` and print a JSON error document on stdout.
fn json_failure(dir: &Dir, code: i32, args: &[&str]) -> (Value, String) {
    let out = dir.ferry(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\n{stdout}\n{stderr}"
    );
    let doc = json(&stdout);
    assert_eq!(doc["exitCode"], code, "{doc}");
    let message = doc["error"].as_str().unwrap().to_owned();
    // stderr says the same thing, for people.
    assert!(stderr.contains(&message), "{stderr}\nvs\n{message}");
    (doc, message)
}

/// `GET path` with curl, a real client.
fn api(port: u16, path: &str) -> Value {
    let out = Command::new("curl")
        .args(["-sSf", &format!("http://127.0.0.1:{port}{path}")])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        s.len() == 20 && b[4] == b'-' && b[10] == b'T' && s.ends_with('Z')
    })
}

#[test]
fn store_documents_are_the_ones_the_api_serves() {
    let dir = built();
    dir.ok(&[
        "import",
        "site.ferry",
        "--data",
        "data",
        "--trust-key",
        "keys/ferry.pub",
    ]);
    let served = dir.serve(&["--anonymous-pull", "--data", "data"]);
    let port = served.addr.port();
    let store =
        |what: &str| stdout_json(&dir, &["store", what, "--data", "data", "--output", "json"]);

    let repositories = store("list");
    assert_eq!(repositories, api(port, "/api/v1/repositories"));
    let repos = repositories["repositories"]
        .as_array()
        .expect("an object at the top");
    assert_eq!(repos[0]["name"], "files/readme.txt");

    let bundles = store("bundles");
    assert_eq!(bundles, api(port, "/api/v1/bundles"));
    let b = &bundles["bundles"][0];
    let digest = b["digest"].as_str().unwrap().to_owned();
    assert!(digest.starts_with("sha256:"), "{b}");
    assert!(b.get("manifestDigest").is_none(), "{b}");
    assert_eq!(b["retired"], false);
    assert_eq!(b["retiredAt"], Value::Null);
    assert!(is_rfc3339_utc(&b["importedAt"]), "{b}");
    assert!(is_rfc3339_utc(&b["createdAt"]), "{b}");
    assert!(b["totalSize"].as_u64().unwrap() > 0);
    assert_eq!(repos[0]["bundles"][0], digest.as_str());

    // The same once retired, read live by the server.
    dir.ok(&["store", "retire", &digest, "--data", "data"]);
    let retired = store("bundles");
    assert_eq!(retired, api(port, "/api/v1/bundles"));
    assert_eq!(retired["bundles"][0]["retired"], true);
    assert!(is_rfc3339_utc(&retired["bundles"][0]["retiredAt"]));

    let audit = stdout_json(
        &dir,
        &["audit", "show", "--data", "data", "--output", "json"],
    );
    assert!(audit["entries"].as_array().unwrap().len() >= 2, "{audit}");
    assert!(is_rfc3339_utc(&audit["entries"][0]["at"]));
}

#[test]
fn inspect_json_gives_each_artifact_its_total_size() {
    let dir = built();
    let doc = stdout_json(&dir, &["inspect", "site.ferry", "--output", "json"]);
    // Every profile's definition is a blob of the bundle, but no artifact's.
    let definitions: Vec<&serde_json::Value> = doc["manifest"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["definition"])
        .collect();
    let blobs: u64 = doc["manifest"]["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| !definitions.contains(b))
        .map(|b| b["size"].as_u64().unwrap())
        .sum();
    let artifacts = doc["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 1);
    // The only artifact carries every other blob: its manifest, config and the file.
    assert_eq!(artifacts[0]["totalSize"], blobs, "{doc}");
    assert_eq!(
        artifacts[0]["reference"],
        doc["manifest"]["artifacts"][0]["reference"]
    );
    assert!(doc["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(doc["signed"], true);

    let why = stdout_json(
        &dir,
        &[
            "inspect",
            "site.ferry",
            "--why",
            "readme",
            "--output",
            "json",
        ],
    );
    assert_eq!(why["artifacts"][0]["totalSize"], blobs, "{why}");
    assert_eq!(why["artifacts"][0]["provenance"][0]["profile"], "site");
}

/// Flips one byte of the file's content inside the (uncompressed) bundle.
fn tampered(dir: &Dir) -> &'static str {
    let mut bytes = std::fs::read(dir.path("site.ferry")).unwrap();
    let at = bytes
        .windows(b"hello enclave".len())
        .position(|w| w == b"hello enclave")
        .expect("file content in the archive");
    bytes[at] ^= 0x01;
    std::fs::write(dir.path("tampered.ferry"), bytes).unwrap();
    "tampered.ferry"
}

#[test]
fn verify_json_is_a_document_on_success_and_on_failure() {
    let dir = built();
    let ok = stdout_json(
        &dir,
        &[
            "verify",
            "site.ferry",
            "--key",
            "keys/ferry.pub",
            "--output",
            "json",
        ],
    );
    assert_eq!(ok["path"], "site.ferry");
    assert!(ok["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(ok.get("manifestDigest").is_none());

    let bad = tampered(&dir);
    let (_, message) = json_failure(
        &dir,
        3,
        &["verify", bad, "--key", "keys/ferry.pub", "--output", "json"],
    );
    assert!(message.contains("digest"), "{message}");

    std::fs::write(dir.path("notes.txt"), "just some notes\n".repeat(100)).unwrap();
    let (_, message) = json_failure(
        &dir,
        1,
        &[
            "verify",
            "notes.txt",
            "--key",
            "keys/ferry.pub",
            "--output",
            "json",
        ],
    );
    assert!(message.contains("not a ferry bundle"), "{message}");
}

#[test]
fn import_json_is_a_document_on_failure() {
    let dir = built();
    let bad = tampered(&dir);
    let import = |bundle: &'static str| {
        [
            "import",
            bundle,
            "--data",
            "data",
            "--trust-key",
            "keys/ferry.pub",
            "--output",
            "json",
        ]
    };
    let (_, message) = json_failure(&dir, 3, &import(bad));
    assert!(
        message.contains("cannot import tampered.ferry"),
        "{message}"
    );
    let (_, message) = json_failure(&dir, 1, &import("nope.ferry"));
    assert!(
        message.contains("cannot open bundle nope.ferry"),
        "{message}"
    );

    let ok = stdout_json(&dir, &import("site.ferry"));
    assert_eq!(ok["path"], "site.ferry");
    assert!(ok["digest"].as_str().unwrap().starts_with("sha256:"));
}

#[test]
fn importing_a_missing_file_touches_nothing() {
    let dir = Dir::new();
    let stderr = dir.fails(
        1,
        &[
            "import",
            "nope.ferry",
            "--data",
            "D",
            "--insecure-skip-signature",
        ],
    );
    assert!(stderr.contains("cannot open bundle nope.ferry"), "{stderr}");
    assert!(!stderr.contains("verification failed"), "{stderr}");
    assert!(!dir.path("D").exists(), "the store was created");

    // An existing store gets no audit entry either.
    let dir = built();
    let args = [
        "import",
        "site.ferry",
        "--data",
        "data",
        "--trust-key",
        "keys/ferry.pub",
    ];
    dir.ok(&args);
    let entries = |dir: &Dir| {
        stdout_json(
            dir,
            &["audit", "show", "--data", "data", "--output", "json"],
        )["entries"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = entries(&dir);
    dir.fails(
        1,
        &[
            "import",
            "nope.ferry",
            "--data",
            "data",
            "--trust-key",
            "keys/ferry.pub",
        ],
    );
    assert_eq!(entries(&dir), before);
}

#[test]
fn a_file_that_is_not_a_bundle_is_called_that() {
    let dir = Dir::new();
    dir.ok(&["keygen", "--out", "keys"]);
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    std::fs::write(dir.path("random.bin"), random).unwrap();
    dir.write("short.txt", "hello\n");
    dir.write("empty", "");
    for file in ["random.bin", "short.txt", "empty"] {
        let stderr = dir.fails(1, &["verify", file, "--key", "keys/ferry.pub"]);
        assert!(stderr.contains("not a ferry bundle"), "{file}: {stderr}");
        assert!(!stderr.contains("truncated"), "{file}: {stderr}");
        let stderr = dir.fails(
            1,
            &[
                "import",
                file,
                "--data",
                "data",
                "--trust-key",
                "keys/ferry.pub",
            ],
        );
        assert!(stderr.contains("not a ferry bundle"), "{file}: {stderr}");
    }
}

#[test]
fn importing_a_signed_bundle_without_a_key_names_the_flag() {
    let dir = built();
    let stderr = dir.fails(1, &["import", "site.ferry", "--data", "data"]);
    assert!(stderr.contains("--trust-key"), "{stderr}");
}

#[test]
fn discover_json_gives_origins_as_fields() {
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        "name: site\nversion: 1.0.0\ntype: full\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [nginx:1.27]\n      - manifests:\n          files: [../manifests/web.yaml]\n",
    );
    dir.write(
        "manifests/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/web:2.0\n",
    );
    let doc = stdout_json(&dir, &["discover", "-p", "profiles", "--output", "json"]);
    let find = |reference: &str| {
        doc["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["reference"] == reference)
            .unwrap_or_else(|| panic!("{reference} not in {doc}"))["origins"][0]
            .clone()
    };
    let web = find("ghcr.io/example/web:2.0");
    assert_eq!(web["profile"], "site");
    assert_eq!(web["layer"], "apps");
    assert_eq!(web["rule"], "manifest");
    assert!(web["file"].as_str().unwrap().ends_with("web.yaml"), "{web}");
    assert_eq!(web["line"], 10);
    assert_eq!(web["detail"], "Deployment/web container app");
    assert_eq!(web["source"], Value::Null);
    assert!(web["text"]
        .as_str()
        .unwrap()
        .starts_with("site/apps: manifests "));

    let nginx = find("docker.io/library/nginx:1.27");
    assert_eq!(nginx["rule"], "listed");
    assert!(
        nginx["file"].as_str().unwrap().ends_with("site.yaml"),
        "{nginx}"
    );
    assert_eq!(nginx["text"], "site/apps: images (listed by hand)");
}
