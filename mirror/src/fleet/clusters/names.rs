//! What a cluster, group and label may be called: cluster and group names are DNS-1123 labels
//! (they become repository names, Kubernetes object names and credential user names); label
//! keys and values follow Kubernetes' rules, so that selectors mean what they mean there.

use std::collections::BTreeMap;

use super::ClusterError;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub fn check_cluster_name(name: &str) -> Result<(), ClusterError> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(ClusterError::InvalidName {
            what: "cluster",
            name: printable(name),
        })
    }
}

pub fn check_group_name(name: &str) -> Result<(), ClusterError> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(ClusterError::InvalidName {
            what: "group",
            name: printable(name),
        })
    }
}

/// A label name or value: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Why `key` is not a Kubernetes label key (`[prefix/]name`), if it is not.
pub fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns_subdomain(p)) {
        return Some("the prefix before '/' must be a DNS subdomain");
    }
    if !is_label_name(name) {
        return Some("the name must be 1-63 of [A-Za-z0-9-_.], starting and ending alphanumeric");
    }
    None
}

/// Why `value` is not a Kubernetes label value (empty, or like a key's name), if it is not.
pub fn label_value_problem(value: &str) -> Option<&'static str> {
    (!value.is_empty() && !is_label_name(value)).then_some(
        "a value must be empty or 1-63 of [A-Za-z0-9-_.], starting and ending alphanumeric",
    )
}

pub fn check_labels(labels: &BTreeMap<String, String>) -> Result<(), ClusterError> {
    for (key, value) in labels {
        if let Some(why) = label_key_problem(key).or_else(|| label_value_problem(value)) {
            return Err(ClusterError::InvalidLabel {
                label: printable(&format!("{key}={value}")),
                why,
            });
        }
    }
    Ok(())
}

/// Parses `key=value` (the CLI's `--label`).
pub fn parse_label(s: &str) -> Result<(String, String), ClusterError> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| ClusterError::InvalidLabel {
            label: printable(s),
            why: "expected key=value",
        })?;
    let labels = BTreeMap::from([(k.to_owned(), v.to_owned())]);
    check_labels(&labels)?;
    Ok((k.to_owned(), v.to_owned()))
}

/// Hostile input shown in errors without control characters and at a bounded length.
pub fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(100).flat_map(char::escape_debug).collect();
    if s.chars().count() > 100 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_are_dns_labels() {
        for ok in ["a", "edge-07", "0", &"a".repeat(63)] {
            assert!(is_dns_label(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Edge",
            "a_b",
            "a.b",
            "a/b",
            &"a".repeat(64),
            "ä",
        ] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn label_keys_and_values_follow_kubernetes() {
        for ok in ["site", "app.kubernetes.io/name", "a_b.c-d", "x/y"] {
            assert_eq!(label_key_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "-a",
            "a b",
            "Bad_/x",
            "a/b/c",
            &"k".repeat(64),
        ] {
            assert!(label_key_problem(bad).is_some(), "{bad}");
        }
        for ok in ["", "north", "v1.2_3"] {
            assert_eq!(label_value_problem(ok), None, "{ok}");
        }
        for bad in ["-x", "x-", "a b", "a=b", &"v".repeat(64)] {
            assert!(label_value_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(
            parse_label("tier=prod").unwrap(),
            ("tier".into(), "prod".into())
        );
        let e = parse_label("tier").unwrap_err().to_string();
        assert!(e.contains("\"tier\"") && e.contains("key=value"), "{e}");
    }
}
