//! `ferry serve` as a real process: clients that hang up mid-download must not hurt it.

mod harness;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

    let mut served = dir.serve(&["--anonymous-pull", "--data", "store"]);
    let port = served.addr.port();
    let blob = format!("/v2/files/big.bin/blobs/sha256:{sum}");
    for _ in 0..4 {
        // Read the status line, then hang up with most of the body unsent.
        let head = get(port, &blob).expect("blob request answered");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let alive = served.is_running();
    let health = get(port, "/healthz");
    drop(served);
    assert!(alive, "ferry serve exited after clients hung up");
    assert!(health.is_some_and(|h| h.starts_with("HTTP/1.1 200")));
}
