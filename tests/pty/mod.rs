//! A real pseudo-terminal for tests of what `ferry` does when a person sits at it.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcgetattr, tcsetwinsize, LocalModes, Winsize};

pub const ROWS: u16 = 60;
pub const COLS: u16 = 160;

/// `ferry` with stdin, stdout and stderr on a fresh pseudo-terminal, as in a shell.
pub struct Terminal {
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    child: Child,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Terminal {
    pub fn spawn(dir: &Path, args: &[&str]) -> Self {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let size = Winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&master, size).expect("window size");
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = rustix::fs::open(
            name.to_str().unwrap(),
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY,
            rustix::fs::Mode::empty(),
        )
        .expect("open pty slave");
        let slave = File::from(slave);
        let child = Command::new(assert_cmd::cargo::cargo_bin("ferry"))
            .current_dir(dir)
            .env_remove("FERRY_PASSWORD")
            .env_remove("COSIGN_PASSWORD")
            .env("NO_COLOR", "1")
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave)
            .args(args)
            .spawn()
            .expect("spawn ferry");
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, seen) = (master.try_clone().unwrap(), screen.clone());
        // Reads until the child's side closes (EIO), so its writes never block.
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            master,
            screen,
            child,
            reader: Some(reader),
        }
    }

    /// Everything written so far, escape sequences included.
    pub fn raw(&self) -> Vec<u8> {
        self.screen.lock().unwrap().clone()
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits for `prompt` and for echo to be off (so the line is neither shown nor flushed
    /// away by the switch), then types `line`.
    pub fn answer(&mut self, prompt: &str, line: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let echo = tcgetattr(&self.master)
                .unwrap()
                .local_modes
                .contains(LocalModes::ECHO);
            if self.screen().contains(prompt) && !echo {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no prompt {prompt:?}: {}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        writeln!(self.master, "{line}").unwrap();
    }

    /// Waits for the child, then for the reader to drain everything it wrote (the reader ends
    /// when the last holder of the terminal's other side is gone).
    pub fn exit_code(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code(), self.screen())
    }
}

impl Drop for Terminal {
    /// A test that fails half-way leaves no `ferry` behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
