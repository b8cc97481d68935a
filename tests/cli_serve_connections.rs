//! `ferry serve` against clients that hold connections without using them: slow-loris headers,
//! idle keep-alive, slow-drip upload bodies, and more idle connections than descriptors.

mod harness;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Dir, Served};

const USER: &str = "ci";
const PASSWORD: &str = "secret";
/// `ci:secret` in Basic auth.
const AUTH: &str = "Authorization: Basic Y2k6c2VjcmV0";

/// `ferry serve` with push and anonymous pull, `connections` as the config file's section, and
/// at most `nofile` descriptors when given.
fn start(dir: &Dir, connections: &str, nofile: Option<u32>) -> Served {
    dir.write(
        "htpasswd",
        &format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
    );
    dir.write("ferry.yaml", &format!("connections: {connections}\n"));
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}"))
                .arg(assert_cmd::cargo::cargo_bin("ferry"));
            c
        }
        None => Command::new(assert_cmd::cargo::cargo_bin("ferry")),
    };
    cmd.args([
        "serve",
        "--config",
        "ferry.yaml",
        "--data",
        "data",
        "--push",
    ])
    .args(["--htpasswd", "htpasswd", "--anonymous-pull"])
    .args(["--role", &format!("{USER}=pusher")]);
    dir.serve_command(cmd)
}

fn request(addr: SocketAddr, head: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(head.as_bytes()).ok()?;
    let mut got = Vec::new();
    s.read_to_end(&mut got).ok()?;
    (!got.is_empty()).then(|| String::from_utf8_lossy(&got).into_owned())
}

/// How long until the server closes `s` (reads EOF or a reset), reading whatever it sends.
fn time_to_close(s: &mut TcpStream, give_up: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    s.set_read_timeout(Some(give_up)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(t0.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(t0.elapsed()),
            Err(_) => return None,
        }
    }
}

