//! Argument checks and the conversions sprig applies to `interface{}` arguments: `strval`,
//! `strslice`, `empty`, and spf13/cast's `ToInt64`/`ToFloat64`. Typed parameters (`int`,
//! `string`, `bool`, maps) are checked as Go's text/template checks them, with its wording.

use crate::bound::Walk;
use crate::{FuncError, Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

pub type FnResult = Result<Value, FuncError>;

/// Go's "wrong number of args" check for a function with exactly `n` parameters.
pub fn exactly(args: &[Value], n: usize, name: &str) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// The check for a variadic function with `n` fixed parameters.
pub fn at_least(args: &[Value], n: usize, name: &str) -> Result<(), FuncError> {
    if args.len() < n {
        return Err(FuncError(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Go's wording for a typed parameter given the wrong value. What charts pass comes out of
/// `map[string]interface {}` (values, dicts), so Go names its type `interface {}`, missing
/// values included; integers come from literals and sprig's arithmetic.
fn wrong_type(want: &str, got: &Value) -> FuncError {
    let got = match got {
        Value::Int(_) => "int".to_string(),
        Value::Object(o) => o.type_name().to_string(),
        _ => "interface {}".to_string(),
    };
    FuncError(format!("wrong type for value; expected {want}; got {got}"))
}

/// A `string` parameter.
pub fn string(v: &Value) -> Result<&str, FuncError> {
    v.as_str().ok_or_else(|| wrong_type("string", v))
}

/// An `int` parameter (template integer constants and sprig's int results are `Value::Int`).
pub fn int(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(wrong_type("int", other)),
    }
}

/// A `bool` parameter.
pub fn boolean(v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A `map[string]interface{}` parameter; nil is allowed, as a nil map (read as empty).
pub fn map(v: &Value) -> Result<Option<&Map>, FuncError> {
    match v {
        Value::Map(m) => Ok(Some(m)),
        Value::Nil => Ok(None),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// A map parameter that the function writes to: a nil map panics in Go.
pub fn map_mut(v: &Value) -> Result<&Map, FuncError> {
    match map(v)? {
        Some(m) => Ok(m),
        None => Err(FuncError::new("assignment to entry in nil map")),
    }
}

/// A fresh map with the given entries.
pub fn new_map(entries: BTreeMap<String, Value>) -> Value {
    Value::Map(Rc::new(RefCell::new(entries)))
}

/// sprig's `strval`: strings as they are, everything else as `%v` prints it.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// sprig's `strslice`: a list's non-nil items as strings; nil is empty; a scalar is one item.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// sprig's `empty`: nil, false, 0, and empty strings, lists and maps; structs never are.
pub fn is_empty(v: &Value) -> bool {
    !matches!(v, Value::Object(_)) && !v.is_true()
}

/// spf13/cast `ToInt64`: ints as they are, floats truncated, bools 1/0, strings parsed as Go
/// integer literals (after dropping a zero fraction like `3.0`); anything else is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        // Go's conversion on amd64: out of range (and NaN) gives the minimum.
        Value::Float(f) => {
            if f.is_finite()
                && *f < 9_223_372_036_854_775_808.0
                && *f >= -9_223_372_036_854_775_808.0
            {
                f.trunc() as i64
            } else {
                i64::MIN
            }
        }
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`: strings through `strconv.ParseFloat`; anything unconvertible is 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal forms (and Inf/NaN spellings).
pub fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    if t.is_empty() || t.contains(' ') {
        return None;
    }
    // Underscores between digits are read as Go 1.13 number literals allow them.
    let b = t.as_bytes();
    let ok_underscores = b.iter().enumerate().all(|(i, c)| {
        *c != b'_'
            || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
    });
    if !ok_underscores {
        return None;
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// cast's `trimZeroDecimal`: `"3.00"` → `"3"`; `"3.5"` and `"3."` are kept.
fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or a leading `0` (octal).
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if magnitude > i64::MAX as u64 + 1 {
            None
        } else {
            Some((magnitude as i128).wrapping_neg() as i64)
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `reflect.DeepEqual` on template values (ints and floats of equal value differ, as
/// `int` and `float64` differ in Go). As in Go, a pair of lists or maps already being compared
/// counts as equal, so maps that contain themselves compare without end; values nested
/// deeper than [`crate::MAX_VALUE_DEPTH`] fail, naming `what`.
pub fn deep_equal(a: &Value, b: &Value, what: &str) -> Result<bool, FuncError> {
    DeepEqual {
        visited: HashSet::new(),
        walk: Walk::default(),
        what,
    }
    .equal(a, b)
}

struct DeepEqual<'a> {
    /// Pairs of list or map addresses compared or being compared.
    visited: HashSet<(usize, usize)>,
    walk: Walk,
    what: &'a str,
}

impl DeepEqual<'_> {
    /// Whether the pair is new; the address pair is recorded.
    fn first_visit(&mut self, x: usize, y: usize) -> bool {
        self.visited.insert((x, y))
    }

    fn equal(&mut self, a: &Value, b: &Value) -> Result<bool, FuncError> {
        Ok(match (a, b) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::String(x), Value::String(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                if Rc::ptr_eq(x, y)
                    || !self.first_visit(Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize)
                {
                    return Ok(true);
                }
                self.walk.enter(self.what)?;
                let mut same = true;
                for (p, q) in x.iter().zip(y.iter()) {
                    if !self.equal(p, q)? {
                        same = false;
                        break;
                    }
                }
                self.walk.leave();
                same
            }
            (Value::Map(x), Value::Map(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if x.borrow().len() != y.borrow().len() {
                    return Ok(false);
                }
                if !self.first_visit(Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize) {
                    return Ok(true);
                }
                self.walk.enter(self.what)?;
                let (x, y) = (x.borrow(), y.borrow());
                let mut same = true;
                for (k, v) in x.iter() {
                    let equal = match y.get(k) {
                        Some(w) => self.equal(v, w)?,
                        None => false,
                    };
                    if !equal {
                        same = false;
                        break;
                    }
                }
                self.walk.leave();
                same
            }
            (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
            _ => false,
        })
    }
}

/// Go's kind names (`reflect.Kind.String()`), for `kindOf` and error messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        // Templates hold Go pointers (`*semver.Version`) and structs (`time.Time`).
        Value::Object(o) if o.type_name().starts_with('*') => "ptr",
        Value::Object(_) => "struct",
    }
}

pub fn text(s: impl Into<String>) -> FnResult {
    Ok(Value::String(s.into()))
}

pub fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::list_from(items.into_iter().map(Value::String))
}
