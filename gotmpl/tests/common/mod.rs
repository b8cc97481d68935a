//! Go's `exec_test.go` data, `tVal` of type `*template.T`, rewritten as template values: the
//! struct is an [`Object`] (its fields and methods), its maps and slices are [`Value`]s.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::rc::Rc;

use ferry_gotmpl::{sprint, sprintf, FuncError, FuncMap, Object, Runtime, Templates, Value};

pub fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

pub fn int(i: i64) -> Value {
    Value::Int(i)
}

pub fn ints(xs: &[i64]) -> Value {
    Value::list_from(xs.iter().map(|x| Value::Int(*x)))
}

pub fn map(entries: &[(&str, Value)]) -> Value {
    Value::map_from(entries.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

/// Go's `T`: fields by name, and the methods `exec_test.go` defines on `*T`.
#[derive(Debug, Clone)]
pub struct T {
    fields: BTreeMap<String, Value>,
}

impl Object for T {
    fn type_name(&self) -> &str {
        "*template.T"
    }

    fn field(&self, name: &str) -> Option<Value> {
        if name == "Method0" {
            return Some(s("M0"));
        }
        if name == "GetU" {
            return self.fields.get("U").cloned();
        }
        if name == "Copy" {
            return Some(Value::Object(Rc::new(self.clone())));
        }
        self.fields.get(name).cloned()
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let want = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(FuncError::new(format!(
                    "wrong number of args for {name}: want {n} got {}",
                    args.len()
                )))
            }
        };
        Some(match name {
            "Method1" => want(1).map(|_| args[0].clone()),
            "Method2" => want(2).map(|_| s(&sprintf("Method2: %d %s", args))),
            "Method3" => want(1).map(|_| s(&sprintf("Method3: %v", args))),
            "MAdd" => want(2).map(|_| match (&args[0], &args[1]) {
                (Value::Int(a), Value::List(l)) => Value::list_from(l.iter().map(|x| match x {
                    Value::Int(x) => Value::Int(x + a),
                    other => other.clone(),
                })),
                _ => Value::Nil,
            }),
            "MyError" => want(1).and_then(|_| {
                if args[0].is_true() {
                    Err(FuncError::new("my error"))
                } else {
                    Ok(Value::Bool(false))
                }
            }),
            _ => return None,
        })
    }

    fn display(&self) -> String {
        "{T}".into()
    }
}

pub fn t_val() -> Value {
    let fields: BTreeMap<String, Value> = [
        ("True", Value::Bool(true)),
        ("I", int(17)),
        ("U16", int(16)),
        ("X", s("x")),
        ("S", s("xyz")),
        ("FloatZero", Value::Float(0.0)),
        ("U", map(&[("V", s("v"))])),
        ("SI", ints(&[3, 4, 5])),
        ("AI", ints(&[3, 4, 5])),
        ("SIEmpty", ints(&[])),
        (
            "SB",
            Value::list_from([Value::Bool(true), Value::Bool(false)]),
        ),
        (
            "MSI",
            map(&[("one", int(1)), ("two", int(2)), ("three", int(3))]),
        ),
        ("MSIone", map(&[("one", int(1))])),
        ("MSIEmpty", map(&[])),
        ("MXI", map(&[("one", int(1))])),
        (
            "SMSI",
            Value::list_from([
                map(&[("one", int(1)), ("two", int(2))]),
                map(&[("eleven", int(11)), ("twelve", int(12))]),
            ]),
        ),
        ("Empty0", Value::Nil),
        ("Empty1", int(3)),
        ("Empty2", s("empty2")),
        ("Empty3", ints(&[7, 8])),
        ("Empty4", map(&[("V", s("UinEmpty"))])),
        ("PI", int(23)),
        ("PS", s("a string")),
        ("PSI", ints(&[21, 22, 23])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Value::Object(Rc::new(T { fields }))
}

fn f_type_of(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    Ok(s(&sprintf("%T", a)))
}
fn f_add(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    let mut sum = 0;
    for x in a {
        match x {
            Value::Int(i) => sum += i,
            other => {
                return Err(FuncError::new(format!(
                    "wrong type for value; expected int; got {}",
                    other.type_name()
                )))
            }
        }
    }
    Ok(int(sum))
}
fn f_echo(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    Ok(a.first().cloned().unwrap_or_default())
}
fn f_makemap(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    let m = Value::new_map();
    if let Value::Map(inner) = &m {
        for pair in a.chunks(2) {
            inner
                .borrow_mut()
                .insert(sprint(&pair[..1]), pair[1].clone());
        }
    }
    Ok(m)
}
fn f_map_of_three(_: &mut dyn Runtime, _: &[Value]) -> Result<Value, FuncError> {
    Ok(map(&[("three", int(3))]))
}
fn f_one_arg(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    match a {
        [Value::String(x)] => Ok(s(&format!("oneArg={x}"))),
        _ => Err(FuncError::new("oneArg wants one string")),
    }
}
fn f_two_args(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    match a {
        [Value::String(x), Value::String(y)] => Ok(s(&format!("twoArgs={x}{y}"))),
        _ => Err(FuncError::new("twoArgs wants two strings")),
    }
}
fn f_zero_args(_: &mut dyn Runtime, _: &[Value]) -> Result<Value, FuncError> {
    Ok(s("zeroArgs"))
}
fn f_die(_: &mut dyn Runtime, _: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::new("die"))
}
fn f_count(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    let n = match a {
        [Value::Int(n)] => *n as usize,
        _ => 0,
    };
    Ok(Value::list_from(
        "abcdefghijklmnop"[..n].chars().map(|c| s(&c.to_string())),
    ))
}
fn f_return_int(_: &mut dyn Runtime, _: &[Value]) -> Result<Value, FuncError> {
    Ok(int(7))
}
fn f_include(rt: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    let name = a
        .first()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let data = a.get(1).cloned().unwrap_or_default();
    rt.include(&name, &data).map(Value::String)
}
fn f_tpl(rt: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    let text = a
        .first()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let data = a.get(1).cloned().unwrap_or_default();
    rt.tpl(&text, &data).map(Value::String)
}

fn f_quote(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    Ok(s(&ferry_gotmpl::quote(&sprint(a))))
}
fn f_indent2(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    Ok(s(&sprint(a).replace('\n', "\n  ")))
}
fn f_trunc63(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    Ok(s(&sprint(a).chars().take(63).collect::<String>()))
}

/// The functions `exec_test.go` installs, plus `include` and `tpl` as Helm defines them.
pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert("typeOf", f_type_of);
    f.insert("add", f_add);
    f.insert("echo", f_echo);
    f.insert("makemap", f_makemap);
    f.insert("mapOfThree", f_map_of_three);
    f.insert("oneArg", f_one_arg);
    f.insert("twoArgs", f_two_args);
    f.insert("zeroArgs", f_zero_args);
    f.insert("die", f_die);
    f.insert("count", f_count);
    f.insert("returnInt", f_return_int);
    f.insert("include", f_include);
    f.insert("tpl", f_tpl);
    f.insert("quote", f_quote);
    f.insert("indent2", f_indent2);
    f.insert("trunc63", f_trunc63);
    f
}

/// Parses `text` as the template `t` and executes it; an error is its message.
pub fn run(text: &str, data: &Value) -> Result<String, String> {
    let funcs = funcs();
    let mut set = Templates::new();
    set.parse("t", text, &funcs).map_err(|e| e.to_string())?;
    set.execute("t", data, &funcs).map_err(|e| e.to_string())
}
