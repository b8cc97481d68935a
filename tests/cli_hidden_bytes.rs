//! `ferry verify` and `ferry import` through the real binary refuse a signed zstd bundle carrying
//! bytes ferry never writes (skippable frames, data after the last frame, …), naming what was
//! found and its byte offset, with the exit code of a tampered bundle.

mod harness;

use ferry_testkit::zstd_frames::{hide, HIDDEN_BYTES_CASES};
use harness::{build_signed, file_profile, Dir};

#[test]
fn verify_and_import_refuse_hidden_bytes_in_a_signed_zstd_bundle() {
    let dir = Dir::new();
    // A gzip-looking file gets a zstd frame of its own, so the bundle has several.
    let mut gzip_like = vec![0x1f, 0x8b];
    gzip_like.extend((0..50_000u32).map(|i| (i * 13 % 251) as u8));
    file_profile(&dir, "layer.tgz", &gzip_like);
    build_signed(&dir, "site.ferry");
    dir.ok(&["verify", "site.ferry", "--key", "keys/ferry.pub"]);
    let honest = std::fs::read(dir.path("site.ferry")).unwrap();
    for case in HIDDEN_BYTES_CASES {
        let (bytes, expected) = hide(&honest, case);
        let name = format!("{case}.ferry");
        std::fs::write(dir.path(&name), bytes).unwrap();
        let verify = dir.fails(3, &["verify", &name, "--key", "keys/ferry.pub"]);
        assert!(verify.contains(&expected), "verify, {case}: {verify}");
        let import = dir.fails(
            3,
            &[
                "import",
                &name,
                "--data",
                "data",
                "--trust-key",
                "keys/ferry.pub",
            ],
        );
        assert!(import.contains(&expected), "import, {case}: {import}");
    }
}
