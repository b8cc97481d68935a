//! Parsing `/v2/...` request paths. Repository names contain slashes, so the router hands us the
//! raw path and we split it from the right, where the endpoint keywords are.
//!
//! The path is never percent-decoded: `%2e%2e` or any other escape is simply an invalid name, and
//! name components must start with a letter or digit, so `..` can never reach the store.

use ferry_bundler::format::names::{is_valid_host, MAX_NAME_LEN};
pub use ferry_bundler::format::names::{is_valid_name, is_valid_tag};
use ferry_bundler::format::Digest;

use super::error::{ErrorCode, RegistryError};

/// What a `/v2/` request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v2/`: the API version check.
    Base,
    Catalog,
    Tags {
        name: String,
    },
    Manifest {
        name: String,
        reference: Reference,
    },
    Blob {
        name: String,
        digest: Digest,
    },
    /// `POST /v2/<name>/blobs/uploads/`
    UploadStart {
        name: String,
    },
    /// `/v2/<name>/blobs/uploads/<id>`
    Upload {
        name: String,
        id: String,
    },
    Referrers {
        name: String,
        digest: Digest,
    },
}

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Tag(t) => f.write_str(t),
            Reference::Digest(d) => write!(f, "{d}"),
        }
    }
}

impl Endpoint {
    /// Low-cardinality label for metrics.
    pub fn class(&self) -> &'static str {
        match self {
            Endpoint::Base => "base",
            Endpoint::Catalog => "catalog",
            Endpoint::Tags { .. } => "tags",
            Endpoint::Manifest { .. } => "manifest",
            Endpoint::Blob { .. } => "blob",
            Endpoint::UploadStart { .. } | Endpoint::Upload { .. } => "upload",
            Endpoint::Referrers { .. } => "referrers",
        }
    }
}

/// Parses the path (without query) of a request under `/v2`. `ns` is containerd's `?ns=` mirror
/// hint: the upstream host, which becomes the first component of the stored repository name.
pub fn parse(path: &str, ns: Option<&str>) -> Result<Endpoint, RegistryError> {
    let rest = match path.strip_prefix("/v2") {
        Some("") | Some("/") => return Ok(Endpoint::Base),
        Some(r) => r.strip_prefix('/').ok_or_else(|| not_found(path))?,
        None => return Err(not_found(path)),
    };
    if rest == "_catalog" {
        return Ok(Endpoint::Catalog);
    }
    let segs: Vec<&str> = rest.split('/').collect();
    let n = segs.len();
    let name_of = |k: usize| -> Result<String, RegistryError> {
        repository_name(&segs[..n - k].join("/"), ns)
    };
    if n >= 3 && segs[n - 3] == "blobs" && segs[n - 2] == "uploads" {
        if segs[n - 1].is_empty() {
            return Ok(Endpoint::UploadStart { name: name_of(3)? });
        }
        let id = upload_id(segs[n - 1])?;
        return Ok(Endpoint::Upload {
            name: name_of(3)?,
            id,
        });
    }
    if n >= 3 && segs[n - 2] == "blobs" && segs[n - 1] == "uploads" {
        return Ok(Endpoint::UploadStart { name: name_of(2)? });
    }
    if n >= 3 && segs[n - 2] == "tags" && segs[n - 1] == "list" {
        return Ok(Endpoint::Tags { name: name_of(2)? });
    }
    if n >= 3 && segs[n - 2] == "manifests" {
        let name = name_of(2)?;
        return Ok(Endpoint::Manifest {
            name,
            reference: reference(segs[n - 1])?,
        });
    }
    if n >= 3 && segs[n - 2] == "blobs" {
        let name = name_of(2)?;
        return Ok(Endpoint::Blob {
            name,
            digest: digest(segs[n - 1])?,
        });
    }
    if n >= 3 && segs[n - 2] == "referrers" {
        let name = name_of(2)?;
        return Ok(Endpoint::Referrers {
            name,
            digest: digest(segs[n - 1])?,
        });
    }
    Err(not_found(path))
}

