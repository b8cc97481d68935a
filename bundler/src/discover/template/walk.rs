//! Walks lexed template pieces under known values, keeping only what may render: `if`/`with`/
//! `range` branches that are definitely off are skipped, unknown ones are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::expr::{eval, included_names, referenced_paths, tokenize, values_path, Token};
use super::lex::Piece;

/// Placeholder written into line text where an action renders.
pub(crate) const ACTION_MARK: char = '\u{1}';

/// What the walker knows while evaluating: values, chart metadata and the `with` scopes.
pub(crate) struct Context<'a> {
    pub values: &'a Value,
    pub chart_name: &'a str,
    pub chart_version: &'a str,
    pub app_version: &'a str,
    pub vars: HashMap<String, String>,
    scopes: Vec<Option<String>>,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Value, chart_name: &'a str, chart_version: &'a str, app_version: &'a str) -> Self {
        Context {
            values,
            chart_name,
            chart_version,
            app_version,
            vars: HashMap::new(),
            scopes: vec![None],
        }
    }

    /// The values path `.` currently stands for, when known.
    pub fn scope(&self) -> Option<&str> {
        self.scopes.last().and_then(|s| s.as_deref())
    }

    pub fn chart_field(&self, field: &str) -> Option<String> {
        match field {
            "Name" => Some(self.chart_name.to_owned()),
            "Version" => Some(self.chart_version.to_owned()),
            "AppVersion" => Some(self.app_version.to_owned()),
            _ => None,
        }
    }
}

