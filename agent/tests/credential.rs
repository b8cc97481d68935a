//! The credential file `cluster/<name>:<secret>`: parsed, and refused with errors that name
//! the file and say what is wrong.

use ferry_agent::credential::Credential;
use ferry_bundler::format::report::secret_sha256;

const SECRET: &str = "q3V9cHcXlV1g8yC2m3eUQyE2r4dJk9wPq1nKx0zT5aA";

#[test]
fn a_credential_file_as_cluster_add_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credential");
    std::fs::write(&path, format!("cluster/edge-07:{SECRET}\n")).unwrap();
    let c = Credential::read(&path).unwrap();
    assert_eq!(c.cluster, "edge-07");
    assert_eq!(c.username(), "cluster/edge-07");
    assert_eq!(c.secret(), SECRET);
    assert_eq!(c.basic(), ("cluster/edge-07".to_owned(), SECRET.to_owned()));
    assert_eq!(c.mac_key(), secret_sha256(SECRET));
    assert!(
        !format!("{c:?}").contains(SECRET),
        "the secret stays out of Debug"
    );
}

#[test]
fn malformed_credential_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credential");
    let cases = [
        ("", "the file is empty"),
        ("edge-07:abc", "it does not start with \"cluster/\""),
        (
            "cluster/edge-07",
            "there is no ':' between the cluster name and the secret",
        ),
        ("cluster/Edge_07:abc", "\"Edge_07\" is not a cluster name"),
        (
            "cluster/edge-07:",
            "the secret of cluster edge-07 is empty or not base64url",
        ),
        (
            "cluster/edge-07:abc def",
            "the secret of cluster edge-07 is empty or not base64url",
        ),
        (
            "cluster/edge-07:abc\ncluster/edge-08:def",
            "it has more than one line",
        ),
    ];
    for (text, reason) in cases {
        std::fs::write(&path, text).unwrap();
        let err = Credential::read(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("credential file {}: ", path.display())),
            "{err}"
        );
        assert!(err.contains(reason), "{text:?}: {err}");
        assert!(
            err.ends_with("expected one line cluster/<name>:<secret>"),
            "{err}"
        );
    }
    let missing = dir.path().join("nope");
    let err = Credential::read(&missing).unwrap_err().to_string();
    assert!(err.starts_with(&format!("reading credential file {}: ", missing.display())));
}
