//! Go's predefined template functions (`and` and `or` short-circuit, so they live in the
//! evaluator): comparisons with Go's basic-kind rules, `index`, `slice`, `len`, `not`, the
//! `print` family and the escapers.

use std::rc::Rc;

use crate::exec::Rv;
use crate::printf::{sprint, sprintf, sprintln};
use crate::Value;

/// A built-in's failure, reported as `error calling name: ...`.
pub struct BuiltinError(pub String);

type BResult = Result<Rv, BuiltinError>;

fn err<T>(message: impl Into<String>) -> Result<T, BuiltinError> {
    Err(BuiltinError(message.into()))
}

const NAMES: [&str; 18] = [
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery",
];

pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name) || name == "call"
}

/// Go's arity check for a built-in given `got` arguments (the piped value included).
pub fn arity_error(name: &str, got: usize) -> Option<String> {
    let exact = match name {
        "not" | "len" => Some(1),
        "ne" | "lt" | "le" | "gt" | "ge" => Some(2),
        _ => None,
    };
    if let Some(want) = exact {
        return (got != want)
            .then(|| format!("wrong number of args for {name}: want {want} got {got}"));
    }
    let at_least_one = matches!(
        name,
        "and" | "or" | "index" | "slice" | "eq" | "call" | "printf"
    );
    (at_least_one && got == 0)
        .then(|| format!("wrong number of args for {name}: want at least 1 got 0"))
}

pub fn call(name: &str, args: &[Rv]) -> BResult {
    let values = || args.iter().map(Rv::value).collect::<Vec<_>>();
    let bool_ = |b: bool| Ok(Rv::Val(Value::Bool(b)));
    match name {
        "not" => bool_(!args[0].is_true()),
        "len" => length(&args[0]),
        "index" => index(&args[0], &args[1..]),
        "slice" => slice(&args[0], &args[1..]),
        "print" => Ok(string(sprint(&values()))),
        "println" => Ok(string(sprintln(&values()))),
        "printf" => {
            let vals = values();
            let format = vals[0].as_str().unwrap_or_default().to_string();
            Ok(string(sprintf(&format, &vals[1..])))
        }
        "eq" => bool_(eq(&args[0].value(), &values()[1..])?),
        "ne" => bool_(!eq(&args[0].value(), &[args[1].value()])?),
        "lt" => bool_(lt(&args[0].value(), &args[1].value())?),
        "le" => bool_(le(&args[0].value(), &args[1].value())?),
        "gt" => bool_(!le(&args[0].value(), &args[1].value())?),
        "ge" => bool_(!lt(&args[0].value(), &args[1].value())?),
        "html" => Ok(string(html_escape(&escaper_text(&values())))),
        "js" => Ok(string(js_escape(&escaper_text(&values())))),
        "urlquery" => Ok(string(query_escape(&escaper_text(&values())))),
        _ => err(format!("{name} is not a built-in function")),
    }
}

fn string(s: String) -> Rv {
    Rv::Val(Value::String(s))
}

/// The comparison class of a value, Go's `basicKind`; `None` for nil, lists, maps, structs.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> Option<Kind> {
    match v {
        Value::Bool(_) => Some(Kind::Bool),
        Value::Int(_) => Some(Kind::Int),
        Value::Float(_) => Some(Kind::Float),
        Value::String(_) => Some(Kind::String),
        _ => None,
    }
}

/// Which values Go's `canCompare` puts in the same reflect kind.
fn reflect_kind(v: &Value) -> u8 {
    match v {
        Value::Nil => 0,
        Value::List(_) => 1,
        Value::Map(_) => 2,
        Value::Object(_) => 3,
        _ => 4,
    }
}

pub fn eq(a: &Value, rest: &[Value]) -> Result<bool, BuiltinError> {
    if rest.is_empty() {
        return err("missing argument for comparison");
    }
    let k1 = basic_kind(a);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !matches!(a, Value::Nil) && !matches!(b, Value::Nil) {
                return err("incompatible types for comparison");
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    let (ka, kb) = (reflect_kind(a), reflect_kind(b));
                    if ka != kb && ka != 0 && kb != 0 {
                        return err(format!(
                            "non-comparable types {a}: {}, {}: {b}",
                            a.type_name(),
                            b.type_name()
                        ));
                    }
                    let (na, nb) = (matches!(a, Value::Nil), matches!(b, Value::Nil));
                    if na || nb {
                        na == nb
                    } else {
                        match (a, b) {
                            (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
                            _ => return err(format!("non-comparable type {b}: {}", b.type_name())),
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn lt(a: &Value, b: &Value) -> Result<bool, BuiltinError> {
    let (Some(k1), Some(k2)) = (basic_kind(a), basic_kind(b)) else {
        return err("invalid type for comparison");
    };
    if k1 != k2 {
        return err("incompatible types for comparison");
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return err("invalid type for comparison"),
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, BuiltinError> {
    Ok(lt(a, b)? || eq(a, std::slice::from_ref(b))?)
}

fn length(item: &Rv) -> BResult {
    let n = match item {
        Rv::Invalid => return err("reflect: call of reflect.Value.Type on zero Value"),
        Rv::Iface(v) | Rv::Val(v) => match v {
            Value::Nil => return err("len of nil pointer"),
            Value::String(s) => s.len(),
            Value::List(l) => l.len(),
            Value::Map(m) => m.borrow().len(),
            Value::Object(o) if o.underlying().is_some() => {
                return length(&Rv::Val(v.clone().without_methods()));
            }
            other => return err(format!("len of type {}", other.type_name())),
        },
    };
    Ok(Rv::Val(Value::Int(n as i64)))
}

/// An index into something of length `cap`, Go's `indexArg`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, BuiltinError> {
    let x = match index {
        Value::Int(x) => *x,
        Value::Nil => return err("cannot index slice/array with nil"),
        other => {
            return err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ))
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Rv, indexes: &[Rv]) -> BResult {
    let mut cur = item.value();
    if let Value::Nil = cur {
        return err("index of untyped nil");
    }
    for index in indexes {
        let index = index.value();
        cur = match &cur {
            Value::Nil => return err("index of nil pointer"),
            Value::List(l) => {
                let x = index_arg(&index, l.len())?;
                match l.get(x) {
                    Some(v) => v.clone(),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::String(s) => {
                let x = index_arg(&index, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(*b as i64),
                    None => return err("reflect: string index out of range"),
                }
            }
            Value::Map(m) => match &index {
                Value::String(k) => m.borrow().get(k).cloned().unwrap_or(Value::Nil),
                Value::Nil => return err("value is nil; should be of type string"),
                other => {
                    return err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ))
                }
            },
            other => return err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(Rv::Iface(cur))
}

fn slice(item: &Rv, indexes: &[Rv]) -> BResult {
    let item = item.value();
    if let Value::Nil = item {
        return err("slice of untyped nil");
    }
    if indexes.len() > 3 {
        return err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match &item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return err("cannot 3-index slice a string");
            }
            s.len()
        }
        Value::List(l) => l.len(),
        other => return err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.value(), len)?;
    }
    if idx[0] > idx[1] {
        return err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(Rv::Val(match &item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(l) => Value::list_from(l[idx[0]..idx[1]].iter().cloned()),
        _ => unreachable!("only strings and lists get here"),
    }))
}

/// The text the escapers work on: a lone string as is, otherwise `fmt.Sprint` of all.
fn escaper_text(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.clone();
    }
    sprint(args)
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() || crate::quote::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
