//! The small regular-expression subset chart helpers use with `regexFind` (digit runs,
//! version numbers): literals, `.`, `\d`, `\.`-style escapes, `[...]` classes with ranges, and
//! the `+`, `*`, `?` quantifiers. Anything else is unsupported and yields no match.

#[derive(Debug, Clone)]
enum Atom {
    Any,
    Char(char),
    Class(Vec<(char, char)>, bool),
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

fn parse(pattern: &str) -> Option<Vec<Piece>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let atom = match chars[i] {
            '.' => Atom::Any,
            '\\' => {
                i += 1;
                match *chars.get(i)? {
                    'd' => Atom::Class(vec![('0', '9')], false),
                    'w' => Atom::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
                    c if !c.is_alphanumeric() => Atom::Char(c),
                    _ => return None,
                }
            }
            '[' => {
                let mut ranges = Vec::new();
                i += 1;
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                while *chars.get(i)? != ']' {
                    let start = chars[i];
                    if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|c| *c != ']')
                    {
                        ranges.push((start, chars[i + 2]));
                        i += 3;
                    } else {
                        ranges.push((start, start));
                        i += 1;
                    }
                }
                Atom::Class(ranges, negated)
            }
            '(' | ')' | '|' | '{' | '}' | '^' | '$' | '+' | '*' | '?' => return None,
            c => Atom::Char(c),
        };
        i += 1;
        let (min, max) = match chars.get(i) {
            Some('+') => (1, usize::MAX),
            Some('*') => (0, usize::MAX),
            Some('?') => (0, 1),
            _ => (1, 1),
        };
        if min != 1 || max != 1 {
            i += 1;
        }
        pieces.push(Piece { atom, min, max });
    }
    Some(pieces)
}

fn matches_atom(atom: &Atom, c: char) -> bool {
    match atom {
        Atom::Any => c != '\n',
        Atom::Char(x) => *x == c,
        Atom::Class(ranges, negated) => {
            ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *negated
        }
    }
}

/// Greedy match with backtracking; returns the end index of a match starting at `pos`.
fn match_here(pieces: &[Piece], text: &[char], pos: usize) -> Option<usize> {
    let Some((piece, rest)) = pieces.split_first() else {
        return Some(pos);
    };
    let mut count = 0;
    while count < piece.max
        && pos + count < text.len()
        && matches_atom(&piece.atom, text[pos + count])
    {
        count += 1;
    }
    loop {
        if count >= piece.min {
            if let Some(end) = match_here(rest, text, pos + count) {
                return Some(end);
            }
        }
        if count == 0 {
            return None;
        }
        count -= 1;
    }
}

/// The leftmost match of `pattern` in `text`, like sprig's `regexFind`; `None` when the pattern
/// is outside the supported subset or nothing matches.
pub(crate) fn find<'t>(pattern: &str, text: &'t str) -> Option<&'t str> {
    let pieces = parse(pattern)?;
    let chars: Vec<char> = text.chars().collect();
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    (0..=chars.len()).find_map(|start| {
        match_here(&pieces, &chars, start).map(|end| &text[offsets[start]..offsets[end]])
    })
}

#[cfg(test)]
mod tests {
    use super::find;
    use rstest::rstest;

    #[rstest]
    #[case("[0-9]+", "33+", Some("33"))]
    #[case("v[0-9]+\\.[0-9]+\\.[0-9]+", "v1.33.0-eks", Some("v1.33.0"))]
    #[case("\\d+", "abc", None)]
    #[case("(a|b)", "a", None)]
    fn finds(#[case] pattern: &str, #[case] text: &str, #[case] expected: Option<&str>) {
        assert_eq!(find(pattern, text), expected);
    }
}
