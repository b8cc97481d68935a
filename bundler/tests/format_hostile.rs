//! Hostile archives, crafted block by block: each must be refused with an error that names
//! what is wrong, never accepted and never a panic.

mod format_support;

use ferry_bundler::format::layout::{
    blob_entry, MANIFEST_ENTRY, MAX_DOCUMENT_SIZE, SIGNATURE_ENTRY,
};
use ferry_bundler::format::{Digest, FormatError};
use format_support::{read_all, serialize, zstd, Part, Sample};
use rstest::rstest;

fn sample() -> Sample {
    Sample::new(&[b"first blob", b"second blob with more bytes", &[7u8; 1500]])
}

/// Index of the first blob part in `Sample::parts(None)`.
const FIRST_BLOB: usize = 3;

fn refused(parts: Vec<Part>) -> String {
    let bytes = serialize(&parts);
    let err = read_all(&bytes).expect_err("hostile archive was accepted");
    let compressed = read_all(&zstd(&bytes)).expect_err("hostile compressed archive was accepted");
    assert_eq!(
        err.to_string(),
        compressed.to_string(),
        "plain and zstd disagree"
    );
    err.to_string()
}

#[test]
fn the_unaltered_sample_is_accepted() {
    let s = sample();
    let bytes = serialize(&s.parts(None));
    let summary = read_all(&bytes).unwrap();
    assert_eq!(summary.blobs, 3);
    assert!(!summary.compressed);
    assert!(read_all(&zstd(&bytes)).unwrap().compressed);
}

#[rstest]
#[case::hard_link(b'1', "not a regular file")]
#[case::symlink(b'2', "not a regular file")]
#[case::char_device(b'3', "not a regular file")]
#[case::block_device(b'4', "not a regular file")]
#[case::directory(b'5', "not a regular file")]
#[case::fifo(b'6', "not a regular file")]
#[case::contiguous(b'7', "not a regular file")]
#[case::old_regular(b'\0', "not a regular file")]
#[case::pax_local(b'x', "x extension header")]
#[case::pax_global(b'g', "g extension header")]
#[case::gnu_long_name(b'L', "L extension header")]
#[case::gnu_long_link(b'K', "K extension header")]
fn refuses_non_regular_entries(#[case] kind: u8, #[case] expected: &str) {
    let s = sample();
    let mut parts = s.parts(None);
    let (d, c) = &s.blobs[0];
    parts[FIRST_BLOB] =
        Part::entry(&blob_entry(d), c).with_header(|h| h.as_mut_bytes()[156] = kind);
    let err = refused(parts);
    assert!(err.contains(expected) && err.contains(d.hex()), "{err}");
}

#[rstest]
#[case::unknown_name(b"README".as_slice())]
#[case::parent_dir(b"../ferry-bundle.json".as_slice())]
#[case::absolute(b"/etc/passwd".as_slice())]
#[case::dot_slash(b"./oci-layout".as_slice())]
#[case::blob_traversal(b"blobs/sha256/../../etc/passwd".as_slice())]
#[case::upper_hex(b"blobs/sha256/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789".as_slice())]
#[case::short_hex(b"blobs/sha256/abcdef".as_slice())]
#[case::other_algorithm(b"blobs/sha512/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789".as_slice())]
#[case::trailing_slash(b"oci-layout/".as_slice())]
#[case::not_utf8(b"oci-\xff\xfe".as_slice())]
fn refuses_unknown_paths(#[case] path: &[u8]) {
    let s = sample();
    let mut parts = s.parts(None);
    parts[1] = Part::raw_path(path, b"{}");
    let err = refused(parts);
    assert!(err.contains("is not a bundle entry name"), "{err}");
}

