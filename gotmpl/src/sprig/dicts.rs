//! sprig's dictionary functions. Dicts are shared references as in Go: `set`, `unset` and
//! `merge` change the map they are given and return it. `keys` and `values` come out in
//! sorted key order (Go's are in random order, so no chart can depend on one).

use super::args::{self, at_least, exactly, string, strval, FnResult};
use crate::bound::Walk;
use crate::{FuncError, FuncMap, Map, Runtime, Value};
use std::collections::HashSet;
use std::rc::Rc;

pub fn register(m: &mut FuncMap) {
    m.insert("dict", dict);
    m.insert("get", get);
    m.insert("set", set);
    m.insert("unset", unset);
    m.insert("hasKey", has_key);
    m.insert("pluck", pluck);
    m.insert("dig", dig);
    m.insert("merge", |_, a| merge_all(a, false, "merge"));
    m.insert("mustMerge", |_, a| merge_all(a, false, "mustMerge"));
    m.insert("mergeOverwrite", |_, a| {
        merge_all(a, true, "mergeOverwrite")
    });
    m.insert("mustMergeOverwrite", |_, a| {
        merge_all(a, true, "mustMergeOverwrite")
    });
    m.insert("keys", keys);
    m.insert("pick", pick);
    m.insert("omit", omit);
    m.insert("values", values);
}

fn dict(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let mut entries = std::collections::BTreeMap::new();
    for pair in a.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or(Value::String(String::new()));
        entries.insert(strval(&pair[0]), value);
    }
    Ok(args::new_map(entries))
}

fn get(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "get")?;
    let key = string(&a[1])?;
    let found = args::map(&a[0])?.and_then(|m| m.borrow().get(key).cloned());
    Ok(found.unwrap_or(Value::String(String::new())))
}

fn set(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "set")?;
    let m = args::map_mut(&a[0])?;
    m.borrow_mut()
        .insert(string(&a[1])?.to_string(), a[2].clone());
    Ok(a[0].clone())
}

fn unset(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "unset")?;
    let key = string(&a[1])?;
    if let Some(m) = args::map(&a[0])? {
        m.borrow_mut().remove(key);
    }
    Ok(a[0].clone())
}

fn has_key(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "hasKey")?;
    let key = string(&a[1])?;
    let found = args::map(&a[0])?.is_some_and(|m| m.borrow().contains_key(key));
    Ok(Value::Bool(found))
}

fn pluck(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "pluck")?;
    let key = string(&a[0])?;
    let mut out = Vec::new();
    for d in &a[1..] {
        if let Some(m) = args::map(d)? {
            if let Some(v) = m.borrow().get(key) {
                out.push(v.clone());
            }
        }
    }
    Ok(Value::list_from(out))
}

fn dig(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    if a.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let default = &a[a.len() - 2];
    let mut current = match &a[a.len() - 1] {
        Value::Map(m) => m.clone(),
        other => return Err(not_a_map(other)),
    };
    let keys = &a[..a.len() - 2];
    for (i, k) in keys.iter().enumerate() {
        let Value::String(k) = k else {
            return Err(FuncError(format!(
                "interface conversion: interface {{}} is {}, not string",
                k.type_name()
            )));
        };
        let step = current.borrow().get(k).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        current = match &step {
            Value::Map(m) => m.clone(),
            other => return Err(not_a_map(other)),
        };
    }
    Ok(default.clone())
}

fn not_a_map(v: &Value) -> FuncError {
    if matches!(v, Value::Nil) {
        return FuncError::new(
            "interface conversion: interface {} is nil, not map[string]interface {}",
        );
    }
    FuncError(format!(
        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
        v.type_name()
    ))
}

fn merge_all(a: &[Value], overwrite: bool, name: &str) -> FnResult {
    at_least(a, 1, name)?;
    let dst = match args::map(&a[0])? {
        Some(m) => m.clone(),
        None => match a.get(1) {
            Some(Value::Map(_)) | None => match &args::new_map(Default::default()) {
                Value::Map(m) => m.clone(),
                _ => unreachable!("new_map makes a map"),
            },
            Some(other) => return Err(wrong_map(other)),
        },
    };
    for src in &a[1..] {
        match args::map(src)? {
            Some(s) => merge_into(&dst, s, overwrite)?,
            None => continue,
        }
    }
    Ok(Value::Map(dst))
}

fn wrong_map(v: &Value) -> FuncError {
    FuncError(format!(
        "wrong type for value; expected map[string]interface {{}}; got {}",
        v.type_name()
    ))
}

/// dario.cat/mergo's map merge: nested maps merge in place; otherwise the destination keeps
/// its value unless it is missing or empty (`""`, `0`, `false`, nil, empty list or map), or
/// `overwrite` is set (then even an empty source value wins, and a nil one too).
/// A pair already merged (maps that contain themselves) is skipped, as mergo skips a visited
/// pair of addresses; nesting deeper than [`crate::MAX_VALUE_DEPTH`] fails.
pub fn merge_into(dst: &Map, src: &Map, overwrite: bool) -> Result<(), FuncError> {
    let mut merge = Merge {
        overwrite,
        visited: HashSet::new(),
        walk: Walk::default(),
    };
    merge.maps(dst, src)
}

struct Merge {
    overwrite: bool,
    /// (destination, source) map addresses merged or being merged.
    visited: HashSet<(usize, usize)>,
    walk: Walk,
}

impl Merge {
    fn maps(&mut self, dst: &Map, src: &Map) -> Result<(), FuncError> {
        if Rc::ptr_eq(dst, src)
            || !self
                .visited
                .insert((Rc::as_ptr(dst) as usize, Rc::as_ptr(src) as usize))
        {
            return Ok(());
        }
        self.walk.enter("merge")?;
        let entries: Vec<(String, Value)> = src
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, sv) in entries {
            if matches!(sv, Value::Nil) {
                if self.overwrite {
                    dst.borrow_mut().insert(key, Value::Nil);
                }
                continue;
            }
            let dv = dst.borrow().get(&key).cloned();
            if let (Value::Map(sm), Some(Value::Map(dm))) = (&sv, &dv) {
                self.maps(dm, sm)?;
                if !dm.borrow().is_empty() {
                    continue;
                }
            }
            let keep = match &dv {
                None => false,
                Some(d) => !self.overwrite && !args::is_empty(d),
            };
            if !keep {
                dst.borrow_mut().insert(key, sv);
            }
        }
        self.walk.leave();
        Ok(())
    }
}

fn keys(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for d in a {
        if let Some(m) = args::map(d)? {
            out.extend(m.borrow().keys().cloned());
        }
    }
    Ok(args::string_list(out))
}

fn pick(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "pick")?;
    let mut out = std::collections::BTreeMap::new();
    if let Some(m) = args::map(&a[0])? {
        let m = m.borrow();
        for k in &a[1..] {
            let k = string(k)?;
            if let Some(v) = m.get(k) {
                out.insert(k.to_string(), v.clone());
            }
        }
    }
    Ok(args::new_map(out))
}

fn omit(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "omit")?;
    let drop: Vec<&str> = a[1..].iter().map(string).collect::<Result<_, _>>()?;
    let mut out = std::collections::BTreeMap::new();
    if let Some(m) = args::map(&a[0])? {
        for (k, v) in m.borrow().iter() {
            if !drop.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(args::new_map(out))
}

fn values(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "values")?;
    let out: Vec<Value> = match args::map(&a[0])? {
        Some(m) => m.borrow().values().cloned().collect(),
        None => Vec::new(),
    };
    Ok(Value::list_from(out))
}
