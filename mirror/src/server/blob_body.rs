//! A blob's bytes as a response body: the file mapped a chunk at a time.
//!
//! Reading into a buffer costs a copy per byte in user space before the socket's own copy
//! (tokio's file adds a second); a mapped chunk goes to the socket as it is. Each chunk is mapped
//! and its pages brought in on the blocking pool, so a cold disk never stalls a runtime worker,
//! and unmapped when the connection has written it, so memory per download stays at a chunk or
//! two whatever the blob's size.

use std::fs::File;
use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use futures_util::stream;
use memmap2::{Mmap, MmapOptions};

use super::sendfile::MappedChunk;

/// Bytes mapped per chunk: large enough that mapping costs little per byte, small enough that
/// 64 downloads hold only tens of MB of mapped pages.
const CHUNK: u64 = 1024 * 1024;

/// Streams `count` bytes of `file` from `start`. `file` must be a published blob: those are never
/// written again or truncated (imports write to staging and rename, gc unlinks), which is what
/// makes mapping them sound.
pub fn mapped_body(file: File, start: u64, count: u64) -> Body {
    let state = (Arc::new(file), start, start.saturating_add(count));
    Body::from_stream(stream::unfold(state, |(file, next, end)| async move {
        if next >= end {
            return None;
        }
        let len = (end - next).min(CHUNK);
        let mapped = {
            let file = Arc::clone(&file);
            tokio::task::spawn_blocking(move || map_chunk(&file, next, len)).await
        };
        let chunk = match mapped {
            Ok(Ok(map)) => Ok(Bytes::from_owner(MappedChunk::new(
                map,
                Arc::clone(&file),
                next,
            ))),
            Ok(Err(e)) => Err(e),
            Err(join) => Err(io::Error::other(join)),
        };
        // After an error the stream ends: the client sees a short body and drops it.
        let next = if chunk.is_ok() { next + len } else { end };
        Some((chunk, (file, next, end)))
    }))
}

fn map_chunk(file: &File, offset: u64, len: u64) -> io::Result<Mmap> {
    // Touching a mapped page past the end of the file is a SIGBUS, not an error: refuse first.
    let size = file.metadata()?.len();
    if offset.saturating_add(len) > size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("bytes {offset}+{len} are past the end of a {size}-byte blob"),
        ));
    }
    // Start reading a cold chunk from disk here, on the blocking pool: plain HTTP sends it with
    // sendfile without ever touching the mapping, so nothing else would bring it in early.
    if let Some(n) = std::num::NonZeroU64::new(len) {
        rustix::fs::fadvise(file, offset, Some(n), rustix::fs::Advice::WillNeed)?;
    }
    let len = usize::try_from(len).map_err(io::Error::other)?;
    // SAFETY: the file is a published blob, never modified or truncated while it exists (see
    // `mapped_body`); an unlink leaves the mapping valid.
    unsafe { MmapOptions::new().offset(offset).len(len).map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::io::Write;

    async fn collect(body: Body) -> Vec<u8> {
        body.collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn serves_every_range_exactly() {
        let bytes: Vec<u8> = (0..(2 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let len = bytes.len() as u64;
        for (start, count) in [
            (0, len),
            (1, len - 1),
            (CHUNK - 1, 3),
            (CHUNK, CHUNK),
            (len - 1, 1),
            (4097, CHUNK + 5000),
        ] {
            let body = mapped_body(file.try_clone().unwrap(), start, count);
            let got = collect(body).await;
            assert_eq!(
                got,
                &bytes[start as usize..(start + count) as usize],
                "{start}+{count}"
            );
        }
    }

    #[tokio::test]
    async fn a_range_past_the_end_fails_instead_of_faulting() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[1u8; 100]).unwrap();
        let body = mapped_body(file, 0, 100 + 2 * CHUNK);
        assert!(body.collect().await.is_err());
    }
}