#[rstest]
#[case::layout_before_manifest(0, 1, "expected ferry-bundle.json")]
#[case::index_before_layout(1, 2, "expected oci-layout")]
#[case::blob_before_index(2, 3, "expected index.json")]
fn refuses_entries_out_of_order(#[case] a: usize, #[case] b: usize, #[case] expected: &str) {
    let s = sample();
    let mut parts = s.parts(None);
    parts.swap(a, b);
    let err = refused(parts);
    assert!(
        err.contains("out of order") && err.contains(expected),
        "{err}"
    );
}

#[test]
fn refuses_a_signature_after_the_layout() {
    let s = sample();
    let mut parts = s.parts(None);
    parts.insert(2, Part::entry(SIGNATURE_ENTRY, b"{}"));
    let err = refused(parts);
    assert!(
        err.contains("ferry-bundle.sigstore.json") && err.contains("out of order"),
        "{err}"
    );
}

#[test]
fn refuses_a_second_manifest() {
    let s = sample();
    let mut parts = s.parts(None);
    parts.insert(1, parts[0].clone());
    let err = refused(parts);
    assert!(
        err.contains("ferry-bundle.json") && err.contains("out of order"),
        "{err}"
    );
}

#[test]
fn refuses_blobs_out_of_manifest_order() {
    let s = sample();
    let mut parts = s.parts(None);
    parts.swap(FIRST_BLOB, FIRST_BLOB + 1);
    let err = refused(parts);
    assert!(
        err.contains(&format!(
            "blob {} listed in the bundle manifest is missing from the archive where the manifest order puts it: blob {} comes there instead",
            s.blobs[0].0, s.blobs[1].0
        )),
        "{err}"
    );
}

#[test]
fn refuses_a_blob_not_in_the_manifest() {
    let s = sample();
    let mut parts = s.parts(None);
    let stranger = Digest::of_bytes(b"stranger");
    parts.insert(FIRST_BLOB, Part::entry(&blob_entry(&stranger), b"stranger"));
    let err = refused(parts);
    assert!(err.contains(&stranger.to_string()), "{err}");
}

#[test]
fn refuses_an_extra_blob_after_the_last() {
    let s = sample();
    let mut parts = s.parts(None);
    let stranger = Digest::of_bytes(b"stranger");
    let end = parts.len() - 1;
    parts.insert(end, Part::entry(&blob_entry(&stranger), b"stranger"));
    let err = refused(parts);
    assert!(
        err.contains(&stranger.to_string()) && err.contains("not listed"),
        "{err}"
    );
}

#[rstest]
#[case::adjacent(FIRST_BLOB + 1)]
#[case::after_the_last(FIRST_BLOB + 3)]
fn refuses_a_blob_twice(#[case] at: usize) {
    let s = sample();
    let mut parts = s.parts(None);
    parts.insert(at, parts[FIRST_BLOB].clone());
    let err = refused(parts);
    assert!(
        err.contains(&s.blobs[0].0.to_string()) && err.contains("more than once"),
        "{err}"
    );
}

#[test]
fn refuses_a_blob_of_the_wrong_size() {
    let s = sample();
    let mut parts = s.parts(None);
    let (d, c) = &s.blobs[0];
    let mut longer = c.clone();
    longer.push(b'!');
    parts[FIRST_BLOB] = Part::entry(&blob_entry(d), &longer);
    let err = refused(parts);
    assert!(
        err.contains(d.hex())
            && err.contains(&format!("bytes but the bundle manifest says {}", c.len())),
        "{err}"
    );
}

#[test]
fn refuses_a_blob_with_the_wrong_digest_naming_both() {
    let s = sample();
    let mut parts = s.parts(None);
    let (d, c) = &s.blobs[1];
    let mut altered = c.clone();
    altered[0] ^= 1;
    parts[FIRST_BLOB + 1] = Part::entry(&blob_entry(d), &altered);
    let err = refused(parts);
    let actual = Digest::of_bytes(&altered);
    assert!(
        err.contains(&d.to_string()) && err.contains(&actual.to_string()),
        "{err}"
    );
}

