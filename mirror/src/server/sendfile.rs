//! Zero-copy blob downloads on plain HTTP.
//!
//! A blob body is a stream of chunks of the blob's file mapped into memory (`blob_body`). Each
//! mapped chunk is registered here with the file and offset it maps. When a plain-TCP connection
//! is asked to write bytes that lie inside a registered chunk, it gives the socket that file range
//! with sendfile(2) instead, so page-cache pages go to the socket without passing through user
//! space, which is how distribution serves blobs too (Go's io.Copy from a file to a socket).
//!
//! The mapping is what every other path writes from: TLS, HTTP/2 and anything that copied the
//! bytes. Both paths send the same bytes because a published blob file never changes, and a
//! lookup that finds nothing falls back to an ordinary write.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};

use memmap2::Mmap;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

/// Where a live mapped chunk's bytes come from.
struct Region {
    len: usize,
    file: Arc<File>,
    offset: u64,
}

/// Live chunks by the address their mapping starts at.
static REGIONS: Mutex<BTreeMap<usize, Region>> = Mutex::new(BTreeMap::new());

fn regions() -> MutexGuard<'static, BTreeMap<usize, Region>> {
    // The map is consistent after every statement; a panic elsewhere cannot leave it half-done.
    REGIONS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A mapped chunk of a blob file, registered for sendfile while it lives.
pub(super) struct MappedChunk {
    map: Mmap,
}

impl MappedChunk {
    pub(super) fn new(map: Mmap, file: Arc<File>, offset: u64) -> Self {
        let region = Region {
            len: map.len(),
            file,
            offset,
        };
        regions().insert(map.as_ptr() as usize, region);
        Self { map }
    }
}

impl AsRef<[u8]> for MappedChunk {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for MappedChunk {
    fn drop(&mut self) {
        // Unregistered before the mapping goes, so its addresses are never looked up once reused.
        regions().remove(&(self.map.as_ptr() as usize));
    }
}

/// The file and offset holding `bytes`, when they lie inside one live mapped chunk.
fn source_of(bytes: &[u8]) -> Option<(Arc<File>, u64)> {
    if bytes.is_empty() {
        return None;
    }
    let ptr = bytes.as_ptr() as usize;
    let regions = regions();
    let (&start, region) = regions.range(..=ptr).next_back()?;
    let within = ptr + bytes.len() <= start + region.len;
    within.then(|| {
        (
            Arc::clone(&region.file),
            region.offset + (ptr - start) as u64,
        )
    })
}

/// A plain-TCP connection that writes mapped chunks with sendfile.
pub(super) struct SendfileStream(pub(super) TcpStream);

impl SendfileStream {
    fn poll_sendfile(
        &self,
        cx: &mut Context<'_>,
        file: &File,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            let sent = self.0.try_io(Interest::WRITABLE, || {
                let mut at = offset;
                rustix::fs::sendfile(&self.0, file, Some(&mut at), len).map_err(io::Error::from)
            });
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }
}

impl AsyncRead for SendfileStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendfileStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match source_of(buf) {
            Some((file, offset)) => self.poll_sendfile(cx, &file, offset, buf.len()),
            None => Pin::new(&mut self.0).poll_write(cx, buf),
        }
    }

    /// Writes the leading run of ordinary slices with writev, or, when the first slice lies in a
    /// mapped chunk, that slice with sendfile; the caller comes back for the rest.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(first) = bufs.iter().position(|b| !b.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        if let Some((file, offset)) = source_of(&bufs[first]) {
            return self.poll_sendfile(cx, &file, offset, bufs[first].len());
        }
        let plain = bufs[first..]
            .iter()
            .position(|b| source_of(b).is_some())
            .map_or(bufs.len(), |i| first + i);
        Pin::new(&mut self.0).poll_write_vectored(cx, &bufs[first..plain])
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memmap2::MmapOptions;
    use std::io::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn chunk(bytes: &[u8], offset: u64, len: usize) -> (MappedChunk, Arc<File>) {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        let file = Arc::new(f);
        // SAFETY: a private temp file nobody else writes.
        let map = unsafe { MmapOptions::new().offset(offset).len(len).map(&*file) }.unwrap();
        (MappedChunk::new(map, Arc::clone(&file), offset), file)
    }

    #[test]
    fn finds_the_file_range_behind_mapped_bytes_only_while_mapped() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
        // An offset off a page boundary: the mapping starts earlier, the chunk's bytes do not.
        let (mapped, _file) = chunk(&bytes, 4099, 10_000);
        assert_eq!(mapped.as_ref(), &bytes[4099..14_099]);
        let slice = &mapped.as_ref()[100..300];
        let (_, offset) = source_of(slice).expect("registered");
        assert_eq!(offset, 4099 + 100);
        assert!(source_of(&mapped.as_ref()[9_999..]).is_some());
        assert!(source_of(&bytes[..10]).is_none(), "ordinary memory");
        let addr = mapped.as_ref().as_ptr() as usize;
        drop(mapped);
        assert!(!regions().contains_key(&addr));
    }

    #[tokio::test]
    async fn a_connection_sends_mapped_and_ordinary_bytes_in_order() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let (mapped, _file) = chunk(&bytes, 8191, 200_000);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            got
        });
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = SendfileStream(stream);
        let head = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        let body = mapped.as_ref();
        let mut parts: Vec<&[u8]> = vec![&head, body, b"tail"];
        while !parts.is_empty() {
            let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
            let mut n = conn.write_vectored(&slices).await.unwrap();
            assert!(n > 0);
            while n > 0 {
                if n >= parts[0].len() {
                    n -= parts[0].len();
                    parts.remove(0);
                } else {
                    parts[0] = &parts[0][n..];
                    n = 0;
                }
            }
        }
        conn.shutdown().await.unwrap();
        let got = reader.await.unwrap();
        let mut want = head.clone();
        want.extend_from_slice(&bytes[8191..208_191]);
        want.extend_from_slice(b"tail");
        assert_eq!(got, want);
    }
}
