//! The byte pipeline under the tar writer: [zstd] -> sha256 of the archive -> buffered file.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::format::{Digest, HashingWriter};

use super::compression::{Compression, ZSTD_WORKERS};

type Hashed<'f> = HashingWriter<BufWriter<&'f File>>;

pub(crate) enum Sink<'f> {
    Plain(Hashed<'f>),
    Zstd(zstd::stream::write::Encoder<'static, Hashed<'f>>),
}

impl<'f> Sink<'f> {
    pub(crate) fn new(file: &'f File, compression: Compression) -> io::Result<Self> {
        let hashed = HashingWriter::new(BufWriter::with_capacity(256 * 1024, file));
        Ok(match compression {
            Compression::None => Self::Plain(hashed),
            Compression::Zstd { level } => {
                let mut encoder = zstd::stream::write::Encoder::new(hashed, level)?;
                encoder.multithread(ZSTD_WORKERS)?;
                // A frame checksum lets the reader notice corruption even before hashing.
                encoder.include_checksum(true)?;
                Self::Zstd(encoder)
            }
        })
    }

    /// Ends the compressed frame and flushes; returns the archive's digest and length.
    pub(crate) fn finish(self) -> io::Result<(Digest, u64)> {
        let hashed = match self {
            Self::Plain(h) => h,
            Self::Zstd(e) => e.finish()?,
        };
        let (mut buffered, digest, len) = hashed.finish();
        buffered.flush()?;
        Ok((digest, len))
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Zstd(w) => w.flush(),
        }
    }
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
