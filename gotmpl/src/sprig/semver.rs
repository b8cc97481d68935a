//! `semver` and `semverCompare` with Masterminds/semver 3.3 semantics (what Helm 3.17
//! builds with, checked against `helm template`): loose versions (`v1`, `1.2`,
//! `v1.21.5-gke.1`), constraints with `||` between groups and commas or spaces within one,
//! hyphen ranges, `x`/`*` wildcards, `~`, `^`, and the prerelease rule: a version with a
//! prerelease (e.g. a GKE `GitVersion`) passes a constraint only if that constraint names a
//! prerelease itself, as in `>=1.21-0` (so `>=1.16-0 <1.30` never matches `v1.25.3-gke.1`).

use super::args::{exactly, string};
use crate::{FuncError, FuncMap, Object, Value};
use regex::Regex;
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::LazyLock;

pub fn register(m: &mut FuncMap) {
    m.insert("semver", |_, a| {
        exactly(a, 1, "semver")?;
        let v = Version::parse(string(&a[0])?)?;
        Ok(Value::Object(Rc::new(v)))
    });
    m.insert("semverCompare", |_, a| {
        exactly(a, 2, "semverCompare")?;
        let c = Constraints::parse(string(&a[0])?)?;
        let v = Version::parse(string(&a[1])?)?;
        Ok(Value::Bool(c.check(&v)))
    });
}

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$")
        .expect("static regex")
});
static CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*({OPS})\s*({CV})\s*$")).expect("static regex"));
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).expect("static regex"));
static FIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"({OPS})\s*({CV})")).expect("static regex"));
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
    .expect("static regex")
});

/// A parsed version; in templates it has `.Major`, `.Minor`, `.Patch`, `.Prerelease`,
/// `.Metadata`, `.Original` and the methods `Compare`, `LessThan`, `GreaterThan`, `Equal`.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

fn segment(s: Option<regex::Match>) -> Result<u64, FuncError> {
    match s {
        None => Ok(0),
        Some(m) => m
            .as_str()
            .trim_start_matches('.')
            .parse()
            .map_err(|e| FuncError(format!("Error parsing version segment: {e}"))),
    }
}

impl Version {
    pub fn parse(v: &str) -> Result<Version, FuncError> {
        let m = LOOSE
            .captures(v)
            .ok_or_else(|| FuncError::new("Invalid Semantic Version"))?;
        let pre = m.get(5).map_or("", |x| x.as_str()).to_string();
        let metadata = m.get(8).map_or("", |x| x.as_str()).to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.bytes().all(|b| b.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
                return Err(FuncError::new("Version segment starts with 0"));
            }
        }
        Ok(Version {
            major: segment(m.get(1))?,
            minor: segment(m.get(2))?,
            patch: segment(m.get(3))?,
            pre,
            metadata,
            original: v.to_string(),
        })
    }

    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (s, o) = (
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        let d = compare_pre_part(s, o);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => s.cmp(o),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(x), Ok(y)) => x.cmp(&y),
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl Object for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int(self.major as i64),
            "Minor" => Value::Int(self.minor as i64),
            "Patch" => Value::Int(self.patch as i64),
            "Prerelease" => Value::String(self.pre.clone()),
            "Metadata" => Value::String(self.metadata.clone()),
            "Original" => Value::String(self.original.clone()),
            "String" => Value::String(self.to_string()),
            _ => return None,
        })
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let other = |args: &[Value]| -> Result<Version, FuncError> {
            match args {
                [Value::Object(o)] if o.type_name() == "*semver.Version" => {
                    Version::parse(&o.display())
                }
                [Value::String(s)] => Version::parse(s),
                _ => Err(FuncError::new(
                    "wrong type for value; expected *semver.Version",
                )),
            }
        };
        let result = match name {
            "Compare" => other(args).map(|o| Value::Int(self.compare(&o) as i64)),
            "LessThan" => other(args).map(|o| Value::Bool(self.compare(&o).is_lt())),
            "GreaterThan" => other(args).map(|o| Value::Bool(self.compare(&o).is_gt())),
            "Equal" => other(args).map(|o| Value::Bool(self.compare(&o).is_eq())),
            _ => return None,
        };
        Some(result)
    }
    fn display(&self) -> String {
        self.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug)]
struct Constraint {
    op: Op,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraint {
    fn parse(c: &str) -> Result<Constraint, FuncError> {
        if c.is_empty() {
            return Ok(Constraint {
                op: Op::TildeOrEqual,
                con: Version::parse("0.0.0")?,
                minor_dirty: false,
                patch_dirty: false,
                dirty: true,
            });
        }
        let m = CONSTRAINT
            .captures(c)
            .ok_or_else(|| FuncError(format!("improper constraint: {c}")))?;
        let group = |i: usize| m.get(i).map_or("", |x| x.as_str());
        let op = match group(1) {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEqual,
            "<=" | "=<" => Op::LessEqual,
            "~" | "~>" => Op::Tilde,
            _ => Op::Caret,
        };
        let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
        let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
        let ver = if is_x(major) || major.is_empty() {
            dirty = true;
            format!("0.0.0{pre}")
        } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
            minor_dirty = true;
            dirty = true;
            format!("{major}.0.0{pre}")
        } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{major}{minor}.0{pre}")
        } else {
            group(2).to_string()
        };
        let con = Version::parse(&ver).map_err(|_| FuncError::new("constraint parser error"))?;
        Ok(Constraint {
            op,
            con,
            minor_dirty,
            patch_dirty,
            dirty,
        })
    }

    fn check(&self, v: &Version) -> bool {
        // semver 3.3 checks each constraint on its own; `!=` only when it has a wildcard.
        let blocked = !v.pre.is_empty() && self.con.pre.is_empty();
        if blocked && (self.op != Op::NotEqual || self.dirty) {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c).is_eq()
                }
            }
            Op::Tilde => self.tilde(v),
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                !v.compare(c).is_eq()
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c).is_gt();
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c).is_gt()
                }
            }
            Op::Less => v.compare(c).is_lt(),
            Op::GreaterEqual => v.compare(c).is_ge(),
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c).is_le();
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Caret => {
                if v.compare(c).is_lt() {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}

/// Groups joined by `||`; each group's constraints must all hold.
#[derive(Debug)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
}

impl Constraints {
    pub fn parse(c: &str) -> Result<Constraints, FuncError> {
        let c = rewrite_ranges(c);
        let mut groups = Vec::new();
        for or in c.split("||") {
            if !VALID.is_match(or) {
                return Err(FuncError(format!("improper constraint: {or}")));
            }
            let mut found: Vec<&str> = FIND.find_iter(or).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(or);
            }
            let group: Vec<Constraint> = found
                .into_iter()
                .map(Constraint::parse)
                .collect::<Result<_, _>>()?;
            groups.push(group);
        }
        Ok(Constraints { groups })
    }

    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|group| group.iter().all(|c| c.check(v)))
    }
}

/// `1.2 - 1.4.5` → `>= 1.2, <= 1.4.5`.
fn rewrite_ranges(c: &str) -> String {
    let mut out = c.to_string();
    for m in RANGE.captures_iter(c) {
        let whole = m.get(0).map_or("", |x| x.as_str());
        let low = m.get(1).map_or("", |x| x.as_str());
        let high = m.get(11).map_or("", |x| x.as_str());
        out = out.replacen(whole, &format!(">= {low}, <= {high} "), 1);
    }
    out
}
