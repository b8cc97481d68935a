//! Property tests: random corruption of a valid signed bundle is always refused (never a panic,
//! never Ok); for zstd bundles a corruption may only be accepted if it decodes to the very same
//! archive (e.g. a larger window declared in the frame header), never to other content.

mod format_support;

use std::path::PathBuf;

use ferry_bundler::format::{verify_bundle, TrustedKey};
use ferry_bundler::sign::{keygen, SigningKey};
use ferry_bundler::writer::Compression;
use format_support::{file_bytes, read_all, Sample};
use proptest::prelude::*;

struct Fixture {
    _keys: tempfile::TempDir,
    sample: Sample,
    trusted: TrustedKey,
    plain: PathBuf,
    packed: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = tempfile::tempdir().unwrap();
        let files = keygen(keys.path(), b"").unwrap();
        let key = SigningKey::load(&files.private_key, b"").unwrap();
        let trusted = TrustedKey::from_file(&files.public_key).unwrap();
        let sample = Sample::artifact(&[b"a small blob", &[9u8; 2000], b"another blob of text"]);
        let signature = key.sign_manifest(&sample.manifest.to_vec()).unwrap();
        let (plain, _) = sample.write("plain.bundle", Some(&signature), Compression::None);
        let (packed, _) = sample.write("packed.bundle", Some(&signature), Compression::default());
        Fixture {
            _keys: keys,
            sample,
            trusted,
            plain,
            packed,
        }
    })
}

/// Verifies `bytes` as a bundle file with the fixture's key.
fn verify(bytes: &[u8]) -> bool {
    let f = fixture();
    let dir = tempfile::tempdir_in(f.sample.dir.path()).unwrap();
    let path = dir.path().join("b.bundle");
    std::fs::write(&path, bytes).unwrap();
    verify_bundle(&path, std::slice::from_ref(&f.trusted), true).is_ok()
}

#[test]
fn the_unaltered_fixture_verifies() {
    let f = fixture();
    assert!(verify(&file_bytes(&f.plain)));
    assert!(verify(&file_bytes(&f.packed)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_changed_byte_of_a_plain_bundle_is_refused(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = file_bytes(&fixture().plain);
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        prop_assert!(!verify(&bytes), "accepted with byte {} xor {:#x}", at, flip);
    }

    #[test]
    fn a_changed_byte_of_a_zstd_bundle_never_yields_other_content(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let f = fixture();
        let mut bytes = file_bytes(&f.packed);
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        if verify(&bytes) {
            let decoded = zstd::decode_all(&bytes[..]).unwrap();
            prop_assert_eq!(decoded, file_bytes(&f.plain), "accepted different content (byte {} xor {:#x})", at, flip);
        }
    }

    #[test]
    fn truncation_is_refused(cut in any::<prop::sample::Index>(), zstd in any::<bool>()) {
        let f = fixture();
        let bytes = file_bytes(if zstd { &f.packed } else { &f.plain });
        let cut = cut.index(bytes.len());
        prop_assert!(!verify(&bytes[..cut]));
    }

    #[test]
    fn appended_bytes_are_refused(extra in proptest::collection::vec(any::<u8>(), 1..600), zstd in any::<bool>()) {
        let f = fixture();
        let mut bytes = file_bytes(if zstd { &f.packed } else { &f.plain });
        bytes.extend_from_slice(&extra);
        prop_assert!(!verify(&bytes));
    }

    #[test]
    fn random_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(read_all(&bytes).is_err());
    }

    #[test]
    fn random_bytes_after_a_valid_prefix_never_panic(cut in any::<prop::sample::Index>(), tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut bytes = file_bytes(&fixture().plain);
        let cut = cut.index(bytes.len());
        bytes.truncate(cut);
        bytes.extend_from_slice(&tail);
        prop_assert!(read_all(&bytes).is_err());
    }
}
