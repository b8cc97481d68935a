//! Go's `fmt` for template values: `Sprint`, `Sprintln` and `Sprintf` with the verbs, flags,
//! widths and precisions charts use, and Go's `%!verb(type=value)` forms for mistakes.

use crate::Value;

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        Printer::new(&mut out).print_arg(a, 'v');
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands, and a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        Printer::new(&mut out).print_arg(a, 'v');
    }
    out.push('\n');
    out
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut p = Printer::new(&mut out);
    p.do_printf(format, args);
    out
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

fn quote_with(s: &str, q: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        escape_rune(&mut out, c, q, ascii_only);
    }
    out.push(q);
    out
}

fn escape_rune(out: &mut String, c: char, q: char, ascii_only: bool) {
    if c == q || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    let printable = if ascii_only {
        c.is_ascii() && is_print(c)
    } else {
        is_print(c)
    };
    if printable {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Close to Go's `unicode.IsPrint`: graphic characters and the ASCII space.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x206F | 0xD800..=0xF8FF | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

/// Go's `%#U` form used in lexer errors, e.g. `U+002F '/'`.
pub fn unicode_name(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

struct Printer<'a> {
    out: &'a mut String,
    f: Flags,
    /// Nesting of lists and maps being printed; a map that holds itself (sprig's `set` can
    /// make one) would otherwise recurse without end.
    depth: usize,
}

const MAX_PRINT_DEPTH: usize = 100;

impl<'a> Printer<'a> {
    fn new(out: &'a mut String) -> Self {
        Printer {
            out,
            f: Flags::default(),
            depth: 0,
        }
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let b = format.as_bytes();
        let end = b.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let last = i;
            while i < end && b[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.out.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            let mut good_arg_num = true;
            while i < end {
                match b[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // An explicit argument index, `%[2]d`.
            let mut after_index;
            (arg_num, i, after_index) = arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut good_arg_num,
                &mut reordered,
            );
            if i < end && b[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.out.push_str("%!(BADWIDTH)");
                } else if w < 0 {
                    self.f.minus = true;
                    self.f.zero = false;
                    self.f.wid = Some((-w) as usize);
                } else {
                    self.f.wid = Some(w as usize);
                }
                after_index = false;
            } else {
                let (w, next) = parse_num(b, i);
                self.f.wid = w;
                i = next;
                if after_index && w.is_some() {
                    good_arg_num = false;
                }
            }
            if i + 1 < end && b[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut good_arg_num,
                    &mut reordered,
                );
                if i < end && b[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    if !ok {
                        self.out.push_str("%!(BADPREC)");
                    }
                    self.f.prec = (ok && p >= 0).then_some(p.max(0) as usize);
                    after_index = false;
                } else {
                    let (p, next) = parse_num(b, i);
                    self.f.prec = Some(p.unwrap_or(0));
                    i = next;
                }
            }
            if !after_index {
                (arg_num, i, _) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut good_arg_num,
                    &mut reordered,
                );
            }
            if i >= end {
                self.out.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            match verb {
                '%' => self.out.push('%'),
                _ if !good_arg_num => {
                    self.out.push_str("%!");
                    self.out.push(verb);
                    self.out.push_str("(BADINDEX)");
                }
                _ if arg_num >= args.len() => {
                    self.out.push_str("%!");
                    self.out.push(verb);
                    self.out.push_str("(MISSING)");
                }
                _ => {
                    if verb == 'v' {
                        self.f.sharp_v = self.f.sharp;
                        self.f.sharp = false;
                        self.f.plus = false;
                    }
                    self.print_arg(&args[arg_num], verb);
                    arg_num += 1;
                }
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.out.push_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.out.push_str(", ");
                }
                if let Value::Nil = a {
                    self.out.push_str("<nil>");
                } else {
                    self.out.push_str(&a.type_name());
                    self.out.push('=');
                    self.print_arg(a, 'v');
                }
            }
            self.out.push(')');
        }
    }

    fn print_arg(&mut self, arg: &Value, verb: char) {
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

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !c.is_control()))
}

/// `[n]` at `i`: the argument index it selects (1-based in the text).
fn arg_number(
    arg_num: usize,
    format: &str,
    i: usize,
    num_args: usize,
    good: &mut bool,
    reordered: &mut bool,
) -> (usize, usize, bool) {
    let b = format.as_bytes();
    if i >= b.len() || b[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let rest = &b[i..];
    let (index, wid, ok) = parse_arg_number(rest);
    if ok && index >= 0 && (index as usize) < num_args {
        return (index as usize, i + wid, true);
    }
    *good = false;
    (arg_num, i + wid, ok)
}

fn parse_arg_number(b: &[u8]) -> (i64, usize, bool) {
    if b.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..b.len() {
        if b[i] == b']' {
            let (n, next) = parse_num(&b[..i], 1);
            return match n {
                Some(n) if next == i => (n as i64 - 1, i + 1, true),
                _ => (0, i + 1, false),
            };
        }
    }
    (0, 1, false)
}

/// Decimal digits at `i`, as Go's `parsenum` (at most 1e6).
fn parse_num(b: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n = 0usize;
    while i < b.len() && b[i].is_ascii_digit() {
        if n > 1_000_000 {
            return (None, b.len());
        }
        n = n * 10 + (b[i] - b'0') as usize;
        i += 1;
    }
    if i == start {
        (None, i)
    } else {
        (Some(n), i)
    }
}

/// A `*` width or precision: the argument must be an int.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(Value::Int(n)) if n.abs() <= 1_000_000 => (*n, true, arg_num + 1),
        Some(_) => (0, false, arg_num + 1),
        None => (0, false, arg_num),
    }
}