/// One source line as it may render: literal text with [`ACTION_MARK`] where actions print.
#[derive(Debug, Default, Clone)]
pub(crate) struct LineInfo {
    pub text: String,
    pub refs: Vec<String>,
    pub includes: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct WalkOutput {
    /// Values paths referenced by live actions, with the line they are on.
    pub refs: Vec<(String, usize)>,
    pub includes: BTreeSet<String>,
    pub lines: BTreeMap<usize, LineInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    If,
    With,
    Range,
}

struct Frame {
    active: bool,
    /// Whether an earlier branch is definitely (Some(true)) or maybe (None) taken.
    taken: Option<bool>,
    pushed_scope: bool,
}

/// Collects `define` bodies by name.
pub(crate) fn collect_defines(pieces: &[Piece]) -> BTreeMap<String, Vec<Piece>> {
    let mut defines = BTreeMap::new();
    let mut i = 0;
    while i < pieces.len() {
        if let Piece::Action { body, .. } = &pieces[i] {
            let tokens = tokenize(body);
            if let [Token::Word(w), Token::Str(name), ..] = tokens.as_slice() {
                if w == "define" {
                    let end = matching_end(pieces, i);
                    defines.insert(name.clone(), pieces[i + 1..end].to_vec());
                    i = end;
                }
            }
        }
        i += 1;
    }
    defines
}

fn matching_end(pieces: &[Piece], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, piece) in pieces.iter().enumerate().skip(open) {
        if let Piece::Action { body, .. } = piece {
            match first_word(body) {
                "if" | "range" | "with" | "define" | "block" => depth += 1,
                "end" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
    }
    pieces.len()
}

fn first_word(body: &str) -> &str {
    body.split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or_default()
}

/// Walks `pieces` (a whole file or a define body) and reports what is live.
pub(crate) fn walk(pieces: &[Piece], ctx: &mut Context) -> WalkOutput {
    let mut out = WalkOutput::default();
    let mut stack: Vec<Frame> = Vec::new();
    for piece in pieces {
        let live = stack.iter().all(|f| f.active);
        match piece {
            Piece::Text { text, line } => {
                if live {
                    for (offset, chunk) in text.split('\n').enumerate() {
                        out.lines.entry(line + offset).or_default().text.push_str(chunk);
                    }
                }
            }
            Piece::Action { body, line } => {
                let tokens = tokenize(body);
                let keyword = match tokens.first() {
                    Some(Token::Word(w)) => w.as_str(),
                    _ => "",
                };
                let control = control_action(keyword, &tokens, &mut stack, ctx, live);
                if live {
                    record(&tokens, *line, ctx, &mut out, !control);
                }
                if !control && live {
                    assign(&tokens, ctx);
                }
            }
        }
    }
    out
}

/// Applies `if`/`else`/`with`/`range`/`define`/`end`; returns whether the action was one.
fn control_action(keyword: &str, tokens: &[Token], stack: &mut Vec<Frame>, ctx: &mut Context, live: bool) -> bool {
    match keyword {
        "if" | "with" | "range" => {
            let kind = match keyword {
                "if" => Kind::If,
                "with" => Kind::With,
                _ => Kind::Range,
            };
            let frame = open_branch(kind, &tokens[1..], ctx, live);
            stack.push(frame);
            true
        }
        "define" | "block" => {
            stack.push(Frame {
                active: false,
                taken: Some(true),
                pushed_scope: false,
            });
            true
        }
        "else" => {
            let parent_live = !stack.is_empty() && stack[..stack.len() - 1].iter().all(|f| f.active);
            if let Some(frame) = stack.last_mut() {
                if frame.pushed_scope {
                    ctx.scopes.pop();
                    frame.pushed_scope = false;
                }
                let prev = frame.taken;
                match tokens.get(1) {
                    Some(Token::Word(w)) if w == "if" || w == "with" => {
                        let kind = if w == "if" { Kind::If } else { Kind::With };
                        let branch = open_branch(kind, &tokens[2..], ctx, parent_live && prev != Some(true));
                        frame.active = prev != Some(true) && branch.active;
                        frame.pushed_scope = branch.pushed_scope;
                        frame.taken = match (prev, branch.taken) {
                            (Some(true), _) | (_, Some(true)) => Some(true),
                            (Some(false), Some(false)) => Some(false),
                            _ => None,
                        };
                    }
                    _ => {
                        frame.active = prev != Some(true);
                        frame.taken = Some(true);
                    }
                }
            }
            true
        }
        "end" => {
            if let Some(frame) = stack.pop() {
                if frame.pushed_scope {
                    ctx.scopes.pop();
                }
            }
            true
        }
        _ => false,
    }
}

fn open_branch(kind: Kind, cond: &[Token], ctx: &mut Context, live: bool) -> Frame {
    if !live {
        return Frame {
            active: false,
            taken: Some(true),
            pushed_scope: false,
        };
    }
    // `range $i, $v := X` and `with $v := X`: evaluate X, forget the variables.
    let cond = match cond.iter().position(|t| matches!(t, Token::Word(w) if w == ":=")) {
        Some(p) => {
            for t in &cond[..p] {
                if let Token::Word(v) = t {
                    ctx.vars.remove(v.trim_start_matches('$'));
                }
            }
            &cond[p + 1..]
        }
        None => cond,
    };
    let truth = eval(cond, ctx).truth();
    let pushed_scope = kind != Kind::If;
    if pushed_scope {
        let scope = match (kind, cond) {
            (Kind::With, [Token::Word(w)]) => values_path(w, ctx),
            _ => None,
        };
        ctx.scopes.push(scope);
    }
    Frame {
        active: truth != Some(false),
        taken: truth,
        pushed_scope,
    }
}

fn record(tokens: &[Token], line: usize, ctx: &Context, out: &mut WalkOutput, prints: bool) {
    let refs = referenced_paths(tokens, ctx);
    let includes = included_names(tokens);
    let info = out.lines.entry(line).or_default();
    if prints {
        info.text.push(ACTION_MARK);
    }
    info.refs.extend(refs.iter().cloned());
    info.includes.extend(includes.iter().cloned());
    out.refs.extend(refs.into_iter().map(|r| (r, line)));
    out.includes.extend(includes);
}

/// `$x := .Values.a.b` binds `$x` to that values path for later `$x.c` references.
fn assign(tokens: &[Token], ctx: &mut Context) {
    if let [Token::Word(var), Token::Word(op), rest @ ..] = tokens {
        if !(var.starts_with('$') && (op == ":=" || op == "=")) {
            return;
        }
        let name = var.trim_start_matches('$').to_owned();
        match rest {
            [Token::Word(w)] => match values_path(w, ctx) {
                Some(path) => {
                    ctx.vars.insert(name, path);
                }
                None => {
                    ctx.vars.remove(&name);
                }
            },
            _ => {
                ctx.vars.remove(&name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::template::lex;

    fn live_text(src: &str, values: serde_json::Value) -> String {
        let pieces = lex(src);
        let mut ctx = Context::new(&values, "c", "1.0.0", "1.0.0");
        let out = walk(&pieces, &mut ctx);
        out.lines.values().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn disabled_branch_is_skipped_and_else_taken() {
        let src = "{{- if .Values.a.enabled }}\nA\n{{- else }}\nB\n{{- end }}\n";
        let text = live_text(src, serde_json::json!({"a": {"enabled": false}}));
        assert!(text.contains('B') && !text.contains('A'), "{text}");
    }

    #[test]
    fn unknown_condition_keeps_both_branches() {
        let src = "{{- if .Capabilities.APIVersions.Has \"x\" }}\nA\n{{- else }}\nB\n{{- end }}\n";
        let text = live_text(src, serde_json::json!({}));
        assert!(text.contains('A') && text.contains('B'), "{text}");
    }

    #[test]
    fn with_scope_resolves_relative_references() {
        let values = serde_json::json!({"c": {"image": {"repository": "x"}}});
        let pieces = lex("{{- with .Values.c.image }}\nimage: {{ .repository }}\n{{- end }}\n");
        let mut ctx = Context::new(&values, "c", "1", "1");
        let out = walk(&pieces, &mut ctx);
        let paths: Vec<&str> = out.refs.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"c.image.repository"), "{paths:?}");
    }

    #[test]
    fn and_or_not_conditions() {
        let values = serde_json::json!({"p": {"enabled": true}, "i": {"enabled": true}});
        let src = "{{- if and .Values.p.enabled (not .Values.i.enabled) }}\nA\n{{- end }}\n{{- if or .Values.x .Values.p.enabled }}\nB\n{{- end }}\n";
        let text = live_text(src, values);
        assert!(!text.contains('A') && text.contains('B'), "{text}");
    }
}
