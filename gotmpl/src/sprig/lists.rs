//! sprig's list functions. They build new lists; comparisons (`uniq`, `has`, `without`) use
//! Go's `reflect.DeepEqual`, so `1` (int) and `1.0` (float64, as YAML gives) differ.
//! The plain forms fail like the `must` forms: Go's template turns their panic into an error.

use super::args::{self, at_least, exactly, int, to_int64, FnResult};
use crate::bound::check_list_len;
use crate::{FuncError, FuncMap, Runtime, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("list", list);
    m.insert("tuple", list);
    for name in ["append", "push", "mustAppend", "mustPush"] {
        m.insert(name, push);
    }
    m.insert("prepend", prepend);
    m.insert("mustPrepend", prepend);
    m.insert("first", first);
    m.insert("mustFirst", first);
    m.insert("rest", rest);
    m.insert("mustRest", rest);
    m.insert("last", last);
    m.insert("mustLast", last);
    m.insert("initial", initial);
    m.insert("mustInitial", initial);
    m.insert("reverse", reverse);
    m.insert("mustReverse", reverse);
    m.insert("uniq", uniq);
    m.insert("mustUniq", uniq);
    m.insert("without", without);
    m.insert("mustWithout", without);
    m.insert("has", has);
    m.insert("mustHas", has);
    m.insert("compact", compact);
    m.insert("mustCompact", compact);
    m.insert("slice", slice);
    m.insert("mustSlice", slice);
    m.insert("concat", concat);
    m.insert("chunk", chunk);
    m.insert("mustChunk", chunk);
    m.insert("sortAlpha", sort_alpha);
    m.insert("until", until);
    m.insert("untilStep", until_step);
    m.insert("seq", seq);
}

/// The items of a list argument, or sprig's "Cannot <what> on type <T>" error.
fn items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], FuncError> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Err(FuncError::new(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Err(FuncError(format!(
            "Cannot {what} on type {}",
            args::kind_name(other)
        ))),
    }
}

fn list(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    Ok(Value::list_from(a.iter().cloned()))
}

fn push(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "append")?;
    let mut l = items(&a[0], "push")?.to_vec();
    l.push(a[1].clone());
    Ok(Value::list_from(l))
}

fn prepend(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "prepend")?;
    let l = items(&a[0], "prepend")?;
    Ok(Value::list_from(
        std::iter::once(a[1].clone()).chain(l.iter().cloned()),
    ))
}

fn first(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "first")?;
    Ok(items(&a[0], "find first")?
        .first()
        .cloned()
        .unwrap_or_default())
}

fn last(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "last")?;
    Ok(items(&a[0], "find last")?
        .last()
        .cloned()
        .unwrap_or_default())
}

fn rest(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "rest")?;
    let l = items(&a[0], "find rest")?;
    Ok(Value::list_from(l.iter().skip(1).cloned()))
}

fn initial(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "initial")?;
    let l = items(&a[0], "find initial")?;
    Ok(Value::list_from(
        l.iter().take(l.len().saturating_sub(1)).cloned(),
    ))
}

fn reverse(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "reverse")?;
    Ok(Value::list_from(
        items(&a[0], "find reverse")?.iter().rev().cloned(),
    ))
}

fn uniq(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "uniq")?;
    let mut out: Vec<Value> = Vec::new();
    for v in items(&a[0], "find uniq")? {
        if !contains_equal(&out, v, "uniq")? {
            out.push(v.clone());
        }
    }
    Ok(Value::list_from(out))
}

fn without(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "without")?;
    let omit = &a[1..];
    let l = items(&a[0], "find without")?;
    let mut kept = Vec::new();
    for v in l.iter() {
        if !contains_equal(omit, v, "without")? {
            kept.push(v.clone());
        }
    }
    Ok(Value::list_from(kept))
}

/// Whether `items` holds a value deeply equal to `v`.
fn contains_equal(items: &[Value], v: &Value, what: &str) -> Result<bool, FuncError> {
    for item in items {
        if args::deep_equal(item, v, what)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn has(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "has")?;
    if matches!(a[1], Value::Nil) {
        return Ok(Value::Bool(false));
    }
    let l = items(&a[1], "find has")?;
    Ok(Value::Bool(contains_equal(l, &a[0], "has")?))
}

fn compact(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "compact")?;
    let l = items(&a[0], "compact")?;
    Ok(Value::list_from(
        l.iter().filter(|v| !args::is_empty(v)).cloned(),
    ))
}

