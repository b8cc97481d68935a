//! Key passwords: FERRY_PASSWORD, else cosign's COSIGN_PASSWORD, else asked for on a terminal.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use console::Term;
use ferry_bundler::sign::{password_from, EnvPassword, SignError, SigningKey};

const VARS_HINT: &str = "set FERRY_PASSWORD or COSIGN_PASSWORD";

fn from_env() -> Option<EnvPassword> {
    password_from(|var| std::env::var(var).ok())
}

/// Someone can answer a prompt: both the input and the prompt's output are a terminal.
fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Reads one line with echo off (from stdin, or /dev/tty when stdin is not one).
fn ask(prompt: &str) -> anyhow::Result<String> {
    let term = Term::stderr();
    term.write_str(prompt)
        .and_then(|()| term.read_secure_line())
        .context("cannot read the password from the terminal")
}

/// The password for a new key. An empty one is only written when asked for with `empty`
/// (`--empty-password`): a key anyone holding the file can use should never happen by accident.
pub fn for_new_key(empty: bool) -> anyhow::Result<Vec<u8>> {
    match (from_env(), empty) {
        // `FERRY_PASSWORD=$UNSET_SECRET` in a script must not make a key anyone can open.
        (Some(p), false) if p.value.is_empty() => bail!(
            "{} is set but empty; pass --empty-password for a key without a password",
            p.var
        ),
        (Some(p), true) if !p.value.is_empty() => {
            bail!("--empty-password conflicts with {} being set", p.var)
        }
        (Some(p), _) => Ok(p.value),
        (None, true) => Ok(Vec::new()),
        (None, false) if interactive() => {
            let first = ask("Enter password for private key: ")?;
            if first.is_empty() {
                bail!("refusing an empty password; pass --empty-password for a key without one");
            }
            if ask("Enter password for private key again: ")? != first {
                bail!("the passwords do not match");
            }
            Ok(first.into_bytes())
        }
        (None, false) => bail!(
            "no password for the new key: {VARS_HINT}, run on a terminal to be asked for one, \
             or pass --empty-password"
        ),
    }
}

/// Loads a signing key with the password from the environment. With none set, an empty password
/// is tried (cosign's `--empty-password` keys), then on a terminal the password is asked for.
pub fn load_key(path: &Path) -> anyhow::Result<SigningKey> {
    let (result, hint) = match from_env() {
        Some(p) => (
            SigningKey::load(path, &p.value),
            format!(
                "{} is set but does not open it; {VARS_HINT} to its password",
                p.var
            ),
        ),
        None => match SigningKey::load(path, b"") {
            Err(SignError::WrongPassword { .. }) if interactive() => {
                let typed = ask(&format!(
                    "Enter password for private key {}: ",
                    path.display()
                ))?;
                (
                    SigningKey::load(path, typed.as_bytes()),
                    format!("the password typed does not open it; or {VARS_HINT}"),
                )
            }
            r => (r, format!("{VARS_HINT} to its password")),
        },
    };
    result.map_err(|e| match e {
        SignError::WrongPassword { .. } => anyhow!("{e} ({hint})"),
        e => e.into(),
    })
}
