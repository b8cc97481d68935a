//! Label selectors: comma-separated terms, each `key=value`, `key!=value`, `key` (the label
//! exists) or `!key` (it does not); a cluster matches when every term holds. The subset of
//! Kubernetes' equality-based selectors that groups and rollout targets need.

use std::collections::BTreeMap;
use std::fmt;

use super::names::{label_key_problem, label_value_problem, printable};
use super::ClusterError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
}

/// A parsed selector; [`fmt::Display`] gives its canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub terms: Vec<Term>,
}

const MAX_LEN: usize = 4096;

impl Selector {
    /// Parses `text`. An error names the selector and the 1-based character position of the
    /// offending term.
    pub fn parse(text: &str) -> Result<Selector, ClusterError> {
        let fail = |position: usize, why: String| ClusterError::Selector {
            selector: printable(text),
            position,
            why,
        };
        if text.len() > MAX_LEN {
            return Err(fail(MAX_LEN, format!("longer than {MAX_LEN} bytes")));
        }
        if text.trim().is_empty() {
            return Err(fail(1, "a selector needs at least one term".into()));
        }
        let mut terms = Vec::new();
        let mut start = 0;
        for raw in text.split(',') {
            let lead = raw.len() - raw.trim_start().len();
            let position = text[..start + lead].chars().count() + 1;
            start += raw.len() + 1;
            let term = raw.trim();
            if term.is_empty() {
                return Err(fail(position, "empty term".into()));
            }
            let key_ok = |k: &str| match label_key_problem(k) {
                Some(why) => Err(fail(
                    position,
                    format!("label key {:?}: {why}", printable(k)),
                )),
                None => Ok(k.to_owned()),
            };
            let value_ok = |v: &str| match label_value_problem(v) {
                Some(why) => Err(fail(
                    position,
                    format!("label value {:?}: {why}", printable(v)),
                )),
                None => Ok(v.to_owned()),
            };
            let parsed = if let Some((k, v)) = term.split_once("!=") {
                Term::NotEquals(key_ok(k.trim())?, value_ok(v.trim())?)
            } else if let Some((k, v)) = term.split_once('=') {
                // `==` is Kubernetes' spelling of `=` too.
                let v = v.strip_prefix('=').unwrap_or(v);
                Term::Equals(key_ok(k.trim())?, value_ok(v.trim())?)
            } else if let Some(k) = term.strip_prefix('!') {
                Term::NotExists(key_ok(k.trim())?)
            } else {
                Term::Exists(key_ok(term)?)
            };
            terms.push(parsed);
        }
        Ok(Selector { terms })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Equals(k, v) => labels.get(k) == Some(v),
            Term::NotEquals(k, v) => labels.get(k) != Some(v),
            Term::Exists(k) => labels.contains_key(k),
            Term::NotExists(k) => !labels.contains_key(k),
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match t {
                Term::Equals(k, v) => write!(f, "{k}={v}")?,
                Term::NotEquals(k, v) => write!(f, "{k}!={v}")?,
                Term::Exists(k) => write!(f, "{k}")?,
                Term::NotExists(k) => write!(f, "!{k}")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Selector {
    type Err = ClusterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn terms_parse_and_match() {
        let s = Selector::parse(" tier=prod, site!=south ,gpu,!legacy").unwrap();
        assert_eq!(s.to_string(), "tier=prod,site!=south,gpu,!legacy");
        assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
        assert!(s.matches(&labels(&[("tier", "prod"), ("site", "north"), ("gpu", "")])));
        assert!(s.matches(&labels(&[("tier", "prod"), ("gpu", "a100")])));
        assert!(!s.matches(&labels(&[("tier", "prod"), ("site", "south"), ("gpu", "")])));
        assert!(!s.matches(&labels(&[("tier", "prod")])));
        assert!(!s.matches(&labels(&[("tier", "prod"), ("gpu", ""), ("legacy", "1")])));
        assert!(!s.matches(&labels(&[("tier", "dev"), ("gpu", "")])));
        let eq = Selector::parse("tier==prod").unwrap();
        assert_eq!(eq.to_string(), "tier=prod");
        // An empty value is a value: `k=` matches only clusters whose label is empty.
        let empty = Selector::parse("gpu=").unwrap();
        assert!(empty.matches(&labels(&[("gpu", "")])));
        assert!(!empty.matches(&labels(&[])));
    }

    #[test]
    fn errors_name_the_selector_and_the_position() {
        for (text, position, part) in [
            ("", 1, "at least one term"),
            ("tier=prod,,x", 11, "empty term"),
            ("tier=prod, bad key", 12, "label key \"bad key\""),
            ("a=b,c=-d", 5, "label value \"-d\""),
            ("!", 1, "label key \"\""),
            ("x!=y=z", 1, "label value \"y=z\""),
        ] {
            let e = Selector::parse(text).unwrap_err();
            let msg = e.to_string();
            match &e {
                ClusterError::Selector { position: p, .. } => {
                    assert_eq!(*p, position, "{text}: {msg}")
                }
                other => panic!("{other:?}"),
            }
            assert!(
                msg.contains(&format!("{text:?}")) && msg.contains(part),
                "{text}: {msg}"
            );
        }
    }
}
