//! Which upstream registry hosts the store holds images for.

use std::collections::BTreeSet;

/// Repository prefixes that hold charts, files and packs rather than images of an upstream registry.
const NOT_IMAGES: [&str; 3] = ["charts/", "files/", "spectro-packs/"];

/// The distinct upstream hosts (first path component) of image repositories, sorted.
pub fn upstream_hosts<'a>(repositories: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let hosts: BTreeSet<&str> = repositories
        .into_iter()
        .filter(|name| !NOT_IMAGES.iter().any(|p| name.starts_with(p)))
        .filter_map(|name| name.split_once('/').map(|(host, _)| host))
        .filter(|host| is_upstream_host(host))
        .collect();
    hosts.into_iter().map(str::to_owned).collect()
}

/// Docker's rule for a registry host in a reference: it has a `.` or a `:` or is `localhost`;
/// and it must be a plain `name[:port]`, since it becomes a directory and a quoted key.
pub fn is_upstream_host(s: &str) -> bool {
    (s.contains('.') || s.contains(':') || s == "localhost" || s.starts_with("localhost:"))
        && is_host(s)
}

/// `label(.label)*[:port]` or `[v6]:port`, nothing else (no quotes, slashes or `..`).
pub(super) fn is_host(s: &str) -> bool {
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
                Some(port) => ("v6", Some(port)),
                None => return false,
            },
        }
    } else {
        match s.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
