//! `NAME@VERSION`, how operators and the API name a profile version (`edge-infra@1.2.0`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::CatalogError;

/// A profile version's name; in JSON the string `NAME@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileRef {
    pub name: String,
    pub version: String,
}

impl utoipa::PartialSchema for ProfileRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A profile version, NAME@VERSION"))
            .examples(["edge-infra@1.2.0"])
            .into()
    }
}

impl utoipa::ToSchema for ProfileRef {}

const MAX_PART: usize = 128;

impl ProfileRef {
    /// Checks both parts: letters, digits and `.`, `_`, `-` (and `+` in a version), starting
    /// with a letter or digit, at most 128 characters each.
    pub fn new(name: &str, version: &str) -> Result<Self, CatalogError> {
        let whole = || CatalogError::BadRef(format!("{name}@{version}"));
        if !valid_part(name, false) || !valid_part(version, true) {
            return Err(whole());
        }
        Ok(Self {
            name: name.to_owned(),
            version: version.to_owned(),
        })
    }
}

fn valid_part(s: &str, version: bool) -> bool {
    let mut chars = s.chars();
    s.len() <= MAX_PART
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || (version && c == '+')
        })
}

impl FromStr for ProfileRef {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = s
            .split_once('@')
            .ok_or_else(|| CatalogError::BadRef(s.to_owned()))?;
        Self::new(name, version).map_err(|_| CatalogError::BadRef(s.to_owned()))
    }
}

impl fmt::Display for ProfileRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

impl Serialize for ProfileRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProfileRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let r: ProfileRef = "edge-infra@1.2.0+build.1".parse().unwrap();
        assert_eq!(
            (r.name.as_str(), r.version.as_str()),
            ("edge-infra", "1.2.0+build.1")
        );
        assert_eq!(r.to_string(), "edge-infra@1.2.0+build.1");
        for bad in [
            "edge-infra",
            "@1.0",
            "a@",
            "a b@1",
            "a@1@2",
            "../x@1",
            "-a@1",
        ] {
            assert!(bad.parse::<ProfileRef>().is_err(), "{bad}");
        }
    }
}
