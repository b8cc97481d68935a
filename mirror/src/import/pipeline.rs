//! The import's three stages on three threads, so that hashing, writing and syncing overlap:
//! the caller reads the bundle (the format reader hashes every byte as it goes), a writer thread
//! copies the bytes into staging files, and a syncer thread syncs and renames each finished blob
//! into place. Sequentially, a blob's write and fsync would stall the hashing of the next one.
//!
//! Memory stays bounded: at most [`CHUNKS`] buffers of [`CHUNK`] bytes are in flight. Blobs are
//! published in bundle order, each only after the reader verified it, and `BlobDone` is reported
//! when it is published (or found already stored).

use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use ferry_bundler::format::Digest;

use super::{ImportEvent, ImportOptions};
use crate::store::{BlobWriter, Store, StoreError, UnpublishedBlob};

/// Bytes per chunk handed from the reader to the writer.
pub(super) const CHUNK: usize = 256 * 1024;
/// Chunks in flight between reader and writer (plus one each being filled and written).
const CHUNKS: usize = 8;
/// Finished blobs waiting for their sync.
const WAITING_SYNC: usize = 4;

enum ToWriter {
    /// The next blob, as the bundle manifest names it (not yet verified).
    Start(BlobWriter, Digest),
    Data(Vec<u8>),
    /// The reader verified the blob just written: it is `digest` and `size` bytes long.
    Finish {
        digest: Digest,
        size: u64,
    },
    /// The blob is already stored; only report it, in order.
    Reused(Digest),
}

enum ToSyncer {
    Publish(Box<UnpublishedBlob>),
    Reused(Digest),
}

/// The reader's end of the pipeline.
pub(super) struct Pipeline {
    to_writer: SyncSender<ToWriter>,
    free: Receiver<Vec<u8>>,
    failure: Arc<Mutex<Option<StoreError>>>,
}

impl Pipeline {
    /// A buffer to fill with up to [`CHUNK`] bytes.
    pub fn buffer(&self) -> Vec<u8> {
        let mut buf = self.free.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        buf
    }

    pub fn start(&self, writer: BlobWriter, digest: Digest) -> Result<(), StoreError> {
        self.send(ToWriter::Start(writer, digest))
    }

    /// Hands over `buf`, of which the first `len` bytes are data.
    pub fn write(&self, mut buf: Vec<u8>, len: usize) -> Result<(), StoreError> {
        buf.truncate(len);
        self.send(ToWriter::Data(buf))
    }

    pub fn finish(&self, digest: Digest, size: u64) -> Result<(), StoreError> {
        self.send(ToWriter::Finish { digest, size })
    }

    pub fn reused(&self, digest: Digest) -> Result<(), StoreError> {
        self.send(ToWriter::Reused(digest))
    }

    fn send(&self, message: ToWriter) -> Result<(), StoreError> {
        if self.to_writer.send(message).is_err() {
            // The writer or syncer stopped: they did so because of this failure.
            return Err(self.take_failure());
        }
        Ok(())
    }

    fn take_failure(&self) -> StoreError {
        self.failure
            .lock()
            .ok()
            .and_then(|mut f| f.take())
            .unwrap_or_else(|| StoreError::Corrupt("import".into(), "a blob writer stopped".into()))
    }
}

/// Runs `read` as the reader while the writer and syncer threads work; returns once every blob
/// `read` handed over is published, or with the first failure of any stage. If `read` fails, blobs
/// not yet finished are dropped from staging.
pub(super) fn run<T, E>(
    store: &Store,
    options: &ImportOptions,
    read: impl FnOnce(&Pipeline) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let (to_writer, from_reader) = sync_channel::<ToWriter>(CHUNKS);
    let (to_syncer, from_writer) = sync_channel::<ToSyncer>(WAITING_SYNC);
    let (recycle, free) = sync_channel::<Vec<u8>>(CHUNKS + 2);
    let failure = Arc::new(Mutex::new(None));
    let pipeline = Pipeline {
        to_writer,
        free,
        failure: failure.clone(),
    };
    let fail = |e: StoreError| {
        if let Ok(mut f) = failure.lock() {
            f.get_or_insert(e);
        }
    };
    std::thread::scope(|scope| {
        // Each stage records its failure before its receiver goes, so that whoever finds the
        // channel closed also finds the reason.
        scope.spawn(|| {
            if let Err(e) = write_blobs(store, options, &from_reader, to_syncer, recycle) {
                fail(e);
            }
            drop(from_reader);
        });
        scope.spawn(|| {
            if let Err(e) = sync_blobs(options, &from_writer) {
                fail(e);
            }
            drop(from_writer);
        });
        let result = read(&pipeline);
        // Closing the channel lets the writer and syncer drain and stop; the scope joins them.
        drop(pipeline.to_writer);
        result
    })
    .and_then(
        |value| match failure.lock().ok().and_then(|mut f| f.take()) {
            Some(e) => Err(e.into()),
            None => Ok(value),
        },
    )
}

fn write_blobs(
    store: &Store,
    options: &ImportOptions,
    from_reader: &Receiver<ToWriter>,
    to_syncer: SyncSender<ToSyncer>,
    recycle: SyncSender<Vec<u8>>,
) -> Result<(), StoreError> {
    let mut current: Option<(BlobWriter, Digest)> = None;
    let stopped = || StoreError::Corrupt(store.root().into(), "the blob syncer stopped".into());
    for message in from_reader {
        match message {
            ToWriter::Start(writer, digest) => {
                // A blob the reader abandoned (it failed verification) is dropped from staging.
                current = Some((writer, digest));
            }
            ToWriter::Data(buf) => {
                let (writer, digest) = current
                    .as_mut()
                    .expect("the reader starts a blob before its data");
                writer
                    .write_all(&buf)
                    .map_err(|e| StoreError::io(store.tmp_dir(), e))?;
                if let Some(progress) = &options.progress {
                    progress(&ImportEvent::BlobProgress {
                        digest: digest.clone(),
                        written: writer.bytes_written(),
                    });
                }
                let _ = recycle.try_send(buf);
            }
            ToWriter::Finish { digest, size } => {
                let (writer, _) = current
                    .take()
                    .expect("the reader starts a blob before finishing it");
                let blob = writer.finish_verified(&digest, size)?;
                to_syncer
                    .send(ToSyncer::Publish(Box::new(blob)))
                    .map_err(|_| stopped())?;
            }
            ToWriter::Reused(digest) => {
                to_syncer
                    .send(ToSyncer::Reused(digest))
                    .map_err(|_| stopped())?;
            }
        }
    }
    Ok(())
}

fn sync_blobs(options: &ImportOptions, from_writer: &Receiver<ToSyncer>) -> Result<(), StoreError> {
    for message in from_writer {
        let digest = match message {
            ToSyncer::Publish(blob) => {
                let digest = blob.digest().clone();
                blob.publish()?;
                digest
            }
            ToSyncer::Reused(digest) => digest,
        };
        if let Some(progress) = &options.progress {
            progress(&ImportEvent::BlobDone { digest });
        }
    }
    Ok(())
}
