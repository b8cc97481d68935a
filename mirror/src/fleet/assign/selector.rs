//! A group's label selector, as DESIGN12 gives its grammar: comma-separated terms `key=value`,
//! `key!=value`, `key` (has the label) and `!key` (has not); every term must hold. An empty
//! selector selects every cluster.
// TODO merge: the clusters helper owns `clusters::Selector`; once it is on main, use it and
// remove this local parse.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

impl Selector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for raw in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let term = if let Some((k, v)) = raw.split_once("!=") {
                Term::NotEquals(key(k)?, v.trim().to_owned())
            } else if let Some((k, v)) = raw.split_once('=') {
                Term::Equals(key(k)?, v.trim().to_owned())
            } else if let Some(k) = raw.strip_prefix('!') {
                Term::Absent(key(k)?)
            } else {
                Term::Exists(key(raw)?)
            };
            terms.push(term);
        }
        Ok(Self { terms })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Equals(k, v) => labels.get(k) == Some(v),
            Term::NotEquals(k, v) => labels.get(k) != Some(v),
            Term::Exists(k) => labels.contains_key(k),
            Term::Absent(k) => !labels.contains_key(k),
        })
    }
}

fn key(k: &str) -> Result<String, String> {
    let k = k.trim();
    let ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    if ok {
        Ok(k.to_owned())
    } else {
        Err(format!("{k:?} is not a label key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_all_hold() {
        let labels: BTreeMap<String, String> = [("site", "north"), ("tier", "prod")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let yes = [
            "site=north",
            "tier!=dev, site",
            "!gpu",
            "",
            "site=north,tier=prod",
        ];
        let no = [
            "site=south",
            "tier!=prod",
            "gpu",
            "!site",
            "site=north,tier=dev",
        ];
        for s in yes {
            assert!(Selector::parse(s).unwrap().matches(&labels), "{s}");
        }
        for s in no {
            assert!(!Selector::parse(s).unwrap().matches(&labels), "{s}");
        }
        assert!(Selector::parse("=x").is_err());
    }
}
