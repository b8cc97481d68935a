//! The values templates compute with, modelled on the Go types Helm hands its templates:
//! `interface{}` holding nil, bool, int64, float64, string, `[]interface{}`,
//! `map[string]interface{}` or a Go struct with fields and methods (`.Files`, `.Capabilities`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::bound::Walk;

/// A Go `map[string]interface{}`: a shared reference, so `set` and `unset` change every holder,
/// as in Go. Iteration is in sorted key order, as Go's `range` and `fmt` give.
pub type Map = Rc<RefCell<BTreeMap<String, Value>>>;

/// A Go struct (or a named map type) with fields and methods, e.g. Helm's `.Files`.
pub trait Object: fmt::Debug {
    /// The Go type's name, for error messages (e.g. `chartutil.Files`).
    fn type_name(&self) -> &str;
    /// A field (or a method without arguments); `None` when it has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method called with arguments; `None` when it has no such method.
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, crate::FuncError>>;
    /// What `%v` prints (a Go `String()` method where the type has one).
    fn display(&self) -> String;
    /// For a named Go map or slice type with methods (Helm's `.Files` is a
    /// `map[string][]byte`, `.Capabilities.APIVersions` a `[]string`), the plain map or list
    /// it is: what `range`, `len` and function arguments (sprig's `has`, `keys`, …) see.
    /// `None` for a struct.
    fn underlying(&self) -> Option<Value> {
        None
    }
}

/// One template value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// A nil interface: a missing key, an unset value.
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// A Go slice. Sprig's list functions return new lists, so sharing is not needed.
    List(Rc<Vec<Value>>),
    Map(Map),
    Object(Rc<dyn Object>),
}

impl Value {
    /// A new, empty map.
    pub fn new_map() -> Value {
        Value::Map(Rc::new(RefCell::new(BTreeMap::new())))
    }

    /// A map from entries.
    pub fn map_from(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries.into_iter().collect())))
    }

    /// A list from items.
    pub fn list_from(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(Rc::new(items.into_iter().collect()))
    }

    /// Go's truth for `if`, `with`, `and`, `or` and `not`: false, 0, nil and empty strings,
    /// lists and maps are false; everything else (structs included) is true.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(_) => true,
        }
    }

    /// Go's name of the dynamic type, as error messages and `typeOf` print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts parsed JSON (or YAML read into JSON) the way Go's `encoding/json` and
    /// `sigs.k8s.io/yaml` do, as Helm reads values: every number becomes `float64`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::list_from(a.iter().map(Value::from_json)),
            serde_json::Value::Object(o) => {
                Value::map_from(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))))
            }
        }
    }

    /// The JSON form, as Go's `encoding/json` would marshal it (objects by their display).
    /// Fails on values nested deeper than [`crate::MAX_VALUE_DEPTH`] (a map that contains
    /// itself), where Go's encoder reports a cycle.
    pub fn to_json(&self) -> Result<serde_json::Value, crate::FuncError> {
        self.to_json_within(&mut Walk::default())
    }

    fn to_json_within(&self, walk: &mut Walk) -> Result<serde_json::Value, crate::FuncError> {
        Ok(match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => float_json(*f),
            Value::String(s) => serde_json::Value::String(s.clone()),
            // Plain loops: each level of a deep value costs as little stack as can be.
            Value::List(l) => {
                walk.enter("json")?;
                let mut items = Vec::with_capacity(l.len());
                for v in l.iter() {
                    items.push(v.to_json_within(walk)?);
                }
                walk.leave();
                serde_json::Value::Array(items)
            }
            Value::Map(m) => {
                walk.enter("json")?;
                let mut entries = serde_json::Map::new();
                for (k, v) in m.borrow().iter() {
                    entries.insert(k.clone(), v.to_json_within(walk)?);
                }
                walk.leave();
                serde_json::Value::Object(entries)
            }
            Value::Object(o) => serde_json::Value::String(o.display()),
        })
    }

    /// An object of a named map or slice type as its plain value; anything else as it is.
    pub fn without_methods(self) -> Value {
        match &self {
            Value::Object(o) => o.underlying().unwrap_or(self),
            _ => self,
        }
    }

    /// A deep copy: maps are copied, not shared (sprig's `deepCopy`, Helm's values copies).
    /// Fails on values nested deeper than [`crate::MAX_VALUE_DEPTH`] (a map that contains
    /// itself, which Go's copystructure would copy without end) or with more than
    /// [`crate::MAX_VALUE_NODES`] lists and maps.
    pub fn deep_copy(&self) -> Result<Value, crate::FuncError> {
        self.deep_copy_within(&mut Walk::default())
    }

    fn deep_copy_within(&self, walk: &mut Walk) -> Result<Value, crate::FuncError> {
        Ok(match self {
            Value::List(l) => {
                walk.enter("deepCopy")?;
                let mut items = Vec::with_capacity(l.len());
                for v in l.iter() {
                    items.push(v.deep_copy_within(walk)?);
                }
                walk.leave();
                Value::List(Rc::new(items))
            }
            Value::Map(m) => {
                walk.enter("deepCopy")?;
                let mut entries = BTreeMap::new();
                for (k, v) in m.borrow().iter() {
                    entries.insert(k.clone(), v.deep_copy_within(walk)?);
                }
                walk.leave();
                Value::Map(Rc::new(RefCell::new(entries)))
            }
            other => other.clone(),
        })
    }
}

