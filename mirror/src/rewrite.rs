//! `rewrite`: point the image references in Kubernetes YAML and Helm values at the mirror.
//!
//! The text is edited line by line, never re-serialised, so comments, quoting, key order and
//! formatting survive; only the scalar value of a recognised key changes:
//! - `image: <reference>` becomes `image: HOST:PORT/<normalised reference>` (tag and digest kept);
//! - in a values-style mapping with both `registry:` and `repository:`, the registry becomes
//!   `HOST:PORT/<registry>`; with only `repository:`, the repository is normalised and prefixed.
//!
//! Templated values, URLs and anything else that is not a reference are left alone, and
//! references already under the mirror are not prefixed twice.

use ferry_bundler::discover::normalize_reference;

use crate::cluster_config::is_upstream_host;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("mirror {0:?} is not a HOST[:PORT] registry address")]
    Mirror(String),
}

/// One changed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 1-based line number.
    pub line: usize,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub text: String,
    pub changes: Vec<Change>,
}

/// Rewrites every image reference in `text` to live under `mirror` (`HOST[:PORT]`).
pub fn rewrite(text: &str, mirror: &str) -> Result<Rewritten, RewriteError> {
    if !is_upstream_host(mirror) {
        return Err(RewriteError::Mirror(mirror.to_owned()));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Every content line takes part in finding mapping boundaries, not only the keys we edit.
    let shapes: Vec<Option<Shape>> = lines.iter().map(|l| Shape::of(l)).collect();
    let mut out = String::with_capacity(text.len() + 64);
    let mut changes = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let edit = shapes[i]
            .as_ref()
            .and_then(|shape| Some((shape, shape.value.clone()?)));
        let new_value = edit.as_ref().and_then(|(shape, range)| {
            let value = &line[range.clone()];
            match shape.key.as_str() {
                "image" => prefixed_reference(value, mirror),
                "repository" if !has_sibling(&shapes, i, "registry") => {
                    prefixed_reference(value, mirror)
                }
                "registry" if has_sibling(&shapes, i, "repository") => {
                    prefixed_registry(value, mirror)
                }
                _ => None,
            }
        });
        match (new_value, edit) {
            (Some(to), Some((_, range))) => {
                out.push_str(&line[..range.start]);
                out.push_str(&to);
                out.push_str(&line[range.end..]);
                changes.push(Change {
                    line: i + 1,
                    from: line[range].to_owned(),
                    to,
                });
            }
            _ => out.push_str(line),
        }
    }
    Ok(Rewritten { text: out, changes })
}

fn under_mirror(value: &str, mirror: &str) -> bool {
    value == mirror
        || value
            .strip_prefix(mirror)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn prefixed_reference(value: &str, mirror: &str) -> Option<String> {
    if under_mirror(value, mirror) {
        return None;
    }
    let normalized = normalize_reference(value).ok()?;
    Some(format!("{mirror}/{normalized}"))
}

fn prefixed_registry(value: &str, mirror: &str) -> Option<String> {
    if under_mirror(value, mirror) {
        return None;
    }
    let host = ferry_bundler::format::host::canonical_registry(value);
    is_upstream_host(host).then(|| format!("{mirror}/{host}"))
}

/// Whether the mapping that holds line `i`'s key also has `key` (at the same column, before
/// the parent's indentation or the next sequence item ends the mapping).
fn has_sibling(shapes: &[Option<Shape>], i: usize, key: &str) -> bool {
    let Some(me) = &shapes[i] else {
        return false;
    };
    let col = me.key_col;
    // Upwards, unless this line opens its sequence item.
    if !me.dashed {
        for shape in shapes[..i].iter().rev().flatten() {
            if shape.indent < col && !(shape.dashed && shape.key_col == col) {
                break;
            }
            if shape.key_col == col {
                if shape.key == key {
                    return true;
                }
                if shape.dashed {
                    break;
                }
            }
        }
    }
    for shape in shapes[i + 1..].iter().flatten() {
        if shape.indent < col || (shape.dashed && shape.key_col <= col) {
            break;
        }
        if shape.key_col == col && shape.key == key {
            return true;
        }
    }
    false
}

/// The structure of one content line (blank and comment lines have none): where it starts,
/// its key if it has one, and, for the keys this module edits, the scalar value.
#[derive(Debug, Clone)]
struct Shape {
    /// Column of the first non-space character (a dash or the key).
    indent: usize,
    /// Column of the key (after any `- ` markers).
    key_col: usize,
    /// The line starts a sequence item (`- key: ...`).
    dashed: bool,
    /// Empty for lines that are not `key:` lines (plain sequence items, block scalar text).
    key: String,
    /// Byte range of the scalar, inside any quotes, for `image`, `repository` and `registry`.
    value: Option<std::ops::Range<usize>>,
}

const EDITED_KEYS: [&str; 3] = ["image", "repository", "registry"];

impl Shape {
    fn of(line: &str) -> Option<Shape> {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if body[indent..].is_empty() || body[indent..].starts_with('#') {
            return None;
        }
        let mut pos = indent;
        let mut dashed = false;
        while body[pos..].starts_with("- ") {
            dashed = true;
            pos += 2;
            pos += body[pos..].len() - body[pos..].trim_start_matches(' ').len();
        }
        let rest = &body[pos..];
        let key = rest
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| !k.is_empty() && !k.contains([' ', '"', '\'', '{', '[', '#']))
            .unwrap_or("");
        let value = if EDITED_KEYS.contains(&key) {
            scalar(body, pos + key.len() + 1)
        } else {
            None
        };
        Some(Shape {
            indent,
            key_col: pos,
            dashed,
            key: key.to_owned(),
            value,
        })
    }
}

/// The plain or quoted scalar after the `:` at `start - 1`, if the rest of the line is only
/// that scalar and perhaps a comment.
fn scalar(body: &str, start: usize) -> Option<std::ops::Range<usize>> {
    let after_colon = &body[start..];
    let gap = after_colon.len() - after_colon.trim_start_matches([' ', '\t']).len();
    if gap == 0 {
        // `image:` with nothing after it opens a nested mapping; that is read key by key.
        return None;
    }
    let start = start + gap;
    let value_text = &body[start..];
    let (range, tail_start) = match value_text.chars().next()? {
        q @ ('"' | '\'') => {
            let close = value_text[1..].find(q)? + 1;
            if value_text[1..close].contains('\\') {
                return None;
            }
            (start + 1..start + close, start + close + 1)
        }
        _ => {
            let end = value_text.find(" #").unwrap_or(value_text.len());
            let v = value_text[..end].trim_end();
            (start..start + v.len(), start + v.len())
        }
    };
    let tail = body[tail_start..].trim_start();
    let only_scalar = tail.is_empty() || tail.starts_with('#');
    (only_scalar && !range.is_empty()).then_some(range)
}

#[cfg(test)]
mod tests;
