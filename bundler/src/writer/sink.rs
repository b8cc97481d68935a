//! The byte pipeline under the tar writer: [zstd] -> sha256 of the archive and the file, on a
//! thread of their own (`archive_file`).
//!
//! The zstd stream is a sequence of frames. Blobs that are already compressed (gzip, zstd, xz,
//! bzip2 layers: most of an image bundle) cannot shrink further, so they go into frames at a
//! fast level, which costs a fraction of the CPU and memory of level 3 for the same size; the
//! rest (tar layers, JSON) gets the configured level. The choice depends only on the content,
//! so the output stays byte-identical, and any zstd decoder reads concatenated frames.

use std::fs::File;
use std::io::{self, Write};

use crate::format::Digest;

use super::archive_file::ArchiveFile;
use super::compression::{Compression, ZSTD_WORKERS};

/// Level for blobs that are already compressed.
pub const PRECOMPRESSED_LEVEL: i32 = -5;

pub(crate) enum Sink {
    Plain(ArchiveFile),
    Zstd {
        /// `None` only while switching frames.
        encoder: Option<zstd::stream::write::Encoder<'static, ArchiveFile>>,
        /// The level asked for, and the level of the current frame.
        level: i32,
        current: i32,
    },
}

impl Sink {
    pub(crate) fn new(file: &File, compression: Compression) -> io::Result<Self> {
        let archive = ArchiveFile::new(file.try_clone()?)?;
        Ok(match compression {
            Compression::None => Self::Plain(archive),
            Compression::Zstd { level } => Self::Zstd {
                encoder: Some(encoder(archive, level)?),
                level,
                current: level,
            },
        })
    }

    /// Starts a new frame at the fast level before an already-compressed blob, and back at the
    /// configured level before anything else; a no-op when the level does not change.
    pub(crate) fn prepare_for(&mut self, precompressed: bool) -> io::Result<()> {
        let Self::Zstd {
            encoder,
            level,
            current,
        } = self
        else {
            return Ok(());
        };
        let want = if precompressed {
            PRECOMPRESSED_LEVEL
        } else {
            *level
        };
        if want != *current {
            let hashed = encoder
                .take()
                .expect("encoder present between frames")
                .finish()?;
            *encoder = Some(self::encoder(hashed, want)?);
            *current = want;
        }
        Ok(())
    }

    /// Ends the compressed frame and flushes; returns the archive's digest and length.
    pub(crate) fn finish(self) -> io::Result<(Digest, u64)> {
        let hashed = match self {
            Self::Plain(h) => h,
            Self::Zstd { encoder, .. } => {
                encoder.expect("encoder present between frames").finish()?
            }
        };
        hashed.finish()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Zstd { encoder, .. } => encoder.as_mut().expect("encoder present").write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Zstd { encoder, .. } => encoder.as_mut().expect("encoder present").flush(),
        }
    }
}

fn encoder(
    hashed: ArchiveFile,
    level: i32,
) -> io::Result<zstd::stream::write::Encoder<'static, ArchiveFile>> {
    let mut encoder = zstd::stream::write::Encoder::new(hashed, level)?;
    encoder.multithread(ZSTD_WORKERS)?;
    // A frame checksum lets the reader notice corruption even before hashing.
    encoder.include_checksum(true)?;
    Ok(encoder)
}

/// Whether `prefix` (the first bytes of a blob) starts a gzip, zstd, xz or bzip2 stream.
pub(crate) fn is_precompressed(prefix: &[u8]) -> bool {
    const MAGICS: [&[u8]; 4] = [
        &[0x1f, 0x8b],
        &[0x28, 0xb5, 0x2f, 0xfd],
        &[0xfd, b'7', b'z', b'X', b'Z', 0],
        b"BZh",
    ];
    MAGICS.iter().any(|m| prefix.starts_with(m))
}

/// Counts tar bytes and reports them.
pub(crate) struct Progress<'p, W> {
    pub(crate) inner: W,
    pub(crate) written: u64,
    pub(crate) report: &'p dyn Fn(u64),
}

impl<W: Write> Write for Progress<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        (self.report)(self.written);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
