//! `urlParse` and `urlJoin`, as Go's `net/url` splits and assembles a URL: the map has
//! `scheme`, `host`, `hostname`, `path` (unescaped), `query` (raw), `opaque`, `fragment` and
//! `userinfo` (sprig 3.3 has no `port`).

use super::args::{self, exactly, text, FnResult};
use crate::{FuncError, FuncMap, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("urlParse", |_, a| {
        exactly(a, 1, "urlParse")?;
        url_parse(args::string(&a[0])?)
    });
    m.insert("urlJoin", |_, a| {
        exactly(a, 1, "urlJoin")?;
        let get = |k: &str| -> String {
            match args::map(&a[0]) {
                Ok(Some(m)) => m.borrow().get(k).map(args::strval).unwrap_or_default(),
                _ => String::new(),
            }
        };
        args::map(&a[0])?;
        text(url_join(&Parts {
            scheme: get("scheme"),
            host: get("host"),
            path: get("path"),
            query: get("query"),
            opaque: get("opaque"),
            fragment: get("fragment"),
            userinfo: get("userinfo"),
        }))
    });
}

struct Parts {
    scheme: String,
    host: String,
    path: String,
    query: String,
    opaque: String,
    fragment: String,
    userinfo: String,
}

fn unescape(s: &str) -> Result<String, FuncError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    FuncError(format!(
                        "invalid URL escape {}",
                        crate::quote(s.get(i..(i + 3).min(s.len())).unwrap_or("%"))
                    ))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn url_parse(raw: &str) -> FnResult {
    let fail = |e: FuncError| {
        FuncError(format!(
            "unable to parse url: parse {}: {e}",
            crate::quote(raw)
        ))
    };
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, unescape(f).map_err(fail)?),
        None => (raw, String::new()),
    };
    let mut scheme = String::new();
    let mut rest = rest;
    if let Some(colon) = rest.find(':') {
        let candidate = &rest[..colon];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = candidate.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        } else if colon == 0 {
            return Err(fail(FuncError::new("missing protocol scheme")));
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q.to_string()),
        None => (rest, String::new()),
    };
    let (mut host, mut userinfo, mut opaque, mut path) =
        (String::new(), String::new(), String::new(), String::new());
    if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest.to_string();
    } else if let Some(after) = rest.strip_prefix("//") {
        let (authority, p) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        match authority.rsplit_once('@') {
            Some((u, h)) => {
                userinfo = u.to_string();
                host = h.to_string();
            }
            None => host = authority.to_string(),
        }
        path = unescape(p).map_err(fail)?;
    } else {
        path = unescape(rest).map_err(fail)?;
    }
    let hostname = hostname(&host);
    Ok(Value::map_from(
        [
            ("scheme", scheme),
            ("host", host.clone()),
            ("hostname", hostname),
            ("path", path),
            ("query", query),
            ("opaque", opaque),
            ("fragment", fragment),
            ("userinfo", userinfo),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v))),
    ))
}

/// Go's `URL.Hostname()`: the host without its port, brackets dropped from IPv6 literals.
fn hostname(host: &str) -> String {
    if let Some(inner) = host.strip_prefix('[') {
        if let Some(end) = inner.find(']') {
            return inner[..end].to_string();
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => host.to_string(),
    }
}

fn escape(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `URL.String()` for the parts sprig sets.
fn url_join(p: &Parts) -> String {
    let mut out = String::new();
    if !p.scheme.is_empty() {
        out.push_str(&p.scheme);
        out.push(':');
    }
    if !p.opaque.is_empty() {
        out.push_str(&p.opaque);
    } else {
        if !p.scheme.is_empty() || !p.host.is_empty() || !p.userinfo.is_empty() {
            if !p.host.is_empty() || !p.path.is_empty() || !p.userinfo.is_empty() {
                out.push_str("//");
            }
            if !p.userinfo.is_empty() {
                out.push_str(&p.userinfo);
                out.push('@');
            }
            out.push_str(&p.host);
        }
        if !p.path.is_empty() && !p.path.starts_with('/') && !p.host.is_empty() {
            out.push('/');
        }
        out.push_str(&escape(&p.path, "!$&'()*+,;=:@/"));
    }
    if !p.query.is_empty() {
        out.push('?');
        out.push_str(&p.query);
    }
    if !p.fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&p.fragment, "!$&'()*+,;=:@/?"));
    }
    out
}
