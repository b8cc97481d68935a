//! Key passwords through the real binary: `keygen` never writes an empty password by accident,
//! asks twice on a real pseudo-terminal, and a wrong or missing password says which variables
//! to set.

mod harness;
mod pty;

use std::process::{Command, Output, Stdio};

use ferry_bundler::sign::{SignError, SigningKey};
use harness::Dir;
use pty::Terminal;

/// `ferry ARGS` in `dir` with stdin closed and `password` (if any) in FERRY_PASSWORD only.
fn ferry(dir: &Dir, password: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    cmd.current_dir(dir.tmp.path())
        .env_remove("FERRY_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(args);
    if let Some(p) = password {
        cmd.env("FERRY_PASSWORD", p);
    }
    cmd.output().expect("run ferry")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn keygen_off_a_terminal_without_a_password_refuses_and_writes_nothing() {
    let dir = Dir::new();
    let out = ferry(&dir, None, &["keygen", "--out", "keys"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("FERRY_PASSWORD"), "{err}");
    assert!(err.contains("--empty-password"), "{err}");
    assert!(!dir.path("keys").exists(), "nothing written");
}

#[test]
fn keygen_with_empty_password_writes_a_key_that_opens_without_one() {
    let dir = Dir::new();
    let out = ferry(&dir, None, &["keygen", "--out", "keys", "--empty-password"]);
    assert!(out.status.success(), "{}", stderr(&out));
    SigningKey::load(&dir.path("keys/ferry.key"), b"").expect("empty password opens it");

    // Both an explicit empty password and one from the environment: ambiguous, refused.
    let out = ferry(
        &dir,
        Some("pw"),
        &["keygen", "--out", "k2", "--empty-password"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("FERRY_PASSWORD"), "{}", stderr(&out));
    assert!(!dir.path("k2").exists());

    // A variable set to nothing (an unset secret in a script) is no request for an empty one.
    let out = ferry(&dir, Some(""), &["keygen", "--out", "k3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("FERRY_PASSWORD is set but empty"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--empty-password"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path("k3").exists());
}

#[test]
fn a_wrong_or_missing_password_says_so_and_names_the_variables() {
    let dir = Dir::new();
    let out = ferry(&dir, Some("right"), &["keygen", "--out", "keys"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let build = ["build", "--key", "keys/ferry.key", "-o", "site.ferry"];
    for password in [Some("wrong"), None] {
        let out = ferry(&dir, password, &build);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot decrypt keys/ferry.key"), "{err}");
        assert!(err.contains("wrong or missing password"), "{err}");
        assert!(err.contains("FERRY_PASSWORD"), "{err}");
        assert!(err.contains("COSIGN_PASSWORD"), "{err}");
        assert!(!err.contains("encrypt"), "{err}");
    }
    // cosign's variable works as well.
    let out = Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .current_dir(dir.tmp.path())
        .env_remove("FERRY_PASSWORD")
        .env("COSIGN_PASSWORD", "right")
        .args(build)
        .output()
        .unwrap();
    assert!(
        !stderr(&out).contains("password"),
        "the key opened; the build fails later, on the missing profiles: {}",
        stderr(&out)
    );
}

const FIRST: &str = "Enter password for private key: ";
const AGAIN: &str = "Enter password for private key again: ";

#[test]
fn keygen_on_a_terminal_asks_twice_and_the_key_opens_with_that_password() {
    let dir = Dir::new();
    let mut term = Terminal::spawn(dir.tmp.path(), &["keygen", "--out", "keys"]);
    term.answer(FIRST, "typed secret");
    term.answer(AGAIN, "typed secret");
    let (code, screen) = term.exit_code();
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        !screen.contains("typed secret"),
        "the password was echoed: {screen}"
    );
    let key = dir.path("keys/ferry.key");
    SigningKey::load(&key, b"typed secret").expect("opens with the typed password");
    assert!(matches!(
        SigningKey::load(&key, b""),
        Err(SignError::WrongPassword { .. })
    ));

    // Signing asks for it too when no variable is set; the build then fails on the profiles.
    let mut term = Terminal::spawn(
        dir.tmp.path(),
        &["build", "--key", "keys/ferry.key", "-o", "x.ferry"],
    );
    term.answer(
        "Enter password for private key keys/ferry.key: ",
        "typed secret",
    );
    let (code, screen) = term.exit_code();
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("cannot load profiles"), "{screen}");
    assert!(!screen.contains("password ("), "{screen}");
}

#[test]
fn keygen_on_a_terminal_refuses_a_mismatch_and_an_empty_password() {
    let dir = Dir::new();
    let mut term = Terminal::spawn(dir.tmp.path(), &["keygen", "--out", "keys"]);
    term.answer(FIRST, "one");
    term.answer(AGAIN, "two");
    let (code, screen) = term.exit_code();
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("do not match"), "{screen}");
    assert!(!dir.path("keys").exists(), "nothing written");

    let mut term = Terminal::spawn(dir.tmp.path(), &["keygen", "--out", "keys"]);
    term.answer(FIRST, "");
    let (code, screen) = term.exit_code();
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("--empty-password"), "{screen}");
    assert!(!dir.path("keys").exists(), "nothing written");
}
