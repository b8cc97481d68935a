//! Walks lexed template pieces under known values, keeping only what may render: `if`/`with`/
//! `range` branches that are definitely off are skipped, unknown ones are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::expr::{eval, included_names, referenced_paths, tokenize, values_path, Token, Val};
use super::lex::Piece;
use crate::discover::options::DiscoverOptions;
use crate::discover::values::scalar_string;

/// Placeholder written into line text where an action renders.
pub(crate) const ACTION_MARK: char = '\u{1}';

/// What the walker knows while evaluating: values, chart metadata and the `with` scopes.
pub(crate) struct Context<'a> {
    pub values: &'a Value,
    pub chart_name: &'a str,
    pub chart_version: &'a str,
    pub app_version: &'a str,
    /// The cluster `.Capabilities` describes.
    pub options: &'a DiscoverOptions,
    pub vars: HashMap<String, String>,
    /// Variables bound to values computed in the template (`$registry := ... | default ...`).
    pub known_vars: HashMap<String, Value>,
    /// Helper bodies, so `include "x" .` can be rendered when its inputs are known.
    pub defines: Option<&'a BTreeMap<String, Vec<Piece>>>,
    /// Helper nesting depth, bounded so recursive helpers terminate.
    pub depth: usize,
    pub(super) scopes: Vec<Option<String>>,
    /// What `.` evaluates to in each `with` scope whose subject is computed, not a values path.
    scope_values: Vec<Option<Value>>,
}

impl<'a> Context<'a> {
    pub fn new(
        values: &'a Value,
        chart_name: &'a str,
        chart_version: &'a str,
        app_version: &'a str,
        options: &'a DiscoverOptions,
    ) -> Self {
        Context {
            values,
            chart_name,
            chart_version,
            app_version,
            options,
            vars: HashMap::new(),
            known_vars: HashMap::new(),
            defines: None,
            depth: 0,
            scopes: vec![None],
            scope_values: vec![None],
        }
    }

