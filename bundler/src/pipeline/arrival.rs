//! A blob source that waits for blobs still being fetched, so the bundle is written while the
//! download runs: total time is close to the slower of the two instead of their sum.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::format::Digest;
use crate::net::BlobCache;
use crate::writer::BlobSource;

/// Blobs appear in the cache directory only once complete and verified (the cache renames them
/// into place), so existence is the signal; no per-blob notification is needed.
pub struct ArrivingBlobs {
    cache: BlobCache,
    fetch_over: AtomicBool,
    /// Blobs the build made itself (the profile definitions), served from memory.
    made: BTreeMap<Digest, Vec<u8>>,
}

impl ArrivingBlobs {
    pub fn new(cache: BlobCache, made: BTreeMap<Digest, Vec<u8>>) -> Self {
        Self {
            cache,
            fetch_over: AtomicBool::new(false),
            made,
        }
    }

    /// Called when the fetch ended, successfully or not: blobs still missing will never come.
    pub fn fetch_over(&self) {
        self.fetch_over.store(true, Ordering::Release);
    }
}

impl BlobSource for ArrivingBlobs {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn Read + '_>> {
        if let Some(bytes) = self.made.get(digest) {
            return Ok(Box::new(bytes.as_slice()));
        }
        let path = self.cache.path(digest);
        loop {
            // Read the flag before looking, so a blob renamed just before the fetch ended is seen.
            let over = self.fetch_over.load(Ordering::Acquire);
            if path.exists() || over {
                return BlobSource::open(&self.cache, digest);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A blob this build fetched was hashed on its way into the cache; one found there from an
    /// earlier build is hashed again by the writer. A blob made here was hashed as it was named.
    fn verified_in_this_process(&self, digest: &Digest) -> bool {
        self.made.contains_key(digest) || self.cache.committed_here(digest)
    }
}
