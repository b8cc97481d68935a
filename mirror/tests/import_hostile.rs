//! Hostile and broken archives: each is refused with an error naming what is wrong, and leaves
//! nothing visible (no repository, manifest, tag or bundle row; no staging file). Whole verified
//! blobs written before the failure may remain: they are unreferenced and never served.

mod import_support;

use std::io::Write;
use std::path::Path;

use ferry_bundler::format::layout::blob_entry;
use ferry_bundler::format::Digest;
use ferry_mirror::import::{import_bundle, ImportError};
use ferry_mirror::store::Store;
use import_support::*;
use rstest::rstest;

/// A small signed bundle's entries; tests splice hostile parts into them.
fn base(dir: &Path) -> Fixture {
    let mut c = Content::default();
    c.image("docker.io/library/app", "1.0", 1, 100, &[]);
    c.file("talos.iso", noise(7, 50_000));
    write(
        dir,
        "base.ferry",
        &c,
        Some(keys()),
        ferry_bundler::writer::Compression::None,
    )
}

/// Position of the first blob entry (after manifest, signature, oci-layout, index.json).
const FIRST_BLOB: usize = 4;

fn with_raw_entry_at(fx: &Fixture, at: usize, header: [u8; 512], content: &[u8]) -> Vec<u8> {
    let entries = fx.entries();
    let mut out = Vec::new();
    for (path, bytes) in &entries[..at] {
        push_entry(&mut out, path, bytes);
    }
    out.extend_from_slice(&header);
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(0u8, (512 - content.len() % 512) % 512));
    for (path, bytes) in &entries[at..] {
        push_entry(&mut out, path, bytes);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn largest_blob(fx: &Fixture) -> usize {
    let entries = fx.entries();
    (FIRST_BLOB..entries.len())
        .max_by_key(|i| entries[*i].1.len())
        .unwrap()
}

fn hostile(fx: &Fixture, case: &str) -> Vec<u8> {
    let mut entries = fx.entries();
    let first_blob_path = entries[FIRST_BLOB].0.clone();
    match case {
        "unknown-entry" => {
            entries.insert(
                FIRST_BLOB,
                ("evil.sh".into(), b"#!/bin/sh\nrm -rf /\n".to_vec()),
            );
            assemble(&entries)
        }
        "symlink" => with_raw_entry_at(
            fx,
            FIRST_BLOB,
            raw_header(first_blob_path.as_bytes(), 0, b'2'),
            b"",
        ),
        "hardlink" => with_raw_entry_at(
            fx,
            FIRST_BLOB,
            raw_header(first_blob_path.as_bytes(), 0, b'1'),
            b"",
        ),
        "device" => with_raw_entry_at(fx, FIRST_BLOB, raw_header(b"dev/sda", 0, b'4'), b""),
        "fifo" => with_raw_entry_at(fx, FIRST_BLOB, raw_header(b"fifo", 0, b'6'), b""),
        "dotdot" => {
            let evil = b"blobs/sha256/../../../../etc/cron.d/evil";
            with_raw_entry_at(fx, FIRST_BLOB, raw_header(evil, 4, b'0'), b"evil")
        }
        "absolute" => {
            with_raw_entry_at(fx, FIRST_BLOB, raw_header(b"/etc/passwd", 4, b'0'), b"root")
        }
        "pax-header" => with_raw_entry_at(
            fx,
            FIRST_BLOB,
            raw_header(b"PaxHeaders/x", 20, b'x'),
            b"30 path=/etc/passwd\n",
        ),
        "gnu-long-name" => with_raw_entry_at(
            fx,
            FIRST_BLOB,
            raw_header(b"././@LongLink", 12, b'L'),
            b"/etc/shadow\0",
        ),
        "oversized-manifest-header" => {
            let mut out = raw_header(b"ferry-bundle.json", 1 << 40, b'0').to_vec();
            out.extend_from_slice(&[b'{'; 4096]);
            out
        }
        "oversized-blob-header" => {
            let mut out = Vec::new();
            for (path, bytes) in &entries[..FIRST_BLOB] {
                push_entry(&mut out, path, bytes);
            }
            let (path, bytes) = &entries[FIRST_BLOB];
            out.extend_from_slice(&raw_header(path.as_bytes(), 1 << 40, b'0'));
            out.extend_from_slice(bytes);
            out
        }
        "truncated" => {
            let full = assemble(&entries);
            let mut at = 0;
            for (_, bytes) in &entries[..largest_blob(fx)] {
                at += 512 + bytes.len().div_ceil(512) * 512;
            }
            full[..at + 512 + entries[largest_blob(fx)].1.len() / 2].to_vec()
        }
        "extra-blob" => {
            let extra = b"not listed".to_vec();
            let at = entries.len();
            entries.insert(at, (blob_entry(&Digest::of_bytes(&extra)), extra));
            assemble(&entries)
        }
        "duplicate-blob" => {
            let dup = entries[FIRST_BLOB].clone();
            entries.insert(FIRST_BLOB + 1, dup);
            assemble(&entries)
        }
        "missing-blob" => {
            entries.pop();
            assemble(&entries)
        }
        "corrupted-blob" => {
            let i = largest_blob(fx);
            let mid = entries[i].1.len() / 2;
            entries[i].1[mid] ^= 0x01;
            assemble(&entries)
        }
        "trailing-data" => {
            let mut out = assemble(&entries);
            out.extend_from_slice(b"appended after the end of the archive");
            out
        }
        other => panic!("unknown case {other}"),
    }
}

async fn assert_refused_and_invisible(dir: &Path, bytes: &[u8], expected: &str) -> Store {
    let path = dir.join("hostile.ferry");
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(dir.join("store")).await.unwrap();
    let err = import_bundle(&store, &path, &trusting()).await.unwrap_err();
    assert!(matches!(err, ImportError::Format(_)), "{err:?}");
    assert!(
        err.to_string().contains(expected),
        "error {err:?} does not mention {expected:?}"
    );
    let nothing = Visible {
        repositories: 0,
        manifests: 0,
        manifest_refs: 0,
        tags: 0,
        bundles: 0,
        bundle_artifacts: 0,
        bundle_tags: 0,
        repository_blobs: 0,
    };
    assert_eq!(visible(&store).await, nothing);
    assert_eq!(
        std::fs::read_dir(store.tmp_dir()).unwrap().count(),
        0,
        "staging file left behind"
    );
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM imports")
        .fetch_one(store.db())
        .await
        .unwrap();
    assert_eq!(outcome, "refused");
    // Whatever blobs were kept are whole and verified.
    assert!(ferry_mirror::store::verify(&store).await.unwrap().is_ok());
    store
}

#[rstest]
#[case::unknown_entry("unknown-entry", "\"evil.sh\" is not a bundle entry name")]
#[case::symlink("symlink", "is not a regular file")]
#[case::hardlink("hardlink", "is not a regular file")]
#[case::device("device", "is not a regular file")]
#[case::fifo("fifo", "is not a regular file")]
#[case::dotdot("dotdot", "etc/cron.d/evil\" is not a bundle entry name")]
#[case::absolute("absolute", "\"/etc/passwd\" is not a bundle entry name")]
#[case::pax_header("pax-header", "extension header")]
#[case::gnu_long_name("gnu-long-name", "extension header")]
#[case::oversized_manifest_header("oversized-manifest-header", "more than the")]
#[case::oversized_blob_header("oversized-blob-header", "but the bundle manifest says")]
#[case::truncated("truncated", "truncated")]
#[case::extra_blob("extra-blob", "not listed in the bundle manifest")]
#[case::duplicate_blob("duplicate-blob", "more than once")]
#[case::missing_blob("missing-blob", "listed blob(s)")]
#[case::corrupted_blob("corrupted-blob", "has digest")]
#[case::trailing_data("trailing-data", "data after the end of the tar archive")]
#[tokio::test]
async fn hostile_archive_is_refused(#[case] case: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let fx = base(dir.path());
    let bytes = hostile(&fx, case);
    let store = assert_refused_and_invisible(dir.path(), &bytes, expected).await;
    if case == "corrupted-blob" {
        let corrupted = &fx.manifest.blobs[largest_blob(&fx) - FIRST_BLOB].digest;
        assert!(
            !store.has_blob(corrupted).unwrap(),
            "corrupted blob was published"
        );
    }
}

#[tokio::test]
async fn truncated_zstd_stream_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fx = base(dir.path());
    let compressed = zstd::encode_all(&assemble(&fx.entries())[..], 3).unwrap();
    let cut = &compressed[..compressed.len() * 2 / 3];
    assert_refused_and_invisible(dir.path(), cut, "").await;
}

