//! The decimal arithmetic behind sprig's `addf`, `subf`, `mulf`, `divf` and `add1f`
//! (shopspring/decimal): each float is taken at its shortest decimal form, so
//! `addf 1.1 2.2` is 3.3, not 3.3000000000000003. Division keeps 16 decimal places.

use crate::FuncError;

#[derive(Clone, Copy, Debug)]
struct Decimal {
    mant: i128,
    /// Value = mant × 10^exp.
    exp: i32,
}

const DIVISION_PRECISION: i32 = 16;

impl Decimal {
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let e = format!("{f:e}");
        let (m, exp) = e.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let neg = m.starts_with('-');
        let m = m.trim_start_matches('-');
        let (int_part, frac) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{int_part}{frac}");
        let mut mant: i128 = digits.parse().ok()?;
        if neg {
            mant = -mant;
        }
        Some(Decimal {
            mant,
            exp: exp - frac.len() as i32,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both at the smaller exponent.
    fn align(a: Decimal, b: Decimal) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let scale = |d: Decimal| -> Option<i128> {
            10i128
                .checked_pow((d.exp - exp) as u32)
                .and_then(|p| d.mant.checked_mul(p))
        };
        Some((scale(a)?, scale(b)?, exp))
    }
}

/// The operations decimal supports here.
#[derive(Clone, Copy)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn apply_exact(a: Decimal, b: Decimal, op: Op) -> Option<Decimal> {
    match op {
        Op::Add | Op::Sub => {
            let (x, y, exp) = Decimal::align(a, b)?;
            let mant = match op {
                Op::Add => x.checked_add(y)?,
                _ => x.checked_sub(y)?,
            };
            Some(Decimal { mant, exp })
        }
        Op::Mul => Some(Decimal {
            mant: a.mant.checked_mul(b.mant)?,
            exp: a.exp + b.exp,
        }),
        Op::Div => {
            // a / b rounded half away from zero to DIVISION_PRECISION places.
            let shift = DIVISION_PRECISION + 1 + a.exp - b.exp;
            let (num, den) = if shift >= 0 {
                (
                    a.mant.checked_mul(10i128.checked_pow(shift as u32)?)?,
                    b.mant,
                )
            } else {
                (
                    a.mant,
                    b.mant.checked_mul(10i128.checked_pow((-shift) as u32)?)?,
                )
            };
            let q = num / den; // DIVISION_PRECISION + 1 places
            let rounded = if q % 10 >= 5 {
                q / 10 + 1
            } else if q % 10 <= -5 {
                q / 10 - 1
            } else {
                q / 10
            };
            Some(Decimal {
                mant: rounded,
                exp: -DIVISION_PRECISION,
            })
        }
    }
}

/// Folds `rest` into `first` with `op`, as sprig's `execDecimalOp`.
pub fn fold(first: f64, rest: &[f64], op: Op) -> Result<f64, FuncError> {
    let mut acc = first;
    for &x in rest {
        if matches!(op, Op::Div) && x == 0.0 {
            return Err(FuncError::new("decimal division by 0"));
        }
        let exact = Decimal::from_f64(acc)
            .zip(Decimal::from_f64(x))
            .and_then(|(a, b)| apply_exact(a, b, op));
        acc = match exact {
            Some(d) => d.to_f64(),
            None => match op {
                Op::Add => acc + x,
                Op::Sub => acc - x,
                Op::Mul => acc * x,
                Op::Div => acc / x,
            },
        };
    }
    Ok(acc)
}
