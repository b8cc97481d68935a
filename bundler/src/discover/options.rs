//! What discovery assumes about the cluster a chart is rendered for: the Kubernetes version
//! (`.Capabilities.KubeVersion`) and the extra API versions (`.Capabilities.APIVersions`).
//! Profiles set them per profile or layer; without them discovery assumes [`DEFAULT_KUBE_VERSION`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Kubernetes version charts are rendered for unless a profile or layer says otherwise.
pub const DEFAULT_KUBE_VERSION: &str = "v1.33.0";

/// Why a profile's `kubeVersion` or `apiVersions` entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error(
        "kubeVersion {text:?} is not a Kubernetes version such as 1.31.4 or v1.31.4: {reason}"
    )]
    KubeVersion { text: String, reason: String },
    #[error("apiVersions entry {0:?} is not group/version or group/version/Kind (e.g. apps/v1, monitoring.coreos.com/v1/Prometheus)")]
    ApiVersion(String),
}

/// A Kubernetes version, written with or without `v` (`1.31.4`, `v1.31.4`; `1.31` means
/// `1.31.0`, as Helm's `--kube-version` reads it). Displays as Helm's `GitVersion`: `v1.31.4`.
/// The one version type: profiles parse it (a refusal names the file and line), and the
/// renderer shows it as `.Capabilities.KubeVersion` (`crate::render::RenderOptions`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion(semver::Version);

impl KubeVersion {
    pub fn parse(text: &str) -> Result<Self, OptionsError> {
        let bad = |reason: String| OptionsError::KubeVersion {
            text: text.to_owned(),
            reason,
        };
        let bare = text.trim().strip_prefix('v').unwrap_or(text.trim());
        // `1.31` is a version to Helm; semver wants three parts.
        let full = match bare
            .split(['-', '+'])
            .next()
            .map(|core| core.matches('.').count())
        {
            Some(1) => {
                let (core, rest) = bare.split_at(bare.find(['-', '+']).unwrap_or(bare.len()));
                format!("{core}.0{rest}")
            }
            _ => bare.to_owned(),
        };
        let version = semver::Version::parse(&full).map_err(|e| bad(e.to_string()))?;
        if version.major == 0 {
            return Err(bad("major version 0 is not a Kubernetes release".into()));
        }
        Ok(KubeVersion(version))
    }

    /// `.Capabilities.KubeVersion.Major`: `"1"`.
    pub fn major(&self) -> String {
        self.0.major.to_string()
    }

    /// `.Capabilities.KubeVersion.Minor`: `"31"`.
    pub fn minor(&self) -> String {
        self.0.minor.to_string()
    }

    /// `.Capabilities.KubeVersion.Version` and `.GitVersion`: `"v1.31.4"`.
    pub fn git_version(&self) -> String {
        self.to_string()
    }

    pub fn semver(&self) -> &semver::Version {
        &self.0
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::parse(DEFAULT_KUBE_VERSION).expect("the default Kubernetes version parses")
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl FromStr for KubeVersion {
    type Err = OptionsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KubeVersion::parse(s)
    }
}

impl Serialize for KubeVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Refused while the profile is parsed, so the error carries the file, line and column.
impl<'de> Deserialize<'de> for KubeVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        KubeVersion::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One `.Capabilities.APIVersions` entry: `group/version`, `group/version/Kind`, or a core
/// `version` (`v1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ApiVersion(String);

impl ApiVersion {
    pub fn parse(text: &str) -> Result<Self, OptionsError> {
        let parts: Vec<&str> = text.split('/').collect();
        let word = |p: &str, extra: &[char]| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || extra.contains(&c))
        };
        let version = |p: &str| p.starts_with('v') && word(p, &[]);
        let well_formed = match parts.as_slice() {
            [v] => version(v),
            [group, v] => word(group, &['.']) && version(v),
            [group, v, kind] => {
                word(group, &['.'])
                    && version(v)
                    && kind.starts_with(|c: char| c.is_ascii_uppercase())
                    && word(kind, &[])
            }
            _ => false,
        };
        match well_formed {
            true => Ok(ApiVersion(text.to_owned())),
            false => Err(OptionsError::ApiVersion(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ApiVersion::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The cluster a chart is discovered for. `api_versions` are added to those every cluster of
/// `kube_version` serves, as `helm template --api-versions` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    pub kube_version: KubeVersion,
    pub api_versions: Vec<ApiVersion>,
}

impl DiscoverOptions {
    /// Whether `.Capabilities.APIVersions.Has name` is known to be true: `name` was listed.
    /// An API not listed may still be served, so that answer is left to the caller.
    pub fn lists_api(&self, name: &str) -> bool {
        self.api_versions.iter().any(|a| a.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("1.31.4", "v1.31.4", "1", "31")]
    #[case::with_v("v1.31.4", "v1.31.4", "1", "31")]
    #[case::two_parts("1.30", "v1.30.0", "1", "30")]
    #[case::two_parts_pre_release("v1.30-rc.1", "v1.30.0-rc.1", "1", "30")]
    #[case::vendor_build("v1.29.3-eks.1", "v1.29.3-eks.1", "1", "29")]
    #[case::build_metadata("1.28.3+k3s1", "v1.28.3+k3s1", "1", "28")]
    #[case::spaces(" 1.33.0 ", "v1.33.0", "1", "33")]
    fn kube_versions_parse(
        #[case] text: &str,
        #[case] shown: &str,
        #[case] major: &str,
        #[case] minor: &str,
    ) {
        let version = KubeVersion::parse(text).expect("parses");
        assert_eq!(version.to_string(), shown);
        assert_eq!(version.git_version(), shown);
        assert_eq!(
            (version.major().as_str(), version.minor().as_str()),
            (major, minor)
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::word("latest")]
    #[case::words("one.two")]
    #[case::one_part("1")]
    #[case::four_parts("1.31.4.1")]
    #[case::leading_zero("1.031.4")]
    #[case::major_zero("0.31.4")]
    #[case::double_v("vv1.31.4")]
    fn kube_versions_refused(#[case] text: &str) {
        let err = KubeVersion::parse(text).expect_err("refused");
        assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
    }

    #[test]
    fn the_default_is_the_documented_version() {
        assert_eq!(KubeVersion::default().to_string(), DEFAULT_KUBE_VERSION);
        assert_eq!(DiscoverOptions::default().kube_version.minor(), "33");
    }

    #[rstest]
    #[case::core("v1", true)]
    #[case::group("apps/v1", true)]
    #[case::dotted_group("monitoring.coreos.com/v1", true)]
    #[case::beta("policy/v1beta1", true)]
    #[case::with_kind("monitoring.coreos.com/v1/Prometheus", true)]
    #[case::lower_kind("apps/v1/deployment", false)]
    #[case::no_version("apps", false)]
    #[case::empty_group("/v1", false)]
    #[case::too_deep("a/v1/B/c", false)]
    #[case::space("apps/ v1", false)]
    fn api_versions(#[case] text: &str, #[case] ok: bool) {
        assert_eq!(ApiVersion::parse(text).is_ok(), ok, "{text}");
    }

    #[test]
    fn listed_apis_are_known() {
        let options = DiscoverOptions {
            api_versions: vec![ApiVersion::parse("monitoring.coreos.com/v1").expect("valid")],
            ..Default::default()
        };
        assert!(options.lists_api("monitoring.coreos.com/v1"));
        assert!(!options.lists_api("apps/v1"));
    }
}
