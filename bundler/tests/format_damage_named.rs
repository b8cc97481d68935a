//! A damaged or incomplete archive is reported by what is wrong and where, in terms of entries:
//! a damaged header names the last good entry before it, and a blob the archive lacks is called
//! missing.

mod format_support;

use ferry_bundler::format::layout::blob_entry;
use format_support::{read_all, serialize, zstd, Part, Sample};
use rstest::rstest;

fn sample() -> Sample {
    Sample::new(&[b"first blob", b"second blob with more bytes", &[7u8; 1500]])
}

/// Index of the first blob part in `Sample::parts(None)`.
const FIRST_BLOB: usize = 3;

fn refused(parts: &[Part]) -> String {
    let bytes = serialize(parts);
    let err = read_all(&bytes).expect_err("damaged archive was accepted");
    let compressed = read_all(&zstd(&bytes)).expect_err("damaged compressed archive accepted");
    assert_eq!(err.to_string(), compressed.to_string());
    err.to_string()
}

#[rstest]
#[case::oci_layout(1, "ferry-bundle.json")]
#[case::index(2, "oci-layout")]
#[case::first_blob(FIRST_BLOB, "index.json")]
#[case::second_blob(FIRST_BLOB + 1, "blob 0")]
#[case::last_blob(FIRST_BLOB + 2, "blob 1")]
fn a_damaged_header_names_the_last_good_entry_before_it(#[case] at: usize, #[case] after: &str) {
    let s = sample();
    let mut parts = s.parts(None);
    let Part::Entry { header, .. } = &mut parts[at] else {
        unreachable!("an entry")
    };
    header[10] ^= 0x20;
    let after = match after.strip_prefix("blob ") {
        Some(i) => blob_entry(&s.blobs[i.parse::<usize>().unwrap()].0),
        None => after.to_owned(),
    };
    let offset: usize = parts[..at]
        .iter()
        .map(|p| serialize(std::slice::from_ref(p)).len())
        .sum();
    let err = refused(&parts);
    assert_eq!(
        err,
        format!(
            "tar header at offset {offset} (after entry {after}) is damaged: its checksum does not match"
        )
    );
}

#[rstest]
#[case::first(0)]
#[case::middle(1)]
fn a_blob_the_archive_lacks_is_called_missing(#[case] gone: usize) {
    let s = sample();
    let mut parts = s.parts(None);
    parts.remove(FIRST_BLOB + gone);
    let err = refused(&parts);
    assert!(
        err.starts_with(&format!(
            "blob {} listed in the bundle manifest is missing from the archive",
            s.blobs[gone].0
        )),
        "{err}"
    );
}
