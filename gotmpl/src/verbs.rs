//! How one value prints under one verb, with the flags, width and precision in force.

use crate::float::format_float;
use crate::printf::{Printer, MAX_PRINT_DEPTH};
use crate::quote::{can_backquote, escape_rune, is_print, quote, quote_with};
use crate::Value;

impl Printer<'_> {
    pub(crate) fn print_arg(&mut self, arg: &Value, verb: char) {
        if verb == 'T' {
            self.pad_str(&arg.type_name());
            return;
        }
        match arg {
            Value::Nil => match verb {
                'v' => self.pad_str("<nil>"),
                _ => self.bad_verb(arg, verb),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if *b { "true" } else { "false" }),
                _ => self.bad_verb(arg, verb),
            },
            Value::Int(i) => self.fmt_int(*i, verb, arg),
            Value::Float(x) => self.fmt_float_verb(*x, verb, arg),
            Value::String(s) => self.fmt_string(s, verb, arg),
            Value::List(_) | Value::Map(_) if self.depth >= MAX_PRINT_DEPTH => {
                self.out.push_str("<nested too deep>");
            }
            // A map holding itself twice doubles the text at every level: stop at the
            // engine's output bound, whose check then fails the execution.
            Value::List(_) | Value::Map(_) if self.out.len() > crate::exec::MAX_OUTPUT_BYTES => {}
            Value::List(l) => {
                self.depth += 1;
                self.print_list(l, verb);
                self.depth -= 1;
            }
            Value::Map(m) => {
                self.depth += 1;
                self.print_map(m, verb);
                self.depth -= 1;
            }
            // Objects print through their `String()`.
            Value::Object(o) => match verb {
                'v' | 's' | 'x' | 'X' | 'q' => {
                    let s = o.display();
                    self.fmt_string(&s, verb, arg)
                }
                _ => self.bad_verb(arg, verb),
            },
        }
    }

    fn print_list(&mut self, l: &[Value], verb: char) {
        if self.f.sharp_v {
            self.out.push_str("[]interface {}{");
            for (k, v) in l.iter().enumerate() {
                if k > 0 {
                    self.out.push_str(", ");
                }
                self.print_arg(v, verb);
            }
            self.out.push('}');
            return;
        }
        self.out.push('[');
        for (k, v) in l.iter().enumerate() {
            if k > 0 {
                self.out.push(' ');
            }
            self.print_arg(v, verb);
        }
        self.out.push(']');
    }

    fn print_map(&mut self, m: &crate::Map, verb: char) {
        let sharp_v = self.f.sharp_v;
        self.out.push_str(if sharp_v {
            "map[string]interface {}{"
        } else {
            "map["
        });
        for (k, (key, v)) in m.borrow().iter().enumerate() {
            if k > 0 {
                self.out.push_str(if sharp_v { ", " } else { " " });
            }
            self.fmt_string(key, verb, &Value::String(key.clone()));
            self.out.push(':');
            self.print_arg(v, verb);
        }
        self.out.push(if sharp_v { '}' } else { ']' });
    }

    fn bad_verb(&mut self, arg: &Value, verb: char) {
        self.out.push_str("%!");
        self.out.push(verb);
        self.out.push('(');
        if let Value::Nil = arg {
            self.out.push_str("<nil>");
        } else {
            self.out.push_str(&arg.type_name());
            self.out.push('=');
            let sharp_v = self.f.sharp_v;
            self.print_arg(arg, 'v');
            self.f.sharp_v = sharp_v;
        }
        self.out.push(')');
    }

    /// Pads to the width with spaces (or zeros with the `0` flag), on the left unless `-`.
    fn pad_str(&mut self, s: &str) {
        let Some(wid) = self.f.wid else {
            self.out.push_str(s);
            return;
        };
        let n = s.chars().count();
        if n >= wid {
            self.out.push_str(s);
            return;
        }
        let fill = if self.f.zero { '0' } else { ' ' };
        if self.f.minus {
            self.out.push_str(s);
            self.out.extend(std::iter::repeat_n(' ', wid - n));
        } else {
            self.out.extend(std::iter::repeat_n(fill, wid - n));
            self.out.push_str(s);
        }
    }

    fn pad_no_zero(&mut self, s: &str) {
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad_str(s);
        self.f.zero = zero;
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        match self.f.prec {
            Some(p) => match s.char_indices().nth(p) {
                Some((i, _)) => &s[..i],
                None => s,
            },
            None => s,
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, arg: &Value) {
        match verb {
            'v' if self.f.sharp_v => self.pad_str(&quote(s)),
            'v' | 's' => {
                let t = self.truncate(s);
                self.pad_str(t)
            }
            'x' => self.fmt_sx(s, "0123456789abcdefx"),
            'X' => self.fmt_sx(s, "0123456789ABCDEFX"),
            'q' => {
                let t = self.truncate(s);
                let q = if self.f.sharp && can_backquote(t) {
                    format!("`{t}`")
                } else {
                    quote_with(t, '"', self.f.plus)
                };
                self.pad_str(&q)
            }
            _ => self.bad_verb(arg, verb),
        }
    }

    fn fmt_sx(&mut self, s: &str, digits: &str) {
        let d = digits.as_bytes();
        let mut length = s.len();
        if let Some(p) = self.f.prec {
            length = length.min(p);
        }
        if length == 0 {
            if let Some(w) = self.f.wid {
                self.out.extend(std::iter::repeat_n(' ', w));
            }
            return;
        }
        let mut enc = String::new();
        if self.f.sharp {
            enc.push('0');
            enc.push(d[16] as char);
        }
        for (i, c) in s.bytes().take(length).enumerate() {
            if self.f.space && i > 0 {
                enc.push(' ');
                if self.f.sharp {
                    enc.push('0');
                    enc.push(d[16] as char);
                }
            }
            enc.push(d[(c >> 4) as usize] as char);
            enc.push(d[(c & 0xf) as usize] as char);
        }
        self.pad_str(&enc);
    }

    fn fmt_int(&mut self, i: i64, verb: char, arg: &Value) {
        match verb {
            'v' | 'd' => self.fmt_integer(i, 10, verb, "0123456789abcdefx"),
            'b' => self.fmt_integer(i, 2, verb, "0123456789abcdefx"),
            'o' | 'O' => self.fmt_integer(i, 8, verb, "0123456789abcdefx"),
            'x' => self.fmt_integer(i, 16, verb, "0123456789abcdefx"),
            'X' => self.fmt_integer(i, 16, verb, "0123456789ABCDEFX"),
            'c' => {
                let c = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                self.pad_str(&c.to_string())
            }
            'q' => {
                // Go quotes only valid code points; surrogates become U+FFFD.
                if !(0..=0x10FFFF).contains(&i) {
                    return self.bad_verb(arg, verb);
                }
                let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
                let mut s = String::from('\'');
                escape_rune(&mut s, c, '\'', self.f.plus);
                s.push('\'');
                self.pad_str(&s)
            }
            'U' => {
                let digits = self.f.prec.unwrap_or(0).max(4);
                let mut s = format!("U+{:0digits$X}", i);
                if self.f.sharp {
                    if let Some(c) = u32::try_from(i).ok().and_then(char::from_u32) {
                        if is_print(c) {
                            s.push_str(&format!(" '{c}'"));
                        }
                    }
                }
                self.pad_no_zero(&s)
            }
            _ => self.bad_verb(arg, verb),
        }
    }

    fn fmt_integer(&mut self, i: i64, base: u64, verb: char, digits: &str) {
        let d = digits.as_bytes();
        let negative = i < 0;
        let mut u = i.unsigned_abs();
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let w = self.f.wid.unwrap_or(0);
                self.out.extend(std::iter::repeat_n(' ', w));
                return;
            }
        } else if self.f.zero && !self.f.minus {
            if let Some(w) = self.f.wid {
                prec = w;
                if negative || self.f.plus || self.f.space {
                    prec = prec.saturating_sub(1);
                }
            }
        }
        let mut buf: Vec<u8> = Vec::with_capacity(24);
        loop {
            buf.push(d[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while buf.len() < prec {
            buf.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => buf.extend_from_slice(b"b0"),
                8 if buf.last() != Some(&b'0') => buf.push(b'0'),
                16 => {
                    buf.push(d[16]);
                    buf.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            buf.extend_from_slice(b"o0");
        }
        if negative {
            buf.push(b'-');
        } else if self.f.plus {
            buf.push(b'+');
        } else if self.f.space {
            buf.push(b' ');
        }
        buf.reverse();
        let s = String::from_utf8(buf).unwrap_or_default();
        self.pad_no_zero(&s);
    }

    fn fmt_float_verb(&mut self, x: f64, verb: char, arg: &Value) {
        match verb {
            'v' => self.fmt_float(x, 'g', None),
            'g' | 'G' => self.fmt_float(x, verb, None),
            'f' | 'F' | 'e' | 'E' => self.fmt_float(x, verb, Some(6)),
            _ => self.bad_verb(arg, verb),
        }
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let num = format_float(x, verb, prec);
        let (sign, body) = match (num.strip_prefix('-'), num.strip_prefix('+')) {
            (Some(rest), _) => ('-', rest.to_string()),
            (None, Some(rest)) => ('+', rest.to_string()),
            (None, None) => ('+', num),
        };
        if body == "Inf" || body == "NaN" {
            // Never zero-padded; NaN shows a sign only when asked for, Inf always.
            let mut s = String::new();
            if sign == '-' {
                s.push('-');
            } else if self.f.plus {
                s.push('+');
            } else if self.f.space {
                s.push(' ');
            } else if body == "Inf" {
                s.push('+');
            }
            s.push_str(&body);
            self.pad_no_zero(&s);
            return;
        }
        let sign_str = if sign == '-' || self.f.plus {
            Some(sign)
        } else if self.f.space {
            Some(' ')
        } else {
            None
        };
        match sign_str {
            Some(c) => {
                let total = body.len() + 1;
                if let (true, Some(w)) = (self.f.zero, self.f.wid) {
                    if w > total {
                        self.out.push(c);
                        self.out.extend(std::iter::repeat_n('0', w - total));
                        self.out.push_str(&body);
                        return;
                    }
                }
                let s = format!("{c}{body}");
                self.pad_str(&s);
            }
            None => self.pad_str(&body),
        }
    }
}