fn slice(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "slice")?;
    let l = match &a[0] {
        Value::List(l) => l,
        other => {
            return Err(FuncError(format!(
                "list should be type of slice or array but {}",
                args::kind_name(other)
            )))
        }
    };
    let start = a.get(1).map(to_int64).unwrap_or(0);
    let end = a.get(2).map(to_int64).unwrap_or(l.len() as i64);
    if start < 0 || end < start || end > l.len() as i64 {
        return Err(FuncError::new("reflect: slice index out of range"));
    }
    Ok(Value::list_from(
        l[start as usize..end as usize].iter().cloned(),
    ))
}

fn concat(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for v in a {
        match v {
            Value::List(l) => out.extend(l.iter().cloned()),
            other => {
                return Err(FuncError(format!(
                    "Cannot concat type {} as list",
                    args::kind_name(other)
                )))
            }
        }
    }
    Ok(Value::list_from(out))
}

fn chunk(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "chunk")?;
    let size = int(&a[0])?;
    let l = items(&a[1], "chunk")?;
    if size <= 0 {
        return Err(FuncError::new("runtime error: integer divide by zero"));
    }
    Ok(Value::list_from(
        l.chunks(size as usize)
            .map(|c| Value::list_from(c.iter().cloned())),
    ))
}

fn sort_alpha(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "sortAlpha")?;
    let mut s = match &a[0] {
        Value::List(_) => args::strslice(&a[0]),
        other => vec![args::strval(other)],
    };
    s.sort();
    Ok(args::string_list(s))
}

/// sprig's `untilStep`: from `start` towards `stop` (exclusive) by `step`; a step pointing
/// away from `stop` gives an empty list. The length is checked before the list is made
/// (`what` names the function), and a step past `i64::MAX` ends the list where Go's loop
/// would wrap around.
pub fn until_step_ints(
    start: i64,
    stop: i64,
    step: i64,
    what: &str,
) -> Result<Vec<i64>, FuncError> {
    let towards_stop = (stop < start && step < 0) || (stop >= start && step > 0);
    if !towards_stop {
        return Ok(Vec::new());
    }
    let distance = (i128::from(stop) - i128::from(start)).unsigned_abs();
    let stride = i128::from(step).unsigned_abs();
    let len = distance.div_ceil(stride);
    check_list_len(what, usize::try_from(len).ok())?;
    let mut v = Vec::with_capacity(len as usize);
    let mut i = Some(start);
    while let Some(n) = i.filter(|&n| if step < 0 { n > stop } else { n < stop }) {
        v.push(n);
        i = n.checked_add(step);
    }
    Ok(v)
}

fn ints(v: Vec<i64>) -> Value {
    Value::list_from(v.into_iter().map(Value::Int))
}

fn until(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "until")?;
    let count = int(&a[0])?;
    Ok(ints(until_step_ints(
        0,
        count,
        if count < 0 { -1 } else { 1 },
        "until",
    )?))
}

fn until_step(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "untilStep")?;
    Ok(ints(until_step_ints(
        int(&a[0])?,
        int(&a[1])?,
        int(&a[2])?,
        "untilStep",
    )?))
}

/// sprig's `seq`, like the Unix tool: `seq END`, `seq START END`, `seq START STEP END`.
fn seq(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    let p: Vec<i64> = a.iter().map(int).collect::<Result<_, _>>()?;
    let v = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_ints(1, end.wrapping_add(inc), inc, "seq")?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_ints(*start, end.wrapping_add(step), step, "seq")?
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && *step > 0 {
                Vec::new()
            } else {
                until_step_ints(*start, end.wrapping_add(inc), *step, "seq")?
            }
        }
        _ => Vec::new(),
    };
    let words: Vec<String> = v.iter().map(i64::to_string).collect();
    Ok(Value::String(words.join(" ")))
}
