//! The registry a copy pushes into: `docker://HOST[:PORT][/PREFIX]`.
//!
//! Source repositories keep their upstream host as the first path component, exactly as
//! `ferry serve` serves them (`docker.io/library/nginx`), so the target holds
//! `HOST/PREFIX/docker.io/library/nginx` and references differ from the mirror's only by host
//! and prefix. Harbor wants a project first: pass one as the prefix. A `:` cannot be part of a
//! repository path, so an upstream host with a port (`127.0.0.1:5000/demo/app`) becomes
//! `127.0.0.1_5000/demo/app`; no host name has a `_`, so this cannot collide.

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("target {0:?} is not docker://HOST[:PORT][/PREFIX]")]
    Syntax(String),
    #[error("target {target:?}: prefix {prefix:?} is not a repository path (lower-case a-z, 0-9, ._- and /)")]
    Prefix { target: String, prefix: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host[:port]`.
    pub registry: String,
    /// Repository path prefix without slashes at either end; empty for none.
    pub prefix: String,
}

impl Target {
    /// Parses `docker://HOST[/PREFIX]`; `extra_prefix` (`--prefix`) goes after the URL's.
    pub fn parse(s: &str, extra_prefix: Option<&str>) -> Result<Self, TargetError> {
        let rest = s
            .strip_prefix("docker://")
            .ok_or_else(|| TargetError::Syntax(s.to_owned()))?;
        let (registry, path) = rest.split_once('/').unwrap_or((rest, ""));
        if registry.is_empty() || registry.contains(['@', '?', '#', ' ']) {
            return Err(TargetError::Syntax(s.to_owned()));
        }
        let prefix = [path, extra_prefix.unwrap_or("")]
            .iter()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        let valid = prefix.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
        if !prefix.is_empty() && !valid {
            return Err(TargetError::Prefix {
                target: s.to_owned(),
                prefix,
            });
        }
        Ok(Self {
            registry: registry.to_owned(),
            prefix,
        })
    }

    /// The target repository for a source repository.
    pub fn repository(&self, source: &str) -> String {
        let source = match source.split_once('/') {
            Some((host, rest)) if host.contains(':') => {
                format!("{}/{rest}", host.replace(':', "_"))
            }
            _ => source.to_owned(),
        };
        if self.prefix.is_empty() {
            source
        } else {
            format!("{}/{source}", self.prefix)
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "docker://{}", self.registry)
        } else {
            write!(f, "docker://{}/{}", self.registry, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("docker://harbor.local", None, "harbor.local", "")]
    #[case("docker://127.0.0.1:5000/", None, "127.0.0.1:5000", "")]
    #[case(
        "docker://harbor.local/ferry",
        Some("site-a/"),
        "harbor.local",
        "ferry/site-a"
    )]
    #[case("docker://harbor.local", Some("/enclave"), "harbor.local", "enclave")]
    fn parses_host_and_prefix(
        #[case] s: &str,
        #[case] extra: Option<&str>,
        #[case] registry: &str,
        #[case] prefix: &str,
    ) {
        let t = Target::parse(s, extra).unwrap();
        assert_eq!((t.registry.as_str(), t.prefix.as_str()), (registry, prefix));
    }

    #[rstest]
    #[case("harbor.local")]
    #[case("docker://")]
    #[case("docker://h/Upper")]
    #[case("docker://h/a//b")]
    #[case("https://h")]
    fn refuses_bad_targets(#[case] s: &str) {
        let err = Target::parse(s, None).unwrap_err();
        assert!(err.to_string().contains(s), "{err}");
    }

    #[test]
    fn repositories_keep_the_upstream_host() {
        let t = Target::parse("docker://h:5000/ferry", None).unwrap();
        assert_eq!(
            t.repository("docker.io/library/nginx"),
            "ferry/docker.io/library/nginx"
        );
        assert_eq!(
            Target::parse("docker://h", None)
                .unwrap()
                .repository("127.0.0.1:5000/demo/app"),
            "127.0.0.1_5000/demo/app"
        );
    }
}
