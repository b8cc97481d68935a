//! The writer: deterministic bytes, atomic output, refusal of bad blob sources, and a
//! writer -> reader round trip.

mod format_support;

use std::cell::Cell;
use std::io::{self, Read};
use std::process::Command;

use ferry_bundler::format::{
    open_bundle, read_bundle, Digest, EntryKind, FormatError, HeadDecision,
};
use ferry_bundler::writer::{tar_size, write_bundle, BlobSource, Compression, WriteError};
use format_support::{file_bytes, read_all, serialize, Sample, MTIME};
use proptest::prelude::*;
use rstest::rstest;

fn sample() -> Sample {
    Sample::new(&[b"alpha", b"beta beta", &[42u8; 300_000], b""])
}

fn dir_entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[rstest]
#[case::plain(Compression::None)]
#[case::zstd(Compression::Zstd { level: 3 })]
#[case::zstd_19(Compression::Zstd { level: 19 })]
fn writing_twice_gives_identical_bytes(#[case] compression: Compression) {
    let s = sample();
    let (a, first) = s.write("a.bundle", None, compression);
    let (b, second) = s.write("b.bundle", None, compression);
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(file_bytes(&a), file_bytes(&b));
    assert_eq!(first.sha256, Digest::of_bytes(&file_bytes(&a)));
    assert_eq!(first.size, file_bytes(&a).len() as u64);
}

#[test]
fn the_uncompressed_archive_is_exactly_the_canonical_tar() {
    let s = sample();
    let (path, summary) = s.write("plain.bundle", None, Compression::None);
    let expected = serialize(&s.parts(None));
    assert_eq!(file_bytes(&path), expected);
    assert_eq!(summary.tar_bytes, expected.len() as u64);
    assert_eq!(
        summary.tar_bytes,
        tar_size(&s.manifest, s.manifest.to_vec().len() as u64, None)
    );
}

#[test]
fn zstd_output_decompresses_to_the_plain_archive() {
    let s = sample();
    let (plain, _) = s.write("plain.bundle", None, Compression::None);
    let (packed, _) = s.write("packed.bundle", None, Compression::default());
    let decoded = zstd::decode_all(&file_bytes(&packed)[..]).unwrap();
    assert_eq!(decoded, file_bytes(&plain));
}

#[rstest]
#[case::plain(Compression::None)]
#[case::zstd(Compression::default())]
fn the_reader_accepts_what_the_writer_wrote(#[case] compression: Compression) {
    let s = sample();
    let (path, summary) = s.write("x.bundle", None, compression);
    let mut seen = Vec::new();
    let read = read_bundle::<_, FormatError, _, _>(
        open_bundle(&path).unwrap(),
        |head| {
            assert_eq!(head.manifest, s.manifest);
            assert_eq!(head.compressed, compression != Compression::None);
            assert!(head.signature.is_none());
            Ok(HeadDecision::Continue)
        },
        |_, mut entry| {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            seen.push((entry.kind().clone(), content));
            entry.finish()?;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(read.tar_bytes, summary.tar_bytes);
    assert_eq!(seen[0].0, EntryKind::OciLayout);
    assert_eq!(seen[1], (EntryKind::Index, s.index_json.clone()));
    let blobs: Vec<_> = s
        .blobs
        .iter()
        .map(|(d, c)| (EntryKind::Blob(d.clone()), c.clone()))
        .collect();
    assert_eq!(&seen[2..], &blobs[..]);
}

#[test]
fn gnu_tar_and_sha256sum_agree_with_the_archive() {
    let s = sample();
    let (path, _) = s.write("audit.bundle", None, Compression::default());
    let out = s.dir.path().join("unpacked");
    std::fs::create_dir(&out).unwrap();
    let status = Command::new("tar")
        .arg("--zstd")
        .arg("-xf")
        .arg(&path)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let listing = Command::new("tar")
        .arg("--zstd")
        .arg("-tvf")
        .arg(&path)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(
        listing.lines().all(|l| l.starts_with("-rw-r--r-- 0/0")),
        "{listing}"
    );
    assert_eq!(std::fs::metadata(out.join("oci-layout")).unwrap().len(), 30);
    let mtime = std::fs::metadata(out.join("index.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        MTIME
    );
    let check = Command::new("sh")
        .arg("-c")
        .arg(r#"cd blobs/sha256 && for f in *; do echo "$f  $f"; done | sha256sum -c --quiet"#)
        .current_dir(&out)
        .status()
        .unwrap();
    assert!(check.success());
    assert_eq!(dir_entries(&out.join("blobs/sha256")).len(), s.blobs.len());
}

#[test]
fn progress_counts_up_to_the_tar_size() {
    let s = sample();
    let last = Cell::new(0u64);
    let path = s.dir.path().join("p.bundle");
    let summary = write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        None,
        &s.source(),
        Compression::default(),
        &|n| {
            assert!(n >= last.get());
            last.set(n);
        },
    )
    .unwrap();
    assert_eq!(last.get(), summary.tar_bytes);
}

/// Serves the sample's blobs but fails after `fail_after` bytes of the big blob.
struct FailingSource<'a> {
    sample: &'a Sample,
    fail_after: usize,
}

impl BlobSource for FailingSource<'_> {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn Read + '_>> {
        let content = self
            .sample
            .blobs
            .iter()
            .find(|(d, _)| d == digest)
            .map(|(_, c)| c.clone())
            .unwrap();
        if content.len() < self.fail_after {
            return Ok(Box::new(io::Cursor::new(content)));
        }
        let head = io::Cursor::new(content[..self.fail_after].to_vec());
        Ok(Box::new(head.chain(FailingRead)))
    }
}

struct FailingRead;
impl Read for FailingRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("disk gone"))
    }
}

