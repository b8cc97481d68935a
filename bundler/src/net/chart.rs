//! Helm charts from HTTP repositories (`index.yaml`) and OCI registries, all carried as Helm
//! OCI artifacts under `charts/<name>:<version>`.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Deserialize;

use super::cache::{BlobCache, CacheError};
use super::http::{HttpClient, HttpError};
use super::image::{resolve_image, AttachedOptions, ImageError, ImageRequest};
use super::registry::{parse_reference, RegistryClient, RegistryError};
use super::resolved::{normalise_provenance, LockedBlob, ResolvedArtifact, Source};
use super::wrap::{wrap, Wrapped};
use crate::format::layout::media;
use crate::format::{Artifact, ArtifactKind, Digest, Provenance};

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{url}: not a Helm repository index: {message}")]
    Index { url: String, message: String },
    #[error("chart {name}: version {want:?} is neither a version nor a semver range: {source}")]
    BadVersion {
        name: String,
        want: String,
        source: semver::Error,
    },
    #[error(
        "chart {name}: no version in {url} matches {want:?} (available: {})",
        some_versions(available)
    )]
    NoMatch {
        name: String,
        url: String,
        want: String,
        /// Every version the repository offers, highest first.
        available: Vec<String>,
    },
    #[error("chart {name} is not in {url}{}", similar_names(similar))]
    NoChart {
        name: String,
        url: String,
        /// Charts in the index whose names are close (a typo, a renamed chart).
        similar: Vec<String>,
    },
    #[error("chart {name} {version} in {url}: {message}")]
    Entry {
        name: String,
        version: String,
        url: String,
        message: String,
    },
    #[error("{reference}: chart package has no readable Chart.yaml: {message}")]
    ChartYaml { reference: String, message: String },
}

#[derive(Debug, Clone, Default)]
pub struct ChartRequest {
    pub name: String,
    /// `http(s)://…` Helm repository or `oci://host/path` (the chart is `<path>/<name>`).
    pub repo: String,
    /// An exact version or a semver range (`^6.5`, `>=1.2, <2`).
    pub version: String,
    pub provenance: Vec<Provenance>,
}

#[derive(Deserialize)]
struct IndexFile {
    #[serde(default)]
    entries: BTreeMap<String, Vec<IndexEntry>>,
}

#[derive(Deserialize)]
struct IndexEntry {
    version: String,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
}

const MAX_INDEX_SIZE: u64 = 64 * 1024 * 1024;
const MAX_CHART_YAML: u64 = 1024 * 1024;

pub async fn resolve_chart(
    registry: &RegistryClient,
    http: &HttpClient,
    cache: &BlobCache,
    req: &ChartRequest,
) -> Result<ResolvedArtifact, ChartError> {
    if let Some(path) = req.repo.strip_prefix("oci://") {
        return resolve_oci_chart(registry, cache, req, path).await;
    }
    let base = req.repo.trim_end_matches('/');
    let index_url = format!("{base}/index.yaml");
    let bytes = http.get_small(&index_url, MAX_INDEX_SIZE).await?;
    let index = parse_index(&index_url, bytes)?;
    let Some(entries) = index.entries.get(&req.name).map(Vec::as_slice) else {
        return Err(ChartError::NoChart {
            name: req.name.clone(),
            url: index_url,
            similar: close_names(&req.name, index.entries.keys()),
        });
    };
    let (version, entry) =
        select_version(&req.name, entries, &req.version)?.ok_or_else(|| ChartError::NoMatch {
            name: req.name.clone(),
            url: index_url.clone(),
            want: req.version.clone(),
            available: highest_first(entries.iter().map(|e| e.version.as_str())),
        })?;
    let entry_err = |message: String| ChartError::Entry {
        name: req.name.clone(),
        version: version.to_string(),
        url: index_url.clone(),
        message,
    };
    let url = entry
        .urls
        .first()
        .ok_or_else(|| entry_err("no urls".into()))?;
    let url = reqwest::Url::parse(&format!("{base}/"))
        .and_then(|b| b.join(url))
        .map_err(|e| entry_err(format!("bad url {url:?}: {e}")))?
        .to_string();
    let expected = match &entry.digest {
        Some(d) if !d.is_empty() => Some(
            Digest::from_hex(d.trim_start_matches("sha256:"))
                .map_err(|_| entry_err(format!("bad digest {d:?}")))?,
        ),
        _ => None,
    };
    let reference = format!("{base}/{}:{version}", req.name);
    let (wrapped, _) =
        materialise_http_chart(http, cache, &reference, &url, expected.as_ref()).await?;
    Ok(chart_artifact(
        req,
        reference,
        &version.to_string(),
        wrapped,
        Source::Http { url },
    ))
}

