//! A blob file as a response body. Each chunk is read on the blocking pool with `pread` straight
//! into the buffer hyper then sends: one copy out of the page cache, where `tokio::fs::File` and
//! a `ReaderStream` make two (into tokio's buffer, then into the stream's).

use std::fs::File;
use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use futures_util::stream;

/// Bytes per chunk: large enough that the hop to the blocking pool is noise.
const CHUNK: usize = 256 * 1024;

/// The `count` bytes of `file` from `start`. A file shorter than that ends the body with an
/// error, so the client sees a short response rather than wrong bytes.
pub(super) fn file_body(file: File, start: u64, count: u64) -> Body {
    let file = Arc::new(file);
    let end = start.saturating_add(count);
    let chunks = stream::try_unfold(start, move |offset| {
        let file = file.clone();
        async move {
            if offset >= end {
                return Ok(None);
            }
            let want = usize::try_from(end - offset).unwrap_or(CHUNK).min(CHUNK);
            let chunk = tokio::task::spawn_blocking(move || read_chunk(&file, offset, want))
                .await
                .map_err(io::Error::other)??;
            let next = offset + chunk.len() as u64;
            Ok::<_, io::Error>(Some((chunk, next)))
        }
    });
    Body::from_stream(chunks)
}

fn read_chunk(file: &File, offset: u64, want: usize) -> io::Result<Bytes> {
    let mut buf = Vec::with_capacity(want);
    // Reads into the spare capacity: no zeroing pass before the copy.
    let n = rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), offset)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "blob file is shorter than its size",
        ));
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(body: Body) -> io::Result<Vec<u8>> {
        axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|b| b.to_vec())
            .map_err(io::Error::other)
    }

    #[tokio::test]
    async fn ranges_across_chunks_and_short_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let data: Vec<u8> = (0..(CHUNK * 2 + 1000)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let open = || File::open(&path).unwrap();

        assert_eq!(
            collect(file_body(open(), 0, data.len() as u64))
                .await
                .unwrap(),
            data
        );
        let (a, n) = (CHUNK as u64 - 10, CHUNK as u64 + 20);
        assert_eq!(
            collect(file_body(open(), a, n)).await.unwrap(),
            &data[a as usize..(a + n) as usize]
        );
        assert!(collect(file_body(open(), 0, 0)).await.unwrap().is_empty());
        // A file truncated behind the server's back: an error, never padding or a silent end.
        assert!(collect(file_body(open(), 0, data.len() as u64 + 1))
            .await
            .is_err());
    }
}
