//! sprig's regex functions on Go's RE2 syntax. The `regex` crate takes nearly the same
//! syntax; Go's Perl classes are ASCII-only, so `\d`, `\w`, `\s` and `\b` are rewritten to
//! their ASCII forms before compiling. `$1`, `${1}` and `${name}` expand as in Go.

use super::args::{exactly, int, string, string_list, text, FnResult};
use crate::{FuncError, FuncMap, Value};
use regex::{NoExpand, Regex};
use std::cell::RefCell;
use std::collections::HashMap;

pub fn register(m: &mut FuncMap) {
    m.insert("regexMatch", |_, a| {
        exactly(a, 2, "regexMatch")?;
        let s = string(&a[1])?;
        Ok(Value::Bool(
            compile(string(&a[0])?).is_ok_and(|r| r.is_match(s)),
        ))
    });
    m.insert("mustRegexMatch", |_, a| {
        exactly(a, 2, "mustRegexMatch")?;
        let r = compile(string(&a[0])?)?;
        Ok(Value::Bool(r.is_match(string(&a[1])?)))
    });
    m.insert("regexFindAll", |rt, a| find_all(rt, a, must_compile));
    m.insert("mustRegexFindAll", |rt, a| find_all(rt, a, compile));
    m.insert("regexFind", |_, a| {
        exactly(a, 2, "regexFind")?;
        let r = must_compile(string(&a[0])?)?;
        text(r.find(string(&a[1])?).map_or("", |m| m.as_str()))
    });
    m.insert("mustRegexFind", |_, a| {
        exactly(a, 2, "mustRegexFind")?;
        let r = compile(string(&a[0])?)?;
        text(r.find(string(&a[1])?).map_or("", |m| m.as_str()))
    });
    m.insert("regexReplaceAll", |rt, a| replace_all(rt, a, must_compile));
    m.insert("mustRegexReplaceAll", |rt, a| replace_all(rt, a, compile));
    m.insert("regexReplaceAllLiteral", |rt, a| {
        replace_all_literal(rt, a, must_compile)
    });
    m.insert("mustRegexReplaceAllLiteral", |rt, a| {
        replace_all_literal(rt, a, compile)
    });
    m.insert("regexSplit", |rt, a| split(rt, a, must_compile));
    m.insert("mustRegexSplit", |rt, a| split(rt, a, compile));
    m.insert("regexQuoteMeta", |_, a| {
        exactly(a, 1, "regexQuoteMeta")?;
        text(quote_meta(string(&a[0])?))
    });
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// `regexp.MustCompile`, as the non-`must` functions call it: its panic names the pattern.
fn must_compile(pattern: &str) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| FuncError(format!("regexp: Compile(`{pattern}`): {}", e.0)))
}

