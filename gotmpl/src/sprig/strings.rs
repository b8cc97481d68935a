//! sprig's string functions. Go strings are bytes: where sprig slices by byte (`trunc`,
//! `substr`, `abbrev`) so do these, and a cut inside a UTF-8 character yields U+FFFD.

use super::args::{self, exactly, int, string, strval, text, FnResult};
use super::{case, det};
use crate::bound::check_text_size;
use crate::{FuncError, FuncMap, Runtime, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("abbrev", abbrev);
    m.insert("abbrevboth", abbrevboth);
    m.insert("trunc", trunc);
    m.insert("trim", |_, a| one_str(a, "trim", |s| s.trim().to_string()));
    m.insert("upper", |_, a| {
        one_str(a, "upper", |s| s.chars().map(case::upper_one).collect())
    });
    m.insert("lower", |_, a| {
        one_str(a, "lower", |s| s.chars().map(case::lower_one).collect())
    });
    m.insert("title", |_, a| one_str(a, "title", title));
    m.insert("untitle", |_, a| one_str(a, "untitle", untitle));
    m.insert("substr", substr);
    m.insert("repeat", repeat);
    m.insert("trimall", trim_all);
    m.insert("trimAll", trim_all);
    m.insert("trimSuffix", trim_suffix);
    m.insert("trimPrefix", trim_prefix);
    m.insert("nospace", |_, a| one_str(a, "nospace", delete_white_space));
    m.insert("initials", |_, a| one_str(a, "initials", initials));
    m.insert("swapcase", |_, a| one_str(a, "swapcase", case::swap_case));
    m.insert("shuffle", |_, a| one_str(a, "shuffle", shuffle));
    m.insert("snakecase", |_, a| {
        one_str(a, "snakecase", |s| case::to_lower_case_words(s, '_'))
    });
    m.insert("kebabcase", |_, a| {
        one_str(a, "kebabcase", |s| case::to_lower_case_words(s, '-'))
    });
    m.insert("camelcase", |_, a| {
        one_str(a, "camelcase", case::to_camel_case)
    });
    m.insert("wrap", wrap);
    m.insert("wrapWith", wrap_with);
    m.insert("contains", |_, a| {
        two_str_bool(a, "contains", |sub, s| s.contains(sub))
    });
    m.insert("hasPrefix", |_, a| {
        two_str_bool(a, "hasPrefix", |p, s| s.starts_with(p))
    });
    m.insert("hasSuffix", |_, a| {
        two_str_bool(a, "hasSuffix", |p, s| s.ends_with(p))
    });
    m.insert("quote", quote);
    m.insert("squote", squote);
    m.insert("cat", cat);
    m.insert("indent", indent);
    m.insert("nindent", nindent);
    m.insert("replace", replace);
    m.insert("plural", plural);
    m.insert("split", split);
    m.insert("splitList", split_list);
    m.insert("splitn", splitn);
    m.insert("join", join);
}

fn one_str(a: &[Value], name: &str, f: impl Fn(&str) -> String) -> FnResult {
    exactly(a, 1, name)?;
    text(f(string(&a[0])?))
}

fn two_str_bool(a: &[Value], name: &str, f: impl Fn(&str, &str) -> bool) -> FnResult {
    exactly(a, 2, name)?;
    Ok(Value::Bool(f(string(&a[0])?, string(&a[1])?)))
}

/// Bytes `from..to` of `s` as a string (lossy where the cut splits a character).
fn bytes_str(s: &str, from: usize, to: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned()
}

fn out_of_range(what: String) -> FuncError {
    FuncError(format!("runtime error: slice bounds out of range {what}"))
}