pub(super) fn chart_artifact(
    req: &ChartRequest,
    reference: String,
    version: &str,
    w: Wrapped,
    source: Source,
) -> ResolvedArtifact {
    let artifact = Artifact {
        kind: ArtifactKind::Chart,
        reference,
        repository: format!("charts/{}", req.name),
        tag: Some(version.to_owned()),
        digest: w.manifest_digest,
        media_type: media::OCI_MANIFEST.into(),
        size: w.manifest_size,
        platforms: Vec::new(),
        omitted_children: Vec::new(),
        attached: Vec::new(),
        provenance: normalise_provenance(req.provenance.clone()),
    };
    ResolvedArtifact {
        artifact,
        source,
        blobs: w.blobs.into_sorted(),
    }
}

/// Downloads a chart package (checked against `expected` when known) and wraps it as a Helm
/// OCI artifact. Deterministic: the same .tgz always gives the same manifest digest.
pub async fn materialise_http_chart(
    http: &HttpClient,
    cache: &BlobCache,
    reference: &str,
    url: &str,
    expected: Option<&Digest>,
) -> Result<(Wrapped, Digest), ChartError> {
    let (tgz, size) = match expected {
        Some(d) if cache.path(d).is_file() => (
            d.clone(),
            std::fs::metadata(cache.path(d))
                .map(|m| m.len())
                .unwrap_or_default(),
        ),
        _ => http.download(cache, reference, url, expected).await?,
    };
    let config = chart_config(cache, reference, &tgz)?;
    let layer = LockedBlob {
        digest: tgz.clone(),
        size,
        media_type: media::HELM_CHART.into(),
        manifest: false,
    };
    let wrapped = wrap(
        cache,
        reference,
        media::HELM_CONFIG,
        &config,
        &layer,
        None,
        None,
    )?;
    Ok((wrapped, tgz))
}