/// Compiles a Go regular expression (cached: charts call these in loops).
pub fn compile(pattern: &str) -> Result<Regex, FuncError> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(r);
    }
    let r = Regex::new(&go_to_rust(pattern)).map_err(|e| {
        FuncError(format!(
            "error parsing regexp: {}",
            first_line(&e.to_string())
        ))
    })?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 512 {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    });
    Ok(r)
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// Rewrites Go's ASCII Perl classes and word boundaries for the `regex` crate.
fn go_to_rust(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'Q') => {
                // `\Q…\E`: literal text.
                chars.next();
                let mut literal = String::new();
                while let Some(d) = chars.next() {
                    if d == '\\' && chars.peek() == Some(&'E') {
                        chars.next();
                        break;
                    }
                    literal.push(d);
                }
                out.push_str(&regex::escape(&literal));
            }
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let inside = class_depth > 0;
                let rep = match (n, inside) {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('s', false) => r"[\t\n\f\r ]",
                    ('S', false) => r"[^\t\n\f\r ]",
                    ('b', false) => r"(?-u:\b)",
                    ('B', false) => r"(?-u:\B)",
                    ('d', true) => "0-9",
                    ('w', true) => "0-9A-Za-z_",
                    ('s', true) => r"\t\n\f\r ",
                    ('D', true) => "[^0-9]",
                    ('W', true) => "[^0-9A-Za-z_]",
                    ('S', true) => r"[^\t\n\f\r ]",
                    ('p' | 'P', _) if chars.peek() == Some(&'{') => {
                        // A Unicode class name, `\p{Greek}`.
                        out.push('\\');
                        out.push(n);
                        for d in chars.by_ref() {
                            out.push(d);
                            if d == '}' {
                                break;
                            }
                        }
                        continue;
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(rep);
            }
            '[' => {
                out.push('[');
                if class_depth == 0 {
                    class_depth = 1;
                    // A leading `]` or `^]` is literal in a class.
                    if chars.peek() == Some(&'^') {
                        out.push(chars.next().unwrap_or('^'));
                    }
                    if chars.peek() == Some(&']') {
                        chars.next();
                        out.push_str(r"\]");
                    }
                } else if chars.peek() == Some(&':') {
                    // [:alpha:] inside a class
                    for d in chars.by_ref() {
                        out.push(d);
                        if d == ']' {
                            break;
                        }
                    }
                } else {
                    // Go has no nested classes: a `[` inside one is literal.
                    out.pop();
                    out.push_str(r"\[");
                }
            }
            // Go reads a `{` that does not start a repetition (`a{`, `{x}`) as a literal.
            '{' if class_depth == 0 && !starts_repetition(chars.clone()) => out.push_str(r"\{"),
            ']' if class_depth > 0 => {
                class_depth = 0;
                out.push(']');
            }
            // The regex crate reads `&&`, `--`, `~~` in classes as set operations.
            '&' | '-' | '~' if class_depth > 0 && chars.peek() == Some(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the text after a `{` is `n}`, `n,}` or `n,m}`.
fn starts_repetition(mut rest: std::iter::Peekable<std::str::Chars>) -> bool {
    let mut digits = 0;
    while rest.peek().is_some_and(char::is_ascii_digit) {
        rest.next();
        digits += 1;
    }
    if digits == 0 {
        return false;
    }
    if rest.peek() == Some(&',') {
        rest.next();
        while rest.peek().is_some_and(char::is_ascii_digit) {
            rest.next();
        }
    }
    rest.next() == Some('}')
}

type Compiler = fn(&str) -> Result<Regex, FuncError>;

fn find_all(_: &mut dyn crate::Runtime, a: &[Value], compile: Compiler) -> FnResult {
    exactly(a, 3, "regexFindAll")?;
    let r = compile(string(&a[0])?)?;
    let (s, n) = (string(&a[1])?, int(&a[2])?);
    let limit = if n < 0 { usize::MAX } else { n as usize };
    Ok(string_list(
        r.find_iter(s).take(limit).map(|m| m.as_str().to_string()),
    ))
}

fn replace_all(_: &mut dyn crate::Runtime, a: &[Value], compile: Compiler) -> FnResult {
    exactly(a, 3, "regexReplaceAll")?;
    let r = compile(string(&a[0])?)?;
    let (s, repl) = (string(&a[1])?, string(&a[2])?);
    text(r.replace_all(s, repl).into_owned())
}

fn replace_all_literal(_: &mut dyn crate::Runtime, a: &[Value], compile: Compiler) -> FnResult {
    exactly(a, 3, "regexReplaceAllLiteral")?;
    let r = compile(string(&a[0])?)?;
    let (s, repl) = (string(&a[1])?, string(&a[2])?);
    text(r.replace_all(s, NoExpand(repl)).into_owned())
}

/// Go's `Regexp.Split(s, n)`.
fn split(_: &mut dyn crate::Runtime, a: &[Value], compile: Compiler) -> FnResult {
    exactly(a, 3, "regexSplit")?;
    let pattern = string(&a[0])?;
    let r = compile(pattern)?;
    let (s, n) = (string(&a[1])?, int(&a[2])?);
    if n == 0 {
        return Ok(Value::list_from([]));
    }
    if !pattern.is_empty() && s.is_empty() {
        return Ok(string_list([String::new()]));
    }
    let mut parts = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in r.find_iter(s) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            parts.push(s[beg..end].to_string());
        }
        beg = m.end();
    }
    if end != s.len() {
        parts.push(s[beg..].to_string());
    }
    Ok(string_list(parts))
}

/// Go's `regexp.QuoteMeta`: only `\.+*?()|[]{}^$` are escaped.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
