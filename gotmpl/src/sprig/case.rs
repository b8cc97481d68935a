//! Case conversions as huandu/xstrings v1.5.0 (what Helm 3 builds with) does them (sprig's `snakecase`, `kebabcase`,
//! `camelcase`, `swapcase`), with its word splitting: upper-case runs, letters, numbers,
//! punctuation and connectors (`-`, `_`, spaces) are separate words.

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// A letter that is not a CJK ideograph (xstrings' `isAlphabet`).
fn is_alphabet(c: char) -> bool {
    if !c.is_alphabetic() {
        return false;
    }
    let u = c as u32;
    !((0x4E00..=0x9FCC).contains(&u)
        || (0x3400..=0x4D85).contains(&u)
        || (0x20000..=0x2B81D).contains(&u)
        || (0xF900..=0xFAD9).contains(&u)
        || (0x2F800..=0x2FA1D).contains(&u))
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~')
        || (!c.is_ascii()
            && !c.is_alphanumeric()
            && !c.is_whitespace()
            && !c.is_control()
            && is_unicode_punct(c))
}

/// Unicode punctuation outside ASCII that charts may meet (CJK brackets and marks).
fn is_unicode_punct(c: char) -> bool {
    matches!(c as u32, 0x2010..=0x2027 | 0x3001..=0x3003 | 0x3008..=0x3011 | 0xFF01..=0xFF0F | 0xFF1A..=0xFF1B | 0xFF1F)
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn next_char(s: &str) -> Option<(char, usize)> {
    s.chars().next().map(|c| (c, c.len_utf8()))
}

/// The next word of `s`: its type, its text and the rest.
fn next_word(s: &str) -> (Word, &str, &str) {
    let Some((first, size)) = next_char(s) else {
        return (Word::Invalid, "", "");
    };
    let mut offset = size;
    let run = |offset: &mut usize, pred: &dyn Fn(char) -> bool| {
        while let Some((c, sz)) = next_char(&s[*offset..]) {
            if !pred(c) {
                break;
            }
            *offset += sz;
        }
    };
    let wt = if is_connector(first) {
        run(&mut offset, &is_connector);
        Word::Connector
    } else if is_punct(first) {
        run(&mut offset, &is_punct);
        Word::Punct
    } else if first.is_uppercase() {
        if let Some((c, sz)) = next_char(&s[offset..]) {
            if c.is_uppercase() {
                let mut prev = sz;
                offset += sz;
                let mut stopped_on = None;
                while let Some((c, sz)) = next_char(&s[offset..]) {
                    if !c.is_uppercase() {
                        stopped_on = Some(c);
                        break;
                    }
                    prev = sz;
                    offset += sz;
                }
                // "HTTPServer": the last capital starts the next word.
                if stopped_on.is_some_and(is_alphabet) {
                    offset -= prev;
                }
            } else if is_alphabet(c) {
                offset += sz;
                run(&mut offset, &|c| is_alphabet(c) && !c.is_uppercase());
            }
        }
        Word::Upper
    } else if is_alphabet(first) {
        run(&mut offset, &|c| is_alphabet(c) && !c.is_uppercase());
        Word::Alphabet
    } else if is_number(first) {
        run(&mut offset, &is_number);
        Word::Number
    } else {
        run(&mut offset, &|c| {
            !(is_connector(c) || is_alphabet(c) || is_number(c) || is_punct(c))
        });
        Word::Other
    };
    (wt, &s[..offset], &s[offset..])
}

fn push_lower(out: &mut String, wt: Word, word: &str, connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else if c.is_uppercase() {
            out.push(lower_one(c));
        } else {
            out.push(c);
        }
    }
}

/// `snakecase` (connector `_`) and `kebabcase` (connector `-`).
pub fn to_lower_case_words(s: &str, connector: char) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    if s.is_empty() {
        return out;
    }
    let (mut wt, mut word, mut remaining) = next_word(s);
    while !remaining.is_empty() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, remaining) = next_word(remaining);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if remaining.is_empty() {
                    continue;
                }
                let number = word;
                (wt, word, remaining) = next_word(remaining);
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Word::Number, number, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

/// `camelcase` as Helm 3.17 gives it (xstrings 1.5.0, checked against `helm template`):
/// connectors dropped and the letter after one upper-cased; a word that starts with a capital
/// has the capitals right after it lowered (`GOLANG` → `Golang`, `HTTPServer` → `Httpserver`),
/// while other case is kept (`fooBAR` → `FooBAR`, `helloWorld` → `HelloWorld`).
pub fn to_camel_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    // Leading connectors stay.
    let mut first = None;
    let mut last_connector = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first = Some(c);
            break;
        }
        out.push(c);
        last_connector = Some(c);
    }
    let Some(first) = first else {
        // Only connectors: xstrings writes the last one once more.
        if let Some(c) = last_connector {
            out.push(c);
        }
        return out;
    };
    let mut lowering = first.is_uppercase();
    let mut r0 = upper_one(first);
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            lowering = r0.is_uppercase();
            r0 = upper_one(r0);
        } else {
            if r0.is_uppercase() {
                if lowering {
                    r0 = lower_one(r0);
                }
            } else {
                lowering = false;
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// Go's `unicode.ToUpper`: one character for one (`ß` stays `ß`).
pub fn upper_one(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower`: one character for one (`İ` → `i`).
pub fn lower_one(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// `swapcase`: upper to lower and lower to upper.
pub fn swap_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_uppercase() {
            out.push(lower_one(c));
        } else if c.is_lowercase() {
            out.push(upper_one(c));
        } else {
            out.push(c);
        }
    }
    out
}
