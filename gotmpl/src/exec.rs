//! The executor's state and its walk over a tree: text, actions, `if`/`with`/`range`,
//! `template` calls, and `include`/`tpl` for Helm's functions through [`Runtime`].
//! Expressions are evaluated in `eval.rs`.

use std::fmt;
use std::rc::Rc;

use crate::ast::{Branch, Node, Pipe, Tree};
use crate::{
    Error, FuncError, FuncMap, Runtime, Templates, Value, MAX_INCLUDE_DEPTH as MAX_CALL_DEPTH,
};

/// Total output one execution may write, counting what `include` renders (hostile charts).
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;
/// Total `range` iterations one execution may run.
pub const MAX_RANGE_ITERATIONS: usize = 10_000_000;

/// A value as Go's reflection sees it during execution: absent (an invalid `reflect.Value`,
/// printed `<no value>`), taken out of a map or list (static type `interface {}`, so field
/// errors name that type and a nil one is a "nil pointer"), or a concrete value.
#[derive(Debug, Clone)]
pub enum Rv {
    Invalid,
    Iface(Value),
    Val(Value),
}

impl Rv {
    pub fn of(v: Value) -> Rv {
        match v {
            Value::Nil => Rv::Invalid,
            v => Rv::Val(v),
        }
    }

    /// What a function receives: absent becomes nil.
    pub fn value(&self) -> Value {
        match self {
            Rv::Invalid => Value::Nil,
            Rv::Iface(v) | Rv::Val(v) => v.clone(),
        }
    }

    /// Go's "dig down one level" after each pipeline stage.
    pub fn unwrap_iface(self) -> Rv {
        match self {
            Rv::Iface(v) | Rv::Val(v) => Rv::of(v),
            Rv::Invalid => Rv::Invalid,
        }
    }

    pub fn is_true(&self) -> bool {
        match self {
            Rv::Invalid => false,
            Rv::Iface(v) | Rv::Val(v) => v.is_true(),
        }
    }
}

/// How a walk ended: normally, or by `{{break}}` / `{{continue}}`.
#[derive(PartialEq, Eq)]
pub enum Flow {
    Normal,
    Break,
    Continue,
}

pub type XResult<T> = Result<T, Error>;

pub struct Exec<'f> {
    pub set: Templates,
    pub funcs: &'f FuncMap,
    pub out: String,
    pub vars: Vec<(String, Rv)>,
    /// The template being executed (its name is in errors) and its tree.
    pub tree: Rc<Tree>,
    depth: usize,
    written: usize,
    iterations: usize,
}

