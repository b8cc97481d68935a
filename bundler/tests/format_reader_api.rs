//! The reader's contract with its callers: stopping after the head, entries left unread are
//! still verified, and caller errors pass through unchanged.

mod format_support;

use std::io::Read;

use ferry_bundler::format::layout::blob_entry;
use ferry_bundler::format::{read_bundle, EntryKind, FormatError, HeadDecision};
use format_support::{serialize, Part, Sample};

fn sample() -> Sample {
    Sample::new(&[b"left", b"right", &[1u8; 70_000]])
}

/// The sample with the content of its largest blob altered (same size).
fn corrupted(s: &Sample) -> Vec<u8> {
    let mut parts = s.parts(None);
    let (i, (d, c)) = s
        .blobs
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, c))| c.len())
        .unwrap();
    let mut altered = c.clone();
    altered[60_000] ^= 0xff;
    parts[3 + i] = Part::entry(&blob_entry(d), &altered);
    serialize(&parts)
}

#[derive(Debug)]
enum CallerError {
    Format(FormatError),
    Refused(String),
}

impl From<FormatError> for CallerError {
    fn from(e: FormatError) -> Self {
        Self::Format(e)
    }
}

#[test]
fn stop_after_the_head_reads_no_blob() {
    let s = sample();
    let bytes = corrupted(&s);
    let mut entries = 0;
    let summary = read_bundle::<_, FormatError, _, _>(
        &bytes[..],
        |head| {
            assert_eq!(head.manifest, s.manifest);
            Ok(HeadDecision::Stop)
        },
        |_, _| {
            entries += 1;
            Ok(())
        },
    )
    .unwrap();
    assert!(summary.stopped);
    assert_eq!(entries, 0);
    assert!(summary.tar_bytes < bytes.len() as u64);
}

#[test]
fn entries_the_caller_does_not_read_are_still_verified() {
    let s = sample();
    let ignore = |bytes: &[u8]| {
        read_bundle::<_, FormatError, _, _>(
            bytes,
            |_| Ok(HeadDecision::Continue),
            |_, _entry| Ok(()),
        )
    };
    assert_eq!(ignore(&serialize(&s.parts(None))).unwrap().blobs, 3);
    let err = ignore(&corrupted(&s)).unwrap_err();
    assert!(matches!(err, FormatError::DigestMismatch { .. }), "{err}");
}

#[test]
fn entries_read_halfway_are_finished_and_verified() {
    let s = sample();
    let half = |bytes: &[u8]| {
        read_bundle::<_, FormatError, _, _>(
            bytes,
            |_| Ok(HeadDecision::Continue),
            |_, mut entry| {
                let mut buf = vec![0u8; (entry.size() / 2) as usize];
                entry.read_exact(&mut buf).unwrap();
                Ok(())
            },
        )
    };
    assert!(half(&serialize(&s.parts(None))).is_ok());
    assert!(matches!(
        half(&corrupted(&s)),
        Err(FormatError::DigestMismatch { .. })
    ));
}

#[test]
fn finish_reports_the_mismatch_to_the_caller_before_commit() {
    let s = sample();
    let bytes = corrupted(&s);
    let mut finished = Vec::new();
    let err = read_bundle::<_, CallerError, _, _>(
        &bytes[..],
        |_| Ok(HeadDecision::Continue),
        |_, entry| {
            let kind = entry.kind().clone();
            let result = entry.finish();
            finished.push((kind, result.is_ok()));
            result?;
            Ok(())
        },
    )
    .unwrap_err();
    assert!(matches!(
        err,
        CallerError::Format(FormatError::DigestMismatch { .. })
    ));
    let (last_kind, last_ok) = finished.last().unwrap();
    assert!(matches!(last_kind, EntryKind::Blob(_)) && !last_ok);
    assert!(finished[..finished.len() - 1].iter().all(|(_, ok)| *ok));
}

#[test]
fn caller_errors_pass_through_unchanged() {
    let s = sample();
    let bytes = serialize(&s.parts(None));
    let err = read_bundle::<_, CallerError, _, _>(
        &bytes[..],
        |_| Err(CallerError::Refused("not for this site".into())),
        |_, _| Ok(()),
    )
    .unwrap_err();
    assert!(matches!(err, CallerError::Refused(ref m) if m == "not for this site"));
    let err = read_bundle::<_, CallerError, _, _>(
        &bytes[..],
        |_| Ok(HeadDecision::Continue),
        |_, entry| match entry.kind() {
            EntryKind::Index => Err(CallerError::Refused("index".into())),
            _ => Ok(()),
        },
    )
    .unwrap_err();
    assert!(matches!(err, CallerError::Refused(ref m) if m == "index"));
}
