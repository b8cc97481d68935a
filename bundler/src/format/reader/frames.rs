//! The zstd framing of a compressed bundle, checked as its bytes go by on their way to the
//! decoder: every frame must be one the writer writes, and nothing may come between or after
//! them. A zstd decoder silently skips skippable frames (and ignores a frame's dictionary id when
//! it has no dictionary), so without this check such bytes would ride along unverified.
//!
//! Only frame and block headers are parsed; block contents are skipped by count, so the check
//! costs a few comparisons per block and no copy.

use std::io::{self, Read};

use super::stream::ZSTD_MAGIC;

/// What the framing check refuses, with the byte offset in the bundle file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZstdFramingError {
    #[error("zstd skippable frame at byte {offset} of the bundle file; bundles carry no skippable frames")]
    SkippableFrame { offset: u64 },
    #[error(
        "bytes at byte {offset} of the bundle file after the last zstd frame are not a zstd frame"
    )]
    NotAFrame { offset: u64 },
    #[error(
        "zstd frame at byte {offset} of the bundle file {reason}; ferry never writes such frames"
    )]
    UnexpectedFrame { offset: u64, reason: &'static str },
    #[error("zstd block at byte {offset} of the bundle file has the reserved block type")]
    ReservedBlock { offset: u64 },
}

/// Whether four bytes are the magic number of a zstd skippable frame (0x184D2A50..=0x184D2A5F).
pub(crate) fn is_skippable_magic(bytes: [u8; 4]) -> bool {
    u32::from_le_bytes(bytes) & 0xFFFF_FFF0 == 0x184D_2A50
}

/// The part of the frame the next bytes belong to.
#[derive(Debug, Clone, Copy)]
enum Part {
    Magic,
    Descriptor,
    /// Window descriptor and frame content size: checked by the decoder.
    HeaderRest,
    BlockHeader,
    /// Block content, then another block header or the checksum.
    BlockBody {
        last: bool,
    },
    Checksum,
}

/// Passes the compressed bytes through unchanged, refusing them at the first framing fault.
pub(crate) struct FrameCheck<R> {
    inner: R,
    /// Bundle file offset of the next byte to scan.
    offset: u64,
    /// Start of the current frame or block, for errors.
    part_start: u64,
    part: Part,
    /// Header bytes collected so far, and how many the current part needs.
    header: [u8; 4],
    have: usize,
    /// Bytes of the current part still to skip (block body, checksum) or collect.
    remaining: u64,
    /// Length of the current frame's content checksum: 4, or 0 if it has none.
    checksum_len: u64,
    /// A fault is reported again on every later read, so a retry cannot get past it.
    failed: Option<ZstdFramingError>,
}

impl<R: Read> FrameCheck<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            part_start: 0,
            part: Part::Magic,
            header: [0; 4],
            have: 0,
            remaining: 4,
            checksum_len: 0,
            failed: None,
        }
    }

    fn enter(&mut self, part: Part, len: u64) {
        self.part = part;
        self.part_start = self.offset;
        self.have = 0;
        self.remaining = len;
    }

    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), ZstdFramingError> {
        while !bytes.is_empty() {
            let take = bytes
                .len()
                .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
            if matches!(
                self.part,
                Part::Magic | Part::Descriptor | Part::BlockHeader
            ) {
                self.header[self.have..self.have + take].copy_from_slice(&bytes[..take]);
                self.have += take;
            }
            bytes = &bytes[take..];
            self.offset += take as u64;
            self.remaining -= take as u64;
            if self.remaining == 0 {
                self.next_part()?;
            }
        }
        Ok(())
    }

    /// The current part is complete: check it and move on.
    fn next_part(&mut self) -> Result<(), ZstdFramingError> {
        let at = self.part_start;
        match self.part {
            Part::Magic => {
                if self.header == ZSTD_MAGIC {
                    self.enter(Part::Descriptor, 1);
                } else if is_skippable_magic(self.header) {
                    return Err(ZstdFramingError::SkippableFrame { offset: at });
                } else {
                    return Err(ZstdFramingError::NotAFrame { offset: at });
                }
            }
            Part::Descriptor => {
                let rest = header_rest_len(self.header[0], at)?;
                self.checksum_len = if self.header[0] & 0b100 != 0 { 4 } else { 0 };
                // The frame starts at its magic, four bytes before the descriptor.
                self.part_start = at - 4;
                if rest == 0 {
                    self.enter(Part::BlockHeader, 3);
                } else {
                    self.part = Part::HeaderRest;
                    self.remaining = rest;
                }
            }
            Part::HeaderRest => self.enter(Part::BlockHeader, 3),
            Part::BlockHeader => {
                let [a, b, c, _] = self.header;
                let value = u32::from_le_bytes([a, b, c, 0]);
                let last = value & 1 == 1;
                let size = u64::from(value >> 3);
                let len = match (value >> 1) & 3 {
                    0 | 2 => size,
                    1 => 1,
                    _ => return Err(ZstdFramingError::ReservedBlock { offset: at }),
                };
                self.enter(Part::BlockBody { last }, len);
                if len == 0 {
                    self.next_part()?;
                }
            }
            Part::BlockBody { last: false } => self.enter(Part::BlockHeader, 3),
            Part::BlockBody { last: true } if self.checksum_len == 0 => self.enter(Part::Magic, 4),
            Part::BlockBody { last: true } => self.enter(Part::Checksum, self.checksum_len),
            Part::Checksum => self.enter(Part::Magic, 4),
        }
        Ok(())
    }

    /// At the end of the input: only the end of a frame is a clean end. A frame cut short is
    /// left to the decoder, which reports it as truncation.
    fn at_end(&self) -> Result<(), ZstdFramingError> {
        match self.part {
            Part::Magic if self.have > 0 => Err(ZstdFramingError::NotAFrame {
                offset: self.part_start,
            }),
            _ => Ok(()),
        }
    }
}

