//! What one connection is doing, as its timeouts need to know it: whether a request is in
//! flight, when it last went idle, when the next request's first byte came, when it last wrote.
//!
//! hyper's own HTTP/1 `header_read_timeout` also runs while a keep-alive connection waits for
//! its next request, so it would close idle connections after the header timeout, not the idle
//! one; these timestamps let the two differ. On HTTP/2 any frame the client sends while idle
//! (a ping, a window update) counts as the start of a request, so there an idle connection is
//! closed after the shorter of the two.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// No timestamp recorded.
const NEVER: u64 = u64::MAX;

/// A connection's state, in milliseconds since it was accepted.
pub(super) struct Activity {
    start: Instant,
    /// Requests whose handler or response body is still alive.
    in_flight: AtomicUsize,
    /// When the last request finished (0: accepted, none yet).
    idle_since: AtomicU64,
    /// The first byte read while idle: a new request's header has begun.
    header_begun: AtomicU64,
    last_write: AtomicU64,
    /// Since when a write has been waiting for the client to read (`NEVER`: not waiting).
    write_blocked_since: AtomicU64,
    requests: AtomicU64,
    /// Woken when the deadline may have moved earlier, so the connection's timer looks again.
    pub changed: Notify,
}

/// What the timeouts are.
#[derive(Clone, Copy)]
pub(super) struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
    /// How long a response may wait for a client that does not read it.
    pub write: Duration,
}

impl Activity {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            header_begun: AtomicU64::new(NEVER),
            last_write: AtomicU64::new(0),
            write_blocked_since: AtomicU64::new(NEVER),
            requests: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    /// A request arrived; it is in flight until the guard (kept with its response body) drops.
    pub(super) fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.header_begun.store(NEVER, Ordering::SeqCst);
        self.changed.notify_one();
        InFlight(Arc::clone(self))
    }

    fn note_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0
            && self.header_begun.load(Ordering::Relaxed) == NEVER
        {
            self.header_begun.store(self.now(), Ordering::SeqCst);
            self.changed.notify_one();
        }
    }

    fn note_write(&self, written: bool) {
        let blocked = self.write_blocked_since.load(Ordering::Relaxed);
        if written {
            self.last_write.store(self.now(), Ordering::Relaxed);
            if blocked != NEVER {
                self.write_blocked_since.store(NEVER, Ordering::Relaxed);
            }
        } else if blocked == NEVER {
            self.write_blocked_since
                .store(self.now(), Ordering::Relaxed);
        }
    }

    /// When the connection should be closed if nothing changes. While a request is in flight
    /// that is only when a write has waited too long for the client; `None` means not yet
    /// (and, as nothing wakes the caller when a write starts waiting, to look again later).
    pub(super) fn deadline(&self, t: Timeouts) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            let blocked = self.write_blocked_since.load(Ordering::Relaxed);
            return (blocked != NEVER).then(|| self.at(blocked) + t.write);
        }
        let header_begun = self.header_begun.load(Ordering::SeqCst);
        if header_begun != NEVER {
            return Some(self.at(header_begun) + t.header);
        }
        let idle_since = self.idle_since.load(Ordering::SeqCst);
        if self.requests.load(Ordering::Relaxed) == 0 {
            // Never sent a byte: it gets the header timeout from the accept.
            return Some(self.at(idle_since) + t.header);
        }
        // Counted from the last write too: hyper may still be flushing the last response.
        let base = idle_since.max(self.last_write.load(Ordering::Relaxed));
        Some(self.at(base) + t.idle)
    }
}

/// Keeps a request counted as in flight while it lives.
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.idle_since.store(a.now(), Ordering::SeqCst);
        a.in_flight.fetch_sub(1, Ordering::SeqCst);
        a.changed.notify_one();
    }
}

/// A response body that keeps its request in flight until it is done or dropped. Frames pass
/// through untouched: a mapped blob chunk must reach the socket as the same bytes for sendfile.
pub(super) struct InFlightBody<B> {
    pub body: B,
    pub _in_flight: InFlight,
}

impl<B: Body + Unpin> Body for InFlightBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The body-progress timeout was hit.
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {0:?}")]
pub(super) struct BodyStalled(Duration);

/// A request body that fails when it delivers nothing for `timeout` while being read. The clock
/// runs only while the handler waits for bytes, so a handler that is slow itself is not blamed.
pub(super) struct ProgressBody<B> {
    body: B,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    armed: bool,
}

impl<B> ProgressBody<B> {
    pub(super) fn new(body: B, timeout: Duration) -> Self {
        Self {
            body,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            armed: false,
        }
    }
}

impl<B> Body for ProgressBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                if !this.armed {
                    this.sleep.as_mut().reset(Instant::now() + this.timeout);
                    this.armed = true;
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled(this.timeout).into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's stream that tells its [`Activity`] about reads and writes, passing every call
/// through as it is (vectored writes included, which the sendfile stream depends on).
pub(super) struct Watched<S> {
    pub stream: S,
    pub activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.note_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.activity.note_write(polled.is_ready());
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.activity.note_write(polled.is_ready());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