/// `Chart.yaml` of a cached chart package, as the JSON Helm stores in the OCI config.
pub(super) fn chart_config(
    cache: &BlobCache,
    reference: &str,
    tgz: &Digest,
) -> Result<Vec<u8>, ChartError> {
    let err = |message: String| ChartError::ChartYaml {
        reference: reference.to_owned(),
        message,
    };
    let file = cache.open_blob(tgz).map_err(|e| err(e.to_string()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().map_err(|e| err(e.to_string()))? {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        let path = entry.path().map_err(|e| err(e.to_string()))?.into_owned();
        let parts: Vec<_> = path.components().collect();
        if parts.len() != 2 || parts[1].as_os_str() != "Chart.yaml" {
            continue;
        }
        let mut text = String::new();
        entry
            .take(MAX_CHART_YAML)
            .read_to_string(&mut text)
            .map_err(|e| err(e.to_string()))?;
        let value: serde_json::Value =
            serde_saphyr::from_str_with_options(&text, crate::discover::chart_yaml_options())
                .map_err(|e| err(e.to_string()))?;
        return serde_json::to_vec(&value).map_err(|e| err(e.to_string()));
    }
    Err(err("no <chart>/Chart.yaml entry".into()))
}

/// Parses a Helm repository `index.yaml` fetched from `url`.
fn parse_index(url: &str, bytes: Vec<u8>) -> Result<IndexFile, ChartError> {
    let text = String::from_utf8(bytes).map_err(|_| ChartError::Index {
        url: url.to_owned(),
        message: "not UTF-8".into(),
    })?;
    serde_saphyr::from_str(&text).map_err(|e| ChartError::Index {
        url: url.to_owned(),
        message: e.to_string(),
    })
}

/// The highest version matching `want` (exact version or semver range).
fn select_version<'a>(
    name: &str,
    entries: &'a [IndexEntry],
    want: &str,
) -> Result<Option<(semver::Version, &'a IndexEntry)>, ChartError> {
    let parsed = |e: &'a IndexEntry| {
        semver::Version::parse(e.version.trim_start_matches('v'))
            .ok()
            .map(|v| (v, e))
    };
    if let Ok(exact) = semver::Version::parse(want.trim_start_matches('v')) {
        return Ok(entries.iter().filter_map(parsed).find(|(v, _)| *v == exact));
    }
    let req = semver::VersionReq::parse(want).map_err(|source| ChartError::BadVersion {
        name: name.to_owned(),
        want: want.to_owned(),
        source,
    })?;
    Ok(entries
        .iter()
        .filter_map(parsed)
        .filter(|(v, _)| req.matches(v))
        .max_by(|a, b| a.0.cmp(&b.0)))
}

async fn resolve_oci_chart(
    registry: &RegistryClient,
    cache: &BlobCache,
    req: &ChartRequest,
    path: &str,
) -> Result<ResolvedArtifact, ChartError> {
    let path = path.trim_end_matches('/');
    let version = if semver::Version::parse(req.version.trim_start_matches('v')).is_ok() {
        req.version.clone()
    } else {
        newest_tag(registry, req, path).await?
    };
    // Helm writes `+` in versions as `_` in OCI tags.
    let tag = version.replace('+', "_");
    let image = ImageRequest {
        reference: format!("{path}/{}:{tag}", req.name),
        platforms: Vec::new(),
        provenance: req.provenance.clone(),
    };
    let mut resolved =
        resolve_image(registry, cache, &image, &AttachedOptions { enabled: false }).await?;
    let a = &mut resolved.artifact;
    a.kind = ArtifactKind::Chart;
    a.reference = format!("oci://{}", a.reference);
    a.repository = format!("charts/{}", req.name);
    a.tag = Some(version);
    Ok(resolved)
}

/// The highest tag of `oci://<path>/<name>` matching the semver range in `req.version`.
async fn newest_tag(
    registry: &RegistryClient,
    req: &ChartRequest,
    path: &str,
) -> Result<String, ChartError> {
    let want =
        semver::VersionReq::parse(&req.version).map_err(|source| ChartError::BadVersion {
            name: req.name.clone(),
            want: req.version.clone(),
            source,
        })?;
    let repo = parse_reference(&format!("{path}/{}", req.name))?;
    let tags = registry.tags(&repo).await?;
    let versions: Vec<String> = tags.iter().map(|t| t.replace('_', "+")).collect();
    versions
        .iter()
        .filter_map(|t| semver::Version::parse(t).ok())
        .filter(|v| want.matches(v))
        .max()
        .map(|v| v.to_string())
        .ok_or_else(|| ChartError::NoMatch {
            name: req.name.clone(),
            url: format!("oci://{path}/{}", req.name),
            want: req.version.clone(),
            available: highest_first(versions.iter().map(String::as_str)),
        })
}

/// Versions for a message, highest first; those that are not semver go last, as written.
fn highest_first<'a>(versions: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<(Option<semver::Version>, &str)> = versions
        .map(|s| (semver::Version::parse(s.trim_start_matches('v')).ok(), s))
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    v.dedup_by(|a, b| a.1 == b.1);
    v.into_iter().map(|(_, s)| s.to_owned()).collect()
}

