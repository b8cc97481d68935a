//! Go's `path` functions (`base`, `dir`, `clean`, `ext`, `isAbs`) and `path/filepath`'s
//! (`osBase`, …), which on Linux, where Helm runs charts for ferry's purposes, are the same.

use super::args::{exactly, string, text, FnResult};
use crate::{FuncMap, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("base", |_, a| one(a, "base", base));
    m.insert("osBase", |_, a| one(a, "osBase", base));
    m.insert("dir", |_, a| one(a, "dir", dir));
    m.insert("osDir", |_, a| one(a, "osDir", dir));
    m.insert("clean", |_, a| one(a, "clean", clean));
    m.insert("osClean", |_, a| one(a, "osClean", clean));
    m.insert("ext", |_, a| one(a, "ext", ext));
    m.insert("osExt", |_, a| one(a, "osExt", ext));
    m.insert("isAbs", is_abs);
    m.insert("osIsAbs", is_abs);
}

fn one(a: &[Value], name: &str, f: fn(&str) -> String) -> FnResult {
    exactly(a, 1, name)?;
    text(f(string(&a[0])?))
}

fn is_abs(_: &mut dyn crate::Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "isAbs")?;
    Ok(Value::Bool(string(&a[0])?.starts_with('/')))
}

/// Go's `path.Clean`: the shortest equivalent path, lexically.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

pub fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}

pub fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}