    /// A fresh context for rendering a helper called with the top-level context.
    pub fn for_helper(&self) -> Context<'a> {
        let mut ctx = Context::new(
            self.values,
            self.chart_name,
            self.chart_version,
            self.app_version,
            self.options,
        );
        ctx.defines = self.defines;
        ctx.depth = self.depth + 1;
        ctx
    }

    /// What `.` evaluates to when it is a computed value (`with (coalesce ...)`).
    pub fn scope_value(&self) -> Option<&Value> {
        self.scope_values.last().and_then(Option::as_ref)
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
        self.scope_values.pop();
    }

    /// Whether `.` is the top-level context (outside every `with`/`range`).
    pub fn at_root(&self) -> bool {
        self.scopes.len() == 1
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
    /// Like `text`, but actions that evaluate to a known scalar are printed with its value.
    pub rendered: String,
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
    body.split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
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
                        let info = out.lines.entry(line + offset).or_default();
                        info.text.push_str(chunk);
                        info.rendered.push_str(chunk);
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
                let assignment =
                    matches!(tokens.get(1), Some(Token::Word(op)) if op == ":=" || op == "=");
                if live {
                    record(&tokens, *line, ctx, &mut out, !control && !assignment);
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
fn control_action(
    keyword: &str,
    tokens: &[Token],
    stack: &mut Vec<Frame>,
    ctx: &mut Context,
    live: bool,
) -> bool {
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
            let parent_live =
                !stack.is_empty() && stack[..stack.len() - 1].iter().all(|f| f.active);
            if let Some(frame) = stack.last_mut() {
                if frame.pushed_scope {
                    ctx.pop_scope();
                    frame.pushed_scope = false;
                }
                let prev = frame.taken;
                match tokens.get(1) {
                    Some(Token::Word(w)) if w == "if" || w == "with" => {
                        let kind = if w == "if" { Kind::If } else { Kind::With };
                        let branch =
                            open_branch(kind, &tokens[2..], ctx, parent_live && prev != Some(true));
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
                    ctx.pop_scope();
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
    // `range $i, $v := X` / `with $v := X`: the variables are bound after X is known.
    let (bound, cond): (Vec<String>, &[Token]) = match cond
        .iter()
        .position(|t| matches!(t, Token::Word(w) if w == ":="))
    {
        Some(p) => (
            cond[..p]
                .iter()
                .filter_map(|t| match t {
                    Token::Word(v) => Some(v.trim_start_matches('$').to_owned()),
                    _ => None,
                })
                .collect(),
            &cond[p + 1..],
        ),
        None => (Vec::new(), cond),
    };
    let subject_value = eval(cond, ctx);
    let truth = subject_value.truth();
    let subject = match cond {
        [Token::Word(w)] => values_path(w, ctx),
        _ => None,
    };
    // Range elements are addressed as `<list-or-map>.*` so references inside the loop still
    // point into values; `*` matches any key or index.
    let element = match kind {
        Kind::Range => subject.as_ref().map(|p| {
            if p.is_empty() {
                "*".to_owned()
            } else {
                format!("{p}.*")
            }
        }),
        _ => subject.clone(),
    };
    for var in &bound {
        ctx.vars.remove(var);
    }
    if let Some(value_var) = bound.last() {
        if let Some(path) = &element {
            ctx.vars.insert(value_var.clone(), path.clone());
        }
    }
    let pushed_scope = kind != Kind::If;
    if pushed_scope {
        let known = match (kind, subject_value) {
            (Kind::With, Val::Known(value)) => Some(value),
            _ => None,
        };
        ctx.scopes.push(element);
        ctx.scope_values.push(known);
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
        match eval(tokens, ctx) {
            Val::Known(value) => match scalar_string(&value) {
                Some(s) => info.rendered.push_str(&s),
                None => info.rendered.push(ACTION_MARK),
            },
            Val::Unknown => info.rendered.push(ACTION_MARK),
        }
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
        match eval(rest, ctx) {
            Val::Known(value) => {
                ctx.known_vars.insert(name.clone(), value);
            }
            Val::Unknown => {
                ctx.known_vars.remove(&name);
            }
        }
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
        let options = DiscoverOptions::default();
        let mut ctx = Context::new(&values, "c", "1.0.0", "1.0.0", &options);
        let out = walk(&pieces, &mut ctx);
        out.lines
            .values()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
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
        let options = DiscoverOptions::default();
        let mut ctx = Context::new(&values, "c", "1", "1", &options);
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

    fn live_text_for(src: &str, options: &DiscoverOptions) -> String {
        let values = serde_json::json!({});
        let pieces = lex(src);
        let mut ctx = Context::new(&values, "c", "1.0.0", "1.0.0", options);
        let out = walk(&pieces, &mut ctx);
        out.lines
            .values()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn kube_version_comes_from_the_options() {
        let src = "{{- if eq .Capabilities.KubeVersion.Minor \"31\" }}\nA\n{{- else }}\nB\n{{- end }}\n{{- if eq $.Capabilities.KubeVersion.GitVersion \"v1.31.4\" }}\nC\n{{- end }}\n";
        let v1_31 = DiscoverOptions {
            kube_version: crate::discover::KubeVersion::parse("1.31.4").expect("version"),
            ..Default::default()
        };
        let text = live_text_for(src, &v1_31);
        assert!(
            text.contains('A') && !text.contains('B') && text.contains('C'),
            "{text}"
        );
        let text = live_text_for(src, &DiscoverOptions::default());
        assert!(
            !text.contains('A') && text.contains('B') && !text.contains('C'),
            "{text}"
        );
    }

    #[test]
    fn a_listed_api_version_is_served() {
        let src = "{{- if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\nA\n{{- else }}\nB\n{{- end }}\n";
        let listed = DiscoverOptions {
            api_versions: vec![
                crate::discover::ApiVersion::parse("monitoring.coreos.com/v1")
                    .expect("api version"),
            ],
            ..Default::default()
        };
        let text = live_text_for(src, &listed);
        assert!(text.contains('A') && !text.contains('B'), "{text}");
        // Not listed: it may still be served, so both branches stay live.
        let text = live_text_for(src, &DiscoverOptions::default());
        assert!(text.contains('A') && text.contains('B'), "{text}");
    }
}