/// Dropping a list or map drops what it holds: a chain a million maps deep (a `range` can
/// build one) would overflow the stack, so the last holder of a list or map takes its
/// items out and drops them one by one from a heap stack.
impl Drop for Value {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        take_items(self, &mut pending);
        while let Some(mut v) = pending.pop() {
            take_items(&mut v, &mut pending);
        }
    }
}

/// Moves out the items of a list or map that nothing else holds, when some item is itself a
/// list or map (flat ones drop without recursion, and without this allocation).
fn take_items(v: &mut Value, pending: &mut Vec<Value>) {
    let nests = |x: &Value| matches!(x, Value::List(_) | Value::Map(_));
    match v {
        Value::List(l) => {
            if let Some(items) = Rc::get_mut(l) {
                if items.iter().any(nests) {
                    pending.append(items);
                }
            }
        }
        Value::Map(m) => {
            if let Some(cell) = Rc::get_mut(m) {
                let entries = cell.get_mut();
                if entries.values().any(nests) {
                    pending.extend(std::mem::take(entries).into_values());
                }
            }
        }
        _ => {}
    }
}

/// A whole float marshals as an integer in Go's JSON (`3`, not `3.0`).
fn float_json(f: f64) -> serde_json::Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// `%v`, as Go's `fmt` prints an `interface{}`: `<nil>` for nil, `map[a:1 b:2]`, `[x y]`,
/// floats in `%g` with the shortest precision (so `1e+06`, a quirk Helm users know).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::sprint(std::slice::from_ref(self)))
    }
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 64)`, which `%v` uses: the shortest digits that
/// round-trip, in exponent form when the decimal exponent is below -4 or at least 6.
pub fn format_float_g(x: f64) -> String {
    crate::float::format_float(x, 'g', None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them_with_v() {
        for (x, want) in [
            (3.0, "3"),
            (0.5, "0.5"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
        ] {
            assert_eq!(format_float_g(x), want, "{x}");
        }
    }

    #[test]
    fn maps_are_shared_and_print_sorted() {
        let m = Value::new_map();
        let alias = m.clone();
        if let Value::Map(inner) = &alias {
            inner.borrow_mut().insert("b".into(), Value::Int(2));
            inner
                .borrow_mut()
                .insert("a".into(), Value::String("x".into()));
        }
        assert_eq!(m.to_string(), "map[a:x b:2]");
        assert_eq!(Value::Nil.to_string(), "<nil>");
        assert!(!Value::new_map().is_true());
    }
}
