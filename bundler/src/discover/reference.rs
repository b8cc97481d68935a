//! Image reference normalisation (Docker's familiar-name rules) without a registry round trip.

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
    let has_registry = parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    let registry = if has_registry {
        let host = parts.remove(0);
        if !valid_host(host) {
            return None;
        }
        match host {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
            other => other.to_owned(),
        }
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

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_' | '[' | ']'))
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
    let hex_ok = hex.len() == expected_len && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
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