/// Length of the frame header after its descriptor byte, refusing what the writer never sets
/// and the decoder would not check: the unused and reserved bits and a dictionary id. (A frame
/// without a content checksum carries no extra bytes, and other encoders write such frames.)
fn header_rest_len(descriptor: u8, descriptor_at: u64) -> Result<u64, ZstdFramingError> {
    let unexpected = |reason| ZstdFramingError::UnexpectedFrame {
        offset: descriptor_at - 4,
        reason,
    };
    if descriptor & 0b0001_1000 != 0 {
        return Err(unexpected("sets an unused or reserved header bit"));
    }
    if descriptor & 0b11 != 0 {
        return Err(unexpected("names a dictionary"));
    }
    let single_segment = descriptor & 0b0010_0000 != 0;
    let content_size_len = match descriptor >> 6 {
        0 => u64::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    Ok(u64::from(!single_segment) + content_size_len)
}

impl<R: Read> Read for FrameCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(failed) = &self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, failed.clone()));
        }
        let n = self.inner.read(buf)?;
        let checked = if n == 0 && !buf.is_empty() {
            self.at_end()
        } else {
            self.scan(&buf[..n])
        };
        checked.map_err(|e| {
            self.failed = Some(e.clone());
            io::Error::new(io::ErrorKind::InvalidData, e)
        })?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: &[u8]) -> Vec<u8> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        encoder.include_checksum(true).unwrap();
        std::io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap()
    }

    fn check(bytes: &[u8], chunk: usize) -> Result<Vec<u8>, ZstdFramingError> {
        let mut reader = FrameCheck::new(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => {
                    let inner = e.into_inner().unwrap();
                    return Err(*inner.downcast::<ZstdFramingError>().unwrap());
                }
            }
        }
    }

    #[test]
    fn concatenated_frames_pass_unchanged_in_any_chunking() {
        let mut bytes = frame(&[7u8; 300_000]);
        bytes.extend(frame(b"second"));
        // Without a content checksum, as `zstd::encode_all` writes.
        bytes.extend(zstd::encode_all(&b"third"[..], 3).unwrap());
        for chunk in [1, 3, 4096, 1 << 20] {
            assert_eq!(check(&bytes, chunk).unwrap(), bytes);
        }
    }

    #[test]
    fn skippable_frame_between_frames_is_refused_at_its_offset() {
        let first = frame(b"first");
        let mut bytes = first.clone();
        bytes.extend(0x184D_2A5Fu32.to_le_bytes());
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(b"abc");
        bytes.extend(frame(b"second"));
        for chunk in [1, 7, 4096] {
            assert_eq!(
                check(&bytes, chunk),
                Err(ZstdFramingError::SkippableFrame {
                    offset: first.len() as u64
                })
            );
        }
    }

    #[test]
    fn frames_the_writer_never_writes_are_refused() {
        let honest = frame(b"data");
        let descriptor = honest[4];
        for (bit, reason) in [
            (0b0000_0001, "names a dictionary"),
            (0b0001_0000, "sets an unused or reserved header bit"),
        ] {
            let mut bytes = honest.clone();
            bytes[4] = descriptor | bit;
            assert_eq!(
                check(&bytes, 64),
                Err(ZstdFramingError::UnexpectedFrame { offset: 0, reason })
            );
        }
    }

    #[test]
    fn trailing_bytes_after_the_last_frame_are_refused() {
        let honest = frame(b"data");
        for tail in [&b"x"[..], b"xyz", b"not a frame at all"] {
            let mut bytes = honest.clone();
            bytes.extend(tail);
            assert_eq!(
                check(&bytes, 5),
                Err(ZstdFramingError::NotAFrame {
                    offset: honest.len() as u64
                })
            );
        }
    }
}