fn status(response: &str) -> &str {
    response.split(' ').nth(1).unwrap_or("")
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Pushes `bytes` as a blob of `repo` in one POST + PUT; returns its digest.
fn push_blob(addr: SocketAddr, repo: &str, bytes: &[u8]) -> String {
    let digest = ferry_bundler::format::Digest::of_bytes(bytes).to_string();
    finish_upload(addr, &start_upload(addr, repo), &digest, bytes);
    digest
}

/// Starts an upload session in `repo`; returns its location.
fn start_upload(addr: SocketAddr, repo: &str) -> String {
    let post = request(
        addr,
        &format!("POST /v2/{repo}/blobs/uploads/ HTTP/1.1\r\nHost: x\r\n{AUTH}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(status(&post), "202", "{post}");
    header(&post, "location").unwrap().to_owned()
}

/// A connection with the head of a PATCH of `len` bytes to `location` sent.
fn start_patch(addr: SocketAddr, location: &str, len: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "PATCH {location} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    s
}

/// Finishes the upload session at `location` with a PUT of `bytes`, expecting 201.
fn finish_upload(addr: SocketAddr, location: &str, digest: &str, bytes: &[u8]) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "PUT {location}?digest={digest} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    s.write_all(bytes).unwrap();
    let mut put = String::new();
    s.read_to_string(&mut put).unwrap();
    assert_eq!(status(&put), "201", "{put}");
}

#[test]
fn a_slow_loris_header_is_cut_off_at_the_header_timeout() {
    let dir = Dir::new();
    let server = start(
        &dir,
        "{headerTimeoutSeconds: 1, idleTimeoutSeconds: 30}",
        None,
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    let t0 = Instant::now();
    let mut closed = false;
    // One byte a second, never finishing the header.
    for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaa".iter() {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Ok(_) | Err(_) => {}
        }
        if t0.elapsed() > Duration::from_secs(8) {
            break;
        }
    }
    let took = t0.elapsed();
    assert!(
        closed,
        "the server still held the connection after {took:?}"
    );
    assert!(took < Duration::from_secs(4), "closed only after {took:?}");
    // A client that connects and sends nothing is cut off the same way.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    let took = time_to_close(&mut silent, Duration::from_secs(8)).expect("silent client closed");
    assert!(took < Duration::from_secs(4), "closed only after {took:?}");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let dir = Dir::new();
    let server = start(
        &dir,
        "{headerTimeoutSeconds: 20, idleTimeoutSeconds: 1}",
        None,
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok\n"), "one whole answer: {answer}");
    let took = time_to_close(&mut s, Duration::from_secs(10)).expect("idle connection closed");
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(5),
        "closed after {took:?}, not after the 1 s idle timeout"
    );
}

#[test]
fn a_stalled_upload_body_is_aborted_and_the_session_stays_usable() {
    let dir = Dir::new();
    let server = start(
        &dir,
        "{headerTimeoutSeconds: 5, idleTimeoutSeconds: 30, bodyTimeoutSeconds: 1}",
        None,
    );
    let location = start_upload(server.addr, "drip");
    // Promise 1000 bytes, send 100, then stall.
    let mut s = start_patch(server.addr, &location, 1000);
    s.write_all(&[7u8; 100]).unwrap();
    let took = time_to_close(&mut s, Duration::from_secs(10)).expect("stalled upload aborted");
    assert!(took < Duration::from_secs(5), "aborted only after {took:?}");
    // The session is where a client can see it is, and finishing it from there works.
    let st = request(
        server.addr,
        &format!("GET {location} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(status(&st), "204", "{st}");
    let kept: usize = match header(&st, "range") {
        Some(r) => r.split('-').nth(1).unwrap().parse::<usize>().unwrap() + 1,
        None => 0,
    };
    assert!(kept <= 100, "kept {kept} of the 100 bytes sent");
    let mut blob = vec![7u8; kept];
    blob.extend_from_slice(b" and the rest");
    let digest = ferry_bundler::format::Digest::of_bytes(&blob).to_string();
    finish_upload(server.addr, &location, &digest, &blob[kept..]);
}

#[test]
fn an_idle_flood_beyond_the_descriptor_limit_leaves_health_and_pulls_working() {
    let dir = Dir::new();
    let server = start(
        &dir,
        "{headerTimeoutSeconds: 1, idleTimeoutSeconds: 1}",
        Some(256),
    );
    let blob: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let digest = push_blob(server.addr, "flood", &blob);

    // More idle connections than the server has descriptors, held open by this test.
    let idle: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect(server.addr).ok())
        .collect();
    assert!(idle.len() > 256, "opened only {} connections", idle.len());
    let t0 = Instant::now();
    let healthy = loop {
        if let Some(r) = request(
            server.addr,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            break Some(r);
        }
        if t0.elapsed() > Duration::from_secs(3) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let healthy = healthy.expect("/healthz answered within 3 s of the flood");
    assert!(healthy.starts_with("HTTP/1.1 200"), "{healthy}");
    let pull = request_bytes(
        server.addr,
        &format!("GET /v2/flood/blobs/{digest} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .expect("blob pulled");
    assert!(pull.ends_with(&blob), "the whole blob");
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "took {:?}",
        t0.elapsed()
    );
    drop(idle);

    let log = std::fs::read_to_string(&server.log).unwrap();
    let refusals = log.lines().filter(|l| l.contains("refused")).count();
    assert!(refusals >= 1, "the refusals are logged:\n{log}");
    assert!(
        refusals <= 3,
        "refusals are summarised, not logged one by one:\n{log}"
    );
}

/// Like [`request`], for a binary body; retries a refused connection for up to 3 s.
fn request_bytes(addr: SocketAddr, head: &str) -> Option<Vec<u8>> {
    let t0 = Instant::now();
    loop {
        let got = (|| {
            let mut s = TcpStream::connect(addr).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            s.write_all(head.as_bytes()).ok()?;
            let mut got = Vec::new();
            s.read_to_end(&mut got).ok()?;
            (!got.is_empty()).then_some(got)
        })();
        if got.is_some() || t0.elapsed() > Duration::from_secs(3) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_download_the_client_stops_reading_is_cut_off_at_the_body_timeout() {
    let dir = Dir::new();
    let server = start(&dir, "{bodyTimeoutSeconds: 1}", None);
    // Far more than the loopback socket buffers hold, so the server's writes wait on the client.
    let blob: Vec<u8> = (0..32u32 << 20).map(|i| (i % 251) as u8).collect();
    let digest = push_blob(server.addr, "stall", &blob);
    let mut s = TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "GET /v2/stall/blobs/{digest} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 1024];
    s.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let mut rest = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_end(&mut rest);
    assert!(
        rest.len() + first.len() < blob.len(),
        "the whole {} bytes were sent to a client that stopped reading for 4 s",
        blob.len()
    );
}

/// Starts an upload session in `repo` and sends a PATCH of `len` bytes to it in `chunks` of
/// `chunk` bytes `every` apart; returns how long until the server answered or closed, and the
/// answer.
fn drip_patch(
    server: &Served,
    repo: &str,
    len: usize,
    chunk: usize,
    every: Duration,
) -> (Duration, String) {
    let mut s = start_patch(server.addr, &start_upload(server.addr, repo), len);
    let mut writer = s.try_clone().unwrap();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        let mut sent = 0;
        while sent < len {
            let n = chunk.min(len - sent);
            if writer.write_all(&vec![7u8; n]).is_err() {
                return;
            }
            sent += n;
            std::thread::sleep(every);
        }
    });
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    (t0.elapsed(), String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn an_upload_body_below_the_minimum_rate_is_aborted_after_one_window() {
    let dir = Dir::new();
    let server = start(
        &dir,
        "{idleTimeoutSeconds: 30, bodyTimeoutSeconds: 1, minBodyBytesPerSecond: 100}",
        None,
    );
    // One byte every 300 ms: progress in every window, but far below 100 B/s.
    let (took, answer) = drip_patch(&server, "trickle", 20, 1, Duration::from_millis(300));
    assert!(
        took < Duration::from_millis(2500),
        "aborted only after {took:?}: {answer}"
    );
    assert_ne!(status(&answer), "202", "{answer}");
    // 10 KiB in steady small chunks over 1.5 s is well above the minimum.
    let (took, answer) = drip_patch(&server, "steady", 10 * 1024, 256, Duration::from_millis(37));
    assert_eq!(status(&answer), "202", "after {took:?}: {answer}");
}
