//! Go's `strconv.FormatFloat` for the decimal formats, from Rust's exact digits.

/// `strconv.FormatFloat(x, verb, prec, 64)` for `e`, `E`, `f`, `F`, `g`, `G`; `None` is the
/// shortest precision that round-trips.
pub fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = x.is_sign_negative();
    let sign = if neg { "-" } else { "" };
    let a = x.abs();
    let upper = verb.is_ascii_uppercase();
    let e_char = if upper { 'E' } else { 'e' };
    match verb.to_ascii_lowercase() {
        'f' => match prec {
            Some(p) => format!("{sign}{a:.p$}"),
            None => {
                let d = Digits::shortest(a);
                let p = (d.digits.len() as i32 - d.dp).max(0) as usize;
                format!("{sign}{}", d.fmt_f(p))
            }
        },
        'e' => {
            let (d, p) = match prec {
                Some(p) => (Digits::rounded(a, p + 1), p),
                None => {
                    let d = Digits::shortest(a);
                    let p = d.digits.len().saturating_sub(1);
                    (d, p)
                }
            };
            format!("{sign}{}", d.fmt_e(p, e_char))
        }
        _ => {
            let (d, mut p, shortest) = match prec {
                Some(p) => {
                    let p = p.max(1);
                    (Digits::rounded(a, p), p, false)
                }
                None => {
                    let d = Digits::shortest(a);
                    let n = d.digits.len();
                    (d, n, true)
                }
            };
            let nd = d.digits.len();
            let mut eprec = p;
            if eprec > nd && nd as i32 >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            if exp < -4 || exp >= eprec as i32 {
                if p > nd {
                    p = nd;
                }
                return format!("{sign}{}", d.fmt_e(p.saturating_sub(1), e_char));
            }
            if p as i32 > d.dp {
                p = nd;
            }
            format!("{sign}{}", d.fmt_f((p as i32 - d.dp).max(0) as usize))
        }
    }
}

/// Decimal digits of a non-negative float: value = 0.d1d2... × 10^dp; no trailing zeros.
struct Digits {
    digits: Vec<u8>,
    dp: i32,
}

impl Digits {
    fn from_e(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        if digits.is_empty() {
            return Digits { digits, dp: 0 };
        }
        Digits {
            digits,
            dp: exp + 1,
        }
    }

    fn shortest(a: f64) -> Digits {
        Digits::from_e(&format!("{a:e}"))
    }

    /// Rounded to `n` (>= 1) significant digits.
    fn rounded(a: f64, n: usize) -> Digits {
        Digits::from_e(&format!("{a:.*e}", n - 1))
    }

    fn digit(&self, i: i32) -> char {
        if i >= 0 && (i as usize) < self.digits.len() {
            self.digits[i as usize] as char
        } else {
            '0'
        }
    }

    fn fmt_e(&self, prec: usize, e_char: char) -> String {
        let mut s = String::new();
        s.push(self.digit(0));
        if prec > 0 {
            s.push('.');
            for i in 1..=prec {
                s.push(self.digit(i as i32));
            }
        }
        let exp = if self.digits.is_empty() {
            0
        } else {
            self.dp - 1
        };
        s.push(e_char);
        s.push(if exp < 0 { '-' } else { '+' });
        s.push_str(&format!("{:02}", exp.abs()));
        s
    }

    fn fmt_f(&self, prec: usize) -> String {
        let mut s = String::new();
        if self.dp > 0 {
            for i in 0..self.dp {
                s.push(self.digit(i));
            }
        } else {
            s.push('0');
        }
        if prec > 0 {
            s.push('.');
            for i in 0..prec {
                s.push(self.digit(self.dp + i as i32));
            }
        }
        s
    }
}
