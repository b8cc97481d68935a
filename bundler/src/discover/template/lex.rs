//! Splits template source into literal text and `{{ action }}` pieces with line numbers.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text { text: String, line: usize },
    /// The action body without delimiters or trim markers.
    Action { body: String, line: usize },
}

pub(crate) fn lex(src: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = src;
    let mut line = 1usize;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text {
                text: rest[..open].to_owned(),
                line,
            });
            line += rest[..open].matches('\n').count();
        }
        let after = &rest[open + 2..];
        let Some(close) = find_close(after) else {
            // Unterminated action: keep the remainder as text so nothing is dropped.
            pieces.push(Piece::Text {
                text: rest[open..].to_owned(),
                line,
            });
            return pieces;
        };
        let raw = &after[..close];
        let body = raw.trim_start_matches('-').trim_end_matches('-').trim();
        if !(body.starts_with("/*") && body.ends_with("*/")) {
            pieces.push(Piece::Action {
                body: body.to_owned(),
                line,
            });
        }
        line += raw.matches('\n').count();
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text {
            text: rest.to_owned(),
            line,
        });
    }
    pieces
}

/// Index of the closing `}}`, skipping quoted strings and comments.
fn find_close(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let trimmed = s.trim_start_matches('-').trim_start();
    if trimmed.starts_with("/*") {
        let offset = s.len() - trimmed.len();
        let end = trimmed.find("*/")? + offset + 2;
        return s[end..].find("}}").map(|i| i + end);
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}
