//! Image reference normalisation (Docker's familiar-name rules) without a registry round trip.

use crate::format::host;

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("empty image reference")]
    Empty,
    #[error("image reference {0:?} contains a template expression")]
    Templated(String),
    #[error("image reference {0:?} has an invalid repository name")]
    InvalidName(String),
    #[error("image reference {0:?} has an invalid tag")]
    InvalidTag(String),
    #[error("image reference {0:?} has an invalid digest")]
    InvalidDigest(String),
}

/// Normalises `s` to `registry/repository[:tag][@digest]`: single names become
/// `docker.io/library/<name>`, other Hub names `docker.io/<ns>/<name>`; tag and digest are kept
/// as written and no `:latest` is invented.
pub fn normalize_reference(s: &str) -> Result<String, ReferenceError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if s.contains("{{") || s.contains("}}") || s.contains("${") {
        return Err(ReferenceError::Templated(s.to_owned()));
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(digest) = digest {
        check_digest(digest).map_err(|_| ReferenceError::InvalidDigest(s.to_owned()))?;
    }
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if let Some(tag) = tag {
        if !valid_tag(tag) {
            return Err(ReferenceError::InvalidTag(s.to_owned()));
        }
    }
    let full_name = qualify(name).ok_or_else(|| ReferenceError::InvalidName(s.to_owned()))?;
    let mut out = full_name;
    if let Some(tag) = tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    Ok(out)
}

fn qualify(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = name.split('/').collect();
    let registry = if parts.len() > 1 && host::names_a_registry(parts[0]) {
        let named = parts.remove(0);
        if !host::is_host(named) {
            return None;
        }
        host::canonical_registry(named).to_owned()
    } else {
        "docker.io".to_owned()
    };
    if parts.is_empty() || !parts.iter().all(|p| valid_path_component(p)) {
        return None;
    }
    if registry == "docker.io" && parts.len() == 1 {
        parts.insert(0, "library");
    }
    Some(format!("{registry}/{}", parts.join("/")))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(p: &str) -> bool {
    let bytes = p.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    bytes
        .iter()
        .all(|&b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
        && !p.contains("..")
        && !p.contains("___")
}

/// `[\w][\w.-]{0,127}`
fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn check_digest(digest: &str) -> Result<(), ()> {
    let (algorithm, hex) = digest.split_once(':').ok_or(())?;
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Err(()),
    };
    let hex_ok =
        hex.len() == expected_len && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    if hex_ok {
        Ok(())
    } else {
        Err(())
    }
}

/// True when `s` looks enough like a reference to report it from free text (args, env values):
/// it must carry a tag or digest, so plain words and paths are not mistaken for images.
pub(crate) fn looks_like_image(s: &str) -> bool {
    let s = s.trim();
    if s.contains("://") || s.starts_with('/') || s.starts_with('.') {
        return false;
    }
    let tagged = s.contains('@') || s.rsplit('/').next().is_some_and(|last| last.contains(':'));
    tagged && normalize_reference(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::single_name("nginx", "docker.io/library/nginx")]
    #[case::single_name_tag("nginx:1.27", "docker.io/library/nginx:1.27")]
    #[case::hub_namespace("bitnami/redis:7", "docker.io/bitnami/redis:7")]
    #[case::index_host("index.docker.io/library/alpine:3", "docker.io/library/alpine:3")]
    #[case::registry_port("localhost:5000/a/b:1", "localhost:5000/a/b:1")]
    #[case::registry_port_no_tag("registry.local:5000/a", "registry.local:5000/a")]
    #[case::tag_and_digest(
        "registry.k8s.io/x:v1@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7",
        "registry.k8s.io/x:v1@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7"
    )]
    fn normalises(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(normalize_reference(input).as_deref(), Ok(expected));
    }

    #[rstest]
    #[case::empty("")]
    #[case::spaces("   ")]
    #[case::templated("{{ .Values.image }}")]
    #[case::shell_var("${REGISTRY}/a:1")]
    #[case::upper_case("Nginx:1")]
    #[case::bad_tag("nginx:-x")]
    #[case::long_tag(&format!("nginx:{}", "a".repeat(129)))]
    #[case::short_digest("nginx@sha256:abc")]
    #[case::upper_digest(
        "nginx@sha256:D56F135B6462CFC476447CFE564B83A45E8BB7DA2774963B00D12161112270B7"
    )]
    #[case::unknown_algorithm("nginx@md5:d41d8cd98f00b204e9800998ecf8427e")]
    #[case::double_slash("a//b:1")]
    #[case::trailing_separator("a/b-:1")]
    #[case::path_traversal("../etc/passwd")]
    #[case::url("https://example.com/a:1")]
    fn rejects(#[case] input: &str) {
        assert!(normalize_reference(input).is_err(), "{input:?} accepted");
    }
}
