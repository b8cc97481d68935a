//! The byte stream under the tar: compression detection, a byte counter and block reads.

use std::io::{self, BufReader, Chain, Cursor, Read};

use crate::format::error::FormatError;
use crate::format::ustar::BLOCK_SIZE;

use super::frames::{is_skippable_magic, FrameCheck, ZstdFramingError};

/// First bytes of every zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Largest zstd window a reader accepts (128 MiB, zstd's own default limit). A bundle that
/// needs more would make the reader allocate more than any ferry writer asks for.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

type Peeked<R> = Chain<Cursor<Vec<u8>>, R>;

enum Decoded<R: Read> {
    Plain(Peeked<R>),
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<FrameCheck<Peeked<R>>>>>),
}

/// The decompressed tar stream, counting the bytes it yields (for offsets in errors).
pub(crate) struct TarStream<R: Read> {
    inner: Decoded<R>,
    offset: u64,
    /// Path of the last entry whose header was read whole, to place a damaged header.
    last_entry: Option<String>,
}

impl<R: Read> TarStream<R> {
    /// Looks at the first four bytes: zstd magic means zstd, anything else is read as tar.
    pub(crate) fn detect(mut source: R) -> Result<Self, FormatError> {
        let mut magic = Vec::with_capacity(4);
        (&mut source)
            .take(4)
            .read_to_end(&mut magic)
            .map_err(|source| io_error("the start of the archive", source))?;
        if let Ok(first) = <[u8; 4]>::try_from(magic.as_slice()) {
            if is_skippable_magic(first) {
                return Err(ZstdFramingError::SkippableFrame { offset: 0 }.into());
            }
        }
        let compressed = magic == ZSTD_MAGIC;
        let peeked = Cursor::new(magic).chain(source);
        let inner = if compressed {
            let mut decoder = zstd::stream::read::Decoder::new(FrameCheck::new(peeked))
                .map_err(|source| io_error("the zstd stream", source))?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|source| io_error("the zstd stream", source))?;
            Decoded::Zstd(Box::new(decoder))
        } else {
            Decoded::Plain(peeked)
        };
        Ok(Self {
            inner,
            offset: 0,
            last_entry: None,
        })
    }

    pub(crate) fn is_compressed(&self) -> bool {
        matches!(self.inner, Decoded::Zstd(_))
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the next header is, for errors: after which entry.
    pub(crate) fn position(&self) -> String {
        match &self.last_entry {
            Some(path) => format!("after entry {path}"),
            None => "the first header of the archive".to_owned(),
        }
    }

    pub(crate) fn entry_read(&mut self, path: &str) {
        self.last_entry = Some(path.to_owned());
    }

    /// Reads one whole block; `Ok(false)` if the stream ended exactly before it.
    pub(crate) fn read_block(
        &mut self,
        block: &mut [u8; BLOCK_SIZE as usize],
        entry: &str,
    ) -> Result<bool, FormatError> {
        let mut filled = 0;
        while filled < block.len() {
            match self.read(&mut block[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(FormatError::Truncated {
                        entry: entry.to_owned(),
                    })
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(io_error(entry, source)),
            }
        }
        Ok(true)
    }

    /// Reads exactly `buf.len()` bytes of `entry`.
    pub(crate) fn read_exact_in(&mut self, buf: &mut [u8], entry: &str) -> Result<(), FormatError> {
        self.read_exact(buf).map_err(|source| match source.kind() {
            io::ErrorKind::UnexpectedEof => FormatError::Truncated {
                entry: entry.to_owned(),
            },
            _ => io_error(entry, source),
        })
    }
}

impl<R: Read> Read for TarStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.inner {
            Decoded::Plain(r) => r.read(buf)?,
            Decoded::Zstd(r) => r.read(buf)?,
        };
        self.offset += n as u64;
        Ok(n)
    }
}

/// An I/O error while reading `entry`; a framing fault found under the decoder is named as such.
pub(crate) fn io_error(entry: &str, source: io::Error) -> FormatError {
    let framing = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ZstdFramingError>());
    if let Some(framing) = framing {
        return FormatError::ZstdFraming(framing.clone());
    }
    FormatError::Io {
        entry: entry.to_owned(),
        source,
    }
}
