//! Where the writer gets blob bytes from.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;

use crate::format::Digest;

/// Content-addressed blob bytes. The writer re-hashes everything it reads, so a source need not
/// be trusted, only readable.
pub trait BlobSource {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn Read + '_>>;

    /// Whether this process already hashed the bytes `open` gives for `digest` against it, on
    /// their way into the source moments ago; the writer then checks their length only, so a
    /// fetched blob is hashed once per build, as an imported one is once per import.
    fn verified_in_this_process(&self, _digest: &Digest) -> bool {
        false
    }
}

/// A directory of blobs named by their hex digest (an OCI layout's `blobs/sha256`, or a cache).
#[derive(Debug, Clone)]
pub struct DirBlobSource {
    dir: PathBuf,
}

impl DirBlobSource {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl BlobSource for DirBlobSource {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn Read + '_>> {
        let path = self.dir.join(digest.hex());
        let file = File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
    }
}
