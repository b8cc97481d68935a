//! `ferry serve` as a real process: clients that hang up mid-download must not hurt it.

mod harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::{build_uncompressed, file_profile, sha256_file, Dir};

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).ok()?;
    Some(String::from_utf8_lossy(&head[..n]).into_owned())
}

#[test]
fn clients_hanging_up_mid_download_do_not_stop_the_server() {
    let dir = Dir::new();
    // 32 MiB: far more than the socket buffers, so the server is mid-write when clients leave.
    let data: Vec<u8> = (0..32u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    file_profile(&dir, "big.bin", &data);
    let sum = sha256_file(&dir.path("profiles/files/big.bin"));
    build_uncompressed(&dir, "b.ferry", false);
    dir.ok(&[
        "import",
        "b.ferry",
        "--data",
        "store",
        "--insecure-skip-signature",
    ]);

    let port = ferry_testkit::free_port();
    let mut server = Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .args([
            "serve",
            "--anonymous-pull",
            "--data",
            "store",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(dir.tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(port, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "ferry serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let blob = format!("/v2/files/big.bin/blobs/sha256:{sum}");
    for _ in 0..4 {
        // Read the status line, then hang up with most of the body unsent.
        let head = get(port, &blob).expect("blob request answered");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let alive = server.try_wait().unwrap().is_none();
    let health = get(port, "/healthz");
    let _ = server.kill();
    let _ = server.wait();
    assert!(alive, "ferry serve exited after clients hung up");
    assert!(health.is_some_and(|h| h.starts_with("HTTP/1.1 200")));
}
