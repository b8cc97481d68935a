//! Hostile variants of an honest zstd-compressed bundle: bytes no ferry writer writes, spliced
//! between, before or after its frames. Each variant comes with the fragment the reader's error
//! must contain (what was found and at which byte offset of the file).

/// Start offsets of every frame of a zstd stream, and its length last.
pub fn frame_bounds(stream: &[u8]) -> Vec<usize> {
    let mut bounds = vec![0];
    let mut at = 0;
    while at < stream.len() {
        at += zstd::zstd_safe::find_frame_compressed_size(&stream[at..]).expect("a zstd frame");
        bounds.push(at);
    }
    bounds
}

/// A skippable frame (magic 0x184D2A5F) carrying `payload`.
pub fn skippable_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = 0x184D_2A5Fu32.to_le_bytes().to_vec();
    frame.extend((payload.len() as u32).to_le_bytes());
    frame.extend(payload);
    frame
}

/// Every case [`hide`] knows: tests of each reader run them all.
pub const HIDDEN_BYTES_CASES: [&str; 7] = [
    "skippable-at-start",
    "skippable-after-first-frame",
    "skippable-before-last-frame",
    "skippable-at-end",
    "garbage-after-last-frame",
    "dictionary-id",
    "second-archive",
];

/// The honest `bundle` (zstd, at least two frames) altered as `case` says, and the fragment the
/// refusal must name. The second archive of `second-archive` is the bundle's own, compressed again.
pub fn hide(bundle: &[u8], case: &str) -> (Vec<u8>, String) {
    let bounds = frame_bounds(bundle);
    assert!(bounds.len() >= 3, "the honest bundle has one frame only");
    let payload = skippable_frame(&[0xAB; 4096]);
    let splice = |at: usize, extra: &[u8]| {
        let mut out = bundle[..at].to_vec();
        out.extend(extra);
        out.extend(&bundle[at..]);
        out
    };
    let skippable = |at: usize| format!("skippable frame at byte {at} of the bundle file");
    let end = bundle.len();
    let second_last = bounds[bounds.len() - 2];
    match case {
        "skippable-at-start" => (splice(0, &payload), skippable(0)),
        "skippable-after-first-frame" => (splice(bounds[1], &payload), skippable(bounds[1])),
        "skippable-before-last-frame" => (splice(second_last, &payload), skippable(second_last)),
        "skippable-at-end" => (splice(end, &payload), skippable(end)),
        "garbage-after-last-frame" => (
            splice(end, b"hidden payload after the last frame"),
            format!("bytes at byte {end} of the bundle file after the last zstd frame"),
        ),
        "dictionary-id" => {
            // The dictionary id field is four bytes the decoder ignores without a dictionary.
            let at = bounds[1];
            let mut out = bundle[..at + 4].to_vec();
            let descriptor = bundle[at + 4];
            out.push(descriptor | 0b11);
            let header_rest = at + 5;
            out.extend(b"HIDE");
            out.extend(&bundle[header_rest..]);
            (
                out,
                format!("zstd frame at byte {at} of the bundle file names a dictionary"),
            )
        }
        "second-archive" => (
            splice(
                end,
                &zstd::encode_all(&zstd::decode_all(bundle).unwrap()[..], 3).unwrap(),
            ),
            "data after the end of the tar archive".to_owned(),
        ),
        other => panic!("unknown case {other}"),
    }
}
