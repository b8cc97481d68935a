//! `.Files`: a chart's non-template files with Helm's methods (`Get`, `GetBytes`, `Glob`,
//! `AsConfig`, `AsSecrets`, `Lines`). `Glob` takes gobwas/glob patterns with `/` as the
//! separator, as Helm does: `*` and `?` stay within a path segment, `**` crosses them;
//! `[a-z]`, `[!x]` and `{a,b}` as usual.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use ferry_gotmpl::{FuncError, Object, Value};

/// Files by chart-relative path.
#[derive(Debug, Clone)]
pub struct Files(pub Rc<BTreeMap<String, Vec<u8>>>);

impl Files {
    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    fn get(&self, name: &str) -> String {
        self.0
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// The files whose path matches `pattern`; a pattern that does not compile matches
    /// everything (Helm falls back to `**`).
    pub fn glob(&self, pattern: &str) -> Files {
        let compiled = Pattern::compile(pattern).unwrap_or(Pattern(vec![Token::SuperStar]));
        Files(Rc::new(
            self.0
                .iter()
                .filter(|(name, _)| compiled.matches(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
    }

    /// Helm's `AsConfig`: a YAML map of base name to content (empty for no files).
    pub fn as_config(&self) -> String {
        self.yaml_by_base_name(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }

    /// Helm's `AsSecrets`: a YAML map of base name to base64 content.
    pub fn as_secrets(&self) -> String {
        self.yaml_by_base_name(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Helm's `toYAML` of the map of base name to content: go-yaml's layout (block scalars
    /// for multi-line text), which templates that `quote` or `indent` it print as text.
    fn yaml_by_base_name(&self, encode: impl Fn(&[u8]) -> String) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let by_base = ferry_gotmpl::Value::map_from(self.0.iter().map(|(name, data)| {
            let base = name.rsplit('/').next().unwrap_or(name).to_owned();
            (base, ferry_gotmpl::Value::String(encode(data)))
        }));
        ferry_gotmpl::helm::to_yaml(&by_base, ferry_gotmpl::helm::TO_YAML).unwrap_or_default()
    }

    /// Helm's `Lines`: the file split on newlines, without a final empty line.
    pub fn lines(&self, name: &str) -> Vec<String> {
        let Some(bytes) = self.0.get(name) else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.split('\n').map(str::to_owned).collect()
    }
}

fn string_arg(method: &str, args: &[Value]) -> Result<String, FuncError> {
    match args {
        [Value::String(s)] => Ok(s.clone()),
        [other] => Err(FuncError::new(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        ))),
        _ => Err(FuncError::new(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        ))),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(Value::String(self.as_config())),
            "AsSecrets" => Some(Value::String(self.as_secrets())),
            // A Go map type: `.Files.name` reads a key.
            _ => self.0.get(name).map(|_| Value::String(self.get(name))),
        }
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let result = match name {
            // Bytes are handed out as a string: sprig's functions take strings, and Go's
            // `[]byte` printing (`[104 105]`) is never what a chart wants.
            "Get" | "GetBytes" => string_arg(name, args).map(|n| Value::String(self.get(&n))),
            "Glob" => string_arg(name, args).map(|p| self.glob(&p).value()),
            "Lines" => string_arg(name, args)
                .map(|n| Value::list_from(self.lines(&n).into_iter().map(Value::String))),
            "AsConfig" | "AsSecrets" => self.field(name).ok_or_else(|| FuncError::new("")),
            _ => return None,
        };
        Some(result)
    }

    /// `map[string][]byte`, bytes as strings (see `Get`).
    fn underlying(&self) -> Option<Value> {
        Some(Value::map_from(
            self.0
                .keys()
                .map(|k| (k.clone(), Value::String(self.get(k)))),
        ))
    }

    fn display(&self) -> String {
        // Go prints a []byte as its numbers: `[104 105]`.
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| {
                let bytes: Vec<String> = v.iter().map(u8::to_string).collect();
                format!("{k}:[{}]", bytes.join(" "))
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    /// `?`
    Any,
    /// `*`
    Star,
    /// `**`
    SuperStar,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alternatives(Vec<Vec<Token>>),
}

/// A compiled glob pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Vec<Token>);

impl Pattern {
    /// `None` for a malformed pattern (an unclosed `[` or `{`).
    pub fn compile(pattern: &str) -> Option<Pattern> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let tokens = parse_sequence(&chars, &mut pos, false)?;
        (pos == chars.len()).then_some(Pattern(tokens))
    }

    pub fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        match_tokens(&self.0, &chars)
    }
}

/// Parses until the end, or (inside `{}`) until `,` or `}`, which it leaves unconsumed.
fn parse_sequence(chars: &[char], pos: &mut usize, in_braces: bool) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    while let Some(&c) = chars.get(*pos) {
        if in_braces && (c == ',' || c == '}') {
            return Some(tokens);
        }
        *pos += 1;
        match c {
            '\\' => {
                let escaped = *chars.get(*pos)?;
                *pos += 1;
                tokens.push(Token::Literal(escaped));
            }
            '?' => tokens.push(Token::Any),
            '*' => {
                if chars.get(*pos) == Some(&'*') {
                    *pos += 1;
                    tokens.push(Token::SuperStar);
                } else {
                    tokens.push(Token::Star);
                }
            }
            '[' => tokens.push(parse_class(chars, pos)?),
            '{' => {
                let mut alternatives = Vec::new();
                loop {
                    alternatives.push(parse_sequence(chars, pos, true)?);
                    match chars.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                tokens.push(Token::Alternatives(alternatives));
            }
            other => tokens.push(Token::Literal(other)),
        }
    }
    (!in_braces).then_some(tokens)
}

fn parse_class(chars: &[char], pos: &mut usize) -> Option<Token> {
    let negated = chars.get(*pos) == Some(&'!');
    if negated {
        *pos += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let c = *chars.get(*pos)?;
        *pos += 1;
        if c == ']' {
            break;
        }
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|&e| e != ']') {
            let end = chars[*pos + 1];
            *pos += 2;
            ranges.push((c, end));
        } else {
            ranges.push((c, c));
        }
    }
    Some(Token::Class { negated, ranges })
}

fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match first {
        Token::Literal(c) => text.first() == Some(c) && match_tokens(rest, &text[1..]),
        Token::Any => text.first().is_some_and(|&c| c != '/') && match_tokens(rest, &text[1..]),
        Token::Class { negated, ranges } => {
            text.first().is_some_and(|&c| {
                // gobwas lists and ranges do not treat the separator specially.
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != *negated
            }) && match_tokens(rest, &text[1..])
        }
        Token::Star => {
            for skip in 0..=text.len() {
                if match_tokens(rest, &text[skip..]) {
                    return true;
                }
                if text.get(skip) == Some(&'/') {
                    break;
                }
            }
            false
        }
        Token::SuperStar => (0..=text.len()).any(|skip| match_tokens(rest, &text[skip..])),
        Token::Alternatives(alternatives) => alternatives.iter().any(|alt| {
            let mut joined = alt.clone();
            joined.extend_from_slice(rest);
            match_tokens(&joined, text)
        }),
    }
}
