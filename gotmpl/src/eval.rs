//! Evaluation of pipelines, commands, fields and calls, following Go's `exec.go` closely
//! enough that results and error messages match.

use std::fmt;

use crate::ast::{Arg, Command, Pipe};
use crate::builtins::{self, BuiltinError};
use crate::exec::{Exec, Rv, XResult};
use crate::quote::quote;
use crate::Value;

/// Where a call's error is reported: the whole command, or a lone identifier argument.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub pos: usize,
    pub node: &'a dyn fmt::Display,
}

impl Exec<'_> {
    pub fn eval_pipeline(&mut self, dot: &Rv, pipe: &Pipe) -> XResult<Rv> {
        let mut value: Option<Rv> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // An `interface {}` result is unwrapped to the value inside, as Go does.
            value = Some(v.unwrap_iface());
        }
        let value = value.unwrap_or(Rv::Invalid);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(pipe, name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn eval_command(&mut self, dot: &Rv, cmd: &Command, final_: Option<Rv>) -> XResult<Rv> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args, final_)
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, &cmd.args, final_),
            Arg::Identifier { pos, name } => {
                let site = Site {
                    pos: cmd.pos,
                    node: cmd,
                };
                return self.eval_function(dot, *pos, name, site, &cmd.args[1..], final_);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, &cmd.args, final_),
            _ => {}
        }
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool { value, .. } => Ok(Rv::Val(Value::Bool(*value))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { pos } => Err(self.fail(*pos, first, "nil is not a command")),
            Arg::Number { pos, value, .. } => match value {
                Ok(v) => Ok(Rv::Val(v.clone())),
                Err(e) => Err(self.fail(*pos, first, e)),
            },
            Arg::String { text, .. } => Ok(Rv::Val(Value::String(text.to_string()))),
            _ => Err(self.fail(
                first.pos(),
                first,
                format!("can't evaluate command {}", quote(&first.to_string())),
            )),
        }
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Rv>) -> XResult<()> {
        if args.len() > 1 || final_.is_some() {
            return Err(self.fail(
                args[0].pos(),
                &args[0],
                format!("can't give argument to non-function {}", args[0]),
            ));
        }
        Ok(())
    }

    fn eval_chain(
        &mut self,
        dot: &Rv,
        chain: &Arg,
        args: &[Arg],
        final_: Option<Rv>,
    ) -> XResult<Rv> {
        let Arg::Chain { pos, node, fields } = chain else {
            unreachable!("eval_chain is called with a chain")
        };
        if let Arg::Nil { .. } = **node {
            return Err(self.fail(
                *pos,
                chain,
                format!("indirection through explicit nil in {chain}"),
            ));
        }
        let receiver = self.eval_arg(dot, node)?;
        self.eval_field_chain(dot, receiver, chain, fields, args, final_)
    }

    fn eval_variable(
        &mut self,
        dot: &Rv,
        var: &Arg,
        args: &[Arg],
        final_: Option<Rv>,
    ) -> XResult<Rv> {
        let Arg::Variable { pos, idents } = var else {
            unreachable!("eval_variable is called with a variable")
        };
        let Some(value) = self
            .vars
            .iter()
            .rev()
            .find(|(n, _)| *n == idents[0])
            .map(|(_, v)| v.clone())
        else {
            return Err(self.fail(*pos, var, format!("undefined variable: {}", idents[0])));
        };
        if idents.len() == 1 {
            if !args.is_empty() {
                self.not_a_function(args, &final_)?;
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &idents[1..], args, final_)
    }

    /// `.X.Y.Z` on `receiver`; only the last field takes the arguments.
    fn eval_field_chain(
        &mut self,
        dot: &Rv,
        mut receiver: Rv,
        node: &Arg,
        idents: &[String],
        args: &[Arg],
        final_: Option<Rv>,
    ) -> XResult<Rv> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(dot, ident, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, final_, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Rv,
        name: &str,
        node: &Arg,
        args: &[Arg],
        final_: Option<Rv>,
        receiver: Rv,
    ) -> XResult<Rv> {
        let has_args = args.len() > 1 || final_.is_some();
        let (value, type_name) = match receiver {
            Rv::Invalid => return Ok(Rv::Invalid),
            Rv::Iface(Value::Nil) => {
                return Err(self.fail(
                    node.pos(),
                    node,
                    format!("nil pointer evaluating interface {{}}.{name}"),
                ))
            }
            Rv::Iface(v) => (v, "interface {}".to_string()),
            Rv::Val(v) => {
                let t = v.type_name();
                (v, t)
            }
        };
        match &value {
            Value::Map(m) => {
                if has_args {
                    return Err(self.fail(
                        node.pos(),
                        node,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                // missingkey=zero: a missing key is the zero `interface {}`, nil.
                let v = m.borrow().get(name).cloned().unwrap_or(Value::Nil);
                return Ok(Rv::Iface(v));
            }
            Value::Object(o) => {
                let o = o.clone();
                let called = if has_args {
                    let mut vals = Vec::with_capacity(args.len());
                    for a in &args[1..] {
                        vals.push(self.eval_arg(dot, a)?.value());
                    }
                    if let Some(f) = &final_ {
                        vals.push(f.value());
                    }
                    match o.method(name, &vals) {
                        Some(r) => Some(r),
                        None if o.field(name).is_some() => {
                            return Err(self.fail(
                                node.pos(),
                                node,
                                format!("{name} has arguments but cannot be invoked as function"),
                            ));
                        }
                        None => None,
                    }
                } else if let Some(v) = o.field(name) {
                    return Ok(match v {
                        Value::Nil => Rv::Iface(Value::Nil),
                        v => Rv::Val(v),
                    });
                } else {
                    o.method(name, &[])
                };
                if let Some(result) = called {
                    return match result {
                        Ok(v) => Ok(Rv::Val(v)),
                        Err(e) => {
                            Err(self.fail(node.pos(), node, format!("error calling {name}: {e}")))
                        }
                    };
                }
            }
            _ => {}
        }
        Err(self.fail(
            node.pos(),
            node,
            format!("can't evaluate field {name} in type {type_name}"),
        ))
    }

    /// An argument's value, as Go's `evalArg` for an `interface {}` (or `reflect.Value`)
    /// parameter.
    pub fn eval_arg(&mut self, dot: &Rv, arg: &Arg) -> XResult<Rv> {
        match arg {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Ok(Rv::Iface(Value::Nil)),
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), arg, idents, &[], None)
            }
            Arg::Variable { .. } => self.eval_variable(dot, arg, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { pos, name } => {
                let site = Site {
                    pos: *pos,
                    node: arg,
                };
                self.eval_function(dot, *pos, name, site, &[], None)
            }
            Arg::Chain { .. } => self.eval_chain(dot, arg, &[], None),
            Arg::Bool { value, .. } => Ok(Rv::Val(Value::Bool(*value))),
            Arg::Number { pos, value, .. } => match value {
                Ok(v) => Ok(Rv::Val(v.clone())),
                Err(e) => Err(self.fail(*pos, arg, e)),
            },
            Arg::String { text, .. } => Ok(Rv::Val(Value::String(text.to_string()))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Rv,
        ident_pos: usize,
        name: &str,
        site: Site<'_>,
        args: &[Arg],
        final_: Option<Rv>,
    ) -> XResult<Rv> {
        if let Some(f) = self.funcs.get(name).copied() {
            let vals = self.eval_args(dot, args, final_)?;
            return match f(self, &vals) {
                Ok(v) => Ok(Rv::Val(v)),
                Err(e) => Err(self.fail(site.pos, site.node, format!("error calling {name}: {e}"))),
            };
        }
        if !builtins::is_builtin(name) {
            return Err(self.fail(
                ident_pos,
                &name,
                format!("{} is not a defined function", quote(name)),
            ));
        }
        let given = args.len() + usize::from(final_.is_some());
        if let Some(message) = builtins::arity_error(name, given) {
            return Err(self.fail(ident_pos, &name, message));
        }
        if name == "and" || name == "or" {
            // Short-circuit: the first deciding argument is the result.
            let mut v = Rv::Invalid;
            for a in args {
                v = self.eval_arg(dot, a)?;
                if v.is_true() == (name == "or") {
                    return Ok(v);
                }
            }
            return Ok(final_.unwrap_or(v));
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.eval_arg(dot, a)?);
        }
        if let Some(f) = final_ {
            vals.push(f);
        }
        if name == "printf" {
            let message = match vals.first().map(Rv::value) {
                Some(Value::String(_)) | None => None,
                Some(Value::Nil) => Some("invalid value; expected string".to_string()),
                Some(other) => Some(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                )),
            };
            if let Some(message) = message {
                return Err(match args.first() {
                    Some(first) => self.fail(first.pos(), first, message),
                    None => self.fail(ident_pos, &name, message),
                });
            }
        }
        if name == "call" {
            // No value is a function here; Go names the operand that is not one.
            let message = match (vals[0].value(), args.first()) {
                (Value::Nil, _) => "call of nil".to_string(),
                (v, Some(node)) => format!("non-function {node} of type {}", v.type_name()),
                (v, None) => format!("non-function of type {}", v.type_name()),
            };
            return Err(self.fail(
                site.pos,
                site.node,
                format!("error calling call: {message}"),
            ));
        }
        match builtins::call(name, &vals) {
            Ok(v) => Ok(v),
            Err(BuiltinError(e)) => {
                Err(self.fail(site.pos, site.node, format!("error calling {name}: {e}")))
            }
        }
    }

    fn eval_args(&mut self, dot: &Rv, args: &[Arg], final_: Option<Rv>) -> XResult<Vec<Value>> {
        // Functions see a named map or slice type (Helm's `.Capabilities.APIVersions`) as
        // the map or slice it is, as Go's reflection does.
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.eval_arg(dot, a)?.value().without_methods());
        }
        if let Some(f) = final_ {
            vals.push(f.value().without_methods());
        }
        Ok(vals)
    }
}
