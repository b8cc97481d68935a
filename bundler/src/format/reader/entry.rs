//! One archive entry handed to the caller: bounded to its declared size and hashed as it is read.

use std::io::{self, Read};

use crate::format::digest::{Digest, Hasher};
use crate::format::error::FormatError;

use super::stream::io_error;

/// What an entry after the head is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    OciLayout,
    Index,
    Blob(Digest),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Verified,
    Failed,
}

/// Reader-side bookkeeping of the entry being streamed. It outlives the [`BundleEntry`] so the
/// reader can finish (and verify) an entry the caller dropped half-read.
pub(crate) struct EntryState {
    path: String,
    expected: Digest,
    remaining: u64,
    hasher: Hasher,
    status: Status,
}

impl EntryState {
    pub(crate) fn new(path: String, expected: Digest, size: u64) -> Self {
        Self {
            path,
            expected,
            remaining: size,
            hasher: Hasher::new(),
            status: Status::Pending,
        }
    }

    fn read_from(&mut self, source: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = source.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("bundle is truncated: it ends inside {}", self.path),
            ));
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }

    /// Drains what the caller did not read and checks the sha256; idempotent.
    pub(crate) fn complete(&mut self, source: &mut dyn Read) -> Result<Digest, FormatError> {
        match self.status {
            Status::Verified => return Ok(self.expected.clone()),
            Status::Failed => {
                return Err(FormatError::EntryFailed {
                    path: self.path.clone(),
                })
            }
            Status::Pending => {}
        }
        self.status = Status::Failed;
        let mut buf = [0u8; 64 * 1024];
        while self.remaining > 0 {
            match self.read_from(source, &mut buf) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(FormatError::Truncated {
                        entry: self.path.clone(),
                    })
                }
                Err(source) => return Err(io_error(&self.path, source)),
            }
        }
        let (actual, _) = std::mem::take(&mut self.hasher).finish();
        if actual != self.expected {
            return Err(FormatError::DigestMismatch {
                path: self.path.clone(),
                expected: self.expected.clone(),
                actual,
            });
        }
        self.status = Status::Verified;
        Ok(actual)
    }
}

/// An entry being streamed. Read it (or not), then call [`BundleEntry::finish`]; commit what
/// was read (e.g. rename a temp file into a store) only after `finish` returns `Ok`.
pub struct BundleEntry<'a> {
    kind: EntryKind,
    size: u64,
    state: &'a mut EntryState,
    source: &'a mut dyn Read,
}

impl<'a> BundleEntry<'a> {
    pub(crate) fn new(
        kind: EntryKind,
        size: u64,
        state: &'a mut EntryState,
        source: &'a mut dyn Read,
    ) -> Self {
        Self {
            kind,
            size,
            state,
            source,
        }
    }

    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    /// Size declared by the manifest (and equal to the tar header's).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The archive path of this entry.
    pub fn path(&self) -> &str {
        &self.state.path
    }

    /// The digest the content must have.
    pub fn expected_digest(&self) -> &Digest {
        &self.state.expected
    }

    /// Reads the rest, then checks the exact size and sha256 of everything.
    pub fn finish(self) -> Result<Digest, FormatError> {
        self.state.complete(self.source)
    }
}

impl Read for BundleEntry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.state.read_from(self.source, buf)
    }
}