/// Up to three chart names that contain, or are contained in, `name`, or differ from it in at
/// most two letters: what a user who mistyped a name most likely meant.
fn close_names<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut close: Vec<(usize, &String)> = names
        .filter_map(|n| {
            let other = n.to_lowercase();
            let d = edit_distance(&lower, &other);
            (d <= 2 || other.contains(&lower) || lower.contains(&other)).then_some((d, n))
        })
        .collect();
    close.sort();
    close.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The ten highest versions, and how many more there are: an index may list hundreds.
fn some_versions(available: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = available
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if available.len() > SHOWN {
        text.push_str(&format!(" and {} more", available.len() - SHOWN));
    }
    text
}

fn similar_names(similar: &[String]) -> String {
    match similar {
        [] => String::new(),
        names => format!(" (did you mean {}?)", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(versions: &[&str]) -> Vec<IndexEntry> {
        versions
            .iter()
            .map(|v| IndexEntry {
                version: (*v).into(),
                digest: None,
                urls: vec![],
            })
            .collect()
    }

    #[rstest::rstest]
    #[case::not_utf8(vec![0xff, 0xfe])]
    #[case::not_yaml(b"entries: [unclosed".to_vec())]
    #[case::entries_not_a_map(b"entries: 3".to_vec())]
    #[case::version_missing(b"entries:\n  demo:\n  - urls: [x.tgz]\n".to_vec())]
    #[case::urls_not_a_list(b"entries:\n  demo:\n  - version: 1.0.0\n    urls: 7\n".to_vec())]
    fn hostile_indexes_are_refused_naming_the_url(#[case] bytes: Vec<u8>) {
        let err = parse_index("http://repo/index.yaml", bytes)
            .err()
            .expect("refused");
        assert!(
            err.to_string().starts_with("http://repo/index.yaml"),
            "{err}"
        );
    }

    #[test]
    fn a_long_version_list_is_cut_to_the_highest_ten() {
        let many: Vec<String> = (0..25).rev().map(|i| format!("1.{i}.0")).collect();
        let text = some_versions(&many);
        assert!(text.starts_with("1.24.0, 1.23.0"), "{text}");
        assert!(text.ends_with("1.15.0 and 15 more"), "{text}");
    }

    #[test]
    fn versions_are_listed_highest_first() {
        let listed = highest_first(["1.2.0", "v1.10.0", "0.9.1", "latest", "1.2.0"].into_iter());
        assert_eq!(listed, ["v1.10.0", "1.2.0", "0.9.1", "latest"]);
    }

    #[test]
    fn a_mistyped_chart_name_finds_its_neighbours() {
        let names: Vec<String> = ["ingress-nginx", "cert-manager", "podinfo", "nginx"]
            .map(String::from)
            .into();
        assert_eq!(
            close_names("ingres-nginx", names.iter()),
            ["ingress-nginx", "nginx"]
        );
        assert_eq!(close_names("podinf", names.iter()), ["podinfo"]);
        assert!(close_names("longhorn", names.iter()).is_empty());
    }

    #[test]
    fn picks_the_highest_matching_version() {
        let e = entries(&["6.4.0", "6.5.1", "6.5.3", "7.0.0", "not-semver"]);
        let pick = |w: &str| {
            select_version("c", &e, w)
                .unwrap()
                .map(|(v, _)| v.to_string())
        };
        assert_eq!(pick("^6.5").as_deref(), Some("6.5.3"));
        assert_eq!(pick("6.5.1").as_deref(), Some("6.5.1"));
        assert_eq!(pick(">=7").as_deref(), Some("7.0.0"));
        assert_eq!(pick("^8"), None);
        assert!(select_version("c", &e, "latest!").is_err());
    }
}