/// goutils `AbbreviateFull`, by bytes.
fn abbreviate_full(s: &str, offset: i64, width: i64) -> Option<String> {
    let len = s.len() as i64;
    if s.is_empty() {
        return Some(String::new());
    }
    if width < 4 {
        return None;
    }
    if len <= width {
        return Some(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < width - 3 {
        offset = len - (width - 3);
    }
    if offset <= 4 {
        return Some(bytes_str(s, 0, (width - 3) as usize) + "...");
    }
    if width < 7 {
        return None;
    }
    if offset + width - 3 < len {
        let tail = bytes_str(s, offset as usize, s.len());
        return abbreviate_full(&tail, 0, width - 3).map(|t| format!("...{t}"));
    }
    Some(format!(
        "...{}",
        bytes_str(s, (len - (width - 3)) as usize, s.len())
    ))
}

fn abbrev(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "abbrev")?;
    let (width, s) = (int(&a[0])?, string(&a[1])?);
    if width < 4 {
        return text(s);
    }
    text(abbreviate_full(s, 0, width).unwrap_or_default())
}

fn abbrevboth(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "abbrevboth")?;
    let (left, right, s) = (int(&a[0])?, int(&a[1])?, string(&a[2])?);
    if right < 4 || (left > 0 && right < 7) {
        return text(s);
    }
    text(abbreviate_full(s, left, right).unwrap_or_default())
}

fn trunc(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "trunc")?;
    let (c, s) = (int(&a[0])?, string(&a[1])?);
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return text(bytes_str(s, (len + c) as usize, s.len()));
    }
    if c >= 0 && len > c {
        return text(bytes_str(s, 0, c as usize));
    }
    text(s)
}

/// Go's `strings.Title`: a letter after a separator is upper-cased.
fn title(s: &str) -> String {
    let is_separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_separator(prev) {
            out.push(case::upper_one(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// goutils `Uncapitalize`: the first letter of each space-separated word lower-cased.
fn untitle(s: &str) -> String {
    let mut next = true;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() {
            out.push(c);
            next = true;
        } else if next {
            out.push(case::lower_one(c));
            next = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn substr(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "substr")?;
    let (start, end, s) = (int(&a[0])?, int(&a[1])?, string(&a[2])?);
    let len = s.len() as i64;
    if start < 0 {
        if end < 0 || end > len {
            return Err(out_of_range(format!("[:{end}] with length {len}")));
        }
        return text(bytes_str(s, 0, end as usize));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(out_of_range(format!("[{start}:{len}]")));
        }
        return text(bytes_str(s, start as usize, s.len()));
    }
    if start > end {
        return Err(out_of_range(format!("[{start}:{end}]")));
    }
    text(bytes_str(s, start as usize, end as usize))
}

fn repeat(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "repeat")?;
    let (count, s) = (int(&a[0])?, string(&a[1])?);
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let count = usize::try_from(count).ok();
    check_text_size("repeat", count.and_then(|c| c.checked_mul(s.len())))?;
    text(s.repeat(count.unwrap_or(0)))
}

fn trim_all(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "trimAll")?;
    let (cutset, s) = (string(&a[0])?, string(&a[1])?);
    text(s.trim_matches(|c| cutset.contains(c)))
}

fn trim_suffix(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "trimSuffix")?;
    let (suffix, s) = (string(&a[0])?, string(&a[1])?);
    text(s.strip_suffix(suffix).unwrap_or(s))
}

fn trim_prefix(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "trimPrefix")?;
    let (prefix, s) = (string(&a[0])?, string(&a[1])?);
    text(s.strip_prefix(prefix).unwrap_or(s))
}

