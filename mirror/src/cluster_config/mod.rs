//! `cluster-config`: the files each container runtime reads to pull through the ferry mirror.
//!
//! The mirror keeps the upstream host as the first component of every repository
//! (`docker.io/library/nginx`), and maps containerd's `?ns=<host>` mirror requests onto it, so
//! every runtime can use it as a plain per-host mirror: no path rewriting is needed anywhere.
//! Generation is pure: hosts, mirror address and CA in, (relative path, content) pairs out.

mod containerd;
mod crio;
mod hosts;
mod k3s;
mod openshift;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use hosts::{is_upstream_host, upstream_hosts};

/// The runtime whose configuration is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `certs.d/<host>/hosts.toml`, for containerd's `config_path`.
    Containerd,
    /// `registries.yaml` for /etc/rancher/k3s/.
    K3s,
    /// `registries.yaml` for /etc/rancher/rke2/.
    Rke2,
    /// `registries.conf.d/ferry-mirror.conf` (CRI-O, podman, skopeo: containers-registries.conf).
    Crio,
    /// `ImageDigestMirrorSet` and `ImageTagMirrorSet` manifests.
    Openshift,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterConfigError {
    #[error("mirror {0:?} is not an http(s)://HOST[:PORT] url")]
    MirrorUrl(String),
    #[error("{0:?} is not a registry host name")]
    Host(String),
    #[error("no upstream hosts: the store holds no images under a registry host")]
    NoHosts,
    #[error("ca path {0:?} contains control characters")]
    CaPath(PathBuf),
}

/// Where the mirror listens, as nodes reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `https` or `http`.
    pub scheme: String,
    /// `HOST[:PORT]`.
    pub authority: String,
}

impl Mirror {
    /// Parses `https://HOST[:PORT]` (a trailing `/` is allowed, any other path is not).
    pub fn parse(url: &str) -> Result<Self, ClusterConfigError> {
        let bad = || ClusterConfigError::MirrorUrl(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        if scheme != "https" && scheme != "http" {
            return Err(bad());
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if !ferry_bundler::format::host::is_host(authority) {
            return Err(bad());
        }
        Ok(Self {
            scheme: scheme.to_owned(),
            authority: authority.to_owned(),
        })
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    fn insecure(&self) -> bool {
        self.scheme == "http"
    }
}

/// The CA that signed the mirror's certificate: where nodes find it, and its PEM text (for
/// runtimes that want a copy rather than a path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCert {
    pub path: PathBuf,
    pub pem: String,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub content: String,
}

/// The files `runtime` needs to pull every one of `hosts` through `mirror`.
pub fn generate(
    runtime: Runtime,
    hosts: &[String],
    mirror: &Mirror,
    ca: Option<&CaCert>,
) -> Result<Vec<GeneratedFile>, ClusterConfigError> {
    if hosts.is_empty() {
        return Err(ClusterConfigError::NoHosts);
    }
    if let Some(bad) = hosts.iter().find(|h| !is_upstream_host(h)) {
        return Err(ClusterConfigError::Host(bad.clone()));
    }
    if let Some(ca) = ca {
        if ca.path.to_string_lossy().chars().any(char::is_control) {
            return Err(ClusterConfigError::CaPath(ca.path.clone()));
        }
    }
    Ok(match runtime {
        Runtime::Containerd => containerd::generate(hosts, mirror, ca),
        Runtime::K3s => k3s::generate("k3s", hosts, mirror, ca),
        Runtime::Rke2 => k3s::generate("rke2", hosts, mirror, ca),
        Runtime::Crio => crio::generate(hosts, mirror, ca),
        Runtime::Openshift => openshift::generate(hosts, mirror, ca),
    })
}

/// Hosts that can be a path component of a mirror location: `HOST:PORT/localhost:5000/...`
/// is not a valid reference (a `:` in a path), so hosts with a port are reachable only through
/// containerd's `?ns=`; they are listed in a comment instead.
fn path_safe_hosts(hosts: &[String]) -> (Vec<&String>, Vec<&String>) {
    hosts.iter().partition(|h| !h.contains(':'))
}

fn skipped_comment(skipped: &[&String]) -> String {
    skipped
        .iter()
        .map(|h| format!("# {h}: a host with a port cannot be a path component of the mirror; use containerd or k3s\n"))
        .collect()
}

/// A double-quoted string valid in TOML and YAML alike (JSON's escapes are a subset of both).
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn file(path: impl AsRef<Path>, content: String) -> GeneratedFile {
    GeneratedFile {
        path: path.as_ref().to_path_buf(),
        content,
    }
}
