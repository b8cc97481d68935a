//! The parse tree of a template, shaped as Go's `text/template/parse` nodes. Each node knows
//! its byte offset; `Display` prints a node as Go's `String()` does, for error contexts.

use std::fmt;
use std::rc::Rc;

use crate::Value;

/// One parsed template: a file's top level, a `define` or a `block`.
#[derive(Debug)]
pub struct Tree {
    pub name: String,
    /// The name of the text it was parsed from (the file), which errors name.
    pub parse_name: Rc<str>,
    /// The whole text, to turn byte offsets into lines and columns.
    pub text: Rc<str>,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's line and (0-based byte) column of an offset.
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => pos - nl - 1,
            None => pos,
        };
        (line, col)
    }

    /// Whether the tree holds nothing but space and comments (Go's `IsEmptyTree`): such a
    /// definition does not replace an earlier one.
    pub fn is_empty(&self) -> bool {
        is_empty_list(&self.root)
    }
}

/// Go's `IsEmptyTree` for a list of nodes: only space (comments are already gone).
pub fn is_empty_list(list: &[Node]) -> bool {
    list.iter().all(|n| match n {
        Node::Text { text } => text.trim().is_empty(),
        _ => false,
    })
}

#[derive(Debug)]
pub enum Node {
    Text {
        text: String,
    },
    Action {
        pipe: Pipe,
    },
    If(Branch),
    With(Branch),
    Range(Branch),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

/// `if`, `with` and `range`: a pipeline, a body and an optional `else`.
#[derive(Debug)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline, possibly declaring or assigning variables: `$x := a | b c`.
#[derive(Debug)]
pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

/// One stage of a pipeline: a function or value and its arguments.
#[derive(Debug)]
pub struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug)]
pub enum Arg {
    /// `.a.b`
    Field {
        pos: usize,
        idents: Vec<String>,
    },
    /// `$x.a`; the first ident is the variable.
    Variable {
        pos: usize,
        idents: Vec<String>,
    },
    /// `(pipe).a.b`
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Identifier {
        pos: usize,
        name: String,
    },
    Pipe(Box<Pipe>),
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        value: bool,
    },
    /// A number's text and its value as an untyped constant (or Go's error for it).
    Number {
        pos: usize,
        text: String,
        value: Result<Value, String>,
    },
    String {
        pos: usize,
        quoted: String,
        text: Rc<str>,
    },
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(_) = **node {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::String { quoted, .. } => f.write_str(quoted),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

/// Go's `String()` of a node, with text quoted (as Go's parse tests print it).
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text } => f.write_str(&crate::quote::quote(text)),
            Node::Action { pipe } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::Template { name, pipe, .. } => {
                write!(f, "{{{{template {}", crate::quote::quote(name))?;
                if let Some(p) = pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break => f.write_str("{{break}}"),
            Node::Continue => f.write_str("{{continue}}"),
        }
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, word: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{word} {}}}}}", b.pipe)?;
    for n in &b.list {
        write!(f, "{n}")?;
    }
    if let Some(else_list) = &b.else_list {
        f.write_str("{{else}}")?;
        for n in else_list {
            write!(f, "{n}")?;
        }
    }
    f.write_str("{{end}}")
}
