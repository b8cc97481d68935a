//! The parser: tokens into trees, with Go's checks (defined functions and variables, `break`
//! only in `range`) and Go's error wording, `template: name:line: message`.

use std::collections::HashMap;
use std::rc::Rc;

use crate::ast::{is_empty_list, Branch, Node, Tree};
use crate::lex::{lex, Kind, Token};
use crate::literal::unquote;
use crate::Error;

#[path = "parse_pipe.rs"]
mod pipe;

/// The trees one text defines: its top level (named `name`) and its `define`s and `block`s,
/// in the order they were found.
pub struct Parsed {
    pub top: Tree,
    pub defined: Vec<Tree>,
}

/// Parses `text`, the template `name`. `has_func` says whether a function name is known.
pub fn parse(name: &str, text: &str, has_func: &dyn Fn(&str) -> bool) -> Result<Parsed, Error> {
    let parse_name: Rc<str> = Rc::from(name);
    let text_rc: Rc<str> = Rc::from(text);
    let mut p = Parser {
        tokens: lex(text),
        at: 0,
        parse_name: parse_name.clone(),
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        has_func,
        depth: 0,
        defined: Vec::new(),
        defined_names: HashMap::new(),
    };
    let root = p.parse_top()?;
    let top = Tree {
        name: name.to_string(),
        parse_name,
        text: text_rc.clone(),
        root,
    };
    let defined = p
        .defined
        .into_iter()
        .map(|(name, root)| Tree {
            name,
            parse_name: top.parse_name.clone(),
            text: text_rc.clone(),
            root,
        })
        .collect();
    Ok(Parsed { top, defined })
}

struct Parser<'f> {
    tokens: Vec<Token>,
    at: usize,
    parse_name: Rc<str>,
    vars: Vec<String>,
    range_depth: usize,
    /// The line of the action being parsed, for errors that end elsewhere.
    action_line: usize,
    has_func: &'f dyn Fn(&str) -> bool,
    /// Nesting of control structures and parentheses, bounded against hostile texts.
    depth: usize,
    defined: Vec<(String, Vec<Node>)>,
    defined_names: HashMap<String, usize>,
}

/// What ended a list: `{{end}}`, `{{else}}`, or the end of input (only at the top).
enum Stop {
    End,
    Else,
}

type PResult<T> = Result<T, Error>;

