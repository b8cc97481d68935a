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
use std::sync::{Arc, Mutex};
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
    /// Per response body in flight: since when it has waited for the connection to take its
    /// next frame (`NEVER`: its handler or the body itself is working, or it is done). On
    /// HTTP/2 a client can stop the flow with a zero window without blocking any write.
    waiting: Mutex<Vec<Arc<AtomicU64>>>,
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
            waiting: Mutex::new(Vec::new()),
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
        let waiting = Arc::new(AtomicU64::new(NEVER));
        if let Ok(mut all) = self.waiting.lock() {
            all.retain(|w| Arc::strong_count(w) > 1);
            all.push(Arc::clone(&waiting));
        }
        InFlight {
            activity: Arc::clone(self),
            waiting,
        }
    }

    /// The earliest time a live response body began waiting for the connection to poll it.
    fn body_waiting_since(&self) -> Option<u64> {
        let all = self.waiting.lock().ok()?;
        all.iter()
            .filter(|w| Arc::strong_count(w) > 1)
            .map(|w| w.load(Ordering::Relaxed))
            .filter(|&t| t != NEVER)
            .min()
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
    /// that is only when a write, or a response body, has waited too long for the client;
    /// `None` means not yet (and, as nothing wakes the caller when a write or body starts
    /// waiting, to look again later).
    pub(super) fn deadline(&self, t: Timeouts) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            let blocked = self.write_blocked_since.load(Ordering::Relaxed);
            let blocked = (blocked != NEVER).then_some(blocked);
            let stalled = [blocked, self.body_waiting_since()]
                .into_iter()
                .flatten()
                .min();
            return stalled.map(|since| self.at(since) + t.write);
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
pub(super) struct InFlight {
    activity: Arc<Activity>,
    waiting: Arc<AtomicU64>,
}

impl InFlight {
    /// The response body is waiting for the connection to poll it (`false`: it is busy itself
    /// or done).
    fn set_waiting(&self, waiting: bool) {
        let since = if waiting { self.activity.now() } else { NEVER };
        self.waiting.store(since, Ordering::Relaxed);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.activity;
        a.idle_since.store(a.now(), Ordering::SeqCst);
        a.in_flight.fetch_sub(1, Ordering::SeqCst);
        a.changed.notify_one();
    }
}

/// A response body that keeps its request in flight until it is done or dropped, and tells it
/// while it waits to be polled. Frames pass through untouched: a mapped blob chunk must reach
/// the socket as the same bytes for sendfile.
pub(super) struct InFlightBody<B> {
    body: B,
    in_flight: InFlight,
}

impl<B: Body> InFlightBody<B> {
    /// Waiting from now: hyper polls a response as soon as it can send it.
    pub(super) fn new(body: B, in_flight: InFlight) -> Self {
        in_flight.set_waiting(!body.is_end_stream());
        Self { body, in_flight }
    }
}

impl<B: Body + Unpin> Body for InFlightBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        // After a frame it waits for the connection to send it and come back; while pending or
        // at the end it does not.
        self.in_flight
            .set_waiting(matches!(polled, Poll::Ready(Some(Ok(_)))) && !self.body.is_end_stream());
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The least a request body must deliver: `min_bytes_per_second` over each `window`.
#[derive(Clone, Copy, Debug)]
pub(super) struct BodyRate {
    pub window: Duration,
    pub min_bytes_per_second: u64,
}

impl BodyRate {
    /// Bytes a window needs; at least one, so a body that sends nothing always fails.
    fn bytes_per_window(&self) -> u64 {
        let bytes = self.min_bytes_per_second as f64 * self.window.as_secs_f64();
        (bytes as u64).max(1)
    }
}

/// The body-progress timeout was hit.
#[derive(Debug, thiserror::Error)]
#[error("the request body sent {got} bytes in {window:?}, less than the {needed} required")]
pub(super) struct BodyStalled {
    got: u64,
    needed: u64,
    window: Duration,
}

/// A request body that fails when it delivers less than its [`BodyRate`] in a window. A
/// window starts when the handler first waits for bytes and again each time the window's
/// bytes arrived, so one byte now and then does not keep a connection, and a handler that is
/// slow itself before it reads is not blamed.
pub(super) struct ProgressBody<B> {
    body: B,
    rate: BodyRate,
    sleep: Pin<Box<Sleep>>,
    /// Bytes delivered in the current window; `None`: no window yet.
    window_bytes: Option<u64>,
}

impl<B> ProgressBody<B> {
    pub(super) fn new(body: B, rate: BodyRate) -> Self {
        Self {
            body,
            rate,
            sleep: Box::pin(tokio::time::sleep(rate.window)),
            window_bytes: None,
        }
    }

    fn start_window(&mut self) {
        self.sleep.as_mut().reset(Instant::now() + self.rate.window);
        self.window_bytes = Some(0);
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
        if this.window_bytes.is_none() {
            this.start_window();
        }
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => {
                let len = match &frame {
                    Some(Ok(f)) => f.data_ref().map_or(0, |d| d.len() as u64),
                    _ => 0,
                };
                let got = this.window_bytes.unwrap_or(0) + len;
                this.window_bytes = Some(got);
                if got >= this.rate.bytes_per_window() {
                    this.start_window();
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled {
                    got: this.window_bytes.unwrap_or(0),
                    needed: this.rate.bytes_per_window(),
                    window: this.rate.window,
                }
                .into()))),
                Poll::Pending => Poll::Pending,
            },
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
