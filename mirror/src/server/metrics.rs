//! Request metrics in the Prometheus text format, the access log, and the concurrency bound.
//!
//! One middleware does all three because they share the same moment: the response body's end.
//! Blob downloads stream for a long time after the handler returned, so bytes, the access log
//! line and the concurrency permit all live in a body wrapper until the last byte went out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;

use super::{path, AppState};

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    bytes_served: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    fn observe(&self, method: &Method, class: &'static str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.as_str().to_owned(), class, status))
                .or_default() += 1;
        }
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The exposition text; `store_blobs`/`store_bytes` are measured by the caller.
    pub fn render(&self, store_blobs: u64, store_bytes: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP ferry_registry_requests_total Registry requests by method, route class and status.\n");
        out.push_str("# TYPE ferry_registry_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((method, class, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "ferry_registry_requests_total{{method=\"{method}\",route=\"{class}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP ferry_registry_response_bytes_total Response body bytes sent.\n");
        out.push_str("# TYPE ferry_registry_response_bytes_total counter\n");
        let _ = writeln!(
            out,
            "ferry_registry_response_bytes_total {}",
            self.bytes_served.load(Ordering::Relaxed)
        );
        out.push_str("# HELP ferry_registry_request_duration_seconds Time to response headers.\n");
        out.push_str("# TYPE ferry_registry_request_duration_seconds histogram\n");
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "ferry_registry_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "ferry_registry_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "ferry_registry_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "ferry_registry_request_duration_seconds_count {count}");
        out.push_str(
            "# HELP ferry_store_blobs Blobs in the store.\n# TYPE ferry_store_blobs gauge\n",
        );
        let _ = writeln!(out, "ferry_store_blobs {store_blobs}");
        out.push_str("# HELP ferry_store_bytes Bytes of blobs in the store.\n# TYPE ferry_store_bytes gauge\n");
        let _ = writeln!(out, "ferry_store_bytes {store_bytes}");
        out
    }
}

/// Middleware: waits for a concurrency permit, runs the request, records metrics and hands the
/// permit and the access-log duty to the response body. `/healthz` takes no permit: it must
/// answer while pulls hold them all.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let permit = match req.uri().path() {
        "/healthz" => None,
        _ => state.limit.clone().acquire_owned().await.ok(),
    };
    let start = Instant::now();
    let method = req.method().clone();
    // Path and query only: headers (Authorization) are never logged.
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let class = route_class(req.uri().path());
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    state
        .metrics
        .observe(&method, class, status, start.elapsed().as_secs_f64());
    let (parts, body) = resp.into_parts();
    let metered = MeteredBody {
        inner: body,
        sent: 0,
        log: AccessLog {
            method,
            target,
            status,
            start,
        },
        metrics: state.metrics.clone(),
        _permit: permit,
    };
    Response::from_parts(parts, Body::new(metered))
}

fn route_class(p: &str) -> &'static str {
    match p {
        "/healthz" => "health",
        "/metrics" => "metrics",
        _ => path::parse(p, None).map(|e| e.class()).unwrap_or("other"),
    }
}

struct AccessLog {
    method: Method,
    target: String,
    status: u16,
    start: Instant,
}

struct MeteredBody {
    inner: Body,
    sent: u64,
    log: AccessLog,
    metrics: Arc<Metrics>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl HttpBody for MeteredBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.sent += data.len() as u64;
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    fn drop(&mut self) {
        self.metrics
            .bytes_served
            .fetch_add(self.sent, Ordering::Relaxed);
        tracing::info!(
            target: "ferry::access",
            method = %self.log.method,
            path = %self.log.target,
            status = self.log.status,
            bytes = self.sent,
            duration_ms = self.log.start.elapsed().as_secs_f64() * 1e3,
            "request"
        );
    }
}

/// Counts blobs and their bytes under `blobs/` (for the store gauges).
pub fn store_usage(root: &std::path::Path) -> (u64, u64) {
    let (mut n, mut bytes) = (0, 0);
    let Ok(shards) = std::fs::read_dir(root.join("blobs/sha256")) else {
        return (0, 0);
    };
    for shard in shards.flatten() {
        let Ok(files) = std::fs::read_dir(shard.path()) else {
            continue;
        };
        for f in files.flatten() {
            if let Ok(m) = f.metadata() {
                n += 1;
                bytes += m.len();
            }
        }
    }
    (n, bytes)
}

pub fn text_content_type() -> HeaderValue {
    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8")
}
