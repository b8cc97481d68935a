//! Tokenising and evaluating template pipelines as far as values allow. Anything depending on
//! the release, the cluster or an unevaluated helper is `Unknown`, and callers treat unknown
//! conditions as possibly true so nothing is dropped on a guess.

use serde_json::Value;

use super::walk::Context;
use crate::discover::values::{lookup, truthy};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Open,
    Close,
    Pipe,
    Str(String),
    Word(String),
}

pub(crate) fn tokenize(body: &str) -> Vec<Token> {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            '"' | '`' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    if quote == '"' && chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                i += 1;
                tokens.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"()|\",`".contains(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    tokens
}

/// A value that may be unknown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Known(Value),
    Unknown,
}

impl Val {
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Known(v) => Some(truthy(v)),
            Val::Unknown => None,
        }
    }
}

/// Resolves a word such as `.Values.a.b`, `$.Values.a`, `.a` (inside `with`) or `$var.a`
/// to a values path; `None` when it does not name values.
pub(crate) fn values_path(word: &str, ctx: &Context) -> Option<String> {
    let word = word.trim_end_matches('.');
    for root in [".Values", "$.Values"] {
        if word == root {
            return Some(String::new());
        }
        if let Some(rest) = word.strip_prefix(root).and_then(|r| r.strip_prefix('.')) {
            return Some(rest.to_owned());
        }
    }
    if let Some(var) = word.strip_prefix('$') {
        let (name, rest) = var.split_once('.').unwrap_or((var, ""));
        // `$root.Values.x` style: a variable bound to the top-level context.
        if let Some(tail) = rest.strip_prefix("Values") {
            if tail.is_empty() || tail.starts_with('.') {
                return Some(tail.trim_start_matches('.').to_owned());
            }
        }
        let base = ctx.vars.get(name)?.clone();
        return Some(join(&base, rest));
    }
    if word == "." {
        return ctx.scope().map(str::to_owned);
    }
    if let Some(rest) = word.strip_prefix('.') {
        let first = rest.split('.').next().unwrap_or_default();
        if first.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            let scope = ctx.scope()?;
            return Some(join(scope, rest));
        }
    }
    None
}

fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (_, true) => base.to_owned(),
        (true, false) => rest.to_owned(),
        (false, false) => format!("{base}.{rest}"),
    }
}

/// Every values path mentioned in the tokens, including `index .Values.a "b-c"` forms.
pub(crate) fn referenced_paths(tokens: &[Token], ctx: &Context) -> Vec<String> {
    let mut paths = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        let Some(mut path) = values_path(word, ctx) else {
            continue;
        };
        let is_index = matches!(i.checked_sub(1).and_then(|p| tokens.get(p)), Some(Token::Word(w)) if w == "index");
        if is_index {
            for key in tokens[i + 1..].iter() {
                match key {
                    Token::Str(k) => path = join(&path, k),
                    _ => break,
                }
            }
        }
        paths.push(path);
    }
    paths
}