/// How deeply `if`/`range`/`with` and parentheses may nest (the parser and the executor
/// recurse on them).
const MAX_NESTING: usize = 100;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    fn backup(&mut self) {
        self.at -= 1;
    }

    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.kind != Kind::Space {
                return t;
            }
        }
    }

    fn line(&self) -> usize {
        let i = self.at.saturating_sub(1).min(self.tokens.len() - 1);
        self.tokens[i].line
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error {
            template: self.parse_name.to_string(),
            line: self.line(),
            column: None,
            message: message.into(),
        }
    }

    fn unexpected(&self, token: &Token, context: &str) -> Error {
        if token.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.text.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error(format!("{}{extra}", token.text));
        }
        self.error(format!("unexpected {} in {context}", token.describe()))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let mark = self.at;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.at = mark;
            }
            match self.text_or_action()? {
                Item::Node(n) => root.push(n),
                Item::Stop(Stop::End) => return Err(self.error("unexpected {{end}}")),
                Item::Stop(Stop::Else) => return Err(self.error("unexpected {{else}}")),
            }
        }
        Ok(root)
    }

    /// A definition gets its own variables and range depth, as a new Go tree does.
    fn with_new_scope<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let depth = std::mem::replace(&mut self.range_depth, 0);
        let out = f(self);
        self.vars = vars;
        self.range_depth = depth;
        out
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if !matches!(t.kind, Kind::String | Kind::RawString) {
            return Err(self.unexpected(&t, context));
        }
        let name = unquote(&t.text).map_err(|e| self.error(e))?;
        self.expect(Kind::RightDelim, context)?;
        let (list, stop) = self.with_new_scope(|p| p.item_list())?;
        if let Stop::Else = stop {
            return Err(self.error(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add(name, list)
    }

    /// Records a definition; two non-empty definitions of a name in one text are an error.
    fn add(&mut self, name: String, list: Vec<Node>) -> PResult<()> {
        match self.defined_names.get(&name) {
            Some(&i) => {
                if is_empty_list(&self.defined[i].1) {
                    self.defined[i].1 = list;
                } else if !is_empty_list(&list) {
                    return Err(self.error(format!(
                        "template: multiple definition of template {}",
                        crate::quote::quote(&name)
                    )));
                }
            }
            None => {
                self.defined_names.insert(name.clone(), self.defined.len());
                self.defined.push((name, list));
            }
        }
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Stop)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::Stop(s) => return Ok((list, s)),
            }
        }
        Err(self.error("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => Ok(Item::Node(Node::Text { text: t.text })),
            Kind::LeftDelim => {
                self.action_line = t.line;
                let out = self.action();
                self.action_line = 0;
                out
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        let node = match t.kind {
            Kind::Block => self.block_control()?,
            Kind::Break | Kind::Continue => self.loop_control(&t)?,
            Kind::Else => return self.else_control().map(Item::Stop),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Item::Stop(Stop::End));
            }
            Kind::If => Node::If(self.parse_control("if")?),
            Kind::Range => Node::Range(self.parse_control("range")?),
            Kind::With => Node::With(self.parse_control("with")?),
            Kind::Template => self.template_control()?,
            _ => {
                self.backup();
                // Variables declared here persist until the enclosing {{end}}.
                Node::Action {
                    pipe: self.pipeline("command", Kind::RightDelim)?,
                }
            }
        };
        Ok(Item::Node(node))
    }

    fn loop_control(&mut self, t: &Token) -> PResult<Node> {
        let next = self.next_non_space();
        if next.kind != Kind::RightDelim {
            return Err(self.unexpected(&next, &format!("{{{{{}}}}}", t.text)));
        }
        if self.range_depth == 0 {
            return Err(self.error(format!("{{{{{}}}}} outside {{{{range}}}}", t.text)));
        }
        Ok(if t.kind == Kind::Break {
            Node::Break
        } else {
            Node::Continue
        })
    }

    fn else_control(&mut self) -> PResult<Stop> {
        let peek = self.peek_non_space();
        if matches!(peek.kind, Kind::If | Kind::With) {
            // `{{else if x}}` is `{{else}}{{if x}}`, sharing the final `{{end}}`.
            return Ok(Stop::Else);
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(Stop::Else)
    }

    fn parse_control(&mut self, context: &str) -> PResult<Branch> {
        let mark = self.vars.len();
        let out = self.nested(|p| p.parse_control_inner(context));
        self.vars.truncate(mark);
        out
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return Err(self.error("max expression depth exceeded"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, stop) = listed?;
        let else_list = match stop {
            Stop::End => None,
            Stop::Else => {
                let peek = self.peek().kind;
                if context == "if" && peek == Kind::If {
                    self.next();
                    Some(vec![Node::If(self.parse_control("if")?)])
                } else if context == "with" && peek == Kind::With {
                    self.next();
                    Some(vec![Node::With(self.parse_control("with")?)])
                } else {
                    let (list, stop) = self.item_list()?;
                    if let Stop::Else = stop {
                        return Err(self.error("expected end; found {{else}}"));
                    }
                    Some(list)
                }
            }
        };
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, context: &str) -> PResult<(Token, String)> {
        let t = self.next_non_space();
        if !matches!(t.kind, Kind::String | Kind::RawString) {
            return Err(self.unexpected(&t, context));
        }
        let name = unquote(&t.text).map_err(|e| self.error(e))?;
        Ok((t, name))
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let (t, name) = self.template_name(context)?;
        let pipe = if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline(context, Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let (t, name) = self.template_name(context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let (list, stop) = self.with_new_scope(|p| p.item_list())?;
        if let Stop::Else = stop {
            return Err(self.error(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }
}

enum Item {
    Node(Node),
    Stop(Stop),
}
