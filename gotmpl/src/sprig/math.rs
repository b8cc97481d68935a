//! sprig's arithmetic and number conversions. Integer functions convert each argument with
//! spf13/cast's `ToInt64` (`"3"` → 3, `3.9` → 3, unparsable → 0) and return int64; the
//! `…f` family works in float64 through decimal arithmetic.

use super::args::{self, at_least, exactly, int, to_float64, to_int64, FnResult};
use super::decimal::{self, Op};
use super::det;
use crate::{FuncError, FuncMap, Runtime, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("add1", |_, a| {
        exactly(a, 1, "add1")?;
        Ok(Value::Int(to_int64(&a[0]).wrapping_add(1)))
    });
    m.insert("add", |_, a| {
        Ok(Value::Int(
            a.iter().map(to_int64).fold(0i64, i64::wrapping_add),
        ))
    });
    m.insert("sub", |_, a| {
        exactly(a, 2, "sub")?;
        Ok(Value::Int(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    m.insert("mul", |_, a| {
        at_least(a, 1, "mul")?;
        Ok(Value::Int(
            a.iter().map(to_int64).fold(1i64, i64::wrapping_mul),
        ))
    });
    m.insert("div", |_, a| int_division(a, "div", i64::wrapping_div));
    m.insert("mod", |_, a| int_division(a, "mod", i64::wrapping_rem));
    m.insert("max", |_, a| extreme(a, "max", i64::max));
    m.insert("biggest", |_, a| extreme(a, "biggest", i64::max));
    m.insert("min", |_, a| extreme(a, "min", i64::min));
    m.insert("maxf", |_, a| extreme_f(a, "maxf", go_max));
    m.insert("minf", |_, a| extreme_f(a, "minf", go_min));
    m.insert("add1f", |_, a| {
        exactly(a, 1, "add1f")?;
        float(decimal::fold(to_float64(&a[0]), &[1.0], Op::Add))
    });
    m.insert("addf", |_, a| {
        let rest: Vec<f64> = a.iter().map(to_float64).collect();
        float(decimal::fold(0.0, &rest, Op::Add))
    });
    m.insert("subf", |_, a| decimal_op(a, "subf", Op::Sub));
    m.insert("mulf", |_, a| decimal_op(a, "mulf", Op::Mul));
    m.insert("divf", |_, a| decimal_op(a, "divf", Op::Div));
    m.insert("floor", |_, a| {
        exactly(a, 1, "floor")?;
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    m.insert("ceil", |_, a| {
        exactly(a, 1, "ceil")?;
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    m.insert("round", round);
    m.insert("randInt", rand_int);
    m.insert("int", |_, a| {
        exactly(a, 1, "int")?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    m.insert("int64", |_, a| {
        exactly(a, 1, "int64")?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    m.insert("float64", |_, a| {
        exactly(a, 1, "float64")?;
        Ok(Value::Float(to_float64(&a[0])))
    });
    m.insert("atoi", |_, a| {
        exactly(a, 1, "atoi")?;
        Ok(Value::Int(atoi(args::string(&a[0])?)))
    });
    m.insert("toDecimal", |_, a| {
        exactly(a, 1, "toDecimal")?;
        let s = a[0].to_string();
        Ok(Value::Int(parse_octal(&s).unwrap_or(0)))
    });
    m.insert("toString", |_, a| {
        exactly(a, 1, "toString")?;
        Ok(Value::String(args::strval(&a[0])))
    });
    m.insert("toStrings", |_, a| {
        exactly(a, 1, "toStrings")?;
        Ok(args::string_list(args::strslice(&a[0])))
    });
}

fn float(r: Result<f64, FuncError>) -> FnResult {
    r.map(Value::Float)
}

fn int_division(a: &[Value], name: &str, f: fn(i64, i64) -> i64) -> FnResult {
    exactly(a, 2, name)?;
    let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
    if y == 0 {
        return Err(FuncError::new("runtime error: integer divide by zero"));
    }
    Ok(Value::Int(f(x, y)))
}

fn extreme(a: &[Value], name: &str, pick: fn(i64, i64) -> i64) -> FnResult {
    at_least(a, 1, name)?;
    Ok(Value::Int(a.iter().map(to_int64).reduce(pick).unwrap_or(0)))
}

/// Go's `math.Max`: NaN wins.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
}

fn go_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
}

fn extreme_f(a: &[Value], name: &str, pick: fn(f64, f64) -> f64) -> FnResult {
    at_least(a, 1, name)?;
    Ok(Value::Float(
        a.iter().map(to_float64).reduce(pick).unwrap_or(0.0),
    ))
}

fn decimal_op(a: &[Value], name: &str, op: Op) -> FnResult {
    at_least(a, 1, name)?;
    let rest: Vec<f64> = a[1..].iter().map(to_float64).collect();
    float(decimal::fold(to_float64(&a[0]), &rest, op))
}

/// `round VALUE PLACES [ROUND_ON]`: sprig rounds up when the fraction at PLACES is at least
/// ROUND_ON (default .5); negative numbers therefore round towards +∞ at .5.
fn round(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 2, "round")?;
    let val = to_float64(&a[0]);
    let places = int(&a[1])? as f64;
    let round_on = match a.get(2) {
        Some(Value::Float(f)) => *f,
        Some(other) => {
            return Err(FuncError(format!(
                "wrong type for value; expected float64; got {}",
                other.type_name()
            )))
        }
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit.fract();
    let r = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(r / pow))
}

/// `randInt MIN MAX`: a fixed number in [MIN, MAX), chosen from the arguments.
fn rand_int(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "randInt")?;
    let (min, max) = (int(&a[0])?, int(&a[1])?);
    if max <= min {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    // Two's complement: the span of [i64::MIN, i64::MAX) fits a u64.
    let span = max.wrapping_sub(min) as u64;
    let mut s = det::Stream::new(&format!("randInt {min} {max}"));
    Ok(Value::Int(min.wrapping_add((s.next_u64() % span) as i64)))
}

/// Go's `strconv.Atoi` with the error dropped: decimal only, 0 on failure; out of range it
/// gives the nearest bound, as Go returns it beside the range error.
fn atoi(s: &str) -> i64 {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    s.parse().unwrap_or(if s.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// `strconv.ParseInt(s, 8, 64)`.
fn parse_octal(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    i64::from_str_radix(s, 8).ok()
}
