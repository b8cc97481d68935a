//! The end of the writer's pipeline: the archive's sha256 and the file writes, on a thread of
//! their own. Hashing the archive costs as much as re-hashing the blobs going into it; on one
//! thread the two passes took turns, on two they overlap.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::format::{Digest, Hasher};

/// Bytes handed over at a time.
const BUF_SIZE: usize = 1024 * 1024;
/// Buffers on their way to the file besides the one being filled: the memory bound.
const IN_FLIGHT: usize = 4;
/// Written bytes after which the disk is asked to start writing them out.
const WRITEBACK_EVERY: u64 = 32 * 1024 * 1024;

pub(crate) struct ArchiveFile {
    buf: Vec<u8>,
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<io::Result<(Digest, u64)>>>,
}

impl ArchiveFile {
    pub(crate) fn new(file: File) -> io::Result<Self> {
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (empty_tx, empty_rx) = channel::<Vec<u8>>();
        for _ in 0..IN_FLIGHT {
            let _ = empty_tx.send(Vec::with_capacity(BUF_SIZE));
        }
        let thread = std::thread::Builder::new()
            .name("ferry-archive".into())
            .spawn(move || {
                let mut file = file;
                let mut hasher = Hasher::new();
                let mut kicked = 0u64;
                for mut buf in full_rx {
                    hasher.update(&buf);
                    // On an error the thread ends: the writer's next hand-over fails and it
                    // collects this error when it joins the thread.
                    file.write_all(&buf)?;
                    if hasher.len() - kicked >= WRITEBACK_EVERY {
                        start_writeback(
                            &file,
                            kicked.saturating_sub(WRITEBACK_EVERY),
                            hasher.len(),
                        );
                        kicked = hasher.len();
                    }
                    buf.clear();
                    let _ = empty_tx.send(buf);
                }
                Ok(hasher.finish())
            })?;
        Ok(Self {
            buf: Vec::with_capacity(BUF_SIZE),
            full: Some(full_tx),
            empty: empty_rx,
            thread: Some(thread),
        })
    }

    /// Hands the filled buffer over and takes an empty one back (waiting while all are in flight).
    fn hand_over(&mut self) -> io::Result<()> {
        let Some(full) = &self.full else {
            return Err(io::Error::other("archive file already finished"));
        };
        let next = match self.empty.recv() {
            Ok(next) => next,
            Err(_) => return Err(self.stopped()),
        };
        let buf = std::mem::replace(&mut self.buf, next);
        if full.send(buf).is_err() {
            return Err(self.stopped());
        }
        Ok(())
    }

    /// The error that stopped the file thread.
    fn stopped(&mut self) -> io::Error {
        match self.join() {
            Err(e) => e,
            Ok(_) => io::Error::other("archive file thread stopped"),
        }
    }

    /// Closes the hand-over channel and waits for the file thread's result.
    fn join(&mut self) -> io::Result<(Digest, u64)> {
        self.full = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("archive file thread panicked")),
            None => Err(io::Error::other("archive file thread stopped")),
        }
    }

    /// Writes what is left and waits for the file thread; returns the archive's digest and length.
    pub(crate) fn finish(mut self) -> io::Result<(Digest, u64)> {
        if !self.buf.is_empty() {
            self.hand_over()?;
        }
        self.join()
    }
}

/// Starts writing `from..to` out to disk without waiting, and drops the pages of that range that
/// already are on disk. Without this the kernel holds gigabytes of a bundle dirty in memory (its
/// threshold is a share of RAM) and the final fsync writes all of them while the build waits;
/// with it the disk works alongside the build. Advice only: an error changes nothing.
fn start_writeback(file: &File, from: u64, to: u64) {
    if let Some(len) = std::num::NonZeroU64::new(to - from) {
        let _ = rustix::fs::fadvise(file, from, Some(len), rustix::fs::Advice::DontNeed);
    }
}

impl Write for ArchiveFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BUF_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == BUF_SIZE {
            self.hand_over()?;
        }
        Ok(n)
    }

    /// Bytes reach the file thread in whole buffers; `finish` hands over the last one.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ArchiveFile {
    fn drop(&mut self) {
        // An abandoned archive: let the thread drain and end before the temp file goes.
        let _ = self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};

    #[test]
    fn writes_and_hashes_exactly_what_it_was_given() {
        let mut file = tempfile::tempfile().unwrap();
        let mut out = ArchiveFile::new(file.try_clone().unwrap()).unwrap();
        let bytes: Vec<u8> = (0..(3 * BUF_SIZE + 12_345))
            .map(|i| (i % 241) as u8)
            .collect();
        for piece in bytes.chunks(70_001) {
            out.write_all(piece).unwrap();
        }
        let (digest, len) = out.finish().unwrap();
        assert_eq!(len, bytes.len() as u64);
        assert_eq!(digest, Digest::of_bytes(&bytes));
        let mut back = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut back).unwrap();
        assert!(back == bytes);
    }

    #[test]
    fn a_failing_file_surfaces_its_error() {
        // A read-only descriptor: every write fails with the OS's error.
        let path = tempfile::NamedTempFile::new().unwrap();
        let file = File::open(path.path()).unwrap();
        let mut out = ArchiveFile::new(file).unwrap();
        let chunk = vec![7u8; BUF_SIZE];
        let mut failed = None;
        for _ in 0..(IN_FLIGHT + 3) {
            if let Err(e) = out.write_all(&chunk) {
                failed = Some(e);
                break;
            }
        }
        let err = match failed {
            Some(e) => e,
            None => out.finish().unwrap_err(),
        };
        assert_ne!(err.to_string(), "archive file thread stopped", "{err}");
    }
}
