//! Child processes and ports shared by the peers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Status code of a plain `GET path` on 127.0.0.1:port, if anything answers, and whether the
/// answer carries `X-Testkit-Peer: <nonce>` (always true without a nonce).
fn probe(port: u16, path: &str, nonce: Option<&str>) -> Option<(u16, bool)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = Vec::new();
    // HTTP/1.0: the peer closes after its answer; a head is all that is needed.
    let _ = s.take(64 * 1024).read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text.get(9..12)?.parse().ok()?;
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let ours = nonce.is_none_or(|n| {
        head.lines().any(|l| {
            l.split_once(':')
                .is_some_and(|(k, v)| k.eq_ignore_ascii_case("x-testkit-peer") && v.trim() == n)
        })
    });
    Some((status, ours))
}

/// Waits until `GET path` answers `want`, or panics naming what did not come up.
pub fn wait_for(child: &mut Child, port: u16, path: &str, want: u16, what: &str) {
    assert!(
        wait_for_peer(child, port, path, want, None, what),
        "{what} on 127.0.0.1:{port}: another server answered"
    );
}

/// Like [`wait_for`]; with a `nonce`, the answer must carry `X-Testkit-Peer: <nonce>`, and
/// false means another server holds the port (taken between probing and binding).
pub fn wait_for_peer(
    child: &mut Child,
    port: u16,
    path: &str,
    want: u16,
    nonce: Option<&str>,
    what: &str,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            if nonce.is_some() {
                return false;
            }
            panic!("{what} exited early with {status}");
        }
        match probe(port, path, nonce) {
            Some((status, true)) if status == want => return true,
            Some((_, false)) => return false,
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not answer {path} on 127.0.0.1:{port} within 20s");
}

/// A value no other server on this machine will echo: process, time and a counter.
pub fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