/// goutils `DeleteWhiteSpace`: it walks bytes, not characters, so each byte of a non-ASCII
/// character comes out as the Latin-1 character of that value (`\u00a0` → `Â`), as in Helm.
fn delete_white_space(s: &str) -> String {
    s.bytes()
        .map(char::from)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// goutils `Initials`: the first character of each space-separated word.
fn initials(s: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for c in s.chars() {
        if c.is_whitespace() {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

/// xstrings `Shuffle`'s Fisher-Yates, drawing from a stream seeded by the string itself, so
/// the same input always gives the same permutation.
fn shuffle(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let mut rng = det::Stream::new(s);
    for i in (1..chars.len()).rev() {
        let j = rng.below(i + 1);
        chars.swap(i, j);
    }
    chars.into_iter().collect()
}

/// goutils `WrapCustom`, by bytes: break at the last space within `width`; a longer word is
/// cut (`long_words`) or left whole up to the next space.
fn wrap_custom(
    s: &str,
    width: i64,
    newline: &str,
    long_words: bool,
    what: &str,
) -> Result<String, FuncError> {
    if s.is_empty() {
        return Ok(String::new());
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::with_capacity(len + 8);
    while len - offset > width {
        // Every break adds `newline`: a long one at width 1 multiplies the text.
        check_text_size(what, Some(out.len()))?;
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        if let Some(space) = b[offset..end].iter().rposition(|&c| c == b' ') {
            let at = offset + space;
            out.extend_from_slice(&b[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if long_words {
            out.extend_from_slice(&b[offset..offset + width]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(i) => {
                    out.extend_from_slice(&b[offset..end + i]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn wrap(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "wrap")?;
    text(wrap_custom(string(&a[1])?, int(&a[0])?, "", false, "wrap")?)
}

fn wrap_with(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "wrapWith")?;
    text(wrap_custom(
        string(&a[2])?,
        int(&a[0])?,
        string(&a[1])?,
        true,
        "wrapWith",
    )?)
}

fn quote(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| crate::quote(&strval(v)))
        .collect();
    text(parts.join(" "))
}

fn squote(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| format!("'{v}'"))
        .collect();
    text(parts.join(" "))
}

fn cat(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| v.to_string())
        .collect();
    text(parts.join(" "))
}

fn indent_by(a: &[Value], name: &str) -> Result<String, FuncError> {
    exactly(a, 2, name)?;
    let (n, s) = (int(&a[0])?, string(&a[1])?);
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let n = usize::try_from(n).ok();
    let lines = s.matches('\n').count() + 1;
    let size = n.and_then(|n| n.checked_mul(lines)?.checked_add(s.len()));
    check_text_size(name, size)?;
    let pad = " ".repeat(n.unwrap_or(0));
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

fn indent(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    text(indent_by(a, "indent")?)
}

fn nindent(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    text(format!("\n{}", indent_by(a, "nindent")?))
}

fn replace(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "replace")?;
    let (old, new, src) = (string(&a[0])?, string(&a[1])?, string(&a[2])?);
    let matches = if old.is_empty() {
        src.chars().count() + 1
    } else {
        src.matches(old).count()
    };
    let size = matches
        .checked_mul(new.len())
        .and_then(|n| n.checked_add(src.len()));
    check_text_size("replace", size)?;
    text(go_replace_all(src, old, new))
}

/// Go's `strings.Replace(s, old, new, -1)`: an empty `old` inserts `new` around every
/// character, which Rust's `replace` also does.
fn go_replace_all(s: &str, old: &str, new: &str) -> String {
    s.replace(old, new)
}

fn plural(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "plural")?;
    let (one, many, count) = (string(&a[0])?, string(&a[1])?, int(&a[2])?);
    text(if count == 1 { one } else { many })
}

/// Go's `strings.SplitN` (`n < 0`: all parts); an empty separator splits characters.
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let limit = if n < 0 {
            chars.len()
        } else {
            (n as usize).min(chars.len())
        };
        let mut parts: Vec<String> = chars[..limit.saturating_sub(1)]
            .iter()
            .map(|c| c.to_string())
            .collect();
        if limit > 0 {
            parts.push(chars[limit - 1..].iter().collect());
        }
        return parts;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

fn indexed_parts(parts: Vec<String>) -> Value {
    args::new_map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::String(p)))
            .collect(),
    )
}

fn split(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "split")?;
    Ok(indexed_parts(go_split(string(&a[1])?, string(&a[0])?, -1)))
}

fn splitn(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "splitn")?;
    let (sep, n, s) = (string(&a[0])?, int(&a[1])?, string(&a[2])?);
    Ok(indexed_parts(go_split(s, sep, n)))
}

fn split_list(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "splitList")?;
    Ok(args::string_list(go_split(
        string(&a[1])?,
        string(&a[0])?,
        -1,
    )))
}

fn join(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "join")?;
    let sep = string(&a[0])?;
    text(args::strslice(&a[1]).join(sep))
}
