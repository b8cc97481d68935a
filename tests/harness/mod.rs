//! A small harness that runs the real `ferry` binary, in the style of ripgrep's tests:
//! each test gets its own directory and real peers, and asserts on exit codes and output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use ferry_testkit::images::{cosign_signature, cosign_tag, multi_arch};
use ferry_testkit::{ImageOptions, OciLayout, Registry};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("test dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    /// `ferry ARGS` in this directory, with the key password set.
    pub fn ferry(&self, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("ferry").expect("ferry binary");
        cmd.current_dir(self.tmp.path())
            .env("FERRY_PASSWORD", PASSWORD)
            .env_remove("COSIGN_PASSWORD")
            .env("NO_COLOR", "1")
            // A command that should have ended (a refused `serve`, say) fails the test instead
            // of hanging the suite.
            .timeout(std::time::Duration::from_secs(300))
            .args(args);
        cmd.output().expect("run ferry")
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.ferry(args);
        assert!(
            out.status.success(),
            "ferry {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and requires failure with `code`; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.ferry(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "ferry {args:?}: wrong exit code\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// A generated two-platform image (with a cosign signature tag) pushed as `repo:tag`.
/// Returns the index digest.
pub fn push_image(registry: &Registry, repo: &str, tag: &str, seed: &str) -> String {
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        layer_size: 64 * 1024,
        ..Default::default()
    };
    let image = multi_arch(&mut layout, seed, &["linux/amd64", "linux/arm64"], &opts);
    registry.push_desc(&mut layout, &image.index, repo, tag);
    let sig = cosign_signature(
        &mut layout,
        &image.index,
        &format!("{}/{repo}:{tag}", registry.host()),
    );
    registry.push_desc(
        &mut layout,
        &sig.manifest,
        repo,
        &cosign_tag(&image.index, "sig"),
    );
    image.index.digest
}

pub fn sha256_file(path: &Path) -> String {
    let (digest, _) = ferry_bundler::format::Digest::of_file(path).expect("hash");
    digest.hex().to_owned()
}

/// `profiles/site.yaml` carrying one local file, `profiles/files/NAME` with `bytes`, in layer
/// `files`: a bundle that needs no registry.
pub fn file_profile(dir: &Dir, name: &str, bytes: &[u8]) {
    let path = dir.path(&format!("profiles/files/{name}"));
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write");
    let sum = sha256_file(&path);
    dir.write(
        "profiles/site.yaml",
        &format!("name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: files\n    kind: addon\n    sources:\n      - files: [{{path: files/{name}, sha256: {sum}}}]\n"),
    );
}

/// `ferry build` of `profiles/` into `out`, uncompressed, signed with `keys/ferry.key` when
/// `signed` (the key pair is made first).
pub fn build_uncompressed(dir: &Dir, out: &str, signed: bool) {
    build(dir, out, &["--compression", "none"], signed);
}

/// A key pair in `keys/` and `ferry build` of `profiles/` into `out`, signed with it, compressed
/// as ferry does by default.
pub fn build_signed(dir: &Dir, out: &str) {
    build(dir, out, &[], true);
}

fn build(dir: &Dir, out: &str, options: &[&str], signed: bool) {
    let mut args = vec!["build", "-p", "profiles", "-o", out];
    args.extend(options);
    if signed {
        dir.ok(&["keygen", "--out", "keys"]);
        args.extend(["--key", "keys/ferry.key"]);
    }
    dir.ok(&args);
}

/// A server a test started (`ferry serve`), stopped when the test ends, pass or fail.
pub struct Daemon(pub std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `ferry serve` a test started on a port the kernel chose, stopped when the test ends.
pub struct Served {
    pub addr: std::net::SocketAddr,
    /// Its stderr, for the test's own checks and for a failure's message.
    pub log: PathBuf,
    daemon: Daemon,
}

impl Served {
    /// Whether the server is still running (it has not exited or crashed).
    pub fn is_running(&mut self) -> bool {
        self.daemon
            .0
            .try_wait()
            .expect("wait on ferry serve")
            .is_none()
    }
}

impl Dir {
    /// `ferry serve ARGS --listen 127.0.0.1:0` in this directory, with the key password set.
    /// Returns once the log names the bound address: the socket is open before anything is
    /// printed, so no other process can have taken the port.
    pub fn serve(&self, args: &[&str]) -> Served {
        self.serve_with(args, &[])
    }

    /// [`Dir::serve`] with more environment (`FERRY_LOG=debug`, say).
    pub fn serve_with(&self, args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
        cmd.arg("serve").args(args).envs(env.iter().copied());
        self.serve_command(cmd)
    }

    /// `cmd` (a `ferry serve` with its arguments, perhaps under a wrapper such as `prlimit`)
    /// with `--listen 127.0.0.1:0`, run as [`Dir::serve`] runs it.
    pub fn serve_command(&self, mut cmd: std::process::Command) -> Served {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let log = self.path(&format!(
            "serve-{}.log",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        cmd.current_dir(self.tmp.path())
            .args(["--listen", "127.0.0.1:0"])
            .env("NO_COLOR", "1")
            .env_remove("FERRY_LOG_FORMAT")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("serve log"));
        if !cmd.get_envs().any(|(k, _)| k == "FERRY_PASSWORD") {
            cmd.env("FERRY_PASSWORD", PASSWORD);
        }
        if !cmd.get_envs().any(|(k, _)| k == "FERRY_LOG") {
            cmd.env("FERRY_LOG", "info");
        }
        let shown = format!("{cmd:?}");
        let mut daemon = Daemon(cmd.spawn().expect("ferry serve starts"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                return Served { addr, log, daemon };
            }
            if let Ok(Some(status)) = daemon.0.try_wait() {
                panic!("{shown} exited with {status}:\n{text}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{shown} did not come up in 30s:\n{text}"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
}

impl Dir {
    /// An appliance with the fleet on: a key pair in `keys/`, `users` (each with `password`, in
    /// `htpasswd`, `operator` with the operator role), `password` holding it for
    /// `--password-file`, a store in `store/` and the mirror named `mirror.enclave:5000`.
    pub fn fleet_appliance(&self, users: &[&str], password: &str) -> Served {
        self.ok(&["keygen", "--out", "keys"]);
        let hash = bcrypt::hash(password, 4).unwrap();
        let lines: String = users.iter().map(|u| format!("{u}:{hash}\n")).collect();
        self.write("htpasswd", &lines);
        self.write("password", &format!("{password}\n"));
        self.serve(&[
            "--push",
            "--htpasswd",
            "htpasswd",
            "--role",
            "operator=operator",
            "--data",
            "store",
            "--fleet-key",
            "keys/ferry.key",
            "--fleet-mirror-host",
            "mirror.enclave:5000",
        ])
    }
}

/// The `addr=` of the server's "registry listening" line.
fn listening_addr(log: &str) -> Option<std::net::SocketAddr> {
    let line = log.lines().find(|l| l.contains("registry listening"))?;
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("addr="))?
        .parse()
        .ok()
}

/// A loopback address nothing listens on right now.
pub fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
