//! Helm's `.helmignore` (`pkg/ignore`), which `helm template` applies to a chart directory:
//! the top chart's rules, plus the default `templates/.?*`, over every path of the chart
//! (subcharts' directories included; their own `.helmignore` files are not read). A packaged
//! chart was filtered by the same rules when it was packaged, so applying them again to an
//! archive changes nothing.
//!
//! Rules are Go `filepath.Match` patterns: one without `/` matches a base name, one with `/`
//! the whole path (a leading `/` anchors it at the root), a trailing `/` matches directories
//! only. Helm's negation is kept as Helm has it: a path a `!rule` does not match is ignored.

/// The parsed rules of one `.helmignore`.
#[derive(Debug, Clone)]
pub struct IgnoreRules(Vec<Rule>);

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    negate: bool,
    must_dir: bool,
    /// Matched against the base name only.
    base_only: bool,
}

impl IgnoreRules {
    /// Parses `.helmignore` text (empty for none) and adds Helm's default rule. `Err` names
    /// the rule Helm would refuse (`**`, or a malformed pattern).
    pub fn parse(text: &str) -> Result<IgnoreRules, String> {
        let mut rules = Vec::new();
        for line in text.lines().chain(std::iter::once("templates/.?*")) {
            let rule = line.trim();
            if rule.is_empty() || rule.starts_with('#') {
                continue;
            }
            if rule.contains("**") {
                return Err(format!("{rule}: double-star (**) syntax is not supported"));
            }
            if go_match(rule, "abc").is_none() {
                return Err(format!("{rule}: syntax error in pattern"));
            }
            let (negate, rule) = match rule.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, rule),
            };
            let (must_dir, rule) = match rule.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, rule),
            };
            let base_only = !rule.contains('/');
            rules.push(Rule {
                pattern: rule.trim_start_matches('/').to_owned(),
                negate,
                must_dir,
                base_only,
            });
        }
        Ok(IgnoreRules(rules))
    }

    /// Whether a file at `path` (`/`-separated, relative) is left out: it or one of its
    /// directories is ignored (Helm skips an ignored directory whole).
    pub fn ignores_file(&self, path: &str) -> bool {
        let mut dir_end = 0;
        while let Some(i) = path[dir_end..].find('/') {
            let dir = &path[..dir_end + i];
            if self.ignores(dir, true) {
                return true;
            }
            dir_end += i + 1;
        }
        self.ignores(path, false)
    }

    fn ignores(&self, path: &str, is_dir: bool) -> bool {
        for rule in &self.0 {
            let subject = if rule.base_only {
                path.rsplit('/').next().unwrap_or(path)
            } else {
                path
            };
            let matched = go_match(&rule.pattern, subject).unwrap_or(false);
            if rule.negate {
                if (rule.must_dir && !is_dir) || !matched {
                    return true;
                }
                continue;
            }
            if rule.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `filepath.Match` with `/` as the separator; `None` for a malformed pattern.
pub fn go_match(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Validate the whole pattern first, as Go reports a bad pattern even after a mismatch.
    validate(&p)?;
    Some(match_here(&p, &n))
}

fn validate(p: &[char]) -> Option<()> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                p.get(i + 1)?;
                i += 2;
            }
            '[' => i = parse_class(p, i)?.end,
            _ => i += 1,
        }
    }
    Some(())
}

/// A `[...]` class as Go reads it: `^` negates, `a-z` ranges, `\\` escapes; an unescaped `-`
/// or `]` where a character belongs, or a missing `]`, is a malformed pattern.
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
    /// Index just past the closing `]`.
    end: usize,
}

fn parse_class(p: &[char], start: usize) -> Option<Class> {
    let mut i = start + 1;
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        if p.get(i) == Some(&']') && !ranges.is_empty() {
            return Some(Class {
                negated,
                ranges,
                end: i + 1,
            });
        }
        let (lo, next) = class_char(p, i)?;
        i = next;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (end, next) = class_char(p, i + 1)?;
            hi = end;
            i = next;
        }
        ranges.push((lo, hi));
    }
}

/// One (possibly escaped) character of a class and the index after it.
fn class_char(p: &[char], i: usize) -> Option<(char, usize)> {
    let (c, next) = match *p.get(i)? {
        '-' | ']' => return None,
        '\\' => (*p.get(i + 1)?, i + 2),
        c => (c, i + 1),
    };
    // Go refuses a class the pattern ends inside.
    p.get(next)?;
    Some((c, next))
}

fn match_here(p: &[char], n: &[char]) -> bool {
    let Some(&first) = p.first() else {
        return n.is_empty();
    };
    match first {
        '*' => {
            let rest = &p[1..];
            for skip in 0..=n.len() {
                if match_here(rest, &n[skip..]) {
                    return true;
                }
                if n.get(skip) == Some(&'/') {
                    break;
                }
            }
            false
        }
        '?' => n.first().is_some_and(|&c| c != '/') && match_here(&p[1..], &n[1..]),
        '[' => {
            let Some(class) = parse_class(p, 0) else {
                return false;
            };
            n.first().is_some_and(|&c| {
                let inside = class.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                c != '/' && inside != class.negated
            }) && match_here(&p[class.end..], &n[1..])
        }
        '\\' => n.first() == p.get(1) && match_here(&p[2..], &n[1..]),
        c => n.first() == Some(&c) && match_here(&p[1..], &n[1..]),
    }
}
