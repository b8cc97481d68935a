//! The functions that would reach outside the template: the environment, DNS, and `fail`.
//! ferry renders without I/O: `env` reads an empty environment (Helm drops `env` and
//! `expandenv` anyway), `getHostByName` resolves nothing and returns "".

use super::args::{exactly, string, text};
use crate::{FuncError, FuncMap};

pub fn register(m: &mut FuncMap) {
    m.insert("env", |_, a| {
        exactly(a, 1, "env")?;
        string(&a[0])?;
        text("")
    });
    m.insert("expandenv", |_, a| {
        exactly(a, 1, "expandenv")?;
        text(expand_empty(string(&a[0])?))
    });
    m.insert("getHostByName", |_, a| {
        exactly(a, 1, "getHostByName")?;
        string(&a[0])?;
        text("")
    });
    m.insert("fail", |_, a| {
        exactly(a, 1, "fail")?;
        Err(FuncError(string(&a[0])?.to_string()))
    });
    m.insert("hello", |_, a| {
        exactly(a, 0, "hello")?;
        text("Hello!")
    });
}

/// Go's `os.Expand` with every variable unset: `$NAME` and `${NAME}` become "".
fn expand_empty(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            let rest = &s[i + 1..];
            if let Some(inner) = rest.strip_prefix('{') {
                if let Some(end) = inner.find('}') {
                    i += 2 + end + 1;
                    continue;
                }
                // Go drops a bad `${` syntax too.
                i += 2;
                continue;
            }
            let first = rest.as_bytes()[0];
            if first.is_ascii_digit() || b"*#$@!?-".contains(&first) {
                i += 2;
                continue;
            }
            let n = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            if n > 0 {
                i += 1 + n;
                continue;
            }
        }
        let c = s[i..].chars().next().unwrap_or('$');
        out.push(c);
        i += c.len_utf8();
    }
    out
}