#[test]
fn refuses_missing_blobs_at_the_end() {
    let s = sample();
    let mut parts = s.parts(None);
    parts.remove(FIRST_BLOB + 2);
    let err = refused(parts);
    assert!(
        err.contains(&format!(
            "blob {} listed in the bundle manifest is missing from the archive",
            s.blobs[2].0
        )) && err.contains("1 listed blob"),
        "{err}"
    );
}

#[test]
fn refuses_an_index_that_differs_from_the_manifest() {
    let s = sample();
    let mut parts = s.parts(None);
    let mut index = s.index_json.clone();
    let last = index.len() - 2;
    index[last] = b' ';
    parts[2] = Part::entry("index.json", &index);
    let err = refused(parts);
    assert!(
        err.contains("index.json") && err.contains(&s.manifest.index.digest.to_string()),
        "{err}"
    );
}

#[test]
fn refuses_an_altered_oci_layout() {
    let s = sample();
    let mut parts = s.parts(None);
    parts[1] = Part::entry("oci-layout", br#"{"imageLayoutVersion":"9.9.9"}"#);
    let err = refused(parts);
    assert!(err.contains("oci-layout"), "{err}");
}

#[test]
fn truncation_anywhere_is_refused() {
    let s = sample();
    let bytes = serialize(&s.parts(None));
    // Every block boundary and a few points inside blocks.
    let cuts = (0..bytes.len()).filter(|i| i % 512 == 0 || i % 512 == 7 || i % 512 == 300);
    for cut in cuts {
        let err = read_all(&bytes[..cut]).expect_err("truncated bundle accepted");
        // Less than one tar header cannot be told from any other short file.
        if cut < 512 {
            assert!(
                matches!(err, FormatError::NotABundle { .. }),
                "cut at {cut}: {err}"
            );
        } else {
            assert!(
                matches!(err, FormatError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
        }
        let compressed = zstd(&bytes[..cut]);
        assert!(
            read_all(&compressed[..compressed.len() - 1]).is_err(),
            "cut zstd at {cut}"
        );
    }
}

#[test]
fn a_truncated_zstd_stream_is_refused() {
    let s = sample();
    let compressed = zstd(&serialize(&s.parts(None)));
    for cut in [4, 10, compressed.len() / 2, compressed.len() - 1] {
        assert!(read_all(&compressed[..cut]).is_err(), "cut at {cut}");
    }
}

#[rstest]
#[case::garbage_after_end(Part::Raw(b"garbage".to_vec()))]
#[case::zero_block_then_garbage(Part::Raw([vec![0u8; 512], b"x".to_vec()].concat()))]
#[case::another_entry_after_end(Part::entry("oci-layout", b"{}"))]
#[case::extra_zero_padding(Part::Raw(vec![0u8; 9216]))]
fn refuses_data_after_the_end(#[case] extra: Part) {
    let s = sample();
    let mut parts = s.parts(None);
    parts.push(extra);
    let err = refused(parts);
    assert!(err.contains("after the end of the tar archive"), "{err}");
}

#[test]
fn refuses_a_non_zero_second_end_block() {
    let s = sample();
    let mut parts = s.parts(None);
    parts.pop();
    parts.push(Part::Raw(
        [vec![0u8; 512], vec![0u8; 511], vec![1]].concat(),
    ));
    let err = refused(parts);
    assert!(err.contains("after the end"), "{err}");
}

#[test]
fn refuses_non_zero_padding() {
    let s = sample();
    let bytes = serialize(&s.parts(None));
    let mut altered = bytes.clone();
    // The manifest's padding: its header, its content, then zeros up to the block boundary.
    let manifest_len = s.manifest.to_vec().len();
    altered[512 + manifest_len] = b' ';
    let err = read_all(&altered).unwrap_err().to_string();
    assert!(err.contains("padding after ferry-bundle.json"), "{err}");
}

#[rstest]
#[case::manifest(MANIFEST_ENTRY, 0)]
#[case::signature(SIGNATURE_ENTRY, 1)]
#[case::index("index.json", 2)]
fn refuses_documents_larger_than_the_limit(#[case] path: &str, #[case] at: usize) {
    let s = sample();
    let mut parts = s.parts(None);
    // Only the header claims the size: the reader must refuse before reading any of it.
    let huge = Part::entry(path, b"{}").with_header(|h| h.set_size(MAX_DOCUMENT_SIZE + 1));
    if path == SIGNATURE_ENTRY {
        parts.insert(at, huge);
    } else {
        parts[at] = huge;
    }
    parts.truncate(at + 1);
    let err = read_all(&serialize(&parts)).unwrap_err().to_string();
    assert!(err.contains(path) && err.contains("more than the"), "{err}");
}

#[rstest]
#[case::not_json(b"not json".as_slice(), "line 1 column 2")]
#[case::unknown_field(br#"{"schemaVersion":1,"bogus":true}"#.as_slice(), "line 1 column 26")]
#[case::empty(b"".as_slice(), "line 1 column 0")]
fn refuses_invalid_manifest_json_with_position(#[case] json: &[u8], #[case] expected: &str) {
    let s = sample();
    let mut parts = s.parts(None);
    parts[0] = Part::entry(MANIFEST_ENTRY, json);
    let err = refused(parts);
    assert!(
        err.starts_with("ferry-bundle.json:") && err.contains(expected),
        "{err}"
    );
}

#[test]
fn refuses_a_signature_that_is_not_a_sigstore_bundle() {
    let s = sample();
    let parts = s.parts(Some(br#"{"mediaType":"x"}"#));
    let err = refused(parts);
    assert!(
        err.contains("ferry-bundle.sigstore.json is not a key-based sigstore message signature: at mediaType"),
        "{err}"
    );
}

#[rstest]
#[case::gnu_magic(*b"ustar ", *b" \0")]
#[case::v7(*b"\0\0\0\0\0\0", *b"\0\0")]
fn refuses_non_ustar_headers(#[case] magic: [u8; 6], #[case] version: [u8; 2]) {
    let s = sample();
    let mut parts = s.parts(None);
    parts[1] = parts[1].clone().with_header(|h| {
        h.as_mut_bytes()[257..263].copy_from_slice(&magic);
        h.as_mut_bytes()[263..265].copy_from_slice(&version);
    });
    let err = refused(parts);
    assert!(
        err.contains("not a ustar header") && err.contains("oci-layout"),
        "{err}"
    );
}

#[rstest]
#[case::mode(|h: &mut tar::Header| h.set_mode(0o755))]
#[case::uid(|h: &mut tar::Header| h.set_uid(1000))]
#[case::mtime(|h: &mut tar::Header| h.set_mtime(0))]
#[case::user_name(|h: &mut tar::Header| h.set_username("root").unwrap())]
#[case::prefix(|h: &mut tar::Header| h.as_mut_bytes()[345] = b'a')]
fn refuses_non_canonical_headers(#[case] alter: fn(&mut tar::Header)) {
    let s = sample();
    let mut parts = s.parts(None);
    parts[2] = parts[2].clone().with_header(alter);
    let err = refused(parts);
    assert!(
        err.contains("index.json") || err.contains("not a bundle entry name"),
        "{err}"
    );
}

#[rstest]
#[case::empty(b"".to_vec(), "the file is empty")]
#[case::one_byte(b"x".to_vec(), "neither a zstd stream nor a tar archive")]
#[case::zstd_magic_only(vec![0x28, 0xB5, 0x2F, 0xFD], "zstd")]
#[case::zero_blocks(vec![0u8; 1024], "an empty tar archive")]
#[case::text(b"this is not a tar archive at all, just some words".to_vec(), "neither a zstd stream nor a tar archive")]
#[case::random_block((0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8).collect(), "neither a zstd stream nor a tar archive")]
#[case::zstd_of_text(zstd(b"some text, compressed, but no tar inside it at all".repeat(20).as_slice()), "its zstd stream does not hold a tar archive")]
#[case::another_tar(serialize(&[Part::entry("README", b"hello"), Part::End]), "its first entry is \"README\", not ferry-bundle.json")]
#[case::another_zstd_tar(zstd(&serialize(&[Part::entry("README", b"hello"), Part::End])), "its first entry is \"README\"")]
#[case::gnu_tar(serialize(&[gnu("README"), Part::End]), "its first entry is \"README\", not ferry-bundle.json")]
#[case::pax_tar(serialize(&[Part::entry("PaxHeaders/README", b"").with_header(|h| h.as_mut_bytes()[156] = b'x'), Part::End]), "its first entry is \"PaxHeaders/README\"")]
fn refuses_things_that_are_not_bundles_as_such(#[case] bytes: Vec<u8>, #[case] why: &str) {
    let err = read_all(&bytes).expect_err("accepted").to_string();
    assert!(
        err.starts_with("not a ferry bundle: ") && err.contains(why),
        "{err}"
    );
    assert!(!err.contains("truncated"), "{err}");
}

/// An entry with a GNU tar header, as `tar cf` writes by default.
fn gnu(path: &str) -> Part {
    Part::entry(path, b"hello").with_header(|h| {
        h.as_mut_bytes()[257..263].copy_from_slice(b"ustar ");
        h.as_mut_bytes()[263..265].copy_from_slice(b" \0");
    })
}

/// A bundle re-packed by another tar still starts with its manifest: that is named, not called
/// "not a bundle".
#[test]
fn a_gnu_header_on_the_manifest_is_not_called_not_a_bundle() {
    let s = sample();
    let mut parts = s.parts(None);
    parts[0] = parts[0].clone().with_header(|h| {
        h.as_mut_bytes()[257..263].copy_from_slice(b"ustar ");
        h.as_mut_bytes()[263..265].copy_from_slice(b" \0");
    });
    let err = refused(parts);
    assert!(
        err.contains("not a ustar header") && err.contains("ferry-bundle.json"),
        "{err}"
    );
}

#[test]
fn refuses_a_zstd_window_larger_than_the_limit() {
    let s = sample();
    let tar = serialize(&s.parts(None));
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    encoder
        .set_parameter(zstd::zstd_safe::CParameter::WindowLog(28))
        .unwrap();
    std::io::Write::write_all(&mut encoder, &tar).unwrap();
    let compressed = encoder.finish().unwrap();
    let err = read_all(&compressed).unwrap_err().to_string();
    assert!(
        err.contains("zstd") || err.contains("ferry-bundle.json"),
        "{err}"
    );
    assert!(
        err.to_lowercase().contains("memory") || err.contains("window"),
        "{err}"
    );
}

#[test]
fn stops_reading_a_zstd_stream_that_keeps_expanding_after_the_tar() {
    let s = sample();
    let tar = serialize(&s.parts(None));
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    std::io::Write::write_all(&mut encoder, &tar).unwrap();
    // 256 MiB of zeros after the end blocks, in the same frame: a few KiB compressed.
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        std::io::Write::write_all(&mut encoder, &zeros).unwrap();
    }
    let compressed = encoder.finish().unwrap();
    let err = read_all(&compressed).unwrap_err();
    assert!(
        matches!(err, FormatError::TrailingData { offset } if offset == tar.len() as u64),
        "{err}"
    );
}

#[test]
fn never_reads_past_the_end_of_the_archive() {
    // A source that fails if read past the archive proves the reader's bound.
    struct Fence<'a>(&'a [u8]);
    impl std::io::Read for Fence<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let s = sample();
    let bytes = serialize(&s.parts(None));
    let summary = format_support::read_stream(Fence(&bytes)).unwrap();
    assert_eq!(summary.tar_bytes, bytes.len() as u64);
}
