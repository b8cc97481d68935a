//! Registry host names, as they appear in image references and as the first component of the
//! repositories a bundle carries. One rule for both sides: the bundler names repositories with
//! it, and the mirror turns them into URLs, directories and config keys.

/// Docker's rule for telling a registry host from a namespace in a reference's first component:
/// it has a `.` or a `:`, or it is `localhost`.
pub fn names_a_registry(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

/// The registry a reference names, as docker.io's aliases are all one registry.
pub fn canonical_registry(host: &str) -> &str {
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        other => other,
    }
}

/// `label(.label)*[:port]` with DNS-style labels, or a bracketed IPv6 address with an optional
/// port; nothing else (no quotes, slashes, `..` or empty labels), since a host ends up in URLs,
/// directory names and quoted TOML keys.
pub fn is_host(s: &str) -> bool {
    let (name, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => return is_port(port),
                None => return false,
            },
        }
    } else {
        match s.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        }
    };
    port.is_none_or(is_port)
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for good in [
            "docker.io",
            "localhost",
            "localhost:5000",
            "registry.k8s.io",
            "a-b.example:443",
            "10.0.0.1:5000",
            "[::1]",
            "[fd00::1]:5000",
            "Quay.IO",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            ":5000",
            "a..b",
            ".a",
            "a.",
            "-a.b",
            "a-.b",
            "a/b",
            "a\"b",
            "a:",
            "a:123456",
            "a:x",
            "[::1",
            "[]",
            "[::1]x",
            "[g::1]",
            &"a".repeat(254),
        ] {
            assert!(!is_host(bad), "{bad:?}");
        }
    }

    #[test]
    fn registry_components() {
        assert!(names_a_registry("localhost"));
        assert!(names_a_registry("ghcr.io"));
        assert!(names_a_registry("reg:5000"));
        assert!(!names_a_registry("library"));
        assert!(!names_a_registry("bitnami"));
        assert_eq!(canonical_registry("index.docker.io"), "docker.io");
        assert_eq!(canonical_registry("registry-1.docker.io"), "docker.io");
        assert_eq!(canonical_registry("ghcr.io"), "ghcr.io");
    }
}
