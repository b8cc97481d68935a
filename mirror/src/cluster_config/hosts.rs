//! Which upstream registry hosts the store holds images for.

use std::collections::BTreeSet;

use ferry_bundler::format::host;

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

/// A host the store can hold images of, as it is named in references: the registry part of a
/// reference, and a plain `name[:port]`, since it becomes a directory and a quoted key.
pub fn is_upstream_host(s: &str) -> bool {
    host::names_a_registry(s) && host::is_host(s)
}
