//! Hostile chart archives: discovery reads tarballs entry by entry and must refuse entries
//! that would escape the chart, links, and malformed input, with an error naming the entry.

use ferry_bundler::discover::discover_chart;
use rstest::rstest;

/// Builds a gzip tarball from raw headers so names the `tar` builder refuses can be written.
fn tarball(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, kind, data, link) in entries {
        let mut header = tar::Header::new_old();
        let raw = header.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            raw.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(*kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, *data).expect("append raw entry");
    }
    builder.into_inner().expect("tar").finish().expect("gzip")
}

const CHART: &[u8] = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n";

#[rstest]
#[case::parent_dir("evil/../../etc/passwd", tar::EntryType::Regular, None, "escapes")]
#[case::absolute("/etc/evil", tar::EntryType::Regular, None, "escapes")]
#[case::symlink(
    "evil/templates/link.yaml",
    tar::EntryType::Symlink,
    Some("/etc/shadow"),
    "link"
)]
#[case::hardlink(
    "evil/templates/hard.yaml",
    tar::EntryType::Link,
    Some("evil/Chart.yaml"),
    "link"
)]
#[case::fifo(
    "evil/templates/pipe",
    tar::EntryType::Fifo,
    None,
    "not a regular file"
)]
fn hostile_entries_are_refused(
    #[case] name: &str,
    #[case] kind: tar::EntryType,
    #[case] link: Option<&str>,
    #[case] reason: &str,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil-1.0.0.tgz");
    let bytes = tarball(&[
        ("evil/Chart.yaml", tar::EntryType::Regular, CHART, None),
        (name, kind, b"x", link),
    ]);
    std::fs::write(&path, bytes).expect("write");
    let err = discover_chart(&path, &[])
        .expect_err("hostile archive must be refused")
        .to_string();
    assert!(err.contains(reason), "{err}");
    assert!(
        err.contains(name) || err.contains(name.trim_start_matches('/')),
        "{err}"
    );
    // Nothing was written next to the archive.
    assert_eq!(std::fs::read_dir(dir.path()).expect("readdir").count(), 1);
}

#[rstest]
#[case::not_gzip(b"plain text, not a tarball".to_vec())]
#[case::truncated(tarball(&[("evil/Chart.yaml", tar::EntryType::Regular, CHART, None)])[..20].to_vec())]
fn malformed_archives_are_errors_not_panics(#[case] bytes: Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.tgz");
    std::fs::write(&path, bytes).expect("write");
    let err = discover_chart(&path, &[]).expect_err("malformed archive");
    assert!(err.to_string().contains("bad.tgz"), "{err}");
}

#[test]
fn malformed_values_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Chart.yaml"), CHART).expect("write");
    std::fs::write(
        dir.path().join("values.yaml"),
        "image:\n  repository: a\n  tag: [unclosed\n",
    )
    .expect("write");
    let err = discover_chart(dir.path(), &[])
        .expect_err("bad values")
        .to_string();
    assert!(err.contains("values.yaml line 3"), "{err}");
}