#[tokio::test]
async fn zstd_bomb_after_the_archive_is_not_expanded() {
    // A valid archive followed, inside the same zstd stream, by 512 MiB of zeros (a few KiB
    // compressed). The reader stops one byte past the end-of-archive blocks and refuses.
    let dir = tempfile::tempdir().unwrap();
    let fx = base(dir.path());
    let mut enc = zstd::Encoder::new(Vec::new(), 19).unwrap();
    enc.write_all(&assemble(&fx.entries())).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..512 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(
        bomb.len() < 4 << 20,
        "the bomb should be small: {} bytes",
        bomb.len()
    );
    assert_refused_and_invisible(dir.path(), &bomb, "data after the end of the tar archive").await;
}

#[tokio::test]
async fn zstd_frame_demanding_a_huge_window_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fx = base(dir.path());
    let mut enc = zstd::Encoder::new(Vec::new(), 3).unwrap();
    enc.window_log(31).unwrap();
    enc.long_distance_matching(true).unwrap();
    enc.write_all(&assemble(&fx.entries())).unwrap();
    let framed = enc.finish().unwrap();
    assert_refused_and_invisible(dir.path(), &framed, "too much memory").await;
}

/// A zstd bundle from ferry's writer with several frames (the gzip-looking file gets its own).
fn compressed_base(dir: &Path) -> Fixture {
    let mut c = Content::default();
    c.image("docker.io/library/app", "1.0", 1, 100, &[]);
    let mut gzip_like = vec![0x1f, 0x8b];
    gzip_like.extend(noise(8, 20_000));
    c.file("layer.tgz", gzip_like);
    c.file("notes.txt", b"compressible ".repeat(400));
    write(
        dir,
        "base.ferry",
        &c,
        Some(keys()),
        ferry_bundler::writer::Compression::default(),
    )
}

#[tokio::test]
async fn zstd_bundle_with_hidden_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fx = compressed_base(dir.path());
    let honest = std::fs::read(&fx.path).unwrap();
    for case in ferry_testkit::zstd_frames::HIDDEN_BYTES_CASES {
        let (bytes, expected) = ferry_testkit::zstd_frames::hide(&honest, case);
        // A store of its own per case: each refusal must leave its store empty.
        let dir = dir.path().join(case);
        std::fs::create_dir(&dir).unwrap();
        assert_refused_and_invisible(&dir, &bytes, &expected).await;
    }
}
