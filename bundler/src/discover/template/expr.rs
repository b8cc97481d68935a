//! Tokenising and evaluating template pipelines as far as values allow. Anything depending on
//! the release, the cluster or an unevaluated helper is `Unknown`, and callers treat unknown
//! conditions as possibly true so nothing is dropped on a guess.

use serde_json::Value;

use super::funcs::{call, kube_version};
use super::walk::{walk, Context, ACTION_MARK};
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
                while i < chars.len() && !chars[i].is_whitespace() && !"()|\",`".contains(chars[i])
                {
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
            [Token::Word(f), Token::Str(name)] if f == "include" || f == "template" => {
                Some(name.clone())
            }
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
                Token::Word(w)
                    if name.is_none() && args.is_empty() && (w == "include" || w == "template") =>
                {
                    let result = include(&tokens[*pos + 1..], ctx);
                    while !matches!(
                        tokens.get(*pos),
                        None | Some(Token::Pipe) | Some(Token::Close)
                    ) {
                        *pos += 1;
                    }
                    args.push(result);
                }
                Token::Word(w)
                    if name.is_none()
                        && args.is_empty()
                        && API_VERSIONS_HAS.contains(&w.as_str()) =>
                {
                    name = Some(API_VERSIONS_HAS[0].to_owned());
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
            Some(f) if f == API_VERSIONS_HAS[0] => api_versions_has(&args, ctx),
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

/// Renders `include "name" .` when called with the top-level context and every input is known.
fn include(args: &[Token], ctx: &Context) -> Val {
    let (Some(Token::Str(name)), Some(Token::Word(arg))) = (args.first(), args.get(1)) else {
        return Val::Unknown;
    };
    let root_arg = arg == "$" || (arg == "." && ctx.at_root());
    let Some(body) = ctx.defines.and_then(|d| d.get(name)) else {
        return Val::Unknown;
    };
    if !root_arg || ctx.depth >= 8 {
        return Val::Unknown;
    }
    let mut helper = ctx.for_helper();
    let out = walk(body, &mut helper);
    // Helpers building an image print no whitespace of their own; trim markers are not tracked.
    let text: String = out
        .lines
        .values()
        .flat_map(|l| l.rendered.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if text.contains(ACTION_MARK) {
        Val::Unknown
    } else {
        Val::Known(Value::String(text))
    }
}

const API_VERSIONS_HAS: [&str; 2] = [
    ".Capabilities.APIVersions.Has",
    "$.Capabilities.APIVersions.Has",
];

/// `.Capabilities.APIVersions.Has "x"`: true for an API the profile lists; otherwise unknown,
/// since the cluster may serve it anyway (built-in APIs), so both branches stay live.
fn api_versions_has(args: &[Val], ctx: &Context) -> Val {
    match args {
        [Val::Known(Value::String(api))] if ctx.options.lists_api(api) => {
            Val::Known(Value::Bool(true))
        }
        _ => Val::Unknown,
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
    if let Some(rest) = word
        .strip_prefix(".Chart.")
        .or_else(|| word.strip_prefix("$.Chart."))
    {
        return ctx
            .chart_field(rest)
            .map_or(Val::Unknown, |s| Val::Known(Value::String(s)));
    }
    if let Some(field) = word
        .strip_prefix(".Capabilities.KubeVersion.")
        .or_else(|| word.strip_prefix("$.Capabilities.KubeVersion."))
    {
        return kube_version(&ctx.options.kube_version, field)
            .map_or(Val::Unknown, |s| Val::Known(Value::String(s)));
    }
    if let Some(var) = word.strip_prefix('$').filter(|v| !v.is_empty()) {
        let (name, rest) = var.split_once('.').unwrap_or((var, ""));
        if !ctx.vars.contains_key(name) && !rest.starts_with("Values") {
            return match ctx.known_vars.get(name) {
                Some(value) => Val::Known(lookup(value, rest).cloned().unwrap_or(Value::Null)),
                None => Val::Unknown,
            };
        }
    }
    if word == "." && ctx.scope().is_none() {
        if let Some(value) = ctx.scope_value() {
            return Val::Known(value.clone());
        }
    }
    match values_path(word, ctx) {
        Some(path) if path.split('.').any(|seg| seg == "*") => Val::Unknown,
        Some(path) => Val::Known(lookup(ctx.values, &path).cloned().unwrap_or(Value::Null)),
        None => Val::Unknown,
    }
}