/// Names passed to `include`/`template`.
pub(crate) fn included_names(tokens: &[Token]) -> Vec<String> {
    tokens
        .windows(2)
        .filter_map(|w| match w {
            [Token::Word(f), Token::Str(name)] if f == "include" || f == "template" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn eval(tokens: &[Token], ctx: &Context) -> Val {
    let mut pos = 0;
    let val = eval_pipeline(tokens, &mut pos, ctx);
    if pos < tokens.len() {
        return Val::Unknown;
    }
    val
}

fn eval_pipeline(tokens: &[Token], pos: &mut usize, ctx: &Context) -> Val {
    let mut piped: Option<Val> = None;
    loop {
        let mut args = Vec::new();
        let mut name: Option<String> = None;
        while let Some(token) = tokens.get(*pos) {
            match token {
                Token::Pipe | Token::Close => break,
                Token::Open => {
                    *pos += 1;
                    args.push(eval_pipeline(tokens, pos, ctx));
                    if tokens.get(*pos) == Some(&Token::Close) {
                        *pos += 1;
                    }
                }
                Token::Str(s) => {
                    args.push(Val::Known(Value::String(s.clone())));
                    *pos += 1;
                }
                Token::Word(w) => {
                    if name.is_none() && args.is_empty() && is_function(w) {
                        name = Some(w.clone());
                    } else {
                        args.push(eval_word(w, ctx));
                    }
                    *pos += 1;
                }
            }
        }
        if let Some(p) = piped.take() {
            args.push(p);
        }
        let result = match name {
            Some(f) => call(&f, &args),
            None if args.len() == 1 => args.pop().unwrap_or(Val::Unknown),
            None => Val::Unknown,
        };
        if tokens.get(*pos) == Some(&Token::Pipe) {
            *pos += 1;
            piped = Some(result);
        } else {
            return result;
        }
    }
}

fn is_function(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(word, "true" | "false" | "nil")
}

fn eval_word(word: &str, ctx: &Context) -> Val {
    match word {
        "true" => return Val::Known(Value::Bool(true)),
        "false" => return Val::Known(Value::Bool(false)),
        "nil" => return Val::Known(Value::Null),
        _ => {}
    }
    if let Ok(n) = word.parse::<i64>() {
        return Val::Known(Value::from(n));
    }
    if let Ok(f) = word.parse::<f64>() {
        return Val::Known(Value::from(f));
    }
    if let Some(rest) = word.strip_prefix(".Chart.").or_else(|| word.strip_prefix("$.Chart.")) {
        return ctx
            .chart_field(rest)
            .map_or(Val::Unknown, |s| Val::Known(Value::String(s)));
    }
    match values_path(word, ctx) {
        Some(path) => Val::Known(lookup(ctx.values, &path).cloned().unwrap_or(Value::Null)),
        None => Val::Unknown,
    }
}

fn call(name: &str, args: &[Val]) -> Val {
    let known: Option<Vec<&Value>> = args
        .iter()
        .map(|a| match a {
            Val::Known(v) => Some(v),
            Val::Unknown => None,
        })
        .collect();
    let bool_val = |b: bool| Val::Known(Value::Bool(b));
    match name {
        "not" => match args {
            [a] => a.truth().map_or(Val::Unknown, |t| bool_val(!t)),
            _ => Val::Unknown,
        },
        "empty" => match args {
            [a] => a.truth().map_or(Val::Unknown, |t| bool_val(!t)),
            _ => Val::Unknown,
        },
        "and" => {
            let mut unknown = false;
            for a in args {
                match a.truth() {
                    Some(false) => return a.clone(),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                Val::Unknown
            } else {
                args.last().cloned().unwrap_or(Val::Unknown)
            }
        }
        "or" | "coalesce" => {
            let mut unknown = false;
            for a in args {
                match a.truth() {
                    Some(true) => return if unknown { Val::Unknown } else { a.clone() },
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown || args.is_empty() {
                Val::Unknown
            } else if name == "or" {
                args.last().cloned().unwrap_or(Val::Unknown)
            } else {
                Val::Known(Value::Null)
            }
        }
        "default" => match args {
            [fallback, given] => match given.truth() {
                Some(true) => given.clone(),
                Some(false) => fallback.clone(),
                None => Val::Unknown,
            },
            _ => Val::Unknown,
        },
        "eq" | "ne" => match known.as_deref() {
            Some([first, rest @ ..]) if !rest.is_empty() => {
                let equal = rest.iter().any(|r| loose_eq(first, r));
                bool_val(if name == "eq" { equal } else { !equal })
            }
            _ => Val::Unknown,
        },
        "hasKey" => match known.as_deref() {
            Some([Value::Object(map), Value::String(key)]) => bool_val(map.contains_key(key)),
            _ => Val::Unknown,
        },
        "quote" | "toString" | "required" | "tpl" | "toYaml" => match known.as_deref() {
            Some([.., Value::String(s)]) if name != "tpl" || !s.contains("{{") => {
                Val::Known(Value::String(s.clone()))
            }
            Some([v]) if name != "tpl" => Val::Known((*v).clone()),
            _ => Val::Unknown,
        },
        _ => Val::Unknown,
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}