impl<'f> Exec<'f> {
    pub fn new(set: Templates, funcs: &'f FuncMap, tree: Rc<Tree>) -> Exec<'f> {
        Exec {
            set,
            funcs,
            out: String::new(),
            vars: Vec::new(),
            tree,
            depth: 0,
            written: 0,
            iterations: 0,
        }
    }

    /// Runs `tree` with `dot` as `.` and `$`, returning what it printed.
    pub fn run(&mut self, tree: Rc<Tree>, dot: Rv) -> XResult<String> {
        let out = std::mem::take(&mut self.out);
        let result = self.run_here(tree, dot);
        let printed = std::mem::replace(&mut self.out, out);
        result.map(|_| printed)
    }

    /// Runs `tree` printing into the current output, as `{{template}}` does.
    fn run_here(&mut self, tree: Rc<Tree>, dot: Rv) -> XResult<()> {
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.fail_plain(format!(
                "exceeded maximum template depth ({MAX_CALL_DEPTH})"
            )));
        }
        let vars = std::mem::replace(&mut self.vars, vec![("$".into(), dot.clone())]);
        let old_tree = std::mem::replace(&mut self.tree, tree.clone());
        self.depth += 1;
        let result = self.walk_list(&dot, &tree.root);
        self.depth -= 1;
        self.tree = old_tree;
        self.vars = vars;
        result.map(|_| ())
    }

    /// An error at a node: `template: file:line:col: executing "name" at <context>: msg`.
    pub fn fail(
        &self,
        pos: usize,
        context: &dyn fmt::Display,
        message: impl fmt::Display,
    ) -> Error {
        let (line, column) = self.tree.line_col(pos);
        let mut context = context.to_string();
        if context.chars().count() > 20 {
            context = context.chars().take(20).collect::<String>() + "...";
        }
        Error {
            template: self.tree.parse_name.to_string(),
            line,
            column: Some(column),
            message: format!(
                "executing {} at <{context}>: {message}",
                crate::quote::quote(&self.tree.name)
            ),
        }
    }

    /// An error with no node to point at.
    fn fail_plain(&self, message: String) -> Error {
        Error {
            template: self.tree.name.clone(),
            line: 0,
            column: None,
            message,
        }
    }

    pub fn write(&mut self, s: &str) -> XResult<()> {
        self.written += s.len();
        if self.written > MAX_OUTPUT_BYTES {
            return Err(self.fail_plain(format!("output exceeds {} MiB", MAX_OUTPUT_BYTES >> 20)));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn walk_list(&mut self, dot: &Rv, list: &[Node]) -> XResult<Flow> {
        for node in list {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Rv, node: &Node) -> XResult<Flow> {
        match node {
            Node::Text { text } => self.write(text)?,
            Node::Action { pipe } => {
                // Variables declared here persist until the enclosing {{end}}.
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(&v)?;
                }
            }
            Node::If(b) => return self.walk_if_or_with(dot, b, false),
            Node::With(b) => return self.walk_if_or_with(dot, b, true),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template { pos, name, pipe } => self.walk_template(dot, *pos, name, pipe)?,
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, v: &Rv) -> XResult<()> {
        match v {
            Rv::Invalid => self.write("<no value>"),
            Rv::Iface(Value::String(s)) | Rv::Val(Value::String(s)) => self.write(s),
            Rv::Iface(v) | Rv::Val(v) => {
                let s = crate::printf::sprint(std::slice::from_ref(v));
                self.write(&s)
            }
        }
    }

    fn walk_if_or_with(&mut self, dot: &Rv, b: &Branch, with: bool) -> XResult<Flow> {
        let mark = self.vars.len();
        let result = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.is_true() {
                if with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(else_list) = &b.else_list {
                self.walk_list(dot, else_list)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Rv, b: &Branch) -> XResult<Flow> {
        let mark = self.vars.len();
        let result = self.walk_range_inner(dot, b);
        self.vars.truncate(mark);
        // A break or continue ends here, at its range.
        result.map(|_| Flow::Normal)
    }

    fn walk_range_inner(&mut self, dot: &Rv, b: &Branch) -> XResult<Flow> {
        let val = match self.eval_pipeline(dot, &b.pipe)? {
            // A named map or slice type (Helm's `.Files`) ranges as the map or slice it is.
            Rv::Iface(Value::Object(ref o)) | Rv::Val(Value::Object(ref o))
                if o.underlying().is_some() =>
            {
                Rv::Val(Value::Object(o.clone()).without_methods())
            }
            other => other,
        };
        let items: Vec<(Rv, Rv)> = match &val {
            Rv::Invalid => Vec::new(),
            Rv::Iface(v) | Rv::Val(v) => match v {
                Value::List(l) => l
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (Rv::Val(Value::Int(i as i64)), Rv::Iface(e.clone())))
                    .collect(),
                Value::Map(m) => m
                    .borrow()
                    .iter()
                    .map(|(k, e)| (Rv::Val(Value::String(k.clone())), Rv::Iface(e.clone())))
                    .collect(),
                Value::Int(n) => {
                    if b.pipe.decl.len() > 1 {
                        return Err(self.pipe_fail(
                            &b.pipe,
                            format!("can't use {n} to iterate over more than one variable"),
                        ));
                    }
                    self.count_iterations(&b.pipe, (*n).max(0) as usize)?;
                    return self.range_ints(dot, b, *n);
                }
                other => {
                    return Err(
                        self.pipe_fail(&b.pipe, format!("range can't iterate over {other}"))
                    );
                }
            },
        };
        if items.is_empty() {
            if let Some(else_list) = &b.else_list {
                return self.walk_list(dot, else_list);
            }
            return Ok(Flow::Normal);
        }
        self.count_iterations(&b.pipe, items.len())?;
        let body_mark = self.vars.len();
        for (index, elem) in items {
            if self.one_iteration(b, body_mark, index, elem)? == Flow::Break {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn range_ints(&mut self, dot: &Rv, b: &Branch, n: i64) -> XResult<Flow> {
        if n <= 0 {
            if let Some(else_list) = &b.else_list {
                return self.walk_list(dot, else_list);
            }
        }
        let body_mark = self.vars.len();
        for i in 0..n.max(0) {
            let v = Rv::Val(Value::Int(i));
            if self.one_iteration(b, body_mark, Rv::Invalid, v)? == Flow::Break {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn count_iterations(&mut self, pipe: &Pipe, n: usize) -> XResult<()> {
        self.iterations = self.iterations.saturating_add(n);
        if self.iterations > MAX_RANGE_ITERATIONS {
            return Err(self.pipe_fail(
                pipe,
                format!("range exceeds {MAX_RANGE_ITERATIONS} iterations in one execution"),
            ));
        }
        Ok(())
    }

    fn one_iteration(&mut self, b: &Branch, mark: usize, index: Rv, elem: Rv) -> XResult<Flow> {
        let decl = &b.pipe.decl;
        if !decl.is_empty() {
            if b.pipe.is_assign {
                // With two variables the index comes first; with one, the element.
                if decl.len() > 1 {
                    self.set_var(&b.pipe, &decl[0], index.clone())?;
                    self.set_var(&b.pipe, &decl[1], elem.clone())?;
                } else {
                    self.set_var(&b.pipe, &decl[0], elem.clone())?;
                }
            } else {
                let n = self.vars.len();
                self.vars[n - 1].1 = elem.clone();
                if decl.len() > 1 {
                    self.vars[n - 2].1 = index;
                }
            }
        }
        let flow = self.walk_list(&elem, &b.list);
        self.vars.truncate(mark);
        flow
    }

    /// An error about a pipeline as a whole, placed at its last operand as Go's is.
    fn pipe_fail(&self, pipe: &Pipe, message: String) -> Error {
        match pipe.cmds.last().and_then(|c| c.args.last()) {
            Some(arg) => self.fail(arg.pos(), arg, message),
            None => self.fail(pipe.pos, pipe, message),
        }
    }

    fn walk_template(
        &mut self,
        dot: &Rv,
        pos: usize,
        name: &str,
        pipe: &Option<Pipe>,
    ) -> XResult<()> {
        let context = match pipe {
            Some(p) => format!("{{{{template {} {p}}}}}", crate::quote::quote(name)),
            None => format!("{{{{template {}}}}}", crate::quote::quote(name)),
        };
        let Some(tree) = self.set.tree(name) else {
            return Err(self.fail(
                pos,
                &context,
                format!("template {} not defined", crate::quote::quote(name)),
            ));
        };
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.fail(
                pos,
                &context,
                format!("exceeded maximum template depth ({MAX_CALL_DEPTH})"),
            ));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Rv::Invalid,
        };
        self.run_here(tree, new_dot)
    }

    /// `$x = value`: the innermost `$x` in scope (Go's parser lets an undeclared one through
    /// to execution, which fails).
    pub fn set_var(&mut self, pipe: &Pipe, name: &str, value: Rv) -> XResult<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.pipe_fail(pipe, format!("undefined variable: {name}"))),
        }
    }
}

impl Runtime for Exec<'_> {
    fn include(&mut self, name: &str, data: &Value) -> Result<String, FuncError> {
        let Some(tree) = self.set.tree(name) else {
            return Err(FuncError::new(format!(
                "template: no template {} associated with template \"gotpl\"",
                crate::quote::quote(name)
            )));
        };
        if self.depth >= MAX_CALL_DEPTH {
            // Helm's wording for runaway recursion, at our (lower) bound.
            return Err(FuncError::new(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        Ok(self.run(tree, Rv::of(data.clone()))?)
    }

    fn tpl(&mut self, text: &str, data: &Value) -> Result<String, FuncError> {
        let name = self.tree.parse_name.to_string();
        let mut set = self.set.clone();
        let tree = set
            .parse_tree(&name, text, self.funcs, false)
            .map_err(|e| {
                FuncError::new(format!(
                    "cannot parse template {}: {e}",
                    crate::quote::quote(text)
                ))
            })?;
        let old = std::mem::replace(&mut self.set, set);
        let result = self.run(tree, Rv::of(data.clone()));
        self.set = old;
        let printed = result.map_err(|e| {
            FuncError::new(format!(
                "error during tpl function execution for {}: {e}",
                crate::quote::quote(text)
            ))
        })?;
        // Helm removes `<no value>` from what tpl renders, as from whole files.
        Ok(printed.replace("<no value>", ""))
    }
}