/// Serves a fixed body for one digest, the real bytes for the rest.
struct Swapped<'a> {
    sample: &'a Sample,
    digest: Digest,
    body: Vec<u8>,
}

impl BlobSource for Swapped<'_> {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn Read + '_>> {
        if digest == &self.digest {
            return Ok(Box::new(&self.body[..]));
        }
        let content = self
            .sample
            .blobs
            .iter()
            .find(|(d, _)| d == digest)
            .map(|(_, c)| c.clone())
            .unwrap();
        Ok(Box::new(io::Cursor::new(content)))
    }
}

fn assert_no_output(s: &Sample, before: &[String]) {
    assert_eq!(
        dir_entries(s.dir.path()),
        before,
        "a partial file was left behind"
    );
}

#[test]
fn a_source_failing_midway_leaves_nothing_behind() {
    let s = sample();
    let before = dir_entries(s.dir.path());
    let path = s.dir.path().join("fail.bundle");
    let source = FailingSource {
        sample: &s,
        fail_after: 100_000,
    };
    let err = write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        None,
        &source,
        Compression::default(),
        &|_| {},
    )
    .unwrap_err();
    assert!(matches!(err, WriteError::ReadBlob { .. }), "{err}");
    assert!(
        err.to_string().contains("disk gone")
            || err.to_string().contains("cannot read blob sha256:"),
        "{err}"
    );
    assert_no_output(&s, &before);
}

#[test]
fn a_failed_write_keeps_the_previous_bundle_intact() {
    let s = sample();
    let (path, first) = s.write("keep.bundle", None, Compression::None);
    let before = dir_entries(s.dir.path());
    let source = FailingSource {
        sample: &s,
        fail_after: 10,
    };
    assert!(write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        None,
        &source,
        Compression::None,
        &|_| {}
    )
    .is_err());
    assert_eq!(Digest::of_bytes(&file_bytes(&path)), first.sha256);
    assert_no_output(&s, &before);
}

#[rstest]
#[case::altered(|c: &[u8]| { let mut v = c.to_vec(); v[0] ^= 1; v }, "blob source returned bytes with digest")]
#[case::short(|c: &[u8]| c[..c.len() - 1].to_vec(), "bytes in the blob source but the manifest says")]
#[case::long(|c: &[u8]| [c, b"!"].concat(), "has more bytes in the blob source")]
fn a_blob_that_does_not_match_its_digest_is_refused(
    #[case] alter: fn(&[u8]) -> Vec<u8>,
    #[case] expected: &str,
) {
    let s = sample();
    let before = dir_entries(s.dir.path());
    let (digest, content) = s.blobs.iter().find(|(_, c)| c.len() > 1).unwrap().clone();
    let source = Swapped {
        sample: &s,
        digest: digest.clone(),
        body: alter(&content),
    };
    let path = s.dir.path().join("bad.bundle");
    let err = write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        None,
        &source,
        Compression::default(),
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(expected) && err.contains(&digest.to_string()),
        "{err}"
    );
    assert_no_output(&s, &before);
}

#[test]
fn documents_the_reader_would_refuse_are_refused_before_writing() {
    let s = sample();
    let before = dir_entries(s.dir.path());
    let path = s.dir.path().join("doc.bundle");
    let err = write_bundle(
        &path,
        &s.manifest,
        b"{}",
        None,
        &s.source(),
        Compression::None,
        &|_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("index.json has digest"), "{err}");
    let err = write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        Some(b"nope"),
        &s.source(),
        Compression::None,
        &|_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("signature document"), "{err}");
    let mut bad_time = s.manifest.clone();
    bad_time.created = "yesterday".into();
    let err = write_bundle(
        &path,
        &bad_time,
        &s.index_json,
        None,
        &s.source(),
        Compression::None,
        &|_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"yesterday\""), "{err}");
    assert_no_output(&s, &before);
}

#[test]
fn a_missing_output_directory_is_an_error_naming_the_path() {
    let s = sample();
    let path = s.dir.path().join("no/such/dir/x.bundle");
    let err = write_bundle(
        &path,
        &s.manifest,
        &s.index_json,
        None,
        &s.source(),
        Compression::None,
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no/such/dir/x.bundle"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn round_trip_of_random_content(
        contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..6),
        zstd in any::<bool>(),
    ) {
        let refs: Vec<&[u8]> = contents.iter().map(|c| c.as_slice()).collect();
        let s = Sample::new(&refs);
        let compression = if zstd { Compression::Zstd { level: 1 } } else { Compression::None };
        let (path, summary) = s.write("r.bundle", None, compression);
        let (again, second) = s.write("r2.bundle", None, compression);
        prop_assert_eq!(&summary.sha256, &second.sha256);
        prop_assert_eq!(file_bytes(&path), file_bytes(&again));
        let read = read_all(&file_bytes(&path)).unwrap();
        prop_assert_eq!(read.blobs as usize, s.blobs.len());
        prop_assert_eq!(read.tar_bytes, summary.tar_bytes);
    }
}