/// The repository name as the client wrote it in the path, before `?ns=` mapped it (what a
/// client asks the token endpoint for). Empty for endpoints without a name.
pub fn name_in_path(endpoint: &Endpoint, ns: Option<&str>) -> String {
    let name = match endpoint {
        Endpoint::Base | Endpoint::Catalog => return String::new(),
        Endpoint::Tags { name }
        | Endpoint::Manifest { name, .. }
        | Endpoint::Blob { name, .. }
        | Endpoint::UploadStart { name }
        | Endpoint::Upload { name, .. }
        | Endpoint::Referrers { name, .. } => name,
    };
    match ns.filter(|h| !h.is_empty()) {
        Some(host) => name
            .strip_prefix(host)
            .and_then(|n| n.strip_prefix('/'))
            .unwrap_or(name)
            .to_owned(),
        None => name.clone(),
    }
}

fn not_found(path: &str) -> RegistryError {
    RegistryError::new(
        ErrorCode::NameUnknown,
        format!("no registry endpoint at {}", printable(path)),
    )
    .with_status(axum::http::StatusCode::NOT_FOUND)
}

/// Validates `name` against the spec's grammar and prefixes the `ns` host when given.
pub fn repository_name(name: &str, ns: Option<&str>) -> Result<String, RegistryError> {
    if !is_valid_name(name) {
        return Err(RegistryError::new(
            ErrorCode::NameInvalid,
            format!("repository name {:?} is invalid", printable(name)),
        ));
    }
    let full = match ns {
        None | Some("") => name.to_owned(),
        Some(host) if is_valid_host(host) => format!("{host}/{name}"),
        Some(host) => {
            return Err(RegistryError::new(
                ErrorCode::NameInvalid,
                format!("ns host {:?} is invalid", printable(host)),
            ))
        }
    };
    if full.len() > MAX_NAME_LEN {
        return Err(RegistryError::new(
            ErrorCode::NameInvalid,
            format!("repository name {full:?} is too long"),
        ));
    }
    Ok(full)
}

pub fn reference(s: &str) -> Result<Reference, RegistryError> {
    if s.contains(':') {
        return digest(s).map(Reference::Digest);
    }
    if is_valid_tag(s) {
        return Ok(Reference::Tag(s.to_owned()));
    }
    Err(RegistryError::new(
        ErrorCode::ManifestInvalid,
        format!("reference {:?} is not a valid tag or digest", printable(s)),
    ))
}

pub fn digest(s: &str) -> Result<Digest, RegistryError> {
    Digest::parse(s).map_err(|e| RegistryError::new(ErrorCode::DigestInvalid, e.to_string()))
}

/// Upload ids are ours: lowercase hex. Anything else cannot name a session (nor a file).
fn upload_id(s: &str) -> Result<String, RegistryError> {
    if !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(s.to_owned())
    } else {
        Err(RegistryError::new(
            ErrorCode::BlobUploadUnknown,
            format!("upload {:?} is unknown", printable(s)),
        ))
    }
}

/// Hostile input goes into messages cut short.
fn printable(s: &str) -> String {
    s.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containerd_ns_prefixes_the_upstream_host() {
        let e = parse("/v2/library/nginx/manifests/1.27", Some("docker.io")).unwrap();
        assert_eq!(
            e,
            Endpoint::Manifest {
                name: "docker.io/library/nginx".into(),
                reference: Reference::Tag("1.27".into())
            }
        );
        assert!(parse("/v2/library/nginx/manifests/1.27", Some("../x")).is_err());
        let e = parse("/v2/a/manifests/x", Some("localhost:5000")).unwrap();
        assert!(matches!(e, Endpoint::Manifest { name, .. } if name == "localhost:5000/a"));
    }

    #[test]
    fn endpoint_keywords_are_split_from_the_right() {
        assert_eq!(
            parse("/v2/a/blobs/uploads/", None).unwrap(),
            Endpoint::UploadStart { name: "a".into() }
        );
        assert_eq!(
            parse("/v2/a/blobs/uploads", None).unwrap(),
            Endpoint::UploadStart { name: "a".into() }
        );
        assert_eq!(
            parse("/v2/blobs/tags/blobs/uploads/ab12", None).unwrap(),
            Endpoint::Upload {
                name: "blobs/tags".into(),
                id: "ab12".into()
            }
        );
        assert_eq!(
            parse("/v2/x/y/tags/list", None).unwrap(),
            Endpoint::Tags { name: "x/y".into() }
        );
    }
}
